//! The codes the datafile reader reports while reading a file's lines and statements (the
//! `syntax` crate's reader and builder): keywords, blocks, values, INCLUDE, templates, SQL.
//! What the official parser of the file's dialect rejects is an error; what it accepts but
//! Tinybird rejects when the file is pushed or deployed is a warning that says so. Documented
//! on one page, docs/rules/datafile.md, generated from these declarations.

use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::Severity::{Error, Warning};

const PAGE: &str = "datafile.md";

const fn code(
    name: &'static str,
    severity: syntax::diagnostics::Severity,
    summary: &'static str,
) -> Code {
    Code::new(name, severity, summary).on_page(PAGE)
}

pub const RULE: Rule = Rule {
    name: "reader",
    scope: Scope::File,
    check: Check::Reader,
    codes: &[
        code(
            "unknown-keyword",
            Error,
            "A keyword the dialect does not know in this kind of file",
        ),
        code(
            "unbalanced-quote",
            Error,
            "A line whose quote is never closed",
        ),
        code(
            "settings-not-allowed",
            Error,
            "`SETTINGS` as a datafile keyword",
        ),
        code(
            "keyword-before-node",
            Error,
            "A node keyword before any `NODE` line",
        ),
        code(
            "block-not-allowed",
            Error,
            "A `>` block where Forward takes one line",
        ),
        code(
            "sql-not-block",
            Error,
            "SQL written on the keyword's line instead of a block",
        ),
        code("empty-block", Error, "A `>` block with no lines"),
        code(
            "empty-query",
            Error,
            "A node without SQL, or with an empty query",
        ),
        code("missing-value", Error, "A keyword without its value"),
        code(
            "invalid-value",
            Error,
            "A value the keyword does not accept",
        ),
        code(
            "datasource-node",
            Error,
            "A `NODE` or `SQL` in a datasource file",
        )
        .varies("an error for a `NODE` (Classic rejects a second node); a warning for `SQL`, which Classic reads and ignores"),
        code(
            "include-not-found",
            Error,
            "An INCLUDE of a file that does not exist",
        ),
        code("include-cycle", Error, "Files that INCLUDE each other"),
        code("include-unsupported", Error, "INCLUDE in Forward"),
        code(
            "deprecated-keyword",
            Error,
            "A keyword Forward no longer supports or ignores",
        )
        .varies("an error where Forward rejects the keyword, a warning where it ignores it"),
        code(
            "legacy-engine-key",
            Warning,
            "An engine key without its `ENGINE_` prefix",
        ),
        code(
            "invalid-version",
            Error,
            "A VERSION that is not a whole number",
        ),
        code(
            "token-syntax",
            Error,
            "A TOKEN line without name and permission",
        ),
        code(
            "token-permission",
            Error,
            "A TOKEN permission the file kind does not grant",
        ),
        code(
            "template-syntax",
            Error,
            "A template tag the official parser rejects",
        ),
        code(
            "template-without-percent",
            Error,
            "Template syntax in SQL that does not start with `%`",
        ),
        code(
            "sql-syntax",
            Error,
            "SQL that ClickHouse is sure to reject (brackets, literals, characters it does not read)",
        ),
    ],
    examples: EXAMPLES,
};

/// For each code, a project where it is reported (at the marked range when there is one) and
/// a neighbouring one where it is not.
const EXAMPLES: &[Example] = &[
    Example::reported(
        "unknown-keyword",
        r#"
        //- datasources/a.datasource
        ⟦SCHEME⟧ >
            `x` String
    "#,
    ),
    Example::not_reported(
        "unknown-keyword",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
    "#,
    ),
    Example::reported(
        "unbalanced-quote",
        r#"
        //- pipes/p.pipe
        ⟦'hello world⟧
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::not_reported(
        "unbalanced-quote",
        r#"
        //- pipes/p.pipe
        DESCRIPTION 'hello world'
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::reported(
        "settings-not-allowed",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ⟦SETTINGS⟧ index_granularity = 8192
    "#,
    ),
    Example::not_reported(
        "settings-not-allowed",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ENGINE_SETTINGS "index_granularity=8192"
    "#,
    ),
    Example::reported(
        "keyword-before-node",
        r#"
        //- pipes/p.pipe
        ⟦TYPE⟧ endpoint
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::not_reported(
        "keyword-before-node",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1
        TYPE endpoint
    "#,
    ),
    Example::reported(
        "block-not-allowed",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1
        ⟦TYPE⟧ >
            endpoint
    "#,
    ),
    Example::not_reported(
        "block-not-allowed",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1
        TYPE endpoint
    "#,
    ),
    Example::reported(
        "sql-not-block",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ⟦FORWARD_QUERY⟧ SELECT x
    "#,
    ),
    Example::not_reported(
        "sql-not-block",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        FORWARD_QUERY >
            SELECT x
    "#,
    ),
    Example::reported(
        "empty-block",
        r#"
        //- datasources/a.datasource
        ⟦SCHEMA >⟧
    "#,
    ),
    Example::not_reported(
        "empty-block",
        r#"
        //- datasources/a.datasource
        DESCRIPTION >
        SCHEMA >
            `x` String
    "#,
    ),
    Example::reported(
        "empty-query",
        r#"
        //- pipes/p.pipe
        NODE ⟦n⟧
        DESCRIPTION no query
    "#,
    ),
    Example::not_reported(
        "empty-query",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::reported(
        "missing-value",
        r#"
        //- pipes/p.pipe
        ⟦NODE⟧
        SQL >
            SELECT 1
    "#,
    ),
    Example::not_reported(
        "missing-value",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::reported(
        "invalid-value",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        BACKFILL ⟦later⟧
    "#,
    ),
    Example::not_reported(
        "invalid-value",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        BACKFILL skip
    "#,
    ),
    Example::reported(
        "datasource-node",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ⟦NODE⟧ n
    "#,
    ),
    Example::reported(
        "datasource-node",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ⟦SQL⟧ >
            SELECT nope FROM nowhere
    "#,
    ),
    Example::not_reported(
        "datasource-node",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
    "#,
    ),
    Example::reported(
        "include-not-found",
        r#"
        //- pipes/p.pipe
        INCLUDE "missing.incl"
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::not_reported(
        "include-not-found",
        r#"
        //- pipes/p.pipe
        INCLUDE "common.incl"
        NODE n
        SQL >
            SELECT 1
        //- pipes/common.incl
        DESCRIPTION shared
    "#,
    ),
    Example::reported(
        "include-cycle",
        r#"
        //- pipes/p.pipe
        INCLUDE "a.incl"
        NODE n
        SQL >
            SELECT 1
        //- pipes/a.incl
        INCLUDE "b.incl"
        //- pipes/b.incl
        INCLUDE "a.incl"
    "#,
    ),
    Example::not_reported(
        "include-cycle",
        r#"
        //- pipes/p.pipe
        INCLUDE "a.incl"
        NODE n
        SQL >
            SELECT 1
        //- pipes/a.incl
        INCLUDE "b.incl"
        //- pipes/b.incl
        DESCRIPTION leaf
    "#,
    ),
    Example::reported(
        "include-unsupported",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        ⟦INCLUDE⟧ "common.incl"
        NODE n
        SQL >
            SELECT 1
        //- pipes/common.incl
        DESCRIPTION shared
    "#,
    ),
    Example::not_reported(
        "include-unsupported",
        r#"
        //- dialect: classic
        //- pipes/p.pipe
        INCLUDE "common.incl"
        NODE n
        SQL >
            SELECT 1
        //- pipes/common.incl
        DESCRIPTION shared
    "#,
    ),
    Example::reported(
        "deprecated-keyword",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        ⟦VERSION⟧ 2
        SCHEMA >
            `x` String
    "#,
    ),
    Example::not_reported(
        "deprecated-keyword",
        r#"
        //- dialect: classic
        //- datasources/a.datasource
        VERSION 2
        SCHEMA >
            `x` String
    "#,
    ),
    Example::reported(
        "legacy-engine-key",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ENGINE "MergeTree"
        ⟦SORTING_KEY⟧ "x"
    "#,
    ),
    Example::not_reported(
        "legacy-engine-key",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "x"
    "#,
    ),
    Example::reported(
        "invalid-version",
        r#"
        //- datasources/a.datasource
        VERSION ⟦two⟧
        SCHEMA >
            `x` String
    "#,
    ),
    Example::not_reported(
        "invalid-version",
        r#"
        //- datasources/a.datasource
        VERSION 2
        SCHEMA >
            `x` String
    "#,
    ),
    Example::reported(
        "token-syntax",
        r#"
        //- pipes/p.pipe
        ⟦TOKEN⟧ reader
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::not_reported(
        "token-syntax",
        r#"
        //- pipes/p.pipe
        TOKEN reader READ
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::reported(
        "token-permission",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        TOKEN reader ⟦APPEND⟧
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::not_reported(
        "token-permission",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        TOKEN writer APPEND
        SCHEMA >
            `x` String
    "#,
    ),
    Example::reported(
        "template-syntax",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            %
            SELECT 1 {% if defined(x) %} WHERE 1
    "#,
    ),
    Example::not_reported(
        "template-syntax",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            %
            SELECT 1 {% if defined(x) %} WHERE 1 {% end %}
    "#,
    ),
    Example::reported(
        "template-syntax",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            %
            SELECT 1 WHERE ts > {{ ⟦DateTme⟧(start, '2024-01-01 00:00:00') }}
                AND n < {{ ⟦Int(limit) / 2⟧ }} AND {{ columns(cols, 'a') }} != ''
    "#,
    ),
    Example::reported(
        "template-syntax",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            %
            SELECT 1 WHERE ts > {{ DateTime(start, ⟦'2024-01-01'⟧) }} AND n < {{ Int32(limit, ⟦1e3⟧) }}
                AND price > {{ Float32(min_price, '0.5') }} AND day = {{ Date(day, '2024-01-01') }}
    "#,
    ),
    Example::reported(
        "template-without-percent",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 WHERE x = ⟦{{ String(x) }}⟧
    "#,
    ),
    Example::not_reported(
        "template-without-percent",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            %
            SELECT 1 WHERE x = {{ String(x) }}
    "#,
    ),
    Example::reported(
        "sql-syntax",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT count(* FROM events
    "#,
    ),
    Example::not_reported(
        "sql-syntax",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT count() FROM (SELECT 1)
    "#,
    ),
    Example::reported(
        "sql-syntax",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT count() AS número FROM (SELECT 1)
    "#,
    ),
    Example::not_reported(
        "sql-syntax",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT count() AS `número` FROM (SELECT 1)
    "#,
    ),
];
