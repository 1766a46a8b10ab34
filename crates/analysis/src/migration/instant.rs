//! Cutoff values as instants. A migration's live side and backfill side must cut at the same
//! instant, so `'2023-11-07 12:30:00'`, `toDateTime('2023-11-07 12:30:00')`,
//! `toDateTime('…', 'UTC')`, `toDateTime64('…', 3)`, `parseDateTimeBestEffort('…')` and
//! `toDate('…')` are read into one form: the local date-time written, its granularity, and the
//! timezone it is read in (explicit, or the column's, or the server's: UTC on Tinybird).
//! Zones come from the IANA database bundled with the binary (`'UTC'` is `'Etc/UTC'`); a local
//! time that a daylight-saving change skips or repeats is read as ClickHouse reads it.

use std::fmt;
use syntax::chtype::Type;

/// How fine a cutoff is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Granularity {
    Date,
    Second,
    /// DateTime64 with this many decimals.
    SubSecond(u8),
}

/// A cutoff value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instant {
    /// Seconds since 1970-01-01 00:00:00 of the written date-time, read as UTC.
    pub local_seconds: i64,
    /// Fraction of a second in nanoseconds.
    pub nanos: u32,
    pub granularity: Granularity,
    /// The timezone given in the value (`toDateTime('…', 'UTC')`), if any.
    pub zone: Option<String>,
    /// How it was written: `string`, `toDateTime`, ...
    pub form: String,
}

impl Instant {
    /// The instant in seconds since the epoch (UTC), read in its zone, else the column's, else
    /// UTC. `None` for an unknown zone.
    pub fn utc_seconds(&self, column_zone: Option<&str>) -> Option<i64> {
        local_to_utc(self.local_seconds, self.effective_zone(column_zone))
    }

    /// The timezone the value is read in: its own, else the column's, else UTC.
    pub fn effective_zone<'a>(&'a self, column_zone: Option<&'a str>) -> &'a str {
        self.zone.as_deref().or(column_zone).unwrap_or("UTC")
    }

    /// Whether it falls on a day boundary (midnight).
    pub fn is_midnight(&self) -> bool {
        self.local_seconds.rem_euclid(86_400) == 0 && self.nanos == 0
    }

    /// Whether it falls on an hour boundary.
    pub fn is_hour(&self) -> bool {
        self.local_seconds.rem_euclid(3_600) == 0 && self.nanos == 0
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format_seconds(self.local_seconds);
        if self.granularity == Granularity::Date {
            return f.write_str(&text[..10]);
        }
        f.write_str(&text)?;
        if let Granularity::SubSecond(p) = self.granularity {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", &frac[..(p as usize).min(9)])?;
        }
        Ok(())
    }
}

/// A time zone by its IANA name (`UTC`, `Etc/UTC`, `Europe/Madrid`), from the bundled
/// database; `None` when there is no such zone.
pub fn time_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    jiff::tz::db().get(name).ok()
}

/// The instant (seconds since the epoch) of local date-time `local_seconds` (seconds since
/// 1970-01-01 00:00:00 of the written date-time) in `zone`. A time a daylight-saving change
/// skips or repeats is read as ClickHouse reads it: with the earlier of the two offsets'
/// instants (`2024-03-31 02:30:00` in Madrid is 00:30 UTC; `2024-10-27 02:30:00` too).
pub fn local_to_utc(local_seconds: i64, zone: &str) -> Option<i64> {
    let tz = time_zone(zone)?;
    let (y, m, d) = civil_from_days(local_seconds.div_euclid(86_400));
    let s = local_seconds.rem_euclid(86_400);
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y).ok()?,
        m as i8,
        d as i8,
        (s / 3600) as i8,
        (s / 60 % 60) as i8,
        (s % 60) as i8,
        0,
    )
    .ok()?;
    Some(tz.to_ambiguous_timestamp(dt).earlier().ok()?.as_second())
}

/// The local date-time (seconds since 1970-01-01 00:00:00 of the wall clock) of instant `utc`
/// in `zone`.
pub fn utc_to_local(utc: i64, zone: &str) -> Option<i64> {
    let tz = time_zone(zone)?;
    let dt = tz.to_datetime(jiff::Timestamp::from_second(utc).ok()?);
    Some(
        days_from_civil(dt.year() as i64, dt.month() as u32, dt.day() as u32) * 86_400
            + dt.hour() as i64 * 3600
            + dt.minute() as i64 * 60
            + dt.second() as i64,
    )
}

/// Whether `y-m-d` is a day of the calendar (not `2024-02-31`).
fn is_calendar_date(y: i64, m: u32, d: u32) -> bool {
    i16::try_from(y).is_ok_and(|y| jiff::civil::Date::new(y, m as i8, d as i8).is_ok())
}

/// A literal written like a date or date-time (`YYYY-MM-DD…`) whose day is not in the
/// calendar: ClickHouse refuses it as a DateTime (code 41) and reads it as a later day as a
/// Date (`toDate('2024-02-31')` is 2024-03-02).
pub fn impossible_date(s: &str) -> Option<(i64, u32, u32)> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10
        || b[4] != b'-'
        || b[7] != b'-'
        || (b.len() > 10 && !matches!(b[10], b' ' | b'T'))
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
    ((1..=12).contains(&m) && (1..=31).contains(&d) && !is_calendar_date(y, m, d))
        .then_some((y, m, d))
}

/// A comparison value (as the SQL facts give it: a string literal unquoted, or a call of
/// literals) that writes a day the calendar does not have: the date text and its
/// year, month and day.
pub fn impossible_value(value: &str) -> Option<(String, (i64, u32, u32))> {
    let v = value.trim();
    let text = match v.find('(') {
        None => v.to_string(),
        Some(open) => {
            let name = v[..open].trim();
            if !name.starts_with("toDate") && !name.starts_with("parseDateTime") {
                return None;
            }
            unquote(split_args(v[open + 1..].strip_suffix(')')?).first()?)
        }
    };
    impossible_date(&text).map(|ymd| (text, ymd))
}

/// The cutoff literal for a time column of type `ty` at instant `at` (seconds since the epoch):
/// a date for a Date column; a plain string when the column is read in UTC, else a conversion
/// that says UTC.
pub fn cutoff_literal(ty: Option<&Type>, at: i64) -> String {
    let text = format_seconds(at);
    if ty.is_some_and(Type::is_date) {
        return format!("'{}'", &text[..10]);
    }
    match ty.and_then(Type::zone) {
        None | Some("UTC") => format!("'{text}'"),
        Some(_) => match ty.and_then(Type::precision) {
            Some(precision) => format!("toDateTime64('{text}', {precision}, 'UTC')"),
            None => format!("toDateTime('{text}', 'UTC')"),
        },
    }
}

/// `YYYY-MM-DD HH:MM:SS` of seconds since 1970-01-01 00:00:00.
pub fn format_seconds(seconds: i64) -> String {
    let secs = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` (or with a `T`) and an optional fraction.
pub fn parse_datetime(s: &str) -> Option<(i64, u32, Granularity)> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())).then(|| t.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
    if !is_calendar_date(y, m, d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    if b.len() == 10 {
        return Some((days * 86_400, 0, Granularity::Date));
    }
    if b.len() < 19 || !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let seconds = days * 86_400 + h * 3600 + mi * 60 + sec;
    if b.len() == 19 {
        return Some((seconds, 0, Granularity::Second));
    }
    let frac = s.get(20..)?;
    if b[19] != b'.'
        || frac.is_empty()
        || frac.len() > 9
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let nanos = format!("{frac:0<9}").parse().ok()?;
    Some((seconds, nanos, Granularity::SubSecond(frac.len() as u8)))
}

/// Reads a comparison's value (as the SQL facts give it: a string literal unquoted, or the
/// text of a function call of literals). `None` for anything that is not a fixed instant
/// (`now()`, a parameter, a number).
pub fn parse_value(value: &str) -> Option<Instant> {
    let v = value.trim();
    if let Some((local_seconds, nanos, granularity)) = parse_datetime(v) {
        return Some(Instant {
            local_seconds,
            nanos,
            granularity,
            zone: None,
            form: "string".into(),
        });
    }
    let open = v.find('(')?;
    let name = v[..open].trim();
    let args = split_args(v[open + 1..].strip_suffix(')')?);
    let text = args.first().map(|a| unquote(a))?;
    let (local_seconds, nanos, mut granularity) = parse_datetime(&text)?;
    let zone_at = |i: usize| args.get(i).map(|z| unquote(z)).filter(|z| !z.is_empty());
    let zone = match name {
        "toDateTime"
        | "toDateTime32"
        | "parseDateTimeBestEffort"
        | "parseDateTimeBestEffortOrNull"
        | "parseDateTime32BestEffort" => {
            if granularity == Granularity::Date {
                granularity = Granularity::Second;
            }
            zone_at(1)
        }
        "toDateTime64" | "parseDateTime64BestEffort" => {
            let p: u8 = args.get(1).and_then(|p| p.trim().parse().ok()).unwrap_or(3);
            granularity = Granularity::SubSecond(p);
            zone_at(2)
        }
        "toDate" | "toDate32" => {
            if granularity != Granularity::Date {
                return None; // toDate('… 12:00:00') keeps the date: not this instant
            }
            None
        }
        _ => return None,
    };
    Some(Instant {
        local_seconds,
        nanos,
        granularity,
        zone,
        form: name.to_string(),
    })
}

fn unquote(s: &str) -> String {
    syntax::sql::parser::unquote(s.trim())
}

/// Splits function arguments (or any list) at top-level commas (outside quotes and brackets);
/// a trailing empty piece is dropped.
pub fn split_args(s: &str) -> Vec<String> {
    let mut out: Vec<String> = syntax::chtype::split_top(s)
        .into_iter()
        .map(str::to_string)
        .collect();
    if out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out
}

/// The timezone of a column type: `DateTime('UTC')`, `DateTime64(3, 'Europe/Madrid')`.
pub fn column_zone(ty: &Type) -> Option<String> {
    ty.zone().map(str::to_string)
}

/// The granularity of a column type.
pub fn column_granularity(ty: &Type) -> Option<Granularity> {
    if ty.is_date() {
        Some(Granularity::Date)
    } else if let Some(p) = ty.precision() {
        Some(Granularity::SubSecond(u8::try_from(p).unwrap_or(u8::MAX)))
    } else if ty.is_datetime() {
        Some(Granularity::Second)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_the_same_instant() {
        let a = parse_value("2023-11-07 12:30:00").unwrap();
        let b = parse_value("toDateTime('2023-11-07 12:30:00')").unwrap();
        let c = parse_value("toDateTime('2023-11-07 12:30:00', 'UTC')").unwrap();
        let d = parse_value("parseDateTimeBestEffort('2023-11-07T12:30:00')").unwrap();
        assert_eq!(a.local_seconds, 1_699_360_200);
        for x in [&b, &c, &d] {
            assert_eq!(x.local_seconds, a.local_seconds);
            assert_eq!(x.granularity, Granularity::Second);
        }
        assert_eq!(c.zone.as_deref(), Some("UTC"));
        let e = parse_value("toDateTime64('2023-11-07 12:30:00.5', 3, 'Europe/Madrid')").unwrap();
        assert_eq!(e.granularity, Granularity::SubSecond(3));
        assert_eq!(e.nanos, 500_000_000);
        assert_eq!(e.zone.as_deref(), Some("Europe/Madrid"));
        assert_eq!(
            parse_value("toDate('2024-05-28')").unwrap().granularity,
            Granularity::Date
        );
        assert!(parse_value("now()").is_none());
        assert!(parse_value("'x'").is_none());
        assert_eq!(a.to_string(), "2023-11-07 12:30:00");
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        let ty = |t: &str| Type::parse(t).unwrap();
        assert_eq!(
            column_zone(&ty("DateTime64(3, 'UTC')")).as_deref(),
            Some("UTC")
        );
        assert_eq!(
            column_granularity(&ty("DateTime('UTC')")),
            Some(Granularity::Second)
        );
        assert_eq!(
            column_granularity(&ty("Nullable(DateTime64(3))")),
            Some(Granularity::SubSecond(3))
        );
        assert_eq!(column_granularity(&ty("Date32")), Some(Granularity::Date));
        assert_eq!(column_granularity(&ty("String")), None);
    }
}
