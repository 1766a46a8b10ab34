//! The names a query reads as columns, for the one shape where the scope is certain: one SELECT
//! over one table (no JOIN, ARRAY JOIN, UNION, WITH, subquery, template, or text the parser could
//! not read). The `unknown-column` rule compares them with the table's columns.

use super::ast::{Expr, ExprKind, TableSource};
use super::parser::Parsed;
use crate::text::TextRange;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnReads {
    /// The table the query reads (unqualified), and its alias.
    pub table: String,
    pub alias: Option<String>,
    /// Names read as columns, with their ranges: unqualified identifiers, and `t.c` where `t`
    /// is the table or its alias (lambda bodies left out: their parameters are names too).
    pub reads: Vec<(String, TextRange)>,
    /// Every alias the query defines (any part of a ClickHouse query may read them).
    pub aliases: Vec<String>,
}

fn reads(e: &Expr, table: &[&str], out: &mut Vec<(String, TextRange)>) -> Option<()> {
    match &e.kind {
        ExprKind::Ident(parts) => match parts.as_slice() {
            [one] => out.push((one.name.clone(), one.range)),
            [t, col] if table.contains(&t.name.as_str()) => out.push((col.name.clone(), col.range)),
            // A tuple element, a JSON path, a database: not judged.
            _ => {}
        },
        ExprKind::Lambda { .. } => {}
        ExprKind::Subquery(_) | ExprKind::Error => return None,
        _ => {
            let (children, queries) = e.children();
            if !queries.is_empty() {
                return None;
            }
            for c in children {
                reads(c, table, out)?;
            }
        }
    }
    Some(())
}

fn aliases(e: &Expr, out: &mut Vec<String>) {
    if let Some(a) = e.alias() {
        out.push(a.name.clone());
    }
    for c in e.children().0 {
        aliases(c, out);
    }
}

/// The column reads of `text`, parsed as `parsed`, when its scope is certain.
pub fn column_reads(text: &str, parsed: &Parsed) -> Option<ColumnReads> {
    if text.contains("{{") || text.contains("{%") {
        return None;
    }
    let ([query], []) = (parsed.queries.as_slice(), parsed.stray.as_slice()) else {
        return None;
    };
    let [select] = query.selects.as_slice() else {
        return None;
    };
    let [from] = select.from.as_slice() else {
        return None;
    };
    if !select.with.is_empty() || !select.array_join.is_empty() || from.join.is_some() {
        return None;
    }
    let TableSource::Table {
        database: None,
        name,
    } = &from.source
    else {
        return None;
    };
    let mut table = vec![name.name.as_str()];
    if let Some(a) = &from.alias {
        table.push(a.name.as_str());
    }
    let exprs: Vec<&Expr> = select
        .items
        .iter()
        .chain(&select.prewhere)
        .chain(&select.where_)
        .chain(&select.group_by)
        .chain(&select.having)
        .chain(&select.order_by)
        .collect();
    let mut out = vec![];
    for e in &exprs {
        reads(e, &table, &mut out)?;
    }
    let mut names = vec![];
    for e in exprs.iter().copied().chain(&select.other) {
        aliases(e, &mut names);
    }
    Some(ColumnReads {
        table: name.name.clone(),
        alias: from.alias.as_ref().map(|a| a.name.clone()),
        reads: out,
        aliases: names,
    })
}
