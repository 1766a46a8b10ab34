#!/usr/bin/env bash
# Regenerates tests/fixtures/oracle-graph/: the official Classic CLI's dependency graph
# (`tb_oracle.py --graph`, datafile-spec §9.3) of every project in ../shared/corpus, reduced to
# {"dep_map": {resource: [deps]}, "files": {resource: filename}}. Needs the oracle (setup.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED:-$here/../shared}"
out="$here/tests/fixtures/oracle-graph"
mkdir -p "$out"
cd "$shared/corpus"
for d in */; do
  find "$d" -maxdepth 4 -type d \( -name datasources -o -name pipes -o -name endpoints \) -exec dirname {} \;
done | sort -u | while read -r root; do
  name="${root//\//__}"
  python3 "$shared/tools/tb-oracle/tb_oracle.py" --graph "$shared/corpus/$root" 2>/dev/null </dev/null \
    | python3 -c '
import json, sys
c = json.load(sys.stdin)["classic"]
res = {k: v.get("filename") for k, v in (c.get("resources") or {}).items()}
print(json.dumps({"root": sys.argv[1], "ok": c.get("ok"), "dep_map": c.get("dep_map"), "files": res}, indent=1, sort_keys=True))
' "$root" > "$out/$name.json" || true
  echo "$root"
done
