//! The codes the datafile reader reports when it validates what it read (the `syntax` crate's
//! SCHEMA parser and validation): columns and types, keys, node types and their settings,
//! connectors, secrets. Errors and warnings as in [`super::reader`]; documented on
//! docs/rules/datafile.md with them.

use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::Severity::{Error, Warning};

const PAGE: &str = "datafile.md";
const PUSH: &str =
    "a warning in Classic, whose parser accepts it: Tinybird rejects it when the file is pushed";

const fn code(
    name: &'static str,
    severity: syntax::diagnostics::Severity,
    summary: &'static str,
) -> Code {
    Code::new(name, severity, summary).on_page(PAGE)
}

pub const RULE: Rule = Rule {
    name: "validate",
    scope: Scope::File,
    check: Check::Reader,
    codes: &[
        code(
            "template-in-datafile",
            Error,
            "A template Forward cannot render in a datasource or connection",
        ),
        code(
            "schema-syntax",
            Error,
            "A SCHEMA column line that does not parse",
        ),
        code(
            "schema-type",
            Error,
            "A column type ClickHouse does not have",
        ),
        code(
            "schema-trailing-comma",
            Error,
            "A comma after the last SCHEMA column",
        ),
        code(
            "schema-order",
            Error,
            "Column attributes in an order the parser rejects",
        ),
        code("schema-index", Error, "An INDEX inside SCHEMA"),
        code(
            "schema-unsupported",
            Error,
            "A column attribute Tinybird does not support",
        ),
        code("schema-not-block", Warning, "`SCHEMA` without `>`"),
        code("missing-schema", Error, "A datasource without SCHEMA"),
        code(
            "invalid-index",
            Error,
            "An INDEXES line that does not parse",
        ),
        code("empty-pipe", Error, "A pipe without nodes"),
        code("invalid-node-type", Error, "A TYPE that is no node type").varies(PUSH),
        code("multiple-outputs", Error, "Two output nodes in one pipe"),
        code(
            "invalid-node-attribute",
            Error,
            "A keyword the node's type does not take",
        ),
        code(
            "materialized-without-datasource",
            Error,
            "A materialized node without DATASOURCE",
        )
        .varies(PUSH),
        code(
            "copy-without-target",
            Error,
            "A copy node without TARGET_DATASOURCE",
        )
        .varies(PUSH),
        code(
            "invalid-copy-mode",
            Error,
            "A COPY_MODE other than append or replace",
        )
        .varies(PUSH),
        code(
            "invalid-copy-schedule",
            Error,
            "A COPY_SCHEDULE that is no cron expression",
        ),
        code(
            "sink-without-connection",
            Error,
            "A sink node without EXPORT_CONNECTION_NAME",
        ),
        code(
            "sink-parameters",
            Error,
            "A sink node whose EXPORT_ settings are not one kind of sink's",
        ),
        code(
            "kafka-incomplete",
            Error,
            "A Kafka datasource missing its connection or topic",
        ),
        code(
            "sorting-key-nullable",
            Error,
            "A Nullable column in the sorting key",
        ),
        code(
            "sorting-key-aggregate",
            Error,
            "An AggregateFunction column in the sorting key",
        ),
        code(
            "sorting-key-version",
            Error,
            "The ReplacingMergeTree version column in the sorting key",
        ),
        code(
            "connection-in-classic",
            Warning,
            "A .connection file with settings in a Classic project, which never reads one",
        ),
        code(
            "secret-without-default",
            Warning,
            "A secret with no default value",
        ),
        code("duplicate-node", Warning, "Two nodes with one name"),
        code(
            "unsupported-engine",
            Warning,
            "An engine Tinybird does not support",
        ),
        code(
            "engine-column-missing",
            Warning,
            "An ENGINE_* key naming a column the SCHEMA lacks",
        ),
    ],
    examples: EXAMPLES,
};

/// For each code, a project where it is reported (at the marked range when there is one) and
/// a neighbouring one where it is not.
const EXAMPLES: &[Example] = &[
    Example::reported(
        "template-in-datafile",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ENGINE_TTL "{{ ttl_days }}"
    "#,
    ),
    Example::not_reported(
        "template-in-datafile",
        r#"
        //- dialect: forward
        //- connections/k.connection
        TYPE kafka
        KAFKA_BOOTSTRAP_SERVERS {{ tb_secret('KAFKA_SERVERS', 'localhost:9092') }}
    "#,
    ),
    Example::reported(
        "schema-syntax",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            ⟦`x String⟧
    "#,
    ),
    Example::not_reported(
        "schema-syntax",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
    "#,
    ),
    Example::reported(
        "schema-type",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` ⟦Strng⟧
    "#,
    ),
    Example::not_reported(
        "schema-type",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` LowCardinality(Nullable(String))
    "#,
    ),
    Example::reported(
        "schema-trailing-comma",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String,
            `y` String,
    "#,
    ),
    Example::not_reported(
        "schema-trailing-comma",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String,
            `y` String
    "#,
    ),
    Example::reported(
        "schema-order",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String DEFAULT 'a' `json:$.x`
    "#,
    ),
    Example::not_reported(
        "schema-order",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String `json:$.x` DEFAULT 'a'
    "#,
    ),
    Example::reported(
        "schema-index",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String,
            INDEX ix x TYPE bloom_filter GRANULARITY 1
    "#,
    ),
    Example::not_reported(
        "schema-index",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String

        INDEXES >
            ix x TYPE bloom_filter GRANULARITY 1
    "#,
    ),
    Example::reported(
        "schema-unsupported",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String ALIAS 'a'
    "#,
    ),
    Example::not_reported(
        "schema-unsupported",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String DEFAULT 'a'
    "#,
    ),
    Example::reported(
        "schema-not-block",
        r#"
        //- datasources/a.datasource
        SCHEMA `x` String
    "#,
    ),
    Example::not_reported(
        "schema-not-block",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
    "#,
    ),
    Example::reported(
        "missing-schema",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        ENGINE "MergeTree"
    "#,
    ),
    Example::not_reported(
        "missing-schema",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ENGINE "MergeTree"
    "#,
    ),
    Example::reported(
        "invalid-index",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String

        INDEXES >
        ⟦    ix x bloom_filter⟧
    "#,
    ),
    Example::not_reported(
        "invalid-index",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String

        INDEXES >
            ix x TYPE bloom_filter GRANULARITY 1
    "#,
    ),
    Example::reported(
        "empty-pipe",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        DESCRIPTION nothing here
    "#,
    ),
    Example::not_reported(
        "empty-pipe",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1
    "#,
    ),
    Example::reported(
        "invalid-node-type",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1
        TYPE ⟦api⟧
    "#,
    ),
    Example::not_reported(
        "invalid-node-type",
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
        "multiple-outputs",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE a
        SQL >
            SELECT 1
        TYPE endpoint

        NODE b
        SQL >
            SELECT 2
        TYPE ⟦endpoint⟧
    "#,
    ),
    Example::not_reported(
        "multiple-outputs",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE a
        SQL >
            SELECT 1

        NODE b
        SQL >
            SELECT * FROM a
        TYPE endpoint
    "#,
    ),
    Example::reported(
        "invalid-node-attribute",
        r#"
        //- dialect: forward
        //- datasources/t.datasource
        SCHEMA >
            `x` UInt8
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE materialized
        DATASOURCE t
        COPY_MODE ⟦append⟧
    "#,
    ),
    Example::not_reported(
        "invalid-node-attribute",
        r#"
        //- dialect: forward
        //- datasources/t.datasource
        SCHEMA >
            `x` UInt8
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE copy
        TARGET_DATASOURCE t
        COPY_SCHEDULE @on-demand
    "#,
    ),
    Example::reported(
        "materialized-without-datasource",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE ⟦materialized⟧
    "#,
    ),
    Example::not_reported(
        "materialized-without-datasource",
        r#"
        //- dialect: forward
        //- datasources/t.datasource
        SCHEMA >
            `x` UInt8
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE materialized
        DATASOURCE t
    "#,
    ),
    Example::reported(
        "copy-without-target",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE ⟦copy⟧
    "#,
    ),
    Example::not_reported(
        "copy-without-target",
        r#"
        //- dialect: forward
        //- datasources/t.datasource
        SCHEMA >
            `x` UInt8
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE copy
        TARGET_DATASOURCE t
    "#,
    ),
    Example::reported(
        "invalid-copy-mode",
        r#"
        //- dialect: forward
        //- datasources/t.datasource
        SCHEMA >
            `x` UInt8
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE copy
        TARGET_DATASOURCE t
        COPY_MODE ⟦overwrite⟧
    "#,
    ),
    Example::not_reported(
        "invalid-copy-mode",
        r#"
        //- dialect: forward
        //- datasources/t.datasource
        SCHEMA >
            `x` UInt8
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE copy
        TARGET_DATASOURCE t
        COPY_MODE replace
    "#,
    ),
    Example::reported(
        "invalid-copy-schedule",
        r#"
        //- dialect: forward
        //- datasources/t.datasource
        SCHEMA >
            `x` UInt8
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE copy
        TARGET_DATASOURCE t
        COPY_SCHEDULE ⟦hourly⟧
    "#,
    ),
    Example::not_reported(
        "invalid-copy-schedule",
        r#"
        //- dialect: forward
        //- datasources/t.datasource
        SCHEMA >
            `x` UInt8
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE copy
        TARGET_DATASOURCE t
        COPY_SCHEDULE 0 * * * *
    "#,
    ),
    Example::reported(
        "sink-without-connection",
        r#"
        //- dialect: forward
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE sink
        EXPORT_BUCKET_URI s3://bucket/prefix
    "#,
    ),
    Example::not_reported(
        "sink-without-connection",
        r#"
        //- dialect: forward
        //- connections/s3.connection
        TYPE s3
        S3_REGION eu-west-1
        S3_ARN arn:aws:iam::123456789012:role/tb
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE sink
        EXPORT_CONNECTION_NAME s3
        EXPORT_BUCKET_URI s3://bucket/prefix
        EXPORT_FILE_TEMPLATE out
        EXPORT_SCHEDULE @on-demand
        EXPORT_FORMAT csv
    "#,
    ),
    Example::reported(
        "sink-parameters",
        r#"
        //- dialect: forward
        //- connections/k.connection
        TYPE kafka
        KAFKA_BOOTSTRAP_SERVERS localhost:9092
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE sink
        EXPORT_CONNECTION_NAME k
        EXPORT_KAFKA_TOPIC events
        EXPORT_SCHEDULE @on-demand
        ⟦EXPORT_FORMAT⟧ json
    "#,
    ),
    Example::not_reported(
        "sink-parameters",
        r#"
        //- dialect: forward
        //- connections/k.connection
        TYPE kafka
        KAFKA_BOOTSTRAP_SERVERS localhost:9092
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1 AS x
        TYPE sink
        EXPORT_CONNECTION_NAME k
        EXPORT_KAFKA_TOPIC events
        EXPORT_SCHEDULE @on-demand
    "#,
    ),
    Example::reported(
        "kafka-incomplete",
        r#"
        //- dialect: forward
        //- connections/k.connection
        TYPE kafka
        KAFKA_BOOTSTRAP_SERVERS localhost:9092
        //- datasources/a.datasource
        SCHEMA >
            `x` String `json:$.x`
        KAFKA_CONNECTION_NAME k
    "#,
    ),
    Example::not_reported(
        "kafka-incomplete",
        r#"
        //- dialect: forward
        //- connections/k.connection
        TYPE kafka
        KAFKA_BOOTSTRAP_SERVERS localhost:9092
        //- datasources/a.datasource
        SCHEMA >
            `x` String `json:$.x`
        KAFKA_CONNECTION_NAME k
        KAFKA_TOPIC events
        KAFKA_GROUP_ID events_group
    "#,
    ),
    Example::reported(
        "sorting-key-nullable",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` Nullable(String)
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY ⟦"x"⟧
    "#,
    ),
    Example::not_reported(
        "sorting-key-nullable",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "x"
    "#,
    ),
    Example::reported(
        "sorting-key-aggregate",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `d` Date,
            `n` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY ⟦"d, n"⟧
    "#,
    ),
    Example::not_reported(
        "sorting-key-aggregate",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `d` Date,
            `n` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "d"
    "#,
    ),
    Example::reported(
        "sorting-key-version",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `id` String,
            `v` UInt64
        ENGINE "ReplacingMergeTree"
        ENGINE_SORTING_KEY ⟦"id, v"⟧
        ENGINE_VER "v"
    "#,
    ),
    Example::not_reported(
        "sorting-key-version",
        r#"
        //- dialect: forward
        //- datasources/a.datasource
        SCHEMA >
            `id` String,
            `v` UInt64
        ENGINE "ReplacingMergeTree"
        ENGINE_SORTING_KEY "id"
        ENGINE_VER "v"
    "#,
    ),
    Example::reported(
        "connection-in-classic",
        r#"
        //- dialect: classic
        //- k.connection
        TYPE kafka
        ⟦KAFKA_BOOTSTRAP_SERVERS localhost:9092⟧
    "#,
    ),
    // What the Classic CLI's `tb connection create` writes.
    Example::not_reported(
        "connection-in-classic",
        r#"
        //- dialect: classic
        //- bigquery.connection
        TYPE bigquery

    "#,
    ),
    Example::not_reported(
        "connection-in-classic",
        r#"
        //- dialect: forward
        //- connections/k.connection
        TYPE kafka
        KAFKA_BOOTSTRAP_SERVERS localhost:9092
    "#,
    ),
    Example::reported(
        "secret-without-default",
        r#"
        //- dialect: forward
        //- connections/k.connection
        TYPE kafka
        KAFKA_BOOTSTRAP_SERVERS {{ tb_secret('KAFKA_SERVERS') }}
    "#,
    ),
    Example::not_reported(
        "secret-without-default",
        r#"
        //- dialect: forward
        //- connections/k.connection
        TYPE kafka
        KAFKA_BOOTSTRAP_SERVERS {{ tb_secret('KAFKA_SERVERS', 'localhost:9092') }}
    "#,
    ),
    Example::reported(
        "duplicate-node",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1

        NODE ⟦n⟧
        SQL >
            SELECT 2
    "#,
    ),
    Example::not_reported(
        "duplicate-node",
        r#"
        //- pipes/p.pipe
        NODE n
        SQL >
            SELECT 1

        NODE m
        SQL >
            SELECT * FROM n
    "#,
    ),
    Example::reported(
        "unsupported-engine",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ENGINE ⟦"Log"⟧
    "#,
    ),
    Example::not_reported(
        "unsupported-engine",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `x` String
        ENGINE "MergeTree"
    "#,
    ),
    Example::reported(
        "engine-column-missing",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `id` String
        ENGINE "ReplacingMergeTree"
        ENGINE_SORTING_KEY "id"
        ENGINE_VER ⟦"updated_at"⟧
    "#,
    ),
    Example::not_reported(
        "engine-column-missing",
        r#"
        //- datasources/a.datasource
        SCHEMA >
            `id` String,
            `updated_at` DateTime
        ENGINE "ReplacingMergeTree"
        ENGINE_SORTING_KEY "id"
        ENGINE_VER "updated_at"
    "#,
    ),
];
