//! What the migration actions need to know about a materialized view: the legacy target L, the
//! node materializing into it, the columns its source offers (through pipes, down to the
//! landing datasource), the time column a cutoff can be placed on, the bucket column of L
//! that time column feeds, and the retention (TTL) of the landing datasource and of L.

use super::sql_edit::{fixed_return_type, item_expression};
use super::ActionError;
use analysis::migration::bucket::Bucket;
use analysis::migration::rules::{keeps_less, retention};
use analysis::migration::{columns, Migrations, Writer};
use project::model::NodeId;
use project::model::ResourceId;
use project::model::{EdgeKind, Project, ResourceKind, Target};
use std::sync::Arc;
use syntax::chtype::Type;
use syntax::sql::facts::SelectItem;

/// A column the source offers, traced to the landing datasource where possible.
#[derive(Clone, Debug)]
pub struct SourceColumn {
    pub name: String,
    /// Its ClickHouse type, when known.
    pub ty: Option<Type>,
    /// Filled from the event payload (`json:$.…`) rather than at ingestion.
    pub from_payload: bool,
}

/// A column the cutoff can be placed on, and the column of L it feeds.
#[derive(Clone, Debug)]
pub struct TimeColumn {
    /// The source column (as the materializing node reads it).
    pub column: String,
    pub ty: Type,
    /// The column of L computed from it (`toDate(ts) AS date` → `date`, day buckets).
    pub bucket: Option<(String, Bucket)>,
}

/// A materialized view as the actions see it.
pub struct MaterializedView<'a> {
    pub project: &'a Project,
    /// The target (the legacy target L of a migration).
    pub target: ResourceId,
    /// The node materializing into it.
    pub writer: Arc<Writer>,
    /// The table its SELECT reads (FROM), as written.
    pub source: String,
    /// The landing datasource the source comes from (itself, or through pipes).
    pub landing: Option<ResourceId>,
    pub source_columns: Vec<SourceColumn>,
    pub time_columns: Vec<TimeColumn>,
    /// Retention of the landing datasource and of the target, in seconds (`None`: no TTL or
    /// one that cannot be read).
    pub landing_ttl: Option<i64>,
    pub target_ttl: Option<i64>,
}

/// The writers of datasource `target` besides the materialized node `chosen`: other live
/// materialized views (not a bounded backfill of an earlier migration) and copy pipes, each as
/// `pipe.node (what)`. A migration of one writer leaves them writing the legacy target, and
/// finishing it would stop them: their rows would be materialized nowhere.
pub fn other_writers(
    p: &Project,
    m: &Migrations,
    target: ResourceId,
    chosen: NodeId,
) -> Vec<String> {
    m.writers
        .iter()
        .filter(|w| w.target == target && w.node_id() != chosen)
        .filter(|w| w.kind == EdgeKind::CopiesInto || w.bounds.is_empty())
        .map(|w| {
            let r = &p.resources[w.pipe];
            let what = match (w.kind, w.source.as_deref()) {
                (EdgeKind::CopiesInto, _) => "a copy pipe".to_string(),
                (_, Some(s)) => format!("a materialized view of `{s}`"),
                _ => "a materialized view".to_string(),
            };
            format!("`{}.{}` ({what})", r.name, r.nodes[w.node].name)
        })
        .collect()
}

impl<'a> MaterializedView<'a> {
    /// `expr` with every column it reads that an output alias of the view shadows qualified
    /// with the source (`uniqState(browser)` beside `anySimpleState(browser) AS browser` reads
    /// the alias, an aggregate inside an aggregate: ClickHouse code 184).
    pub fn qualify_shadowed(&self, expr: &str) -> String {
        use syntax::sql::lexer::{tokenize, TokenKind};
        let node = &self.project.resources[self.writer.pipe].nodes[self.writer.node];
        let Some(sql) = node.sql.as_ref() else {
            return expr.to_string();
        };
        let Some(main) = sql.main.as_ref() else {
            return expr.to_string();
        };
        let text = &node.sql_map.text;
        // Aliases of items that are not the plain column of the same name.
        let shadowing: Vec<&str> = main
            .items
            .iter()
            .filter_map(|i| {
                let a = i.alias.as_deref()?;
                let written = text.get(i.range.start..i.range.end).unwrap_or("");
                let plain = written
                    .split_whitespace()
                    .next()
                    .is_some_and(|first| first.trim_matches('`') == a);
                // Only a name the source has: else the expression means the alias.
                let in_source = self.source_columns.iter().any(|c| c.name == a);
                (!plain && in_source).then_some(a)
            })
            .collect();
        let qualifier = sql
            .main_from()
            .map(|t| t.alias.clone().unwrap_or_else(|| t.name.clone()))
            .unwrap_or_else(|| self.source.clone());
        let tokens = tokenize(expr);
        let mut out = String::new();
        let mut at = 0;
        for (k, t) in tokens.iter().enumerate() {
            let word = match t.kind {
                TokenKind::Word => t.text(expr),
                TokenKind::QuotedIdent => {
                    let r = syntax::sql::lexer::inner_range(expr, t);
                    &expr[r.start..r.end]
                }
                _ => continue,
            };
            let after_dot = k > 0 && tokens[k - 1].kind == TokenKind::Dot;
            let before_call_or_dot = tokens
                .get(k + 1)
                .is_some_and(|n| matches!(n.kind, TokenKind::LParen | TokenKind::Dot));
            if shadowing.contains(&word) && !after_dot && !before_call_or_dot {
                out.push_str(&expr[at..t.range.start]);
                out.push_str(&qualifier);
                out.push('.');
                at = t.range.start;
            }
        }
        out.push_str(&expr[at..]);
        out
    }

    /// The materialized view writing into datasource `target`. `node`: which writer, when
    /// several materialized nodes write into it (pipe index, node index).
    /// `m`: the project's writers (the analysis's [`Migrations`]).
    pub fn of(
        p: &'a Project,
        m: &Migrations,
        target: ResourceId,
        node: Option<NodeId>,
    ) -> Result<MaterializedView<'a>, ActionError> {
        let r = &p.resources[target];
        if r.kind != ResourceKind::Datasource {
            return Err(ActionError::new(format!(
                "`{}` is not a datasource",
                r.name
            )));
        }
        if columns(p, target).is_empty() {
            return Err(ActionError::new(format!(
                "`{}` has no SCHEMA in a .datasource file of its own",
                r.name
            )));
        }
        let writers: Vec<Arc<Writer>> = m
            .writers
            .iter()
            .filter(|w| {
                w.target == target
                    && w.kind == EdgeKind::MaterializesInto
                    && node.is_none_or(|n| w.node_id() == n)
            })
            .cloned()
            .collect();
        let writer = match writers.as_slice() {
            [] => {
                return Err(ActionError::new(format!(
                    "no materialized node writes into `{}`",
                    r.name
                )))
            }
            [w] => w.clone(),
            many => {
                let live: Vec<&Arc<Writer>> = many
                    .iter()
                    .filter(|w| w.bounds.is_empty() && !w.opaque)
                    .collect();
                match live.as_slice() {
                    [w] => (*w).clone(),
                    _ => {
                        return Err(ActionError {
                            message: format!(
                                "several materialized nodes write into `{}`: run the action on one of them",
                                r.name
                            ),
                            choices: many
                                .iter()
                                .map(|w| {
                                    let pr = &p.resources[w.pipe];
                                    format!("{}.{}", pr.name, pr.nodes[w.node].name)
                                })
                                .collect(),
                        })
                    }
                }
            }
        };
        let node_info = &p.resources[writer.pipe].nodes[writer.node];
        let Some(sql) = node_info.sql.as_ref() else {
            return Err(ActionError::new("the materializing node has no SQL"));
        };
        let Some(main) = sql.main.as_ref() else {
            return Err(ActionError::new(
                "the materializing node's SQL could not be read (a template that does not render?)",
            ));
        };
        let source = writer
            .source
            .clone()
            .ok_or_else(|| ActionError::new("the materializing node's SELECT has no FROM table"))?;
        let (landing, source_columns) =
            output_columns(p, &source, Some(writer.pipe), Some(writer.node), 0);
        let target_cols = columns(p, target);
        let mut time_columns: Vec<TimeColumn> = Vec::new();
        fn add(time_columns: &mut Vec<TimeColumn>, tc: TimeColumn) {
            if let Some(o) = time_columns.iter_mut().find(|o| o.column == tc.column) {
                if o.bucket.is_none() {
                    o.bucket = tc.bucket;
                }
            } else {
                time_columns.push(tc);
            }
        }
        // The columns behind toDate/toStartOf… (or read as they are) in the SELECT.
        for item in &main.items {
            let text = node_info
                .sql_map
                .text
                .get(item.range.start..item.range.end)
                .unwrap_or("");
            if let Some((col, unit)) = time_source(item, text) {
                let Some(sc) = source_columns.iter().find(|c| c.name == col) else {
                    continue;
                };
                let Some(ty) = sc.ty.as_ref().filter(|t| t.is_time()) else {
                    continue;
                };
                let bucket = target_cols
                    .iter()
                    .any(|c| c.name == item.output_name)
                    .then(|| (item.output_name.clone(), unit));
                add(
                    &mut time_columns,
                    TimeColumn {
                        column: col,
                        ty: ty.clone(),
                        bucket,
                    },
                );
            }
        }
        // Else the source's sorting or partition key.
        if time_columns.is_empty() {
            if let Some(l) = landing {
                let engine = p.files[p.resources[l].file].datafile.engine();
                for key in ["sorting_key", "partition_key"] {
                    let Some(v) = engine.and_then(|e| e.param(key)) else {
                        continue;
                    };
                    for word in v
                        .text
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .filter(|w| !w.is_empty())
                    {
                        if let Some(sc) = source_columns.iter().find(|c| c.name == word) {
                            if let Some(ty) = sc.ty.as_ref().filter(|t| t.is_time()) {
                                add(
                                    &mut time_columns,
                                    TimeColumn {
                                        column: sc.name.clone(),
                                        ty: ty.clone(),
                                        bucket: None,
                                    },
                                );
                            }
                        }
                    }
                }
            }
        }
        let ttl = |ds: ResourceId| retention(p, ds);
        Ok(MaterializedView {
            project: p,
            target,
            landing_ttl: landing.and_then(ttl),
            target_ttl: ttl(target),
            writer,
            source,
            landing,
            source_columns,
            time_columns,
        })
    }

    /// The time column to cut on: the one asked for, or the only candidate.
    pub fn time_column(&self, asked: Option<&str>) -> Result<&TimeColumn, ActionError> {
        if let Some(a) = asked {
            return self
                .time_columns
                .iter()
                .find(|t| t.column == a)
                .ok_or_else(|| ActionError {
                    message: format!(
                        "`{a}` is not a Date/DateTime column of `{}` that the SELECT groups by",
                        self.source
                    ),
                    choices: self.time_columns.iter().map(|t| t.column.clone()).collect(),
                });
        }
        match self.time_columns.as_slice() {
            [one] => Ok(one),
            [] => Err(ActionError::new(format!(
                "no time column found in `{}` to place the cutoff on (no toDate/toStartOf… of a Date/DateTime column in the SELECT, none in the source's keys): give one",
                self.source
            ))),
            many => Err(ActionError {
                message: format!(
                    "several time columns of `{}` could carry the cutoff: choose one",
                    self.source
                ),
                choices: many.iter().map(|t| t.column.clone()).collect(),
            }),
        }
    }

    /// The target's engine name (`MergeTree` when none is written).
    pub fn engine_name(&self) -> &str {
        self.project.files[self.project.resources[self.target].file]
            .datafile
            .engine()
            .and_then(|e| e.name.as_ref())
            .map_or("MergeTree", |n| n.text.as_str())
    }

    /// The target's ENGINE_VER column, if any.
    pub fn version_column(&self) -> Option<String> {
        self.project.files[self.project.resources[self.target].file]
            .datafile
            .engine()
            .and_then(|e| e.param("ver"))
            .map(|v| v.text.trim().trim_matches('`').to_string())
    }

    /// For a target whose merges keep one row of several (Replacing, Collapsing and
    /// VersionedCollapsing MergeTree), the only column a cutoff may use: the source column its
    /// version comes from, so that every later version of a row reaches the live side. Refused
    /// when there is none (no ENGINE_VER, or a version that is not a time). `None` for other
    /// engines.
    pub fn cutoff_for_merging_engine(&self) -> Result<Option<TimeColumn>, ActionError> {
        let engine = self.engine_name();
        if !engine.contains("Replacing") && !engine.contains("Collapsing") {
            return Ok(None);
        }
        let Some(ver) = self.version_column() else {
            return Err(ActionError::new(format!(
                "`{}` is a {engine} without ENGINE_VER: which row survives a merge depends on the order rows were inserted, which a time cutoff splits between two writers (a later update of an earlier row reaches neither side). Migrate it by hand, or give it a version column",
                self.name()
            )));
        };
        let node = &self.project.resources[self.writer.pipe].nodes[self.writer.node];
        let main = node.sql.as_ref().and_then(|s| s.main.as_ref());
        let text = &node.sql_map.text;
        // The source column the version comes from: `updated_at`, `updated_at AS ver`.
        let from = main
            .and_then(|m| m.items.iter().find(|i| i.output_name == ver))
            .filter(|i| i.functions.is_empty())
            .and_then(|i| item_expression(text.get(i.range.start..i.range.end)?, i))
            .map(|e| {
                e.trim()
                    .trim_matches('`')
                    .rsplit('.')
                    .next()
                    .unwrap_or("")
                    .to_string()
            });
        let column = from.and_then(|c| {
            let sc = self.source_columns.iter().find(|s| s.name == c)?;
            let ty = sc.ty.clone().filter(|t| t.is_date() || t.is_datetime())?;
            Some(TimeColumn {
                column: c,
                ty,
                bucket: None,
            })
        });
        column.map(Some).ok_or_else(|| {
            ActionError::new(format!(
                "`{}` is a {engine} whose version `{ver}` is not a time column read from `{}`: a time cutoff cannot send every later version of a row to the live side. Migrate it by hand",
                self.name(),
                self.source
            ))
        })
    }

    /// Whether the landing datasource keeps less history than the target: a backfill from the
    /// source would miss the older rows, which survive only in the target.
    pub fn source_keeps_less(&self) -> bool {
        keeps_less(self.landing_ttl, self.target_ttl)
    }

    pub fn name(&self) -> &str {
        &self.project.resources[self.target].name
    }
    pub fn pipe_name(&self) -> &str {
        &self.project.resources[self.writer.pipe].name
    }
    pub fn node_name(&self) -> &str {
        &self.project.resources[self.writer.pipe].nodes[self.writer.node].name
    }
}

/// The source column behind a SELECT item that buckets time (`toDate(ts)`,
/// `toStartOfHour(ts)`, `toStartOfWeek(ts, 1)`) or reads it as it is (`ts`); `text` is the
/// item as written.
fn time_source(item: &SelectItem, text: &str) -> Option<(String, Bucket)> {
    Bucket::of_item(item, text)
}

/// The columns a table offers to a query reading it, traced through pipes (their last node)
/// and nodes down to a datasource's SCHEMA; with the landing datasource it comes from.
pub fn output_columns(
    p: &Project,
    name: &str,
    pipe: Option<ResourceId>,
    before_node: Option<usize>,
    depth: usize,
) -> (Option<ResourceId>, Vec<SourceColumn>) {
    if depth > 16 {
        return (None, Vec::new());
    }
    let of_node = |pi: ResourceId, ni: usize| -> (Option<ResourceId>, Vec<SourceColumn>) {
        let node = &p.resources[pi].nodes[ni];
        let Some(sql) = &node.sql else {
            return (None, Vec::new());
        };
        let Some(main) = &sql.main else {
            return (None, Vec::new());
        };
        let Some(from) = sql.main_from() else {
            return (None, Vec::new());
        };
        let (landing, inner) = output_columns(p, &from.full_name(), Some(pi), Some(ni), depth + 1);
        let mut out = Vec::new();
        for item in &main.items {
            if item.output_name == "*" {
                out.extend(
                    inner
                        .iter()
                        .filter(|c| !item.except.contains(&c.name))
                        .cloned(),
                );
                continue;
            }
            let read = match item.functions.first() {
                None => item_column(item),
                Some(_) => None,
            };
            let origin = read.and_then(|c| inner.iter().find(|i| i.name == c));
            let returned = node
                .sql_map
                .text
                .get(item.range.start..item.range.end)
                .and_then(|text| item_expression(text, item))
                .and_then(|expr| fixed_return_type(item, expr));
            out.push(SourceColumn {
                name: item.output_name.clone(),
                ty: origin.and_then(|o| o.ty.clone()).or(returned),
                from_payload: origin.is_some_and(|o| o.from_payload),
            });
        }
        (landing, out)
    };
    match p.resolve(name, pipe) {
        Target::Node(ni) if before_node.is_none_or(|b| ni < b) => match pipe {
            Some(pi) => of_node(pi, ni),
            None => (None, Vec::new()),
        },
        Target::Resource(i) => {
            let r = &p.resources[i];
            match r.kind {
                ResourceKind::Datasource => (
                    Some(i),
                    columns(p, i)
                        .iter()
                        .map(|c| SourceColumn {
                            name: c.name.clone(),
                            ty: c.parsed.clone(),
                            from_payload: c.jsonpath.is_some() && c.default.is_none(),
                        })
                        .collect(),
                ),
                ResourceKind::Pipe if !r.nodes.is_empty() => of_node(i, r.nodes.len() - 1),
                _ => (None, Vec::new()),
            }
        }
        _ => (None, Vec::new()),
    }
}

/// The column a plain SELECT item reads (`ts`, `t.ts`, `ts AS time`).
fn item_column(item: &SelectItem) -> Option<&str> {
    // A plain read has no function; its output name is the column unless aliased, and the
    // alias hides the column read: only unaliased reads are traced.
    (item.alias.is_none() && !item.output_name.contains(['(', ' ', '\'']))
        .then_some(item.output_name.as_str())
}
