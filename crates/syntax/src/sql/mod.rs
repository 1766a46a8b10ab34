//! ClickHouse SQL as it is written in datafiles, templates included (datafile-spec §7, §9.1).
//!
//! [`analyze`] takes the SQL of a node as the datafile parser stores it (a template when it
//! starts with `%`) and returns what the query reads, produces and filters, with ranges in that
//! text (map them to the file with [`crate::block::MappedText::range_to_file`]).
//!
//! Pipeline: [`template`] renders the official (test-mode) variant and one variant per other
//! branch → [`lexer`] → [`parser`] (tolerant, never fails) → [`facts`]. Facts from every variant
//! are merged, each table reference tagged with the template branch it came from.

pub mod ast;
pub mod facts;
pub mod functions;
pub mod lexer;
pub mod parser;
pub mod scopes;
pub mod template;
pub mod types;

use crate::text::TextRange;
use facts::{Cte, RefContext, SelectFacts, Subquery};
use lexer::{Token, TokenKind};
use serde::Serialize;
use template::{BranchInfo, Rendered, Template};

/// At most this many renderings of one template are analysed.
const MAX_VARIANTS: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableRef {
    pub database: Option<String>,
    pub name: String,
    /// In the analysed SQL text.
    pub range: TextRange,
    pub context: RefContext,
    /// The innermost template branch holding the reference (`None`: outside any `{% if %}`).
    pub branch: Option<BranchInfo>,
    /// `FROM t AS a`: `a`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

impl TableRef {
    pub fn full_name(&self) -> String {
        facts::qualified(self.database.as_deref(), &self.name)
    }
    /// Whether the official CLI sees this reference when it computes dependencies.
    pub fn seen_by_official(&self) -> bool {
        seen_by_official(Some(self.context), self.branch.as_ref())
    }
}

/// Whether the official CLI sees a reference: `table('x')` calls in any branch, other references
/// only in the branches its test-mode rendering takes (datafile-spec §9.1).
pub fn seen_by_official(context: Option<RefContext>, branch: Option<&BranchInfo>) -> bool {
    context == Some(RefContext::TemplateTable) || branch.is_none_or(|b| b.taken_by_official)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SqlError {
    pub range: TextRange,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlAnalysis {
    pub templated: bool,
    /// Every table read, in every template branch, in text order.
    pub tables: Vec<TableRef>,
    pub ctes: Vec<Cte>,
    /// `FROM c` / `JOIN c` naming a CTE in scope, in every branch.
    pub cte_reads: Vec<TableRef>,
    /// Subqueries other than CTE bodies, in every branch.
    pub subqueries: Vec<Subquery>,
    /// The first SELECT of the query as the official CLI renders it.
    pub main: Option<SelectFacts>,
    /// How many renderings of the template were analysed.
    pub variants: usize,
    /// Whether a template has more branches than renderings analysed: what is known of every
    /// rendering (the columns a node outputs, the names it defines) is then not known.
    pub renderings_truncated: bool,
    /// Calls of functions ClickHouse does not have, in every branch, where the name is
    /// written in the text (not put there by a `{{ }}` expression).
    pub unknown_calls: Vec<UnknownCall>,
    /// Aggregate and window function calls ClickHouse refuses where they are written
    /// ([`facts::misplaced_calls`]), in every branch: the call's name and why.
    pub misplaced_calls: Vec<MisplacedCall>,
    /// Calls with a number of arguments ClickHouse refuses for the function whatever the
    /// arguments ([`functions::refused_call_argument_counts`]), in every branch.
    pub argument_count_calls: Vec<MisplacedCall>,
    /// The column scopes of each rendering (the official one first; one for plain SQL), reads
    /// mapped to the node's text; `None` for a rendering that is not one query.
    pub column_scopes: Vec<Option<scopes::ColumnScopes>>,
}

/// An aggregate or window function call ClickHouse refuses where it is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MisplacedCall {
    pub call: UnknownCall,
    /// The diagnostic code: `illegal-aggregation` or `window-function-misuse`.
    pub code: &'static str,
    pub message: String,
}

/// A call of a function that ClickHouse does not have ([`functions::resolve_function`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnknownCall {
    pub name: String,
    /// The name's range.
    pub range: TextRange,
    pub branch: Option<BranchInfo>,
}

impl SqlAnalysis {
    /// The table the main SELECT reads in its own FROM: a datasource or pipe named there, never
    /// a table read inside a CTE body or a subquery that comes first in the text. `None` when
    /// the main SELECT reads a CTE, a subquery or no table.
    pub fn main_from(&self) -> Option<&TableRef> {
        let main = self.main.as_ref()?;
        let inside = |r: TextRange, body: TextRange| r.start >= body.start && r.end <= body.end;
        self.tables.iter().find(|t| {
            t.context == RefContext::From
                && inside(t.range, main.range)
                && !self
                    .ctes
                    .iter()
                    .filter_map(|c| c.body)
                    .any(|b| inside(t.range, b))
                && !self.subqueries.iter().any(|s| inside(t.range, s.body))
        })
    }
}

/// Where `table` qualifies a column in `text` (`table.col`, `` `table`.col ``, `table.*`): the
/// ranges of the qualifier, with its quotes. A name preceded by a dot (`db.table.col`) or that
/// is itself a table reference (`analysis.tables`) is not one.
pub fn qualifiers(text: &str, analysis: &SqlAnalysis, table: &str) -> Vec<TextRange> {
    let tokens = lexer::tokenize(text);
    let name = |t: &lexer::Token| match t.kind {
        lexer::TokenKind::Word => Some(t.text(text)),
        lexer::TokenKind::QuotedIdent => {
            let r = lexer::inner_range(text, t);
            text.get(r.start..r.end)
        }
        _ => None,
    };
    let is_table_ref = |r: TextRange| {
        analysis
            .tables
            .iter()
            .any(|t| t.range.start <= r.start && r.end <= t.range.end)
    };
    tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            name(t) == Some(table)
                && tokens.get(i + 1).is_some_and(|d| {
                    d.kind == lexer::TokenKind::Dot && d.range.start == t.range.end
                })
                && tokens.get(i + 2).is_some_and(|c| {
                    c.range.start == t.range.end + 1 && (name(c).is_some() || c.text(text) == "*")
                })
                && !(*i > 0
                    && tokens[i - 1].kind == lexer::TokenKind::Dot
                    && tokens[i - 1].range.end == t.range.start)
                && !is_table_ref(t.range)
        })
        .map(|(_, t)| t.range)
        .collect()
}

/// The renderings [`analyze`] reads, in its order: the text itself when it is no template;
/// else the official rendering, then one per branch it does not take. Each fact indexed by
/// rendering (`column_scopes`) is of the rendering at the same index.
pub fn renderings(text: &str) -> Vec<Rendered> {
    match Template::of_sql(text) {
        Some(t) => t.variants(text, MAX_VARIANTS),
        None => vec![Rendered::plain(text, 0)],
    }
}

/// Analyses node SQL (the text after `SQL >`, as stored by the datafile parser).
pub fn analyze(text: &str) -> SqlAnalysis {
    let templated = text.trim_start().starts_with('%');
    let mut out = SqlAnalysis {
        templated,
        ..SqlAnalysis::default()
    };
    if !templated {
        let rendered = Rendered::plain(text, 0);
        add_variant(&mut out, &rendered, None, true);
        out.variants = 1;
        return out;
    }
    let start = text.find('%').map_or(0, |i| i + 1);
    let template = Template::parse(text, start);
    let variants = template.variants(text, MAX_VARIANTS);
    out.renderings_truncated = template.variant_count() > variants.len();
    out.variants = variants.len();
    for (i, v) in variants.iter().enumerate() {
        add_variant(&mut out, v, Some(&template), i == 0);
    }
    for (name, range) in template.table_calls(text) {
        // A rendered `{{ TABLE('x') }}` maps back to the whole tag: the reference is the name
        // inside the string (what a rename or a repoint rewrites).
        let mut found = false;
        for t in out.tables.iter_mut() {
            if t.full_name() == name && (t.range.contains(range.start) || t.range == range) {
                t.range = range;
                found = true;
            }
        }
        if found {
            continue;
        }
        let (database, name) = match name.split_once('.') {
            Some((d, n)) => (Some(d.to_string()), n.to_string()),
            None => (None, name),
        };
        out.tables.push(TableRef {
            database,
            name,
            range,
            context: RefContext::TemplateTable,
            branch: template.branch_at(range.start),
            alias: None,
        });
    }
    out.tables.sort_by_key(|t| (t.range.start, t.range.end));
    out
}

fn add_variant(out: &mut SqlAnalysis, v: &Rendered, template: Option<&Template>, official: bool) {
    let parsed = parser::parse(&v.text);
    let found = facts::table_refs(parsed.queries.iter().chain(&parsed.stray), &v.text);
    let branch = |range: TextRange| template.and_then(|t| t.branch_at(range.start));
    for (list, refs) in [
        (&mut out.tables, found.tables),
        (&mut out.cte_reads, found.cte_reads),
    ] {
        for r in refs {
            let range = v.to_source(r.range);
            if list.iter().any(|t| t.range == range && t.name == r.name) {
                continue;
            }
            list.push(TableRef {
                database: r.database,
                name: r.name,
                range,
                context: r.context,
                branch: branch(range),
                alias: r.alias,
            });
        }
    }
    for mut c in found.ctes {
        c.range = v.to_source(c.range);
        if out
            .ctes
            .iter()
            .any(|o| o.range == c.range && o.name == c.name)
        {
            continue;
        }
        c.body = c.body.map(|r| v.to_source(r));
        c.expr = c.expr.map(|r| v.to_source(r));
        if let Some(s) = &mut c.select {
            s.map_ranges(|r| v.to_source(r));
        }
        out.ctes.push(c);
    }
    for mut q in found.subqueries {
        q.body = v.to_source(q.body);
        if out.subqueries.iter().any(|o| o.body == q.body) {
            continue;
        }
        if let Some(s) = &mut q.select {
            s.map_ranges(|r| v.to_source(r));
        }
        out.subqueries.push(q);
    }
    for call in found.calls {
        if v.from_expression(call.range) || functions::is_known_call(&call.name) {
            continue;
        }
        let range = v.to_source(call.range);
        if out.unknown_calls.iter().any(|c| c.range == range) {
            continue;
        }
        out.unknown_calls.push(UnknownCall {
            name: call.name,
            range,
            branch: branch(range),
        });
    }
    for (call, n) in found.counted_calls {
        if v.from_expression(call.range) {
            continue;
        }
        if !functions::refused_call_argument_counts(&call.name).contains(&(n.min(255) as u8)) {
            continue;
        }
        let range = v.to_source(call.range);
        if out
            .argument_count_calls
            .iter()
            .any(|c| c.call.range == range)
        {
            continue;
        }
        // With an `If` combinator ClickHouse reads the last argument as the condition: a
        // missing one is refused for its type (code 43) or for the count (code 42).
        let conditional = functions::resolve_function(&call.name)
            .is_some_and(|r| r.combinators.iter().any(|c| c == "If"));
        let message = format!(
            "`{}` called with {n} argument{}: ClickHouse takes {} ({})",
            call.name,
            if n == 1 { "" } else { "s" },
            functions::accepted_argument_counts(&call.name),
            if conditional {
                "the condition last"
            } else {
                "NUMBER_OF_ARGUMENTS_DOESNT_MATCH"
            }
        );
        out.argument_count_calls.push(MisplacedCall {
            call: UnknownCall {
                name: call.name,
                range,
                branch: branch(range),
            },
            code: "wrong-argument-count",
            message,
        });
    }
    for (call, code, message) in found.misplaced {
        if v.from_expression(call.range) {
            continue;
        }
        let range = v.to_source(call.range);
        if out.misplaced_calls.iter().any(|c| c.call.range == range) {
            continue;
        }
        out.misplaced_calls.push(MisplacedCall {
            call: UnknownCall {
                name: call.name,
                range,
                branch: branch(range),
            },
            code,
            message,
        });
    }
    let from_template = |r: TextRange| template.is_some() && v.from_expression(r);
    let mut scopes = scopes::column_scopes(&v.text, &parsed, &from_template);
    if let Some(scopes) = &mut scopes {
        scopes.map_reads(&|r| {
            let r = v.to_source(r);
            (r, branch(r))
        });
    }
    out.column_scopes.push(scopes);
    if official {
        out.main = parsed
            .queries
            .first()
            .and_then(|q| q.selects.first())
            .map(|s| {
                let mut f = facts::select_facts(s, &v.text);
                f.map_ranges(|r| v.to_source(r));
                f
            });
    }
}

/// SQL syntax errors ClickHouse is sure to report, for SQL that is not a template (a template
/// gets none: its rendering depends on parameters).
pub fn check_syntax(text: &str) -> Vec<SqlError> {
    if text.trim_start().starts_with('%') {
        return Vec::new();
    }
    syntax_errors(text, &lexer::tokenize(text))
}

/// Lexical and bracket errors: each is one ClickHouse reports too (unterminated literals and
/// comments, unbalanced parentheses and brackets). Nothing that depends on grammar details.
fn syntax_errors(src: &str, tokens: &[Token]) -> Vec<SqlError> {
    let mut errors = Vec::new();
    let mut stack: Vec<Token> = Vec::new();
    for t in tokens {
        match t.kind {
            TokenKind::Unterminated => {
                let what = match t.text(src).chars().next() {
                    Some('\'' | '\u{2018}') => "string literal",
                    Some('/') => "comment",
                    _ => "quoted identifier",
                };
                let first = t.text(src).chars().next().map_or(1, char::len_utf8);
                errors.push(SqlError {
                    range: TextRange::new(t.range.start, t.range.start + first),
                    message: format!("Unterminated {what}: it runs to the end of the query"),
                });
            }
            TokenKind::Unknown | TokenKind::Op | TokenKind::Word => {
                if let Some((range, c)) = lexer::first_refused(src, t) {
                    errors.push(SqlError {
                        range,
                        message: refused_message(c),
                    });
                }
            }
            TokenKind::LParen | TokenKind::LBracket => stack.push(*t),
            TokenKind::RParen | TokenKind::RBracket => {
                let want = if t.kind == TokenKind::RParen {
                    TokenKind::LParen
                } else {
                    TokenKind::LBracket
                };
                match stack.pop() {
                    Some(open) if open.kind == want => {}
                    Some(open) => {
                        errors.push(SqlError {
                            range: t.range,
                            message: format!(
                                "Unmatched brackets: `{}` closes `{}`",
                                t.text(src),
                                open.text(src)
                            ),
                        });
                        return errors;
                    }
                    None => {
                        errors.push(SqlError {
                            range: t.range,
                            message: format!("Unmatched `{}`: nothing opens it", t.text(src)),
                        });
                        return errors;
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(open) = stack.first() {
        errors.push(SqlError {
            range: open.range,
            message: format!("Unmatched `{}`: it is never closed", open.text(src)),
        });
    }
    errors
}

/// Why ClickHouse refuses the character `c` ("Unrecognized token"; `!` has its own error).
fn refused_message(c: char) -> String {
    let what = match c {
        '!' => {
            return "`!` is an operator only in `!=` for Tinybird's SQL parser (write `NOT`)".into()
        }
        '&' => "ClickHouse has no `&` operator (write `AND`, or `bitAnd(a, b)`)".to_string(),
        '\\' => "a backslash escapes a character only inside quotes".to_string(),
        '#' => "`#` starts a comment only before a space or `!`".to_string(),
        c if c.is_ascii_control() => format!("the control character U+{:04X}", c as u32),
        c => format!(
            "ClickHouse reads `{c}` (U+{:04X}) only inside quotes: quote a name that holds it with backticks",
            c as u32
        ),
    };
    format!("Unrecognized token: {what}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn qualifiers_of_a_table_are_found_but_not_its_references() {
        let sql = "SELECT daily.day, countMerge(`daily`.hits), other.daily.x, d.daily FROM daily JOIN db.daily AS e ON daily.* = 1";
        let a = super::analyze(sql);
        let found: Vec<&str> = super::qualifiers(sql, &a, "daily")
            .into_iter()
            .map(|r| &sql[r.start..r.end])
            .collect();
        assert_eq!(found, ["daily", "`daily`", "daily"]);
    }

    use super::*;

    fn names(a: &SqlAnalysis) -> Vec<String> {
        a.tables.iter().map(|t| t.full_name()).collect()
    }

    #[test]
    fn tables_of_a_plain_query() {
        let sql = "WITH c AS (SELECT * FROM z) SELECT a FROM c JOIN u USING id \
                   WHERE x IN (SELECT k FROM q) AND y IN db.s AND z IN (1, 2)";
        let a = analyze(sql);
        assert_eq!(names(&a), vec!["z", "u", "q", "db.s"]);
        assert_eq!(a.ctes[0].name, "c");
        assert!(check_syntax(sql).is_empty());
    }

    #[test]
    fn a_scalar_subquery_in_with_is_read() {
        let sql = "WITH (SELECT max(v) FROM settings) AS days \
                   SELECT toStartOfHour(ts) AS hour FROM events WHERE ts > now() - toIntervalDay(days)";
        let a = analyze(sql);
        assert_eq!(names(&a), vec!["settings", "events"]);
    }

    #[test]
    fn a_reserved_word_names_a_table_where_clickhouse_reads_one() {
        // chdb reads every one of these as the table (tests/sql_differential.rs has the list).
        let sql = "SELECT * FROM settings JOIN order AS o ON 1 JOIN limit USING id \
                   WHERE x IN (SELECT k FROM final) AND y IN (SELECT 1 FROM where WHERE 1)";
        let a = analyze(sql);
        assert_eq!(
            names(&a),
            vec!["settings", "order", "limit", "final", "where"]
        );
        // A table still to be typed: the clause stays a clause.
        let a = analyze("SELECT a FROM WHERE b = 1");
        assert!(a.main.as_ref().is_some_and(|m| !m.where_.is_empty()));
    }

    #[test]
    fn template_branches_are_all_read() {
        let sql =
            "%\nSELECT * FROM {% if defined(x) %}a{% else %}b{% end %} JOIN {{ table('c') }} ON 1";
        let a = analyze(sql);
        let got: Vec<(String, bool)> = a
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.seen_by_official()))
            .collect();
        assert_eq!(
            got,
            vec![("a".into(), false), ("b".into(), true), ("c".into(), true)]
        );
        assert_eq!(&sql[a.tables[0].range.start..a.tables[0].range.end], "a");
        assert_eq!(a.tables[0].branch.as_ref().unwrap().label, "if defined(x)");
    }

    #[test]
    fn main_select_facts() {
        let sql = "SELECT toDate(ts) AS d, countState() c, uniqIf(u, u > 0) FROM t \
                   WHERE toDate(ts) >= '2024-01-01' AND '2024-02-01' > ts AND x = y GROUP BY d ORDER BY d";
        let a = analyze(sql);
        let m = a.main.unwrap();
        let aliases: Vec<_> = m.items.iter().map(|i| i.output_name.as_str()).collect();
        assert_eq!(aliases, vec!["d", "c", "uniqIf(u, u > 0)"]);
        assert_eq!(m.items[1].functions[0].combinators, vec!["State"]);
        assert_eq!(m.where_.len(), 3);
        let c0 = &m.where_[0].comparisons[0];
        assert_eq!(
            (c0.column.as_str(), c0.op, c0.value.as_str()),
            ("ts", facts::CompareOp::Ge, "2024-01-01")
        );
        assert_eq!(c0.wrappers, vec!["toDate"]);
        assert_eq!(m.where_[1].comparisons[0].op, facts::CompareOp::Lt);
        assert!(m.where_[2].comparisons.is_empty());
        assert_eq!(m.group_by.len(), 1);
    }

    #[test]
    fn templated_filter_value_maps_to_the_tag() {
        let sql = "%\nSELECT * FROM t WHERE ts > {{ DateTime(start, '2024-01-01 00:00:00') }}";
        let a = analyze(sql);
        let c = &a.main.unwrap().where_[0].comparisons[0];
        assert_eq!(c.value, "2024-01-01 00:00:00");
        assert!(sql[c.value_range.start..c.value_range.end].starts_with("{{"));
    }

    #[test]
    fn characters_clickhouse_does_not_read_are_reported() {
        let errors = |sql: &str| -> Vec<(String, String)> {
            check_syntax(sql)
                .into_iter()
                .map(|e| (sql[e.range.start..e.range.end].to_string(), e.message))
                .collect()
        };
        let e = errors("SELECT count() AS número FROM t WHERE a & b AND ! c");
        let found: Vec<&str> = e.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(found, ["ú", "&", "!"], "{e:?}");
        assert!(e[0].1.contains("backticks"), "{e:?}");
        let e = errors("SELECT ‘it’s’ FROM t");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, "’");
        for fine in [
            "SELECT `número`, 'ü', \"é\" FROM t -- ß",
            "SELECT a /* ü */ FROM t # x",
            "SELECT\u{a0}a,\u{3000}b FROM t WHERE x != 1",
            "%\nSELECT número FROM t",
            "SELECT ‘é’ AS a, “ü”−1 FROM t",
        ] {
            assert_eq!(errors(fine), vec![], "{fine}");
        }
    }

    #[test]
    fn syntax_errors_are_lexical_or_brackets() {
        assert_eq!(check_syntax("SELECT (1").len(), 1);
        assert_eq!(check_syntax("SELECT 1)").len(), 1);
        assert_eq!(check_syntax("SELECT 'a").len(), 1);
        assert!(check_syntax("SELECT a b c FROM").is_empty());
        assert!(check_syntax("%\nSELECT ({{ x }}").is_empty());
    }
}

#[cfg(test)]
mod deep_input_tests {
    use super::analyze;

    /// Deeply nested input must not overflow the stack (run on a small thread stack).
    #[test]
    fn deep_nesting_does_not_overflow() {
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| {
                for piece in [
                    "(",
                    "[",
                    "NOT ",
                    "- ",
                    "(SELECT ",
                    "CASE WHEN ",
                    "{% if x %}",
                    "f(",
                    "x[1]",
                    "::T",
                    " AND a",
                    " + a",
                    "a -> ",
                    "x ? ",
                ] {
                    let text = format!("SELECT {}", piece.repeat(20_000));
                    let _ = analyze(&text);
                    let _ = analyze(&format!("%\n{text}"));
                    // Inside aggregates, WHERE and GROUP BY, and template expressions.
                    let _ = analyze(&format!(
                        "SELECT sum({text}) FROM t WHERE {}",
                        piece.repeat(20_000)
                    ));
                    let _ = analyze(&format!("SELECT 1 GROUP BY {}", piece.repeat(20_000)));
                    let _ = crate::template::expression_errors(&format!(
                        "%\n{{{{ {} }}}}",
                        piece.repeat(20_000)
                    ));
                }
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
    }
}
