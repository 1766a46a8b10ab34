//! Every diagnostic code, declared once. Each rule file declares a [`Rule`]: its codes (with
//! their default severity, summary and documentation page), its scope, its check function and
//! small inline examples (a project where the code is reported and a neighbouring one where it
//! is not). [`RULES`] lists them in run order; the codes list, the documentation links, the
//! settings' validation and the tests that every code has a page and examples all read it.
//!
//! Architecture invariant: a code that is emitted is in [`RULES`] (the check and migration
//! story tests fail on any other), and no two rules declare the same code.

use crate::migration::rules::Ctx;
use crate::rules::{FileDiagnostics, ProjectCtx};
use syntax::diagnostics::Severity;

/// Where a rule looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One file at a time (the datafile reader and validator).
    File,
    /// One pipe and the datasources it reads or writes: results are kept per pipe between
    /// analyses.
    Pipe,
    /// The whole project.
    Project,
}

/// How a rule runs.
#[derive(Clone, Copy)]
pub enum Check {
    /// Reported by the datafile reader and its validation (the `syntax` crate), while parsing.
    Reader,
    /// Reported by [`crate::db::ProjectDb`] about the project's files themselves.
    Files,
    /// A project rule over the resolved model.
    Project(fn(&ProjectCtx, &mut FileDiagnostics)),
    /// A migration rule local to one pipe (run for the pipes whose inputs changed).
    Pipe(fn(&Ctx, &mut FileDiagnostics)),
    /// A migration rule over the whole migration model.
    Migration(fn(&Ctx, &mut FileDiagnostics)),
    /// A rule about what deploying the files does to the deployed version (a git base):
    /// run only when the analysis has one.
    Deploy(fn(&crate::deploy::rules::Ctx, &mut FileDiagnostics)),
}

/// One diagnostic code.
#[derive(Clone, Copy, Debug)]
pub struct Code {
    pub name: &'static str,
    /// The severity it is reported with by default (settings can change it).
    pub severity: Severity,
    /// When it is reported with another severity, why (e.g. the dialect decides).
    pub varies: Option<&'static str>,
    /// What it reports, in a few words.
    pub summary: &'static str,
    /// Its page: `docs/rules/<page>` (`file.md` or `file.md#anchor`).
    pub page: &'static str,
}

impl Code {
    /// A code whose page is `docs/rules/<name>.md`.
    pub const fn new(name: &'static str, severity: Severity, summary: &'static str) -> Code {
        Code {
            name,
            severity,
            varies: None,
            summary,
            page: "",
        }
    }
    /// A code documented in a section of a shared page (`docs/rules/<page>#<name>`).
    pub const fn on_page(mut self, page: &'static str) -> Code {
        self.page = page;
        self
    }
    pub const fn varies(mut self, why: &'static str) -> Code {
        self.varies = Some(why);
        self
    }
    /// The page as a path under docs/rules/, with its anchor.
    pub fn doc_path(&self) -> String {
        if self.page.is_empty() {
            format!("{}.md", self.name)
        } else {
            format!("{}#{}", self.page, self.name)
        }
    }
}

/// A project in the inline fixture format ([`crate::fixture`]) where `code` is reported at the
/// marked ranges (`⟦…⟧`), or, for a negative example, not reported at all.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    pub code: &'static str,
    pub reported: bool,
    pub fixture: &'static str,
}

impl Example {
    pub const fn reported(code: &'static str, fixture: &'static str) -> Example {
        Example {
            code,
            reported: true,
            fixture,
        }
    }
    pub const fn not_reported(code: &'static str, fixture: &'static str) -> Example {
        Example {
            code,
            reported: false,
            fixture,
        }
    }
}

/// A rule: one file of `rules/` or `migration/rules/` (or the datafile reader).
#[derive(Clone, Copy)]
pub struct Rule {
    /// Its module.
    pub name: &'static str,
    pub scope: Scope,
    pub check: Check,
    pub codes: &'static [Code],
    pub examples: &'static [Example],
}

/// Every rule, in run order.
pub static RULES: &[Rule] = &[
    crate::rules::reader::RULE,
    crate::rules::validate::RULE,
    crate::rules::files::RULE,
    crate::suppress::RULE,
    crate::rules::unknown_table::RULE,
    crate::rules::unknown_function::RULE,
    crate::rules::unknown_column::RULE,
    crate::rules::ungrouped_column::RULE,
    crate::rules::incomparable_types::RULE,
    crate::rules::argument_count::RULE,
    crate::rules::aggregation::RULE,
    crate::rules::missing_target::RULE,
    crate::rules::reads_materialized_pipe::RULE,
    crate::rules::duplicate_resource::RULE,
    crate::rules::dependency_cycle::RULE,
    crate::migration::rules::schema_mismatch::RULE,
    crate::migration::rules::sorting_key_group_by::RULE,
    crate::migration::rules::aggregate_state_read::RULE,
    crate::migration::rules::between_window::RULE,
    crate::migration::rules::invalid_date_literal::RULE,
    crate::migration::rules::missing_cutoff::RULE,
    crate::migration::rules::boundary_mismatch::RULE,
    crate::migration::rules::missing_backfill::RULE,
    crate::migration::rules::backfill_timing::RULE,
    crate::migration::rules::unrepointed_dependent::RULE,
    crate::migration::rules::copy_replace_live_target::RULE,
    crate::migration::rules::backfill_source_retention::RULE,
    crate::migration::rules::quality_test::RULE,
    crate::migration::rules::quality_test_merges::RULE,
    crate::migration::rules::leftovers::RULE,
    crate::migration::rules::materialized_backfill::RULE,
    crate::migration::rules::any_default_masks::RULE,
    crate::migration::rules::script_populate_without_wait::RULE,
    crate::migration::rules::script_truncate_shared_target::RULE,
    crate::migration::rules::script_destructive_deploy::RULE,
    crate::migration::rules::script_data_derived_cutoff::RULE,
    crate::migration::rules::script_rerun_after_delete::RULE,
    crate::migration::rules::event_time_cutoff::RULE,
    crate::rules::forward_query_columns::RULE,
    crate::deploy::rules::needs_forward_query::RULE,
    crate::deploy::rules::forward_query_rewrite::RULE,
    crate::deploy::rules::forward_query_conversion::RULE,
    crate::deploy::rules::materialized_source_changed::RULE,
    crate::deploy::rules::destructive_change::RULE,
    crate::deploy::rules::removed_column_read::RULE,
    crate::deploy::rules::cutoff_on_deployed_pipe::RULE,
    crate::deploy::rules::cutoff_passed_before_deploy::RULE,
    crate::deploy::rules::legacy_removed_with_replacement::RULE,
    crate::deploy::rules::rewrite_source_ttl::RULE,
    crate::deploy::rules::backfill_run_again::RULE,
];

/// Every code, in rule order.
pub fn codes() -> impl Iterator<Item = &'static Code> {
    RULES.iter().flat_map(|r| r.codes.iter())
}

/// The code named `name`.
pub fn code(name: &str) -> Option<&'static Code> {
    codes().find(|c| c.name == name)
}

/// The rule declaring `code`.
pub fn rule_of(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.codes.iter().any(|c| c.name == code))
}

/// Whether `code` is reported by a migration or deployment-script rule.
pub fn is_migration_code(code: &str) -> bool {
    rule_of(code).is_some_and(|r| matches!(r.check, Check::Pipe(_) | Check::Migration(_)))
}

/// The code closest to a misspelt one, for "did you mean".
pub fn code_like(name: &str) -> Option<&'static str> {
    crate::rules::did_you_mean(name, codes().map(|c| c.name))
}

/// The documentation generated from the registry: docs/rules/README.md (the index of every
/// code) and the shared pages (`datafile.md`), as (path under docs/rules, text).
pub fn generated_docs() -> Vec<(String, String)> {
    let mut index = String::from(
        "# Diagnostic rules\n\n\
         Every diagnostic carries a stable code, declared once in the rule registry\n\
         (`crates/analysis/src/registry.rs`) with its default severity, its page and examples.\n\
         Severities can be changed or rules turned off per code (docs/configuration.md, `rules`).\n\
         This index and the shared pages are generated from the registry: after changing it, run\n\
         `UPDATE_DOCS=1 cargo test -p analysis generated_docs`.\n",
    );
    let section = |r: &Rule| match r.check {
        Check::Reader | Check::Files => 0,
        Check::Project(_) => 1,
        Check::Pipe(_) | Check::Migration(_) => 2,
        Check::Deploy(_) => 3,
    };
    let sections = [
        "Datafiles and project files",
        "The project",
        "Migrations and deployment scripts",
        "Against the deployed version (`--base`)",
    ];
    for (i, title) in sections.iter().enumerate() {
        index.push_str(&format!(
            "\n## {title}\n\n| code | severity | what |\n|---|---|---|\n"
        ));
        for c in RULES
            .iter()
            .filter(|r| section(r) == i)
            .flat_map(|r| r.codes)
        {
            index.push_str(&format!(
                "| [`{}`]({}) | {} | {} |\n",
                c.name,
                c.doc_path(),
                severity_name(c),
                c.summary
            ));
        }
    }
    let mut out = vec![("README.md".to_string(), index)];
    let mut pages: Vec<&str> = codes().map(|c| c.page).filter(|p| !p.is_empty()).collect();
    pages.dedup();
    for page in pages {
        let mut text = String::from(
            "# Datafile diagnostics\n\n\
             What the datafile reader reports while parsing a file, and what the project\n\
             database reports about the files themselves. Errors are what the official parser of\n\
             the project's dialect rejects; warnings are what it accepts but Tinybird rejects at\n\
             deploy time (the message says so). Generated from the rule registry\n\
             (`crates/analysis/src/rules/reader.rs`, `validate.rs`, `files.rs`): each code with a project where\n\
             it is reported and one where it is not.\n",
        );
        for r in RULES {
            for c in r.codes.iter().filter(|c| c.page == page) {
                text.push_str(&format!(
                    "\n<a id=\"{}\"></a>\n## `{}`\n\n{}. {}.\n",
                    c.name,
                    c.name,
                    severity_name(c),
                    c.summary
                ));
                if let Some(why) = c.varies {
                    text.push_str(&format!("\nSeverity: {why}.\n"));
                }
                for e in r.examples.iter().filter(|e| e.code == c.name) {
                    text.push_str(if e.reported {
                        "\nReported:\n\n```text\n"
                    } else {
                        "\nNot reported:\n\n```text\n"
                    });
                    let shown = crate::fixture::trim_indent(e.fixture).replace(['⟦', '⟧'], "");
                    text.push_str(shown.trim_end());
                    text.push_str("\n```\n");
                }
            }
        }
        out.push((page.to_string(), text));
    }
    out
}

fn severity_name(c: &Code) -> String {
    let s = format!("{:?}", c.severity);
    match c.varies {
        Some(_) => format!("{s} (varies)"),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The index and the shared pages are the registry's: `UPDATE_DOCS=1` rewrites them.
    #[test]
    fn generated_docs_are_up_to_date() {
        let mut stale = Vec::new();
        for (path, text) in generated_docs() {
            let file = docs_dir().join(&path);
            if std::env::var_os("UPDATE_DOCS").is_some() {
                std::fs::write(&file, &text).unwrap();
            } else if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
                stale.push(path);
            }
        }
        assert!(
            stale.is_empty(),
            "docs/rules/{{{}}} differ from the registry: run `UPDATE_DOCS=1 cargo test -p analysis generated_docs`",
            stale.join(",")
        );
    }

    fn docs_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules")
    }

    #[test]
    fn codes_are_declared_once() {
        let mut seen = HashSet::new();
        for c in codes() {
            assert!(seen.insert(c.name), "`{}` is declared twice", c.name);
        }
        let mut names = HashSet::new();
        for r in RULES {
            assert!(names.insert(r.name), "rule `{}` is listed twice", r.name);
            assert!(!r.codes.is_empty(), "rule `{}` declares no code", r.name);
        }
    }

    #[test]
    fn every_code_has_a_page_listed_in_the_index() {
        let index = std::fs::read_to_string(docs_dir().join("README.md")).unwrap();
        for c in codes() {
            let path = c.doc_path();
            let (file, anchor) = path.split_once('#').unwrap_or((&path, ""));
            let page = std::fs::read_to_string(docs_dir().join(file))
                .unwrap_or_else(|_| panic!("`{}` has no page docs/rules/{file}", c.name));
            if anchor.is_empty() {
                assert!(
                    page.starts_with(&format!("# `{}`", c.name)),
                    "docs/rules/{file} must start with the code's title"
                );
            } else {
                assert!(
                    page.contains(&format!("<a id=\"{anchor}\"></a>")),
                    "docs/rules/{file} has no section for `{}`",
                    c.name
                );
            }
            assert!(
                index.contains(&format!("[`{}`]({path})", c.name)),
                "docs/rules/README.md does not list `{}`",
                c.name
            );
        }
    }

    #[test]
    fn every_code_has_a_reported_and_a_not_reported_example() {
        for r in RULES {
            for c in r.codes {
                let of = |reported: bool| {
                    r.examples
                        .iter()
                        .filter(|e| e.code == c.name && e.reported == reported)
                        .count()
                };
                assert!(
                    of(true) > 0,
                    "`{}` has no example where it is reported",
                    c.name
                );
                assert!(
                    of(false) > 0,
                    "`{}` has no example where it is not reported",
                    c.name
                );
            }
            for e in r.examples {
                assert!(
                    r.codes.iter().any(|c| c.name == e.code),
                    "rule `{}` has an example of `{}`, which it does not declare",
                    r.name,
                    e.code
                );
            }
        }
    }

    #[test]
    fn every_example_holds() {
        let mut failures = Vec::new();
        for r in RULES {
            for e in r.examples {
                if let Err(why) = crate::fixture::check_example(e) {
                    failures.push(format!("{} ({}): {why}", e.code, r.name));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
}
