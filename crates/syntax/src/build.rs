//! From the statements of the line reader to the typed model, applying every keyword's handler
//! as the official parser of the dialect does, and reporting what it rejects.

use super::block::MappedText;
use super::keywords::{forward_accepts_block, is_keyword, keywords_for, ENGINE_PARAMS};
use super::model::*;
use super::reader::{unquote, Line, Read, Statement, Word};
use super::schema::parse_schema;
use super::{Dialect, FileKind};
use crate::diagnostics::Diagnostic;
use crate::text::TextRange;

/// The argument of a keyword: the words after it on its line, or the lines of its block.
enum Arg<'a> {
    Words(&'a [Word]),
    Block {
        lines: Vec<&'a Line>,
        /// Where the block's content is (or the header when it has none).
        range: TextRange,
    },
}

pub(super) struct Builder<'a> {
    dialect: Dialect,
    kind: FileKind,
    read: &'a Read,
    doc: Datafile,
    current: Option<usize>,
    fragment: bool,
    pub diagnostics: Vec<Diagnostic>,
}

fn did_you_mean(word: &str, candidates: &[&'static str]) -> String {
    // The distance is at least the difference of the lengths: a word much longer than every
    // keyword (a line of SQL read as a keyword) costs no distance computation.
    let close = |c: &str| 2.max(c.len() / 4);
    let chars = word.chars().count();
    candidates
        .iter()
        .filter(|c| chars.abs_diff(c.len()) <= close(c))
        .map(|c| (strsim::levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= close(c))
        .min()
        .map(|(_, c)| format!(" Did you mean `{}`?", c.to_uppercase()))
        .unwrap_or_default()
}

/// What Python's `int(text)` makes of a text, for a value that must be a whole number ≥ 0.
#[derive(Debug, PartialEq)]
enum PyInt {
    Value(u64),
    /// Python raises, or the number is negative.
    Invalid,
    /// Python reads a number we cannot judge: digits outside ASCII (Python reads any decimal
    /// digit) or one past `u64`.
    Unknown,
}

/// `int(text)`: white space around, an optional sign, decimal digits with single underscores
/// between them.
fn python_int(text: &str) -> PyInt {
    let t = text.trim_matches(|c: char| c.is_whitespace());
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let well_formed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__");
    if !well_formed {
        return PyInt::Invalid;
    }
    if digits.chars().any(|c| c != '_' && !c.is_ascii_digit()) {
        return if digits.chars().all(|c| c == '_' || c.is_numeric()) {
            PyInt::Unknown
        } else {
            PyInt::Invalid
        };
    }
    let plain: String = digits.chars().filter(|c| *c != '_').collect();
    match plain.parse::<u64>() {
        Ok(0) => PyInt::Value(0),
        Ok(_) if negative => PyInt::Invalid,
        Ok(n) => PyInt::Value(n),
        Err(_) if negative => PyInt::Invalid,
        Err(_) => PyInt::Unknown,
    }
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Datasource => "datasource",
        FileKind::Pipe => "pipe",
        FileKind::Include => "include",
        FileKind::Connection => "connection",
    }
}

impl<'a> Builder<'a> {
    pub(super) fn new(read: &'a Read, dialect: Dialect, kind: FileKind, fragment: bool) -> Self {
        let mut nodes = Vec::new();
        let mut current = None;
        if matches!(kind, FileKind::Datasource | FileKind::Connection) {
            nodes.push(Node {
                name: "default".into(),
                ..Node::default()
            });
            current = Some(0);
        }
        Builder {
            dialect,
            kind,
            read,
            doc: Datafile {
                kind,
                dialect,
                description: None,
                tokens: Vec::new(),
                filtering_tags: Vec::new(),
                version: None,
                includes: Vec::new(),
                shared_with: Vec::new(),
                forward_query: None,
                nodes,
            },
            current,
            fragment,
            diagnostics: Vec::new(),
        }
    }

    fn classic(&self) -> bool {
        self.dialect == Dialect::Classic
    }

    fn error(&mut self, code: &'static str, range: TextRange, msg: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(code, range, msg));
    }

    fn warning(&mut self, code: &'static str, range: TextRange, msg: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(code, range, msg));
    }

    fn node(&mut self) -> Option<&mut Node> {
        self.current.map(|i| &mut self.doc.nodes[i])
    }

    pub(super) fn build(mut self) -> (Datafile, Vec<Diagnostic>) {
        let read = self.read;
        for inc in &read.includes {
            self.doc.includes.push(IncludeRef {
                path: Value {
                    text: inc.path.clone(),
                    range: inc.path_range,
                },
                resolved: inc.resolved.clone(),
                found: inc.found,
                args: inc.args.clone(),
                range: inc.range,
                nested: inc.depth > 1,
            });
        }
        for st in &read.statements {
            let (keyword, arg, line_range) = match st {
                Statement::Command {
                    line,
                    keyword,
                    args,
                } => (keyword, Arg::Words(args), read.lines[*line].range),
                Statement::Block {
                    line,
                    keyword,
                    body,
                    closed_by,
                } => {
                    let lines: Vec<&Line> = body.iter().map(|i| &read.lines[*i]).collect();
                    let header = read.lines[*line].range;
                    let range = match (lines.first(), lines.last()) {
                        (Some(f), Some(l)) if f.origin.is_none() || l.origin.is_none() => {
                            f.range.cover(l.range)
                        }
                        _ => header,
                    };
                    if lines.is_empty() && !self.empty_block_ok(keyword) {
                        let mut d = Diagnostic::error(
                            "empty-block",
                            header,
                            format!(
                                "`{} >` has no content: indent its lines under it",
                                keyword.text
                            ),
                        );
                        if let Some(c) = closed_by {
                            d = d.with_related(
                                None,
                                read.lines[*c].range,
                                "the block ends here, at the next keyword",
                            );
                        }
                        self.diagnostics.push(d);
                        continue;
                    }
                    (keyword, Arg::Block { lines, range }, header.cover(range))
                }
            };
            // A NODE line starts the next node: it is not part of the current one.
            let starts_node =
                matches!(keyword.text.to_ascii_lowercase().as_str(), "node" | "scope");
            if let Some(n) = self.node().filter(|_| !starts_node) {
                n.range = if n.range == TextRange::default() {
                    line_range
                } else {
                    n.range.cover(line_range)
                };
            }
            self.statement(keyword, arg, line_range);
        }
        self.finish();
        (self.doc, self.diagnostics)
    }

    fn empty_block_ok(&self, keyword: &Word) -> bool {
        keyword.text.eq_ignore_ascii_case("description")
            // Classic's handler loops over what it is given: nothing shares with nobody.
            || (self.classic() && keyword.text.eq_ignore_ascii_case("shared_with"))
    }

    /// The single-line value: `_unquote(" ".join(args).strip())`, or the stripped block text.
    fn value(&mut self, keyword: &Word, arg: &Arg) -> Option<Value> {
        match arg {
            Arg::Words(words) => {
                let (Some(first), Some(last)) = (words.first(), words.last()) else {
                    let what = match keyword.text.to_lowercase().as_str() {
                        "datasource" | "target_datasource" => "a datasource name",
                        "type" => "a node type",
                        _ => "a value",
                    };
                    self.error(
                        "missing-value",
                        keyword.range,
                        format!("`{}` needs {what}", keyword.text),
                    );
                    return None;
                };
                let joined: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
                let joined = joined.join(" ");
                let text = unquote(joined.trim()).to_string();
                Some(Value {
                    text,
                    range: first.range.cover(last.range),
                })
            }
            Arg::Block { lines, range } => {
                let m = MappedText::from_lines(lines.iter().copied());
                Some(Value {
                    text: unquote(m.text.trim()).to_string(),
                    range: *range,
                })
            }
        }
    }

    fn require_node(&mut self, keyword: &Word) -> bool {
        if self.current.is_some() {
            return true;
        }
        self.error(
            "keyword-before-node",
            keyword.range,
            format!(
                "`{}` belongs to a node: put it after a `NODE name` line",
                keyword.text
            ),
        );
        false
    }

    fn statement(&mut self, keyword: &Word, arg: Arg, line_range: TextRange) {
        let cmd = keyword.text.to_lowercase();
        let is_block = matches!(arg, Arg::Block { .. });

        if cmd == "settings" {
            self.error(
                "settings-not-allowed",
                keyword.range,
                "`SETTINGS` is not a datafile keyword: use `ENGINE_SETTINGS` for table settings (inside SQL, indent the line so it stays in the SQL block)",
            );
            return;
        }
        if !is_keyword(self.dialect, self.kind, &cmd) {
            self.unknown_keyword(keyword);
            return;
        }
        if is_block && !self.classic() && !forward_accepts_block(&cmd) {
            self.error(
                "block-not-allowed",
                keyword.range,
                format!(
                    "`{}` takes a single-line value in Tinybird Forward, not a `>` block",
                    keyword.text
                ),
            );
            return;
        }

        match cmd.as_str() {
            "node" | "scope" => self.node_keyword(keyword, &arg, line_range),
            "description" => {
                let v = match &arg {
                    Arg::Words(words) => Some(Value {
                        text: words
                            .iter()
                            .map(|w| w.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                        range: words
                            .first()
                            .zip(words.last())
                            .map_or(keyword.range, |(f, l)| f.range.cover(l.range)),
                    }),
                    Arg::Block { lines, range } => Some(Value {
                        text: MappedText::from_lines(lines.iter().copied())
                            .text
                            .trim()
                            .to_string(),
                        range: *range,
                    }),
                };
                match self.current {
                    Some(i) => {
                        if matches!(self.kind, FileKind::Datasource | FileKind::Connection) {
                            self.doc.description = v.clone();
                        }
                        self.doc.nodes[i].description = v;
                    }
                    None => self.doc.description = v,
                }
            }
            "sql" => self.sql(keyword, arg),
            "forward_query" => match arg {
                Arg::Block { lines, range } => {
                    self.doc.forward_query = Some(Sql {
                        text: MappedText::sql_from_lines(&lines),
                        keyword_range: keyword.range,
                        range: keyword.range.cover(range),
                    })
                }
                Arg::Words(_) => self.error(
                    "sql-not-block",
                    keyword.range,
                    "`FORWARD_QUERY` must be a block: write `FORWARD_QUERY >` and indent the query under it",
                ),
            },
            "schema" => self.schema(keyword, arg, line_range),
            "indexes" | "indices" => self.indexes(keyword, arg),
            "token" => self.token(keyword, arg, line_range),
            "tags" => {
                let Some(v) = self.value(keyword, &arg) else {
                    return;
                };
                let mut kv = Vec::new();
                for part in v.text.split(',') {
                    let p = part.trim();
                    if p.is_empty() {
                        continue;
                    }
                    if p.contains('=') {
                        kv.push(p.to_string());
                    } else {
                        self.doc.filtering_tags.push(Value {
                            text: p.to_string(),
                            range: v.range,
                        });
                    }
                }
                if !kv.is_empty() {
                    if let Some(n) = self.node() {
                        n.settings.push(Setting {
                            key: "tags".into(),
                            key_range: keyword.range,
                            value: Value {
                                text: kv.join("&"),
                                range: v.range,
                            },
                        });
                    }
                }
            }
            "version" => self.version(keyword, arg),
            "include" => {
                if !self.classic() {
                    self.error(
                        "include-unsupported",
                        keyword.range,
                        "Tinybird Forward does not support INCLUDE: copy the included lines into this file",
                    );
                }
                // Classic: already expanded by the reader.
            }
            "shared_with" => {
                if self.classic() && matches!(&arg, Arg::Words(w) if w.is_empty()) {
                    // Accepted by Classic (it shares with nobody); Forward asks for a name.
                    return;
                }
                let Some(v) = self.value(keyword, &arg) else {
                    return;
                };
                for ws in v.text.split(['\n', ',']) {
                    let ws = ws.trim();
                    if !ws.is_empty() {
                        self.doc.shared_with.push(Value {
                            text: ws.to_string(),
                            range: v.range,
                        });
                    }
                }
            }
            "from" | "maintainer" | "test" => {}
            "source" => {
                if !self.classic() {
                    self.error(
                        "deprecated-keyword",
                        keyword.range,
                        "`SOURCE` is no longer supported by Tinybird Forward: remove it",
                    );
                }
            }
            "partition_key" | "sorting_key" | "primary_key" | "sampling_key" | "ttl" => {
                self.value(keyword, &arg);
                self.warning(
                    "legacy-engine-key",
                    keyword.range,
                    format!(
                        "`{}` is ignored by Tinybird: write `ENGINE_{}`",
                        keyword.text,
                        cmd.to_uppercase()
                    ),
                );
            }
            _ if cmd == "engine" || cmd.starts_with("engine_") => {
                if !self.require_node(keyword) {
                    return;
                }
                let Some(v) = self.value(keyword, &arg) else {
                    return;
                };
                let n = self.node().expect("checked above");
                let engine = n.engine.get_or_insert_with(Engine::default);
                if cmd == "engine" {
                    engine.name = Some(v);
                } else {
                    let key = cmd["engine_".len()..].to_string();
                    debug_assert!(ENGINE_PARAMS.contains(&key.as_str()));
                    engine.params.push(EngineParam {
                        key,
                        key_range: keyword.range,
                        value: v,
                    });
                }
            }
            _ => self.setting(keyword, &cmd, arg),
        }
    }

    fn unknown_keyword(&mut self, keyword: &Word) {
        let cmd = keyword.text.to_lowercase();
        let (message, code) = if keyword.text.starts_with('\'') && keyword.text.len() > 2 {
            (
                "This line has a quote that is never closed: Tinybird reads the whole line as one unknown keyword".to_string(),
                "unbalanced-quote",
            )
        } else if cmd.ends_with('>')
            && is_keyword(self.dialect, self.kind, cmd.trim_end_matches('>'))
        {
            (
                format!(
                    "`{}` is not a keyword: put a space before `>` to open a block",
                    keyword.text
                ),
                "unknown-keyword",
            )
        } else if !self.classic()
            && self.kind == FileKind::Pipe
            && (cmd == "engine" || cmd.starts_with("engine_"))
        {
            (
                format!("`{}` is not allowed in a Tinybird Forward pipe: the engine belongs in the target .datasource file", keyword.text),
                "unknown-keyword",
            )
        } else if !self.classic() && self.kind == FileKind::Datasource && cmd == "node" {
            (
                "Datasource files cannot have nodes: move this node to a .pipe file".to_string(),
                "unknown-keyword",
            )
        } else {
            let where_ = if self.classic() {
                String::new()
            } else {
                format!(" in Tinybird Forward {} files", kind_name(self.kind))
            };
            let known = keywords_for(self.dialect, self.kind);
            (
                format!(
                    "`{}` is not a valid keyword{where_}.{}",
                    keyword.text,
                    did_you_mean(&cmd, &known)
                ),
                "unknown-keyword",
            )
        };
        self.error(code, keyword.range, message);
    }

    fn node_keyword(&mut self, keyword: &Word, arg: &Arg, line_range: TextRange) {
        let name = match arg {
            Arg::Words(w) => w.first().map(|w| Value {
                text: unquote(&w.text).to_string(),
                range: w.range,
            }),
            Arg::Block { .. } => self.value(keyword, arg),
        };
        let Some(name) = name else {
            self.error(
                "missing-value",
                keyword.range,
                format!("`{}` needs a node name", keyword.text),
            );
            return;
        };
        if self.kind == FileKind::Datasource {
            self.error(
                "datasource-node",
                keyword.range,
                "A datasource cannot have nodes: move this node to a .pipe file",
            );
            return;
        }
        self.doc.nodes.push(Node {
            name: name.text,
            name_range: name.range,
            range: line_range,
            ..Node::default()
        });
        self.current = Some(self.doc.nodes.len() - 1);
    }

    fn sql(&mut self, keyword: &Word, arg: Arg) {
        if !self.require_node(keyword) {
            return;
        }
        let sql = match arg {
            Arg::Block { lines, range } => Sql {
                text: MappedText::sql_from_lines(&lines),
                keyword_range: keyword.range,
                range: keyword.range.cover(range),
            },
            Arg::Words(words) => {
                if !self.classic() || words.len() >= 2 {
                    self.error(
                        "sql-not-block",
                        keyword.range,
                        "SQL must be a block: write `SQL >` and indent the query on the lines below",
                    );
                    return;
                }
                let Some(w) = words.first() else {
                    self.error(
                        "missing-value",
                        keyword.range,
                        "`SQL` needs a query: write `SQL >` and indent the query on the lines below",
                    );
                    return;
                };
                let text = MappedText {
                    text: w.text.clone(),
                    segments: vec![super::block::Segment {
                        text_start: 0,
                        file_start: w.range.start,
                        len: w.text.len(),
                        included: false,
                        origin: None,
                    }],
                    margin: String::new(),
                };
                Sql {
                    text,
                    keyword_range: keyword.range,
                    range: keyword.range.cover(w.range),
                }
            }
        };
        if self.kind == FileKind::Datasource {
            // Classic reads it into the datasource's node and never uses it: the datasource is
            // made of its SCHEMA, ENGINE and settings (Forward rejects the keyword). Not
            // analysed: what it reads or calls is nobody's concern.
            self.warning(
                "datasource-node",
                keyword.range,
                "Tinybird ignores SQL in a .datasource file: a query belongs in a .pipe file",
            );
            return;
        }
        self.node().expect("checked").sql = Some(sql);
    }

    fn schema(&mut self, keyword: &Word, arg: Arg, line_range: TextRange) {
        if !self.require_node(keyword) {
            return;
        }
        let (map, single_line) = match arg {
            Arg::Block { lines, .. } => (MappedText::from_lines(lines.iter().copied()), false),
            Arg::Words(words) => {
                // The official handler joins the words without spaces: `SCHEMA a Int32` is
                // one column named `aInt32`.
                let joined: String = words.iter().map(|w| w.text.as_str()).collect();
                let start = words.first().map_or(keyword.range.end, |w| w.range.start);
                let m = MappedText {
                    text: unquote(&joined).to_string(),
                    segments: vec![super::block::Segment {
                        text_start: 0,
                        file_start: start,
                        len: 0,
                        included: true,
                        origin: None,
                    }],
                    margin: String::new(),
                };
                (m, true)
            }
        };
        let parsed = parse_schema(&map, self.dialect);
        let failed = parsed
            .diagnostics
            .iter()
            .any(|d| d.severity == crate::diagnostics::Severity::Error);
        self.diagnostics
            .extend(parsed.diagnostics.into_iter().map(|mut d| {
                if single_line {
                    d.range = line_range;
                }
                d
            }));
        if single_line && !failed {
            self.warning(
                "schema-not-block",
                line_range,
                "`SCHEMA` without `>` joins its words without spaces into a single column: write `SCHEMA >` and one column per indented line",
            );
        }
        let range = parsed
            .columns
            .iter()
            .fold(line_range, |r, c| r.cover(c.range));
        self.node().expect("checked").schema = Some(Schema {
            columns: parsed.columns,
            range,
        });
    }

    fn indexes(&mut self, keyword: &Word, arg: Arg) {
        if !self.require_node(keyword) {
            return;
        }
        let lines: Vec<(String, TextRange)> = match &arg {
            Arg::Block { lines, .. } => lines.iter().map(|l| (l.text.clone(), l.range)).collect(),
            Arg::Words(_) => match self.value(keyword, &arg) {
                Some(v) => vec![(v.text, v.range)],
                None => return,
            },
        };
        for (text, range) in lines {
            match super::indexes::parse_index_line(&text, range) {
                Ok(Some(ix)) => self.node().expect("checked").indexes.push(ix),
                Ok(None) => {}
                Err(msg) => self.error("invalid-index", range, msg),
            }
        }
    }

    fn token(&mut self, keyword: &Word, arg: Arg, line_range: TextRange) {
        let Arg::Words(words) = arg else {
            return;
        };
        let arity_ok = if self.classic() {
            words.len() >= 2
        } else {
            words.len() == 2
        };
        if !arity_ok {
            self.error(
                "token-syntax",
                keyword.range,
                format!(
                    "TOKEN takes a token name and a permission, e.g. `TOKEN \"read api token\" READ` (found {} argument{})",
                    words.len(),
                    if words.len() == 1 { "" } else { "s" }
                ),
            );
            return;
        }
        let name = Value {
            text: unquote(&words[0].text).to_string(),
            range: words[0].range,
        };
        let permission = Value {
            text: words[1].text.to_uppercase(),
            range: words[1].range,
        };
        if !self.classic() {
            let allowed: &[&str] = if self.kind == FileKind::Datasource {
                &["READ", "APPEND"]
            } else {
                &["READ"]
            };
            if !allowed.contains(&permission.text.as_str()) {
                self.error(
                    "token-permission",
                    permission.range,
                    format!(
                        "`{}` is not a token permission for {} files: use {}",
                        words[1].text,
                        kind_name(self.kind),
                        allowed.join(" or ")
                    ),
                );
            }
        }
        self.doc.tokens.push(TokenDecl {
            name,
            permission: Some(permission),
            range: line_range,
        });
    }

    fn version(&mut self, keyword: &Word, arg: Arg) {
        if !self.classic() {
            self.warning(
                "deprecated-keyword",
                keyword.range,
                "Tinybird Forward ignores `VERSION`: remove it",
            );
            return;
        }
        // Classic reads `int()` of the first word as written (quotes included) or of the
        // block; words after the first are ignored.
        let (raw, range) = match &arg {
            Arg::Words(words) => match words.first() {
                Some(w) => (w.text.clone(), w.range),
                None => {
                    self.value(keyword, &arg);
                    return;
                }
            },
            Arg::Block { lines, range } => {
                (MappedText::from_lines(lines.iter().copied()).text, *range)
            }
        };
        match python_int(&raw) {
            PyInt::Value(n) => {
                self.doc.version = Some(Value {
                    text: n.to_string(),
                    range,
                })
            }
            PyInt::Invalid => self.error(
                "invalid-version",
                range,
                format!(
                    "VERSION must be a whole number ≥ 0, e.g. `VERSION 2` (found `{}`)",
                    raw.trim()
                ),
            ),
            // A number Python reads that we do not (digits of another script, or too large
            // to be a version here): no verdict, no version.
            PyInt::Unknown => {}
        }
    }

    fn setting(&mut self, keyword: &Word, cmd: &str, arg: Arg) {
        if !self.require_node(keyword) {
            return;
        }
        let Some(mut v) = self.value(keyword, &arg) else {
            return;
        };
        if !self.classic() {
            if let Some(msg) = forward_deprecation(cmd) {
                let (error, text) = msg;
                if error {
                    self.error("deprecated-keyword", keyword.range, text);
                    return;
                }
                self.warning("deprecated-keyword", keyword.range, text);
            }
            match cmd {
                "backfill" if v.text != "skip" => {
                    self.error(
                        "invalid-value",
                        v.range,
                        format!(
                            "`{}` is not a BACKFILL value: the only one is `skip`",
                            v.text
                        ),
                    );
                    return;
                }
                "deployment_method" if v.text != "alter" => {
                    self.error(
                        "invalid-value",
                        v.range,
                        format!(
                            "`{}` is not a DEPLOYMENT_METHOD value: the only one is `alter`",
                            v.text
                        ),
                    );
                    return;
                }
                "type" => v.text = v.text.to_lowercase(),
                _ => {}
            }
        }
        let n = self.node().expect("checked");
        match cmd {
            "type" => n.type_value = Some(v),
            "datasource" => n.datasource = Some(v),
            "target_datasource" => n.target_datasource = Some(v),
            "copy_schedule" => n.copy_schedule = Some(v),
            "copy_mode" | "mode" => n.copy_mode = Some(v),
            _ => n.settings.push(Setting {
                key: cmd.to_string(),
                key_range: keyword.range,
                value: v,
            }),
        }
    }

    fn finish(&mut self) {
        if self.fragment {
            return;
        }
        if self.kind == FileKind::Pipe {
            self.check_node_sql();
        }
        if !self.classic() {
            super::validate::forward(&self.doc, &mut self.diagnostics);
        } else {
            super::validate::classic_deploy_time(&self.doc, &mut self.diagnostics);
        }
    }

    fn check_node_sql(&mut self) {
        let mut diags = Vec::new();
        for node in &self.doc.nodes {
            let Some(sql) = &node.sql else {
                diags.push(Diagnostic::error(
                    "empty-query",
                    node.name_range,
                    format!("Node `{}` has no SQL: add a `SQL >` block", node.name),
                ));
                continue;
            };
            let text = &sql.text.text;
            if text.trim().is_empty() {
                diags.push(Diagnostic::error(
                    "empty-query",
                    sql.keyword_range,
                    format!("Node `{}` has an empty query", node.name),
                ));
                continue;
            }
            if sql.is_template() {
                let errors = super::template::block_errors(text)
                    .into_iter()
                    .chain(super::template::keyword_names(text))
                    .chain(super::template::expression_errors(text))
                    .chain(super::template::default_errors(text))
                    .chain(super::template::reader_error(text));
                for e in errors {
                    diags.push(Diagnostic::error(
                        "template-syntax",
                        sql.text.range_to_file(e.range),
                        e.message,
                    ));
                }
            } else if let Some(r) = super::template::template_without_percent(text) {
                diags.push(Diagnostic::error(
                    "template-without-percent",
                    sql.text.range_to_file(r),
                    "Template syntax in a query that is not a template: start the SQL block with a `%` line",
                ));
            }
        }
        self.diagnostics.extend(diags);
    }
}

/// Forward keywords that are parsed but deprecated: (is an error, message).
fn forward_deprecation(cmd: &str) -> Option<(bool, &'static str)> {
    Some(match cmd {
        "kafka_store_binary_headers" => (true, "`KAFKA_STORE_BINARY_HEADERS` is no longer supported: with `KAFKA_STORE_HEADERS True`, `__headers` is always Map(String, String)"),
        "import_strategy" => (true, "`IMPORT_STRATEGY` is no longer supported: the strategy is always `append`; remove it"),
        "kafka_key_avro_deserialization" => (true, "`KAFKA_KEY_AVRO_DESERIALIZATION` is no longer supported: use `KAFKA_KEY_FORMAT avro`"),
        "kafka_target_partitions" => (false, "Tinybird Forward ignores `KAFKA_TARGET_PARTITIONS`"),
        "import_service" => (false, "Tinybird Forward ignores `IMPORT_SERVICE`: the connection decides the service"),
        "import_external_datasource" => (false, "Tinybird Forward ignores `IMPORT_EXTERNAL_DATASOURCE`"),
        "export_service" => (false, "Tinybird Forward ignores `EXPORT_SERVICE`: the connection decides the service"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, python_int, PyInt};

    #[test]
    fn python_int_reads_what_python_reads() {
        for (text, want) in [
            ("2", PyInt::Value(2)),
            ("+1", PyInt::Value(1)),
            ("01", PyInt::Value(1)),
            ("1_0", PyInt::Value(10)),
            ("-0", PyInt::Value(0)),
            (" 3\n", PyInt::Value(3)),
            ("-1", PyInt::Invalid),
            ("1__0", PyInt::Invalid),
            ("_1", PyInt::Invalid),
            ("1_", PyInt::Invalid),
            ("1.0", PyInt::Invalid),
            ("\"1\"", PyInt::Invalid),
            ("", PyInt::Invalid),
            ("+", PyInt::Invalid),
            ("1 2", PyInt::Invalid),
            ("\u{661}", PyInt::Unknown),
            ("99999999999999999999", PyInt::Unknown),
        ] {
            assert_eq!(python_int(text), want, "{text:?}");
        }
    }

    #[test]
    fn did_you_mean_suggests_close_keywords_only() {
        let known = ["schema", "engine", "engine_sorting_key"];
        assert_eq!(did_you_mean("schem", &known), " Did you mean `SCHEMA`?");
        assert_eq!(
            did_you_mean("engine_sortin_key", &known),
            " Did you mean `ENGINE_SORTING_KEY`?"
        );
        assert_eq!(did_you_mean("schemä", &known), " Did you mean `SCHEMA`?");
        assert_eq!(did_you_mean("token", &known), "");
        // Far longer than any keyword: no suggestion (and no distance computed).
        assert_eq!(did_you_mean(&"schema".repeat(10_000), &known), "");
    }
}
