//! `backfill-source-retention`: a backfill re-reads a source whose ENGINE_TTL keeps less
//! history than the legacy target holds: the rows older than the TTL survive only in the legacy
//! target and will be missing from the new one.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{ResourceId, ResourceKind, Target};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

/// The retention an ENGINE_TTL gives, in seconds: the shortest of its clauses that delete rows
/// (`ts + INTERVAL 30 DAY`, `… DELETE`, `toDate(ts) + toIntervalDay(30)`). Clauses that move
/// rows (`TO VOLUME`, `TO DISK`), recompress or roll them up (`GROUP BY`), or delete only some
/// rows (`WHERE`) keep the rows' history for this purpose. `None` when no clause can be read.
/// The retention of datasource `ds` in seconds, from its own file's ENGINE_TTL (`None`: no
/// TTL, one that cannot be read, or no file of its own).
pub fn retention(p: &project::model::Project, ds: project::model::ResourceId) -> Option<i64> {
    let r = &p.resources[ds];
    if !r.defined_by_file() {
        return None;
    }
    p.files[r.file]
        .datafile
        .engine()
        .and_then(|e| e.param("ttl"))
        .and_then(|v| ttl_seconds(&v.text))
}

/// Whether a source retaining `source` seconds keeps less history than a target retaining
/// `target` (`None`: forever).
pub fn keeps_less(source: Option<i64>, target: Option<i64>) -> bool {
    match (source, target) {
        (Some(s), Some(t)) => s < t,
        (Some(_), None) => true,
        _ => false,
    }
}

pub fn ttl_seconds(ttl: &str) -> Option<i64> {
    crate::migration::instant::split_args(ttl)
        .iter()
        .filter(|clause| {
            let upper = format!(
                " {} ",
                clause
                    .to_ascii_uppercase()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            ![
                " TO VOLUME ",
                " TO DISK ",
                " RECOMPRESS ",
                " GROUP BY ",
                " WHERE ",
                " SET ",
            ]
            .iter()
            .any(|k| upper.contains(k))
        })
        .filter_map(|clause| clause_seconds(clause))
        .min()
}

/// The interval of one TTL clause, in seconds.
fn clause_seconds(ttl: &str) -> Option<i64> {
    let unit_seconds = |u: &str| -> Option<i64> {
        Some(match u.to_ascii_uppercase().trim_end_matches('S') {
            "SECOND" => 1,
            "MINUTE" => 60,
            "HOUR" => 3_600,
            "DAY" => 86_400,
            "WEEK" => 7 * 86_400,
            "MONTH" => 30 * 86_400,
            "QUARTER" => 91 * 86_400,
            "YEAR" => 365 * 86_400,
            _ => return None,
        })
    };
    let upper = ttl.to_ascii_uppercase();
    if let Some(i) = upper.find("TOINTERVAL") {
        let rest = &ttl[i + 10..];
        let open = rest.find('(')?;
        let unit = &rest[..open];
        let n: i64 = rest[open + 1..].split(')').next()?.trim().parse().ok()?;
        return Some(n * unit_seconds(unit)?);
    }
    if let Some(i) = upper.find("INTERVAL") {
        let mut words = ttl[i + 8..].split_whitespace();
        let n: i64 = words.next()?.trim_matches('\'').parse().ok()?;
        return Some(n * unit_seconds(words.next()?.trim_end_matches([')', ',']))?);
    }
    None
}

pub(crate) fn human(seconds: i64) -> String {
    if seconds % 86_400 == 0 {
        format!("{} days", seconds / 86_400)
    } else {
        format!("{} hours", seconds / 3_600)
    }
}

pub const RULE: Rule = Rule {
    name: "backfill_source_retention",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "backfill-source-retention",
        Warning,
        "Backfilling from a source with a shorter TTL",
    )],
    examples: &[
        Example::reported(
            "backfill-source-retention",
            concat!(
                migrated!(),
                r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `device` String,
            `env` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        ENGINE_TTL "ts + toIntervalDay(30)"
        "#
            ),
        ),
        Example::not_reported("backfill-source-retention", migrated!()),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    let ttl_of = |ds: ResourceId| {
        let r = &p.resources[ds];
        if !r.defined_by_file() {
            return None;
        }
        p.files[r.file].datafile.engine()?.param("ttl").cloned()
    };
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else { continue };
        for &bi in &m.backfills {
            let b = &cx.m.writers[bi];
            let Some(source) = b.source.as_deref() else {
                continue;
            };
            let Target::Resource(s) = p.resolve(source, Some(b.pipe)) else {
                continue;
            };
            if s == legacy || p.resources[s].kind != ResourceKind::Datasource {
                continue;
            }
            let Some(ttl) = ttl_of(s) else { continue };
            let Some(keep) = ttl_seconds(&ttl.text) else {
                continue;
            };
            let legacy_keep = ttl_of(legacy).and_then(|t| ttl_seconds(&t.text));
            if legacy_keep.is_some_and(|l| l <= keep) {
                continue;
            }
            let holds = match legacy_keep {
                Some(l) => format!("keeps {}", human(l)),
                None => "keeps everything (no TTL)".to_string(),
            };
            let d = Diagnostic::warning(
                "backfill-source-retention",
                b.source_range.unwrap_or(b.target_range),
                format!(
                    "`{source}` keeps only {} (ENGINE_TTL `{}`) while the legacy `{}` {holds}: the rows older than that survive only in `{}` and will be missing from `{}`. Backfill from `{}` instead (its states copied as they are, new columns set to a default).",
                    human(keep),
                    ttl.text,
                    cx.ds(legacy),
                    cx.ds(legacy),
                    cx.ds(m.new),
                    cx.ds(legacy)
                ),
            )
            .with_related(Some(p.resources[s].path.to_string()), ttl.range, "the source's TTL");
            push(out, &b.path, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ttl_seconds;

    #[test]
    fn reads_ttls() {
        assert_eq!(
            ttl_seconds("timestamp + INTERVAL 30 DAY"),
            Some(30 * 86_400)
        );
        assert_eq!(
            ttl_seconds("toDate(ts) + toIntervalDay(7)"),
            Some(7 * 86_400)
        );
        assert_eq!(
            ttl_seconds("ts + INTERVAL 1 MONTH DELETE"),
            Some(30 * 86_400)
        );
        assert_eq!(ttl_seconds("ts"), None);
    }

    #[test]
    fn ttl_clauses_are_read_one_by_one() {
        assert_eq!(ttl_seconds("ts + INTERVAL 30 DAY"), Some(30 * 86_400));
        assert_eq!(
            ttl_seconds("toDate(ts) + toIntervalDay(7)"),
            Some(7 * 86_400)
        );
        // moved to another volume after a day, deleted after 90
        assert_eq!(
            ttl_seconds("ts + INTERVAL 1 DAY TO VOLUME 'cold', ts + INTERVAL 90 DAY DELETE"),
            Some(90 * 86_400)
        );
        assert_eq!(ttl_seconds("ts + INTERVAL 1 DAY TO DISK 's3'"), None);
        assert_eq!(
            ttl_seconds("ts + INTERVAL 1 DAY DELETE WHERE kind = 'debug'"),
            None
        );
        assert_eq!(
            ttl_seconds("ts + INTERVAL 60 DAY, ts + INTERVAL 30 DAY"),
            Some(30 * 86_400)
        );
    }
}
