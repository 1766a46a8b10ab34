; SQL inside `SQL >` and `FORWARD_QUERY >` blocks. The body may start with a `%` line and hold
; Tornado template tags; SQL grammars treat those as errors, which is the best an injection can do.
(block
  keyword: (keyword) @_kw
  body: (block_body) @injection.content
  (#any-of? @_kw "SQL" "sql" "Sql" "FORWARD_QUERY" "forward_query")
  (#set! injection.language "sql"))

; Engine expressions are ClickHouse SQL too.
(command
  keyword: (keyword) @_kw
  argument: (argument (string) @injection.content)
  (#any-of? @_kw "ENGINE_SORTING_KEY" "ENGINE_PARTITION_KEY" "ENGINE_TTL" "ENGINE_PRIMARY_KEY"
    "ENGINE_SAMPLING_KEY" "ENGINE_SETTINGS")
  (#offset! @injection.content 0 1 0 -1)
  (#set! injection.language "sql"))
