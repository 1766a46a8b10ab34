//! `forward-query-forces-rewrite`: a Forward datasource whose change is an ALTER in place
//! (columns added or removed, made Nullable, a TTL, an index) but that has a FORWARD_QUERY: the
//! query makes Tinybird rewrite every row instead (pollinations#10763: ~30 GiB copied on every
//! deploy). `forward-query-deployed`: the FORWARD_QUERY is the one the deployed version already
//! has: its migration is done, and left in place it rewrites the table on every deploy and goes
//! stale at the next column (notra#1142); reported when it is the only reason this deploy
//! rewrites (the rest of the change is an ALTER in place, or nothing): with a change that needs
//! a rewrite anyway, it is what carries the live rows over. Both fixes remove it.

use super::{push, remove_forward_query, Ctx};
use crate::deploy::table::{entry, Effect};
use crate::deploy::{norm, ChangeKind, Method};
use crate::registry::{Check, Code, Example, Rule, Scope};
use crate::rules::FileDiagnostics;
use project::model::ResourceKind;
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "forward_query_rewrite",
    scope: Scope::Project,
    check: Check::Deploy(check),
    codes: &[
        Code::new(
            "forward-query-forces-rewrite",
            Warning,
            "A FORWARD_QUERY that turns an ALTER in place into a rewrite",
        ),
        Code::new(
            "forward-query-deployed",
            Warning,
            "A FORWARD_QUERY already deployed, left in place",
        ),
    ],
    examples: &[
        Example::reported(
            "forward-query-forces-rewrite",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `country` String

            ⟦FORWARD_QUERY⟧ >
                SELECT ts, '' AS country
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime
        "#,
        ),
        Example::not_reported(
            "forward-query-forces-rewrite",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32

            FORWARD_QUERY >
                SELECT ts, accurateCastOrDefault(n, 'UInt32') AS n
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt16
        "#,
        ),
        Example::reported(
            "forward-query-deployed",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32

            ⟦FORWARD_QUERY⟧ >
                SELECT ts, accurateCastOrDefault(n, 'UInt32') AS n
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT * FROM events
            //- base: pipes/p.pipe
            NODE n
            SQL >
                SELECT ts FROM events
        "#,
        ),
        Example::not_reported(
            "forward-query-deployed",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32

            FORWARD_QUERY >
                SELECT ts, accurateCastOrDefault(n, 'UInt32') AS n
        "#,
        ),
        // The deployed query kept for a new sorting key: this deploy rewrites anyway, and the
        // query is what carries the live rows over.
        Example::not_reported(
            "forward-query-deployed",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "n, ts"

            FORWARD_QUERY >
                SELECT ts, accurateCastOrDefault(n, 'UInt32') AS n
            //- base: datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `n` UInt32

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"

            FORWARD_QUERY >
                SELECT ts, accurateCastOrDefault(n, 'UInt32') AS n
        "#,
        ),
    ],
};

fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    if cx.head.dialect != Dialect::Forward {
        return;
    }
    for c in &cx.plan.changes {
        if c.kind != ResourceKind::Datasource || c.method != Method::Rewrite {
            continue;
        }
        let Some(df) = cx.datafile(c) else { continue };
        let Some(fq) = &df.forward_query else {
            continue;
        };
        let base_fq = cx.base_datafile(c).and_then(|b| b.forward_query.as_ref());
        let deployed = base_fq.is_some_and(|b| norm(&b.text.text) == norm(&fq.text.text));
        let alter_only = c
            .details
            .iter()
            .all(|d| entry(d.what).forward <= Effect::Alter);
        // A deployed FORWARD_QUERY kept for a change that needs a rewrite anyway (a new sorting
        // key, a retype) carries the live rows for it: removing it now is not the advice.
        if deployed && !alter_only {
            continue;
        }
        let diag = if deployed {
            Diagnostic::warning(
                "forward-query-deployed",
                fq.keyword_range,
                format!(
                    "This FORWARD_QUERY is already deployed (base {}): its migration is done. Left in place it rewrites every row of `{}` on every deploy, and goes stale when the next column is added",
                    cx.base_label(),
                    c.resource
                ),
            )
        } else if alter_only && c.change == ChangeKind::Changed {
            let what: Vec<&str> = c.details.iter().map(|d| d.text.as_str()).collect();
            Diagnostic::warning(
                "forward-query-forces-rewrite",
                fq.keyword_range,
                format!(
                    "Against the deployed version ({}) this change is an ALTER in place ({}); the FORWARD_QUERY makes Tinybird rewrite every row of `{}` instead",
                    cx.base_label(),
                    what.join("; "),
                    c.resource
                ),
            )
        } else {
            continue;
        };
        let diag = match (cx.text)(&c.path).and_then(|t| remove_forward_query(df, &t)) {
            Some(edit) => diag.with_fix("Remove the FORWARD_QUERY", vec![edit]),
            None => diag,
        };
        push(out, &c.path, diag);
    }
}
