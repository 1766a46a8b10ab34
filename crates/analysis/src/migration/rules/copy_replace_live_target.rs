//! `copy-replace-live-target`: a copy node in `COPY_MODE replace` writes into a datasource a
//! materialized view also writes: every run replaces the whole content, erasing the rows the
//! view wrote.

use super::{push, Ctx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::EdgeKind;
use syntax::diagnostics::Severity::Warning;
use syntax::diagnostics::{Diagnostic, TextEdit};

pub const RULE: Rule = Rule {
    name: "copy_replace_live_target",
    scope: Scope::Project,
    check: Check::Migration(check),
    codes: &[Code::new(
        "copy-replace-live-target",
        Warning,
        "COPY_MODE replace into a target a view writes",
    )],
    examples: &[
        Example::reported(
            "copy-replace-live-target",
            concat!(
                base!(),
                r#"
        //- pipes/sessions_rebuild.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions
        COPY_MODE ⟦replace⟧
        "#
            ),
        ),
        Example::not_reported(
            "copy-replace-live-target",
            concat!(
                base!(),
                r#"
        //- datasources/sessions_snapshot.datasource
        SCHEMA >
            `date` Date,
            `session_id` String,
            `device` SimpleAggregateFunction(any, String),
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "date, session_id"
        //- pipes/sessions_rebuild.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions_snapshot
        COPY_MODE replace
        "#
            ),
        ),
    ],
};

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
        .with_related(Some(view.path.to_string()), view.target_range, "the materialized view writing there")
        .with_fix(
            "Use `COPY_MODE append`",
            vec![TextEdit {
                path: None,
                range: *range,
                new_text: "append".into(),
            }],
        );
        push(out, &w.path, d);
    }
}
