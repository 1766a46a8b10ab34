; Each NODE defines a name that later nodes of the same pipe may read in FROM.
(node_section) @local.scope
(node_section name: (argument) @local.definition)
(column_definition name: (column_name) @local.definition)
