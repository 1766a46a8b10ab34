#!/usr/bin/env python3
"""ClickHouse's own parser (chdb `EXPLAIN AST`) for the SQL differential test.

stdin: a JSON list of SQL strings. stdout: a JSON list, one object per query:
  {"ok": true, "aliases": [alias or null per item of the first SELECT's select list],
   "tables": [every TableIdentifier, `db.name` or `name`, in the order of the AST]}
  {"ok": false, "error": "<ClickHouse message>"}
"""
import json
import re
import sys

import chdb


def tree(text):
    """EXPLAIN AST lines (one space of indent per level) -> nested [label, children]."""
    root = ["", []]
    stack = [(-1, root)]
    for line in text.splitlines():
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip(" "))
        node = [line.strip(), []]
        while stack[-1][0] >= depth:
            stack.pop()
        stack[-1][1][1].append(node)
        stack.append((depth, node))
    return root


def first(node, prefix):
    if node[0].startswith(prefix):
        return node
    for c in node[1]:
        found = first(c, prefix)
        if found:
            return found
    return None


def aliases(text):
    select = first(tree(text), "SelectQuery")
    if select is None:
        return []
    kids = select[1]
    lists = [k for k in kids[:2] if k[0].startswith("ExpressionList")]
    # With a WITH clause, the first two children are both expression lists.
    items = kids[1] if len(lists) == 2 else kids[0]
    out = []
    for item in items[1]:
        m = re.search(r"\(alias (.+?)\)(?: \(children \d+\))?$", item[0])
        out.append(m.group(1) if m else None)
    return out


def main():
    queries = json.load(sys.stdin)
    out = []
    for q in queries:
        try:
            res = chdb.query("EXPLAIN AST " + q, "TSVRaw")
            text = str(res)
            tables = re.findall(r"^\s*TableIdentifier (\S+)", text, re.M)
            out.append({"ok": True, "aliases": aliases(text), "tables": tables})
        except Exception as e:  # ClickHouse syntax errors and anything else
            out.append({"ok": False, "error": str(e).splitlines()[0][:300]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
