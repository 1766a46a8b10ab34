"""Runs SQL statements in order in one chdb (ClickHouse in-process) session.

Input (stdin): JSON list of {"sql": str, "fetch": bool}. Output (stdout): JSON list of
{"ok": bool, "error": str, "rows": [[...], ...]} in the same order; rows only when fetched.
"""
import json
import sys

from chdb import session as chs

out = []
s = chs.Session()
for stmt in json.load(sys.stdin):
    try:
        if stmt.get("fetch"):
            r = s.query(stmt["sql"], "JSONCompact")
            text = r.bytes().decode() if hasattr(r, "bytes") else str(r)
            rows = json.loads(text)["data"] if text.strip() else []
            out.append({"ok": True, "error": "", "rows": rows})
        else:
            s.query(stmt["sql"])
            out.append({"ok": True, "error": "", "rows": []})
    except Exception as e:  # noqa: BLE001 - any ClickHouse error is a verdict
        out.append({"ok": False, "error": str(e)[:500], "rows": []})
s.close()
json.dump(out, sys.stdout)
