//! The SQL lexer's refusals against ClickHouse (chdb): every ASCII character, the Unicode white
//! space of `crates/syntax/src/sql/data/unicode_whitespace.txt` and the code points beside
//! each, and a sample of letters and symbols outside ASCII, each written between two words,
//! alone between spaces, and between two numbers. `check_syntax` reports an unrecognized
//! token exactly where ClickHouse does (and `!` outside `!=`, its own lexical error).

#[path = "support/chdb_project.rs"]
mod chdb_project;

use syntax::sql::check_syntax;

fn whitespace_list() -> Vec<char> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/syntax/src/sql/data/unicode_whitespace.txt"
    ))
    .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| char::from_u32(u32::from_str_radix(&l[2..], 16).unwrap()).unwrap())
        .collect()
}

/// ClickHouse's lexical errors: a character it does not read, `!` outside `!=`, a quote never
/// closed (a Unicode quote never closed is an "unrecognized token" too).
fn lexical(message: &str) -> bool {
    ["Unrecognized token", "Exclamation mark", "is not closed"]
        .iter()
        .any(|m| message.contains(m))
}

/// Ours: the same three.
fn ours_lexical(message: &str) -> bool {
    ["Unrecognized token", "`!`", "Unterminated"]
        .iter()
        .any(|m| message.contains(m))
}

#[test]
fn unrecognized_tokens_are_clickhouse_s() {
    let spaces = whitespace_list();
    assert!(
        spaces.contains(&'\u{a0}') && spaces.len() > 10,
        "{spaces:?}"
    );
    let mut probes: Vec<char> = (0u8..128).map(char::from).collect();
    for &c in &spaces {
        probes.push(c);
        for d in [c as u32 - 1, c as u32 + 1] {
            probes.extend(char::from_u32(d).filter(|d| !d.is_ascii()));
        }
    }
    probes.extend("éкü中😀\u{1680}\u{fffd}\u{ad}\u{200e}\u{2061}\u{e000}ſ‘’“”−".chars());
    probes.sort();
    probes.dedup();
    // Unicode quotes (`‘string’`, `“name”`, no escapes inside) and minus, read as ClickHouse
    // reads them.
    let mut sqls: Vec<String> = [
        "SELECT ‘x y’ AS a",
        "SELECT 1 AS “x y”",
        "SELECT ‘x’’",
        "SELECT ‘it\\’s’",
        "SELECT 1 AS “a”b”",
        "SELECT 2 − 1 AS a−b",
        "SELECT ‘a”",
        "SELECT “a’",
        "SELECT ’a’",
    ]
    .map(String::from)
    .to_vec();
    for c in &probes {
        sqls.push(format!("SELECT 1 AS a{c}b"));
        sqls.push(format!("SELECT 1 AS a {c} "));
        sqls.push(format!("SELECT 1 {c} 2"));
    }
    let statements: Vec<(String, bool)> = sqls.iter().map(|s| (s.clone(), false)).collect();
    let outcomes = chdb_project::run(&statements);
    assert_eq!(outcomes.len(), sqls.len());
    let (mut wrong, mut refused) = (vec![], 0);
    for (sql, o) in sqls.iter().zip(&outcomes) {
        let theirs = !o.ok && lexical(&o.error);
        refused += usize::from(theirs);
        let ours: Vec<String> = check_syntax(sql)
            .into_iter()
            .map(|e| e.message)
            .filter(|m| ours_lexical(m))
            .collect();
        if theirs == ours.is_empty() {
            wrong.push(format!("{sql:?}: ClickHouse {:?}, ours {ours:?}", o.error));
        }
    }
    println!(
        "{} statements over {} characters: ClickHouse refuses {refused} lexically",
        sqls.len(),
        probes.len()
    );
    assert!(refused > 100, "{refused}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
