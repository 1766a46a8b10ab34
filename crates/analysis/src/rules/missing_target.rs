//! `missing-target-datasource`: a materialized node's DATASOURCE or a copy node's
//! TARGET_DATASOURCE is not a datasource of the project. `unknown-connection`: a sink node's
//! EXPORT_CONNECTION_NAME is not a connection of the project. Classic connections live in the
//! workspace (`tb connection create`), not in files: there a name no file defines is not an
//! error.

use super::{did_you_mean, push_edge, FileDiagnostics, ProjectCtx};
use crate::registry::{Check, Code, Example, Rule, Scope};
use project::model::{EdgeKind, ResourceKind, Source, Target};
use syntax::diagnostics::Diagnostic;
use syntax::diagnostics::Severity::Warning;
use syntax::Dialect;

pub const RULE: Rule = Rule {
    name: "missing_target",
    scope: Scope::Project,
    check: Check::Project(check),
    codes: &[
        Code::new(
            "missing-target-datasource",
            Warning,
            "A target that does not exist",
        ),
        Code::new(
            "unknown-connection",
            Warning,
            "A sink connection that does not exist",
        ),
    ],
    examples: &[
        Example::reported(
            "missing-target-datasource",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d FROM events
            TYPE materialized
            DATASOURCE ⟦daily⟧
        "#,
        ),
        Example::not_reported(
            "missing-target-datasource",
            r#"
            //- datasources/events.datasource
            SCHEMA >
                `ts` DateTime
            //- datasources/daily.datasource
            SCHEMA >
                `d` Date
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT toDate(ts) AS d FROM events
            TYPE materialized
            DATASOURCE daily
        "#,
        ),
        Example::reported(
            "unknown-connection",
            r#"
            //- dialect: forward
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT 1 AS x
            TYPE sink
            EXPORT_CONNECTION_NAME ⟦s3_exports⟧
            EXPORT_BUCKET_URI s3://bucket/prefix
            EXPORT_FILE_TEMPLATE out
            EXPORT_SCHEDULE @on-demand
            EXPORT_FORMAT csv
        "#,
        ),
        Example::not_reported(
            "unknown-connection",
            r#"
            //- dialect: classic
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT 1 AS x
            TYPE sink
            EXPORT_SERVICE s3_iamrole
            EXPORT_CONNECTION_NAME s3_exports
            EXPORT_BUCKET_URI s3://bucket/prefix
            EXPORT_FILE_TEMPLATE out
            EXPORT_SCHEDULE @on-demand
            EXPORT_FORMAT csv
        "#,
        ),
    ],
};
pub fn check(cx: &ProjectCtx, out: &mut FileDiagnostics) {
    let p = cx.p;
    for e in &p.edges {
        // A file the CLI does not read (a Classic playgrounds/ copy) is never deployed.
        if matches!(e.from, Source::Resource(i) if !p.resources[i].seen_by_cli) {
            continue;
        }
        let (code, wanted, keyword) = match e.kind {
            EdgeKind::MaterializesInto => (
                "missing-target-datasource",
                ResourceKind::Datasource,
                "DATASOURCE",
            ),
            EdgeKind::CopiesInto => (
                "missing-target-datasource",
                ResourceKind::Datasource,
                "TARGET_DATASOURCE",
            ),
            EdgeKind::Sinks if p.dialect == Dialect::Classic => continue,
            EdgeKind::Sinks => (
                "unknown-connection",
                ResourceKind::Connection,
                "EXPORT_CONNECTION_NAME",
            ),
            _ => continue,
        };
        let msg = match &e.target {
            Target::Resource(i) if p.resources[*i].kind == wanted => continue,
            Target::Resource(i) => format!(
                "{keyword} `{}` is a {:?} ({}), not a {}",
                e.to,
                p.resources[*i].kind,
                p.resources[*i].path,
                if wanted == ResourceKind::Datasource {
                    "datasource"
                } else {
                    "connection"
                }
            )
            .replace("Pipe", "pipe")
            .replace("Datasource", "datasource")
            .replace("Connection", "connection"),
            _ if let Some((ri, version)) = p.stale_version(&e.to) => {
                let r = &p.resources[ri];
                format!(
                    "{keyword} `{}` names another version of `{}` than its file: {} is {}",
                    e.to,
                    r.name,
                    r.path,
                    match version {
                        Some(v) => format!("at VERSION {v}, deployed as `{}__v{v}`", r.name),
                        None => format!("without VERSION, deployed as `{}`", r.name),
                    }
                )
            }
            _ => {
                let candidates = p
                    .resources
                    .iter()
                    .filter(|r| r.kind == wanted)
                    .map(|r| r.name.as_str());
                let mut m = format!(
                    "{keyword} `{}` does not exist in this project: Tinybird will reject the pipe at deploy time",
                    e.to
                );
                if let Some(s) = did_you_mean(&e.to, candidates) {
                    m.push_str(&format!(" (did you mean `{s}`?)"));
                }
                m
            }
        };
        push_edge(out, e, Diagnostic::warning(code, e.range, msg));
    }
}
