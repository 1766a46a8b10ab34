//! Actions that carry out a materialized-view migration (../shared/reference/add-column-to-mv.md
//! and migration-strategies.md): each computes a [`Change`] — files to create, text edits,
//! files to delete — from the project model and the files' texts. Pure: the command line
//! (`tinybird-lsp migrate …`) writes a change to disk, the language server sends it to the
//! editor as a WorkspaceEdit.
//!
//! The steps of the add-column story:
//! 1. [`add_column`]: the new target N (the legacy target L plus the column) and the new live
//!    materializing pipe, cut at a future instant (`ts > T`).
//! 2. [`backfill`]: the rows up to the cutoff (`ts <= T`), from the source or from L, a
//!    quality test comparing L and N, and for Classic custom deployments the deploy scripts.
//! 3. [`repoint`]: every reader of L reads N.
//! 4. [`finish`]: L, its pipe and the backfill removed once nothing reads L.
//!
//! Forward projects can instead evolve L in place ([`forward`]).

pub mod add_column;
pub mod backfill;
pub mod catalog;
mod context;
mod dimension;
mod finish;
mod forward;
pub mod offers;
mod repoint;
pub mod sql_edit;
mod tinyenv;

use analysis::migration::Migrations;
use project::model::Project;
use std::sync::Arc;
use syntax::text::TextRange;

/// A file an action creates.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NewFile {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub text: String,
    /// A script that must be executable (`chmod 755`).
    pub executable: bool,
}

/// An edit of an existing file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileEdit {
    /// Relative to the project root.
    pub path: String,
    pub range: TextRange,
    pub new_text: String,
    /// The text under `range` the edit was computed against (set by [`run`]): the change is
    /// applied only where that text is still there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

/// What an action does to the project: plain data, applied by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub title: String,
    /// What the change does and why, and what to do next: one line each.
    pub notes: Vec<String>,
    pub create: Vec<NewFile>,
    pub edit: Vec<FileEdit>,
    pub delete: Vec<String>,
}

impl Change {
    /// Whether carrying it out needs resource operations (creating or deleting files).
    pub fn needs_resource_operations(&self) -> bool {
        !self.create.is_empty() || !self.delete.is_empty()
    }

    /// The change as text, for people: what is created, edited and deleted, then the notes.
    pub fn describe(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for f in &self.create {
            out.push_str(&format!("  create {}\n", f.path));
        }
        let mut edited: Vec<&str> = self.edit.iter().map(|e| e.path.as_str()).collect();
        edited.dedup();
        for p in edited {
            out.push_str(&format!("  edit   {p}\n"));
        }
        for p in &self.delete {
            out.push_str(&format!("  delete {p}\n"));
        }
        for n in &self.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        out
    }
}

impl Change {
    /// The files the change touches with their new text (`None`: deleted), computed from the
    /// current texts. Fails on a create over an existing file, an edit of a missing file or a
    /// path outside the project.
    pub fn apply(
        &self,
        read: &dyn Fn(&str) -> Option<Arc<str>>,
    ) -> Result<std::collections::BTreeMap<String, Option<String>>, ActionError> {
        let mut out = std::collections::BTreeMap::new();
        let all_paths = self
            .create
            .iter()
            .map(|f| &f.path)
            .chain(self.edit.iter().map(|e| &e.path))
            .chain(&self.delete);
        for path in all_paths {
            if !is_safe_relative(path) {
                return Err(ActionError::new(format!(
                    "`{path}` is not a path inside the project"
                )));
            }
        }
        for f in &self.create {
            if read(&f.path).is_some() || out.contains_key(&f.path) {
                return Err(ActionError::new(format!(
                    "`{}` already exists: nothing was written",
                    f.path
                )));
            }
            out.insert(f.path.clone(), Some(f.text.clone()));
        }
        let mut by_path: std::collections::BTreeMap<&str, Vec<(TextRange, String)>> =
            std::collections::BTreeMap::new();
        for e in &self.edit {
            by_path
                .entry(&e.path)
                .or_default()
                .push((e.range, e.new_text.clone()));
        }
        for (path, edits) in by_path {
            let text = read(path).ok_or_else(|| {
                ActionError::new(format!("`{path}` does not exist: nothing was written"))
            })?;
            let changed = self.edit.iter().filter(|e| e.path == path).any(|e| {
                !e.range.fits(&text)
                    || e.replaces
                        .as_deref()
                        .is_some_and(|old| text[e.range.start..e.range.end] != *old)
            });
            if changed {
                return Err(ActionError::new(format!(
                    "`{path}` changed since the action was computed: nothing was written"
                )));
            }
            out.insert(path.to_string(), Some(apply_edits(&text, &edits)));
        }
        for path in &self.delete {
            out.insert(path.clone(), None);
        }
        Ok(out)
    }
}

/// A relative, `/`-separated path that stays inside the project (no `..`, not absolute).
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains(':')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Why an action cannot be carried out, for people; `choices` when it needs one more answer
/// (the time column to cut on, when several fit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionError {
    pub message: String,
    pub choices: Vec<String>,
}

impl ActionError {
    pub fn new(message: impl Into<String>) -> ActionError {
        ActionError {
            message: message.into(),
            choices: Vec::new(),
        }
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if !self.choices.is_empty() {
            write!(f, " (one of: {})", self.choices.join(", "))?;
        }
        Ok(())
    }
}

pub type ActionResult = Result<Change, ActionError>;

/// An action and its inputs: what a code action, `workspace/executeCommand` or
/// `tinybird-lsp migrate` asks for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Request {
    AddColumn(add_column::AddColumn),
    ForwardAddColumn(add_column::AddColumn),
    Backfill(backfill::Backfill),
    Repoint { datasource: String },
    Finish { datasource: String },
}

/// Carries out a request.
pub fn run(ws: &Workspace, req: &Request, clock: add_column::Clock) -> ActionResult {
    let mut change = match req {
        Request::AddColumn(r) => add_column::add_column(ws, r, clock),
        Request::ForwardAddColumn(r) => forward::forward_add_column(ws, r),
        Request::Backfill(r) => backfill::backfill(ws, r, clock.now),
        Request::Repoint { datasource } => repoint::repoint(ws, datasource),
        Request::Finish { datasource } => finish::finish(ws, datasource),
    }?;
    // Every edit records the text it replaces, read now: `Change::apply` writes nothing if
    // any of them changed since.
    for e in &mut change.edit {
        let text = ws.text(&e.path)?;
        if !e.range.fits(&text) {
            return Err(ActionError::new(format!(
                "an edit of `{}` falls outside its text: nothing was written",
                e.path
            )));
        }
        e.replaces = Some(text[e.range.start..e.range.end].to_string());
    }
    Ok(change)
}

/// What an action reads: the project model and the files' texts.
pub struct Workspace<'a> {
    pub project: &'a Project,
    /// The project's writers and migrations, from the same analysis as `project`.
    pub migrations: &'a Migrations,
    /// The text of a file of the project (relative path), `None` when there is no such file.
    /// Also answers for files the model does not hold (`.tinyenv`), so that generated paths
    /// never overwrite anything.
    pub read: &'a dyn Fn(&str) -> Option<Arc<str>>,
}

impl Workspace<'_> {
    pub fn text(&self, path: &str) -> Result<Arc<str>, ActionError> {
        (self.read)(path).ok_or_else(|| ActionError::new(format!("cannot read `{path}`")))
    }
    /// Whether a path is taken: a file exists there or a resource is named after it.
    pub fn path_taken(&self, path: &str) -> bool {
        (self.read)(path).is_some() || self.project.file_id(path).is_some()
    }
    /// Whether a resource name is taken (datasource, pipe or anything else).
    pub fn name_taken(&self, name: &str) -> bool {
        self.project.named(name).next().is_some()
    }
}

/// Applies edits (ranges of `text`, not overlapping) and returns the new text.
pub fn apply_edits(text: &str, edits: &[(TextRange, String)]) -> String {
    let mut sorted: Vec<&(TextRange, String)> = edits.iter().collect();
    sorted.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for (r, new) in sorted {
        let start = r.start.clamp(at, text.len());
        out.push_str(&text[at..start]);
        out.push_str(new);
        at = r.end.clamp(start, text.len());
    }
    out.push_str(&text[at..]);
    out
}

/// A name for a new version of `base`: `x` → `x_1`, `x_1` → `x_2`, skipping names for which
/// `taken` is true. A number suffix is a version only when short and its successor is free:
/// `events_2024` → `events_2024_1`, and `x_ds_4` beside an `x_ds_5` → `x_ds_4_1` (not the next
/// free number of someone else's series).
pub fn next_version_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if let Some((stem, digits)) = base.rsplit_once('_') {
        if !stem.is_empty()
            && (1..=2).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            let next = format!("{stem}_{}", digits.parse::<u32>().unwrap_or(0) + 1);
            if !taken(&next) {
                return next;
            }
        }
    }
    (1..)
        .map(|n| format!("{base}_{n}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| format!("{base}_new"))
}

/// `base`, or `base_2`, `base_3`, … : the first for which `taken` is false.
pub fn free_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_string())
}

/// The folder of a path, with its trailing `/` (empty at the root).
pub fn folder_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
}

/// Formats seconds since the epoch (UTC) as `YYYY-MM-DD HH:MM:SS`.
pub fn format_utc(seconds: i64) -> String {
    analysis::migration::instant::format_seconds(seconds)
}

/// Wraps words into lines of at most `width` characters, each indented by `indent`.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
        .iter()
        .map(|l| format!("{indent}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs actions on inline fixtures ([`analysis::fixture`]), for the tests beside each step.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use analysis::fixture::Fixture;

    /// Carries out `req` on the project written in `fixture` (its `//- now:` is the clock;
    /// cutoffs are placed 60 minutes later, rounded up).
    pub fn run_on(fixture: &str, req: &Request) -> ActionResult {
        let f = Fixture::parse(fixture);
        let a = f.analyze();
        let files = f.files.clone();
        let read = move |p: &str| {
            files
                .iter()
                .find(|(f, _)| f == p)
                .map(|(_, t)| Arc::from(t.as_str()))
        };
        let ws = Workspace {
            project: &a.project,
            migrations: &a.migrations,
            read: &read,
        };
        let clock = add_column::Clock {
            now: f.now.unwrap_or(0),
            cutoff_delay_minutes: 60,
        };
        run(&ws, req, clock)
    }

    /// The project of `fixture` once `change` is applied, as a fixture (`now` replaced when
    /// given).
    pub fn after(fixture: &str, change: &Change, now: Option<&str>) -> String {
        let f = Fixture::parse(fixture);
        let read = |p: &str| f.text(p).map(Arc::from);
        let mut files: std::collections::BTreeMap<String, String> =
            f.files.iter().cloned().collect();
        for (path, text) in change.apply(&read).expect("the change applies") {
            match text {
                Some(t) => files.insert(path, t),
                None => files.remove(&path),
            };
        }
        let mut out = String::new();
        if let Some(d) = f.dialect {
            out.push_str(&format!("//- dialect: {}\n", d.name()));
        }
        match (now, f.now) {
            (Some(n), _) => out.push_str(&format!("//- now: {n}\n")),
            (None, Some(n)) => out.push_str(&format!("//- now: {}\n", format_utc(n))),
            (None, None) => {}
        }
        for (path, text) in files {
            out.push_str(&format!("//- {path}\n{text}"));
            if !text.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    /// The text of a file the change creates.
    pub fn created<'c>(change: &'c Change, path: &str) -> &'c str {
        &change
            .create
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} is not created: {}", change.describe()))
            .text
    }

    /// A project with an aggregating view `sessions_mv` from `hits` into `sessions`, read by
    /// the endpoint `api`.
    pub const STORY: &str = r#"
        //- now: 2026-01-01 10:20:00
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `device` String,
            `env` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- datasources/sessions.datasource
        SCHEMA >
            `date` Date,
            `session_id` String,
            `device` SimpleAggregateFunction(any, String),
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "date, session_id"
        //- pipes/sessions_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions
        //- pipes/api.pipe
        NODE n
        SQL >
            SELECT date, countMerge(hits) AS hits FROM sessions GROUP BY date
    "#;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An edit applies only where the text it was computed against is still there.
    #[test]
    fn apply_refuses_edits_of_text_that_changed() {
        let change = Change {
            edit: vec![FileEdit {
                path: "pipes/a.pipe".into(),
                range: TextRange::new(14, 20),
                new_text: "events_1".into(),
                replaces: Some("events".into()),
            }],
            ..Change::default()
        };
        let read = |text: &'static str| move |_: &str| Some(Arc::<str>::from(text));
        let ok = change.apply(&read("SELECT * FROM events")).unwrap();
        assert_eq!(
            ok["pipes/a.pipe"].as_deref(),
            Some("SELECT * FROM events_1")
        );
        let e = change.apply(&read("SELECT * FROM others")).unwrap_err();
        assert!(e.message.contains("changed since"), "{}", e.message);
        assert!(change.apply(&read("SELECT")).is_err());
    }

    #[test]
    fn version_names() {
        let none = |_: &str| false;
        assert_eq!(next_version_name("visits_mv", none), "visits_mv_1");
        assert_eq!(next_version_name("visits_mv_1", none), "visits_mv_2");
        assert_eq!(next_version_name("events_2024", none), "events_2024_1");
        assert_eq!(
            next_version_name("visits", |n: &str| n == "visits_1"),
            "visits_2"
        );
        let series = |n: &str| ["x_ds_5", "x_ds_6", "x_ds_4_1"].contains(&n);
        assert_eq!(next_version_name("x_ds_4", series), "x_ds_4_2");
        assert_eq!(free_name("a", |n: &str| n == "a"), "a_2");
    }

    #[test]
    fn edits_apply_in_order() {
        let t = "abcdef";
        let e = vec![
            (TextRange::new(4, 5), "X".to_string()),
            (TextRange::new(0, 1), "Y".to_string()),
            (TextRange::empty(3), "-".to_string()),
        ];
        assert_eq!(apply_edits(t, &e), "Ybc-dXf");
    }

    #[test]
    fn formats_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00");
        assert_eq!(format_utc(1_699_360_200), "2023-11-07 12:30:00");
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap("a bb ccc", "  ", 8), "  a bb\n  ccc");
    }
}
