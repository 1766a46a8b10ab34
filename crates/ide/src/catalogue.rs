//! What hover and completion know about words that are not the project's own names: ClickHouse
//! functions (syntax's data/functions.tsv, generated from ClickHouse's `system.functions` by
//! scripts/gen-function-catalogue.py), aggregate combinators, Tinybird template functions,
//! datafile keywords and SQL keywords.

use std::sync::OnceLock;
use syntax::keywords::{is_keyword, keyword_union};
use syntax::{Dialect, FileKind};

pub use syntax::sql::functions::{combinators, functions, resolve_function, FunctionDoc};

/// What a combinator does, in one line.
pub fn combinator_summary(c: &str) -> &'static str {
    match c {
        "If" => "aggregates only the rows where the extra last argument is true",
        "State" => {
            "returns the intermediate aggregation state (store it in an AggregateFunction column)"
        }
        "Merge" => "finishes aggregation from intermediate states",
        "MergeState" => "merges intermediate states into a new state",
        "SimpleState" => "returns a value for a SimpleAggregateFunction column",
        "Array" => "aggregates the elements of array arguments",
        "ForEach" => "aggregates arrays element by element",
        "Distinct" => "aggregates each distinct set of arguments once",
        "OrNull" => "returns NULL instead of the default when there is nothing to aggregate",
        "OrDefault" => "returns the type's default when there is nothing to aggregate",
        "Resample" => "aggregates per interval of a key",
        "Map" => "aggregates map values per key",
        _ => "an aggregate function combinator",
    }
}

/// A Tinybird template function (inside `{{ }}` and `{% %}`).
pub struct TemplateFunction {
    pub name: &'static str,
    pub signature: &'static str,
    pub summary: &'static str,
}

const TYPE_SIGNATURE: &str =
    "(name, default=None, description=None, required=False, example=None, format=None)";

/// The template functions and the parameter type functions.
pub fn template_functions() -> &'static [TemplateFunction] {
    static CELL: OnceLock<Vec<TemplateFunction>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut out = vec![
            TemplateFunction { name: "defined", signature: "defined(param)", summary: "True when the request passed the parameter (false when the CLI checks the query)." },
            TemplateFunction { name: "column", signature: "column(name, default=None)", summary: "A column reference taken from a parameter (an identifier, not a string)." },
            TemplateFunction { name: "columns", signature: "columns(names, default=None)", summary: "A comma-separated list of column references from a parameter." },
            TemplateFunction { name: "symbol", signature: "symbol(name, default=None)", summary: "An identifier from a parameter, quoted with backticks." },
            TemplateFunction { name: "table", signature: "table(name)", summary: "A table reference; the CLI counts it as a dependency in every branch." },
            TemplateFunction { name: "TABLE", signature: "TABLE(name)", summary: "Same as table(name)." },
            TemplateFunction { name: "sql_and", signature: "sql_and(column__operator=value, ...)", summary: "ANDs a condition per defined parameter (operators: in, not_in, gt, lt, ...)." },
            TemplateFunction { name: "split_to_array", signature: "split_to_array(param, default='')", summary: "An array from a comma-separated parameter." },
            TemplateFunction { name: "enumerate_with_last", signature: "enumerate_with_last(iterable)", summary: "Pairs (is_last, item), for loops that must not leave a trailing comma." },
            TemplateFunction { name: "day_diff", signature: "day_diff(d1, d2, default=None)", summary: "Days between two dates." },
            TemplateFunction { name: "date_diff_in_seconds", signature: "date_diff_in_seconds(d1, d2, date_format='%Y-%m-%d %H:%M:%S', backup_date_format=None, none_if_error=False)", summary: "Seconds between two date-times." },
            TemplateFunction { name: "date_diff_in_minutes", signature: "date_diff_in_minutes(d1, d2, ...)", summary: "Minutes between two date-times." },
            TemplateFunction { name: "date_diff_in_hours", signature: "date_diff_in_hours(d1, d2, ...)", summary: "Hours between two date-times." },
            TemplateFunction { name: "date_diff_in_days", signature: "date_diff_in_days(d1, d2, ...)", summary: "Days between two date-times." },
            TemplateFunction { name: "sql_unescape", signature: "sql_unescape(text, chars)", summary: "Removes the escaping of the given characters from a parameter." },
            TemplateFunction { name: "error", signature: "error(message, code=400)", summary: "Stops the request with this error message and HTTP code." },
            TemplateFunction { name: "custom_error", signature: "custom_error(body, code=400)", summary: "Stops the request with a JSON error body and HTTP code." },
            TemplateFunction { name: "tb_secret", signature: "tb_secret(name, default=None)", summary: "The value of a workspace secret (Forward; `.env.local` locally)." },
            TemplateFunction { name: "tb_var", signature: "tb_var(name, default=None)", summary: "The value of a workspace variable." },
        ];
        let types = [
            "String", "Boolean", "Date", "DateTime", "DateTime64", "Float32", "Float64", "Int",
            "Integer", "Int8", "Int16", "Int32", "Int64", "Int128", "Int256", "UInt8", "UInt16",
            "UInt32", "UInt64", "UInt128", "UInt256", "Array",
        ];
        for t in types {
            out.push(TemplateFunction {
                name: t,
                signature: TYPE_SIGNATURE,
                summary: "Declares a request parameter of this type and returns its value (the default when it is not passed). `Array(name, 'Int32', default='1,2')` takes the element type.",
            });
        }
        out
    })
}

pub fn template_function(name: &str) -> Option<&'static TemplateFunction> {
    template_functions().iter().find(|f| f.name == name)
}

/// Words of the template language itself (`{% if %}`, `{% for x in y %}`, ...).
pub const TEMPLATE_STATEMENTS: &[&str] = &[
    "if", "elif", "else", "end", "for", "in", "while", "set", "try", "except", "finally", "and",
    "or", "not", "None", "True", "False",
];

/// A datafile keyword's description and whether it opens a `>` block.
pub struct KeywordDoc {
    pub block: bool,
    pub summary: String,
}

pub fn datafile_keyword(word: &str) -> Option<KeywordDoc> {
    let lower = word.to_ascii_lowercase();
    let keyword = *keyword_union().iter().find(|k| **k == lower)?;
    let listed = include_str!("data/datafile_keywords.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.splitn(3, '\t');
            Some((f.next()?, f.next()?, f.next()?))
        })
        .find(|(k, _, _)| *k == keyword);
    if let Some((_, block, summary)) = listed {
        return Some(KeywordDoc {
            block: block == "yes",
            summary: summary.to_string(),
        });
    }
    let family = [
        ("kafka_", "Kafka connector setting"),
        (
            "import_",
            "Import connector setting (S3, GCS, DynamoDB, BigQuery, Snowflake)",
        ),
        ("export_", "Sink setting"),
        ("s3_", "S3 connection setting"),
        ("gcs_", "GCS connection setting"),
        ("pg_", "PostgreSQL connector setting"),
        ("dynamodb_", "DynamoDB connection setting"),
    ]
    .into_iter()
    .find(|(p, _)| keyword.starts_with(p))
    .map_or("Datafile setting", |(_, d)| d);
    Some(KeywordDoc {
        block: keyword == "kafka_ssl_ca_pem",
        summary: format!("{family}: `{}`.", keyword.to_ascii_uppercase()),
    })
}

/// Where a keyword is accepted: "Classic (datasource, pipe) · Forward (pipe)".
pub fn keyword_dialects(keyword: &str) -> String {
    let kinds = [
        (FileKind::Datasource, "datasource"),
        (FileKind::Pipe, "pipe"),
        (FileKind::Connection, "connection"),
    ];
    let mut parts = Vec::new();
    for d in [Dialect::Classic, Dialect::Forward] {
        if d == Dialect::Forward && keyword == "include" {
            continue; // read, then rejected: `INCLUDE is not supported yet`
        }
        let names: Vec<&str> = kinds
            .iter()
            .filter(|(k, _)| is_keyword(d, *k, keyword))
            .map(|(_, n)| *n)
            .collect();
        if !names.is_empty() {
            parts.push(format!("{} ({})", d.name(), names.join(", ")));
        }
    }
    if parts.is_empty() {
        "not accepted by either dialect".into()
    } else {
        parts.join(" · ")
    }
}

/// SQL keywords (some of them two words) with what they do.
pub fn sql_keywords() -> &'static [(&'static str, &'static str)] {
    static CELL: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    CELL.get_or_init(|| {
        include_str!("data/sql_keywords.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split_once('\t'))
            .collect()
    })
}

/// A one-word SQL keyword's description (`GROUP` finds `GROUP BY`).
pub fn sql_keyword(word: &str) -> Option<(&'static str, &'static str)> {
    let upper = word.to_ascii_uppercase();
    let all = sql_keywords();
    all.iter()
        .find(|(k, _)| *k == upper)
        .or_else(|| {
            all.iter()
                .find(|(k, _)| k.split(' ').next() == Some(upper.as_str()))
        })
        .copied()
}

/// The table engines datasources accept (datafile-spec §4) with their parameters.
pub const ENGINES: &[(&str, &str)] = &[
    ("MergeTree", "The default engine: rows are kept as inserted, sorted by ENGINE_SORTING_KEY."),
    ("ReplacingMergeTree", "Keeps the last row (or the highest ENGINE_VER) per sorting key, on merge."),
    ("SummingMergeTree", "Sums numeric columns (or ENGINE_COLUMNS) of rows with the same sorting key, on merge."),
    ("AggregatingMergeTree", "Merges AggregateFunction states of rows with the same sorting key: the usual target of materialized views."),
    ("CollapsingMergeTree", "Cancels rows with opposite ENGINE_SIGN and the same sorting key."),
    ("VersionedCollapsingMergeTree", "Collapsing with ENGINE_VERSION, for rows arriving out of order."),
    ("Null", "Stores nothing: data only flows through to materialized views."),
];

/// Node types of pipes.
pub const NODE_TYPES: &[(&str, &str)] = &[
    ("endpoint", "Publishes the node as an HTTP API endpoint."),
    (
        "materialized",
        "Writes every insert into the source to DATASOURCE (a materialized view).",
    ),
    (
        "copy",
        "Copies the query result into TARGET_DATASOURCE on a schedule or on demand.",
    ),
    (
        "sink",
        "Exports the query result to an external system (EXPORT_CONNECTION_NAME).",
    ),
    ("stream", "Streams the query result to a Kafka topic."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use syntax::sql::functions::function;

    #[test]
    fn catalogue_is_loaded_and_resolves_combinators() {
        assert!(functions().len() > 1000);
        assert!(function("toStartOfHour")
            .unwrap()
            .syntax
            .contains("datetime"));
        assert!(function("SUM").is_some(), "sum is case-insensitive");
        let r = resolve_function("uniqIfState").unwrap();
        assert_eq!(r.doc.name, "uniq");
        assert_eq!(r.combinators, vec!["If", "State"]);
        assert!(resolve_function("noSuchFunctionAtAll").is_none());
        assert!(combinators().contains(&"Merge"));
    }

    #[test]
    fn keyword_docs_cover_every_keyword() {
        for k in keyword_union() {
            let d = datafile_keyword(k).unwrap();
            assert!(!d.summary.is_empty(), "{k}");
        }
        assert_eq!(keyword_dialects("forward_query"), "forward (datasource)");
        assert_eq!(sql_keyword("group").unwrap().0, "GROUP BY");
        assert!(template_function("sql_and").is_some());
    }
}
