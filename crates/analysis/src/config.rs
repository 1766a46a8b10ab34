//! The project configuration file, `tinybird-lsp.toml`: the dialect, "now", per-rule levels,
//! ignores per path glob or resource name (with a reason) and migration defaults. `check` and
//! the language server read the same file (editor settings override it). Pure: the caller
//! finds and reads the file ([`FILE_NAME`] in the project folder or a parent).
//!
//! Every problem in the file is reported once, with a did-you-mean for misspelt keys and codes,
//! and leaves the rest of the file in force.

use std::collections::{BTreeMap, BTreeSet};
use syntax::diagnostics::{Diagnostic, Severity};
use syntax::Dialect;

pub const FILE_NAME: &str = "tinybird-lsp.toml";

/// What to do with one rule's diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleLevel {
    Off,
    Severity(Severity),
}

impl RuleLevel {
    pub fn parse(s: &str) -> Option<RuleLevel> {
        Some(match s {
            "off" => RuleLevel::Off,
            "error" => RuleLevel::Severity(Severity::Error),
            "warning" => RuleLevel::Severity(Severity::Warning),
            "info" => RuleLevel::Severity(Severity::Info),
            "hint" => RuleLevel::Severity(Severity::Hint),
            _ => return None,
        })
    }
}

/// Diagnostics to drop: on files matching one of `paths` (globs relative to the project root)
/// or defining one of `resources`, of `codes` (every code when empty).
#[derive(Clone, Debug)]
pub struct Ignore {
    pub paths: Option<globset::GlobSet>,
    pub resources: Vec<String>,
    pub codes: Vec<String>,
    pub reason: String,
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub dialect: Option<Dialect>,
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub now: Option<String>,
    pub rules: BTreeMap<String, RuleLevel>,
    pub ignores: Vec<Ignore>,
    pub cutoff_delay_minutes: Option<u64>,
}

const KEYS: &[&str] = &["dialect", "now", "rules", "ignore", "migration"];
const IGNORE_KEYS: &[&str] = &["paths", "resources", "codes", "reason"];
const MIGRATION_KEYS: &[&str] = &["cutoff_delay_minutes"];

fn unknown(what: &str, key: &str, known: &[&str]) -> String {
    let mut m = format!("unknown {what} `{key}`");
    if let Some(s) = crate::rules::did_you_mean(key, known.iter().copied()) {
        m.push_str(&format!(" (did you mean `{s}`?)"));
    }
    m
}

impl Config {
    /// Reads the file's text: the configuration and its problems. A text that is not TOML is
    /// one problem and an empty configuration.
    pub fn parse(text: &str) -> (Config, Vec<String>) {
        let mut c = Config::default();
        let mut problems = Vec::new();
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("not valid TOML: {}", e.message()));
                return (c, problems);
            }
        };
        for (key, v) in &table {
            match key.as_str() {
                "dialect" => match v.as_str() {
                    Some("classic") => c.dialect = Some(Dialect::Classic),
                    Some("forward") => c.dialect = Some(Dialect::Forward),
                    _ => problems.push(format!(
                        "`dialect` must be \"classic\" or \"forward\", not {v}"
                    )),
                },
                "now" => match v.as_str() {
                    Some(s) => c.now = Some(s.to_string()),
                    None => problems.push(format!(
                        "`now` must be a string `YYYY-MM-DD HH:MM:SS`, not {v}"
                    )),
                },
                "rules" => match v.as_table() {
                    Some(rules) => {
                        for (code, level) in rules {
                            if crate::registry::code(code).is_none() {
                                let mut m = format!("`rules.{code}`: no such diagnostic code");
                                if let Some(s) = crate::registry::code_like(code) {
                                    m.push_str(&format!(" (did you mean `{s}`?)"));
                                }
                                problems.push(m);
                                continue;
                            }
                            match level.as_str().and_then(RuleLevel::parse) {
                                Some(l) => {
                                    c.rules.insert(code.clone(), l);
                                }
                                None => problems.push(format!(
                                    "`rules.{code}` must be \"off\", \"error\", \"warning\", \"info\" or \"hint\", not {level}"
                                )),
                            }
                        }
                    }
                    None => problems.push("`rules` must be a table ([rules])".into()),
                },
                "ignore" => match v.as_array() {
                    Some(list) => {
                        for (i, item) in list.iter().enumerate() {
                            match item.as_table() {
                                Some(t) => {
                                    if let Some(ig) = ignore(t, i, &mut problems) {
                                        c.ignores.push(ig);
                                    }
                                }
                                None => problems
                                    .push(format!("`ignore[{i}]` must be a table ([[ignore]])")),
                            }
                        }
                    }
                    None => {
                        problems.push("`ignore` must be an array of tables ([[ignore]])".into())
                    }
                },
                "migration" => match v.as_table() {
                    Some(t) => {
                        for (k, v) in t {
                            match k.as_str() {
                                "cutoff_delay_minutes" => match v.as_integer() {
                                    Some(n) if (0..=100_000).contains(&n) => {
                                        c.cutoff_delay_minutes = Some(n as u64)
                                    }
                                    _ => problems.push(format!(
                                        "`migration.cutoff_delay_minutes` must be a number of minutes, not {v}"
                                    )),
                                },
                                other => problems.push(format!(
                                    "[migration]: {}",
                                    unknown("key", other, MIGRATION_KEYS)
                                )),
                            }
                        }
                    }
                    None => problems.push("`migration` must be a table ([migration])".into()),
                },
                other => problems.push(unknown("key", other, KEYS)),
            }
        }
        (c, problems)
    }

    /// The level of `code` given its default severity.
    pub fn level(&self, code: &str, default: Severity) -> RuleLevel {
        self.rules
            .get(code)
            .copied()
            .unwrap_or(RuleLevel::Severity(default))
    }

    /// `list` (the diagnostics of the file at `path`, relative to the project root) with the
    /// rule levels and the ignores applied.
    pub fn apply(&self, path: &str, list: Vec<Diagnostic>) -> Vec<Diagnostic> {
        self.apply_noting(path, list, &mut BTreeSet::new())
    }

    /// [`Config::apply`], adding to `used` the index of every ignore that took a diagnostic
    /// away.
    pub fn apply_noting(
        &self,
        path: &str,
        list: Vec<Diagnostic>,
        used: &mut BTreeSet<usize>,
    ) -> Vec<Diagnostic> {
        if self.rules.is_empty() && self.ignores.is_empty() {
            return list;
        }
        let stem = path
            .rsplit('/')
            .next()
            .and_then(|f| f.split('.').next())
            .unwrap_or("");
        let ignores: Vec<(usize, &Ignore)> = self
            .ignores
            .iter()
            .enumerate()
            .filter(|(_, ig)| {
                ig.paths.as_ref().is_some_and(|g| g.is_match(path))
                    || ig.resources.iter().any(|r| r == stem)
            })
            .collect();
        list.into_iter()
            .filter(|d| {
                let mut kept = true;
                for (i, ig) in &ignores {
                    if ig.codes.is_empty() || ig.codes.iter().any(|c| c == d.code) {
                        used.insert(*i);
                        kept = false;
                    }
                }
                kept
            })
            .filter_map(|mut d| match self.level(d.code, d.severity) {
                RuleLevel::Off => None,
                RuleLevel::Severity(s) => {
                    d.severity = s;
                    Some(d)
                }
            })
            .collect()
    }
}

fn strings(v: &toml::Value, what: &str, problems: &mut Vec<String>) -> Vec<String> {
    match v {
        toml::Value::String(s) => vec![s.clone()],
        toml::Value::Array(a) => a
            .iter()
            .filter_map(|x| match x.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    problems.push(format!("`{what}` must hold strings, not {x}"));
                    None
                }
            })
            .collect(),
        other => {
            problems.push(format!("`{what}` must be a list of strings, not {other}"));
            Vec::new()
        }
    }
}

fn ignore(t: &toml::Table, i: usize, problems: &mut Vec<String>) -> Option<Ignore> {
    let mut ig = Ignore {
        paths: None,
        resources: Vec::new(),
        codes: Vec::new(),
        reason: String::new(),
    };
    for (k, v) in t {
        let what = format!("ignore[{i}].{k}");
        match k.as_str() {
            "paths" => {
                let mut set = globset::GlobSetBuilder::new();
                for p in strings(v, &what, problems) {
                    match globset::GlobBuilder::new(&p)
                        .literal_separator(true)
                        .build()
                    {
                        Ok(g) => {
                            set.add(g);
                        }
                        Err(e) => problems.push(format!("`{what}`: `{p}` is not a glob: {e}")),
                    }
                }
                ig.paths = set.build().ok();
            }
            "resources" => ig.resources = strings(v, &what, problems),
            "codes" => {
                for code in strings(v, &what, problems) {
                    if crate::registry::code(&code).is_none() {
                        let mut m = format!("`{what}`: `{code}` is no diagnostic code");
                        if let Some(s) = crate::registry::code_like(&code) {
                            m.push_str(&format!(" (did you mean `{s}`?)"));
                        }
                        problems.push(m);
                    } else {
                        ig.codes.push(code);
                    }
                }
            }
            "reason" => match v.as_str() {
                Some(s) => ig.reason = s.to_string(),
                None => problems.push(format!("`{what}` must be a string")),
            },
            other => problems.push(format!(
                "`ignore[{i}]`: {}",
                unknown("key", other, IGNORE_KEYS)
            )),
        }
    }
    if ig.paths.is_none() && ig.resources.is_empty() {
        problems.push(format!(
            "`ignore[{i}]` names no `paths` and no `resources`: it ignores nothing"
        ));
        return None;
    }
    if ig.reason.trim().is_empty() {
        problems.push(format!(
            "`ignore[{i}]` has no `reason`: say why, for the next reader"
        ));
    }
    Some(ig)
}

/// The commented file `tinybird-lsp init` writes.
pub const TEMPLATE: &str = r#"# tinybird-lsp configuration: read by `tinybird-lsp check` and by the language server
# (editor settings override it). Every key is optional.

# The dialect of the project, when the files do not tell: "classic" or "forward".
# dialect = "forward"

# "Now" for the migration rules that depend on the time (UTC). Default: the clock.
# now = "2025-01-01 00:00:00"

# Per diagnostic code: "off", "error", "warning", "info" or "hint".
[rules]
# unknown-table = "error"
# migration-leftover = "off"

# Diagnostics to ignore on some files, with the reason. `paths` are globs relative to the
# project folder; `resources` are datasource or pipe names; `codes` (optional) limits the
# ignore to those codes. Inside SQL, `-- tinybird-lsp: ignore[code] reason` ignores one line.
# [[ignore]]
# paths = ["pipes/legacy_*.pipe"]
# codes = ["unknown-table"]
# reason = "reads datasources created by hand in the workspace"

[migration]
# Minutes between now and a generated cutoff.
# cutoff_delay_minutes = 60
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &'static str) -> Diagnostic {
        Diagnostic::new(
            Severity::Warning,
            code,
            syntax::text::TextRange::new(0, 1),
            "x",
        )
    }

    #[test]
    fn reads_levels_ignores_and_reports_problems_with_suggestions() {
        let (c, problems) = Config::parse(
            r#"
            dialect = "forward"
            dialct = "classic"
            [rules]
            unknown-table = "error"
            unknown-tabel = "off"
            [[ignore]]
            paths = ["pipes/legacy_*.pipe"]
            codes = ["unknown-function"]
            reason = "old"
            [[ignore]]
            resources = ["raw"]
            "#,
        );
        assert_eq!(c.dialect, Some(Dialect::Forward));
        assert_eq!(
            c.level("unknown-table", Severity::Warning),
            RuleLevel::Severity(Severity::Error)
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        for want in [
            "did you mean `dialect`",
            "did you mean `unknown-table`",
            "no `reason`",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(want)),
                "{want}: {problems:?}"
            );
        }
        let kept = c.apply(
            "pipes/legacy_a.pipe",
            vec![d("unknown-function"), d("unknown-table")],
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].severity, Severity::Error);
        assert!(
            c.apply("pipes/sub/legacy_a.pipe", vec![d("unknown-function")])
                .len()
                == 1
        );
        assert!(c
            .apply("datasources/raw.datasource", vec![d("unknown-function")])
            .is_empty());
    }

    #[test]
    fn the_template_is_valid_and_quiet() {
        let (c, problems) = Config::parse(TEMPLATE);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(c.rules.is_empty() && c.ignores.is_empty());
    }

    #[test]
    fn broken_toml_is_one_problem() {
        let (_, problems) = Config::parse("rules = [");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("not valid TOML"));
    }
}
