//! Step 1 of the safe migration: "Add column to materialized view". Creates the new target N
//! (the legacy target L's file with the column appended to its SCHEMA: same engine, keys, TTL
//! and settings) and the new live materializing pipe (the legacy pipe with the column's
//! expression appended to the SELECT, the cutoff merged into its WHERE, DATASOURCE N).

use super::context::{other_writers, MaterializedView, TimeColumn};
use super::sql_edit::{add_condition, append_select_item, remove_select_item, whole_line_at};
use super::{
    apply_edits, folder_of, format_utc, next_version_name, wrap, ActionError, ActionResult, Change,
    FileEdit, NewFile, Workspace,
};
use analysis::migration::bucket::{Bucket, Repr, Unit};
use project::model::NodeId;
use project::model::Project;
use project::model::ResourceId;
use serde::{Deserialize, Serialize};
use syntax::model::Datafile;
use syntax::text::TextRange;

/// The column to add.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewColumn {
    pub name: String,
    /// Its ClickHouse type in the target (`SimpleAggregateFunction(any, String)`).
    #[serde(rename = "type")]
    pub ty: String,
    /// What the materializing SELECT computes for it (`anySimpleState(environment)`).
    pub expression: String,
}

/// Where the backfill will read the rows up to the cutoff from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackfillFrom {
    /// The materialized view's source, with the same SELECT (real values for the new column).
    Source,
    /// The legacy target itself: states copied as they are, the new column set to its default
    /// (when the source keeps less history than L).
    Legacy,
}

/// The inputs of "Add column to materialized view".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddColumn {
    /// The legacy target L.
    pub datasource: String,
    /// `pipe.node` of the materializing node, when several write into L.
    pub node: Option<String>,
    /// `None`: a placeholder column, to rename.
    pub column: Option<NewColumn>,
    /// The source column to cut on (asked when several fit).
    pub time_column: Option<String>,
    /// The cutoff, `YYYY-MM-DD HH:MM:SS` in UTC (default: now plus the delay, rounded up).
    pub cutoff: Option<String>,
    /// Default: from the legacy target when the source keeps less history than it.
    pub backfill_from: Option<BackfillFrom>,
    /// A SELECT item of the legacy pipe that already computes the column (the quick fix of
    /// a schema mismatch): removed there, kept in the new pipe. File range in the pipe.
    #[serde(skip)]
    pub move_item: Option<TextRange>,
}

/// "Now" and the delay before a generated cutoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Seconds since the epoch, UTC.
    pub now: i64,
    pub cutoff_delay_minutes: u64,
}

/// How the live side and the backfill split the rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutoffPlan {
    pub column: String,
    /// Seconds since the epoch, UTC.
    pub at: i64,
    /// `>` with `<=` (any instant), or `>=` with `<` (a bucket boundary).
    pub live_op: &'static str,
    /// The literal (`'2023-11-07 12:30:00'`, or a conversion for a column in another zone).
    pub value: String,
    pub from: BackfillFrom,
    pub bucket: Option<(String, Bucket)>,
}

pub use analysis::migration::instant::cutoff_literal;

/// Decides the cutoff: the column, the instant and the operators.
pub fn plan_cutoff(
    mv: &MaterializedView,
    req: &AddColumn,
    clock: Clock,
) -> Result<CutoffPlan, ActionError> {
    let version_column;
    let tc: &TimeColumn = match mv.cutoff_for_merging_engine()? {
        Some(v) => {
            if let Some(asked) = req.time_column.as_deref().filter(|a| *a != v.column) {
                return Err(ActionError::new(format!(
                    "`{}` keeps the row with the highest `{}` (its ENGINE_VER), which comes from `{}`: a cutoff on `{asked}` would send a later version of an earlier row to neither side. Cut on `{}`",
                    mv.name(),
                    mv.version_column().unwrap_or_default(),
                    v.column,
                    v.column
                )));
            }
            version_column = v;
            &version_column
        }
        None => mv.time_column(req.time_column.as_deref())?,
    };
    let from = req.backfill_from.unwrap_or(if mv.source_keeps_less() {
        BackfillFrom::Legacy
    } else {
        BackfillFrom::Source
    });
    let is_date = tc.ty.is_date();
    let bucket = tc.bucket.clone();
    if from == BackfillFrom::Legacy && bucket.is_none() {
        return Err(ActionError::new(format!(
            "a backfill from `{}` needs a column of it computed from `{}` (toDate/toStartOf…): none found",
            mv.name(),
            tc.column
        )));
    }
    // The boundaries the cutoff may fall on: the legacy target's buckets (at least hours)
    // when the backfill copies them, days for a Date column, else hours; in the zone the
    // buckets are computed in.
    let grid = match (&bucket, from) {
        (Some((_, b)), BackfillFrom::Legacy) if b.unit < Unit::Hour => Bucket {
            unit: Unit::Hour,
            ..b.clone()
        },
        (Some((_, b)), BackfillFrom::Legacy) => b.clone(),
        _ if is_date => Bucket::new(Unit::Day, Repr::Date),
        _ => Bucket::new(Unit::Hour, Repr::DateTime),
    };
    let zone = grid.zone(tc.ty.zone()).to_string();
    let in_zone = if zone == "UTC" {
        String::new()
    } else {
        format!(" in {zone}")
    };
    let unknown_zone = || ActionError::new(format!("`{zone}` is not a known time zone"));
    let at = match &req.cutoff {
        Some(c) => {
            let (secs, _, _) =
                analysis::migration::instant::parse_datetime(c).ok_or_else(|| {
                    ActionError::new(format!("the cutoff `{c}` is not `YYYY-MM-DD HH:MM:SS`"))
                })?;
            let aligned = grid.round_up(secs, &zone).ok_or_else(unknown_zone)? == secs;
            if (from == BackfillFrom::Legacy || is_date) && !aligned {
                return Err(ActionError::new(format!(
                    "the cutoff `{c}` (UTC) must fall on {} boundary{in_zone} (the backfill copies whole {}s)",
                    grid.unit.a(),
                    grid.unit.as_str()
                )));
            }
            secs
        }
        None => grid
            .round_up(clock.now + clock.cutoff_delay_minutes as i64 * 60, &zone)
            .ok_or_else(unknown_zone)?,
    };
    let aligned = from == BackfillFrom::Legacy || is_date;
    Ok(CutoffPlan {
        column: tc.column.clone(),
        at,
        live_op: if aligned { ">=" } else { ">" },
        value: cutoff_literal(Some(&tc.ty), at),
        from,
        bucket,
    })
}

/// A placeholder column for the target's engine: named `new_column` (or the first free
/// variant), a string, stored as the engine expects.
fn placeholder(p: &Project, target: ResourceId) -> NewColumn {
    let cols = analysis::migration::columns(p, target);
    let name = super::free_name("new_column", |n| cols.iter().any(|c| c.name == n));
    let aggregating = p.files[p.resources[target].file]
        .datafile
        .engine()
        .and_then(|e| e.name.as_ref())
        .is_some_and(|n| n.text.contains("Aggregating"));
    if aggregating {
        NewColumn {
            name,
            ty: "SimpleAggregateFunction(any, String)".into(),
            expression: "anySimpleState('')".into(),
        }
    } else {
        NewColumn {
            name,
            ty: "String".into(),
            expression: "''".into(),
        }
    }
}

/// The SELECT item for a column: `expr AS name`, or the expression alone when it already
/// reads as the column (`environment`, `x AS environment`).
pub fn select_item(c: &NewColumn) -> String {
    let e = c.expression.trim();
    let lower = e.to_ascii_lowercase();
    if e == c.name
        || e == format!("`{}`", c.name)
        || lower.ends_with(&format!(" as {}", c.name.to_ascii_lowercase()))
    {
        e.to_string()
    } else {
        format!("{e} AS {}", c.name)
    }
}

/// The edit appending a column to a datasource's SCHEMA.
pub fn append_schema_column(
    df: &Datafile,
    text: &str,
    column: &NewColumn,
) -> Result<(TextRange, String), ActionError> {
    let schema = df
        .schema()
        .ok_or_else(|| ActionError::new("the datasource has no SCHEMA"))?;
    let last = schema
        .columns
        .last()
        .ok_or_else(|| ActionError::new("the datasource's SCHEMA has no columns"))?;
    let line = super::sql_edit::line_at(text, last.range.start);
    let indent: String = text[line.start..last.range.start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let indent = if indent.is_empty() {
        "    ".to_string()
    } else {
        indent
    };
    Ok((
        TextRange::empty(last.range.end),
        format!(",\n{indent}`{}` {}", column.name, column.ty),
    ))
}

/// Replaces (or adds, at the top) a file's DESCRIPTION with `text`, wrapped and indented.
pub fn description_edit(df: &Datafile, file_text: &str, text: &str) -> (TextRange, String) {
    let body = wrap(text, "    ", 96);
    match &df.description {
        Some(v) if v.range.end <= file_text.len() => {
            // Replace whole lines: the wrapped text brings its indentation.
            let line = super::sql_edit::line_at(file_text, v.range.start);
            if file_text[line.start..]
                .trim_start()
                .starts_with("DESCRIPTION")
            {
                // `DESCRIPTION text` on one line: make it a block.
                let end = line.end.max(v.range.end);
                (
                    TextRange::new(line.start, end),
                    format!("DESCRIPTION >\n{body}"),
                )
            } else {
                (TextRange::new(line.start, v.range.end), body)
            }
        }
        _ => (TextRange::empty(0), format!("DESCRIPTION >\n{body}\n\n")),
    }
}

/// Carries out step 1.
pub fn add_column(ws: &Workspace, req: &AddColumn, clock: Clock) -> ActionResult {
    let p = ws.project;
    let (l, _) = p
        .named(&req.datasource)
        .find(|(_, r)| r.kind == project::model::ResourceKind::Datasource)
        .ok_or_else(|| ActionError::new(format!("no datasource `{}`", req.datasource)))?;
    let node = match &req.node {
        Some(n) => Some(resolve_node(p, n)?),
        None => None,
    };
    let mv = MaterializedView::of(p, ws.migrations, l, node)?;
    let others = other_writers(p, ws.migrations, l, mv.writer.node_id());
    if !others.is_empty() {
        return Err(ActionError::new(format!(
            "`{}` is also written by {}: a new target fed by one writer would leave the others writing `{}`, and finishing the migration would stop them (their rows materialized nowhere). The migration steps handle a target with one writer: give each writer its own target first, or migrate them by hand",
            mv.name(),
            others.join(", "),
            mv.name()
        )));
    }
    let column = req.column.clone().unwrap_or_else(|| placeholder(p, l));
    check_column(&column)?;
    let l_cols = analysis::migration::columns(p, l);
    if l_cols.iter().any(|c| c.name == column.name) {
        return Err(ActionError::new(format!(
            "`{}` already has a column `{}`",
            mv.name(),
            column.name
        )));
    }
    check_not_shadowing(&mv, &column)?;
    check_aggregation(&mv, &column)?;
    check_reads_known_columns(&mv, &column)?;
    let column = NewColumn {
        expression: mv.qualify_shadowed(&column.expression),
        ..column
    };
    let cut = plan_cutoff(&mv, req, clock)?;
    let l_res = &p.resources[l];
    let pipe_res = &p.resources[mv.writer.pipe];
    let l_text = ws.text(&l_res.path)?;
    let pipe_text = ws.text(&pipe_res.path)?;
    // Names: the next version of each, free as a resource and as a file.
    let taken_ds = |n: &str| {
        ws.name_taken(n) || ws.path_taken(&format!("{}{n}.datasource", folder_of(&l_res.path)))
    };
    let new_ds = next_version_name(mv.name(), taken_ds);
    let taken_pipe = |n: &str| {
        n == new_ds
            || ws.name_taken(n)
            || ws.path_taken(&format!("{}{n}.pipe", folder_of(&pipe_res.path)))
    };
    let new_pipe = next_version_name(mv.pipe_name(), taken_pipe);
    let ds_path = format!("{}{new_ds}.datasource", folder_of(&l_res.path));
    let pipe_path = format!("{}{new_pipe}.pipe", folder_of(&pipe_res.path));

    // The new target: L's file, the marker naming L, the column appended (and in the sorting
    // key when it is a new dimension of an aggregating view).
    let l_df = &p.files[l_res.file].datafile;
    let col_edit = append_schema_column(l_df, &l_text, &column)?;
    let dimension = super::dimension::dimension(&mv, &column, &pipe_text, l_df, &l_text)?;
    let mut ds_edits = vec![col_edit];
    ds_edits.extend(dimension.as_ref().and_then(|d| d.sorting_key.clone()));
    // A pending FORWARD_QUERY evolves L's deployed rows; a new datasource has none to evolve
    // (and the query would lack the new column).
    if let Some(fq) = l_df
        .forward_query
        .as_ref()
        .filter(|fq| !l_df.on_include_line(fq.range))
    {
        let start = whole_line_at(&l_text, fq.keyword_range.start).start;
        let end = whole_line_at(&l_text, fq.range.end.saturating_sub(1).max(start)).end;
        ds_edits.push((TextRange::new(start, end), String::new()));
    }
    let mut ds_text = apply_edits(&l_text, &ds_edits);
    ds_text.insert_str(
        0,
        &format!(
            "# tinybird-lsp: replaces {} (remove this line once `{}` is gone)\n",
            mv.name(),
            mv.name()
        ),
    );

    // The live pipe: the legacy pipe's file with the column, the cutoff and the new target.
    let mut edits: Vec<(TextRange, String)> = Vec::new();
    if req.move_item.is_none() {
        edits.push(append_select_item(
            p,
            mv.writer.pipe,
            mv.writer.node,
            &pipe_text,
            &select_item(&column),
        )?);
    }
    edits.extend(dimension.as_ref().and_then(|d| d.group_by.clone()));
    // An output aliased like the time column hides it in WHERE (ClickHouse resolves aliases
    // first): qualify the column with its table then.
    let shadowed = p.resources[mv.writer.pipe].nodes[mv.writer.node]
        .sql
        .as_ref()
        .and_then(|s| s.main.as_ref())
        .is_some_and(|m| {
            m.items
                .iter()
                .any(|i| i.alias.as_deref() == Some(cut.column.as_str()) && !i.functions.is_empty())
        });
    let cut_column = if shadowed {
        format!("{}.{}", mv.source, cut.column)
    } else {
        cut.column.clone()
    };
    let condition = format!("{cut_column} {} {}", cut.live_op, cut.value);
    edits.extend(add_condition(&mv.writer, &condition)?);
    edits.push((mv.writer.target_range, new_ds.clone()));
    let pipe_df = &p.files[pipe_res.file].datafile;
    let backfill_word = match cut.from {
        BackfillFrom::Source => format!("from `{}`", mv.source),
        BackfillFrom::Legacy => format!("from `{}`", mv.name()),
    };
    edits.push(description_edit(
        pipe_df,
        &pipe_text,
        &format!(
            "Live side of the migration from `{}` to `{new_ds}` (adds `{}`): materializes the rows with `{condition}`. The backfill writes the rows before the cutoff {backfill_word}.",
            mv.name(),
            column.name
        ),
    ));
    let live_text = apply_edits(&pipe_text, &edits);

    let mut change = Change {
        title: format!(
            "Add column `{}` to materialized view `{}` (safe migration)",
            column.name,
            mv.name()
        ),
        create: vec![
            NewFile {
                path: ds_path.clone(),
                text: ds_text,
                executable: false,
            },
            NewFile {
                path: pipe_path.clone(),
                text: live_text,
                executable: false,
            },
        ],
        ..Change::default()
    };
    if let Some(item) = req.move_item {
        change.edit.push(FileEdit {
            path: pipe_res.path.to_string(),
            range: remove_select_item(&pipe_text, item),
            new_text: String::new(),
            replaces: None,
        });
        change.notes.push(format!(
            "`{}` no longer computes `{}`: `{}` does, into `{new_ds}`.",
            mv.pipe_name(),
            column.name,
            new_pipe
        ));
    }
    change.notes.push(format!(
        "Created `{new_ds}` ({ds_path}) and its live pipe `{new_pipe}` ({pipe_path}), cut at {} UTC (`{condition}`). Deploy them before the cutoff.",
        format_utc(cut.at)
    ));
    if req.column.is_none() {
        change.notes.push(format!(
            "`{}` is a placeholder: rename it and set its type and expression in both files.",
            column.name
        ));
    }
    change
        .notes
        .extend(dimension.into_iter().flat_map(|d| d.notes));
    match cut.from {
        BackfillFrom::Legacy => change.notes.push(format!(
            "The backfill will copy whole {}s from `{}`{}: the cutoff is on {} boundary, with `>=` on the live side.",
            cut.bucket.as_ref().map_or("bucket", |(_, u)| u.unit.as_str()),
            mv.name(),
            if mv.source_keeps_less() {
                format!(
                    " because `{}` keeps less history than it (its TTL)",
                    mv.landing.map_or(mv.source.as_str(), |i| p.resources[i].name.as_str())
                )
            } else {
                String::new()
            },
            cut.bucket.as_ref().map_or("a bucket", |(_, u)| u.unit.a())
        )),
        BackfillFrom::Source => change.notes.push(format!(
            "After {} UTC, run \"Backfill `{new_ds}` up to the cutoff\" (`<=` the same instant).",
            format_utc(cut.at)
        )),
    }
    if mv
        .source_columns
        .iter()
        .any(|c| c.name == cut.column && c.from_payload)
    {
        change.notes.push(format!(
            "`{}` comes from the event payload: rows that arrive late with a time before the cutoff are caught by neither side once the backfill has run. Wait for the lateness you expect before backfilling.",
            cut.column
        ));
    }
    Ok(change)
}

/// ClickHouse resolves SELECT aliases before columns, also in WHERE: a new `expr AS name`
/// would change what a WHERE/PREWHERE reading the source's `name` means.
/// An aggregating expression (`uniqState(x)`) in a view that does not aggregate: the SELECT
/// becomes an aggregation, and ClickHouse rejects its plain columns (code 215).
fn check_aggregation(mv: &MaterializedView, c: &NewColumn) -> Result<(), ActionError> {
    let node = &mv.project.resources[mv.writer.pipe].nodes[mv.writer.node];
    let Some(main) = node.sql.as_ref().and_then(|s| s.main.as_ref()) else {
        return Ok(());
    };
    let aggregates = |functions: &[syntax::sql::facts::FunctionCall]| {
        functions
            .iter()
            .find(|f| f.aggregate.is_some())
            .map(|f| f.name.clone())
    };
    let groups = !main.group_by.is_empty()
        || main
            .items
            .iter()
            .any(|i| aggregates(&i.functions).is_some());
    if groups {
        return Ok(());
    }
    let probe = format!("SELECT {} AS x", c.expression);
    let parsed = syntax::sql::analyze(&probe);
    let Some(f) = parsed
        .main
        .as_ref()
        .and_then(|m| m.items.first())
        .and_then(|i| aggregates(&i.functions))
    else {
        return Ok(());
    };
    Err(ActionError::new(format!(
        "`{}` aggregates (`{f}`), but `{}.{}` does not group its rows: with it the SELECT would be one aggregation, and ClickHouse rejects its other columns (code 215). Give the column a plain expression, or add it to a view that groups",
        c.expression,
        mv.pipe_name(),
        mv.node_name()
    )))
}

/// The names an expression reads as columns: its unqualified identifiers, outside lambdas
/// (whose parameters are identifiers too). `None` when that cannot be told for certain: not one
/// expression, a subquery, a qualified name, text the parser could not read.
fn column_reads(expression: &str) -> Option<Vec<String>> {
    use syntax::sql::ast::ExprKind;
    let probe = format!("SELECT {expression}");
    let parsed = syntax::sql::parser::parse(&probe);
    let [query] = parsed.queries.as_slice() else {
        return None;
    };
    let [select] = query.selects.as_slice() else {
        return None;
    };
    let [item] = select.items.as_slice() else {
        return None;
    };
    if !select.from.is_empty() || !parsed.stray.is_empty() {
        return None;
    }
    fn walk(e: &syntax::sql::ast::Expr, out: &mut Vec<String>) -> Option<()> {
        match &e.kind {
            ExprKind::Ident(parts) => match parts.as_slice() {
                [one] => out.push(one.name.clone()),
                _ => return None,
            },
            ExprKind::Lambda { .. } => {}
            ExprKind::Subquery(_) | ExprKind::Error => return None,
            _ => {
                let (children, queries) = e.children();
                if !queries.is_empty() {
                    return None;
                }
                for c in children {
                    walk(c, out)?;
                }
            }
        }
        Some(())
    }
    let mut out = vec![];
    walk(item, &mut out)?;
    Some(out)
}

/// A column whose expression reads a name the materializing node's source does not have (nor
/// one of the node's own aliases): ClickHouse would reject the live pipe (UNKNOWN_IDENTIFIER,
/// code 47). Checked only where every column of the source is known.
fn check_reads_known_columns(mv: &MaterializedView, c: &NewColumn) -> Result<(), ActionError> {
    let p = mv.project;
    let Some(reads) = column_reads(&c.expression) else {
        return Ok(());
    };
    let Some(mut known) = analysis::columns::complete_columns(
        p,
        &mv.source,
        Some(mv.writer.pipe),
        Some(mv.writer.node),
    ) else {
        return Ok(());
    };
    // The node's own outputs and WITH names are names an expression of its SELECT may read.
    if let Some(sql) = p.resources[mv.writer.pipe].nodes[mv.writer.node]
        .sql
        .as_ref()
    {
        if let Some(main) = &sql.main {
            known.extend(main.items.iter().map(|i| i.output_name.clone()));
        }
        known.extend(sql.ctes.iter().map(|c| c.name.clone()));
    }
    let Some(unknown) = reads.iter().find(|r| !known.contains(r)) else {
        return Ok(());
    };
    let closest = analysis::columns::closest(unknown, known.iter().map(String::as_str))
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    Err(ActionError::new(format!(
        "`{}` reads `{unknown}`, which `{}` does not have{closest}: ClickHouse would reject the live pipe (UNKNOWN_IDENTIFIER, code 47). Give an expression over the columns `{}` reads",
        c.expression,
        mv.source,
        mv.pipe_name(),
    )))
}

fn check_not_shadowing(mv: &MaterializedView, c: &NewColumn) -> Result<(), ActionError> {
    if c.expression.trim() == c.name {
        return Ok(());
    }
    let node = &mv.project.resources[mv.writer.pipe].nodes[mv.writer.node];
    let Some(main) = node.sql.as_ref().and_then(|s| s.main.as_ref()) else {
        return Ok(());
    };
    let sql = &node.sql_map.text;
    let ranges = main
        .where_range
        .iter()
        .chain(main.prewhere.iter().map(|c| &c.range));
    for r in ranges {
        let text = sql.get(r.start..r.end).unwrap_or("");
        let reads = text
            .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .any(|w| w == c.name);
        if reads {
            return Err(ActionError::new(format!(
                "the WHERE of `{}.{}` reads `{}`: the new `… AS {}` would replace that column there (ClickHouse resolves aliases first). Qualify it there first (`{}.{}`), or name the new column differently",
                mv.pipe_name(),
                mv.node_name(),
                c.name,
                c.name,
                mv.source,
                c.name
            )));
        }
    }
    Ok(())
}

fn check_column(c: &NewColumn) -> Result<(), ActionError> {
    let ok_name = !c.name.is_empty()
        && c.name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && !c.name.starts_with(|ch: char| ch.is_ascii_digit());
    if !ok_name {
        return Err(ActionError::new(format!(
            "`{}` is not a valid column name (letters, digits and `_`, not starting with a digit)",
            c.name
        )));
    }
    if c.ty.trim().is_empty() || c.expression.trim().is_empty() {
        return Err(ActionError::new(
            "the column needs a type and an expression",
        ));
    }
    if c.ty.contains('\n') || c.expression.contains('\n') {
        return Err(ActionError::new(
            "the type and the expression must be one line each",
        ));
    }
    Ok(())
}

/// `pipe.node` → (pipe index, node index).
pub fn resolve_node(p: &Project, n: &str) -> Result<NodeId, ActionError> {
    let (pipe, node) = n
        .split_once('.')
        .ok_or_else(|| ActionError::new(format!("`{n}` is not `pipe.node`")))?;
    let (pi, r) = p
        .named(pipe)
        .find(|(_, r)| r.kind == project::model::ResourceKind::Pipe)
        .ok_or_else(|| ActionError::new(format!("no pipe `{pipe}`")))?;
    let ni = r
        .nodes
        .iter()
        .position(|x| x.name == node)
        .ok_or_else(|| ActionError::new(format!("no node `{node}` in `{pipe}`")))?;
    Ok(NodeId::new(pi, ni))
}

#[cfg(test)]
pub(crate) mod step_tests {
    use super::*;
    use crate::testing::{created, run_on, STORY};
    use crate::Request;

    pub(crate) fn env() -> AddColumn {
        AddColumn {
            datasource: "sessions".into(),
            column: Some(NewColumn {
                name: "env".into(),
                ty: "SimpleAggregateFunction(any, String)".into(),
                expression: "anySimpleState(env)".into(),
            }),
            ..AddColumn::default()
        }
    }

    /// A second view (of another source) and a copy pipe also write the target: migrating one
    /// writer would strand the others. Refused, naming them.
    #[test]
    fn refuses_a_target_other_writers_also_write() {
        let more = format!(
            "{STORY}{}",
            r#"
        //- datasources/hits_archive.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `device` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- pipes/archive_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device, countState() AS hits
            FROM hits_archive
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions
        //- pipes/sessions_copy.pipe
        NODE c
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions
        COPY_SCHEDULE @daily
        "#
        );
        let req = AddColumn {
            node: Some("sessions_mv.n".into()),
            ..env()
        };
        let e = run_on(&more, &Request::AddColumn(req)).unwrap_err();
        assert!(
            e.message
                .contains("`archive_mv.n` (a materialized view of `hits_archive`)")
                && e.message.contains("`sessions_copy.c` (a copy pipe)"),
            "{}",
            e.message
        );
    }

    /// L's pending FORWARD_QUERY (evolving its deployed rows) is not copied into the new
    /// target: a new datasource has no rows to evolve.
    #[test]
    fn the_new_target_has_no_forward_query() {
        let forward = STORY
            .replace("//- now:", "//- dialect: forward\n        //- now:")
            .replace(
                "        ENGINE_SORTING_KEY \"date, session_id\"\n",
                "        ENGINE_SORTING_KEY \"date, session_id\"\n\n        FORWARD_QUERY >\n            SELECT date, session_id, device, hits\n",
            );
        assert!(forward.contains("FORWARD_QUERY"), "{forward}");
        let change = run_on(&forward, &Request::AddColumn(env())).unwrap();
        let target = created(&change, "datasources/sessions_1.datasource");
        assert!(
            !target.contains("FORWARD_QUERY") && !target.contains("SELECT"),
            "{target}"
        );
        assert!(
            target.contains("`env` SimpleAggregateFunction(any, String)"),
            "{target}"
        );
    }

    #[test]
    fn creates_the_new_target_and_a_live_pipe_cut_at_the_next_hour() {
        let change = run_on(STORY, &Request::AddColumn(env())).unwrap();
        let target = created(&change, "datasources/sessions_1.datasource");
        assert!(target.starts_with("# tinybird-lsp: replaces sessions"));
        assert!(target.contains("`env` SimpleAggregateFunction(any, String)"));
        assert!(target.contains("ENGINE_SORTING_KEY \"date, session_id\""));
        let live = created(&change, "pipes/sessions_mv_1.pipe");
        assert!(live.contains("anySimpleState(env) AS env"));
        // 10:20 plus an hour, rounded up to the hour.
        assert!(live.contains("WHERE ts > '2026-01-01 12:00:00'"), "{live}");
        assert!(live.contains("DATASOURCE sessions_1"));
        assert!(change.edit.is_empty() && change.delete.is_empty());
    }

    #[test]
    fn refuses_a_datasource_no_view_writes() {
        let e = run_on(
            STORY,
            &Request::AddColumn(AddColumn {
                datasource: "hits".into(),
                ..env()
            }),
        )
        .unwrap_err();
        assert!(e.message.contains("hits"), "{}", e.message);
    }

    /// A state added to a view that copies rows without grouping: the SELECT would become one
    /// aggregation with plain columns beside it, which ClickHouse rejects (code 215). Refused;
    /// a plain expression is fine there.
    #[test]
    fn refuses_an_aggregate_in_a_view_that_does_not_group() {
        let project = r#"
        //- now: 2026-01-01 10:20:00
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `env` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- datasources/hits_copy.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- pipes/hits_copy_mv.pipe
        NODE n
        SQL >
            SELECT ts, session_id FROM hits
        TYPE materialized
        DATASOURCE hits_copy
        "#;
        let add = |ty: &str, expression: &str| {
            run_on(
                project,
                &Request::AddColumn(AddColumn {
                    datasource: "hits_copy".into(),
                    column: Some(NewColumn {
                        name: "envs".into(),
                        ty: ty.into(),
                        expression: expression.into(),
                    }),
                    ..AddColumn::default()
                }),
            )
        };
        let e = add("AggregateFunction(uniq, String)", "uniqState(env)").unwrap_err();
        assert!(e.message.contains("code 215"), "{}", e.message);
        let ok = add("String", "upper(env)").unwrap();
        assert!(created(&ok, "pipes/hits_copy_mv_1.pipe").contains("upper(env) AS envs"));
    }

    /// An expression reading a column the source does not have is refused with the closest
    /// name (ClickHouse rejects it: tests/migration_replay_chdb.rs); the node's own aliases,
    /// lambda parameters and a source whose columns are not all known are not refused.
    #[test]
    fn refuses_an_expression_reading_an_unknown_column() {
        let project = |source_sql: &str| {
            format!(
                r#"
        //- now: 2026-01-01 10:20:00
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `referer` String,
            `tags` Array(String)
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- datasources/sessions.datasource
        SCHEMA >
            `day` Date,
            `session_id` String,
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "day, session_id"
        //- pipes/sessions_mv.pipe
        NODE parsed
        SQL >
            {source_sql}

        NODE n
        SQL >
            SELECT toDate(ts) AS day, session_id, countState() AS hits FROM parsed
            GROUP BY day, session_id
        TYPE materialized
        DATASOURCE sessions
        "#
            )
        };
        let add = |project: &str, expression: &str| {
            run_on(
                project,
                &Request::AddColumn(AddColumn {
                    datasource: "sessions".into(),
                    column: Some(NewColumn {
                        name: "referrer".into(),
                        ty: "SimpleAggregateFunction(any, String)".into(),
                        expression: expression.into(),
                    }),
                    ..AddColumn::default()
                }),
            )
        };
        let plain = project("SELECT * FROM hits");
        let e = add(&plain, "anySimpleState(referrer)").unwrap_err();
        assert!(
            e.message.contains(
                "reads `referrer`, which `parsed` does not have (did you mean `referer`?)"
            ),
            "{}",
            e.message
        );
        assert!(e.message.contains("code 47"), "{}", e.message);
        add(&plain, "anySimpleState(referer)").unwrap();
        // A lambda's parameter is no column; the node's own alias is one.
        add(
            &plain,
            "anySimpleState(arrayStringConcat(arrayMap(t -> upper(t), tags)))",
        )
        .unwrap();
        add(&plain, "anySimpleState(toString(day))").unwrap();
        // Through a template and a JOIN, the columns are known all the same.
        let templated = project("%\n            SELECT * FROM hits WHERE ts > {{DateTime(since, '2020-01-01 00:00:00')}}");
        let e = add(&templated, "anySimpleState(referrer)").unwrap_err();
        assert!(
            e.message.contains("did you mean `referer`?"),
            "{}",
            e.message
        );
        let joined = project("SELECT * FROM hits AS h LEFT JOIN sessions AS s USING session_id");
        add(&joined, "anySimpleState(referrer)").unwrap_err();
        // A source whose columns are not all known (a table function): nothing is refused.
        let unknown = project("SELECT * FROM hits AS h JOIN numbers(10) AS n ON n.number = 0");
        add(&unknown, "anySimpleState(referrer)").unwrap();
    }
}
