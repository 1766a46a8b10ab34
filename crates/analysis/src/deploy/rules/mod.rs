//! The rules about a change against the deployed version: one file per rule, each declared in
//! the [registry](crate::registry) with `Check::Deploy`. They run only when the analysis has a
//! base ([`crate::db::ProjectDb::set_base`]); their examples give the base's files with
//! `//- base: <path>` ([`crate::fixture`]).

pub(crate) mod backfill_run_again;
pub(crate) mod cutoff_on_deployed_pipe;
pub(crate) mod cutoff_passed_before_deploy;
pub(crate) mod destructive_change;
pub(crate) mod forward_query_conversion;
pub(crate) mod forward_query_rewrite;
pub(crate) mod legacy_removed_with_replacement;
pub(crate) mod materialized_source_changed;
pub(crate) mod needs_forward_query;
pub(crate) mod removed_column_read;
pub(crate) mod rewrite_source_ttl;

use super::{Base, Plan, ResourceChange};
use crate::migration::Migrations;
use crate::registry::{Check, RULES};
pub(crate) use crate::rules::push;
use crate::rules::FileDiagnostics;
use project::model::Project;
use std::sync::Arc;
use syntax::diagnostics::TextEdit;
use syntax::text::TextRange;

/// What the deploy rules read.
pub struct Ctx<'a> {
    pub base: &'a Base,
    pub head: &'a Project,
    pub migrations: &'a Migrations,
    pub plan: &'a Plan,
    /// The text of a file of the project (for the fixes).
    pub text: &'a dyn Fn(&str) -> Option<Arc<str>>,
    /// "Now" (seconds since the epoch, UTC) for the rules about cutoffs, when known.
    pub now: Option<i64>,
}

impl Ctx<'_> {
    /// The short commit of the base, for messages.
    pub fn base_label(&self) -> String {
        super::short_rev(&self.base.rev).to_string()
    }

    /// The changed datasource's file, parsed.
    pub fn datafile(&self, c: &ResourceChange) -> Option<&syntax::model::Datafile> {
        let fi = self.head.file_id(&c.path)?;
        Some(&self.head.files[fi].datafile)
    }

    /// The base's version of a changed resource's file.
    pub fn base_datafile(&self, c: &ResourceChange) -> Option<&syntax::model::Datafile> {
        let (_, r) = self
            .base
            .project
            .named(&c.resource)
            .find(|(_, r)| r.kind == c.kind && r.defined_by_file())?;
        Some(&self.base.project.files[r.file].datafile)
    }
}

/// Runs every deploy rule.
pub fn check(cx: &Ctx, out: &mut FileDiagnostics) {
    for rule in RULES {
        if let Check::Deploy(check) = rule.check {
            check(cx, out);
        }
    }
}

/// The edit appending to a changed datasource's file the FORWARD_QUERY that carries the
/// deployed rows (`base`'s columns) into the new SCHEMA (`head`'s).
pub(crate) fn append_forward_query(
    cx: &Ctx,
    c: &ResourceChange,
    base: &syntax::model::Datafile,
    head: &syntax::model::Datafile,
) -> Option<TextEdit> {
    let text = (cx.text)(&c.path)?;
    let (bcols, hcols) = (&base.schema()?.columns, &head.schema()?.columns);
    let at = text.len();
    let sep = if text.ends_with("\n\n") {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    Some(TextEdit {
        path: None,
        range: TextRange::new(at, at),
        new_text: format!("{sep}{}", super::forward_query::block(bcols, hcols)),
    })
}

/// The edit removing a datafile's FORWARD_QUERY block, with the blank line before it.
pub(crate) fn remove_forward_query(df: &syntax::model::Datafile, text: &str) -> Option<TextEdit> {
    let r = super::forward_query::block_range(df, text)?;
    let (start, new_text) = if r.end >= text.len() {
        // The last block: the file ends where the text before it ends, with one newline.
        let kept = text[..r.start].trim_end_matches(['\n', '\r']).len();
        (kept, if kept > 0 { "\n" } else { "" })
    } else if text[..r.start].ends_with("\n\n") {
        (r.start - 1, "")
    } else {
        (r.start, "")
    };
    Some(TextEdit {
        path: None,
        range: TextRange::new(start, r.end),
        new_text: new_text.into(),
    })
}
