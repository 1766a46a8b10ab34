//! Opt-in SQL formatting: ClickHouse keywords of plain (non-template) SQL in upper case.
//! A word is changed only when the SQL parses cleanly and the word is no identifier, function,
//! alias, table, type or parameter of the parsed query, so the query ClickHouse reads is the
//! same (tests/format_sql_chdb.rs compares ClickHouse's own `EXPLAIN AST` before and after on
//! the corpus). Every change keeps the text's length.

use syntax::sql::ast::{Expr, ExprKind, Query, TableSource, WithItem};
use syntax::sql::lexer::{tokenize, TokenKind};
use syntax::text::TextRange;

/// Words upper-cased where they are keywords.
const KEYWORDS: &[&str] = &[
    "select",
    "from",
    "where",
    "prewhere",
    "group",
    "by",
    "order",
    "having",
    "limit",
    "offset",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "outer",
    "cross",
    "array",
    "on",
    "using",
    "as",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "between",
    "like",
    "ilike",
    "case",
    "when",
    "then",
    "else",
    "end",
    "distinct",
    "union",
    "all",
    "with",
    "asc",
    "desc",
    "interval",
    "global",
    "any",
    "semi",
    "anti",
    "final",
    "sample",
    "totals",
    "rollup",
    "cube",
    "nulls",
    "first",
    "last",
    "settings",
    "over",
    "partition",
    "rows",
    "range",
    "preceding",
    "following",
    "unbounded",
    "current",
    "row",
    "fill",
    "step",
    "ties",
];

/// The SQL with its keywords upper-cased, or `None` when nothing changes or the SQL does not
/// parse cleanly.
pub fn upper_keywords(sql: &str) -> Option<String> {
    if sql.trim_start().starts_with('%') {
        return None;
    }
    let parsed = syntax::sql::parser::parse(sql);
    if !parsed.stray.is_empty() || parsed.queries.is_empty() {
        return None;
    }
    let mut names: Vec<TextRange> = Vec::new();
    for q in &parsed.queries {
        if !query_names(q, &mut names) {
            return None;
        }
    }
    // A word that names something anywhere in the query keeps its case everywhere: where the
    // parser takes it for a keyword it may still be that name (`… AS order`, `ecm.order`), and
    // ClickHouse names are case-sensitive.
    let name_words: std::collections::HashSet<String> = names
        .iter()
        .filter_map(|r| sql.get(r.start..r.end))
        .map(|w| {
            w.trim_matches(|c| c == '`' || c == '"')
                .to_ascii_lowercase()
        })
        .collect();
    let mut out = sql.to_string();
    let mut changed = false;
    for t in tokenize(sql) {
        if t.kind != TokenKind::Word {
            continue;
        }
        let word = &sql[t.range.start..t.range.end];
        let is_keyword = KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
            && word.bytes().any(|b| b.is_ascii_lowercase())
            && !name_words.contains(&word.to_ascii_lowercase())
            && !names
                .iter()
                .any(|r| r.start < t.range.end && t.range.start < r.end);
        if is_keyword {
            out.replace_range(t.range.start..t.range.end, &word.to_ascii_uppercase());
            changed = true;
        }
    }
    changed.then_some(out)
}

/// Collects the ranges of every name of a query; `false` when it holds text the parser could
/// not read.
fn query_names(q: &Query, names: &mut Vec<TextRange>) -> bool {
    for s in &q.selects {
        for w in &s.with {
            names.push(w.name().range);
            let ok = match w {
                WithItem::Subquery { query, .. } => query_names(query, names),
                WithItem::Expr { expr, .. } => expr_names(expr, names),
            };
            if !ok {
                return false;
            }
        }
        for t in &s.from {
            if let Some(a) = &t.alias {
                names.push(a.range);
            }
            let ok = match &t.source {
                TableSource::Table { database, name } => {
                    names.extend(database.iter().map(|d| d.range));
                    names.push(name.range);
                    true
                }
                TableSource::Subquery(sub) => query_names(sub, names),
                TableSource::Function(f) => expr_names(f, names),
            };
            if !ok || !t.join.iter().flatten().all(|e| expr_names(e, names)) {
                return false;
            }
        }
        for e in s.items.iter().chain(s.clause_exprs()) {
            if !expr_names(e, names) {
                return false;
            }
        }
    }
    true
}

fn expr_names(e: &Expr, names: &mut Vec<TextRange>) -> bool {
    match &e.kind {
        ExprKind::Error => return false,
        ExprKind::Ident(parts) => names.extend(parts.iter().map(|p| p.range)),
        ExprKind::Function(f) => names.push(f.name.range),
        ExprKind::Alias { alias, .. } => names.push(alias.range),
        // Type names (`CAST(x AS String)`), query parameters, lambdas' parameters.
        ExprKind::Opaque | ExprKind::Lambda { .. } | ExprKind::Star => names.push(e.range),
        _ => {}
    }
    let (exprs, queries) = e.children();
    exprs.into_iter().all(|c| expr_names(c, names))
        && queries.into_iter().all(|q| query_names(q, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_only() {
        assert_eq!(
            upper_keywords("select a as first, count() from t as last where a in (1) group by a order by a desc").as_deref(),
            Some("SELECT a AS first, count() FROM t AS last WHERE a IN (1) GROUP BY a ORDER BY a DESC")
        );
        assert_eq!(upper_keywords("SELECT 1"), None, "nothing to change");
        assert_eq!(
            upper_keywords("%\nselect {{ x }}"),
            None,
            "templates are left alone"
        );
        assert_eq!(
            upper_keywords("select left(s, 2), last from t"),
            Some("SELECT left(s, 2), last FROM t".into())
        );
    }

    /// A word naming something anywhere keeps its case everywhere (ClickHouse names are
    /// case-sensitive): the alias `order` stays `order` beside `ecm.order`.
    #[test]
    fn a_word_used_as_a_name_is_never_recased() {
        assert_eq!(
            upper_keywords(
                "select ecm.order as order, count() as c from events as ecm group by order"
            )
            .as_deref(),
            Some("SELECT ecm.order AS order, count() AS c FROM events AS ecm GROUP BY order")
        );
        assert_eq!(
            upper_keywords("select ecm.limit from events as ecm limit 10").as_deref(),
            Some("SELECT ecm.limit FROM events AS ecm limit 10")
        );
    }
}
