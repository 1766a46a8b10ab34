//! The plan in words: what a reviewer pastes into a pull request (`tinybird-lsp plan`), what
//! the editor's lens and hover say, and the plan command shows. One wording for all of them.

use super::{Backfill, ChangeKind, Method, Plan, ResourceChange};
use syntax::Dialect;

/// How a change deploys, in a few words ("rewrite, replayed from daily_mv · 2 downstream").
pub fn method_text(c: &ResourceChange) -> String {
    let method = match c.method {
        Method::Update => "update, no data moved",
        Method::Alter => "ALTER in place",
        Method::Create => "create",
        Method::Rewrite => "rewrite",
        Method::Delete => "delete",
        Method::Refused => "REFUSED: the deploy fails",
    };
    let mut s = method.to_string();
    match &c.backfill {
        Some(Backfill::Replay { pipes }) => {
            s.push_str(&format!(", replayed from {}", pipes.join(", ")))
        }
        Some(Backfill::ForwardQuery) => s.push_str(" through FORWARD_QUERY"),
        Some(Backfill::LiveRows) => s.push_str(", live rows copied as they are"),
        None => {}
    }
    if !c.downstream.is_empty() {
        s.push_str(&format!(" · {} downstream", c.downstream.len()));
    }
    if c.inferred {
        s.push_str(" (inferred)");
    }
    s
}

pub fn change_word(c: ChangeKind) -> &'static str {
    match c {
        ChangeKind::Added => "added",
        ChangeKind::Changed => "changed",
        ChangeKind::Removed => "removed",
        ChangeKind::Unchanged => "unchanged",
    }
}

/// The lines under a change's heading: what changed, why it deploys so, what else it rewrites.
pub fn change_lines(c: &ResourceChange) -> Vec<String> {
    let mut out = vec![];
    for d in &c.details {
        out.push(format!("- {}", d.text));
    }
    for r in &c.reasons {
        out.push(format!("why: {r}"));
    }
    if !c.downstream.is_empty() {
        out.push(format!("also rewrites: {}", c.downstream.join(", ")));
    }
    out
}

/// The whole plan of a project. `label` says how the base was chosen (`main`, `merge-base of
/// HEAD and origin/main`); `prefix` goes before every path (the project's folder, when the
/// plan is one of several).
pub fn render(plan: &Plan, label: Option<&str>, prefix: &str) -> String {
    let mut out = format!(
        "Deploy plan against {} ({}), {}\n",
        super::short_rev(&plan.base),
        label.unwrap_or("base"),
        match plan.dialect {
            Dialect::Classic => "Classic",
            Dialect::Forward => "Forward",
        }
    );
    if plan.changes.is_empty() {
        out.push_str("\nNothing to deploy: the files are the deployed version's.\n");
        return out;
    }
    for c in &plan.changes {
        out.push_str(&format!(
            "\n{} {} `{}` ({}{}): {}\n",
            change_word(c.change),
            c.kind.as_str(),
            c.resource,
            prefix,
            c.path,
            method_text(c)
        ));
        for line in change_lines(c) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.push_str(&format!("\n{}\n", summary(plan)));
    out
}

/// "3 changes: 1 rewrite, 2 alter".
pub fn summary(plan: &Plan) -> String {
    let count = |m: Method| plan.changes.iter().filter(|c| c.method == m).count();
    let mut parts = vec![];
    for m in [
        Method::Refused,
        Method::Rewrite,
        Method::Alter,
        Method::Create,
        Method::Delete,
        Method::Update,
    ] {
        let n = count(m);
        if n > 0 {
            parts.push(format!("{n} {}", m.as_str()));
        }
    }
    format!(
        "{} change{}: {}",
        plan.changes.len(),
        if plan.changes.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}
