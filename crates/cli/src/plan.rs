//! `tinybird-lsp plan`: what deploying the files does to the deployed version (a git base),
//! as text a reviewer pastes into a pull request, or as JSON.

use crate::check::{CheckReport, ProjectReport};
use analysis::deploy::Plan;
use serde_json::{json, Value};

fn project_text(p: &ProjectReport, plan: &Plan, prefix: &str) -> String {
    analysis::deploy::text::render(plan, p.base_label.as_deref(), prefix)
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
