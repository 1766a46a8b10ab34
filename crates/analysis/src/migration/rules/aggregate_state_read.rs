//! `aggregate-state-read`: a node reads the aggregate columns of a datasource the wrong way.
//! `AggregateFunction(f, …)` columns hold partial states: they must be read with `fMerge`
//! (a plain aggregate such as `sum(hits)`, or returning the column as it is, does not finish
//! them); a `-Merge` must match the state (`uniqMerge` of a `count` state fails). Which reads
//! ClickHouse refuses comes from the generated facts (`state_facts`: `gMerge(column)` and
//! `g(column)` run on ClickHouse over each state type of the grid); a read it accepts
//! (`countMerge` of a `countIf` state, `quantilesMerge` of a `median` state) is not reported;
//! `SimpleAggregateFunction` columns hold plain values, which `-Merge` cannot read.

use super::{push_at, Ctx};
use crate::migration::columns;
use crate::migration::state_facts::{self, Verdict};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::{PipeKind, ResourceKind, Target};
use syntax::chtype::Type;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;

/// The function of an aggregate column type: (`AggregateFunction`?, function name).
fn aggregate_type(ty: &Type) -> Option<(bool, String)> {
    let state = matches!(ty, Type::AggregateFunction { .. });
    Some((state, ty.aggregate_function()?.to_string()))
}

pub const RULE: Rule = Rule {
    name: "aggregate_state_read",
    scope: Scope::Pipe,
    check: Check::Pipe(check),
    codes: &[Code::new(
        "aggregate-state-read",
        Warning,
        "Aggregate columns read the wrong way",
    )],
    examples: &[
        Example::reported(
            "aggregate-state-read",
            concat!(
                base!(),
                r#"
        //- pipes/api.pipe
        NODE n
        SQL >
            SELECT date, sum(hits) AS hits FROM sessions GROUP BY date
        "#
            ),
        ),
        Example::not_reported(
            "aggregate-state-read",
            concat!(
                base!(),
                r#"
        //- pipes/api.pipe
        NODE n
        SQL >
            WITH merged AS (
                SELECT date, countMerge(hits) AS hits FROM sessions GROUP BY date
            )
            SELECT date, hits FROM merged
        "#
            ),
        ),
    ],
};

pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for ri in cx.scoped_resources() {
        let r = &p.resources[ri];
        if r.kind != ResourceKind::Pipe {
            continue;
        }
        let writer = matches!(r.pipe_kind, Some(PipeKind::Materialized | PipeKind::Copy));
        for node in r.nodes.iter() {
            let Some(sql) = &node.sql else { continue };
            let Some(main) = &sql.main else { continue };
            let Some(from) = sql.main_from() else {
                continue;
            };
            let Target::Resource(ds) = p.resolve(&from.full_name(), Some(ri)) else {
                continue;
            };
            let cols = columns(p, ds);
            if cols.is_empty() {
                continue;
            }
            let ds_path = p.resources[ds].path.to_string();
            let ds_name = &p.resources[ds].name;
            let typed = |name: &str| {
                cols.iter()
                    .find(|c| c.name == name)
                    .and_then(|c| Some((c, aggregate_type(c.parsed.as_ref()?)?)))
            };
            for item in &main.items {
                // Returned as it is: raw states (fine when copied into another state column).
                if item.functions.is_empty() && !writer {
                    if let Some((col, (true, f))) = typed(&item.output_name) {
                        let d = Diagnostic::warning(
                            "aggregate-state-read",
                            node.file_range(item.range),
                            format!(
                                "`{}` holds partial `{f}` states (`{}`): returned as they are, they are not results. Read it with `{f}Merge({})` (grouping by the other columns).",
                                col.name, col.ty, col.name
                            ),
                        )
                        .with_related(Some(ds_path.clone()), col.type_range, format!("the column in `{ds_name}`"));
                        push_at(out, &r.path, d, node.included_site(item.range).as_ref());
                    }
                }
                for call in &item.functions {
                    let merge = call.combinators.iter().any(|c| c == "Merge");
                    for (arg, range) in &call.column_args {
                        let Some((col, (state, f))) = typed(arg) else {
                            continue;
                        };
                        // What ClickHouse does with this read of that state type
                        // (generated facts); not known: nothing said.
                        let declared = col.parsed.clone();
                        let mut read = call.aggregate.clone().unwrap_or_default();
                        for c in &call.combinators {
                            if c != "Merge" && c != "State" {
                                read.push_str(c);
                            }
                        }
                        let params = state_facts::call_parameters(
                            node.sql_map.text.get(call.range.end..).unwrap_or(""),
                        );
                        let problem = match (state, merge, call.aggregate.as_deref(), &declared) {
                            (true, true, Some(_), Some(d)) => {
                                match state_facts::merge_verdict(&read, &params, d) {
                                    Some(Verdict::Rejected(code)) => Some(format!(
                                        "`{}` cannot read `{}`: it holds `{f}` states (`{}`), and ClickHouse refuses the query (code {code}); use `{f}Merge`",
                                        call.name, col.name, col.ty
                                    )),
                                    _ => None,
                                }
                            }
                            (true, false, Some(_), Some(d)) => {
                                match state_facts::plain_verdict(&read, &params, d) {
                                    Some(Verdict::Rejected(code)) => Some(format!(
                                        "`{}` aggregates the partial `{f}` states of `{}` as if they were values, which ClickHouse refuses (code {code}): use `{f}Merge({})`",
                                        call.name, col.name, col.name
                                    )),
                                    _ => None,
                                }
                            }
                            (false, true, _, _) => Some(format!(
                                "`{}` holds plain values (`{}`), not states: `{}` cannot read it; use `{f}({})`",
                                col.name, col.ty, call.name, col.name
                            )),
                            _ => None,
                        };
                        if let Some(problem) = problem {
                            let d = Diagnostic::warning(
                                "aggregate-state-read",
                                node.file_range(*range),
                                format!("{problem}."),
                            )
                            .with_related(
                                Some(ds_path.clone()),
                                col.type_range,
                                format!("the column in `{ds_name}`"),
                            );
                            push_at(out, &r.path, d, node.included_site(*range).as_ref());
                        }
                    }
                }
            }
        }
    }
}
