//! Questions asked of the project graph: edges by source and target (an index built with the
//! model), readers, feeders and materializers of a resource, endpoints downstream.

use super::*;

/// Edge indexes grouped by resource, in two flat arrays (no allocation per resource): the
/// edges of resource `r` are `list[start[r]..start[r + 1]]`, in edge order.
#[derive(Default)]
pub(super) struct EdgeIndex {
    start: Vec<u32>,
    list: Vec<u32>,
}

impl EdgeIndex {
    pub(super) fn rebuild(
        &mut self,
        n: usize,
        edges: &[Edge],
        key: impl Fn(&Edge) -> Option<ResourceId>,
    ) {
        self.start.clear();
        self.start.resize(n + 1, 0);
        for e in edges {
            if let Some(r) = key(e) {
                self.start[r.index() + 1] += 1;
            }
        }
        for i in 0..n {
            self.start[i + 1] += self.start[i];
        }
        self.list.clear();
        self.list.resize(self.start[n] as usize, 0);
        let mut next = self.start.clone();
        for (i, e) in edges.iter().enumerate() {
            if let Some(r) = key(e) {
                self.list[next[r.index()] as usize] = i as u32;
                next[r.index()] += 1;
            }
        }
    }

    pub(super) fn get(&self, r: ResourceId) -> &[u32] {
        match (self.start.get(r.index()), self.start.get(r.index() + 1)) {
            (Some(&a), Some(&b)) => &self.list[a as usize..b as usize],
            _ => &[],
        }
    }
}

impl Project {
    /// The display name of an edge's source: the resource, or the test file.
    pub fn source_name(&self, s: &Source) -> String {
        match s {
            Source::Resource(i) => self.resources[*i].name.clone(),
            Source::Test(i) => self.tests[*i].file.path.clone(),
        }
    }

    /// The files that INCLUDE the file at `path` (directly or through another include).
    pub fn includers<'a>(&'a self, path: &'a str) -> impl Iterator<Item = FileId> + 'a {
        self.files.iter_enumerated().filter_map(move |(i, f)| {
            f.include_paths
                .iter()
                .any(|p| p.as_deref() == Some(path))
                .then_some(i)
        })
    }

    /// Edges from a resource (indexed) or a test file.
    pub fn edges_from_source<'a>(&'a self, s: &Source) -> Box<dyn Iterator<Item = &'a Edge> + 'a> {
        match *s {
            Source::Resource(i) => Box::new(self.edges_from(i)),
            Source::Test(t) => {
                Box::new(self.edges.iter().filter(move |e| e.from == Source::Test(t)))
            }
        }
    }

    /// Edges whose target is resource `i`.
    pub fn edges_into(&self, i: ResourceId) -> impl Iterator<Item = &Edge> {
        self.edges_to
            .get(i)
            .iter()
            .map(|&e| &self.edges[e as usize])
    }

    /// The edges of the nodes of resource `i` writing into datasources.
    pub fn writes_of(&self, i: ResourceId) -> impl Iterator<Item = &Edge> {
        self.edges_from(i).filter(|e| e.kind.writes())
    }

    /// Who reads resource `name` (nodes and tests).
    pub fn readers_of(&self, name: &str) -> Vec<&Edge> {
        self.named(name)
            .flat_map(|(i, _)| self.edges_into(i))
            .filter(|e| matches!(e.kind, EdgeKind::Reads | EdgeKind::TestReads))
            .collect()
    }

    /// What writes into datasource `name`: materialized and copy nodes.
    pub fn feeders_of(&self, name: &str) -> Vec<&Edge> {
        self.named(name)
            .flat_map(|(i, _)| self.edges_into(i))
            .filter(|e| matches!(e.kind, EdgeKind::MaterializesInto | EdgeKind::CopiesInto))
            .collect()
    }

    /// The materialized nodes writing into datasource `name`.
    pub fn materializers_of(&self, name: &str) -> Vec<&Edge> {
        self.feeders_of(name)
            .into_iter()
            .filter(|e| e.kind == EdgeKind::MaterializesInto)
            .collect()
    }

    /// Endpoint pipes whose data comes (through pipes, materializations and copies) from `name`.
    pub fn downstream_endpoints(&self, name: &str) -> Vec<&Resource> {
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<ResourceId> = self.named(name).map(|(i, _)| i).collect();
        let mut out = Vec::new();
        while let Some(i) = stack.pop() {
            if !seen.insert(i) {
                continue;
            }
            if self.resources[i].pipe_kind == Some(PipeKind::Endpoint)
                && self.resources[i].name != name
            {
                out.push(&self.resources[i]);
            }
            for e in self.edges_into(i).filter(|e| e.kind == EdgeKind::Reads) {
                if let Source::Resource(reader) = e.from {
                    stack.push(reader);
                }
            }
            // Data flows on from a pipe into what it materializes or copies into.
            for e in self
                .edges_from(i)
                .filter(|e| matches!(e.kind, EdgeKind::MaterializesInto | EdgeKind::CopiesInto))
            {
                if let Target::Resource(t) = e.target {
                    stack.push(t);
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out.dedup_by(|a, b| a.name == b.name);
        out
    }
}
