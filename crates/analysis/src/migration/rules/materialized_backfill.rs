//! `migration-materialized-backfill`: a backfill written as a materialized view (TYPE
//! materialized with `ts <= T`) and populated. While it is attached, its trigger also writes the
//! new rows with a time up to the cutoff (late events), and a populate running at the same time
//! reads them from the source again: they are written twice. A copy pipe run once has no
//! trigger.

use super::{push, Ctx};
use crate::rules::FileDiagnostics;
use project::model::EdgeKind;
use syntax::diagnostics::Diagnostic;

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for m in &cx.m.migrations {
        if m.live.is_empty() {
            continue;
        }
        for &bi in &m.backfills {
            let b = &cx.m.writers[bi];
            if b.kind != EdgeKind::MaterializesInto || b.upper().next().is_none() {
                continue;
            }
            let d = Diagnostic::info(
                "migration-materialized-backfill",
                b.target_range,
                format!(
                    "`{}` backfills `{}` as a materialized view: while it is attached, its trigger also writes new rows up to the cutoff (late events), and a populate running at the same time reads them again, so they are written twice. A copy pipe (TYPE copy, run once) has no trigger; otherwise populate it soon after deploying it and remove it afterwards.",
                    cx.name(b),
                    cx.ds(m.new)
                ),
            );
            push(out, &b.path, d);
        }
    }
}
