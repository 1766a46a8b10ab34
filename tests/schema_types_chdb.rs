//! The SCHEMA type check (`syntax::types::check_type`, what `schema-type` reports) against
//! ClickHouse (chdb): every column type written in ../shared/corpus and corpus-extra, and
//! mutations of each (a comma after the last argument, a comma before the first, two commas, a
//! character dropped, empty parentheses, lower case), each made a column of a table ClickHouse
//! creates. Every type we reject must be one ClickHouse rejects (0 false); the share of
//! ClickHouse's refusals we find is printed.

#[path = "support/chdb_project.rs"]
mod chdb_project;
mod common;

use std::collections::BTreeSet;
use syntax::types::check_type;
use syntax::Dialect;

/// The types of every SCHEMA column of the corpora's datasources, `Nullable` included.
fn corpus_types() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for path in common::corpus_files(&["datasource"]) {
        let Some(parsed) = common::parse_file(&path, Dialect::Classic) else {
            continue;
        };
        for node in &parsed.datafile.nodes {
            for c in node.schema.iter().flat_map(|s| &s.columns) {
                if c.ty.is_empty() {
                    continue;
                }
                out.insert(if c.nullable {
                    format!("Nullable({})", c.ty)
                } else {
                    c.ty.clone()
                });
            }
        }
    }
    out
}

fn mutations(t: &str) -> Vec<String> {
    let mut out = vec![t.to_string(), t.to_lowercase(), format!("{t}()")];
    if let Some(close) = t.rfind(')') {
        out.push(format!("{},{}", &t[..close], &t[close..]));
        out.push(format!("{},,{}", &t[..close], &t[close..]));
    }
    if let Some(open) = t.find('(') {
        out.push(format!("{},{}", &t[..=open], &t[open + 1..]));
    }
    if let Some(comma) = t.find(", ") {
        out.push(format!("{},{}", &t[..comma], &t[comma..]));
    }
    let chars: Vec<char> = t.chars().collect();
    for at in [chars.len() / 2, chars.len().saturating_sub(1)] {
        let mut c = chars.clone();
        if at < c.len() {
            c.remove(at);
            out.push(c.into_iter().collect());
        }
    }
    out
}

#[test]
fn every_type_we_reject_clickhouse_rejects() {
    let types = corpus_types();
    assert!(types.len() > 50, "only {} corpus types", types.len());
    let candidates: BTreeSet<String> = types.iter().flat_map(|t| mutations(t)).collect();
    let candidates: Vec<String> = candidates.into_iter().collect();
    // Types ClickHouse keeps behind a setting are types all the same.
    let mut statements: Vec<(String, bool)> = [
        "SET allow_experimental_object_type = 1",
        "SET allow_experimental_variant_type = 1",
        "SET allow_experimental_dynamic_type = 1",
        "SET allow_experimental_json_type = 1",
        "SET allow_suspicious_low_cardinality_types = 1",
        "SET allow_suspicious_fixed_string_types = 1",
        "SET allow_suspicious_variant_types = 1",
    ]
    .iter()
    .map(|s| (s.to_string(), false))
    .collect();
    let settings = statements.len();
    for (i, t) in candidates.iter().enumerate() {
        statements.push((format!("CREATE TABLE t{i} (a {t}) ENGINE = Memory"), false));
    }
    let outcomes = chdb_project::run(&statements);
    assert_eq!(outcomes.len(), statements.len());
    for o in &outcomes[..settings] {
        assert!(o.ok, "{}", o.error);
    }
    let (mut false_errors, mut refused, mut found) = (vec![], 0, 0);
    for (t, o) in candidates.iter().zip(&outcomes[settings..]) {
        let ours = check_type(t, Dialect::Classic);
        if !o.ok {
            refused += 1;
            found += usize::from(ours.is_err());
        } else if let Err(e) = ours {
            false_errors.push(format!("`{t}`: we say {}", e.message));
        }
    }
    println!(
        "{} types ({} from the corpora): ClickHouse refuses {refused}, we find {found} ({:.1}%), false errors {}",
        candidates.len(),
        types.len(),
        100.0 * found as f64 / refused.max(1) as f64,
        false_errors.len()
    );
    assert!(false_errors.is_empty(), "{}", false_errors.join("\n"));
    // The corpora's own types are what real projects deploy: ClickHouse takes them (else the
    // statements themselves are wrong and the test proves nothing).
    let refused_originals: Vec<&String> = candidates
        .iter()
        .zip(&outcomes[settings..])
        .filter(|(t, o)| types.contains(*t) && !o.ok)
        .map(|(t, _)| t)
        .collect();
    assert!(refused_originals.is_empty(), "{refused_originals:?}");
    assert!(found > 0 && refused > 0);
}

/// The cases that made this test: ClickHouse takes a comma after the last argument.
#[test]
fn a_comma_after_the_last_argument_is_a_type() {
    for t in [
        "AggregateFunction(uniq, String,)",
        "Tuple(Int32, String,)",
        "Nullable(String,)",
        "Decimal(10, 2,)",
        "Int32()",
    ] {
        assert_eq!(check_type(t, Dialect::Forward), Ok(()), "{t}");
    }
    assert!(check_type("Tuple(,)", Dialect::Classic).is_err());
    assert!(check_type("Tuple(Int32,,)", Dialect::Classic).is_err());
}
