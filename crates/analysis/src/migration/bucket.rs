//! Time buckets as ClickHouse computes them: `toDate(ts)`, `toStartOfHour(ts)`,
//! `toStartOfWeek(ts[, mode])` (weeks start on Sunday unless the mode is odd), `toMonday(ts)`,
//! `toStartOfMonth(ts)`, `toYYYYMM(ts)` and `toYYYYMMDD(ts)` (integers), each in the zone of
//! its time argument (or the zone given to the function). A migration that copies whole
//! buckets of a legacy target must cut where a bucket starts, in that zone: a Madrid day starts
//! at 22:00 or 23:00 UTC, and lasts 23 or 25 hours across a daylight-saving change.
//! tests/time_chdb.rs checks every bucket start and value against ClickHouse.

use super::instant::{
    civil_from_days, days_from_civil, format_seconds, local_to_utc, split_args, utc_to_local,
};
use syntax::chtype::Type;
use syntax::sql::facts::{FunctionCall, SelectItem};

/// `x AS T` split at its last top-level ` AS `: (`x`, `T`).
fn rsplit_as(s: &str) -> Option<(&str, &str)> {
    let lower = s.to_ascii_lowercase();
    let mut depth = 0i32;
    let bytes = lower.as_bytes();
    let mut found = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0 && lower[i..].starts_with(" as ") => found = Some(i),
            _ => {}
        }
    }
    let i = found?;
    Some((&s[..i], &s[i + 4..]))
}

/// How long a bucket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    Second,
    Hour,
    Day,
    Week,
    Month,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Second => "second",
            Unit::Hour => "hour",
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
        }
    }

    /// Its name after the indefinite article: "a day", "an hour".
    pub fn a(self) -> &'static str {
        match self {
            Unit::Second => "a second",
            Unit::Hour => "an hour",
            Unit::Day => "a day",
            Unit::Week => "a week",
            Unit::Month => "a month",
        }
    }
}

/// How a bucket's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Repr {
    /// A `Date` (`toDate`, `toMonday`, `toStartOfWeek`, `toStartOfMonth`).
    Date,
    /// A `DateTime` (`toStartOfHour`, `toStartOfDay`, `toDateTime`).
    DateTime,
    /// A `UInt32` such as `202405` (`toYYYYMM`) or `20240528` (`toYYYYMMDD`).
    Integer,
}

/// A bucketing function applied to a time column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Bucket {
    pub unit: Unit,
    /// Weeks start on Monday (else Sunday).
    pub monday: bool,
    pub repr: Repr,
    /// The zone given to the function (`toDate(ts, 'Europe/Madrid')`); else the column's.
    pub zone: Option<String>,
}

impl Bucket {
    /// A bucket of `unit` written as `repr`.
    pub fn new(unit: Unit, repr: Repr) -> Bucket {
        Bucket {
            unit,
            monday: false,
            repr,
            zone: None,
        }
    }

    /// The bucket a call computes: `name` with its arguments as written (the time column
    /// first). `None` for a function that is not a bucket of its first argument.
    pub fn of_call(name: &str, args: &[String]) -> Option<Bucket> {
        let text = |i: usize| args.get(i).map(|a| a.trim());
        let quoted = |i: usize| {
            text(i)
                .filter(|a| a.len() >= 2 && a.starts_with('\'') && a.ends_with('\''))
                .map(|a| a[1..a.len() - 1].to_string())
        };
        let (unit, repr, zone_arg) = match name.to_ascii_lowercase().as_str() {
            "todate" | "todate32" => (Unit::Day, Repr::Date, 1),
            "tostartofday" => (Unit::Day, Repr::DateTime, 1),
            "toyyyymmdd" => (Unit::Day, Repr::Integer, 1),
            "tostartofhour" => (Unit::Hour, Repr::DateTime, 1),
            "tomonday" => (Unit::Week, Repr::Date, 1),
            "tostartofweek" => (Unit::Week, Repr::Date, 2),
            "tostartofmonth" => (Unit::Month, Repr::Date, 1),
            "toyyyymm" => (Unit::Month, Repr::Integer, 1),
            "todatetime" | "todatetime64" => (Unit::Second, Repr::DateTime, 1),
            _ => return None,
        };
        let monday = match name.to_ascii_lowercase().as_str() {
            "tomonday" => true,
            // Modes 1, 3, 5, 7 and 9 start weeks on Monday; the default, 0, on Sunday.
            "tostartofweek" => match text(1) {
                None => false,
                Some(m) => m.parse::<u32>().ok()? % 2 == 1,
            },
            _ => false,
        };
        // A second argument that is not a zone (a mode, a precision) is read above; anything
        // else the function does not take.
        let zone = quoted(zone_arg);
        if zone.is_none() && text(zone_arg).is_some() && unit != Unit::Second {
            return None;
        }
        Some(Bucket {
            unit,
            monday,
            repr,
            zone,
        })
    }

    /// The time column a SELECT item buckets and how (`toDate(ts)` → `ts` by day), or reads as
    /// it is (`ts`: by second); `text` is the item as written.
    pub fn of_item(item: &SelectItem, text: &str) -> Option<(String, Bucket)> {
        if item.functions.is_empty() {
            let name = item.output_name.clone();
            return item
                .alias
                .is_none()
                .then(|| (name, Bucket::new(Unit::Second, Repr::DateTime)));
        }
        let expr = project::types::item_expression(text, item)?;
        Bucket::of_expr(expr.trim(), &item.functions)
    }

    /// The bucket a call computes (`functions`: its calls, outermost first), through
    /// conversions that keep the bucket's start: `CAST(toStartOfHour(ts) AS DateTime)`,
    /// `toDateTime(toDate(ts))`, and to a Date those of buckets of a day or longer.
    fn of_expr(expr: &str, functions: &[FunctionCall]) -> Option<(String, Bucket)> {
        let f = functions.first()?;
        let args = expr
            .strip_prefix(f.name.as_str())?
            .trim()
            .strip_prefix('(')?
            .strip_suffix(')')?;
        let args = split_args(args);
        let converted = |to: &str, inner: &str| {
            let (col, bucket) = Bucket::of_expr(inner.trim(), &functions[1..])?;
            let to = Type::parse(to.trim())?;
            let repr = if bucket.unit == Unit::Second {
                return None;
            } else if to.is_datetime() {
                Repr::DateTime
            } else if to.is_date() && bucket.unit >= Unit::Day {
                Repr::Date
            } else {
                return None;
            };
            Some((col, Bucket { repr, ..bucket }))
        };
        match f.name.to_ascii_lowercase().as_str() {
            // `CAST(x AS T)` and `CAST(x, 'T')`
            "cast" => match args.as_slice() {
                [one] => {
                    let (inner, to) = rsplit_as(one)?;
                    converted(to, inner)
                }
                [inner, to] => {
                    let to = to.trim();
                    let to = to.strip_prefix('\'')?.strip_suffix('\'')?;
                    converted(to, inner)
                }
                _ => None,
            },
            "todatetime" | "todate" | "todate32" if f.column_args.is_empty() => {
                let [inner] = args.as_slice() else {
                    return None;
                };
                let to = if f.name.eq_ignore_ascii_case("todatetime") {
                    "DateTime"
                } else {
                    "Date"
                };
                converted(to, inner)
            }
            _ => {
                let bucket = Bucket::of_call(&f.name, &args)?;
                let (col, _) = f.column_args.first()?;
                Some((col.clone(), bucket))
            }
        }
    }

    /// The zone the bucket is computed in: the function's, else the column's, else UTC.
    pub fn zone<'a>(&'a self, column_zone: Option<&'a str>) -> &'a str {
        self.zone.as_deref().or(column_zone).unwrap_or("UTC")
    }

    /// The start (seconds since the epoch) of the bucket holding instant `utc`.
    pub fn floor(&self, utc: i64, zone: &str) -> Option<i64> {
        let local = utc_to_local(utc, zone)?;
        let day = local.div_euclid(86_400);
        let start_of_day = |days: i64| local_to_utc(days * 86_400, zone);
        match self.unit {
            Unit::Second => Some(utc),
            // Within an hour the offset stays the same: the hour starts that many seconds
            // earlier (a repeated hour keeps its own instants).
            Unit::Hour => Some(utc - local.rem_euclid(3_600)),
            Unit::Day => start_of_day(day),
            Unit::Week => {
                // 1970-01-01 was a Thursday: days since the last Monday (or Sunday).
                let back = (day + if self.monday { 3 } else { 4 }).rem_euclid(7);
                start_of_day(day - back)
            }
            Unit::Month => {
                let (y, m, _) = civil_from_days(day);
                start_of_day(days_from_civil(y, m, 1))
            }
        }
    }

    /// The start of the bucket after the one starting at `start`.
    fn next(&self, start: i64, zone: &str) -> Option<i64> {
        let day = utc_to_local(start, zone)?.div_euclid(86_400);
        let start_of_day = |days: i64| local_to_utc(days * 86_400, zone);
        match self.unit {
            Unit::Second => Some(start + 1),
            Unit::Hour => Some(start + 3_600),
            Unit::Day => start_of_day(day + 1),
            Unit::Week => start_of_day(day + 7),
            Unit::Month => {
                let (y, m, _) = civil_from_days(day);
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                start_of_day(days_from_civil(y, m, 1))
            }
        }
    }

    /// The first bucket start at or after `utc`.
    pub fn round_up(&self, utc: i64, zone: &str) -> Option<i64> {
        let start = self.floor(utc, zone)?;
        if start == utc {
            Some(utc)
        } else {
            self.next(start, zone)
        }
    }

    /// The value of the bucket holding `utc`, as an SQL literal of the bucket's column:
    /// `'2024-05-28'`, `202405`, or a date-time written in the column's own zone
    /// (`column_zone`: the zone of the column the value is stored in, not of the bucket).
    pub fn literal(&self, utc: i64, zone: &str, column_zone: Option<&str>) -> Option<String> {
        let start = self.floor(utc, zone)?;
        let local_day = utc_to_local(start, zone)?.div_euclid(86_400);
        let (y, m, d) = civil_from_days(local_day);
        Some(match self.repr {
            Repr::Date => format!("'{y:04}-{m:02}-{d:02}'"),
            Repr::Integer if self.unit == Unit::Month => format!("{y:04}{m:02}"),
            Repr::Integer => format!("{y:04}{m:02}{d:02}"),
            Repr::DateTime => {
                let written = utc_to_local(start, column_zone.unwrap_or("UTC"))?;
                format!("'{}'", format_seconds(written))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::instant::parse_datetime;

    fn at(s: &str) -> i64 {
        parse_datetime(s).unwrap().0
    }

    fn item(expr: &str) -> Option<(String, Unit, Repr)> {
        let sql = format!("SELECT {expr} AS b FROM t");
        let a = syntax::sql::analyze(&sql);
        let item = &a.main.as_ref().unwrap().items[0];
        Bucket::of_item(item, &sql[item.range.start..item.range.end])
            .map(|(c, b)| (c, b.unit, b.repr))
    }

    #[test]
    fn conversions_that_keep_a_bucket_keep_it() {
        let hour = Some(("ts".to_string(), Unit::Hour, Repr::DateTime));
        assert_eq!(item("toStartOfHour(ts)"), hour);
        assert_eq!(item("CAST(toStartOfHour(ts) AS DateTime)"), hour);
        assert_eq!(item("cast(toStartOfHour(ts), 'DateTime')"), hour);
        assert_eq!(item("toDateTime(toStartOfHour(ts))"), hour);
        let day = Some(("ts".to_string(), Unit::Day, Repr::Date));
        assert_eq!(item("CAST(toStartOfDay(ts) AS Date)"), day);
        assert_eq!(
            item("toDate(toStartOfMonth(ts))").map(|b| b.1),
            Some(Unit::Month)
        );
        // An hour made a Date is a day of it, not the hour; a number is no bucket.
        assert_eq!(item("CAST(toStartOfHour(ts) AS Date)"), None);
        assert_eq!(item("CAST(toStartOfHour(ts) AS UInt32)"), None);
        assert_eq!(item("CAST(ts AS DateTime)"), None);
    }

    fn call(text: &str) -> Option<Bucket> {
        let (name, args) = text.split_once('(').unwrap();
        let args = crate::migration::instant::split_args(args.strip_suffix(')').unwrap());
        Bucket::of_call(name, &args)
    }

    #[test]
    fn reads_the_functions_and_their_arguments() {
        let week = call("toStartOfWeek(ts)").unwrap();
        assert_eq!((week.unit, week.monday), (Unit::Week, false));
        assert!(call("toStartOfWeek(ts, 3)").unwrap().monday);
        assert!(call("toMonday(ts)").unwrap().monday);
        let madrid = call("toDate(ts, 'Europe/Madrid')").unwrap();
        assert_eq!(madrid.zone.as_deref(), Some("Europe/Madrid"));
        assert_eq!(call("toYYYYMM(ts)").unwrap().repr, Repr::Integer);
        assert!(call("lower(ts)").is_none());
    }

    #[test]
    fn madrid_days_start_at_local_midnight_across_a_change() {
        let day = Bucket::new(Unit::Day, Repr::Date);
        // 2024-03-31 is 23 hours long in Madrid.
        let t = at("2024-03-31 12:00:00");
        assert_eq!(
            day.floor(t, "Europe/Madrid"),
            Some(at("2024-03-30 23:00:00"))
        );
        assert_eq!(
            day.round_up(t, "Europe/Madrid"),
            Some(at("2024-03-31 22:00:00"))
        );
        assert_eq!(
            day.literal(at("2024-03-31 22:00:00"), "Europe/Madrid", None)
                .as_deref(),
            Some("'2024-04-01'")
        );
        let month = Bucket::new(Unit::Month, Repr::Integer);
        assert_eq!(
            month
                .literal(at("2024-03-31 23:30:00"), "Europe/Madrid", None)
                .as_deref(),
            Some("202404")
        );
    }
}
