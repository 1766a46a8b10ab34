// External scanner for tree-sitter-tinybird.
//
// Decides, at the start of every line, what the line is:
//  - inside an open block: a body line, unless the line starts at column 0 with a word that is a
//    datafile keyword (and does not start with "from", which Classic never treats as a block end);
//  - elsewhere: the keyword of a command or block (any first word; unknown words are reported by
//    the Rust model, not by the grammar).
// Blank lines are skipped; `#` lines are left to the internal lexer as comments (extras).
//
// The keyword set is the union of every keyword of both dialects and every file kind; the Rust
// model applies the exact per-dialect, per-kind rules (src/syntax/keywords.rs).

#include "tree_sitter/parser.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum TokenType {
  NEWLINE,
  KEYWORD,
  NODE_KEYWORD,
  CONTENT_LINE,
  SCHEMA_LINE,
  INDEXES_LINE,
  ERROR_SENTINEL,
};

enum BlockKind { BLOCK_OTHER = 0, BLOCK_SCHEMA = 1, BLOCK_INDEXES = 2 };

typedef struct {
  uint8_t last_keyword;
} Scanner;

// Sorted, lower case. Keep in sync with KEYWORD_UNION in src/syntax/keywords.rs (a Rust test
// checks that both lists are equal).
static const char *const KEYWORDS[] = {
    "backfill",
    "copy_mode",
    "copy_schedule",
    "datasource",
    "deployment_method",
    "description",
    "dynamodb_arn",
    "dynamodb_region",
    "engine",
    "engine_columns",
    "engine_is_deleted",
    "engine_partition_key",
    "engine_primary_key",
    "engine_sampling_key",
    "engine_settings",
    "engine_sign",
    "engine_sorting_key",
    "engine_ttl",
    "engine_ver",
    "engine_version",
    "export_bucket_uri",
    "export_compression",
    "export_connection_name",
    "export_file_template",
    "export_format",
    "export_kafka_topic",
    "export_schedule",
    "export_service",
    "export_strategy",
    "export_write_strategy",
    "filter",
    "forward_query",
    "from",
    "gcs_access_id",
    "gcs_hmac_access_id",
    "gcs_hmac_secret",
    "gcs_secret",
    "gcs_service_account_credentials_json",
    "import_bucket_uri",
    "import_connection_name",
    "import_export_bucket",
    "import_external_datasource",
    "import_format",
    "import_from_timestamp",
    "import_query",
    "import_schedule",
    "import_service",
    "import_strategy",
    "import_table_arn",
    "include",
    "indexes",
    "indices",
    "kafka_auto_offset_reset",
    "kafka_bootstrap_servers",
    "kafka_connection_name",
    "kafka_group_id",
    "kafka_key",
    "kafka_key_avro_deserialization",
    "kafka_key_format",
    "kafka_sasl_mechanism",
    "kafka_sasl_oauthbearer_aws_external_id",
    "kafka_sasl_oauthbearer_aws_region",
    "kafka_sasl_oauthbearer_aws_role_arn",
    "kafka_sasl_oauthbearer_method",
    "kafka_schema_registry_url",
    "kafka_secret",
    "kafka_security_protocol",
    "kafka_ssl_ca_pem",
    "kafka_store_binary_headers",
    "kafka_store_headers",
    "kafka_store_raw_value",
    "kafka_target_partitions",
    "kafka_topic",
    "kafka_value_format",
    "maintainer",
    "mode",
    "node",
    "on_demand_compute",
    "partition_key",
    "pg_connection_name",
    "pg_database",
    "pg_host",
    "pg_password",
    "pg_port",
    "pg_ssl_mode",
    "pg_table",
    "pg_user",
    "primary_key",
    "resource",
    "s3_access_key",
    "s3_arn",
    "s3_region",
    "s3_secret",
    "sampling_key",
    "schema",
    "scope",
    "settings",
    "shared_with",
    "sorting_key",
    "source",
    "sql",
    "tags",
    "target_datasource",
    "test",
    "token",
    "ttl",
    "type",
    "version",
};

#define KEYWORD_COUNT (sizeof(KEYWORDS) / sizeof(KEYWORDS[0]))
#define MAX_WORD 64

static bool is_keyword(const char *word) {
  size_t lo = 0, hi = KEYWORD_COUNT;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(word, KEYWORDS[mid]);
    if (c == 0) return true;
    if (c < 0) hi = mid; else lo = mid + 1;
  }
  return false;
}

static bool is_space(int32_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

static bool is_word_end(TSLexer *lexer) {
  int32_t c = lexer->lookahead;
  return lexer->eof(lexer) || c == '\n' || is_space(c) || c == '#';
}

// Reads the first word of the line (up to white space or `#`), lower-cased into `out` (empty
// when the word cannot be a keyword: too long or not ASCII). Returns how many characters it read.
static size_t read_word(TSLexer *lexer, char *out) {
  size_t n = 0, read = 0;
  bool fits = true;
  while (!is_word_end(lexer)) {
    int32_t c = lexer->lookahead;
    if (n < MAX_WORD - 1 && c < 128) {
      out[n++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    } else {
      fits = false;
    }
    lexer->advance(lexer, false);
    read++;
  }
  out[fits ? n : 0] = 0;
  return read;
}

static void consume_rest_of_line(TSLexer *lexer) {
  while (!lexer->eof(lexer) && lexer->lookahead != '\n') {
    int32_t c = lexer->lookahead;
    lexer->advance(lexer, false);
    if (c != '\r') lexer->mark_end(lexer);
  }
}

static bool emit_keyword(Scanner *s, TSLexer *lexer, const bool *valid, const char *word) {
  lexer->mark_end(lexer);
  if (strcmp(word, "node") == 0 && valid[NODE_KEYWORD]) {
    lexer->result_symbol = NODE_KEYWORD;
    s->last_keyword = BLOCK_OTHER;
    return true;
  }
  if (!valid[KEYWORD]) return false;
  lexer->result_symbol = KEYWORD;
  if (strcmp(word, "schema") == 0) {
    s->last_keyword = BLOCK_SCHEMA;
  } else if (strcmp(word, "indexes") == 0 || strcmp(word, "indices") == 0) {
    s->last_keyword = BLOCK_INDEXES;
  } else {
    s->last_keyword = BLOCK_OTHER;
  }
  return true;
}

void *tree_sitter_tinybird_external_scanner_create(void) {
  Scanner *s = (Scanner *)calloc(1, sizeof(Scanner));
  return s;
}

void tree_sitter_tinybird_external_scanner_destroy(void *payload) { free(payload); }

unsigned tree_sitter_tinybird_external_scanner_serialize(void *payload, char *buffer) {
  Scanner *s = (Scanner *)payload;
  buffer[0] = (char)s->last_keyword;
  return 1;
}

void tree_sitter_tinybird_external_scanner_deserialize(void *payload, const char *buffer, unsigned length) {
  Scanner *s = (Scanner *)payload;
  s->last_keyword = length > 0 ? (uint8_t)buffer[0] : BLOCK_OTHER;
}

bool tree_sitter_tinybird_external_scanner_scan(void *payload, TSLexer *lexer, const bool *valid) {
  Scanner *s = (Scanner *)payload;
  if (valid[ERROR_SENTINEL]) return false;

  if (valid[NEWLINE]) {
    while (is_space(lexer->lookahead)) lexer->advance(lexer, true);
    if (lexer->lookahead == '\n') {
      lexer->advance(lexer, false);
      lexer->mark_end(lexer);
      lexer->result_symbol = NEWLINE;
      return true;
    }
    if (lexer->eof(lexer)) {
      lexer->mark_end(lexer);
      lexer->result_symbol = NEWLINE;
      return true;
    }
    return false;
  }

  bool body = valid[CONTENT_LINE] || valid[SCHEMA_LINE] || valid[INDEXES_LINE];
  if (!body && !valid[KEYWORD] && !valid[NODE_KEYWORD]) return false;

  // Skip blank lines and indentation.
  for (;;) {
    if (is_space(lexer->lookahead)) {
      lexer->advance(lexer, true);
    } else if (lexer->lookahead == '\n') {
      lexer->advance(lexer, true);
    } else {
      break;
    }
  }
  if (lexer->eof(lexer)) return false;
  if (lexer->lookahead == '#') return false;  // a comment line: an extra

  bool indented = lexer->get_column(lexer) != 0;
  lexer->mark_end(lexer);

  char word[MAX_WORD];
  word[0] = 0;
  size_t read = 0;
  if (body) {
    if (!indented) {
      read = read_word(lexer, word);
      if (is_keyword(word) && strncmp(word, "from", 4) != 0) {
        return emit_keyword(s, lexer, valid, word);
      }
    }
    if (s->last_keyword == BLOCK_SCHEMA && valid[SCHEMA_LINE]) {
      lexer->result_symbol = SCHEMA_LINE;
      return true;
    }
    if (s->last_keyword == BLOCK_INDEXES && valid[INDEXES_LINE]) {
      lexer->result_symbol = INDEXES_LINE;
      return true;
    }
    if (!valid[CONTENT_LINE]) return false;
    if (read > 0) lexer->mark_end(lexer);
    consume_rest_of_line(lexer);
    lexer->result_symbol = CONTENT_LINE;
    return true;
  }

  if (read_word(lexer, word) == 0) return false;
  return emit_keyword(s, lexer, valid, word);
}
