//! The syntax layer: text and diagnostics ([`text`], [`diagnostics`]), the datafile reader and
//! typed model (text → lines → statements → model, plus parse diagnostics), ClickHouse SQL as
//! written in datafiles ([`sql`]: lexer, parser, Tornado templates, facts), ClickHouse types
//! ([`chtype`]) and the tree-sitter tree editors use ([`tree`]).
//!
//! Architecture invariant: pure and total. Text in, plain data out (no I/O, no LSP types);
//! every input parses to something, never panics, and every element carries its range.
//!
//! The line reader ([`reader`]) applies the official algorithm exactly, with the keyword table
//! of the dialect and file kind. The tree-sitter grammar (`grammar/`, [`tree`]) gives editors the
//! same structure with the union of all keywords; `tests/grammar_agreement.rs` checks that both
//! agree on every corpus file.

pub mod block;
mod build;
pub mod chtype;
pub mod diagnostics;
mod indexes;
pub mod keywords;
pub mod model;
pub mod pyexpr;
pub mod reader;
mod schema;
mod shlex;
pub mod sql;
pub mod template;
pub mod text;
pub mod tree;
pub mod types;
mod validate;

use crate::diagnostics::Diagnostic;
use model::Datafile;
use serde::Serialize;

/// Tinybird has two datafile dialects with different parsers (datafile-spec §0, §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// `tinybird-cli` (tb 1.x–6.x): `.tinyenv`, `deploy/`, INCLUDE, node ENGINE.
    Classic,
    /// `tinybird` (tb Forward): `.connection` files, FORWARD_QUERY, any-depth layout.
    Forward,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Classic => "classic",
            Dialect::Forward => "forward",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Datasource,
    Pipe,
    Include,
    Connection,
}

impl FileKind {
    /// The kind to read a file as: `.incl` fragments that hold datasource settings
    /// (`*.datasource.incl`, or a line starting with SCHEMA or ENGINE) read as datasources, as
    /// the Classic CLI does (`is_file_a_datasource`). A fragment of connector settings
    /// (KAFKA_*, IMPORT_* lines) is only ever included by datasources: it reads as one too, so
    /// its settings are checked as datasource settings, not as keywords outside a node.
    pub fn detect(path: &str, text: &str) -> Option<FileKind> {
        let kind = FileKind::from_path(path)?;
        if kind == FileKind::Include {
            let datasource_like = path.ends_with(".datasource.incl")
                || text.lines().any(|l| {
                    let l = l.to_ascii_lowercase();
                    l.starts_with("schema")
                        || l.starts_with("engine")
                        || l.starts_with("kafka_")
                        || l.starts_with("import_")
                });
            if datasource_like {
                return Some(FileKind::Datasource);
            }
        }
        Some(kind)
    }

    pub fn from_path(path: &str) -> Option<FileKind> {
        let ext = path.rsplit_once('.')?.1;
        Some(match ext {
            "datasource" => FileKind::Datasource,
            "pipe" => FileKind::Pipe,
            "incl" => FileKind::Include,
            "connection" => FileKind::Connection,
            _ => return None,
        })
    }
}

pub struct ParseOptions<'a> {
    pub dialect: Dialect,
    pub kind: FileKind,
    /// Folder of the file, to resolve Classic INCLUDE paths ("" for the current folder).
    pub base_dir: &'a str,
    /// Loads an included file by path; `None` reports every INCLUDE as not found.
    pub loader: Option<reader::IncludeLoader<'a>>,
    /// Whether a secret is defined locally (.env.local), for Forward `tb_secret` checks.
    pub secret_defined: &'a dyn Fn(&str) -> bool,
    /// An `.incl` fragment: read on its own, without the whole-file checks (they apply where it
    /// is included).
    pub fragment: bool,
}

pub struct Parsed {
    pub datafile: Datafile,
    pub diagnostics: Vec<Diagnostic>,
    pub includes: Vec<reader::IncludeFile>,
}

/// SQL syntax errors ClickHouse is sure to report, in node SQL that is not a template: an
/// error in both dialects. Both CLIs parse every node's SQL with ClickHouse when they read the
/// file (datafile-spec, "SQL syntax"; tests/datafile_differential.rs proves the verdicts), and
/// where a CLI installed without `lru-dict` skips that check, `tb build` and `tb deploy` still
/// reject the SQL on the server.
fn sql_syntax(datafile: &Datafile, out: &mut Vec<Diagnostic>) {
    for node in &datafile.nodes {
        let Some(sql) = node.sql.as_ref().filter(|s| !s.is_template()) else {
            continue;
        };
        for e in crate::sql::check_syntax(&sql.text.text) {
            let range = sql.text.range_to_file(e.range);
            let message = format!("SQL syntax error in node `{}`: {}", node.name, e.message);
            out.push(Diagnostic::error("sql-syntax", range, message));
        }
    }
}

/// A `.connection` file in a Classic project. The Classic CLI never reads one; its
/// `tb connection create` writes `<name>.connection` holding only `TYPE <service>` as a note
/// of the connection it made in the workspace. Such a note is fine; a file with settings
/// besides `TYPE` is written for Forward, and none of it is deployed from a Classic project.
fn classic_connection(text: &str) -> Option<Diagnostic> {
    let lines = reader::split_lines(text);
    let mut statements = lines.iter().filter(|l| {
        let t = l.text.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    let first = statements.next()?;
    let is_type = |t: &str| {
        let mut words = t.split_whitespace();
        words.next().is_some_and(|w| w.eq_ignore_ascii_case("type")) && words.count() == 1
    };
    let setting = if is_type(first.text.trim()) {
        statements.next()?
    } else {
        first
    };
    Some(Diagnostic::warning(
        "connection-in-classic",
        setting.range,
        "The Classic CLI does not read .connection files (its `tb connection create` writes one holding only `TYPE`): these settings are not deployed; set the dialect to forward if this is a Forward project",
    ))
}

/// Parses one datafile. Never fails and never panics: problems become diagnostics.
pub fn parse(text: &str, opts: &ParseOptions) -> Parsed {
    if opts.dialect == Dialect::Classic && opts.kind == FileKind::Connection {
        return Parsed {
            datafile: Datafile::empty(opts.kind, opts.dialect),
            diagnostics: classic_connection(text).into_iter().collect(),
            includes: vec![],
        };
    }
    let read = reader::read(
        text,
        &reader::ReadOptions {
            dialect: opts.dialect,
            kind: opts.kind,
            base_dir: opts.base_dir,
            loader: opts.loader,
        },
    );
    let (datafile, mut diagnostics) =
        build::Builder::new(&read, opts.dialect, opts.kind, opts.fragment).build();
    let mut all = read.diagnostics.clone();
    all.append(&mut diagnostics);
    sql_syntax(&datafile, &mut all);
    if opts.dialect == Dialect::Forward
        && !opts.fragment
        && matches!(opts.kind, FileKind::Datasource | FileKind::Connection)
    {
        validate::forward_file_template(text, opts.secret_defined, &mut all);
    }
    all.sort_by_key(|d| (d.range.start, d.range.end));
    Parsed {
        datafile,
        diagnostics: all,
        includes: read.includes,
    }
}
