//! The editor requests served from the engine: folding, the project graph, the
//! materialized views, debug information.

use super::*;

impl Engine {
    /// `textDocument/foldingRange`, from the open document's tree.
    pub fn folding_ranges(&self, uri: &Uri) -> Option<Vec<lsp::FoldingRange>> {
        let doc = self.docs.get(&file_path(uri)?)?;
        Some(folding::ranges(doc.tree()?, doc.text(), self.encoding()))
    }

    /// Debug: an open document's text and version, and whether its incrementally re-parsed
    /// tree equals a fresh parse.
    pub fn debug_document(&mut self, uri: &Uri) -> Value {
        let Some(path) = file_path(uri) else {
            return Value::Null;
        };
        let Some(doc) = self.docs.get(&path) else {
            return Value::Null;
        };
        json!({
            "text": doc.text(),
            "version": doc.version,
            "languageId": doc.language_id,
            "treeMatchesFreshParse": doc.tree_matches_fresh_parse(&mut self.parser),
        })
    }

    /// The answer to an editor request about the project holding `uri` (every analysed project
    /// when none): `{"projects": [...]}`, each made by `one` from the project, a function
    /// turning a project-relative path into a URI string, and the root's URI (and its slot).
    pub(super) fn per_project(
        &mut self,
        uri: Option<Uri>,
        one: impl Fn(&ProjectSlot, &analysis::db::Analysis, &dyn Fn(&str) -> Value, Value) -> Value,
    ) -> Value {
        self.flush();
        let picked = match uri
            .as_ref()
            .and_then(file_path)
            .and_then(|p| self.project_of(&p))
        {
            Some(i) => vec![i],
            None => (0..self.projects.len()).collect(),
        };
        let mut projects = Vec::new();
        for i in picked {
            let slot = &self.projects[i];
            let Some(analysis) = slot.db.analysis() else {
                continue;
            };
            let root = slot.root.clone();
            let uri_of = |rel: &str| json!(self.uri_of(&root.join(rel)).map(|u| u.to_string()));
            let root_uri = json!(self.uri_of(&root).map(|u| u.to_string()));
            projects.push(one(slot, analysis, &uri_of, root_uri));
        }
        json!({ "projects": projects })
    }

    /// `tinybird/graph`: the dependency graph, with each node's file as a URI and the Mermaid
    /// text.
    pub fn graph_request(&mut self, uri: Option<Uri>) -> Value {
        self.per_project(uri, |_, analysis, uri_of, root| {
            let project = &analysis.project;
            let graph = project::graph::Graph::of(project);
            let nodes: Vec<Value> = graph
                .nodes
                .iter()
                .map(|n| json!({"name": n.name, "kind": n.kind, "path": n.path, "uri": uri_of(&n.path)}))
                .collect();
            json!({
                "root": root,
                "dialect": project.dialect.name(),
                "nodes": nodes,
                "edges": graph.edges,
                "mermaid": graph.to_mermaid(),
            })
        })
    }

    /// `tinybird/materializedViews`: what the add-column command offers (see
    /// [`actions::catalog`]).
    pub fn materialized_views_request(&mut self, uri: Option<Uri>) -> Value {
        self.per_project(uri, |_, analysis, uri_of, root| {
            let catalog =
                actions::catalog::materialized_views(&analysis.project, &analysis.migrations);
            let mut value = serde_json::to_value(&catalog).unwrap_or(Value::Null);
            if let Some(views) = value.get_mut("views").and_then(Value::as_array_mut) {
                for v in views {
                    let uri = uri_of(v.get("path").and_then(Value::as_str).unwrap_or(""));
                    v["uri"] = uri;
                }
            }
            value["root"] = root;
            value
        })
    }

    /// Debug: counts, for tests and benchmarks.
    pub fn debug_stats(&mut self) -> Value {
        json!({
            "projects": self.projects.iter().map(|s| json!({
                "root": s.root.to_string_lossy(),
                "files": s.db.file_count(),
                "dialect": s.db.dialect().dialect.name(),
            })).collect::<Vec<_>>(),
            "openDocuments": self.docs.len(),
            "published": self.published.values().filter(|p| !p.diagnostics.is_empty()).count(),
        })
    }
}
