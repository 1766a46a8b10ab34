//! `migration-missing-backfill`: a live node writes into a datasource only after a cutoff and
//! nothing writes the rows before it. Information while the cutoff is in the future (the
//! backfill must wait for it), a warning once it has passed.

use super::{keeps_less, retention};
use super::{push_at, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::ResourceKind;
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, Severity};

pub const RULE: Rule = Rule {
    name: "missing_backfill",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "migration-missing-backfill",
        Warning,
        "Nothing fills the rows before the cutoff",
    )
    .varies("an information while the cutoff is in the future (the backfill must wait for it)")],
    examples: &[
        Example::reported(
            "migration-missing-backfill",
            concat!(
                "//- now: 2026-02-01 00:00:00\n",
                base!(),
                new_target!(),
                live!()
            ),
        ),
        Example::not_reported(
            "migration-missing-backfill",
            concat!("//- now: 2026-02-01 00:00:00\n", migrated!()),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for m in &cx.m.migrations {
        // Without a legacy target, a cutoff may just be where the view's history starts.
        if !m.backfills.is_empty() || m.legacy.is_none() {
            continue;
        }
        for &li in &m.live {
            let live = &cx.m.writers[li];
            let Some(cut) = live.lower().find(|b| b.instant().is_some()) else {
                continue;
            };
            let instant = cut.instant().expect("filtered");
            let passed = cx
                .now
                .zip(instant.utc_seconds(cut.column_zone.as_deref()))
                .map(|(now, at)| now > at);
            let legacy = m
                .legacy
                .map(|l| format!(" (`{}` still holds them)", cx.ds(l)))
                .unwrap_or_default();
            let (severity, when) = match passed {
                Some(true) => (
                    Severity::Warning,
                    "The cutoff has passed: backfill them now",
                ),
                _ => (Severity::Info, "Once the cutoff has passed, backfill them"),
            };
            // How: the same SELECT up to the cutoff, or, when the source keeps less history
            // than the legacy target (its TTL), a copy of the legacy target's rows.
            let source_ttl = live
                .source
                .as_deref()
                .and_then(|s| {
                    cx.p.named(s)
                        .find(|(_, r)| r.kind == ResourceKind::Datasource)
                })
                .and_then(|(i, _)| retention(cx.p, i));
            let how = match m.legacy {
                Some(l) if keeps_less(source_ttl, retention(cx.p, l)) => format!(
                    "by copying the rows of `{}` before the cutoff (`{}` keeps less history than it: its TTL)",
                    cx.ds(l),
                    live.source.as_deref().unwrap_or("the source")
                ),
                _ => format!(
                    "with the same SELECT and `{} {} '{instant}'`",
                    cut.column_expr(),
                    if cut.op == syntax::sql::facts::CompareOp::Gt { "<=" } else { "<" },
                ),
            };
            let d = Diagnostic::new(
                severity,
                "migration-missing-backfill",
                cut.range,
                format!(
                    "`{}` only writes rows with `{} {} '{instant}'` into `{}`; nothing writes the rows before the cutoff{legacy}. {when} {how}.",
                    cx.name(live),
                    cut.column_expr(),
                    cut.op.as_str(),
                    cx.ds(m.new),
                ),
            );
            push_at(out, &live.path, d, cut.included.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::Fixture;

    fn message(fixture: &str) -> String {
        let a = Fixture::parse(fixture).analyze();
        a.diagnostics["pipes/sessions_2_mv.pipe"]
            .iter()
            .find(|d| d.code == "migration-missing-backfill")
            .expect("reported")
            .message
            .clone()
    }

    /// The way to backfill is the one the backfill step takes: the same SELECT, or a copy of
    /// the legacy target when the source keeps less history (its TTL).
    #[test]
    fn says_how_the_plan_backfills() {
        let plain = concat!(
            "//- now: 2026-02-01 00:00:00\n",
            base!(),
            new_target!(),
            live!()
        );
        assert!(message(plain).contains("with the same SELECT and `ts <= '2026-01-01 00:00:00'`"));
        let short_source = format!(
            "{plain}{}",
            r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `device` String,
            `env` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        ENGINE_TTL "ts + toIntervalDay(7)"
        "#
        );
        let m = message(&short_source);
        assert!(
            m.contains(
                "by copying the rows of `sessions` before the cutoff (`hits` keeps less history"
            ),
            "{m}"
        );
    }
}
