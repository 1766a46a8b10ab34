//! Step 2: "Backfill N up to the cutoff". The backfill pipe (the live side's SELECT with the
//! complementary bound, or a copy of the legacy target's states up to the cutoff bucket), a
//! quality test in the project's format comparing L and N, and for Classic projects with custom
//! deployments the `deploy/<version>/` scripts and the `.tinyenv` VERSION bump.
//!
//! The backfill is a copy pipe run once unless asked otherwise: a materialized backfill is
//! also a trigger, and a populate running while ingestion goes on writes the late rows up to
//! the cutoff twice (migration-strategies.md F7); a copy has no trigger.

use super::add_column::BackfillFrom;
use super::context::MaterializedView;
use super::sql_edit::{line_at, whole_line_at};
use super::tinyenv;
use super::{
    apply_edits, folder_of, format_utc, free_name, wrap, ActionError, ActionResult, Change,
    FileEdit, NewFile, Workspace,
};
use analysis::migration::{columns, Bound, Migration, Migrations, Writer};
use project::model::ResourceId;
use project::model::{Project, ResourceKind};
use serde::{Deserialize, Serialize};
use syntax::chtype::Type;
use syntax::model::Column;
use syntax::sql::facts::CompareOp;
use syntax::text::TextRange;
use syntax::Dialect;

/// The backfill's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackfillForm {
    /// `TYPE copy`, run once (`tb pipe copy run … --wait`, Forward `tb copy run … --wait`).
    Copy,
    /// `TYPE materialized`, populated once (the reference story's form).
    Materialized,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Backfill {
    /// The new target N.
    pub datasource: String,
    pub from: Option<BackfillFrom>,
    pub form: Option<BackfillForm>,
}

/// A migration into N, with its live side's cutoff.
pub struct Found<'a> {
    pub m: &'a Migrations,
    pub index: usize,
    pub p: &'a Project,
}

impl Found<'_> {
    pub fn migration(&self) -> &Migration {
        &self.m.migrations[self.index]
    }
    pub fn live(&self) -> &Writer {
        &self.m.writers[self.migration().live[0]]
    }
    /// The live side's instant bound.
    pub fn cutoff(&self) -> Option<&Bound> {
        self.live().lower().find(|b| b.instant().is_some())
    }
}

/// The migration whose new target is `name`.
pub fn find_migration<'a>(
    p: &'a Project,
    m: &'a Migrations,
    name: &str,
) -> Result<Found<'a>, ActionError> {
    let (n, _) = p
        .named(name)
        .find(|(_, r)| r.kind == ResourceKind::Datasource)
        .ok_or_else(|| ActionError::new(format!("no datasource `{name}`")))?;
    let index = m
        .migrations
        .iter()
        .position(|x| x.new == n)
        .ok_or_else(|| {
            ActionError::new(format!(
                "`{name}` is not the new target of a migration (no live pipe with a cutoff writes into it)"
            ))
        })?;
    Ok(Found { m, index, p })
}

/// Why no legacy target is recognised for the new target `n`, and what to do.
pub fn no_legacy_reason(p: &Project, n: ResourceId) -> String {
    let r = &p.resources[n];
    let marker = r
        .defined_by_file()
        .then(|| p.files[r.file].replaces.as_ref())
        .flatten();
    match marker {
        Some((name, _)) => format!(
            "its `# tinybird-lsp: replaces {name}` names no other datasource of the project: correct the name"
        ),
        None => "add `# tinybird-lsp: replaces <legacy>` to its file".to_string(),
    }
}

/// The first column of `cols` named `name`.
fn col<'c>(cols: &'c [Column], name: &str) -> Option<&'c Column> {
    cols.iter().find(|c| c.name == name)
}

pub fn backfill(ws: &Workspace, req: &Backfill, now: i64) -> ActionResult {
    let p = ws.project;
    let f = find_migration(p, ws.migrations, &req.datasource)?;
    let m = f.migration();
    if m.live.is_empty() {
        return Err(ActionError::new(format!(
            "`{}` has no live pipe cut at an instant: add the cutoff first",
            req.datasource
        )));
    }
    if !m.backfills.is_empty() {
        let b = &f.m.writers[m.backfills[0]];
        return Err(ActionError::new(format!(
            "`{}` already has a backfill: `{}`",
            req.datasource, p.resources[b.pipe].name
        )));
    }
    let live = f.live();
    let bound = f.cutoff().ok_or_else(|| {
        ActionError::new("the live side's cutoff is not a fixed instant (a parameter?)")
    })?;
    let instant = bound.instant().cloned().expect("filtered above");
    // The legacy view, or why it cannot be modelled: said, never swallowed.
    let (legacy_mv, legacy_problem) = match m.legacy.map(|l| MaterializedView::of(p, f.m, l, None))
    {
        Some(Ok(mv)) => (Some(mv), None),
        Some(Err(e)) => (None, Some(e.message)),
        None => (None, None),
    };
    let l_name = m.legacy.map(|l| p.resources[l].name.clone());
    if let (Some(BackfillFrom::Legacy), Some(why), Some(l)) = (req.from, &legacy_problem, &l_name) {
        return Err(ActionError::new(format!(
            "cannot backfill from the legacy `{l}`: its view cannot be read ({why})"
        )));
    }
    let from = req.from.unwrap_or(match &legacy_mv {
        Some(mv) if mv.source_keeps_less() => BackfillFrom::Legacy,
        _ => BackfillFrom::Source,
    });
    let form = req.form.unwrap_or(BackfillForm::Copy);
    if from == BackfillFrom::Source {
        // The backfill copies the live side's SELECT: a name no table has would move there.
        let unknown = analysis::columns::unknown_reads(p, live.pipe, live.node);
        if let Some(u) = unknown.first() {
            let name = &u.read.name;
            let hint = analysis::columns::closest(name, u.known.iter().map(String::as_str))
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return Err(ActionError::new(format!(
                "the live pipe `{}` reads `{name}`, which no table it reads has{hint}: ClickHouse rejects it (UNKNOWN_IDENTIFIER), and the backfill would copy the error; fix the live pipe first",
                p.resources[live.pipe].name
            )));
        }
    }
    if from == BackfillFrom::Legacy && form == BackfillForm::Materialized {
        return Err(ActionError::new(
            "a backfill from the legacy target is a copy (a materialized view over it would copy its new rows too)",
        ));
    }
    let n_name = p.resources[m.new].name.clone();
    let live_res = &p.resources[live.pipe];
    let folder = folder_of(&live_res.path).to_string();
    let pipe_name = free_name(&format!("{n_name}_backfill"), |n| {
        ws.name_taken(n) || ws.path_taken(&format!("{folder}{n}.pipe"))
    });
    let pipe_path = format!("{folder}{pipe_name}.pipe");
    let cutoff_utc = instant
        .utc_seconds(bound.column_zone.as_deref())
        .ok_or_else(|| {
            ActionError::new(format!(
                "`{}` is not a known time zone",
                instant.effective_zone(bound.column_zone.as_deref())
            ))
        })?;
    let cutoff_text = format_utc(cutoff_utc);
    let mut change = Change {
        title: format!("Backfill `{n_name}` up to the cutoff"),
        ..Change::default()
    };
    let (pipe_text, node_name, bucket_window) = match from {
        BackfillFrom::Source => {
            let (text, node) = from_source(ws, &f, bound, form)?;
            let window = legacy_mv
                .as_ref()
                .and_then(|mv| bucket_window(mv, bound, cutoff_utc));
            (text, node, window)
        }
        BackfillFrom::Legacy => {
            let mv = legacy_mv.as_ref().ok_or_else(|| {
                ActionError::new(format!(
                    "`{n_name}` has no recognised legacy target to backfill from"
                ))
            })?;
            let (text, window) = from_legacy(p, mv, m.new, bound, &instant)?;
            (text, "backfill".to_string(), Some(window))
        }
    };
    change.create.push(NewFile {
        path: pipe_path.clone(),
        text: pipe_text,
        executable: false,
    });
    // How to run it, in the project's CLI.
    let copy_run = match p.dialect {
        Dialect::Classic => {
            format!("`tb pipe copy run {pipe_name} --node {node_name} --wait --yes`")
        }
        Dialect::Forward => {
            format!("`tb --cloud copy run {pipe_name} --wait --yes` once it is deployed")
        }
    };
    let populate = match p.dialect {
        Dialect::Classic => format!(
            "deploy it after the cutoff, populate it once (`tb pipe populate {pipe_name} --node {node_name} --wait`)"
        ),
        Dialect::Forward => "deploy it after the cutoff (the deployment runs a new materialized pipe over its source: `tb --cloud deploy --check` lists it as the backfill)".to_string(),
    };
    change.notes.push(format!(
        "Created `{pipe_name}` ({pipe_path}): {}",
        match (from, form) {
            (BackfillFrom::Source, BackfillForm::Copy) => format!(
                "a copy pipe writing the rows up to {cutoff_text} UTC into `{n_name}`; run it once, after the cutoff, with {copy_run}."
            ),
            (BackfillFrom::Source, BackfillForm::Materialized) => format!(
                "a materialized pipe for the rows up to {cutoff_text} UTC; {populate} and remove it when the quality test passes."
            ),
            (BackfillFrom::Legacy, _) => format!(
                "a copy pipe copying `{}`'s states before {cutoff_text} UTC into `{n_name}`; run it once, after the cutoff, with {copy_run}.",
                m.legacy.map_or("", |l| p.resources[l].name.as_str())
            ),
        }
    ));
    if now < cutoff_utc {
        change.notes.push(format!(
            "The cutoff {cutoff_text} UTC has not passed yet: deploy and run the backfill only after it (and after the lateness you expect for late events)."
        ));
    }
    if let (Some(why), Some(l)) = (&legacy_problem, &l_name) {
        change.notes.push(format!(
            "The view writing `{l}` cannot be read ({why}): the backfill reads the source `{}` rather than `{l}`, and the quality test compares all rows. Check that the source still holds every row before the cutoff (its TTL).",
            live.source.as_deref().unwrap_or("?")
        ));
    }
    // The quality test: whenever the legacy target is known, even if its view is not.
    if let Some(l) = m.legacy {
        quality_test(
            ws,
            &mut change,
            l,
            m.new,
            &live_res.path,
            bucket_window.as_ref(),
        )?;
    } else {
        change.notes.push(format!(
            "No legacy target recognised for `{n_name}`: no quality test generated ({}).",
            no_legacy_reason(p, m.new)
        ));
    }
    // Classic custom deployments.
    if p.dialect == Dialect::Classic {
        deploy_scripts(ws, &mut change, &pipe_name, &node_name, form)?;
    }
    Ok(change)
}

/// The backfill from the live side's SELECT: the pipe's file with the bound's complement, the
/// form's TYPE and target keyword, and a DESCRIPTION that says why.
fn from_source(
    ws: &Workspace,
    f: &Found,
    bound: &Bound,
    form: BackfillForm,
) -> Result<(String, String), ActionError> {
    let p = f.p;
    let live = f.live();
    let res = &p.resources[live.pipe];
    let text = ws.text(&res.path)?;
    let df = &p.files[res.file].datafile;
    let node = &df.nodes[live.node];
    let column = bound.column_text.as_ref().ok_or_else(|| {
        ActionError::new("the live side's cutoff is not a plain `column > value` comparison")
    })?;
    let complement = match bound.op {
        CompareOp::Gt => "<=",
        CompareOp::Ge => "<",
        _ => {
            return Err(ActionError::new(
                "the live side's cutoff is not a lower bound",
            ))
        }
    };
    let mut edits = vec![(
        bound.range,
        format!("{column} {complement} {}", bound.value_text),
    )];
    let n_name = &p.resources[live.target].name;
    if form == BackfillForm::Copy {
        let ty = node
            .type_value
            .as_ref()
            .ok_or_else(|| ActionError::new("the live node has no TYPE line"))?;
        edits.push((ty.range, type_word("copy", &ty.text)));
        let ds = node
            .datasource
            .as_ref()
            .ok_or_else(|| ActionError::new("the live node has no DATASOURCE line"))?;
        let line = line_at(&text, ds.range.start);
        edits.push((
            TextRange::new(line.start, ds.range.end),
            format!("TARGET_DATASOURCE {n_name}\nCOPY_MODE append"),
        ));
        // A Classic materialized node may create its target (ENGINE lines): a copy into an
        // existing datasource has no use for them.
        if let Some(engine) = &node.engine {
            let lines = engine
                .name
                .iter()
                .map(|v| (v.range.start, v.range.end))
                .chain(
                    engine
                        .params
                        .iter()
                        .map(|p| (p.key_range.start, p.value.range.end)),
                );
            for (start, end) in lines {
                let range = TextRange::new(
                    whole_line_at(&text, start).start,
                    whole_line_at(&text, end.saturating_sub(1).max(start)).end,
                );
                if !df.on_include_line(range) {
                    edits.push((range, String::new()));
                }
            }
        }
    }
    let why = match form {
        BackfillForm::Copy => format!(
            "Backfill of `{n_name}`: the rows with `{column} {complement} {}`, the live side `{}` writes the rest. A copy pipe run once, not a materialized view: a copy has no trigger, so rows arriving while it runs are not written twice (a populated materialized backfill would also catch them). Remove it once the quality test passes.",
            bound.value_text, res.name
        ),
        BackfillForm::Materialized => format!(
            "Backfill of `{n_name}`: the rows with `{column} {complement} {}`, the live side `{}` writes the rest. A materialized view populated once: its trigger also writes late rows up to the cutoff, which a populate running at the same time reads again (written twice), so deploy it after the cutoff and remove it once the quality test passes.",
            bound.value_text, res.name
        ),
    };
    edits.push(super::add_column::description_edit(df, &text, &why));
    Ok((apply_edits(&text, &edits), node.name.clone()))
}

/// `copy` / `materialized` in the case the file uses for TYPE.
fn type_word(word: &str, current: &str) -> String {
    let upper = current.chars().any(|c| c.is_ascii_uppercase())
        && !current.chars().any(|c| c.is_ascii_lowercase());
    if upper {
        word.to_ascii_uppercase()
    } else {
        word.to_string()
    }
}

/// The bucket window of the quality test: L's column computed from the cutoff column, the
/// bucket holding the cutoff, and whether that bucket is compared: only when the backfill wrote
/// part of it (a cutoff inside it, or at its start with `>` on the live side). Buckets after it
/// are still being written, and the two totals would race.
pub struct Window {
    pub column: String,
    pub last: String,
    pub inclusive: bool,
}

impl Window {
    fn op(&self) -> &'static str {
        if self.inclusive {
            "<="
        } else {
            "<"
        }
    }

    fn condition(&self) -> String {
        format!("`{}` {} {}", self.column, self.op(), self.last)
    }

    /// The condition as a note shows it, in backquotes.
    fn shown(&self) -> String {
        format!("`{} {} {}`", self.column, self.op(), self.last)
    }
}

fn bucket_window(mv: &MaterializedView, bound: &Bound, at: i64) -> Option<Window> {
    let tc = mv.time_columns.iter().find(|t| t.column == bound.column)?;
    let (bcol, bucket) = tc.bucket.as_ref()?;
    let bzone = col(columns(mv.project, mv.target), bcol)?
        .parsed
        .as_ref()
        .and_then(Type::zone);
    let zone = bucket.zone(tc.ty.zone());
    let at_start = bucket.round_up(at, zone)? == at;
    Some(Window {
        column: bcol.clone(),
        last: bucket.literal(at, zone, bzone)?,
        inclusive: !(at_start && bound.op == CompareOp::Ge),
    })
}

/// The backfill from the legacy target: its columns in N's order, the new ones set to their
/// type's default, the whole buckets before the cutoff.
fn from_legacy(
    p: &Project,
    mv: &MaterializedView,
    n: ResourceId,
    bound: &Bound,
    instant: &analysis::migration::instant::Instant,
) -> Result<(String, Window), ActionError> {
    let l_name = mv.name();
    let n_name = &p.resources[n].name;
    let tc = mv
        .time_columns
        .iter()
        .find(|t| t.column == bound.column)
        .ok_or_else(|| {
            ActionError::new(format!(
                "the live side cuts on `{}`, which `{l_name}` does not bucket by",
                bound.column
            ))
        })?;
    let (bcol, bucket) = tc.bucket.clone().ok_or_else(|| {
        ActionError::new(format!(
            "no column of `{l_name}` is computed from `{}`: a backfill from it cannot cut at the same instant",
            bound.column
        ))
    })?;
    let unit = bucket.unit.as_str();
    let a_unit = bucket.unit.a();
    let zone = bucket.zone(tc.ty.zone()).to_string();
    let in_zone = if zone == "UTC" {
        String::new()
    } else {
        format!(" ({zone})")
    };
    let cutoff = instant
        .utc_seconds(bound.column_zone.as_deref())
        .ok_or_else(|| {
            ActionError::new(format!(
                "`{}` is not a known time zone",
                instant.effective_zone(bound.column_zone.as_deref())
            ))
        })?;
    if bound.op != CompareOp::Ge || bucket.round_up(cutoff, &zone) != Some(cutoff) {
        return Err(ActionError::new(format!(
            "a backfill from `{l_name}` copies whole {unit}s{in_zone} of `{bcol}`: the live side must cut where {a_unit} starts, with `>=` (it has `{}`)",
            bound.column_text.as_deref().map_or(String::new(), |c| format!("{c} {} {}", bound.op.as_str(), bound.value_text))
        )));
    }
    let l_cols = columns(p, mv.target);
    let n_cols = columns(p, n);
    let mut items = Vec::new();
    for c in n_cols {
        if col(l_cols, &c.name).is_some() {
            items.push(format!("`{}`", c.name));
        } else {
            items.push(format!(
                "CAST(defaultValueOfTypeName('{}') AS {}) AS `{}`",
                c.ty.replace('\'', "\\'"),
                c.ty,
                c.name
            ));
        }
    }
    let bzone = col(l_cols, &bcol)
        .and_then(|c| c.parsed.as_ref())
        .and_then(Type::zone);
    let literal = bucket
        .literal(cutoff, &zone, bzone)
        .ok_or_else(|| ActionError::new(format!("`{zone}` is not a known time zone")))?;
    let description = wrap(
        &format!(
            "Backfill of `{n_name}` from the legacy `{l_name}`: the whole {}s{in_zone} before the live side's cutoff ({} UTC), its aggregate states copied as they are, the new columns set to their type's default. From `{l_name}` rather than the source{}. A copy pipe run once: it has no trigger. Remove it once the quality test passes.",
            unit,
            format_utc(cutoff),
            if mv.source_keeps_less() {
                " because the source keeps less history"
            } else {
                ""
            }
        ),
        "    ",
        96,
    );
    let text = format!(
        "DESCRIPTION >\n{description}\n\nNODE backfill\nSQL >\n    SELECT\n        {}\n    FROM {l_name}\n    WHERE `{bcol}` < {literal}\n\nTYPE copy\nTARGET_DATASOURCE {n_name}\nCOPY_MODE append\n",
        items.join(",\n        ")
    );
    Ok((
        text,
        Window {
            column: bcol,
            last: literal,
            inclusive: false,
        },
    ))
}

/// The merge that totals a column, when it is additive (`countMerge(hits)`, `sum(n)`).
fn total_of(c: &Column, engine: &str) -> Option<String> {
    let t = c.parsed.as_ref()?;
    match t {
        Type::AggregateFunction { .. } => {
            let f = t.aggregate_function()?;
            matches!(f, "count" | "sum").then(|| format!("{f}Merge(`{}`)", c.name))
        }
        Type::SimpleAggregateFunction { .. } => {
            (t.aggregate_function() == Some("sum")).then(|| format!("sum(`{}`)", c.name))
        }
        _ => (t.is_numeric() && engine.contains("Summing")).then(|| format!("sum(`{}`)", c.name)),
    }
}

/// Adds the quality test comparing L and N: Classic `tests/<N>_backfill.yaml` (a check passes
/// when it returns no rows), Forward an endpoint returning the differences and its test.
fn quality_test(
    ws: &Workspace,
    change: &mut Change,
    l: ResourceId,
    n: ResourceId,
    live_path: &str,
    window: Option<&Window>,
) -> Result<(), ActionError> {
    let p = ws.project;
    let (l_name, n_name) = (&p.resources[l].name, &p.resources[n].name);
    let engine = p.files[p.resources[l].file]
        .datafile
        .engine()
        .and_then(|e| e.name.as_ref())
        .map(|v| v.text.clone())
        .unwrap_or_default();
    let n_cols = columns(p, n);
    let mut totals: Vec<(String, String)> = columns(p, l)
        .iter()
        .filter(|c| col(n_cols, &c.name).is_some())
        .filter_map(|c| Some((c.name.clone(), total_of(c, &engine)?)))
        .collect();
    if totals.is_empty() {
        let plain = !engine.contains("Aggregating")
            && !engine.contains("Summing")
            && !engine.contains("Replacing")
            && !engine.contains("Collapsing");
        let what = if plain {
            "count()".to_string()
        } else {
            // Distinct keys: what survives merges.
            let key = p.files[p.resources[l].file]
                .datafile
                .engine()
                .and_then(|e| e.param("sorting_key"))
                .map(|v| v.text.clone())
                .unwrap_or_else(|| "tuple()".into());
            format!("uniqExact({key})")
        };
        totals.push(("rows".into(), what));
    }
    // An engine whose merges keep one row of several (Replacing, Collapsing): compare what the
    // merges leave (FINAL), and with a version column, which versions are left.
    let final_ = engine.contains("Replacing") || engine.contains("Collapsing");
    if final_ {
        let ver = p.files[p.resources[l].file]
            .datafile
            .engine()
            .and_then(|e| e.param("ver"))
            .map(|v| v.text.trim().trim_matches('`').to_string());
        totals = vec![("rows".into(), "count()".into())];
        if let Some(v) = ver.filter(|v| col(n_cols, v).is_some()) {
            totals.push(("versions".into(), format!("sum(cityHash64(`{v}`))")));
        }
    }
    let filter = format!(
        "{}{}",
        if final_ { " FINAL" } else { "" },
        window
            .map(|w| format!(" WHERE {}", w.condition()))
            .unwrap_or_default()
    );
    let mut with = Vec::new();
    let mut differ = Vec::new();
    for (name, total) in &totals {
        with.push(format!(
            "(SELECT {total} FROM {l_name}{filter}) AS legacy_{name},\n  (SELECT {total} FROM {n_name}{filter}) AS new_{name}"
        ));
        differ.push(format!("legacy_{name} != new_{name}"));
    }
    let select: Vec<String> = totals
        .iter()
        .map(|(name, _)| format!("legacy_{name}, new_{name}"))
        .collect();
    let sql = format!(
        "WITH\n  {}\nSELECT {}\nWHERE {}",
        with.join(",\n  "),
        select.join(", "),
        differ.join(" OR ")
    );
    let case = format!("{n_name}_matches_{l_name}");
    let note_window = match window {
        Some(w) if w.inclusive => format!(
            " up to the bucket holding the cutoff ({}: later buckets are still being written)",
            w.shown()
        ),
        Some(w) => format!(
            " before the cutoff ({}: the buckets the backfill wrote; later ones are still being written)",
            w.shown()
        ),
        None => format!(
            " over all their rows (`{l_name}` has no column computed from the cutoff's time column to stop at, so rows still arriving can make it differ now and then: run it when ingestion is quiet)"
        ),
    };
    if p.dialect == Dialect::Classic {
        let path = free_name(&format!("tests/{n_name}_backfill"), |s| {
            ws.path_taken(&format!("{s}.yaml")) || ws.path_taken(&format!("{s}.yml"))
        }) + ".yaml";
        let indented: String = sql.lines().map(|l| format!("      {l}\n")).collect();
        let text = format!(
            "- {case}:\n    max_bytes_read: null\n    max_time: null\n    sql: |\n{indented}"
        );
        change.create.push(NewFile {
            path: path.clone(),
            text,
            executable: false,
        });
        change.notes.push(format!(
            "Created the quality test `{case}` ({path}): it returns a row when the totals of `{l_name}` and `{n_name}` differ{note_window}. Run it with `tb test run` after the backfill."
        ));
    } else {
        let folder = folder_of(live_path).to_string();
        let pipe = free_name(&format!("{n_name}_backfill_check"), |s| {
            ws.name_taken(s)
                || ws.path_taken(&format!("{folder}{s}.pipe"))
                || ws.path_taken(&format!("tests/{s}.yaml"))
        });
        let body: String = sql.lines().map(|l| format!("    {l}\n")).collect();
        let description = wrap(
            &format!("Quality check of the backfill of `{n_name}`: returns a row when its totals differ from the legacy `{l_name}`{note_window}. Remove it with `{l_name}`."),
            "    ",
            96,
        );
        change.create.push(NewFile {
            path: format!("{folder}{pipe}.pipe"),
            text: format!(
                "# tinybird-lsp: check for {n_name}\nDESCRIPTION >\n{description}\n\nNODE check\nSQL >\n{body}\nTYPE endpoint\n"
            ),
            executable: false,
        });
        change.create.push(NewFile {
            path: format!("tests/{pipe}.yaml"),
            text: format!(
                "- name: {case}\n  description: The backfill of {n_name} matches {l_name} (no rows)\n  parameters: ''\n  expected_result: ''\n"
            ),
            executable: false,
        });
        change.notes.push(format!(
            "Created the endpoint `{pipe}` and its test (tests/{pipe}.yaml): the endpoint returns a row when `{l_name}` and `{n_name}` differ; check it on the deployment (`tb --cloud endpoint data {pipe}`) before promoting."
        ));
    }
    Ok(())
}

/// Classic custom deployments (a `.tinyenv` or `deploy/` scripts): the next version's
/// `deploy/<v>/ci-deploy.sh` (with fixtures) and `cd-deploy.sh` (without), and the VERSION
/// bump in `.tinyenv` (datafile-spec §11.4).
fn deploy_scripts(
    ws: &Workspace,
    change: &mut Change,
    pipe: &str,
    node: &str,
    form: BackfillForm,
) -> Result<(), ActionError> {
    let p = ws.project;
    let tinyenv = (ws.read)(".tinyenv");
    let has_deploy = p.scripts.iter().any(|s| s.path.starts_with("deploy/"));
    if tinyenv.is_none() && !has_deploy {
        return Ok(());
    }
    let current = tinyenv.as_deref().and_then(tinyenv::version);
    let mut version = tinyenv::bump(current.as_ref().map_or("0.0.0", |c| c.value.as_str()));
    while ws.path_taken(&format!("deploy/{version}/ci-deploy.sh"))
        || ws.path_taken(&format!("deploy/{version}/cd-deploy.sh"))
    {
        version = tinyenv::bump(&version);
    }
    let header = "#!/usr/bin/env bash\nset -euxo pipefail\n\n";
    let (ci, cd) = match form {
        BackfillForm::Materialized => (
            "tb deploy --populate --fixtures --wait\n".to_string(),
            "tb deploy --populate --wait\n".to_string(),
        ),
        BackfillForm::Copy => {
            let run = format!("tb pipe copy run {pipe} --node {node} --wait --yes\n");
            (
                format!("tb deploy --fixtures\n{run}"),
                format!("tb deploy\n{run}"),
            )
        }
    };
    for (name, body) in [("ci-deploy.sh", ci), ("cd-deploy.sh", cd)] {
        change.create.push(NewFile {
            path: format!("deploy/{version}/{name}"),
            text: format!("{header}{body}"),
            executable: true,
        });
    }
    match tinyenv.as_deref() {
        Some(text) => {
            let edit = match &current {
                // Only the value: `export`, quotes and comments stay.
                Some(c) => FileEdit {
                    path: ".tinyenv".into(),
                    range: c.range,
                    new_text: version.clone(),
                    replaces: None,
                },
                None => FileEdit {
                    path: ".tinyenv".into(),
                    range: TextRange::empty(text.len()),
                    new_text: format!(
                        "{}VERSION={version}\n",
                        if text.is_empty() || text.ends_with('\n') {
                            ""
                        } else {
                            "\n"
                        }
                    ),
                    replaces: None,
                },
            };
            change.edit.push(edit);
        }
        None => change.create.push(NewFile {
            path: ".tinyenv".into(),
            text: format!("VERSION={version}\n"),
            executable: false,
        }),
    }
    change.notes.push(format!(
        "Custom deployment {version}: deploy/{version}/ci-deploy.sh (CI, with fixtures) and cd-deploy.sh (production, without) deploy and {}, waiting for it; .tinyenv VERSION={version}. The scripts must be executable (`chmod +x deploy/{version}/*.sh`).",
        match form {
            BackfillForm::Copy => "run the copy once",
            BackfillForm::Materialized => "populate the backfill",
        }
    ));
    Ok(())
}

/// After a step that ran a custom deployment, the next step's PR must not run it again (a
/// copy run twice writes its rows twice): when `.tinyenv`'s VERSION has `deploy/<v>/` scripts,
/// bump it, so the next deployment is the default one.
pub fn bump_past_custom_deployment(ws: &Workspace, change: &mut Change) {
    let Some(text) = (ws.read)(".tinyenv") else {
        return;
    };
    let Some(line) = tinyenv::version(&text) else {
        return;
    };
    let current = line.value;
    let has_scripts = ws
        .project
        .scripts
        .iter()
        .any(|s| s.path.starts_with(&format!("deploy/{current}/")));
    if !has_scripts {
        return;
    }
    let version = tinyenv::bump(&current);
    change.edit.push(FileEdit {
        path: ".tinyenv".into(),
        range: line.range,
        new_text: version.clone(),
        replaces: None,
    });
    change.notes.push(format!(
        ".tinyenv VERSION={version}: deploy/{current}/ (the backfill's deployment) must not run again with this change."
    ));
}

#[cfg(test)]
pub(crate) mod step_tests {
    use super::*;
    use crate::testing::{after, created, run_on, STORY};
    use crate::Request;

    /// The story after step 1, once its cutoff has passed.
    pub(crate) fn step1() -> String {
        let change = run_on(
            STORY,
            &Request::AddColumn(crate::add_column::step_tests::env()),
        );
        after(STORY, &change.unwrap(), Some("2026-01-01 13:00:00"))
    }

    pub(crate) fn request() -> Request {
        Request::Backfill(Backfill {
            datasource: "sessions_1".into(),
            from: None,
            form: None,
        })
    }

    /// A marker naming a datasource the project lacks is what is said, not "add a marker".
    #[test]
    fn a_marker_naming_nothing_is_the_reason_given() {
        let project = step1().replace(
            "# tinybird-lsp: replaces sessions",
            "# tinybird-lsp: replaces sesions",
        );
        // Without the legacy pipeline, nothing pairs with the new target by structure either.
        let without = |text: &str, path: &str| {
            let start = text.find(&format!("//- {path}\n")).unwrap();
            let end = text[start + 4..]
                .find("\n//- ")
                .map_or(text.len(), |i| start + 4 + i + 1);
            format!("{}{}", &text[..start], &text[end..])
        };
        let project = without(&project, "datasources/sessions.datasource");
        let project = without(&project, "pipes/sessions_mv.pipe");
        let project = without(&project, "pipes/api.pipe");
        assert!(project.contains("replaces sesions"), "{project}");
        let change = run_on(&project, &request()).unwrap();
        let note = change.notes.join("\n");
        assert!(
            note.contains("`# tinybird-lsp: replaces sesions` names no other datasource"),
            "{note}"
        );
        let e = run_on(
            &after(&project, &change, None),
            &Request::Repoint {
                datasource: "sessions_1".into(),
            },
        )
        .unwrap_err();
        assert!(
            e.message.contains("names no other datasource"),
            "{}",
            e.message
        );
    }

    #[test]
    fn copies_the_rows_up_to_the_cutoff_and_adds_the_quality_test() {
        let change = run_on(&step1(), &request()).unwrap();
        let copy = created(&change, "pipes/sessions_1_backfill.pipe");
        assert!(copy.contains("WHERE ts <= '2026-01-01 12:00:00'"), "{copy}");
        assert!(copy.contains("TYPE copy") && copy.contains("TARGET_DATASOURCE sessions_1"));
        let test = created(&change, "tests/sessions_1_backfill.yaml");
        assert!(
            test.contains("sessions") && test.contains("sessions_1"),
            "{test}"
        );
    }

    /// ENGINE lines of a Classic materialized node (which may create its target) are not
    /// copied into the copy backfill.
    #[test]
    fn the_copy_backfill_has_no_engine_lines() {
        let with_engine = step1().replace(
            "DATASOURCE sessions_1\n",
            "DATASOURCE sessions_1\nENGINE \"AggregatingMergeTree\"\nENGINE_SORTING_KEY \"date, session_id\"\n",
        );
        assert!(with_engine.contains("ENGINE \"AggregatingMergeTree\""));
        let change = run_on(&with_engine, &request()).unwrap();
        let copy = created(&change, "pipes/sessions_1_backfill.pipe");
        assert!(!copy.contains("ENGINE"), "{copy}");
        assert!(
            copy.contains("TARGET_DATASOURCE sessions_1\nCOPY_MODE append"),
            "{copy}"
        );
    }

    /// The live side reading a name no table has: the backfill would copy it (issue 20).
    #[test]
    fn refuses_to_copy_a_live_side_reading_an_unknown_column() {
        let project = step1();
        // The live pipe: the file writing into `sessions_1` that reads `device`.
        let files: Vec<usize> = project.match_indices("//- ").map(|(i, _)| i).collect();
        let live = files
            .iter()
            .enumerate()
            .map(|(k, &i)| (i, files.get(k + 1).copied().unwrap_or(project.len())))
            .find(|&(i, j)| {
                let f = &project[i..j];
                f.contains("DATASOURCE sessions_1") && f.contains("device")
            })
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("no live pipe in {project}"));
        let at = live + project[live..].find("device").expect("device read");
        let project = format!("{}devise{}", &project[..at], &project[at + 6..]);
        let e = run_on(&project, &request()).unwrap_err();
        assert!(
            e.message.contains("reads `devise`") && e.message.contains("did you mean `device`"),
            "{}",
            e.message
        );
        assert!(run_on(&step1(), &request()).is_ok());
    }

    #[test]
    fn refuses_a_datasource_that_is_no_new_target() {
        let e = run_on(
            &step1(),
            &Request::Backfill(Backfill {
                datasource: "sessions".into(),
                from: None,
                form: None,
            }),
        )
        .unwrap_err();
        assert!(e.message.contains("not the new target"), "{}", e.message);
    }

    /// Two views write the legacy target: it cannot be read as one view. The backfill says so
    /// (and why) instead of switching silently, and still generates the quality test; asked to
    /// read the legacy target, it refuses with the reason.
    #[test]
    fn a_legacy_target_it_cannot_model_is_said_not_swallowed() {
        let two_writers = format!(
            "{}\n//- pipes/sessions_more_mv.pipe\nNODE n\nSQL >\n    SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device, countState() AS hits\n    FROM hits\n    GROUP BY date, session_id\nTYPE materialized\nDATASOURCE sessions\n",
            step1()
        );
        let change = run_on(&two_writers, &request()).unwrap();
        let notes = change.notes.join("\n");
        assert!(
            notes.contains("The view writing `sessions` cannot be read (several materialized nodes write into `sessions`"),
            "{notes}"
        );
        assert!(!notes.contains("No legacy target recognised"), "{notes}");
        let test = created(&change, "tests/sessions_1_backfill.yaml");
        assert!(
            test.contains("FROM sessions_1") && test.contains("FROM sessions"),
            "{test}"
        );
        let e = run_on(
            &two_writers,
            &Request::Backfill(Backfill {
                datasource: "sessions_1".into(),
                from: Some(BackfillFrom::Legacy),
                form: None,
            }),
        )
        .unwrap_err();
        assert!(
            e.message
                .contains("cannot backfill from the legacy `sessions`")
                && e.message.contains("several materialized nodes"),
            "{}",
            e.message
        );
    }
}
