//! `incomparable-types`: a comparison whose sides have types ClickHouse cannot compare,
//! whatever their values (`string_column = 1`: "There is no supertype for types String,
//! UInt8", NO_COMMON_TYPE, code 386): it refuses the query, and Tinybird with it. The types
//! are the ones [`crate::types`] is certain of, and the refusals come from ClickHouse itself
//! (data/types.tsv: each comparison called on columns and constants of the probe types);
//! `tests/expression_types_chdb.rs` runs every node we report on chdb. Also a string constant
//! without a digit compared with a non-Nullable date or date-time (`ts > 'yesterday'`): no
//! such string reads as one (CANNOT_PARSE_DATETIME, code 41; CANNOT_PARSE_DATE, 38), unless a
//! template expression writes part of it.

use super::{push_column_reads, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::Severity::Warning;

pub const RULE: Rule = Rule {
    name: "incomparable_types",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[Code::new(
        "incomparable-types",
        Warning,
        "A comparison of two types ClickHouse cannot compare",
    )],
    examples: &[
        Example::reported(
            "incomparable-types",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String,
                `status` LowCardinality(String)
            //- pipes/p.pipe
            NODE failed
            SQL >
                SELECT ts, user_id FROM events WHERE ⟦status = 500⟧
            NODE mine
            SQL >
                %
                SELECT ts FROM events
                {% if defined(uid) %} WHERE ⟦user_id = toUInt64(42)⟧ {% end %}
        "#,
        ),
        Example::not_reported(
            "incomparable-types",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `user_id` String,
                `code` UInt16
            //- pipes/p.pipe
            NODE fine
            SQL >
                SELECT ts FROM events
                WHERE code = '500' AND user_id = toString(42) AND ts > '2024-01-01'
                    AND code IN (500, 503)
        "#,
        ),
        // A string no date-time reads; one a template fills in is the caller's.
        Example::reported(
            "incomparable-types",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime,
                `day` Date,
                `seen` Nullable(DateTime)
            //- pipes/p.pipe
            NODE recent
            SQL >
                %
                SELECT count() AS hits FROM events
                WHERE ⟦ts > 'yesterday'⟧ AND ⟦day != ''⟧ AND seen > 'never'
                {% if defined(since) %} AND ts > '{{ String(since) }}' {% end %}
                {% if defined(start) %} AND ts > {{ String(start) }} {% end %}
        "#,
        ),
        // Forward, in a template branch.
        Example::reported(
            "incomparable-types",
            r#"
            //- dialect: forward
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime `json:$.ts`,
                `country` String `json:$.country`

            ENGINE "MergeTree"
            ENGINE_SORTING_KEY "ts"
            //- endpoints/by_country.pipe
            NODE by_country
            SQL >
                %
                SELECT count() AS hits FROM events
                {% if defined(code) %} WHERE ⟦country > ts⟧ {% end %}
            TYPE endpoint
        "#,
        ),
    ],
};

pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    push_column_reads(cx, out, "incomparable-types", |facts| {
        facts
            .refused
            .iter()
            .map(|(ni, r)| {
                let c = &r.refusal;
                if let Some((text, _)) = &c.unparsable {
                    let (what, name) = if c.code == "38" {
                        ("date", "CANNOT_PARSE_DATE")
                    } else {
                        ("date-time", "CANNOT_PARSE_DATETIME")
                    };
                    return (
                        *ni,
                        r.range,
                        r.branch.as_ref(),
                        format!(
                            "ClickHouse cannot read '{text}' as a {what} to compare it with `{}` ({name}): the query fails. Write the {what} itself (`'2024-01-31'`), or compute it (`today() - 1`, `now()`)",
                            if c.left.is_time() { &c.left } else { &c.right }
                        ),
                    );
                }
                let why = if c.code == "386" {
                    "they have no common type (NO_COMMON_TYPE)"
                } else {
                    "its arguments have illegal types (ILLEGAL_TYPE_OF_ARGUMENT)"
                };
                (
                    *ni,
                    r.range,
                    r.branch.as_ref(),
                    format!(
                        "ClickHouse cannot compare `{}` with `{}` ({}): {why}, and it refuses the query; convert one side (`toString(…)`, `toUInt64OrZero(…)`, `parseDateTimeBestEffort(…)`)",
                        c.left, c.right, c.function
                    ),
                )
            })
            .collect()
    });
}
