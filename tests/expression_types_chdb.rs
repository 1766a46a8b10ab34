//! Expression types against ClickHouse (chdb).
//! - Every project of ../shared/corpus and corpus-extra: datasources become tables (their
//!   SCHEMA's types), and every type we give a node's output column is the one ClickHouse's
//!   `DESCRIBE` gives that column of the node's query (nodes and pipes it reads inlined), in
//!   each rendering of its template. The share of columns typed is printed (BENCHMARKS.md,
//!   "Fidelity").
//! - Random expressions over columns of many types and literals: every type we give is the
//!   one ClickHouse gives; every comparison we call refused, ClickHouse refuses.
//! - Conversions between column types: every one we call lossy (FORWARD_QUERY rules) loses a
//!   value on ClickHouse, and widening ones keep every value.

#[path = "support/chdb_project.rs"]
mod chdb_project;
mod common;

use project::model::ResourceKind;
use std::collections::HashMap;
use syntax::chtype::Type;

/// `sql` without its `FINAL` keywords (the test's Memory tables refuse them; types are the
/// same).
fn without_final(sql: &str) -> String {
    let mut out = sql.to_string();
    for t in syntax::sql::lexer::tokenize(sql).iter().rev() {
        if sql[t.range.start..t.range.end].eq_ignore_ascii_case("FINAL") {
            out.replace_range(t.range.start..t.range.end, "");
        }
    }
    out
}

/// A node rendering's DESCRIBE: (statement, place, our types by column, number of columns).
type Probe = (usize, String, Vec<(String, String)>, usize);

#[test]
fn node_column_types_agree_with_clickhouse() {
    let mut statements: Vec<(String, bool)> = vec![];
    // (statement, place, claims: column → type, columns of the node)
    let mut probes: Vec<Probe> = vec![];
    // (statement, place) of each node with a comparison we say ClickHouse refuses.
    let mut refusals: Vec<(usize, String)> = vec![];
    let mut db_index = 0;
    for cp in common::corpus_projects() {
        let Ok(mut db) = disk::load_project(&cp.root, &cp.listing, &cp.exclude, None) else {
            continue;
        };
        db.analyze(&disk::disk_loader);
        let a = db.analysis().unwrap();
        let p = &a.project;
        db_index += 1;
        statements.push((format!("CREATE DATABASE t{db_index}"), false));
        statements.push((format!("USE t{db_index}"), false));
        for i in p.resources.ids() {
            if p.resources[i].kind == ResourceKind::Datasource && p.resources[i].defined_by_file() {
                if let Some(sql) = chdb_project::memory_table(p, i) {
                    statements.push((sql, false));
                }
            }
        }
        let types = analysis::columns::Columns::new(p);
        for pi in p.resources.ids() {
            let r = &p.resources[pi];
            if r.kind != ResourceKind::Pipe || !r.defined_by_file() || p.files[r.file].rejected {
                continue;
            }
            for ni in 0..r.nodes.len() {
                // Every comparison we say ClickHouse refuses: its rendering must fail so.
                for refusal in types.refused_comparisons(pi, ni) {
                    let Some(sql) = chdb_project::expand_rendering(p, pi, ni, refusal.rendering, 0)
                    else {
                        panic!(
                            "{}: rendering {} cannot be expanded",
                            r.path, refusal.rendering
                        );
                    };
                    statements.push((format!("DESCRIBE ({})", without_final(&sql)), true));
                    refusals.push((
                        statements.len() - 1,
                        format!("{}/{} node `{}`", cp.corpus, r.path, r.nodes[ni].name),
                    ));
                }
                let Some(cols) = types.node_types(pi, ni) else {
                    continue;
                };
                let claims: Vec<(String, String)> = cols
                    .iter()
                    .filter_map(|(n, t)| Some((n.clone(), t.as_ref()?.to_string())))
                    .collect();
                let variants = r.nodes[ni].sql.as_ref().map_or(1, |s| s.variants);
                for k in 0..variants.min(4) {
                    let Some(sql) = chdb_project::expand_rendering(p, pi, ni, k, 0) else {
                        continue;
                    };
                    statements.push((format!("DESCRIBE ({})", without_final(&sql)), true));
                    probes.push((
                        statements.len() - 1,
                        format!(
                            "{}/{} node `{}` rendering {k}",
                            cp.corpus, r.path, r.nodes[ni].name
                        ),
                        claims.clone(),
                        cols.len(),
                    ));
                }
            }
        }
    }
    let out = chdb_project::run(&statements);
    for (i, place) in &refusals {
        let o = &out[*i];
        assert!(
            !o.ok && (o.error.contains("Code: 386") || o.error.contains("Code: 43")),
            "{place}: we report a comparison ClickHouse refuses, but it answers: {}",
            if o.ok { "ok" } else { &o.error }
        );
    }
    println!(
        "incomparable types: {} reports, each refused by ClickHouse",
        refusals.len()
    );
    let (mut runs, mut columns, mut typed, mut wrong) = (0, 0, 0, vec![]);
    for (i, place, claims, count) in &probes {
        let o = &out[*i];
        if !o.ok {
            continue; // ClickHouse refuses the node for another reason
        }
        runs += 1;
        let described: HashMap<String, String> = o
            .rows
            .iter()
            .filter_map(|r| Some((r[0].as_str()?.to_string(), r[1].as_str()?.to_string())))
            .collect();
        columns += count;
        for (name, ty) in claims {
            let Some(theirs) = described.get(name) else {
                continue;
            };
            // Compare as types (ClickHouse spells them canonically; so does Type's Display).
            let theirs_t = Type::parse(theirs).map(|t| t.to_string());
            if theirs_t.as_deref() == Some(ty.as_str()) || theirs == ty {
                typed += 1;
            } else {
                wrong.push(format!("{place}: `{name}` ours {ty}, ClickHouse {theirs}"));
            }
        }
    }
    println!(
        "expression types: {typed} of {columns} output columns typed in {runs} node renderings \
         ClickHouse runs ({:.1}%), {} wrong",
        100.0 * typed as f64 / columns.max(1) as f64,
        wrong.len()
    );
    assert!(runs > 500, "too few node renderings ran: {runs}");
    assert!(
        wrong.is_empty(),
        "types ClickHouse disagrees with:\n{}",
        wrong.join("\n")
    );
    // The share typed must not fall (raise the floor as it grows).
    assert!(
        typed as f64 >= 0.7 * columns as f64,
        "only {typed} of {columns} columns typed"
    );
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const COLUMN_TYPES: &[&str] = &[
    "UInt8",
    "UInt32",
    "UInt64",
    "Int16",
    "Int64",
    "Float32",
    "Float64",
    "Decimal(18, 2)",
    "String",
    "Date",
    "DateTime",
    "DateTime('UTC')",
    "DateTime('Europe/Madrid')",
    "DateTime64(3)",
    "DateTime64(3, 'Asia/Tokyo')",
    "Bool",
    "UUID",
    "Array(String)",
    "Array(UInt64)",
    "Nullable(String)",
    "Nullable(UInt64)",
    "Nullable(DateTime)",
    "LowCardinality(String)",
    "LowCardinality(Nullable(String))",
    "Map(String, String)",
    "AggregateFunction(sum, UInt64)",
    "AggregateFunction(uniq, String)",
];

const LITERALS: &[&str] = &[
    "1",
    "0",
    "300",
    "70000",
    "-1",
    "-200",
    "1.5",
    "'a'",
    "'2024-01-01'",
    "true",
    "'yesterday'",
];

/// Functions queries use most, with the numbers of arguments to try.
const FUNCTIONS: &[(&str, &[usize])] = &[
    ("plus", &[2]),
    ("minus", &[2]),
    ("multiply", &[2]),
    ("divide", &[2]),
    ("intDiv", &[2]),
    ("modulo", &[2]),
    ("equals", &[2]),
    ("notEquals", &[2]),
    ("less", &[2]),
    ("greaterOrEquals", &[2]),
    ("and", &[2]),
    ("or", &[2]),
    ("not", &[1]),
    ("negate", &[1]),
    ("abs", &[1]),
    ("round", &[1, 2]),
    ("floor", &[1]),
    ("toString", &[1]),
    ("toDate", &[1]),
    ("toDateTime", &[1]),
    ("toStartOfDay", &[1]),
    ("toStartOfHour", &[1]),
    ("toStartOfMonth", &[1]),
    ("toStartOfWeek", &[1]),
    ("toYYYYMM", &[1]),
    ("toUInt64", &[1]),
    ("toInt32", &[1]),
    ("toFloat64", &[1]),
    ("lower", &[1]),
    ("upper", &[1]),
    ("length", &[1]),
    ("concat", &[2, 3]),
    ("substring", &[2, 3]),
    ("replaceAll", &[3]),
    ("coalesce", &[2]),
    ("ifNull", &[2]),
    ("isNull", &[1]),
    ("if", &[3]),
    ("greatest", &[2]),
    ("least", &[2]),
    ("empty", &[1]),
    ("has", &[2]),
    ("arrayJoin", &[1]),
    ("JSONExtractString", &[2]),
    ("JSONExtractInt", &[2]),
    ("domain", &[1]),
    ("cityHash64", &[1, 2]),
    ("count", &[0, 1]),
    ("sum", &[1]),
    ("avg", &[1]),
    ("min", &[1]),
    ("max", &[1]),
    ("any", &[1]),
    ("uniq", &[1, 2]),
    ("uniqExact", &[1]),
    ("argMax", &[2]),
    ("groupArray", &[1]),
    ("sumIf", &[2]),
    ("countIf", &[1]),
    ("uniqIf", &[2]),
    ("sumState", &[1]),
    ("uniqState", &[1]),
    ("anySimpleState", &[1]),
    ("sumSimpleState", &[1]),
    ("maxSimpleState", &[1]),
    ("sumMerge", &[1]),
    ("uniqMerge", &[1]),
    ("sumOrNull", &[1]),
    ("avgIf", &[2]),
    ("uniqExactState", &[1]),
    ("countIfState", &[1]),
    ("sumIfState", &[2]),
    ("uniqMergeState", &[1]),
    ("argMaxState", &[2]),
];

fn expression(rng: &mut Rng, depth: usize, aggregate_ok: bool) -> String {
    let leaf = depth == 0 || rng.below(3) == 0;
    if leaf {
        if rng.below(4) == 0 {
            return LITERALS[rng.below(LITERALS.len())].to_string();
        }
        return format!("c{}", rng.below(COLUMN_TYPES.len()));
    }
    loop {
        let (f, arities) = FUNCTIONS[rng.below(FUNCTIONS.len())];
        let aggregate =
            syntax::sql::functions::resolve_function(f).is_some_and(|r| r.doc.aggregate);
        if aggregate && !aggregate_ok {
            continue;
        }
        let n = arities[rng.below(arities.len())];
        let args: Vec<String> = (0..n)
            .map(|_| expression(rng, depth - 1, aggregate_ok && !aggregate))
            .collect();
        return format!("{f}({})", args.join(", "));
    }
}

#[test]
fn random_expression_types_agree_with_clickhouse() {
    let columns: Vec<String> = COLUMN_TYPES
        .iter()
        .enumerate()
        .map(|(i, t)| format!("c{i} {t}"))
        .collect();
    let mut statements = vec![
        (
            "SET allow_suspicious_low_cardinality_types = 1".to_string(),
            false,
        ),
        (
            format!("CREATE TABLE t ({}) ENGINE = Memory", columns.join(", ")),
            false,
        ),
    ];
    let column_type = |q: Option<&str>, name: &str| -> Option<Type> {
        if q.is_some() {
            return None;
        }
        let i: usize = name.strip_prefix('c')?.parse().ok()?;
        Type::parse(COLUMN_TYPES.get(i)?)
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut claims = vec![];
    let mut tried = 0;
    while claims.len() < 3000 && tried < 40_000 {
        tried += 1;
        let e = expression(&mut rng, 3, true);
        let text = format!("SELECT {e}");
        let parsed = syntax::sql::parser::parse(&text);
        let Some(item) = parsed
            .queries
            .first()
            .and_then(|q| q.selects.first())
            .and_then(|s| s.items.first())
        else {
            continue;
        };
        if let Some(t) = syntax::sql::types::expr_type(&text, item, &column_type) {
            statements.push((format!("DESCRIBE (SELECT {e} FROM t)"), true));
            claims.push((statements.len() - 1, e, t.to_string()));
        }
    }
    let out = chdb_project::run(&statements);
    let (mut agreed, mut refused, mut wrong) = (0, vec![], vec![]);
    for (i, e, ours) in &claims {
        let o = &out[*i];
        if !o.ok {
            refused.push(format!("{e}: ours {ours}; ClickHouse: {}", o.error));
            continue;
        }
        let theirs = o.rows[0][1].as_str().unwrap_or("").to_string();
        let theirs_t = Type::parse(&theirs).map(|t| t.to_string());
        if theirs_t.as_deref() == Some(ours.as_str()) {
            agreed += 1;
        } else {
            wrong.push(format!("{e}: ours {ours}, ClickHouse {theirs}"));
        }
    }
    println!(
        "random expressions: {} typed of {tried}; {agreed} agree, {} refused by ClickHouse, {} wrong",
        claims.len(),
        refused.len(),
        wrong.len()
    );
    assert!(
        claims.len() > 1000,
        "too few expressions typed: {}",
        claims.len()
    );
    assert!(
        wrong.is_empty(),
        "types ClickHouse disagrees with:\n{}",
        wrong.join("\n")
    );
    // ClickHouse may refuse a constant for its value (`toDate('a')`, code 38/41/6...); a
    // refusal for the types or the number of arguments means we typed a call it has no type
    // for.
    let by_type: Vec<&String> = refused
        .iter()
        .filter(|r| {
            ["43", "386", "42", "34", "35", "46", "44", "184"]
                .iter()
                .any(|c| r.contains(&format!("Code: {c}.")))
        })
        .collect();
    assert!(
        by_type.is_empty(),
        "typed expressions ClickHouse refuses for their types:\n{}",
        by_type
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Comparisons of every pair of column types (and of columns with literals): each one we say
/// ClickHouse refuses, it refuses with NO_COMMON_TYPE or ILLEGAL_TYPE_OF_ARGUMENT; the share
/// of its type refusals we find is printed.
#[test]
fn refused_comparisons_agree_with_clickhouse() {
    let columns: Vec<(String, Option<Type>)> = COLUMN_TYPES
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("c{i}"), Type::parse(t)))
        .collect();
    let defs: Vec<String> = COLUMN_TYPES
        .iter()
        .enumerate()
        .map(|(i, t)| format!("c{i} {t}"))
        .collect();
    let mut statements = vec![
        (
            "SET allow_suspicious_low_cardinality_types = 1".to_string(),
            false,
        ),
        (
            format!("CREATE TABLE t ({}) ENGINE = Memory", defs.join(", ")),
            false,
        ),
    ];
    let table = std::sync::Arc::new(columns);
    let tables =
        |db: Option<&str>, name: &str| (db.is_none() && name == "t").then(|| table.clone());
    let mut sides: Vec<String> = (0..COLUMN_TYPES.len()).map(|i| format!("c{i}")).collect();
    sides.extend(LITERALS.iter().map(|l| l.to_string()));
    let mut cases = vec![];
    for (k, op) in ["=", "<", ">=", "!="].iter().enumerate() {
        for (i, a) in sides.iter().enumerate() {
            for (j, b) in sides.iter().enumerate() {
                // Every pair once per operator, a quarter of them for the last three.
                if k > 0 && (i + j + k) % 4 != 0 {
                    continue;
                }
                let sql = format!("SELECT 1 FROM t WHERE {a} {op} {b}");
                let parsed = syntax::sql::parser::parse(&sql);
                let ours = parsed
                    .queries
                    .first()
                    .map(|q| !syntax::sql::types::refused_comparisons(&sql, q, &tables).is_empty())
                    .unwrap_or(false);
                statements.push((format!("DESCRIBE ({sql})"), true));
                cases.push((statements.len() - 1, sql, ours));
            }
        }
    }
    let out = chdb_project::run(&statements);
    let (mut found, mut refused_by_type, mut false_reports) = (0, 0, vec![]);
    for (i, sql, ours) in &cases {
        let o = &out[*i];
        // For their types, or for a string no date or date-time reads (codes 38, 41).
        let type_refusal = !o.ok
            && ["Code: 386", "Code: 43", "Code: 38", "Code: 41"]
                .iter()
                .any(|c| o.error.contains(c));
        if type_refusal {
            refused_by_type += 1;
            if *ours {
                found += 1;
            }
        } else if *ours {
            false_reports.push(format!(
                "{sql}: ClickHouse answers {}",
                if o.ok { "ok" } else { &o.error }
            ));
        }
    }
    println!(
        "comparisons: {} pairs; ClickHouse refuses {refused_by_type} for their types, we report {found}",
        cases.len()
    );
    assert!(
        false_reports.is_empty(),
        "reported comparisons ClickHouse accepts:\n{}",
        false_reports.join("\n")
    );
    assert!(found > 100, "too few refusals found: {found}");
}

/// Types of a deployed column and of its new SCHEMA column, with values of the first that
/// show a loss when there is one (extremes, fractions, text that is no number, NULL).
const CONVERSION_TYPES: &[(&str, &[&str])] = &[
    ("UInt8", &["0", "255"]),
    ("UInt16", &["0", "65535"]),
    ("UInt32", &["0", "4294967295"]),
    ("UInt64", &["0", "18446744073709551615"]),
    ("Int8", &["-128", "127"]),
    ("Int16", &["-32768", "32767"]),
    ("Int32", &["-2147483648", "2147483647"]),
    ("Int64", &["-9223372036854775808", "9223372036854775807"]),
    ("Float32", &["1.5", "-2.25"]),
    ("Float64", &["1.5", "-1e300"]),
    ("String", &["'abc'", "''", "'12'"]),
    ("FixedString(3)", &["'abc'"]),
    ("LowCardinality(String)", &["'abc'"]),
    ("Nullable(String)", &["NULL", "'x'"]),
    ("Nullable(UInt32)", &["NULL", "7"]),
    ("Date", &["'2024-02-03'"]),
    ("DateTime", &["'2024-02-03 04:05:06'"]),
    ("DateTime64(3)", &["'2024-02-03 04:05:06.789'"]),
    ("UUID", &["'00000000-0000-0000-0000-000000000001'"]),
    ("Bool", &["true", "false"]),
];

/// Every conversion `forward-query-type` and `forward-query-conversion` call lossy loses a
/// value on ClickHouse: inserting the values into a column of the new type fails, or reading
/// them back gives other values. Widening conversions keep every value.
#[test]
fn conversions_called_lossy_lose_values_on_clickhouse() {
    let mut statements = vec![];
    let mut cases = vec![];
    for (fi, (from, values)) in CONVERSION_TYPES.iter().enumerate() {
        for (ti, (to, _)) in CONVERSION_TYPES.iter().enumerate() {
            if fi == ti {
                continue;
            }
            let (Some(f), Some(t)) = (Type::parse(from), Type::parse(to)) else {
                panic!("unparsed {from} or {to}");
            };
            let why = syntax::chtype::lossy(&f, &t);
            // The losses the FORWARD_QUERY rules report are some of these.
            assert!(
                syntax::chtype::unwanted_loss(&f, &t).is_none() || why.is_some(),
                "{from} → {to}"
            );
            let table = format!("conv_{fi}_{ti}");
            let rows: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(k, v)| format!("SELECT {k} AS k, CAST({v} AS {from}) AS v"))
                .collect();
            let source = rows.join(" UNION ALL ");
            statements.push((
                format!("CREATE TABLE {table} (k UInt32, c {to}) ENGINE = Memory"),
                false,
            ));
            statements.push((format!("INSERT INTO {table} {source}"), false));
            let inserted = statements.len() - 1;
            // Each value kept: the same text, or equal as ClickHouse compares them (a Date
            // and the DateTime it became); the second query is refused for types that do
            // not compare, and the first decides.
            let text = "ifNull(toString(h.c), '<null>') = ifNull(toString(s.v), '<null>')";
            for same in [text.to_string(), format!("{text} OR ifNull(h.c = s.v, 0)")] {
                statements.push((
                    format!(
                        "SELECT min({same}), count() = {} FROM {table} AS h INNER JOIN ({source}) AS s ON h.k = s.k",
                        values.len()
                    ),
                    true,
                ));
            }
            cases.push((from, to, why, inserted));
        }
    }
    let out = chdb_project::run(&statements);
    let (mut lossy, mut missed, mut false_claims) = (0, vec![], vec![]);
    let mut kept_all = HashMap::new();
    for (from, to, why, i) in &cases {
        let (insert, text, compared) = (&out[*i], &out[*i + 1], &out[*i + 2]);
        let same = if compared.ok { compared } else { text };
        let kept = insert.ok
            && same.ok
            && same.rows.first().map(|r| r.as_slice())
                == Some(&[serde_json::json!(1), serde_json::json!(1)][..]);
        kept_all.insert((**from, **to), kept);
        match (why, kept) {
            (Some(why), true) => false_claims.push(format!("{from} → {to}: we say {why}")),
            (Some(_), false) => lossy += 1,
            (None, false) if insert.ok => missed.push(format!("{from} → {to}")),
            _ => {}
        }
    }
    println!(
        "conversions: {} pairs, {lossy} called lossy (each confirmed); ClickHouse changes values in {} more we leave alone: {}",
        cases.len(),
        missed.len(),
        missed.join(", ")
    );
    assert!(
        false_claims.is_empty(),
        "conversions called lossy that keep every value:\n{}",
        false_claims.join("\n")
    );
    assert!(lossy > 100, "too few lossy conversions: {lossy}");
    for (from, to) in [
        ("UInt8", "UInt64"),
        ("Int16", "Int64"),
        ("UInt32", "Int64"),
        ("String", "LowCardinality(String)"),
        ("UInt32", "Nullable(UInt32)"),
        ("DateTime", "DateTime64(3)"),
        ("Date", "DateTime"),
    ] {
        let (f, t) = (Type::parse(from).unwrap(), Type::parse(to).unwrap());
        assert_eq!(syntax::chtype::lossy(&f, &t), None, "{from} → {to}");
        assert_eq!(
            kept_all.get(&(from, to)),
            Some(&true),
            "{from} → {to} loses values on ClickHouse"
        );
    }
}

/// A string without a digit compared with a date or date-time column: ClickHouse refuses it
/// (codes 38 and 41) exactly when we report it — never with a Nullable column — but for text
/// holding a month's name (which a DateTime reads), left alone wherever one appears.
#[test]
fn digitless_strings_are_no_dates_on_clickhouse() {
    let types = [
        "DateTime",
        "DateTime64(3)",
        "DateTime('UTC')",
        "Date",
        "Date32",
        "Nullable(DateTime)",
    ];
    let strings = [
        "yesterday",
        "today",
        "now",
        "",
        " ",
        "abc",
        "T",
        "Z",
        "UTC",
        "January",
        "Mon",
        "-",
        "/",
        ":",
        "PM",
        "null",
        "NaN",
        "inf",
        "epoch",
        "jan",
        "MAY",
        "Sep",
        "Jan Feb",
        "mayday",
        "april fools",
        "Monday",
        "Sunday",
        "noon",
        "midnight",
        "last week",
        "GMT",
        "None",
        "N/A",
    ];
    let defs: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("c{i} {t}"))
        .collect();
    let columns: Vec<(String, Option<Type>)> = types
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("c{i}"), Type::parse(t)))
        .collect();
    let table = std::sync::Arc::new(columns);
    let tables = |_: Option<&str>, name: &str| (name == "t").then(|| table.clone());
    let mut statements = vec![(
        format!("CREATE TABLE t ({}) ENGINE = Memory", defs.join(", ")),
        false,
    )];
    let mut cases = vec![];
    for (i, _) in types.iter().enumerate() {
        for s in strings {
            for op in ["=", ">"] {
                let sql = format!("SELECT count() FROM t WHERE c{i} {op} '{s}'");
                let parsed = syntax::sql::parser::parse(&sql);
                let ours =
                    !syntax::sql::types::refused_comparisons(&sql, &parsed.queries[0], &tables)
                        .is_empty();
                statements.push((sql.clone(), false));
                cases.push((statements.len() - 1, sql, ours));
            }
        }
    }
    let out = chdb_project::run(&statements);
    assert!(out[0].ok, "{}", out[0].error);
    let (mut wrong, mut refusals, mut reported) = (vec![], 0, 0);
    for (i, sql, ours) in &cases {
        let refused = !out[*i].ok
            && (out[*i].error.contains("Code: 41") || out[*i].error.contains("Code: 38"));
        // Text holding a month's name is left alone (a DateTime reads one), refused or not.
        let month = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ]
        .iter()
        .any(|m| {
            sql.to_ascii_lowercase()
                .split('\'')
                .nth(1)
                .unwrap_or("")
                .contains(m)
        });
        refusals += usize::from(refused);
        reported += usize::from(*ours);
        let left_alone = month && !*ours;
        if refused != *ours && !left_alone {
            wrong.push(format!(
                "{sql}: ClickHouse {}, we {}",
                if refused { "refuses" } else { "runs it" },
                if *ours { "report it" } else { "do not" }
            ));
        }
    }
    println!(
        "strings without a digit: {} comparisons, ClickHouse refuses {refusals}, we report {reported}",
        cases.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
