//! The resource-level dependency graph: nodes are resources and tests, edges go from a pipe to
//! what it reads and to the datasource it materializes or copies into, and from a test to what
//! it reads. Rendered as JSON, Mermaid or DOT, and checked for cycles.

use super::model::{EdgeKind, Project, ResourceId, Source, Target};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GraphNode {
    pub name: String,
    /// `datasource`, `pipe`, `connection`, `test`, or a pipe's kind: `endpoint`,
    /// `materialized`, `copy`, `sink`, `stream`.
    pub kind: String,
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

impl Graph {
    pub fn of(p: &Project) -> Graph {
        let mut nodes = BTreeSet::new();
        for r in &p.resources {
            let kind = match r.pipe_kind {
                Some(k) => k.as_str(),
                None => r.kind.as_str(),
            };
            nodes.insert(GraphNode {
                name: r.name.clone(),
                kind: kind.into(),
                path: r.path.to_string(),
            });
        }
        for t in &p.tests {
            nodes.insert(GraphNode {
                name: t.file.path.clone(),
                kind: "test".into(),
                path: t.file.path.clone(),
            });
        }
        let mut edges = BTreeSet::new();
        for e in &p.edges {
            let Target::Resource(t) = e.target else {
                continue;
            };
            let from = p.source_name(&e.from);
            let to = p.resources[t].name.clone();
            if matches!(e.from, Source::Resource(_)) && from == to {
                continue;
            }
            edges.insert(GraphEdge {
                from,
                to,
                kind: e.kind.as_str(),
            });
        }
        Graph {
            nodes: nodes.into_iter().collect(),
            edges: edges.into_iter().collect(),
        }
    }

    /// Several projects' graphs as one: names and paths prefixed with each project's folder.
    pub fn merged(graphs: Vec<(String, Graph)>) -> Graph {
        if graphs.len() == 1 {
            return graphs.into_iter().next().expect("one").1;
        }
        let mut out = Graph::default();
        for (prefix, g) in graphs {
            let p = |s: &str| format!("{prefix}{s}");
            out.nodes.extend(g.nodes.into_iter().map(|n| GraphNode {
                name: p(&n.name),
                kind: n.kind,
                path: p(&n.path),
            }));
            out.edges.extend(g.edges.into_iter().map(|e| GraphEdge {
                from: p(&e.from),
                to: p(&e.to),
                kind: e.kind,
            }));
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("graph serializes")
    }

    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            ids.entry(n.name.as_str()).or_insert(i);
        }
        let id = |name: &str| ids.get(name).copied().unwrap_or(0);
        for (i, n) in self.nodes.iter().enumerate() {
            let label = format!("{}<br/><i>{}</i>", escape_mermaid(&n.name), n.kind);
            let shape = match n.kind.as_str() {
                "datasource" => format!("n{i}[(\"{label}\")]"),
                "test" => format!("n{i}{{{{\"{label}\"}}}}"),
                "connection" => format!("n{i}>\"{label}\"]"),
                _ => format!("n{i}[\"{label}\"]"),
            };
            out.push_str(&format!("  {shape}\n"));
        }
        for e in &self.edges {
            let arrow = match e.kind {
                "reads" | "test_reads" => "-->",
                _ => "==>",
            };
            out.push_str(&format!(
                "  n{} {arrow}|{}| n{}\n",
                id(&e.from),
                e.kind,
                id(&e.to)
            ));
        }
        out
    }

    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph tinybird {\n  rankdir=LR;\n");
        for n in &self.nodes {
            let shape = match n.kind.as_str() {
                "datasource" => "cylinder",
                "test" => "hexagon",
                "connection" => "cds",
                _ => "box",
            };
            out.push_str(&format!(
                "  \"{}\" [shape={shape}, label=\"{}\\n{}\"];\n",
                escape_dot(&n.name),
                escape_dot(&n.name),
                n.kind
            ));
        }
        for e in &self.edges {
            let style = if matches!(e.kind, "reads" | "test_reads") {
                "solid"
            } else {
                "bold"
            };
            out.push_str(&format!(
                "  \"{}\" -> \"{}\" [label=\"{}\", style={style}];\n",
                escape_dot(&e.from),
                escape_dot(&e.to),
                e.kind
            ));
        }
        out.push_str("}\n");
        out
    }
}

fn escape_mermaid(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn escape_dot(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Cycles of the dependency graph (what makes the official deploy order, a topological sort,
/// impossible): each cycle as resource indices in order, smallest index first.
pub fn cycles(p: &Project) -> Vec<Vec<ResourceId>> {
    let n = p.resources.len();
    // What resource `v` depends on: what it reads, materializes or copies into.
    let deps = |v: usize| {
        p.edges_from(ResourceId::new(v))
            .filter_map(|e| match e.target {
                Target::Resource(t) if e.kind != EdgeKind::TestReads => Some(t.index()),
                _ => None,
            })
    };
    // Tarjan's strongly connected components, iteratively.
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, deps(root))];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((v, it)) = work.last_mut() {
            let v = *v;
            if let Some(w) = it.next() {
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, deps(w)));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last() {
                low[*parent] = low[*parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 || deps(v).any(|d| d == v) {
                    comp.sort();
                    out.push(order_cycle(&comp, &deps));
                }
            }
        }
    }
    out.sort();
    out.into_iter()
        .map(|c| c.into_iter().map(ResourceId::new).collect())
        .collect()
}

/// A path through the component that returns to its start, following dependencies.
fn order_cycle<I: Iterator<Item = usize>>(
    comp: &[usize],
    deps: &impl Fn(usize) -> I,
) -> Vec<usize> {
    let start = comp[0];
    let mut path = vec![start];
    let mut cur = start;
    while path.len() < comp.len() {
        // The dependencies in order (sorted, as the deploy order sees them).
        let mut next: Vec<usize> = deps(cur).collect();
        next.sort_unstable();
        match next.iter().find(|d| comp.contains(d) && !path.contains(d)) {
            Some(&d) => {
                path.push(d);
                cur = d;
            }
            None => break,
        }
    }
    path
}
