/**
 * tree-sitter grammar for Tinybird datafiles: .datasource, .pipe, .incl, .connection.
 *
 * Tinybird reads datafiles line by line (see ARCHITECTURE.md): a line is a command
 * (`KEYWORD args…`) or opens a block (`KEYWORD >`). Block content is every following line
 * until a line at column 0 whose first word is a known keyword; blank lines and `#` lines never
 * end a block. That rule is not context-free, so the external scanner (src/scanner.c) decides,
 * at the start of every line, whether the line continues the open block or starts a new item.
 *
 * The scanner uses the union of every keyword of both Tinybird dialects (Classic and Forward)
 * and every file kind. The Rust model re-applies the exact per-dialect, per-kind table, so this
 * tree is the structure for editors (highlighting, folding, injections) and the line source for
 * the model.
 */

const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)));

module.exports = grammar({
  name: 'tinybird',

  externals: ($) => [
    $._newline,
    $.keyword,
    $._node_keyword,
    $.content_line,
    $._schema_line,
    $._indexes_line,
    $._error_sentinel,
  ],

  extras: ($) => [/[ \t\r\f\n]/, $.comment, $.sql_comment],

  conflicts: ($) => [],

  rules: {
    source_file: ($) => seq(repeat($._item), repeat($.node_section)),

    _item: ($) => choice($.command, $.block),

    comment: (_) => token(seq('#', /[^\n]*/)),

    // Only meaningful inside SCHEMA and INDEXES lines (the official schema grammar strips
    // `--` comments); elsewhere `--` never reaches the lexer as a separate token.
    sql_comment: (_) => token(seq('--', /[^\n]*/)),

    // NODE <name>: everything up to the next NODE belongs to the node.
    node_section: ($) =>
      prec.right(
        seq(
          alias($._node_keyword, $.keyword),
          optional(seq(field('name', $.argument), repeat($.argument))),
          $._newline,
          repeat($._item),
        ),
      ),

    command: ($) =>
      seq(field('keyword', $.keyword), repeat(field('argument', $.argument)), $._newline),

    argument: ($) => choice($.string, $.word),

    string: (_) => token(choice(/"[^"\n]*"/, /'[^'\n]*'/)),

    word: (_) => token(prec(-1, /[^\s#]+/)),

    block: ($) =>
      seq(
        field('keyword', $.keyword),
        $.block_marker,
        optional($.ignored_text),
        $._newline,
        optional(field('body', choice($.schema_body, $.indexes_body, $.block_body))),
      ),

    block_marker: (_) => '>',

    // Text after `KEYWORD >` on the same line: the official parsers drop it.
    ignored_text: (_) => /[^\s#][^\n]*/,

    block_body: ($) => prec.right(repeat1(seq($.content_line, $._newline))),

    // ---- SCHEMA -----------------------------------------------------------------------------
    schema_body: ($) => prec.right(repeat1($.schema_line)),

    schema_line: ($) =>
      seq(
        $._schema_line,
        optional(commaSep1($.column_definition)),
        optional(','),
        $._newline,
      ),

    column_definition: ($) =>
      prec.right(
        seq(
          field('name', $.column_name),
          optional(field('type', $.column_type)),
          repeat(choice($.json_path, $.default_clause, $.codec_clause)),
        ),
      ),

    column_name: (_) => choice(/`[^`\n]*`/, /[A-Za-z0-9_.*<>+'\-]+/),

    column_type: ($) => prec.right(seq(field('name', $.type_name), optional($.type_arguments))),

    type_name: (_) => /[A-Za-z_][A-Za-z0-9_]*/,

    type_arguments: ($) => seq('(', optional(commaSep1($.type_argument)), ')'),

    type_argument: ($) =>
      prec.right(repeat1(choice($.column_type, $.number, $.string, '=', '-', /`[^`\n]*`/))),

    number: (_) => /-?[0-9]+(\.[0-9]+)?/,

    json_path: (_) => token(seq('`json:', /[^`\n]*/, '`')),

    default_clause: ($) =>
      seq(alias(token(prec(2, /[Dd][Ee][Ff][Aa][Uu][Ll][Tt]/)), 'DEFAULT'), $.expression),

    codec_clause: ($) =>
      seq(alias(token(prec(2, /[Cc][Oo][Dd][Ee][Cc]/)), 'CODEC'), $.parenthesized),

    expression: ($) => prec.right(repeat1(choice($.expression_word, $.string, $.parenthesized))),

    expression_word: (_) => token(prec(-1, /[^\s,`()'"#]+/)),

    parenthesized: ($) =>
      seq('(', repeat(choice($.expression_word, $.string, $.parenthesized, ',')), ')'),

    // ---- INDEXES ----------------------------------------------------------------------------
    indexes_body: ($) => prec.right(repeat1($.index_line)),

    index_line: ($) =>
      seq($._indexes_line, optional($.index_definition), optional(','), $._newline),

    index_definition: ($) =>
      seq(
        optional(alias(token(prec(2, /INDEX/)), 'INDEX')),
        field('name', $.index_name),
        field('expression', $.expression),
        alias(token(prec(3, 'TYPE')), 'TYPE'),
        field('type', $.column_type),
        optional(seq(alias(token(prec(3, 'GRANULARITY')), 'GRANULARITY'), field('granularity', $.number))),
      ),

    index_name: (_) => token(prec(1, /[A-Za-z_][A-Za-z0-9_]*/)),
  },
});
