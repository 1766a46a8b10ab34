#!/usr/bin/env python3
"""Writes crates/syntax/src/sql/data/types.tsv from ClickHouse itself (chdb): the result type of
every function of crates/syntax/src/sql/data/functions.tsv (not aliases: the catalogue maps
those) called on columns of a set of probe types, 0 to 3 arguments, as `DESCRIBE (SELECT f(…)
FROM probe)` answers.

Rows (tab-separated):
  r  NAME  ARITY  RULE           one per function and number of arguments it accepts:
                                  `=T` (always type T), `#k` (the type of argument k), `@`
                                  (the `t` rows below, by argument types)
  t  NAME  ARG,ARG…  T            the result for those argument types (only under `@`)
  p  NAME  ARITY  A;B|C;D        under `=T` and `#k`: the probe types accepted at each
                                  position (`|` between positions); nothing else is typed
  f  NAME  ARG,ARG…              under `=T` and `#k`: a combination of accepted types that
                                  ClickHouse refuses
  n  NAME  NULLS  LOWCARD        how a Nullable argument changes the result (`wrap`: Nullable
                                  of it, `same`: unchanged, `?`: otherwise or unknown), and a
                                  LowCardinality(String) argument with every other argument a
                                  constant (`wrap`: LowCardinality of it, `same`, `?`)
  s  T  T  T                     the common supertype of two types (`if(c, a, b)`)
  l  LITERAL  T                  the type of a literal as ClickHouse reads it
  x|xc|cx  NAME  A,B  CODE       a comparison ClickHouse refuses for those argument types
                                  (`x`: two columns, `xc`: the right one a constant, `cx`: the
                                  left one), with its error code

Aggregates (kind `a`) are probed the same way (`f(x)`, and `f(0.5)(x)` as NAME `f()`), window
functions with `OVER ()`. Types outside the probe set are not in the table: the analyser says
nothing certain about them (tests/expression_types_chdb.rs checks its answers on ClickHouse).

Run: ~/.cache/tinybird-lsp/venv/bin/python scripts/gen-types.py
"""
import itertools
import pathlib
import re
import sys

from chdb import session as chs

root = pathlib.Path(__file__).resolve().parent.parent
catalogue = root / "crates/syntax/src/sql/data/functions.tsv"
arity_file = root / "crates/syntax/src/sql/data/arity.tsv"
out = root / "crates/syntax/src/sql/data/types.tsv"
s = chs.Session()
version = str(s.query("SELECT version()", "TSV")).strip()
s.query("CREATE DATABASE IF NOT EXISTS probe_types")
s.query("USE probe_types")

# Probe types: the argument set for 1 and 2 arguments, and a smaller one for 3.
TYPES = ["UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64", "Float32",
         "Float64", "Decimal(18, 2)", "String", "Date", "Date32", "DateTime", "DateTime('UTC')",
         "DateTime64(3)", "DateTime64(3, 'UTC')", "Bool", "UUID", "Array(String)",
         "Array(UInt64)"]
INTERVALS = ["IntervalSecond", "IntervalMinute", "IntervalHour", "IntervalDay", "IntervalWeek",
             "IntervalMonth", "IntervalYear"]
TYPES3 = ["UInt8", "Int64", "Float64", "String", "Date", "DateTime"]
NULLABLE_OK = [t for t in TYPES if not t.startswith("Array")]

cols = []
expr = {}
for i, t in enumerate(TYPES):
    cols.append(f"c{i} {t}")
    expr[t] = f"c{i}"
for i, t in enumerate(NULLABLE_OK):
    cols.append(f"n{i} Nullable({t})")
    expr[f"Nullable({t})"] = f"n{i}"
cols.append("lc LowCardinality(String)")
expr["LowCardinality(String)"] = "lc"
for t in INTERVALS:
    expr[t] = f"to{t}({expr['UInt8']})"
s.query(f"CREATE TABLE IF NOT EXISTS probe ({', '.join(cols)}) ENGINE = Memory")
# Constants of each type (for the LowCardinality probe: the other arguments constant).
CONST = {
    "UInt8": "1", "UInt16": "toUInt16(1)", "UInt32": "toUInt32(1)", "UInt64": "toUInt64(1)",
    "Int8": "toInt8(1)", "Int16": "toInt16(1)", "Int32": "toInt32(1)", "Int64": "toInt64(1)",
    "Float32": "toFloat32(1)", "Float64": "1.5", "Decimal(18, 2)": "toDecimal64(1, 2)",
    "String": "'a'", "Date": "toDate('2020-01-01')", "Date32": "toDate32('2020-01-01')",
    "DateTime": "toDateTime('2020-01-01 00:00:00')",
    "DateTime('UTC')": "toDateTime('2020-01-01 00:00:00', 'UTC')",
    "DateTime64(3)": "toDateTime64('2020-01-01 00:00:00', 3)",
    "DateTime64(3, 'UTC')": "toDateTime64('2020-01-01 00:00:00', 3, 'UTC')",
    "Bool": "true", "UUID": "toUUID('00000000-0000-0000-0000-000000000000')",
    "Array(String)": "['a']", "Array(UInt64)": "[toUInt64(1)]",
}
for t in INTERVALS:
    CONST[t] = f"to{t}(1)"

SKIP = re.compile(r"sleep|^throwIf$|^file$|^url|^remote|^generateRandom|^input$|^s3|^hdfs|"
                  r"^azure|^mysql|^postgresql|^mongo|^redis|^jdbc|^odbc|^ai[A-Z]|^AI", re.I)
ARITY_ERRORS = {"34", "35", "42"}


def describe(call: str):
    """The type of `call` over the probe table, or the error code."""
    try:
        r = str(s.query(f"DESCRIBE (SELECT {call} FROM probe)", "TSV"))
    except Exception as e:  # noqa: BLE001 - the error code is the verdict
        m = re.search(r"Code: (\d+)", str(e))
        return None, (m.group(1) if m else "?")
    line = r.split("\n")[0].split("\t")
    return line[1].replace("\\'", "'"), None


refused = {}
for line in arity_file.read_text().splitlines():
    if line.startswith("#") or not line.strip():
        continue
    name, counts = line.split("\t")
    refused[name] = {int(c) for c in counts.split(",")}

functions = []
for line in catalogue.read_text().splitlines():
    if line.startswith("#") or not line.strip():
        continue
    f = line.split("\t")
    if f[3] or SKIP.search(f[0]):
        continue  # aliases resolve to their function
    functions.append((f[0], f[1]))

rows = [f"# generated by scripts/gen-types.py from ClickHouse {version}"]


def call(name, kind, args, param=False):
    p = "(0.5)" if param else ""
    over = " OVER ()" if kind == "w" else ""
    return f"`{name}`{p}({', '.join(args)}){over}"


def accepted(label, n, got):
    """The argument types a rule holds for: per position (`p`), and the combinations of
    those that ClickHouse refuses (`f`)."""
    positions = [sorted({tup[k] for tup in got}) for k in range(n)]
    rows.append(f"p\t{label}\t{n}\t" + "|".join(";".join(p) for p in positions))
    for tup in itertools.product(*positions):
        if tup not in got:
            rows.append(f"f\t{label}\t{','.join(tup)}")


def probe(name, kind, param=False):
    label = name + ("()" if param else "")
    results = {}
    for n in range(4):
        if n in refused.get(name, set()):
            continue
        if n == 0:
            tuples = [()]
        elif n == 3:
            tuples = list(itertools.product(TYPES3, repeat=3))
        else:
            pool = TYPES + (INTERVALS if n == 2 else [])
            tuples = list(itertools.product(pool, repeat=n))
        got = {}
        codes = set()
        for i, tup in enumerate(tuples):
            ty, err = describe(call(name, kind, [expr[t] for t in tup], param))
            if ty is not None:
                got[tup] = ty
            else:
                codes.add(err)
            # Stop early where every call so far is refused for its number of arguments.
            if i == 5 and not got and codes <= ARITY_ERRORS:
                break
        if not got:
            continue
        results[n] = got
        values = set(got.values())
        same_arg = [k for k in range(n) if all(ty == tup[k] for tup, ty in got.items())]
        if len(values) == 1 or same_arg:
            rule = f"={values.pop()}" if len(values) == 1 else f"#{same_arg[0]}"
            rows.append(f"r\t{label}\t{n}\t{rule}")
            if n > 0:
                accepted(label, n, got)
            continue
        if n == 3:
            continue  # three arguments: only the rules that need no table
        rows.append(f"r\t{label}\t{n}\t@")
        for tup, ty in got.items():
            rows.append(f"t\t{label}\t{','.join(tup)}\t{ty}")
    if not results:
        return
    # Nullable and LowCardinality arguments, on a few accepted calls.
    nulls, lowcard = set(), set()
    for n, got in results.items():
        for tup, ty in list(got.items())[:6]:
            for k, t in enumerate(tup):
                if t in NULLABLE_OK:
                    args = [expr[x] for x in tup]
                    args[k] = expr[f"Nullable({t})"]
                    nty, _ = describe(call(name, kind, args, param))
                    nulls.add("wrap" if nty == f"Nullable({ty})" else "same" if nty == ty
                              else "?")
                if t == "String":
                    args = [CONST[x] for x in tup]
                    args[k] = "lc"
                    lty, _ = describe(call(name, kind, args, param))
                    base, _ = describe(call(name, kind, [CONST[x] if j != k else expr["String"]
                                                         for j, x in enumerate(tup)], param))
                    if base is not None and lty is not None:
                        lowcard.add("wrap" if lty == f"LowCardinality({base})" else
                                    "same" if lty == base else "?")
    one = lambda v: v.pop() if len(v) == 1 else "?"  # noqa: E731
    rows.append(f"n\t{label}\t{one(nulls) if nulls else '?'}\t{one(lowcard) if lowcard else '?'}")


only = set(sys.argv[1:])
for name, kind in functions:
    if only == {"--comparisons"}:
        break
    if only and name not in only:
        continue
    probe(name, kind)
    if kind == "a":
        probe(name, kind, param=True)

# Comparisons ClickHouse refuses whatever the values: by argument types, each side a column
# or a constant (`x`: both columns, `xc`: the right one constant, `cx`: the left one).
COMPARED = TYPES + ["Nullable(String)", "LowCardinality(String)", "Nullable(UInt64)"]
COMPARISONS = ["equals", "notEquals", "less", "greater", "lessOrEquals", "greaterOrEquals"]


def refusal(sql: str):
    _, err = describe(sql)
    # Type-level refusals only (a string that does not parse, code 53, depends on the value).
    return err if err in {"386", "43"} else None


def comparisons():
    out = []
    for f in COMPARISONS:
        for a, b in itertools.product(COMPARED, repeat=2):
            ca = CONST.get(a)
            cb = CONST.get(b)
            for kind, x, y in [("x", expr[a], expr[b]), ("xc", expr[a], cb), ("cx", ca, expr[b])]:
                if x is None or y is None:
                    continue
                code = refusal(f"{f}({x}, {y})")
                if code:
                    out.append(f"{kind}\t{f}\t{a},{b}\t{code}")
    return out


if only == {"--comparisons"}:
    print("\n".join(comparisons()))
    sys.exit(0)
rows.extend(comparisons())

# Common supertypes, as `if` finds them.
for a, b in itertools.product(TYPES, repeat=2):
    ty, _ = describe(f"if(c0, {expr[a]}, {expr[b]})")
    if ty is not None:
        rows.append(f"s\t{a}\t{b}\t{ty}")

# Literals: the type ClickHouse gives each kind of number as written.
for lit in ["0", "1", "255", "256", "65535", "65536", "4294967295", "4294967296",
            "18446744073709551615", "18446744073709551616", "-1", "-128", "-129", "-32768",
            "-32769", "-2147483648", "-2147483649", "-9223372036854775808", "1.5", "1e3", "0x10",
            "0b11", "inf", "nan", "'a'", "true", "NULL", "[]", "[1, 2]", "(1, 'a')"]:
    ty, _ = describe(lit)
    rows.append(f"l\t{lit}\t{ty}")

if not only:
    out.write_text("\n".join(rows) + "\n")
    print(f"wrote {out}: {len(rows) - 1} rows")
else:
    print("\n".join(r for r in rows if not r.startswith(("s\t", "l\t"))))
