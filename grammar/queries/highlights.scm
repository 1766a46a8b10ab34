; Tinybird datafiles. Capture names follow the common tree-sitter conventions used by Neovim,
; Helix and Zed.

(comment) @comment
(sql_comment) @comment

(keyword) @keyword

(node_section
  (keyword) @keyword
  name: (argument) @label)

(block_marker) @punctuation.special
(ignored_text) @comment

(string) @string
(number) @number

; Node types and other enumerated values
(command
  keyword: (keyword) @_kw
  argument: (argument (word) @constant)
  (#any-of? @_kw "TYPE" "type" "Type" "COPY_MODE" "copy_mode" "MODE" "mode"
    "BACKFILL" "backfill" "DEPLOYMENT_METHOD" "deployment_method"))

; Names of other resources
(command
  keyword: (keyword) @_kw
  argument: (argument) @type
  (#any-of? @_kw "DATASOURCE" "datasource" "TARGET_DATASOURCE" "target_datasource"
    "KAFKA_CONNECTION_NAME" "IMPORT_CONNECTION_NAME" "EXPORT_CONNECTION_NAME" "PG_CONNECTION_NAME"))

; INCLUDE paths
(command
  keyword: (keyword) @_kw
  argument: (argument (string) @string.special.path)
  (#any-of? @_kw "INCLUDE" "include"))

; TOKEN "name" READ
(command
  keyword: (keyword) @_kw
  argument: (argument (word) @constant.builtin)
  (#any-of? @_kw "TOKEN" "token"))

; Prose blocks
(block
  keyword: (keyword) @_kw
  body: (block_body (content_line) @string.documentation)
  (#any-of? @_kw "DESCRIPTION" "description" "Description"))

; SCHEMA
(column_definition name: (column_name) @variable.member)
(type_name) @type.builtin
(json_path) @string.special
"DEFAULT" @keyword
"CODEC" @keyword
(expression_word) @variable

; INDEXES
(index_name) @variable.member
"INDEX" @keyword
"TYPE" @keyword
"GRANULARITY" @keyword

["(" ")"] @punctuation.bracket
"," @punctuation.delimiter
"=" @operator
