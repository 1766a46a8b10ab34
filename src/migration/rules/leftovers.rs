//! `migration-leftover`: once a migration is complete and nothing but the migration and its
//! quality test reads the legacy target any more, what is left to remove: a backfill still
//! attached as a materialized view, and the legacy target with its materializing pipe.

use super::{push, Ctx};
use crate::diagnostics::{Diagnostic, Severity};
use crate::project::model::{EdgeKind, Source, Target};
use crate::project::rules::FileDiagnostics;

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for m in &cx.m.migrations {
        let Some(legacy) = m.legacy else { continue };
        if m.live.is_empty() || m.backfills.is_empty() {
            continue;
        }
        let part: Vec<usize> = m
            .live
            .iter()
            .chain(&m.backfills)
            .map(|&i| cx.m.writers[i].pipe)
            .collect();
        let still_read = p.edges.iter().any(|e| {
            e.target == Target::Resource(legacy)
                && matches!(e.kind, EdgeKind::Reads | EdgeKind::TestReads)
                && match e.from {
                    Source::Resource(r) => !part.contains(&r),
                    // Tests that compare both targets do not keep the legacy one alive.
                    Source::Test(_) => !p.edges.iter().any(|o| {
                        o.from == e.from
                            && o.from_node == e.from_node
                            && o.target == Target::Resource(m.new)
                    }),
                }
        });
        if still_read {
            continue;
        }
        let hint = |code: &'static str, range, message: String| Diagnostic {
            severity: Severity::Hint,
            ..Diagnostic::error(code, range, message)
        };
        for &bi in &m.backfills {
            let b = &cx.m.writers[bi];
            if b.kind != EdgeKind::MaterializesInto {
                continue;
            }
            let d = hint(
                "migration-leftover",
                b.target_range,
                format!(
                    "The migration into `{}` is done, but `{}` is still a materialized view: its trigger keeps writing rows up to the cutoff. Remove it once it has been populated and the quality test passes.",
                    cx.ds(m.new),
                    cx.name(b)
                ),
            );
            push(out, &b.path, d);
        }
        for w in cx.m.writers_into(legacy) {
            if w.kind != EdgeKind::MaterializesInto {
                continue;
            }
            let d = hint(
                "migration-leftover",
                w.target_range,
                format!(
                    "Nothing reads `{}` any more (`{}` replaces it): once the quality test passes, remove `{}` and `{}`.",
                    cx.ds(legacy),
                    cx.ds(m.new),
                    cx.ds(legacy),
                    p.resources[w.pipe].name
                ),
            );
            push(out, &w.path, d);
        }
    }
}
