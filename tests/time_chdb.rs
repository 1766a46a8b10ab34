//! Time on ClickHouse (chdb): how a local date-time written in a zone is read, and where the
//! buckets of each time function begin, across daylight-saving changes, are ClickHouse's own.

#[path = "support/chdb_project.rs"]
mod chdb_project;

use analysis::migration::instant::{format_seconds, local_to_utc, parse_datetime};

/// Zones with and without daylight saving, in both hemispheres, and with half-hour offsets.
const ZONES: &[&str] = &[
    "UTC",
    "Etc/UTC",
    "Europe/Madrid",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
];

/// Local date-times every 30 minutes over the days around each zone's changes in 2024.
fn local_grid() -> Vec<i64> {
    let days = [
        "2024-03-09",
        "2024-03-10",
        "2024-03-30",
        "2024-03-31",
        "2024-04-06",
        "2024-04-07",
        "2024-10-05",
        "2024-10-06",
        "2024-10-26",
        "2024-10-27",
        "2024-11-02",
        "2024-11-03",
    ];
    let mut out = Vec::new();
    for d in days {
        let (start, _, _) = parse_datetime(d).unwrap();
        out.extend((0..48).map(|k| start + k * 1800));
    }
    out
}

/// Every local date-time of the grid, written in each zone, is the instant ClickHouse reads
/// (`toDateTime('…', zone)`), including the times a change skips or repeats.
#[test]
fn local_times_in_a_zone_are_the_instants_clickhouse_reads() {
    let grid = local_grid();
    let mut statements = Vec::new();
    let mut ours = Vec::new();
    for zone in ZONES {
        let values: Vec<String> = grid
            .iter()
            .map(|&l| {
                format!(
                    "toUnixTimestamp(toDateTime('{}', '{zone}'))",
                    format_seconds(l)
                )
            })
            .collect();
        statements.push((format!("SELECT [{}]", values.join(", ")), true));
        ours.push(
            grid.iter()
                .map(|&l| local_to_utc(l, zone).expect("a known zone"))
                .collect::<Vec<i64>>(),
        );
    }
    let outcomes = chdb_project::run(&statements);
    let mut wrong = Vec::new();
    for ((zone, o), ours) in ZONES.iter().zip(&outcomes).zip(&ours) {
        assert!(o.ok, "{zone}: {}", o.error);
        let theirs: Vec<i64> = o.rows[0][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        for ((l, a), b) in grid.iter().zip(ours).zip(&theirs) {
            if a != b {
                wrong.push(format!(
                    "{} in {zone}: ours {a}, ClickHouse {b}",
                    format_seconds(*l)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} differences:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The bucket functions the migrations understand, as written in a SELECT.
const BUCKETS: &[&str] = &[
    "toDate(t)",
    "toStartOfDay(t)",
    "toStartOfHour(t)",
    "toStartOfWeek(t)",
    "toStartOfWeek(t, 1)",
    "toStartOfWeek(t, 2)",
    "toMonday(t)",
    "toStartOfMonth(t)",
    "toYYYYMM(t)",
    "toYYYYMMDD(t)",
];

/// For every bucket function, zone and instant of the grid (every 30 minutes around each
/// zone's daylight-saving changes and around month ends): where our bucket starts, its value
/// as a literal and the next bucket start at or after the instant are ClickHouse's.
#[test]
fn bucket_starts_values_and_boundaries_are_clickhouses() {
    use analysis::migration::bucket::{Bucket, Repr};
    use analysis::migration::instant::split_args;
    let mut instants: Vec<i64> = local_grid();
    for d in ["2024-01-31", "2024-02-29", "2024-04-30", "2024-12-31"] {
        let (start, _, _) = parse_datetime(d).unwrap();
        instants.extend((0..48).map(|k| start + k * 1800));
    }
    // The queries below hold an expression per instant: larger than the default limit.
    let mut statements = vec![("SET max_query_size = 100000000".to_string(), false)];
    let mut expected = Vec::new();
    for zone in ZONES {
        for f in BUCKETS {
            let (name, args) = f.split_once('(').unwrap();
            let args = split_args(args.strip_suffix(')').unwrap());
            let b = Bucket::of_call(name, &args).unwrap();
            let call = |t: i64| f.replace("(t", &format!("(toDateTime({t}, '{zone}')"));
            // The bucket's start as an instant (a Date is read at midnight in the zone).
            let start = |t: i64| match b.repr {
                Repr::Date => format!("toUnixTimestamp(toDateTime({}, '{zone}'))", call(t)),
                Repr::DateTime => format!("toUnixTimestamp({})", call(t)),
                Repr::Integer => "0".to_string(),
            };
            let value = |t: i64| match b.repr {
                Repr::Date => format!("concat('''', toString({}), '''')", call(t)),
                Repr::Integer => format!("toString({})", call(t)),
                Repr::DateTime => format!("concat('''', toString({}, 'UTC'), '''')", call(t)),
            };
            // One query per function and zone: an array per check, one element per instant.
            let mut starts = Vec::new();
            let mut values = Vec::new();
            let mut changes = Vec::new();
            for &t in &instants {
                let r = b.round_up(t, zone).unwrap();
                starts.push(start(t));
                values.push(value(t));
                changes.push(format!(
                    "({} != {}) AND ({} = {})",
                    call(r - 1),
                    call(r),
                    call(t),
                    if r > t { call(r - 1) } else { call(t) }
                ));
                let ours_start = match b.repr {
                    Repr::Integer => 0,
                    _ => b.floor(t, zone).unwrap(),
                };
                expected.push((
                    format!("{f} at {} in {zone}", format_seconds(t)),
                    ours_start,
                    b.literal(t, zone, None).unwrap(),
                ));
            }
            statements.push((
                format!(
                    "SELECT [{}], [{}], [{}]",
                    starts.join(", "),
                    values.join(", "),
                    changes.join(", ")
                ),
                true,
            ));
        }
    }
    let outcomes = chdb_project::run(&statements);
    let mut wrong = Vec::new();
    let per_query = instants.len();
    for (k, (what, start, literal)) in expected.iter().enumerate() {
        let o = &outcomes[1 + k / per_query];
        assert!(o.ok, "{what}: {}", o.error);
        let i = k % per_query;
        let row = &o.rows[0];
        let theirs_start = row[0][i].as_i64().unwrap();
        let theirs_value = row[1][i].as_str().unwrap().to_string();
        if theirs_start != *start {
            wrong.push(format!(
                "{what}: starts at {start}, ClickHouse {theirs_start}"
            ));
        }
        if theirs_value != *literal {
            wrong.push(format!(
                "{what}: value {literal}, ClickHouse {theirs_value}"
            ));
        }
        if row[2][i].as_u64() != Some(1) {
            wrong.push(format!(
                "{what}: the next start is not where the value changes"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} differences:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
