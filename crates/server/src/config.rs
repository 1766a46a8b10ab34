//! Server settings, from `initializationOptions` and `workspace/didChangeConfiguration` (or
//! `workspace/configuration`, section `tinybird`). Every setting is documented in
//! docs/configuration.md. Unknown or invalid settings are reported once, as a warning, and
//! never stop the server: the rest of the settings still apply.

use serde_json::Value;
use std::collections::BTreeMap;
use syntax::diagnostics::Severity;
use syntax::Dialect;

pub use analysis::config::RuleLevel;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticsMode {
    /// Pull when the client supports pull diagnostics and refreshing them, push otherwise.
    Auto,
    Push,
    Pull,
}

/// Which version of the project the deploy plan compares the files with.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum DeployBase {
    /// The merge-base of HEAD with its upstream branch, else HEAD.
    #[default]
    Auto,
    /// No deploy plan and no change-aware diagnostics.
    Off,
    /// A revision git understands (`main`, `origin/main`, a tag, a hash).
    Rev(String),
}

impl DeployBase {
    /// The revision to read (`None`: the default base).
    pub fn rev(&self) -> Option<&str> {
        match self {
            DeployBase::Rev(r) => Some(r),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// `None`: detect per project.
    pub dialect: Option<Dialect>,
    /// Per diagnostic code.
    pub rules: BTreeMap<String, RuleLevel>,
    pub debounce_ms: u64,
    pub diagnostics_mode: DiagnosticsMode,
    /// Minutes between now and a generated migration cutoff.
    pub cutoff_delay_minutes: u64,
    /// "Now" for migration timing checks and generated cutoffs (`YYYY-MM-DD HH:MM:SS`, UTC);
    /// `None`: the clock.
    pub now: Option<String>,
    /// Where the rule pages are (`<base><code>.md`), for diagnostics' codeDescription links.
    pub docs_base_url: Option<String>,
    /// Formatting also upper-cases ClickHouse keywords of plain SQL.
    pub format_sql_keywords: bool,
    /// The deployed version the deploy plan compares with.
    pub deploy_base: DeployBase,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dialect: None,
            rules: BTreeMap::new(),
            debounce_ms: 150,
            diagnostics_mode: DiagnosticsMode::Auto,
            cutoff_delay_minutes: 60,
            now: None,
            docs_base_url: default_docs_base_url(),
            format_sql_keywords: false,
            deploy_base: DeployBase::Auto,
        }
    }
}

impl Settings {
    /// The level of rule `code` given its default severity.
    pub fn level(&self, code: &str, default: Severity) -> RuleLevel {
        self.rules
            .get(code)
            .copied()
            .unwrap_or(RuleLevel::Severity(default))
    }

    /// Reads settings: `{"tinybird": {...}}` or the object itself. Returns the settings and the
    /// problems found (unknown keys, wrong types), which leave the defaults in place.
    pub fn from_json(value: &Value) -> (Settings, Vec<String>) {
        let mut s = Settings::default();
        let mut problems = Vec::new();
        let obj = match value {
            // Neovim sends an empty `settings = {}` as `[]`: no settings, like null.
            Value::Null => return (s, problems),
            Value::Array(a) if a.is_empty() => return (s, problems),
            Value::Object(m) => match m.get("tinybird") {
                Some(Value::Object(inner)) => inner,
                Some(Value::Null) => return (s, problems),
                Some(Value::Array(a)) if a.is_empty() => return (s, problems),
                _ => m,
            },
            other => {
                problems.push(format!("settings must be an object, not {}", kind(other)));
                return (s, problems);
            }
        };
        for (key, v) in obj {
            match key.as_str() {
                "dialect" => match v.as_str() {
                    _ if v.is_null() => s.dialect = None,
                    Some("auto") => s.dialect = None,
                    Some("classic") => s.dialect = Some(Dialect::Classic),
                    Some("forward") => s.dialect = Some(Dialect::Forward),
                    _ => problems.push(format!(
                        "`dialect` must be \"auto\", \"classic\" or \"forward\", not {v}"
                    )),
                },
                "rules" => match v {
                    Value::Object(rules) => {
                        for (code, level) in rules {
                            match level.as_str().and_then(parse_level) {
                                Some(_) if analysis::registry::code(code).is_none() => {
                                    let hint = analysis::registry::code_like(code)
                                        .map(|c| format!(" (did you mean `{c}`?)"))
                                        .unwrap_or_default();
                                    problems.push(format!("unknown rule `{code}`{hint}"));
                                }
                                Some(l) => {
                                    s.rules.insert(code.clone(), l);
                                }
                                None => problems.push(format!(
                                    "`rules.{code}` must be \"off\", \"error\", \"warning\", \"info\" or \"hint\", not {level}"
                                )),
                            }
                        }
                    }
                    _ => problems.push(format!("`rules` must be an object, not {}", kind(v))),
                },
                "diagnostics" => section(v, "diagnostics", &mut problems, |k, v, problems| {
                    match k {
                        "debounceMs" => match v.as_u64() {
                            Some(n) if n <= 10_000 => s.debounce_ms = n,
                            _ => problems.push(format!(
                                "`diagnostics.debounceMs` must be a number of milliseconds from 0 to 10000, not {v}"
                            )),
                        },
                        "mode" => match v.as_str() {
                            Some("auto") => s.diagnostics_mode = DiagnosticsMode::Auto,
                            Some("push") => s.diagnostics_mode = DiagnosticsMode::Push,
                            Some("pull") => s.diagnostics_mode = DiagnosticsMode::Pull,
                            _ => problems.push(format!(
                                "`diagnostics.mode` must be \"auto\", \"push\" or \"pull\", not {v}"
                            )),
                        },
                        _ => return false,
                    }
                    true
                }),
                "migration" => section(v, "migration", &mut problems, |k, v, problems| {
                    match k {
                        "cutoffDelayMinutes" => match v.as_u64() {
                            Some(n) => s.cutoff_delay_minutes = n,
                            None => problems.push(format!(
                                "`migration.cutoffDelayMinutes` must be a whole number of minutes, not {v}"
                            )),
                        },
                        "now" => match v {
                            Value::Null => s.now = None,
                            Value::String(t) if valid_timestamp(t) => s.now = Some(t.clone()),
                            _ => problems.push(format!(
                                "`migration.now` must be null or \"YYYY-MM-DD HH:MM:SS\" (UTC), not {v}"
                            )),
                        },
                        _ => return false,
                    }
                    true
                }),
                "format" => section(v, "format", &mut problems, |k, v, problems| {
                    match k {
                        "sqlKeywords" => match v.as_bool() {
                            Some(b) => s.format_sql_keywords = b,
                            None => problems.push(format!(
                                "`format.sqlKeywords` must be true or false, not {v}"
                            )),
                        },
                        _ => return false,
                    }
                    true
                }),
                "deploy" => section(v, "deploy", &mut problems, |k, v, problems| {
                    match k {
                        "base" => match v {
                            Value::Null => s.deploy_base = DeployBase::Auto,
                            Value::String(r) if r == "auto" => s.deploy_base = DeployBase::Auto,
                            Value::String(r) if r == "off" => s.deploy_base = DeployBase::Off,
                            Value::String(r) if !r.trim().is_empty() => {
                                s.deploy_base = DeployBase::Rev(r.trim().to_string())
                            }
                            _ => problems.push(format!(
                                "`deploy.base` must be \"auto\", \"off\" or a git revision such as \"origin/main\", not {v}"
                            )),
                        },
                        _ => return false,
                    }
                    true
                }),
                "docs" => section(v, "docs", &mut problems, |k, v, problems| {
                    match k {
                        "baseUrl" => match v {
                            Value::Null => s.docs_base_url = None,
                            Value::String(u) if u.contains(':') => {
                                s.docs_base_url = Some(if u.ends_with('/') {
                                    u.clone()
                                } else {
                                    format!("{u}/")
                                })
                            }
                            _ => problems.push(format!(
                                "`docs.baseUrl` must be null or a URL such as \"https://example.com/docs/rules/\", not {v}"
                            )),
                        },
                        _ => return false,
                    }
                    true
                }),
                // Editor-side settings that editors send along with ours (the VS Code
                // extension's `tinybird.server.path`, `tinybird.trace.server`).
                "server" | "trace" => {}
                _ => problems.push(format!("unknown setting `{key}`")),
            }
        }
        (s, problems)
    }
}

/// The rule pages of the source tree the server was built from, when they are still there.
fn default_docs_base_url() -> Option<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    dir.is_dir().then(|| format!("file://{}/", dir.display()))
}

/// Reads the keys of a nested object with `f`, which returns false for an unknown key.
fn section(
    v: &Value,
    name: &str,
    problems: &mut Vec<String>,
    mut f: impl FnMut(&str, &Value, &mut Vec<String>) -> bool,
) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if !f(k, v, problems) {
                    problems.push(format!("unknown setting `{name}.{k}`"));
                }
            }
        }
        _ => problems.push(format!("`{name}` must be an object, not {}", kind(v))),
    }
}

fn parse_level(s: &str) -> Option<RuleLevel> {
    RuleLevel::parse(s)
}

fn valid_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_rules_are_reported_with_the_closest_code() {
        let (s, problems) = Settings::from_json(&json!({
            "rules": {"unknown-tabel": "off", "unknown-table": "error"}
        }));
        assert_eq!(
            problems,
            vec!["unknown rule `unknown-tabel` (did you mean `unknown-table`?)".to_string()]
        );
        assert_eq!(
            s.rules.get("unknown-table"),
            Some(&RuleLevel::Severity(Severity::Error))
        );
        assert!(!s.rules.contains_key("unknown-tabel"));
    }

    #[test]
    fn empty_arrays_and_null_are_no_settings() {
        // Neovim encodes an empty Lua table `settings = {}` as a JSON array.
        for v in [
            json!([]),
            json!(null),
            json!({"tinybird": []}),
            json!({"tinybird": null}),
        ] {
            let (s, problems) = Settings::from_json(&v);
            assert!(problems.is_empty(), "{v}: {problems:?}");
            assert_eq!(format!("{s:?}"), format!("{:?}", Settings::default()));
        }
        let (_, problems) = Settings::from_json(&json!([1]));
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn reads_settings_and_reports_problems() {
        let (s, problems) = Settings::from_json(&json!({"tinybird": {
            "dialect": "forward",
            "rules": {"unknown-table": "off", "sql-syntax": "hint", "x": "loud"},
            "diagnostics": {"debounceMs": 0, "colour": 1},
            "migration": {"cutoffDelayMinutes": 30, "now": "2026-01-02 03:04:05"},
            "format": {"sqlKeywords": true},
            "deploy": {"base": "origin/main"},
            "typo": true
        }}));
        assert!(s.format_sql_keywords);
        assert_eq!(s.deploy_base, DeployBase::Rev("origin/main".into()));
        assert_eq!(
            Settings::from_json(&json!({"deploy": {"base": "off"}}))
                .0
                .deploy_base,
            DeployBase::Off
        );
        assert_eq!(
            Settings::from_json(&json!({"deploy": {"base": 3}})).1,
            vec!["`deploy.base` must be \"auto\", \"off\" or a git revision such as \"origin/main\", not 3"]
        );
        assert_eq!(s.dialect, Some(Dialect::Forward));
        assert_eq!(s.level("unknown-table", Severity::Warning), RuleLevel::Off);
        assert_eq!(
            s.level("sql-syntax", Severity::Error),
            RuleLevel::Severity(Severity::Hint)
        );
        assert_eq!(s.debounce_ms, 0);
        assert_eq!(s.cutoff_delay_minutes, 30);
        assert_eq!(s.now.as_deref(), Some("2026-01-02 03:04:05"));
        assert_eq!(
            problems,
            vec![
                "unknown setting `diagnostics.colour`",
                "`rules.x` must be \"off\", \"error\", \"warning\", \"info\" or \"hint\", not \"loud\"",
                "unknown setting `typo`"
            ]
        );
        assert_eq!(
            Settings::from_json(&json!(null)),
            (Settings::default(), vec![])
        );
        assert_eq!(Settings::from_json(&json!([1])).1.len(), 1);
    }
}
