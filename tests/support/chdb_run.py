"""Runs SQL scripts on chdb (ClickHouse in-process), each in a fresh session.

Input (stdin): JSON list of {"setup": [sql, ...], "query": sql}. Output (stdout): JSON list of
{"ok": bool, "error": str} in the same order.
"""
import json
import sys

import chdb
from chdb import session as chs

out = []
for case in json.load(sys.stdin):
    s = chs.Session()
    try:
        for stmt in case.get("setup", []):
            s.query(stmt)
        s.query(case["query"], "CSV")
        out.append({"ok": True, "error": ""})
    except Exception as e:  # noqa: BLE001 - any ClickHouse error is a verdict
        out.append({"ok": False, "error": str(e)[:300]})
    finally:
        s.close()
json.dump(out, sys.stdout)
