//! FORWARD_QUERY: the one that carries the deployed rows into a new SCHEMA, and what a written
//! one outputs. `FORWARD_QUERY >` is a SELECT list only (no FROM) that Tinybird runs over the
//! live table; its columns must be the new SCHEMA's, by name, in order.

use syntax::chtype::Type;
use syntax::model::{Column, Datafile};
use syntax::text::TextRange;

pub(crate) fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "\\`"))
}

fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The type of a SCHEMA column as ClickHouse names it (Nullable included).
pub fn full_type(c: &Column) -> String {
    match &c.parsed {
        Some(t) => t.to_string(),
        None if c.nullable => format!("Nullable({})", c.ty),
        None => c.ty.clone(),
    }
}

/// Whether ClickHouse can put a value of type `t` inside `Nullable` (what `accurateCastOrDefault`
/// needs: it is `accurateCastOrNull` with a default); checked on chdb by
/// tests/deploy_plan.rs.
fn can_be_inside_nullable(t: &Type) -> bool {
    !matches!(
        t,
        Type::Nullable(_)
            | Type::LowCardinality(_)
            | Type::AggregateFunction { .. }
            | Type::SimpleAggregateFunction { .. }
    ) && !matches!(
        t.name(),
        "Array" | "Map" | "Tuple" | "Nested" | "Object" | "JSON" | "Variant" | "Dynamic"
    )
}

/// `expr` converted to the column's type, a value that does not fit becoming the type's
/// default where ClickHouse can tell (`accurateCastOrDefault`), a plain CAST where it cannot
/// (arrays, maps, tuples, aggregate states: a value that does not fit fails the deploy).
pub(crate) fn cast(expr: &str, c: &Column) -> String {
    let ty = full_type(c);
    let Some(t) = Type::parse(&ty) else {
        return format!("CAST({expr} AS {ty})");
    };
    let inner = match &t {
        Type::Nullable(i) | Type::LowCardinality(i) => Some(i.as_ref()),
        _ => None,
    };
    match (&t, inner) {
        (Type::LowCardinality(_), Some(i)) if can_be_inside_nullable(i.plain()) => format!(
            "CAST(accurateCastOrDefault({expr}, {}) AS {ty})",
            string_literal(&i.to_string())
        ),
        (Type::Nullable(_), Some(i)) if can_be_inside_nullable(i) => {
            format!("accurateCastOrDefault({expr}, {})", string_literal(&ty))
        }
        (t, None) if can_be_inside_nullable(t) => {
            format!("accurateCastOrDefault({expr}, {})", string_literal(&ty))
        }
        _ => format!("CAST({expr} AS {ty})"),
    }
}

/// Whether the deployed column `base` holds floats and `head` integers (Nullable or not).
fn float_to_integer(base: &Column, head: &Column) -> bool {
    let plain = |c: &Column| c.parsed.as_ref().map(|t| t.plain().clone());
    matches!((plain(base), plain(head)), (Some(b), Some(h)) if b.is_float() && h.is_integer())
}

/// The SELECT list that turns rows of the deployed columns `base` into the columns `head`,
/// in SCHEMA order: an unchanged column by name, a retyped one through
/// `accurateCastOrDefault` where ClickHouse allows it (a value that does not fit becomes the
/// type's default instead of failing the deploy; see [`cast`]), a new one its DEFAULT or the
/// type's default.
pub fn select_items(base: &[Column], head: &[Column]) -> Vec<String> {
    head.iter()
        .map(|c| {
            let ty = full_type(c);
            match base.iter().find(|b| b.name == c.name) {
                Some(b) if full_type(b) == ty => quoted(&c.name),
                // A float made an integer: `accurateCastOrDefault` turns every value with a
                // fraction into the default (1.5 becomes 0); truncated first, 1.5 becomes 1.
                Some(b) if float_to_integer(b, c) => format!(
                    "{} AS {}",
                    cast(&format!("trunc({})", quoted(&c.name)), c),
                    quoted(&c.name)
                ),
                Some(_) => format!("{} AS {}", cast(&quoted(&c.name), c), quoted(&c.name)),
                None => match &c.default {
                    Some(d) => format!("CAST({} AS {ty}) AS {}", d.text.trim(), quoted(&c.name)),
                    None => format!(
                        "defaultValueOfTypeName({}) AS {}",
                        string_literal(&ty),
                        quoted(&c.name)
                    ),
                },
            }
        })
        .collect()
}

/// The `FORWARD_QUERY >` block for [`select_items`], indented as datafiles are.
pub fn block(base: &[Column], head: &[Column]) -> String {
    format!(
        "FORWARD_QUERY >\n    SELECT\n        {}\n",
        select_items(base, head).join(",\n        ")
    )
}

/// The output column names of a datafile's FORWARD_QUERY, with their ranges in the file;
/// `None` when they cannot be known (a template, a star, no SELECT list read).
pub fn outputs(df: &Datafile) -> Option<Vec<(String, TextRange)>> {
    let fq = df.forward_query.as_ref()?;
    if fq.is_template() {
        return None;
    }
    let analysis = syntax::sql::analyze(&fq.text.text);
    let main = analysis.main?;
    if main.items.is_empty() {
        return None;
    }
    let mut out = vec![];
    for item in &main.items {
        if item.output_name.ends_with('*') {
            return None;
        }
        let name = item.output_name.trim_matches('`').to_string();
        out.push((name, fq.text.range_to_file(item.range)));
    }
    Some(out)
}

/// Each column of a FORWARD_QUERY named after a SCHEMA column (by its alias, or as the column
/// it reads), given to `f` with the query's text, the item, the SCHEMA column and its type.
/// Nothing for a template, a query with a FROM, or a SCHEMA type not read.
pub fn schema_items(
    fq: &syntax::model::Sql,
    schema: &syntax::model::Schema,
    mut f: impl FnMut(&str, &syntax::sql::ast::Expr, &Column, Type),
) {
    use syntax::sql::ast::ExprKind;
    if fq.is_template() {
        return;
    }
    let text = &fq.text.text;
    let parsed = syntax::sql::parser::parse(text);
    let Some(select) = parsed.queries.first().and_then(|q| q.selects.first()) else {
        return;
    };
    if !select.from.is_empty() {
        return;
    }
    for item in &select.items {
        let name = match (&item.kind, item.alias()) {
            (_, Some(a)) => &a.name,
            (ExprKind::Ident(parts), None) => match parts.last() {
                Some(p) => &p.name,
                None => continue,
            },
            _ => continue,
        };
        let Some(col) = schema.columns.iter().find(|c| c.name == *name) else {
            continue;
        };
        if let Some(want) = &col.parsed {
            f(text, item, col, want.clone());
        }
    }
}

/// The range of the whole `FORWARD_QUERY >` block of a file, through the end of its last line
/// (its newline included when there is one), for an edit that removes it.
pub fn block_range(df: &Datafile, text: &str) -> Option<TextRange> {
    let fq = df.forward_query.as_ref()?;
    let start = text[..fq.range.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[fq.range.end.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| fq.range.end + i + 1);
    Some(TextRange::new(start, end))
}
