//! `copy-replace-live-target`: a copy node in `COPY_MODE replace` writes into a datasource a
//! materialized view also writes: every run replaces the whole content, erasing the rows the
//! view wrote.

use super::{push, Ctx};
use crate::rules::FileDiagnostics;
use project::model::EdgeKind;
use syntax::diagnostics::Diagnostic;

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for w in &cx.m.writers {
        let Some((mode, range)) = &w.copy_mode else {
            continue;
        };
        if w.kind != EdgeKind::CopiesInto || mode != "replace" {
            continue;
        }
        let Some(view) =
            cx.m.writers_into(w.target)
                .find(|o| o.kind == EdgeKind::MaterializesInto)
        else {
            continue;
        };
        let d = Diagnostic::warning(
            "copy-replace-live-target",
            *range,
            format!(
                "`{}` replaces the whole content of `{}` on every run, erasing the rows the materialized view `{}` writes into it. Use `COPY_MODE append`.",
                cx.name(w),
                cx.ds(w.target),
                cx.name(view)
            ),
        )
        .with_related(Some(view.path.to_string()), view.target_range, "the materialized view writing there");
        push(out, &w.path, d);
    }
}
