//! The function-name verdicts of `unknown-function` (`syntax::sql::functions::is_known_call`)
//! against ClickHouse (chdb):
//! - every parser form of data/parser_forms.tsv runs on ClickHouse in the cases it claims;
//! - a differential over every name called in ../shared/corpus and corpus-extra and mutations
//!   of each (a letter dropped, one added, the case changed, a combinator appended): ClickHouse
//!   runs `SELECT <name>()` and its error code says whether the name is unknown (46
//!   UNKNOWN_FUNCTION, 63 UNKNOWN_AGGREGATE_FUNCTION). Every name we call unknown must be one
//!   ClickHouse does not know (0 false), and we must find at least 95% of those it does not
//!   know. The rates are printed (BENCHMARKS.md, "Fidelity").

#[path = "support/chdb_project.rs"]
mod chdb_project;
mod common;

use std::collections::BTreeSet;
use syntax::sql::functions::{is_known_call, parser_forms};
use syntax::sql::lexer::{tokenize, TokenKind};

#[test]
fn parser_forms_run_on_clickhouse_in_the_cases_they_claim() {
    let mut statements = Vec::new();
    let mut expect = Vec::new();
    for &(name, any_case, query) in parser_forms() {
        let upper = name.to_ascii_uppercase();
        let mut capital = name.to_string();
        capital[..1].make_ascii_uppercase();
        statements.push((query.replace("{f}", name), false));
        expect.push((name.to_string(), true));
        for other in [upper, capital] {
            statements.push((query.replace("{f}", &other), false));
            expect.push((other, any_case));
        }
    }
    let outcomes = chdb_project::run(&statements);
    assert_eq!(outcomes.len(), statements.len());
    let mut wrong = Vec::new();
    for ((sql, _), (o, (name, ok))) in statements.iter().zip(outcomes.iter().zip(&expect)) {
        if o.ok != *ok {
            wrong.push(format!("{name}: `{sql}` ok={} ({})", o.ok, o.error));
        }
        assert_eq!(is_known_call(name), *ok, "is_known_call({name})");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every word written right before `(` in the corpora's datafiles: function calls, and some
/// words that are not (types, engines, keywords), which the differential handles as well.
fn called_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for path in common::corpus_files(&["pipe", "incl", "datasource"]) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let tokens = tokenize(&text);
        for w in tokens.windows(2) {
            if w[0].kind == TokenKind::Word
                && w[1].kind == TokenKind::LParen
                && w[0].range.end == w[1].range.start
            {
                names.insert(w[0].text(&text).to_string());
            }
        }
    }
    names
}

fn mutations(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    let chars: Vec<char> = name.chars().collect();
    if chars.len() > 3 {
        let mid = chars.len() / 2;
        out.push(chars[..mid].iter().chain(&chars[mid + 1..]).collect());
        let mut swapped = chars.clone();
        swapped.swap(mid - 1, mid);
        out.push(swapped.into_iter().collect());
    }
    out.push(format!("{name}x"));
    out.push(name.to_ascii_uppercase());
    out.push(name.to_ascii_lowercase());
    let mut flipped = chars.clone();
    if let Some(c) = flipped.first_mut() {
        *c = if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        };
    }
    out.push(flipped.into_iter().collect());
    for comb in ["If", "State", "Merge", "SimpleState", "if"] {
        out.push(format!("{name}{comb}"));
    }
    out
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Known,
    Unknown,
    /// A syntax error: the name is a keyword or a form that needs arguments.
    Undecided,
}

#[test]
fn unknown_function_verdicts_agree_with_clickhouse() {
    let mut names = BTreeSet::new();
    for n in called_names() {
        names.extend(mutations(&n));
    }
    let names: Vec<String> = names
        .into_iter()
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    // Each name with no, one and two arguments: a combinator checks its argument count
    // (code 42) before it looks the aggregate up, so one call alone cannot tell.
    const SHOTS: [&str; 3] = ["", "1", "1, 1"];
    let statements: Vec<(String, bool)> = names
        .iter()
        .flat_map(|n| SHOTS.map(|args| (format!("SELECT 1, {n}({args})"), false)))
        .collect();
    let outcomes = chdb_project::run(&statements);
    assert_eq!(outcomes.len(), statements.len());
    let (mut false_unknown, mut missed, mut unknown_total, mut undecided) =
        (Vec::new(), Vec::new(), 0, 0);
    let mut undecided_unknown = Vec::new();
    for (name, shots) in names.iter().zip(outcomes.chunks(SHOTS.len())) {
        let code = |o: &chdb_project::Outcome| {
            ["46", "63", "42", "43", "62"]
                .into_iter()
                .find(|c| o.error.contains(&format!("Code: {c}.")))
        };
        let verdict = if shots.iter().any(|o| matches!(code(o), Some("46" | "63"))) {
            Verdict::Unknown
        } else if shots.iter().any(|o| o.ok || code(o).is_none()) {
            Verdict::Known
        } else {
            // Syntax errors (a keyword, a form that needs its own syntax) or argument counts.
            Verdict::Undecided
        };
        let o = &shots[0];
        let ours = is_known_call(name);
        match verdict {
            Verdict::Known if !ours => false_unknown.push(format!("{name}: {}", o.error)),
            Verdict::Unknown => {
                unknown_total += 1;
                if ours {
                    missed.push(name.clone());
                }
            }
            Verdict::Undecided => {
                undecided += 1;
                if !ours {
                    undecided_unknown.push(name.clone());
                }
            }
            _ => {}
        }
    }
    let found = unknown_total - missed.len();
    println!(
        "{} names: ClickHouse rejects {unknown_total}, we report {found} ({:.1}%), {} wrongly, {undecided} undecided (syntax errors, argument checks; {:?} of them we call unknown); missed: {:?}",
        names.len(),
        100.0 * found as f64 / unknown_total.max(1) as f64,
        false_unknown.len(),
        undecided_unknown,
        missed
    );
    assert!(
        false_unknown.is_empty(),
        "reported unknown but ClickHouse knows them:\n{}",
        false_unknown.join("\n")
    );
    assert!(
        found * 100 >= unknown_total * 95,
        "only {found} of {unknown_total} unknown names found; missed: {missed:?}"
    );
    assert!(unknown_total > 1000, "the mutation set is too small");
}
