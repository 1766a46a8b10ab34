//! `tinybird-lsp plan`: what deploying the files does to the deployed version (a git base),
//! as text a reviewer pastes into a pull request, or as JSON.

use crate::check::{CheckReport, ProjectReport};
use analysis::deploy::{Backfill, ChangeKind, Method, Plan, ResourceChange};
use serde_json::{json, Value};
use syntax::Dialect;

/// How a change deploys, in a few words ("rewrite, replayed from daily_mv").
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

fn change_word(c: ChangeKind) -> &'static str {
    match c {
        ChangeKind::Added => "added",
        ChangeKind::Changed => "changed",
        ChangeKind::Removed => "removed",
        ChangeKind::Unchanged => "unchanged",
    }
}

fn project_text(p: &ProjectReport, plan: &Plan, prefix: &str) -> String {
    let mut out = format!(
        "Deploy plan against {} ({}), {}\n",
        analysis::deploy::short_rev(&plan.base),
        p.base_label.as_deref().unwrap_or("base"),
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
        for d in &c.details {
            out.push_str(&format!("  - {}\n", d.text));
        }
        for r in &c.reasons {
            out.push_str(&format!("  why: {r}\n"));
        }
        if !c.downstream.is_empty() {
            out.push_str(&format!("  also rewrites: {}\n", c.downstream.join(", ")));
        }
    }
    let count = |m: Method| plan.changes.iter().filter(|c| c.method == m).count();
    let mut summary = vec![];
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
            summary.push(format!("{n} {}", m.as_str()));
        }
    }
    out.push_str(&format!(
        "\n{} change{}: {}\n",
        plan.changes.len(),
        if plan.changes.len() == 1 { "" } else { "s" },
        summary.join(", ")
    ));
    out
}

/// The plans of every project of a check with a base, as text.
pub fn text(report: &CheckReport) -> String {
    let mut out = String::new();
    for p in &report.projects {
        let Some(plan) = &p.plan else { continue };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&project_text(p, plan, &p.prefix));
    }
    out
}

fn project_json(p: &ProjectReport, plan: &Plan, prefix: &str) -> Value {
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
            v["path"] = Value::String(format!("{prefix}{}", c.path));
            v
        })
        .collect();
    json!({
        "base": plan.base,
        "base_label": p.base_label,
        "dialect": plan.dialect.name(),
        "changes": changes,
    })
}

/// The plans as JSON: one object for one project, `{"projects": [...]}` for several.
pub fn json(report: &CheckReport) -> Value {
    let plans: Vec<Value> = report
        .projects
        .iter()
        .filter_map(|p| {
            let plan = p.plan.as_ref()?;
            Some(project_json(p, plan, &p.prefix))
        })
        .collect();
    if plans.len() == 1 {
        plans.into_iter().next().unwrap_or(Value::Null)
    } else {
        json!({ "projects": plans })
    }
}
