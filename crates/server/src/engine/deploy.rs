//! The deployed version (the base) of each project, read from git, and the deploy plan
//! request. The base is resolved again whenever HEAD, a ref or the index may have moved (git's
//! files changed, a file was saved, the setting changed) and read again only when its commit
//! differs, so moving HEAD re-plans and editing does not re-read git.

use super::*;
use crate::config::DeployBase;

/// What a project's base is.
#[derive(Default)]
pub(super) struct BaseState {
    /// The base in use (its files analysed into the project's database).
    pub resolved: Option<disk::git::Resolved>,
    /// Why there is none (said once per distinct reason).
    pub problem: Option<String>,
}

impl Engine {
    /// Resolves every project's base again (see the module doc): once per repository for the
    /// projects already known to be in one (a monorepo's projects share their base commit).
    pub(super) fn refresh_bases(&mut self) {
        let mut by_repo: HashMap<PathBuf, Result<disk::git::Resolved, String>> = HashMap::new();
        for i in 0..self.projects.len() {
            let known = self.projects[i]
                .base
                .resolved
                .as_ref()
                .map(|r| r.workdir.clone());
            let shared = known.and_then(|w| by_repo.get(&w).cloned());
            let r = self.refresh_base_with(i, shared);
            if let Some(r) = r {
                by_repo.entry(r.workdir.clone()).or_insert(Ok(r));
            }
        }
    }

    pub(super) fn refresh_base(&mut self, i: usize) {
        self.refresh_base_with(i, None);
    }

    /// Resolves project `i`'s base (or takes `shared`, the resolution of its repository this
    /// round) and reads it again when its commit changed; returns the resolution.
    fn refresh_base_with(
        &mut self,
        i: usize,
        shared: Option<Result<disk::git::Resolved, String>>,
    ) -> Option<disk::git::Resolved> {
        let setting = self.settings.deploy_base.clone();
        let resolved = match (&setting, shared) {
            (DeployBase::Off, _) => Err("`deploy.base` is \"off\"".to_string()),
            (_, Some(r)) => r,
            _ => disk::git::resolve(&self.projects[i].root, setting.rev()),
        };
        let out = resolved.as_ref().ok().cloned();
        self.apply_resolution(i, resolved, &setting);
        out
    }

    fn apply_resolution(
        &mut self,
        i: usize,
        resolved: Result<disk::git::Resolved, String>,
        setting: &DeployBase,
    ) {
        let slot = &mut self.projects[i];
        match resolved {
            Ok(r) if slot.base.resolved.as_ref() == Some(&r) => {}
            Ok(r) => {
                let files = match disk::git::read_base(&slot.root, Some(&r.commit)) {
                    Ok(f) => f,
                    Err(e) => return self.no_base(i, e, setting),
                };
                let dialect = slot.db.dialect().dialect;
                let base = disk::git::analyse_base(&files, Some(dialect));
                tracing::info!(
                    "deploy base of {}: {} ({}){}",
                    slot.root.display(),
                    analysis::deploy::short_rev(&r.commit),
                    r.label,
                    if r.shallow {
                        ", in a shallow clone"
                    } else {
                        ""
                    }
                );
                slot.db.set_base(Some(Arc::new(base)));
                slot.base = BaseState {
                    resolved: Some(r),
                    problem: None,
                };
                slot.dirty = true;
                self.schedule();
            }
            Err(e) => self.no_base(i, e, setting),
        }
    }

    /// No base for project `i`: the change-aware rules are left out; the reason is said once.
    fn no_base(&mut self, i: usize, problem: String, setting: &DeployBase) {
        let slot = &mut self.projects[i];
        if slot.base.resolved.take().is_some() {
            slot.db.set_base(None);
            slot.dirty = true;
            self.schedule();
        }
        let slot = &mut self.projects[i];
        if slot.base.problem.as_deref() == Some(&problem) {
            return;
        }
        slot.base.problem = Some(problem.clone());
        let text = format!(
            "Tinybird: no deploy plan for {} ({problem}); the diagnostics about what a deploy changes are left out",
            slot.root.display()
        );
        tracing::info!("{text}");
        // A revision the user chose that does not resolve is worth a message; a folder outside
        // git or the setting "off" is not.
        if matches!(setting, DeployBase::Rev(_)) {
            self.out.send(Outgoing::Message {
                typ: lsp::MessageType::WARNING,
                text,
                show: true,
            });
        }
    }

    /// `tinybird/plan`: the deploy plan of the project holding `uri` (every project when none),
    /// `{"projects": [{root, base, baseLabel, shallow, note, text, plan}]}`: `plan` is the JSON
    /// of `tinybird-lsp plan --format json` (paths as URIs beside them), `text` its text form;
    /// without a base, `plan` and `text` are null and `note` says why.
    pub fn plan_request(&mut self, uri: Option<Uri>) -> Value {
        // HEAD may have moved since the last look.
        self.refresh_bases();
        self.per_project(uri, |slot, analysis, uri_of, root_uri| {
            let resolved = slot.base.resolved.as_ref();
            let mut out = json!({
                "root": root_uri,
                "base": resolved.map(|r| r.commit.clone()),
                "baseLabel": resolved.map(|r| r.label.clone()),
                "shallow": resolved.is_some_and(|r| r.shallow),
                "note": slot.base.problem,
                "text": Value::Null,
            });
            match &analysis.plan {
                Some(plan) => {
                    let changes: Vec<Value> = plan
                        .changes
                        .iter()
                        .map(|c| {
                            let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
                            v["uri"] = uri_of(&c.path);
                            v
                        })
                        .collect();
                    out["text"] = json!(analysis::deploy::text::render(
                        plan,
                        resolved.map(|r| r.label.as_str()),
                        "",
                    ));
                    out["plan"] = json!({
                        "base": plan.base,
                        "dialect": plan.dialect.name(),
                        "changes": changes,
                    });
                }
                None => out["plan"] = Value::Null,
            }
            out
        })
    }
}
