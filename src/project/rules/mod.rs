//! Project-level diagnostic rules, one file per rule. Each takes the built [`Project`] and
//! returns diagnostics keyed by file path. Severity policy (ARCHITECTURE.md): these are all
//! problems Tinybird reports at deploy time, not at parse time, so they are warnings.

mod dependency_cycle;
mod duplicate_resource;
mod missing_target;
mod reads_materialized_pipe;
mod unknown_table;

use super::model::Project;
use crate::diagnostics::Diagnostic;
use std::collections::BTreeMap;

/// Diagnostics by file path (relative to the project root).
pub type FileDiagnostics = BTreeMap<String, Vec<Diagnostic>>;

pub fn check(p: &Project) -> FileDiagnostics {
    let mut out = FileDiagnostics::new();
    unknown_table::check(p, &mut out);
    missing_target::check(p, &mut out);
    reads_materialized_pipe::check(p, &mut out);
    duplicate_resource::check(p, &mut out);
    dependency_cycle::check(p, &mut out);
    for d in out.values_mut() {
        d.sort_by_key(|d| (d.range.start, d.range.end, d.code));
        d.dedup();
    }
    out
}

fn push(out: &mut FileDiagnostics, path: &str, d: Diagnostic) {
    out.entry(path.to_string()).or_default().push(d);
}

/// The closest candidate to `name` (for "did you mean"), if it is close enough.
fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .filter(|c| *c != name)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(s, _)| *s >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
