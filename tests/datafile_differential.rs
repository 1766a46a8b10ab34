//! Datafile shapes a differential run found (the `datafile` fuzz target's corpus through the
//! official parsers and through ours), with their neighbours: each file gets the official
//! verdict in both dialects, and ours must be the same (an error exactly where the official
//! parser rejects the file). The generated cases are written in a temporary folder.

mod common;

use common::*;
use syntax::diagnostics::Severity;
use syntax::Dialect;

const SCHEMA: &str = "SCHEMA >\n    `a` Int32\n";

fn cases() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    let ds = |text: String| ("datasources/a.datasource".to_string(), text);
    // VERSION: Classic reads Python's int() of the first word as written; the rest is ignored.
    for v in [
        "2", "1 # note", "+1", "01", "1_0", "-0", "2 3", "\"1\"", "'1'", "1.0", "-1", "1__0", "x",
    ] {
        out.push(ds(format!("VERSION {v}\n\n{SCHEMA}")));
    }
    // Column names: a backtick inside an unquoted name is part of it; a comma right after an
    // unquoted name is not.
    for col in [
        "b` Int32",
        "c`d Int32",
        "e`f` String",
        "`b`,\n    c Int32",
        "b,\n    c Int32",
        ".b Int32",
        "b",
        "a Int32,b Int32",
    ] {
        out.push(ds(format!("SCHEMA >\n    {col}\n")));
    }
    // Types: ClickHouse (and both parsers) take a comma after the last argument.
    for ty in [
        "AggregateFunction(uniq, String,)",
        "Tuple(Int32, String,)",
        "Decimal(10, 2,)",
        "Int32()",
        "Tuple(,)",
        "Tuple(Int32,,)",
    ] {
        out.push(ds(format!("SCHEMA >\n    `a` {ty}\n")));
    }
    // SQL in a datasource: Classic reads it and never uses it (nor checks it).
    for sql in [
        "SQL >\n    SELECT (1\n",
        "SQL >\n    SELECT nope FROM nowhere\n",
        "SQL SELECT1\n",
        "SQL SELECT 1\n",
    ] {
        out.push(ds(format!("{SCHEMA}\n{sql}")));
        out.push(ds(format!("{sql}\n{SCHEMA}")));
    }
    // SHARED_WITH without a workspace: Classic shares with nobody, Forward asks for one.
    for text in [
        format!("SHARED_WITH\n\n{SCHEMA}"),
        format!("{SCHEMA}\nSHARED_WITH >\n\nENGINE MergeTree\n"),
        format!("{SCHEMA}\nSHARED_WITH other_workspace\n"),
    ] {
        out.push(ds(text));
    }
    // Templates: the official reader's first error (unknown or forbidden operators, tags never
    // closed, blocks attached to the wrong block, expressions Python cannot read), and what it
    // takes.
    let pipe = |sql: &str| {
        (
            "pipes/p.pipe".to_string(),
            format!("NODE n\nSQL >\n    %\n    {sql}\n"),
        )
    };
    for sql in [
        "SELECT 1 {% elsif defined(x) %}",
        "SELECT 1 {% if\tdefined(x) %} 2 {% end %}",
        "SELECT 1 {% import os %}",
        "SELECT 1 {% if defined(a) %}{% for x in [1] %}{% elif defined(b) %}{% end %}{% end %}",
        "SELECT 1 {% break %}",
        "SELECT 1 {% whitespace tidy %}",
        "SELECT 1 {% if defined(x) %} 2 {% end",
        "SELECT 1 {# a note",
        "SELECT {{ }}",
        "SELECT 1 {% %}",
        "SELECT {{ Int32(x, 1)) }}",
        "SELECT {{ Int32(x, 1 }}",
        "SELECT {{ [x) }}",
        "SELECT {{ String(x, 'a) }}",
        "SELECT {{ $x }}",
        "SELECT '{% end %}'",
        // Names: Python reads a run of letters, digits, `_` and non-ASCII characters as one
        // name and refuses one whose characters are not XID (start, then continue).
        "SELECT {{ String(a – b, 'x') }}",
        "SELECT {{ String(a, “x”) }}",
        "SELECT {{ String(a\u{a0}, 'x') }}",
        "SELECT {{ String(a\u{200b}, 'x') }}",
        "SELECT {{ String(·b, 'x') }}",
        "SELECT {{ String(a, 'x') }}, {{ Int32(b−1, 2) }}",
        "SELECT 1 {% if defined(a) and a – 1 %}, 2{% end %}",
        "SELECT 1 {% set x = ’y’ %}",
        "SELECT 1 {% for v in [1, 2]\u{2003} %}, 2{% end %}",
        // The reader strips a tag as Python's str.strip() does (U+000B, U+001C-U+001F and
        // Unicode white space) before it checks the expression.
        "SELECT {{ \u{b}ABLE(1) }}",
        "SELECT {{\u{a0}x.upper()\u{3000}}}",
        // Typed parameters: the official rendering validates a truthy literal default with
        // the type's tester (datatypes.py) in the tags it evaluates.
        "SELECT {{ Int32(x, 1e5) }}",
        "SELECT {{ Int32(x, 1.0) }}, {{ Int256(y, 1e2) }}",
        "SELECT {{ Int32(x, True) }}",
        "SELECT {{ Int32(x, ' 5') }}",
        "SELECT {{ Int32(x, 2147483648) }}",
        "SELECT {{ Int32(x, default=1e5) }}",
        "SELECT {{ UInt8(u, 300) }}",
        "SELECT {{ UInt8(u, -1) }}",
        "SELECT {{ UInt16(u, '+7') }}",
        "SELECT {{ Int(x, 'five') }}",
        "SELECT {{ Float32(f, '1_0') }}",
        "SELECT {{ Float64(f, 'one') }}",
        "SELECT {{ Date(d, '2026-1-01') }}",
        "SELECT {{ Date(d, '2026-01-01 00:00:00') }}",
        "SELECT {{ DateTime(t, '2026-01-01') }}",
        "SELECT {{ DateTime64(t, '2026-01-01 00:00:00') }}",
        "SELECT {{ DateTime(t, 20260101) }}",
        // (Inside a block the tag is not checked, so `{% for i in [1] %}` or `{% if not
        // defined(x) %}` around one of these passes here and is rejected there.)
        // Taken: valid, falsy (the placeholder is used), or never evaluated with the default.
        "SELECT {{ Int32(x, '12') }}, {{ Int(y, '5') }}, {{ Int32(z, -5) }}, {{ Int32(w, 0x10) }}",
        "SELECT {{ Int8(x, 0) }}, {{ Int32(y, '') }}, {{ Float32(z, 0.0) }}, {{ UInt8(w, -0) }}",
        "SELECT {{ Int32(x, -2147483648) }}, {{ Int64(y, '+7') }}, {{ UInt256(z, 2 ** 200) }}",
        "SELECT {{ Float32(x, 'nan') }}, {{ Float32(y, '1e400') }}, {{ Float64(z, 1_000) }}, {{ Float64(v, ' -1.5E3 ') }}",
        "SELECT {{ Float32(x, 5) }}, {{ Float64(y, 1e5) }}, {{ Float64(z, 'inf') }}",
        "SELECT {{ DateTime(t, '2026/01/01T10:00:00') }}, {{ DateTime(u, '01-01-2026 1:2:3') }}",
        "SELECT {{ DateTime(t, '2026-01-01 00:00:00 UTC') }}, {{ DateTime64(u, '2026-01-01 00:00:00.000') }}",
        "SELECT {{ Date(d, '2026-01-01') }}, {{ Int32(x, 5, description='d') }}",
        "SELECT {{ Int32(x, 1e5) if defined(y) else 1 }}",
        "SELECT 1 {% if defined(x) %}, {{ Int32(x, 1e5) }}{% end %}",
        "SELECT 1 {% set x = 5 %}, {{ Int32(x, 1e5) }}",
        // Taken.
        "SELECT {{ String(a·b, 'x') }}, {{ String(número, 'é – ü') }}",
        "SELECT {{ String(ªº, 'x') }}, {{ String(℘x, 'x') }}, {{ Int32(_ñ1, 2) }}",
        "SELECT {{ String(a, 'x') }} {# a – note #} {% comment – %}",
        "SELECT {{\u{a0}String(a, 'x')\u{a0}}}",
        "SELECT {{\u{1f}Int32(x, 1)\u{b}}}",
        "SELECT 1 {% if defined(número) %}, 2{% end %}",
        "SELECT {{ Float64(x, 1e5) }}, {{ Int32(y, 0x1f) }}",
        "SELECT {{ String(x, 'a)') }}",
        "SELECT {{ Int32(x, 1) }} {% if defined(a) %}{% for i in [1] %}{% break %}{% end %}{% else %}, 3{% end %}",
        "SELECT 1 {% set x = 1 %}{% comment anything %}{% whitespace all %}",
        "SELECT {{ column(x, 'a') }} {# a note #}",
    ] {
        out.push(pipe(sql));
    }
    out
}

#[test]
fn our_verdicts_are_the_official_ones() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let mut wrong = vec![];
    for (dialect, cli) in dialects() {
        let mut paths = vec![];
        for (i, (rel, text)) in cases.iter().enumerate() {
            let path = dir.path().join(cli).join(i.to_string()).join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            paths.push(path.to_string_lossy().to_string());
        }
        let answers = tb_oracle(&paths, cli);
        for ((path, answer), (_, text)) in paths.iter().zip(&answers).zip(&cases) {
            let official = answer[cli]["ok"].as_bool().expect("a verdict");
            let parsed = parse_file(std::path::Path::new(path), dialect).unwrap();
            let ours = errors(&parsed.diagnostics);
            if official != ours.is_empty() {
                wrong.push(format!(
                    "{cli}: {text:?}\n  official: {}\n  ours: {:?}",
                    if official {
                        "accepted".to_string()
                    } else {
                        answer[cli]["error"]["message"].to_string()
                    },
                    ours.iter().map(|d| &d.message).collect::<Vec<_>>()
                ));
            }
            if official && dialect == Dialect::Classic && text.starts_with("VERSION") {
                // The version read is the one Classic names the resource with.
                let version = answer[cli]["doc"]["version"].as_u64();
                let ours = parsed.datafile.version.as_ref().map(|v| v.text.clone());
                assert_eq!(ours, version.map(|v| v.to_string()), "{text:?}");
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Characters the SQL lexer refuses outside quotes (`&`, `\`, `#` that starts no comment, `!`
/// outside `!=`, control characters, letters outside ASCII), the Unicode white space it skips
/// and the Unicode quotes and minus it reads: in a node's plain SQL, `sql-syntax` reports exactly the files the official parsers
/// reject, as an error in both dialects.
#[test]
fn sql_lexical_errors_are_the_official_ones() {
    let sqls = [
        // Refused.
        "SELECT count() AS количество FROM t",
        "SELECT a FROM t WHERE número = 1",
        "SELECT 1 & 2 FROM t",
        "SELECT a FROM t WHERE b = 1 && c = 2",
        "SELECT a\\b FROM t",
        "SELECT a FROM t WHERE x != 1 AND ! y",
        "SELECT a FROM t WHERE x !~ 'a'",
        "SELECT a #x FROM t",
        "SELECT a,\u{1680}b FROM t",
        "SELECT a\u{7f} FROM t",
        "SELECT a,\u{e9} FROM t",
        "SELECT a’ FROM t",
        "SELECT ‘it’s’ AS a FROM t",
        // Taken.
        "SELECT a FROM t # c",
        "SELECT a FROM t #! c",
        "SELECT 'é' AS a, `é`, \"ü\" FROM t -- é",
        "SELECT a FROM t /* é */",
        "SELECT a,\u{a0}b FROM t",
        "SELECT\u{3000}a FROM t",
        "SELECT a,\u{85}b\u{2028}FROM\u{feff}t",
        "SELECT a$b FROM t WHERE x != 1",
        "SELECT {x:String} AS a FROM t",
        "SELECT ‘x y’ AS a, “b c”, 2 − 1 AS d FROM t",
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = vec![];
    for (dialect, cli) in dialects() {
        let mut paths = vec![];
        for (i, sql) in sqls.iter().enumerate() {
            let path = dir.path().join(cli).join(format!("p{i}.pipe"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, format!("NODE n\nSQL >\n    {sql}\n")).unwrap();
            paths.push(path.to_string_lossy().to_string());
        }
        let answers = tb_oracle(&paths, cli);
        for ((path, answer), sql) in paths.iter().zip(&answers).zip(&sqls) {
            let official = answer[cli]["ok"].as_bool().expect("a verdict");
            let parsed = parse_file(std::path::Path::new(path), dialect).unwrap();
            let ours: Vec<&str> = parsed
                .diagnostics
                .iter()
                .filter(|d| d.code == "sql-syntax" && d.severity == Severity::Error)
                .map(|d| d.message.as_str())
                .collect();
            if official != ours.is_empty() {
                wrong.push(format!(
                    "{cli}: {sql:?}\n  official: {}\n  ours: {ours:?}",
                    if official {
                        "accepted".to_string()
                    } else {
                        answer[cli]["error"]["message"].to_string()
                    }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
