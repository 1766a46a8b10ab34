//! Deployment scripts (`deploy/<version>/*.sh` and any other `.sh` of the project): the `tb`
//! commands in them, for the migration rules that only scripts can decide (populates without
//! `--wait`, `--truncate` on a shared target, destructive deploys, cutoffs taken from the data).

use syntax::text::TextRange;

/// One `tb …` command in a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TbCommand {
    /// The command in the file (from `tb` to its last argument).
    pub range: TextRange,
    /// Words before the first flag: `pipe populate analytics`, `push pipes/x.pipe`.
    pub words: Vec<(String, TextRange)>,
    /// Flags and their values: `--wait`, `--sql-condition <value>`.
    pub flags: Vec<(String, Option<String>, TextRange)>,
    /// Where each flag's value is written (after `--flag ` or `--flag=`), by flag name; quotes
    /// included.
    pub values: Vec<(String, TextRange)>,
}

impl TbCommand {
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|(f, _, _)| f == flag)
    }
    pub fn flag(&self, flag: &str) -> Option<&(String, Option<String>, TextRange)> {
        self.flags.iter().find(|(f, _, _)| f == flag)
    }
    /// `pipe populate`, `push`, `deploy`, `pipe copy run`, ...
    pub fn is(&self, words: &[&str]) -> bool {
        self.words.len() >= words.len() && self.words.iter().zip(words).all(|((w, _), x)| w == x)
    }
    /// A populate: `tb pipe populate`, `tb push --populate`, `tb deploy --populate`.
    pub fn populates(&self) -> bool {
        self.is(&["pipe", "populate"]) || self.has("--populate")
    }
}

/// A script of the project.
#[derive(Clone, Debug)]
pub struct Script {
    /// Relative to the project root.
    pub path: String,
    pub commands: Vec<TbCommand>,
    /// The script stops on the first failing command (`set -e`, `set -euo pipefail`, ...).
    pub exits_on_error: bool,
}

/// Flags that take a value (`--flag value` or `--flag=value`).
const VALUED: &[&str] = &[
    "--sql-condition",
    "--populate-sql-condition",
    "--param",
    "--node",
    "--semver",
    "--mode",
];

/// Splits a logical line into shell words with their ranges (quotes kept out of the words).
fn words(line: &str, start: usize) -> Vec<(String, TextRange)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut from = None;
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                from.get_or_insert(i);
            }
            (None, c) if c.is_whitespace() => {
                if let Some(f) = from.take() {
                    out.push((
                        std::mem::take(&mut cur),
                        TextRange::new(start + f, start + i),
                    ));
                }
            }
            (None, c) => {
                from.get_or_insert(i);
                cur.push(c);
            }
        }
    }
    if let Some(f) = from {
        out.push((cur, TextRange::new(start + f, start + line.len())));
    }
    out
}

/// Reads the `tb` commands of a script.
pub fn read(path: &str, text: &str) -> Script {
    let mut commands = Vec::new();
    let mut exits_on_error = false;
    // Logical lines: backslash-newline continues a line.
    let mut offset = 0;
    let mut logical = String::new();
    let mut logical_start = 0;
    let mut map: Vec<usize> = Vec::new(); // logical index → file offset
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if logical.is_empty() {
            logical_start = offset;
        }
        let (content, continued) = match body.strip_suffix('\\') {
            Some(c) => (c, true),
            None => (body, false),
        };
        for (i, ch) in content.char_indices() {
            logical.push(ch);
            for _ in 0..ch.len_utf8() {
                map.push(offset + i);
            }
        }
        offset += line.len();
        if continued {
            logical.push(' ');
            map.push(offset.saturating_sub(1));
            continue;
        }
        let trimmed = logical.trim_start();
        if !trimmed.starts_with('#') {
            let w = words(&logical, 0);
            if w.first().is_some_and(|(x, _)| x == "set")
                && w.iter()
                    .skip(1)
                    .any(|(x, _)| x.starts_with('-') && x.contains('e'))
            {
                exits_on_error = true;
            }
            let to_file = |r: TextRange| {
                let s = map.get(r.start).copied().unwrap_or(logical_start);
                let e = map.get(r.end.saturating_sub(1)).map_or(s, |e| e + 1);
                TextRange::new(s, e.max(s))
            };
            let mut i = 0;
            while i < w.len() {
                let (word, _) = &w[i];
                if word == "tb" || word.ends_with("/tb") {
                    let mut cmd = TbCommand {
                        range: to_file(w[i].1),
                        words: Vec::new(),
                        flags: Vec::new(),
                        values: Vec::new(),
                    };
                    let mut j = i + 1;
                    while j < w.len() {
                        let (x, r) = &w[j];
                        if matches!(x.as_str(), "&&" | "||" | ";" | "|" | ")" | "then" | "fi") {
                            break;
                        }
                        let range = to_file(*r);
                        if let Some(flag) = x.strip_prefix("--").map(|_| x.clone()) {
                            let (name, inline) = match flag.split_once('=') {
                                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                                None => (flag, None),
                            };
                            let value = if let Some(v) = inline {
                                // `--flag=value`: the value ends the word.
                                let end = range.end;
                                if range.len() == x.len() {
                                    cmd.values
                                        .push((name.clone(), TextRange::new(end - v.len(), end)));
                                }
                                Some(v)
                            } else if VALUED.contains(&name.as_str()) && j + 1 < w.len() {
                                j += 1;
                                cmd.values.push((name.clone(), to_file(w[j].1)));
                                Some(w[j].0.clone())
                            } else {
                                None
                            };
                            cmd.flags.push((name, value, range));
                        } else if cmd.flags.is_empty() {
                            cmd.words.push((x.trim_end_matches(';').to_string(), range));
                        }
                        cmd.range = cmd.range.cover(range);
                        j += 1;
                    }
                    commands.push(cmd);
                    i = j;
                } else {
                    i += 1;
                }
            }
        }
        logical.clear();
        map.clear();
    }
    Script {
        path: path.to_string(),
        commands,
        exits_on_error,
    }
}

/// Whether a path is a script the project model reads.
/// Shell scripts, and Classic fixture tests (`tests/<name>.test`: a `tb` command line whose
/// output `tests/<name>.test.result` holds).
pub fn is_script(path: &str) -> bool {
    path.ends_with(".sh")
        || ((path.starts_with("tests/") || path.contains("/tests/")) && path.ends_with(".test"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tb_commands() {
        let text = "#!/bin/bash\nset -euo pipefail\n# tb pipe populate ignored\ntb pipe populate backfill --node n \\\n  --sql-condition \"ts <= '2024-01-01 00:00:00'\" --truncate\ntb deploy --populate --wait && tb pipe copy run x --param end=$(date)\n";
        let s = read("deploy/0.0.1/cd-deploy.sh", text);
        assert!(s.exits_on_error);
        assert_eq!(s.commands.len(), 3);
        let p = &s.commands[0];
        assert!(p.is(&["pipe", "populate"]) && p.populates() && p.has("--truncate"));
        assert_eq!(p.words[2].0, "backfill");
        assert_eq!(&text[p.words[2].1.start..p.words[2].1.end], "backfill");
        assert_eq!(
            p.flag("--sql-condition").unwrap().1.as_deref(),
            Some("ts <= '2024-01-01 00:00:00'")
        );
        assert!(s.commands[1].is(&["deploy"]) && s.commands[1].has("--wait"));
        assert!(s.commands[2].is(&["pipe", "copy", "run"]));
        assert_eq!(
            s.commands[2].flag("--param").unwrap().1.as_deref(),
            Some("end=$(date)")
        );
    }
}
