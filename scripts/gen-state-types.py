#!/usr/bin/env python3
"""Writes crates/analysis/src/migration/data/state_types.tsv from ClickHouse itself (chdb).

Run: $(scripts/ensure-chdb) scripts/gen-state-types.py   (a few minutes)

For a grid of aggregate functions x combinator forms x argument types it asks ClickHouse two
things, and writes down only what ClickHouse answered:

* `type` rows: the type a SELECT item produces (`toTypeName`), e.g. `sumStateIf(x, c)` over a
  UInt64 `x` is `AggregateFunction(sum, UInt64)`.
* `pair` rows: what happens when a materialized view writes that item into a target column of a
  declared type, built for real: CREATE TABLE target, CREATE MATERIALIZED VIEW, two INSERTs
  into the source (so the target holds two parts per key), OPTIMIZE FINAL, then the target read
  back (`finalizeAggregation` for states, the value for the rest) and compared with the
  aggregate computed directly over all source rows. The verdict is
    ok        the view is created, rows are stored and merge to the right result;
    rejected  CREATE MATERIALIZED VIEW fails (the deploy fails), with ClickHouse's error code;
    insert    the view is created but every insert fails (ingestion breaks), with the code;
    data      inserts fail for values that do not parse as the target type (the grid's
              sample text), so whether they fail depends on the data;
    wrong     rows are stored, but what the target holds after merging is not the aggregate.

Declared types tried for a state: every state another grid item produces over the same
argument types, the same form over every other argument type, the finished result type R and
`SimpleAggregateFunction(g, R)` for the functions `g` such columns use; for a plain or
simple-state aggregate: `SimpleAggregateFunction(g, R)` and the function's own state column.
Form `column` is a plain column read (`SELECT a0`) into a column of another type.

Reads of a state column: `merge  read_function  state_type  ok|rejected  code` for
`gMerge(v)` / `gIfMerge(v)` over a column of that state type, and
`plain  function  state_type  ok|rejected  code` for a plain aggregate `g(v)` over it.

Columns: `type  function  form  args  produced_type` and
`pair  function  form  args  declared_type  verdict  detail`. `function` carries its
parameters as written (`quantiles(0.5, 0.9)`); `form` is the combinator suffix (``, `If`,
`State`, `IfState`, `StateIf`, `SimpleState`); `args` are the value arguments' types joined by
`;` (the -If condition is a UInt8 and is not listed).
"""
import math
import pathlib
import sys

from chdb import session

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/analysis/src/migration/data/state_types.tsv"

NUMERIC = ["UInt8", "UInt32", "UInt64", "Int32", "Int64", "Float32", "Float64"]
TEXT = ["String", "LowCardinality(String)", "Nullable(String)"]
TIME = ["Date", "DateTime"]
OTHER = ["Nullable(UInt64)"]
ALL = NUMERIC + TEXT + TIME + OTHER

# function -> argument types it is tried over (one value argument unless listed in TWO_ARGS)
FUNCTIONS = {
    "count": [()],
    "sum": NUMERIC + ["Nullable(UInt64)"],
    "avg": NUMERIC,
    "min": ALL,
    "max": ALL,
    "any": ALL,
    "anyLast": ALL,
    "uniq": ALL,
    "uniqExact": ALL,
    "uniqCombined": ALL,
    "groupArray": ["UInt64", "String", "LowCardinality(String)", "DateTime"],
    "groupUniqArray": ["UInt64", "String", "LowCardinality(String)"],
    "median": ["UInt64", "Float64", "Int64"],
    "quantile(0.5)": ["UInt64", "Float64", "Int64"],
    "quantiles(0.5, 0.9)": ["UInt64", "Float64", "Int64"],
    "sumWithOverflow": ["UInt32", "UInt64"],
    "topK(3)": ["UInt64", "String"],
}
TWO_ARGS = {
    "argMin": [(a, b) for a in ["UInt64", "String", "Float64"] for b in ["DateTime", "UInt64"]],
    "argMax": [(a, b) for a in ["UInt64", "String", "Float64"] for b in ["DateTime", "UInt64"]],
}
STATE_FORMS = ["State", "IfState", "StateIf"]
PLAIN_FORMS = ["", "If", "SimpleState"]
# Functions a SimpleAggregateFunction column is declared with, in the grid.
SIMPLE = ["any", "anyLast", "min", "max", "sum", "sumWithOverflow", "groupArrayArray",
          "groupUniqArrayArray"]
# ClickHouse error codes of a value that does not parse (CANNOT_PARSE_TEXT, …): the insert
# fails for the grid's sample text, not for every value.
PARSE_ERRORS = {"6", "27", "33", "38", "41", "69", "72", "376", "467"}
SIMPLE_FORMS_OK = {"any", "anyLast", "min", "max", "sum", "sumWithOverflow"}

s = session.Session()


def q(sql):
    try:
        return True, str(s.query(sql, "TSV")).rstrip("\n")
    except Exception as e:  # noqa: BLE001 - ClickHouse's answer is the data
        msg = str(e)
        code = ""
        if "Code: " in msg:
            code = msg.split("Code: ", 1)[1].split(".", 1)[0]
        return False, code


def base(function):
    return function.split("(", 1)[0]


def params(function):
    return function[len(base(function)):]


def call(function, form, args):
    """The SELECT expression of a grid item over source columns a0, a1 and condition c."""
    if form == "column":
        return "a0"
    cols = [f"a{i}" for i in range(len(args))]
    if "If" in form:
        cols.append("c")
    return f"{base(function)}{form}{params(function)}({', '.join(cols)})"


def direct(function, form, args):
    """The aggregate the item stands for, computed over all rows at once."""
    if form == "column":
        return "a0"
    plain = form.replace("State", "").replace("Simple", "")
    return call(function, plain, args)


def source_table(args, key):
    cols = ", ".join(f"a{i} {t}" for i, t in enumerate(args))
    sep = ", " if cols else ""
    ok, _ = q(f"CREATE TABLE IF NOT EXISTS g.{key} (k UInt8{sep}{cols}, c UInt8) "
              "ENGINE = MergeTree ORDER BY k")
    assert ok, key
    return f"g.{key}"


def value(t, i, const):
    """A value of type t for row i: distinct per row unless const."""
    n = 7 if const else i
    inner = t.removeprefix("Nullable(").removeprefix("LowCardinality(").rstrip(")")
    if inner in ("String",):
        return f"'v{n % 5}'"
    if inner == "Date":
        return f"toDate('2024-01-01') + {n % 9}"
    if inner == "DateTime":
        return f"toDateTime('2024-01-01 00:00:00', 'UTC') + {n * 37 % 101}"
    return str((n * 7) % 23 + 1)


def fill(src, args, const, batch):
    rows = []
    for i in range(batch * 12, batch * 12 + 12):
        vals = [str(i % 3)] + [value(t, i + j, const) for j, t in enumerate(args)] + [str(i % 2)]
        rows.append("(" + ", ".join(vals) + ")")
    return q(f"INSERT INTO {src} VALUES " + ", ".join(rows))


def close(a, b):
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
        return math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)
    except ValueError:
        pass
    # arrays of numbers in another order (groupArray merges parts in any order)
    if a.startswith("[") and b.startswith("["):
        return sorted(a.strip("[]").split(",")) == sorted(b.strip("[]").split(","))
    return False


counter = 0


def verdict(function, form, args, declared):
    global counter
    counter += 1
    key = f"s{counter}"
    const = base(function) in ("any", "anyLast")
    src = source_table(args, key)
    # A plain column is tried on a MergeTree with one insert: what is stored, not how it merges.
    plain_target = "Aggregate" not in declared
    engine = "MergeTree" if plain_target else "AggregatingMergeTree"
    ok, code = q(f"CREATE TABLE g.t{key} (k UInt8, v {declared}) ENGINE = {engine} ORDER BY k")
    if not ok:
        return None  # not a type ClickHouse has
    try:
        group = "" if form == "column" else " GROUP BY k"
        ok, code = q(f"CREATE MATERIALIZED VIEW g.m{key} TO g.t{key} AS SELECT k, "
                     f"{call(function, form, args)} AS v FROM {src}{group}")
        if not ok:
            return ("rejected", code)
        for batch in (0,) if plain_target else (0, 1):
            ok, code = fill(src, args, const, batch)
            if not ok:
                # A value that does not parse as the target type fails for some data only.
                return ("data" if code in PARSE_ERRORS else "insert", code)
        final = "" if plain_target else " FINAL"
        if not plain_target:
            q(f"OPTIMIZE TABLE g.t{key} FINAL")
        read = "finalizeAggregation(v)" if declared.startswith("AggregateFunction") else "v"
        ok, got = q(f"SELECT k, toString({read}) FROM g.t{key}{final} ORDER BY k")
        if not ok:
            return ("wrong", "unreadable")
        if form == "column":
            ok, want = q(f"SELECT k, toString(CAST(a0 AS {declared})) FROM {src} ORDER BY k")
            ok2, got = q(f"SELECT k, toString(v) FROM g.t{key} ORDER BY k")
            return ("ok", "") if ok and ok2 and sorted(got.splitlines()) == sorted(
                want.splitlines()) else ("wrong", "")
        ok, want = q(f"SELECT k, toString({direct(function, form, args)}) FROM {src} "
                     "GROUP BY k ORDER BY k")
        assert ok, (function, form, args)
        g_rows = [r.split("\t") for r in got.splitlines()]
        w_rows = [r.split("\t") for r in want.splitlines()]
        same = len(g_rows) == len(w_rows) and all(
            a[0] == b[0] and close(a[1], b[1]) for a, b in zip(g_rows, w_rows))
        return ("ok", "") if same else ("wrong", "")
    finally:
        q(f"DROP TABLE IF EXISTS g.m{key}")
        q(f"DROP TABLE IF EXISTS g.t{key}")
        q(f"DROP TABLE IF EXISTS {src}")


def produced_type(function, form, args):
    src = source_table(args, "probe")
    ok, t = q(f"SELECT toTypeName({call(function, form, args)}) FROM {src}")
    q(f"DROP TABLE {src}")
    return t if ok else None


def main():
    q("CREATE DATABASE IF NOT EXISTS g")
    version = q("SELECT version()")[1]
    items = []  # (function, form, args)
    for f, types in FUNCTIONS.items():
        for t in types:
            args = tuple(t) if isinstance(t, tuple) else (t,)
            for form in STATE_FORMS + PLAIN_FORMS:
                if form == "SimpleState" and base(f) not in SIMPLE_FORMS_OK:
                    continue
                items.append((f, form, args))
    for f, pairs in TWO_ARGS.items():
        for args in pairs:
            for form in STATE_FORMS + ["", "If"]:
                items.append((f, form, args))
    # plain column reads: a column of one type written into a column of another
    items += [("", "column", (t,)) for t in ALL]
    types = {}
    for it in items:
        t = produced_type(*it)
        if t is not None:
            types[it] = t
    print(f"{len(types)} grid items", file=sys.stderr)
    by_args = {}
    for (f, form, args), t in types.items():
        by_args.setdefault(args, set()).add(t)
    lines = [f"# generated by scripts/gen-state-types.py from ClickHouse {version}",
             "# type\tfunction\tform\targs\tproduced_type",
             "# pair\tfunction\tform\targs\tdeclared_type\tverdict\tdetail",
             "# merge\tread_function\tstate_type\tverdict\tcode",
             "# plain\tfunction\tstate_type\tverdict\tcode"]
    for (f, form, args), t in sorted(types.items()):
        lines.append(f"type\t{f}\t{form}\t{';'.join(args)}\t{t}")
    done = 0
    for (f, form, args), t in sorted(types.items()):
        states = {x for x in by_args.get(args, ()) if x.startswith("AggregateFunction(")}
        if form == "column":
            declared = set(ALL) | {"UInt16", "Int16", "Int8", "Decimal(18, 4)",
                                   "DateTime64(3)", "Bool", "UUID"}
        elif "State" in form:
            # every state over the same arguments, the same form over neighbouring ones, and
            # the finished value's columns
            declared = set(states)
            # the same form over every other argument type of the grid
            for (f2, form2, args2), other in types.items():
                if f2 == f and form2 == form and args2 != args:
                    declared.add(other)
            finished = types.get((f, form.replace("State", ""), args))
            if finished:
                declared.add(finished)
                for g in SIMPLE:
                    declared.add(f"SimpleAggregateFunction({g}, {finished})")
        else:
            # a plain or simple-state aggregate: the simple columns over its result, and the
            # state column of the same function
            result = t.removeprefix("SimpleAggregateFunction(")
            if result != t:
                result = result.split(", ", 1)[1][:-1]
            declared = {f"SimpleAggregateFunction({g}, {result})" for g in SIMPLE}
            state = types.get((f, "State", args))
            if state:
                declared.add(state)
        for d in sorted(declared):
            v = verdict(f, form, args, d)
            if v is None:
                continue
            lines.append(f"pair\t{f}\t{form}\t{';'.join(args)}\t{d}\t{v[0]}\t{v[1]}")
            done += 1
            if done % 500 == 0:
                print(f"{done} pairs", file=sys.stderr)
    # How each state column can be read: `gMerge(v)` (and `gIfMerge`) for every grid function
    # g, and a plain aggregate `g(v)` over the states, each run over a real state column.
    reads = 0
    state_items, read_types = [], set()
    for it, t in sorted(types.items()):
        if t.startswith("AggregateFunction(") and it[1] in ("State", "IfState") \
                and t not in read_types:
            read_types.add(t)
            state_items.append((it, t))
    read_functions = sorted({f for f in FUNCTIONS} | set(TWO_ARGS))
    for (f, form, args), t in state_items:
        src = source_table(args, "reads")
        fill(src, args, False, 0)
        for g in read_functions:
            for suffix in ("Merge", "IfMerge"):
                sql = (f"SELECT {base(g)}{suffix}{params(g)}(v) FROM "
                       f"(SELECT {call(f, form, args)} AS v FROM {src})")
                ok, code = q(sql)
                read = base(g) + ("If" if suffix == "IfMerge" else "") + params(g)
                lines.append(f"merge\t{read}\t{t}\t{'ok' if ok else 'rejected'}\t{code if not ok else ''}")
                reads += 1
            ok, code = q(f"SELECT {base(g)}{params(g)}(v) FROM "
                         f"(SELECT {call(f, form, args)} AS v FROM {src})")
            lines.append(f"plain\t{g}\t{t}\t{'ok' if ok else 'rejected'}\t{code if not ok else ''}")
            reads += 1
        q(f"DROP TABLE {src}")
    print(f"{reads} reads", file=sys.stderr)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}: {len(types)} types, {done} pairs", file=sys.stderr)


if __name__ == "__main__":
    main()
