//! The editor features (src/ide) on fixture projects: tests/fixtures/ide/<case>/ is a project
//! whose files hold cursor markers `⟦name⟧` (removed before analysis), <case>.requests lists
//! requests (`hover name`, `rename name new`, `symbols path`, ...) and <case>.expected is the
//! output. Set UPDATE_SNAPSHOTS=1 to rewrite the expected files.

#[path = "support/chdb_project.rs"]
mod chdb_project;
mod common;
#[path = "support/rename_check.rs"]
mod rename_check;

use ide::{self, Located, Site};
use project::model::Project;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use syntax::text::{Encoding, LineIndex, TextRange};

struct Fixture {
    /// Path → text without markers.
    texts: BTreeMap<String, String>,
    /// Marker → (path, offset).
    markers: BTreeMap<String, (String, usize)>,
    _dir: tempfile::TempDir,
    project: Project,
}

fn strip_markers(text: &str) -> (String, Vec<(String, usize)>) {
    let mut out = String::new();
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('⟦') {
        out.push_str(&rest[..i]);
        let after = &rest[i + '⟦'.len_utf8()..];
        let end = after.find('⟧').expect("unclosed marker");
        found.push((after[..end].to_string(), out.len()));
        rest = &after[end + '⟧'.len_utf8()..];
    }
    out.push_str(rest);
    (out, found)
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            walk(&e.path(), base, out);
        } else {
            out.push(e.path().strip_prefix(base).unwrap().to_path_buf());
        }
    }
}

fn load(case: &Path) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    walk(case, case, &mut files);
    let mut texts = BTreeMap::new();
    let mut markers = BTreeMap::new();
    for rel in files {
        let raw = std::fs::read_to_string(case.join(&rel)).unwrap();
        let (text, found) = strip_markers(&raw);
        let rel = rel.to_string_lossy().replace('\\', "/");
        for (name, offset) in found {
            assert!(
                markers
                    .insert(name.clone(), (rel.clone(), offset))
                    .is_none(),
                "marker {name} used twice"
            );
        }
        let target = dir.path().join(&rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, &text).unwrap();
        texts.insert(rel, text);
    }
    let all = disk::walk(dir.path());
    let mut db = disk::load_project(dir.path(), &all, &[], None).unwrap();
    db.analyze(&disk::disk_loader);
    let project = db.take_analysis().unwrap().project;
    Fixture {
        texts,
        markers,
        _dir: dir,
        project,
    }
}

impl Fixture {
    fn pos(&self, path: &str, offset: usize) -> String {
        let text = &self.texts[path];
        let lc = LineIndex::new(text).position(text, offset, Encoding::Chars);
        format!("{}:{}", lc.line + 1, lc.col + 1)
    }

    fn range(&self, path: &str, r: TextRange) -> String {
        let Some(text) = self.texts.get(path) else {
            return format!("{path} (not a project file)");
        };
        let word = text.get(r.start..r.end).unwrap_or("?");
        let word = if word.len() > 40 || word.contains('\n') {
            format!(
                "{}…",
                word.lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(40)
                    .collect::<String>()
            )
        } else {
            word.to_string()
        };
        format!(
            "{path}:{}-{} `{word}`",
            self.pos(path, r.start),
            self.pos(path, r.end)
        )
    }

    /// A path relative to the project folder (include paths come resolved against it).
    fn relative(&self, path: &str) -> String {
        let root = self._dir.path().to_string_lossy().to_string() + "/";
        let mut parts: Vec<&str> = Vec::new();
        for part in path.strip_prefix(root.as_str()).unwrap_or(path).split('/') {
            match part {
                ".." => {
                    parts.pop();
                }
                "." => {}
                p => parts.push(p),
            }
        }
        parts.join("/")
    }

    fn site(&self, s: &Site) -> String {
        self.range(&self.relative(&s.path), s.range)
    }

    fn at(&self, marker: &str) -> (&str, &str, usize) {
        let (path, offset) = self
            .markers
            .get(marker)
            .unwrap_or_else(|| panic!("no marker {marker}"));
        (path.as_str(), self.texts[path].as_str(), *offset)
    }

    fn locate(&self, marker: &str) -> Option<Located> {
        let (path, text, offset) = self.at(marker);
        ide::locate::locate(&self.project, path, text, offset)
    }
    fn locate_for_rename(&self, marker: &str) -> Option<Located> {
        let (path, text, offset) = self.at(marker);
        ide::locate::locate_for_rename(&self.project, path, text, offset)
    }
}

/// The hover at a marker: the symbol's, or an expression's type ([`ide::hover::hover_at`]).
fn hover_at(fx: &Fixture, marker: &str) -> Option<(TextRange, String)> {
    let (path, _, offset) = fx.at(marker);
    ide::hover::hover_at(&fx.project, path, fx.locate(marker).as_ref(), offset)
}

fn run(fx: &Fixture, line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (req, arg) = (words[0], words.get(1).copied().unwrap_or(""));
    let p = &fx.project;
    let mut out = String::new();
    let located = || fx.locate(arg);
    match req {
        "hover" => match hover_at(fx, arg) {
            Some((range, h)) => {
                let (path, _, _) = fx.at(arg);
                let _ = writeln!(out, "{}", fx.range(path, range));
                out.push_str(&h);
                out.push('\n');
            }
            None => out.push_str("(nothing)\n"),
        },
        "definition" => match located() {
            Some(l) => {
                let sites = ide::navigation::definition(p, &l);
                if sites.is_empty() {
                    out.push_str("(no definition)\n");
                }
                for s in sites {
                    let _ = writeln!(out, "{}", fx.site(&s));
                }
            }
            None => out.push_str("(nothing)\n"),
        },
        "references" | "highlights" => match located() {
            Some(l) => {
                let (path, _, _) = fx.at(arg);
                if req == "references" {
                    for (s, def) in ide::navigation::references(p, path, &l) {
                        let _ = writeln!(
                            out,
                            "{}{}",
                            fx.site(&s),
                            if def { " (definition)" } else { "" }
                        );
                    }
                } else {
                    for (r, def) in ide::navigation::highlights(p, path, &l) {
                        let _ = writeln!(
                            out,
                            "{}{}",
                            fx.range(path, r),
                            if def { " (write)" } else { "" }
                        );
                    }
                }
            }
            None => out.push_str("(nothing)\n"),
        },
        "prepare_rename" => match fx
            .locate_for_rename(arg)
            .map(|l| ide::rename::prepare(p, &l))
        {
            Some(Ok((r, name))) => {
                let (path, _, _) = fx.at(arg);
                let _ = writeln!(out, "{} (placeholder `{name}`)", fx.range(path, r));
            }
            Some(Err(e)) => {
                let _ = writeln!(out, "refused: {e}");
            }
            None => out.push_str("(nothing)\n"),
        },
        "rename" => {
            let new = words.get(2).copied().unwrap_or("");
            let (path, _, _) = fx.at(arg);
            match fx
                .locate_for_rename(arg)
                .map(|l| ide::rename::rename(p, path, &l, new))
            {
                Some(Ok(change)) => {
                    for (k, (path, r, text)) in change.edits.iter().enumerate() {
                        let _ = writeln!(out, "{} -> `{text}`", fx.range(path, *r));
                        for (_, note) in change.notes.iter().filter(|(i, _)| *i == k) {
                            let _ = writeln!(out, "  note: {note}");
                        }
                    }
                    for (from, to) in &change.file_renames {
                        let (from, to) = (fx.relative(from), fx.relative(to));
                        let _ = writeln!(out, "rename file {from} -> {to}");
                    }
                }
                Some(Err(e)) => {
                    let _ = writeln!(out, "refused: {e}");
                }
                None => out.push_str("(nothing)\n"),
            }
        }
        "complete" => {
            let (path, text, offset) = fx.at(arg);
            let c = ide::completion::complete(p, path, text, offset);
            let mut items = c.items.clone();
            items.sort_by(|a, b| (a.rank, &a.label).cmp(&(b.rank, &b.label)));
            let _ = writeln!(
                out,
                "replace {}{}",
                fx.range(path, c.replace),
                if c.incomplete { " (incomplete)" } else { "" }
            );
            let shown = words.get(2).and_then(|n| n.parse().ok()).unwrap_or(12);
            for i in items.iter().take(shown) {
                let _ = writeln!(
                    out,
                    "  {} [{:?}]{}{}",
                    i.label,
                    i.kind,
                    i.detail
                        .as_ref()
                        .map(|d| format!(" {d}"))
                        .unwrap_or_default(),
                    i.snippet
                        .as_ref()
                        .map(|s| format!(" snippet `{}`", s.replace('\n', "⏎")))
                        .unwrap_or_default()
                );
            }
            if items.len() > shown {
                let _ = writeln!(out, "  … {} more", items.len() - shown);
            }
        }
        "symbols" => {
            fn show(
                fx: &Fixture,
                path: &str,
                s: &ide::symbols::DocumentSymbol,
                depth: usize,
                out: &mut String,
            ) {
                let _ = writeln!(
                    out,
                    "{}{} [{:?}]{} {}",
                    "  ".repeat(depth),
                    s.name,
                    s.kind,
                    s.detail
                        .as_ref()
                        .map(|d| format!(" {d}"))
                        .unwrap_or_default(),
                    fx.range(path, s.selection)
                );
                for c in &s.children {
                    show(fx, path, c, depth + 1, out);
                }
            }
            for s in ide::symbols::document_symbols(p, arg) {
                show(fx, arg, &s, 0, &mut out);
            }
        }
        "workspace_symbols" => {
            for s in ide::symbols::workspace_symbols(p, arg, 100) {
                let _ = writeln!(
                    out,
                    "{} [{:?}]{} {}",
                    s.name,
                    s.kind,
                    s.container.map(|c| format!(" in {c}")).unwrap_or_default(),
                    fx.site(&s.site)
                );
            }
        }
        "links" => {
            for (r, target) in ide::links::document_links(p, arg) {
                let target = fx.site(&Site {
                    path: target.as_str().into(),
                    range: TextRange::empty(0),
                });
                let _ = writeln!(out, "{} -> {target}", fx.range(arg, r));
            }
        }
        "lens" => match ide::code_lens::code_lens(p, arg) {
            Some(l) => {
                let _ = writeln!(out, "{}", l.title);
                for s in &l.sites {
                    let _ = writeln!(out, "  {}", fx.site(s));
                }
            }
            None => out.push_str("(no lens)\n"),
        },
        "semantic_tokens" => {
            let text = &fx.texts[arg];
            for t in ide::semantic_tokens::semantic_tokens(p, arg, text) {
                let _ = writeln!(
                    out,
                    "{} {}{}",
                    fx.range(arg, t.range),
                    t.ty.name(),
                    if t.modifiers != 0 {
                        " (declaration)"
                    } else {
                        ""
                    }
                );
            }
        }
        "folding" => {
            let text = &fx.texts[arg];
            let tree = syntax::tree::parse_tree(text, None).unwrap();
            for r in ide::folding::ranges(&tree, text) {
                let _ = writeln!(out, "{}", fx.range(arg, r));
            }
        }
        "selection" => {
            let (path, text, offset) = fx.at(arg);
            let tree = syntax::tree::parse_tree(text, None).unwrap();
            for r in ide::selection::selection_ranges(p, path, text, &tree, offset) {
                let _ = writeln!(out, "{}", fx.range(path, r));
            }
        }
        "format" => {
            let text = &fx.texts[arg];
            let kind = syntax::FileKind::detect(arg, text).unwrap();
            let formatted = ide::format::format(text, p.dialect, kind);
            out.push_str(if formatted == *text {
                "(already formatted)\n"
            } else {
                &formatted
            });
        }
        other => panic!("unknown request {other}"),
    }
    out
}

#[test]
fn ide_features_match_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ide");
    let mut failures = Vec::new();
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        cases += 1;
        let fx = load(&entry.path());
        let requests = std::fs::read_to_string(entry.path().with_extension("requests")).unwrap();
        let mut actual = String::new();
        for line in requests.lines() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let _ = writeln!(actual, "== {line}");
            actual.push_str(&run(&fx, line));
        }
        let expected_path = entry.path().with_extension("expected");
        failures.extend(common::snapshot_difference(&expected_path, &actual));
    }
    assert!(cases > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A column passed through more nodes than the family search follows: the rename is refused
/// with a message, never applied to part of the project.
#[test]
fn a_rename_larger_than_the_search_is_refused_not_partial() {
    use analysis::db::ProjectDb;
    use std::sync::Arc;
    let mut db = ProjectDb::new("/nonexistent-root", None);
    db.set_file(
        "datasources/events.datasource",
        Arc::from("SCHEMA >\n    `user_id` String `json:$.user_id`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"user_id\"\n"),
    );
    // One pipe of internal nodes, each passing the column on (a pipe's last node is an API
    // output in Classic: a chain of pipes would stop the family at the first one).
    let chain = 600;
    let mut text = String::new();
    for i in 0..chain {
        let from = if i == 0 {
            "events".to_string()
        } else {
            format!("n{}", i - 1)
        };
        text.push_str(&format!(
            "NODE n{i}\nSQL >\n    SELECT user_id FROM {from}\n\n"
        ));
    }
    db.set_file("pipes/chain.pipe", Arc::from(text.as_str()));
    let p = &db.analyze(&|_: &str| None).project;
    let at = text.find("FROM n298").unwrap() - "user_id ".len() + 1;
    let l = ide::locate::locate(p, "pipes/chain.pipe", &text, at).expect("a column");
    let refused = ide::rename::rename(p, "pipes/chain.pipe", &l, "account_id");
    let Err(message) = refused else {
        panic!("renamed part of a {chain}-node family");
    };
    assert!(message.contains("not renamed"), "{message}");
}

/// Every fixture case (its name and project) with the renames its requests make that are not
/// refused: (the request line, what was renamed, the change).
/// A rename request of a fixture that was not refused: its line, what it renamed, the change.
type FixtureRename = (String, Located, ide::rename::RenameChange);

fn fixture_renames() -> Vec<(String, Fixture, Vec<FixtureRename>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ide");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        let case = entry.file_name().to_string_lossy().to_string();
        let fx = load(&entry.path());
        let requests = std::fs::read_to_string(entry.path().with_extension("requests")).unwrap();
        let mut renames = Vec::new();
        for line in requests.lines().filter(|l| l.starts_with("rename ")) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (marker, new) = (words[1], words.get(2).copied().unwrap_or(""));
            let (path, _, _) = fx.at(marker);
            let Some(l) = fx.locate_for_rename(marker) else {
                continue;
            };
            if let Ok(change) = ide::rename::rename(&fx.project, path, &l, new) {
                renames.push((line.to_string(), l, change));
            }
        }
        out.push((case, fx, renames));
    }
    out
}

/// Every rename the fixtures make, applied: the official parser accepts every edited file
/// that it accepted before, and the project has no error or warning it did not have.
#[test]
fn every_rename_applied_keeps_the_project_working() {
    let mut failures = Vec::new();
    let mut applied = 0;
    for (case, fx, renames) in fixture_renames() {
        let cli = match fx.project.dialect {
            syntax::Dialect::Forward => "forward",
            _ => "classic",
        };
        let before = rename_check::write(&fx.texts);
        let before_counts = before.counts();
        let mut before_ok: Option<BTreeMap<String, bool>> = None;
        for (line, _, change) in renames {
            applied += 1;
            let root = fx._dir.path().to_string_lossy().to_string();
            let (texts, edited) = match rename_check::apply(&root, &fx.texts, &change) {
                Ok(x) => x,
                Err(e) => {
                    failures.push(format!("{case}: `{line}`: {e}"));
                    continue;
                }
            };
            let after = rename_check::write(&texts);
            for (code, n) in &after.counts() {
                if before_counts.get(code).copied().unwrap_or(0) < *n {
                    failures.push(format!("{case}: `{line}` adds {code} ({n} after)"));
                }
            }
            let datafiles = rename_check::datafiles_to_parse(&texts, &edited);
            if datafiles.is_empty() {
                continue;
            }
            let now = rename_check::official_ok_in(after.dir.path(), &datafiles, cli);
            let was = before_ok.get_or_insert_with(|| {
                let all: Vec<String> = fx
                    .texts
                    .keys()
                    .filter(|p| p.ends_with(".pipe") || p.ends_with(".datasource"))
                    .cloned()
                    .collect();
                rename_check::official_ok_in(before.dir.path(), &all, cli)
            });
            for p in &datafiles {
                // The file as it was (under its old name when the rename moved it).
                let old = change
                    .file_renames
                    .iter()
                    .find(|(_, to)| fx.relative(to) == *p)
                    .map_or(p.clone(), |(from, _)| fx.relative(from));
                if was.get(&old).copied().unwrap_or(false) && !now[p] {
                    failures.push(format!(
                        "{case}: `{line}`: the official parser rejects {p} after it"
                    ));
                }
            }
        }
    }
    assert!(applied >= 8, "only {applied} renames applied");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every column and CTE rename the fixtures make, applied, gives the same rows on ClickHouse
/// (chdb): every node that runs before the rename runs after it with the same result, on the
/// same data. A rename that made a word name another column (an alias, a column of another
/// table) changes a result.
#[test]
fn every_column_rename_gives_the_same_rows_on_clickhouse() {
    let mut same = rename_check::SameRows::default();
    for (case, fx, renames) in fixture_renames() {
        for (line, l, change) in renames {
            if !matches!(l.symbol, ide::Symbol::Column(..) | ide::Symbol::Cte(..)) {
                continue;
            }
            let root = fx._dir.path().to_string_lossy().to_string();
            let Ok((texts, edited)) = rename_check::apply(&root, &fx.texts, &change) else {
                continue; // reported by every_rename_applied_keeps_the_project_working
            };
            let after = rename_check::write(&texts);
            same.add(
                format!("{case}: `{line}`"),
                &fx.project,
                &after.analysis.project,
                &edited,
            );
        }
    }
    assert!(
        same.renames() >= 10,
        "only {} column renames",
        same.renames()
    );
    let (compared, failures) = same.check();
    assert!(
        compared >= 20,
        "only {compared} non-empty node results compared"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Renaming a datasource read by `joinGet('name', …)` rewrites the name inside the quotes:
/// the string stays a string (the reference's range was the whole literal, and the rename
/// wrote an unquoted name over it; the corpus rename test found it through `unknown-column`).
#[test]
fn a_rename_read_by_join_get_keeps_the_quotes() {
    use analysis::db::ProjectDb;
    use std::sync::Arc;
    let mut db = ProjectDb::new("/nonexistent-root", None);
    db.set_file(
        "datasources/skus.datasource",
        Arc::from("SCHEMA >\n    `sku` String,\n    `color` String\n\nENGINE Join\nENGINE_JOIN_STRICTNESS ANY\nENGINE_JOIN_TYPE LEFT\nENGINE_KEY_COLUMNS sku\n"),
    );
    db.set_file(
        "datasources/events.datasource",
        Arc::from(
            "SCHEMA >\n    `sku` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"sku\"\n",
        ),
    );
    let text = "NODE n\nSQL >\n    SELECT sku, joinGet('skus', 'color', sku) AS c FROM events\n";
    db.set_file("pipes/p.pipe", Arc::from(text));
    let p = &db.analyze(&|_: &str| None).project;
    let at = text.find("'skus'").unwrap() + 2;
    let l = ide::locate::locate_for_rename(p, "pipes/p.pipe", text, at).expect("the datasource");
    let change = ide::rename::rename(p, "pipes/p.pipe", &l, "products").expect("renamed");
    let mut renamed = text.to_string();
    let mut edits: Vec<_> = change
        .edits
        .iter()
        .filter(|(path, _, _)| &**path == "pipes/p.pipe")
        .collect();
    edits.sort_by_key(|(_, r, _)| std::cmp::Reverse(r.start));
    for (_, r, new) in edits {
        renamed.replace_range(r.start..r.end, new);
    }
    assert!(
        renamed.contains("joinGet('products', 'color', sku)"),
        "{renamed}"
    );
}

/// Applies a rename at the first `needle` of `path` (offset `skip` into it) and returns the
/// project's texts after it, or the refusal.
fn rename_in(
    files: &[(&str, &str)],
    path: &str,
    needle: &str,
    new: &str,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    use analysis::db::ProjectDb;
    use std::sync::Arc;
    let mut db = ProjectDb::new("/nonexistent-root", None);
    for (p, t) in files {
        db.set_file(p, Arc::from(*t));
    }
    let p = &db.analyze(&|_: &str| None).project;
    let text = files.iter().find(|(p, _)| *p == path).unwrap().1;
    let at = text.find(needle).unwrap();
    let l = ide::locate::locate_for_rename(p, path, text, at).expect("a symbol");
    let change = ide::rename::rename(p, path, &l, new)?;
    let mut out: std::collections::BTreeMap<String, String> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    let mut edits: Vec<_> = change.edits.iter().collect();
    edits.sort_by_key(|(_, r, _)| std::cmp::Reverse(r.start));
    for (p, r, t) in edits {
        out.get_mut(&**p).unwrap().replace_range(r.start..r.end, t);
    }
    Ok(out)
}

fn diagnostics_of(files: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    use analysis::db::ProjectDb;
    use std::sync::Arc;
    let mut db = ProjectDb::new("/nonexistent-root", None);
    for (p, t) in files {
        db.set_file(p, Arc::from(t.as_str()));
    }
    db.analyze(&|_: &str| None)
        .diagnostics
        .iter()
        .flat_map(|(f, ds)| {
            ds.iter()
                .map(move |d| format!("{f}: {}: {}", d.code, d.message))
        })
        .collect()
}

const TWO_TABLES: [(&str, &str); 2] = [
    (
        "datasources/a.datasource",
        "SCHEMA >\n    `x` String,\n    `k` Int32\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"k\"\n",
    ),
    (
        "datasources/b.datasource",
        "SCHEMA >\n    `x` String,\n    `k` Int32\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"k\"\n",
    ),
];

/// A column renamed in a node read by the first branch of a UNION: the other branch reads
/// another table and keeps its name; a branch reading the renamed node follows it (found by
/// the corpus rename test through `unknown-column`).
#[test]
fn a_column_rename_follows_union_branches_by_their_tables() {
    let pipe = "NODE from_a\nSQL >\n    SELECT x, k FROM a\n\nNODE from_b\nSQL >\n    SELECT x, k FROM b\n\nNODE from_a_again\nSQL >\n    SELECT x, k FROM from_a\n\nNODE out\nSQL >\n    SELECT x FROM from_a\n    UNION ALL\n    SELECT x FROM from_b\n    UNION ALL\n    SELECT x FROM from_a_again\n\nTYPE endpoint\n";
    let mut files = TWO_TABLES.to_vec();
    files.push(("pipes/p.pipe", pipe));
    let after = rename_in(&files, "pipes/p.pipe", "x, k FROM a", "x2").expect("renamed");
    let text = &after["pipes/p.pipe"];
    assert!(text.contains("SELECT x, k FROM b"), "{text}");
    assert!(
        text.contains("SELECT x2 AS x FROM from_a\n"),
        "the endpoint keeps its output name: {text}"
    );
    assert!(text.contains("SELECT x2 FROM from_a_again"), "{text}");
    assert!(text.contains("SELECT x FROM from_b"), "{text}");
    let ds = diagnostics_of(&after);
    assert!(
        !ds.iter().any(|d| d.contains("unknown-column")),
        "{ds:?}\n{text}"
    );
}

/// A column that reaches the renamed node through `SELECT *` of a public output has no item to
/// keep its name on: the rename is refused rather than leaving a read of a column no table has.
#[test]
fn a_column_rename_through_a_public_star_is_refused() {
    let mut files = TWO_TABLES.to_vec();
    files.push((
        "pipes/all_a.pipe",
        "NODE all\nSQL >\n    SELECT * FROM a\n\nTYPE endpoint\n",
    ));
    files.push((
        "pipes/reader.pipe",
        "NODE m\nSQL >\n    SELECT x FROM all_a\n\nNODE e\nSQL >\n    SELECT x, length(x) AS n FROM m\n\nTYPE endpoint\n",
    ));
    let e = rename_in(&files, "pipes/reader.pipe", "x FROM all_a", "x2").unwrap_err();
    assert!(e.contains("SELECT *"), "{e}");
}
