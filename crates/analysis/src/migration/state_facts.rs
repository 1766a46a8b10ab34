//! What ClickHouse does when a materialized view writes an aggregate into a target column:
//! data generated from ClickHouse by scripts/gen-state-types.py (`data/state_types.tsv`), never
//! guessed. For a grid of aggregate functions × combinator forms × argument types it holds the
//! type each SELECT item produces (`toTypeName`) and, for the declared column types tried, the
//! verdict of a real view: stored and merged right, refused at CREATE, inserts failing, or rows
//! stored that do not merge to the aggregate. A pair outside the grid has no verdict: the rules
//! say nothing about it.

use crate::migration::instant::split_args;
use rustc_hash::FxHashMap;
use std::sync::OnceLock;
use syntax::chtype::{canonical_function, Type};

const TABLE: &str = include_str!("data/state_types.tsv");

/// What ClickHouse did with one (item, declared type) pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The view is created and the target merges to the aggregate.
    Ok,
    /// CREATE MATERIALIZED VIEW fails with this error code: the deploy fails.
    Rejected(String),
    /// The view is created but every insert into its source fails with this code.
    Insert(String),
    /// Rows are stored, but after merging the column does not hold the aggregate.
    Wrong,
    /// Inserts fail for values that do not parse as the target type: it depends on the data.
    Data,
}

struct Facts {
    /// (function, form, args) → produced type.
    types: FxHashMap<(String, String, String), &'static str>,
    /// (function, form, args, declared) → verdict.
    pairs: FxHashMap<(String, String, String, String), Verdict>,
    /// (function, form, declared) → verdicts over every argument type tried.
    by_declared: FxHashMap<(String, String, String), Vec<Verdict>>,
    /// The parameters the grid tries a parametric function with (`quantiles` → `(0.5, 0.9)`).
    grid_params: FxHashMap<String, String>,
    /// (`gMerge` function read, state type) → verdict of `gMerge(column)`.
    merges: FxHashMap<(String, String), Verdict>,
    /// (plain aggregate, state type) → verdict of `g(column)` over the states.
    plains: FxHashMap<(String, String), Verdict>,
}

fn facts() -> &'static Facts {
    static F: OnceLock<Facts> = OnceLock::new();
    F.get_or_init(|| {
        let mut f = Facts {
            types: FxHashMap::default(),
            pairs: FxHashMap::default(),
            by_declared: FxHashMap::default(),
            grid_params: FxHashMap::default(),
            merges: FxHashMap::default(),
            plains: FxHashMap::default(),
        };
        for line in TABLE.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&'static str> = line.split('\t').collect();
            match cols.as_slice() {
                ["type", func, form, args, produced] => {
                    if let Some((base, params)) = func.split_once('(') {
                        f.grid_params.insert(base.to_string(), format!("({params}"));
                    }
                    f.types.insert(
                        (func.to_string(), form.to_string(), args.to_string()),
                        produced,
                    );
                }
                ["pair", func, form, args, declared, verdict, detail] => {
                    let v = match *verdict {
                        "ok" => Verdict::Ok,
                        "rejected" => Verdict::Rejected(detail.to_string()),
                        "insert" => Verdict::Insert(detail.to_string()),
                        "data" => Verdict::Data,
                        _ => Verdict::Wrong,
                    };
                    f.by_declared
                        .entry((func.to_string(), form.to_string(), declared.to_string()))
                        .or_default()
                        .push(v.clone());
                    f.pairs.insert(
                        (
                            func.to_string(),
                            form.to_string(),
                            args.to_string(),
                            declared.to_string(),
                        ),
                        v,
                    );
                }
                [kind @ ("merge" | "plain"), func, state, verdict, code] => {
                    let v = match *verdict {
                        "ok" => Verdict::Ok,
                        _ => Verdict::Rejected(code.to_string()),
                    };
                    let map = if *kind == "merge" {
                        &mut f.merges
                    } else {
                        &mut f.plains
                    };
                    map.insert((func.to_string(), state.to_string()), v);
                }
                _ => {}
            }
        }
        f
    })
}

/// The parameters of a call written `name(params)(args)`, given the text after its name:
/// `(0.5, 0.9)` canonically spaced, or empty.
pub fn call_parameters(after_name: &str) -> String {
    match bracketed(after_name.trim_start()) {
        Some((params, rest)) if rest.trim_start().starts_with('(') => {
            canonical_function(&format!("f({params})"))[1..].to_string()
        }
        _ => String::new(),
    }
}

/// A read function and a state type as the table keys them: parameters equal on both sides
/// become the grid's (`quantilesMerge(0.5, 0.95)` over `quantiles(0.5, 0.95)` states is looked
/// up as the grid's `quantiles(0.5, 0.9)`).
fn read_key(base: &str, params: &str, state: &Type) -> Option<(String, String)> {
    let state_text = state.to_string();
    if params.is_empty() {
        return Some((base.to_string(), state_text));
    }
    let grid_base = base.strip_suffix("If").unwrap_or(base);
    let grid = facts().grid_params.get(grid_base)?;
    if grid == params {
        return Some((format!("{base}{params}"), state_text));
    }
    let Type::AggregateFunction { function, .. } = state else {
        return None;
    };
    let swapped = match function.strip_suffix(params) {
        Some(name) => state_text.replacen(function.as_str(), &format!("{name}{grid}"), 1),
        None => state_text,
    };
    Some((format!("{base}{grid}"), swapped))
}

/// ClickHouse's verdict on `gMerge(column)` (`base` = `g` with its combinators other than
/// Merge, such as `countIf`) over a column of `state`; `None`: not known.
pub fn merge_verdict(base: &str, params: &str, state: &Type) -> Option<Verdict> {
    facts().merges.get(&read_key(base, params, state)?).cloned()
}

/// ClickHouse's verdict on a plain aggregate `g(column)` over a column of `state`.
pub fn plain_verdict(base: &str, params: &str, state: &Type) -> Option<Verdict> {
    facts().plains.get(&read_key(base, params, state)?).cloned()
}

/// An aggregate SELECT item as the table keys it: `quantilesStateIf(0.5, 0.9)(x, c)` is
/// function `quantiles(0.5, 0.9)`, form `StateIf`, value arguments `[x]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregateItem {
    pub base: String,
    /// `(0.5, 0.9)` canonically spaced, or empty.
    pub params: String,
    pub form: String,
    /// The value arguments as written (the -If condition left out).
    pub args: Vec<String>,
}

impl AggregateItem {
    /// Reads the call at the start of `expr` (the whole expression must be that one call)
    /// given its aggregate function and combinators (from the SQL facts).
    pub fn of(expr: &str, name: &str, aggregate: &str, combinators: &[String]) -> Option<Self> {
        let expr = expr.trim();
        let rest = expr.strip_prefix(name)?.trim_start();
        let (first, after) = bracketed(rest)?;
        let (params, args_text) = match bracketed(after.trim_start()) {
            Some((second, tail)) if tail.trim().is_empty() => (first, second),
            None if after.trim().is_empty() => ("", first),
            _ => return None,
        };
        let params = if params.is_empty() {
            String::new()
        } else {
            canonical_function(&format!("f({params})"))[1..].to_string()
        };
        let mut args: Vec<String> = if args_text.trim().is_empty() {
            Vec::new()
        } else {
            split_args(args_text)
                .into_iter()
                .map(|a| a.trim().to_string())
                .collect()
        };
        let form: String = combinators.concat();
        if form.contains("If") {
            args.pop()?;
        }
        Some(AggregateItem {
            base: aggregate.to_string(),
            params,
            form,
            args,
        })
    }

    /// A plain read of the source column `expr` (form `column` of the table).
    pub fn column(expr: &str) -> Option<Self> {
        let name = expr.trim().trim_matches('`');
        let plain = !name.is_empty()
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        plain.then(|| AggregateItem {
            base: String::new(),
            params: String::new(),
            form: "column".into(),
            args: vec![name.to_string()],
        })
    }

    pub fn is_column(&self) -> bool {
        self.form == "column"
    }

    /// The function as the table names it, with the grid's parameters when the item's equal
    /// the declared type's (`quantiles(0.5, 0.95)` against `quantiles(0.5, 0.95)` is looked
    /// up as the grid's `quantiles(0.5, 0.9)`).
    fn key_function(&self, declared: &Type) -> Option<(String, Option<(String, String)>)> {
        if self.params.is_empty() {
            return Some((self.base.clone(), None));
        }
        let grid = facts().grid_params.get(&self.base)?;
        if *grid == self.params {
            return Some((format!("{}{}", self.base, self.params), None));
        }
        // The declared function's parameters, to swap for the grid's in the declared text.
        let declared_fn = match declared {
            Type::AggregateFunction { function, .. } => function.clone(),
            _ => return None,
        };
        let from = format!("{}{}", declared_fn.split('(').next()?, self.params);
        if !declared_fn.ends_with(&self.params) {
            return None;
        }
        let to = format!("{}{grid}", declared_fn.split('(').next()?);
        Some((format!("{}{grid}", self.base), Some((from, to))))
    }
}

/// `(inner)` at the start of `s`: the inner text and what follows the closing bracket.
fn bracketed(s: &str) -> Option<(&str, &str)> {
    if !s.starts_with('(') {
        return None;
    }
    let (mut depth, mut quote) = (0i32, None::<char>);
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((&s[1..i], &s[i + 1..]));
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// The type the item produces over value arguments of `arg_types`, where the grid has it.
pub fn produced_type(item: &AggregateItem, arg_types: &[Type]) -> Option<&'static str> {
    let function = if item.params.is_empty() {
        item.base.clone()
    } else {
        format!("{}{}", item.base, item.params)
    };
    let args = join(arg_types);
    facts()
        .types
        .get(&(function, item.form.clone(), args))
        .copied()
}

fn join(types: &[Type]) -> String {
    types
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(";")
}

/// ClickHouse's verdict on the item written into a column declared `declared`: with the
/// value arguments' types when they are all known, else the verdict it gave for every
/// argument type of the grid (when they all agree). `None`: not known.
pub fn verdict(
    item: &AggregateItem,
    arg_types: Option<&[Type]>,
    declared: &Type,
) -> Option<Verdict> {
    let f = facts();
    let (function, swap) = item.key_function(declared)?;
    let mut declared_text = declared.to_string();
    if let Some((from, to)) = swap {
        declared_text = declared_text.replacen(&from, &to, 1);
    }
    match arg_types {
        Some(types) => f
            .pairs
            .get(&(function, item.form.clone(), join(types), declared_text))
            .cloned(),
        None => {
            let all = f
                .by_declared
                .get(&(function, item.form.clone(), declared_text))?;
            let first = all.first()?;
            all.iter().all(|v| v == first).then(|| first.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(expr: &str, name: &str, agg: &str, comb: &[&str]) -> AggregateItem {
        let comb: Vec<String> = comb.iter().map(|c| c.to_string()).collect();
        AggregateItem::of(expr, name, agg, &comb).unwrap()
    }

    fn ty(t: &str) -> Type {
        Type::parse(t).unwrap()
    }

    #[test]
    fn reads_items() {
        let i = item(
            "quantilesStateIf(0.5,0.95)(x, c = 1)",
            "quantilesStateIf",
            "quantiles",
            &["State", "If"],
        );
        assert_eq!(i.params, "(0.5, 0.95)");
        assert_eq!(i.form, "StateIf");
        assert_eq!(i.args, vec!["x"]);
        assert_eq!(item("count()", "count", "count", &[]).args.len(), 0);
        assert!(AggregateItem::of("sum(x) + 1", "sum", "sum", &[]).is_none());
    }

    /// The facts the issue names, as ClickHouse gave them.
    #[test]
    fn clickhouse_facts() {
        let u64 = [ty("UInt64")];
        let sum_if = item("sumStateIf(x, c)", "sumStateIf", "sum", &["State", "If"]);
        assert_eq!(
            produced_type(&sum_if, &u64),
            Some("AggregateFunction(sum, UInt64)")
        );
        let if_sum = item("sumIfState(x, c)", "sumIfState", "sum", &["If", "State"]);
        assert_eq!(
            produced_type(&if_sum, &u64),
            Some("AggregateFunction(sumIf, UInt64, UInt8)")
        );
        // an -If state is stored in the plain function's column
        assert_eq!(
            verdict(&if_sum, Some(&u64), &ty("AggregateFunction(sum, UInt64)")),
            Some(Verdict::Ok)
        );
        let count_if = item("countStateIf(c)", "countStateIf", "count", &["State", "If"]);
        assert_eq!(
            verdict(&count_if, Some(&[]), &ty("AggregateFunction(count)")),
            Some(Verdict::Ok)
        );
        // count() into SimpleAggregateFunction(sum, UInt64) merges right; max does not
        let count = item("count()", "count", "count", &[]);
        assert_eq!(
            verdict(
                &count,
                Some(&[]),
                &ty("SimpleAggregateFunction(sum, UInt64)")
            ),
            Some(Verdict::Ok)
        );
        let max = item("max(x)", "max", "max", &[]);
        assert_eq!(
            verdict(
                &max,
                Some(&u64),
                &ty("SimpleAggregateFunction(sum, UInt64)")
            ),
            Some(Verdict::Wrong)
        );
        // a state over another argument type is refused
        let sum = item("sumState(x)", "sumState", "sum", &["State"]);
        assert!(matches!(
            verdict(
                &sum,
                Some(&[ty("UInt32")]),
                &ty("AggregateFunction(sum, UInt64)")
            ),
            Some(Verdict::Rejected(_))
        ));
        // uniq states are not sum states, whatever the argument
        let uniq = item("uniqState(x)", "uniqState", "uniq", &["State"]);
        assert!(matches!(
            verdict(&uniq, None, &ty("AggregateFunction(sum, UInt64)")),
            Some(Verdict::Rejected(_))
        ));
        // parameters equal on both sides are looked up with the grid's
        let q = item(
            "quantilesStateIf(0.5, 0.95, 0.99)(x, c)",
            "quantilesStateIf",
            "quantiles",
            &["State", "If"],
        );
        let declared = ty("AggregateFunction(quantiles(0.5, 0.95, 0.99), Float64)");
        assert_eq!(
            verdict(&q, Some(&[ty("Float64")]), &declared),
            Some(Verdict::Ok)
        );
        // an expression of unknown type: UInt64 would be refused, Float64 accepted, so no
        // verdict
        assert_eq!(verdict(&q, None, &declared), None);
        // a declared state ClickHouse accepts outside the grid: no verdict
        let arg_min = item("argMinState(a, b)", "argMinState", "argMin", &["State"]);
        assert_eq!(
            verdict(
                &arg_min,
                None,
                &ty("AggregateFunction(argMinState, UInt64, UInt64)")
            ),
            None
        );
    }
}
