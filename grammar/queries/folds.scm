(node_section) @fold
(block) @fold
