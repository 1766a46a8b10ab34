// Generates syntaxes/tinybird.tmLanguage.json, the TextMate grammar of Tinybird datafiles.
// Run: node scripts/gen-grammar.mjs   (the output is committed; tests/editor_grammar.rs checks
// that its keyword list equals the official parsers' keyword tables, keywords::keyword_union).
//
// Block rules follow the official parsers (datafile-spec §1.1): `KEYWORD >` opens a block; a
// blank line or a `#` line does not end it; a line that starts at column 0 with a datafile
// keyword does (`FROM` excepted: Classic keeps such a line in the SQL); anything indented is
// content.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// keywords::keyword_union(), minus `from` (Classic never ends a block on a `from` line).
const KEYWORDS = `backfill copy_mode copy_schedule datasource deployment_method description
dynamodb_arn dynamodb_region engine engine_columns engine_is_deleted engine_partition_key
engine_primary_key engine_sampling_key engine_settings engine_sign engine_sorting_key engine_ttl
engine_ver engine_version export_bucket_uri export_compression export_connection_name
export_file_template export_format export_kafka_topic export_schedule export_service
export_strategy export_write_strategy filter forward_query gcs_access_id gcs_hmac_access_id
gcs_hmac_secret gcs_secret gcs_service_account_credentials_json import_bucket_uri
import_connection_name import_export_bucket import_external_datasource import_format
import_from_timestamp import_query import_schedule import_service import_strategy
import_table_arn include indexes indices kafka_auto_offset_reset kafka_bootstrap_servers
kafka_connection_name kafka_group_id kafka_key kafka_key_avro_deserialization kafka_key_format
kafka_sasl_mechanism kafka_sasl_oauthbearer_aws_external_id kafka_sasl_oauthbearer_aws_region
kafka_sasl_oauthbearer_aws_role_arn kafka_sasl_oauthbearer_method kafka_schema_registry_url
kafka_secret kafka_security_protocol kafka_ssl_ca_pem kafka_store_binary_headers
kafka_store_headers kafka_store_raw_value kafka_target_partitions kafka_topic kafka_value_format
maintainer mode node on_demand_compute partition_key pg_connection_name pg_database pg_host
pg_password pg_port pg_ssl_mode pg_table pg_user primary_key resource s3_access_key s3_arn
s3_region s3_secret sampling_key schema scope settings shared_with sorting_key source sql tags
target_datasource test token ttl type version`.split(/\s+/);

const SQL_KEYWORDS = `select from where prewhere group by order having limit offset join left right inner
outer full cross any all array on using as with union distinct and or not in is null like ilike
between case when then else end interval final sample settings format global asc desc nulls
first last true false exists over partition rows range preceding following unbounded current
row qualify fill step totals cube rollup asof semi anti into values insert create table view
materialized to if except intersect window`.split(/\s+/);

// Template functions (datafile-spec §7, VALID_FUNCTION_NAMES).
const TEMPLATE_FUNCTIONS = `String Boolean DateTime DateTime64 Date Float32 Float64 Int Integer Int8
Int16 Int32 Int64 Int128 Int256 UInt8 UInt16 UInt32 UInt64 UInt128 UInt256 Array JSON defined
column columns symbol table TABLE sql_and split_to_array enumerate_with_last day_diff
date_diff_in_seconds date_diff_in_minutes date_diff_in_hours date_diff_in_days sql_unescape
error custom_error max_threads cache_ttl backend_hint activate disable tb_secret tb_var len list
min max int float`.split(/\s+/);

const TEMPLATE_KEYWORDS = `if elif else end for in while try except finally set comment
whitespace break continue and or not is None True False`.split(/\s+/);

const alt = (words) => words.join("|");
const blockEnd = `^(?=(?i:${alt(KEYWORDS)})(?:[ \\t]|$))`;

const template = {
  patterns: [
    {
      name: "comment.block.template.tinybird",
      begin: "\\{#",
      end: "#\\}",
    },
    {
      name: "meta.embedded.template.statement.tinybird",
      begin: "(\\{%)",
      end: "(%\\})",
      beginCaptures: { 1: { name: "punctuation.section.embedded.begin.tinybird" } },
      endCaptures: { 1: { name: "punctuation.section.embedded.end.tinybird" } },
      patterns: [{ include: "#template-code" }],
    },
    {
      name: "meta.embedded.template.expression.tinybird",
      begin: "(\\{\\{)",
      end: "(\\}\\})",
      beginCaptures: { 1: { name: "punctuation.section.embedded.begin.tinybird" } },
      endCaptures: { 1: { name: "punctuation.section.embedded.end.tinybird" } },
      patterns: [{ include: "#template-code" }],
    },
  ],
};

const templateCode = {
  patterns: [
    { name: "keyword.control.template.tinybird", match: `\\b(?:${alt(TEMPLATE_KEYWORDS)})\\b` },
    {
      name: "support.function.template.tinybird",
      match: `\\b(?:${alt(TEMPLATE_FUNCTIONS)})(?=\\s*\\()`,
    },
    { name: "string.quoted.double.template.tinybird", match: '"(?:[^"\\\\]|\\\\.)*"' },
    { name: "string.quoted.single.template.tinybird", match: "'(?:[^'\\\\]|\\\\.)*'" },
    { name: "constant.numeric.template.tinybird", match: "\\b\\d+(?:\\.\\d+)?\\b" },
    { name: "variable.parameter.template.tinybird", match: "\\b[A-Za-z_][A-Za-z0-9_]*\\b" },
    { name: "keyword.operator.template.tinybird", match: "==|!=|<=|>=|[=<>+\\-*/%]" },
  ],
};

const sql = {
  patterns: [
    { include: "#template" },
    { name: "comment.line.double-dash.sql.tinybird", match: "--.*$" },
    { name: "comment.block.sql.tinybird", begin: "/\\*", end: "\\*/" },
    {
      name: "string.quoted.single.sql.tinybird",
      begin: "'",
      end: "'",
      patterns: [
        { name: "constant.character.escape.sql.tinybird", match: "\\\\.|''" },
        { include: "#template" },
      ],
    },
    { name: "variable.other.quoted.sql.tinybird", match: "`[^`]*`" },
    { name: "variable.other.quoted.sql.tinybird", match: '"[^"]*"' },
    { name: "constant.numeric.sql.tinybird", match: "\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b" },
    { name: "keyword.other.sql.tinybird", match: `(?i)\\b(?:${alt(SQL_KEYWORDS)})\\b` },
    {
      name: "support.function.sql.tinybird",
      match: "\\b[A-Za-z_][A-Za-z0-9_]*(?=\\s*\\()",
    },
    { name: "keyword.operator.sql.tinybird", match: "::|<=|>=|!=|<>|\\|\\||[=<>+\\-*/%]" },
  ],
};

const commentLine = {
  name: "comment.line.number-sign.tinybird",
  match: "^[ \\t]*#.*$",
};

const block = (name, keywords, content, extra = {}) => ({
  name: `meta.block.${name}.tinybird`,
  begin: `(?i)^(${alt(keywords)})[ \\t]+(>)(?:[ \\t]*(\\S.*))?$`,
  end: blockEnd,
  beginCaptures: {
    1: { name: "keyword.other.datafile.tinybird" },
    2: { name: "punctuation.definition.block.tinybird" },
    // Text after `>` is dropped by the official parsers.
    3: { name: "comment.line.ignored.tinybird" },
  },
  patterns: [commentLine, ...content],
  ...extra,
});

const grammar = {
  $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
  name: "Tinybird",
  scopeName: "source.tinybird",
  patterns: [
    commentLine,
    { include: "#sql-block" },
    { include: "#description-block" },
    { include: "#schema-block" },
    { include: "#other-block" },
    { include: "#node" },
    { include: "#resource-reference" },
    { include: "#enumerated" },
    { include: "#engine-expression" },
    { include: "#include" },
    { include: "#command" },
  ],
  repository: {
    "sql-block": block("sql", ["sql", "forward_query"], [], {
      contentName: "meta.embedded.block.sql",
      patterns: [
        commentLine,
        { name: "keyword.other.template-marker.tinybird", match: "^[ \\t]*%[ \\t]*$" },
        { include: "#sql" },
      ],
    }),
    "description-block": block("description", ["description"], [
      { name: "string.unquoted.description.tinybird", match: ".+" },
    ]),
    "schema-block": block("schema", ["schema", "indexes", "indices"], [{ include: "#column" }]),
    "other-block": block("other", ["[a-z_0-9]+"], [
      { include: "#template" },
      { name: "string.unquoted.block.tinybird", match: ".+" },
    ]),
    column: {
      patterns: [
        { name: "comment.line.double-dash.sql.tinybird", match: "--.*$" },
        {
          match: "^[ \\t]*(`[^`]*`|[A-Za-z_][A-Za-z0-9_.]*)[ \\t]+((?i:INDEX)\\b)?",
          captures: {
            1: { name: "variable.other.member.column.tinybird" },
            2: { name: "keyword.other.sql.tinybird" },
          },
        },
        { name: "string.other.json-path.tinybird", match: "`json:[^`]*`" },
        { name: "keyword.other.sql.tinybird", match: "\\b(?:DEFAULT|CODEC|TYPE|GRANULARITY|MATERIALIZED|ALIAS|EPHEMERAL)\\b" },
        {
          name: "storage.type.clickhouse.tinybird",
          match: "\\b(?:Nullable|LowCardinality|Array|Map|Tuple|Nested|SimpleAggregateFunction|AggregateFunction|Enum8|Enum16|Decimal(?:32|64|128|256)?|FixedString|DateTime64|DateTime|Date32|Date|U?Int(?:8|16|32|64|128|256)|Float(?:32|64)|BFloat16|String|UUID|IPv4|IPv6|Bool|JSON|Dynamic|Variant|Object)\\b",
        },
        { include: "#sql" },
      ],
    },
    node: {
      match: "(?i)^(node)[ \\t]+(\\S+)(.*)$",
      captures: {
        1: { name: "keyword.other.datafile.node.tinybird" },
        2: { name: "entity.name.function.node.tinybird" },
        3: { name: "comment.line.ignored.tinybird" },
      },
    },
    "resource-reference": {
      match: "(?i)^(datasource|target_datasource|kafka_connection_name|import_connection_name|export_connection_name|pg_connection_name)[ \\t]+(\\S+)",
      captures: {
        1: { name: "keyword.other.datafile.tinybird" },
        2: { name: "entity.name.type.resource.tinybird" },
      },
    },
    enumerated: {
      match: "(?i)^(type|copy_mode|mode|backfill|deployment_method)[ \\t]+(\\S+)",
      captures: {
        1: { name: "keyword.other.datafile.tinybird" },
        2: { name: "constant.language.tinybird" },
      },
    },
    "engine-expression": {
      begin: "(?i)^(engine_[a-z_]+|partition_key|sorting_key|primary_key|sampling_key|ttl|settings)[ \\t]+(?!>)",
      end: "$",
      beginCaptures: { 1: { name: "keyword.other.datafile.tinybird" } },
      patterns: [
        { include: "#value-comment" },
        {
          // The datafile's quotes around the expression.
          begin: "([\"'])",
          end: "\\1",
          patterns: [{ include: "#sql" }],
        },
        { include: "#sql" },
      ],
    },
    include: {
      match: "(?i)^(include)[ \\t]+(\"[^\"]*\"|'[^']*'|\\S+)",
      captures: {
        1: { name: "keyword.control.import.tinybird" },
        2: { name: "string.other.path.tinybird" },
      },
    },
    command: {
      begin: `(?i)^(${alt(KEYWORDS)})(?=[ \\t]|$)`,
      end: "$",
      beginCaptures: { 1: { name: "keyword.other.datafile.tinybird" } },
      patterns: [
        { include: "#value-comment" },
        { include: "#template" },
        { name: "string.quoted.double.tinybird", match: '"[^"]*"' },
        { name: "string.quoted.single.tinybird", match: "'[^']*'" },
        { name: "constant.numeric.tinybird", match: "\\b\\d+(?:\\.\\d+)?\\b" },
        { name: "variable.other.environment.tinybird", match: "\\$\\{?[A-Za-z_][A-Za-z0-9_]*\\}?" },
      ],
    },
    // `#` outside quotes ends a single-line value (shlex).
    "value-comment": {
      name: "comment.line.number-sign.tinybird",
      match: "#.*$",
    },
    template,
    "template-code": templateCode,
    sql,
  },
};

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "syntaxes", "tinybird.tmLanguage.json");
writeFileSync(out, JSON.stringify(grammar, null, 2) + "\n");
console.log(`wrote ${out}`);
