//! Migration safety rules, one file per rule (docs/rules/<code>.md explains each). They read
//! the [`Migrations`] model of a project; "now" is given by the caller (the clock, or a fixed
//! instant in tests and from the settings).

mod aggregate_state_read;
mod backfill_source_retention;
mod backfill_timing;
mod between_window;
mod boundary_mismatch;
mod copy_replace_live_target;
mod event_time_cutoff;
mod leftovers;
mod missing_backfill;
mod missing_cutoff;
mod quality_test;
mod schema_mismatch;
mod sorting_key_group_by;
mod unrepointed_dependent;

use super::{Migrations, Writer};
use crate::diagnostics::Diagnostic;
use crate::project::model::Project;
use crate::project::rules::FileDiagnostics;

/// What the rules read.
pub struct Ctx<'a> {
    pub p: &'a Project,
    pub m: &'a Migrations,
    /// Seconds since the epoch (UTC); `None` skips the rules that depend on the time.
    pub now: Option<i64>,
}

impl Ctx<'_> {
    /// `pipe.node` of a writer, for messages.
    fn name(&self, w: &Writer) -> String {
        let r = &self.p.resources[w.pipe];
        format!("{}.{}", r.name, r.nodes[w.node].name)
    }
    fn ds(&self, i: usize) -> &str {
        &self.p.resources[i].name
    }
}

pub fn check(p: &Project, now: Option<i64>, out: &mut FileDiagnostics) {
    let m = Migrations::of(p);
    let cx = Ctx { p, m: &m, now };
    missing_cutoff::check(&cx, out);
    boundary_mismatch::check(&cx, out);
    missing_backfill::check(&cx, out);
    backfill_timing::check(&cx, out);
    unrepointed_dependent::check(&cx, out);
    copy_replace_live_target::check(&cx, out);
    between_window::check(&cx, out);
    schema_mismatch::check(&cx, out);
    sorting_key_group_by::check(&cx, out);
    aggregate_state_read::check(&cx, out);
    backfill_source_retention::check(&cx, out);
    quality_test::check(&cx, out);
    leftovers::check(&cx, out);
    event_time_cutoff::check(&cx, out);
}

fn push(out: &mut FileDiagnostics, path: &str, d: Diagnostic) {
    out.entry(path.to_string()).or_default().push(d);
}
