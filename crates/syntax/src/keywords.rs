//! Keyword tables of the official parsers: one table for every file kind in Classic, one per
//! file kind in Forward (datafile-spec §3). Which words are keywords decides where blocks end.

use super::{Dialect, FileKind};

pub const ENGINE_PARAMS: &[&str] = &[
    "partition_key",
    "sorting_key",
    "primary_key",
    "sampling_key",
    "ttl",
    "settings",
    "ver",
    "is_deleted",
    "columns",
    "sign",
    "version",
];

const ENGINE_KEYWORDS: &[&str] = &[
    "engine",
    "engine_partition_key",
    "engine_sorting_key",
    "engine_primary_key",
    "engine_sampling_key",
    "engine_ttl",
    "engine_settings",
    "engine_ver",
    "engine_is_deleted",
    "engine_columns",
    "engine_sign",
    "engine_version",
];

const LEGACY_KEYS: &[&str] = &[
    "partition_key",
    "sorting_key",
    "primary_key",
    "sampling_key",
    "ttl",
];

const CLASSIC_OTHER: &[&str] = &[
    "from",
    "source",
    "maintainer",
    "schema",
    "indexes",
    "indices",
    "settings",
    "node",
    "scope",
    "description",
    "type",
    "datasource",
    "target_datasource",
    "copy_schedule",
    "copy_mode",
    "mode",
    "resource",
    "filter",
    "tags",
    "token",
    "test",
    "include",
    "sql",
    "version",
    "kafka_connection_name",
    "kafka_topic",
    "kafka_group_id",
    "kafka_bootstrap_servers",
    "kafka_key",
    "kafka_secret",
    "kafka_schema_registry_url",
    "kafka_target_partitions",
    "kafka_auto_offset_reset",
    "kafka_store_raw_value",
    "kafka_store_headers",
    "kafka_store_binary_headers",
    "kafka_key_format",
    "kafka_value_format",
    "kafka_key_avro_deserialization",
    "kafka_ssl_ca_pem",
    "kafka_sasl_mechanism",
    "kafka_sasl_oauthbearer_method",
    "kafka_sasl_oauthbearer_aws_region",
    "kafka_sasl_oauthbearer_aws_role_arn",
    "kafka_sasl_oauthbearer_aws_external_id",
    "import_service",
    "import_connection_name",
    "import_schedule",
    "import_strategy",
    "import_external_datasource",
    "import_bucket_uri",
    "import_from_timestamp",
    "import_format",
    "import_query",
    "import_table_arn",
    "import_export_bucket",
    "shared_with",
    "export_service",
    "export_connection_name",
    "export_schedule",
    "export_bucket_uri",
    "export_file_template",
    "export_format",
    "export_strategy",
    "export_compression",
    "export_write_strategy",
    "export_kafka_topic",
];

const FORWARD_DATASOURCE: &[&str] = &[
    "description",
    "token",
    "source",
    "schema",
    "indexes",
    "tags",
    "include",
    "version",
    "kafka_connection_name",
    "kafka_topic",
    "kafka_group_id",
    "kafka_auto_offset_reset",
    "kafka_store_raw_value",
    "kafka_store_headers",
    "kafka_key_format",
    "kafka_value_format",
    "kafka_store_binary_headers",
    "kafka_target_partitions",
    "import_connection_name",
    "import_schedule",
    "import_bucket_uri",
    "import_format",
    "import_from_timestamp",
    "import_query",
    "import_table_arn",
    "import_export_bucket",
    "import_strategy",
    "import_service",
    "import_external_datasource",
    "pg_connection_name",
    "pg_table",
    "shared_with",
    "export_service",
    "forward_query",
    "backfill",
];

const FORWARD_PIPE: &[&str] = &[
    "node",
    "scope",
    "description",
    "type",
    "datasource",
    "tags",
    "target_datasource",
    "copy_schedule",
    "copy_mode",
    "mode",
    "on_demand_compute",
    "filter",
    "token",
    "include",
    "sql",
    "version",
    "deployment_method",
    "export_service",
    "export_connection_name",
    "export_schedule",
    "export_bucket_uri",
    "export_file_template",
    "export_format",
    "export_strategy",
    "export_compression",
    "export_write_strategy",
    "export_kafka_topic",
];

const FORWARD_CONNECTION: &[&str] = &[
    "description",
    "type",
    "kafka_bootstrap_servers",
    "kafka_key",
    "kafka_secret",
    "kafka_schema_registry_url",
    "kafka_ssl_ca_pem",
    "kafka_security_protocol",
    "kafka_sasl_mechanism",
    "kafka_sasl_oauthbearer_method",
    "kafka_sasl_oauthbearer_aws_region",
    "kafka_sasl_oauthbearer_aws_role_arn",
    "kafka_sasl_oauthbearer_aws_external_id",
    "kafka_key_avro_deserialization",
    "s3_region",
    "s3_arn",
    "s3_access_key",
    "s3_secret",
    "dynamodb_arn",
    "dynamodb_region",
    "gcs_service_account_credentials_json",
    "gcs_access_id",
    "gcs_hmac_access_id",
    "gcs_secret",
    "gcs_hmac_secret",
    "pg_host",
    "pg_port",
    "pg_database",
    "pg_user",
    "pg_password",
    "pg_ssl_mode",
    "include",
];

/// Forward keywords that accept a `>` block; every other keyword rejects one.
const FORWARD_BLOCK_OK: &[&str] = &[
    "tags",
    "description",
    "shared_with",
    "schema",
    "indexes",
    "sql",
    "forward_query",
    "kafka_ssl_ca_pem",
];

/// Is `word` (already lower-cased) a keyword of this dialect for this file kind?
pub fn is_keyword(dialect: Dialect, kind: FileKind, word: &str) -> bool {
    if ENGINE_KEYWORDS.contains(&word) {
        return match dialect {
            Dialect::Classic => true,
            Dialect::Forward => kind == FileKind::Datasource,
        };
    }
    match dialect {
        Dialect::Classic => CLASSIC_OTHER.contains(&word) || LEGACY_KEYS.contains(&word),
        Dialect::Forward => match kind {
            FileKind::Datasource => {
                FORWARD_DATASOURCE.contains(&word) || LEGACY_KEYS.contains(&word)
            }
            FileKind::Pipe | FileKind::Include => FORWARD_PIPE.contains(&word),
            FileKind::Connection => FORWARD_CONNECTION.contains(&word),
        },
    }
}

/// Does this (Forward) keyword accept a `>` block? Classic accepts one for every keyword.
pub fn forward_accepts_block(word: &str) -> bool {
    FORWARD_BLOCK_OK.contains(&word) || ENGINE_KEYWORDS.contains(&word)
}

/// Every keyword of every dialect and kind, sorted: the set the tree-sitter scanner ends blocks
/// on. Built once.
pub fn keyword_union() -> &'static [&'static str] {
    static ALL: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<&'static str> = ENGINE_KEYWORDS
            .iter()
            .chain(LEGACY_KEYS)
            .chain(CLASSIC_OTHER)
            .chain(FORWARD_DATASOURCE)
            .chain(FORWARD_PIPE)
            .chain(FORWARD_CONNECTION)
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    })
}

/// All keywords valid for a dialect and kind (for did-you-mean suggestions).
pub fn keywords_for(dialect: Dialect, kind: FileKind) -> Vec<&'static str> {
    keyword_union()
        .iter()
        .copied()
        .filter(|k| is_keyword(dialect, kind, k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_keyword_list_matches_the_union() {
        let scanner = include_str!("../../../grammar/src/scanner.c");
        let start = scanner.find("KEYWORDS[] = {").unwrap();
        let end = start + scanner[start..].find("};").unwrap();
        let listed: Vec<&str> = scanner[start..end].split('"').skip(1).step_by(2).collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(
            listed, sorted,
            "scanner.c list must stay sorted (binary search)"
        );
        assert_eq!(listed, keyword_union());
    }

    #[test]
    fn per_kind_tables() {
        assert!(is_keyword(Dialect::Classic, FileKind::Pipe, "settings"));
        assert!(!is_keyword(Dialect::Forward, FileKind::Pipe, "settings"));
        assert!(!is_keyword(Dialect::Forward, FileKind::Datasource, "type"));
        assert!(is_keyword(
            Dialect::Forward,
            FileKind::Datasource,
            "version"
        ));
        assert!(!is_keyword(Dialect::Forward, FileKind::Pipe, "engine"));
    }

    #[test]
    fn vscode_grammar_keyword_list_matches_the_union() {
        // The TextMate grammar ends blocks on these words (every keyword but `from`, which
        // Classic keeps inside SQL); editors/vscode/scripts/gen-grammar.mjs writes it.
        let grammar = include_str!("../../../editors/vscode/syntaxes/tinybird.tmLanguage.json");
        let json: serde_json::Value = serde_json::from_str(grammar).unwrap();
        let begin = json["repository"]["command"]["begin"].as_str().unwrap();
        let list = begin
            .strip_prefix("(?i)^(")
            .and_then(|r| r.split(')').next())
            .unwrap();
        let mut listed: Vec<&str> = list.split('|').collect();
        listed.sort_unstable();
        let expected: Vec<&str> = keyword_union()
            .iter()
            .copied()
            .filter(|k| *k != "from")
            .collect();
        assert_eq!(
            listed, expected,
            "update KEYWORDS in editors/vscode/scripts/gen-grammar.mjs and run it"
        );
    }
}
