//! Code lenses over resources: "N readers · materializes into X" at the top of a pipe,
//! "N readers · fed by P" at the top of a datasource; each opens the places it counts.

use super::columns::Site;
use super::{file_index, resource_of_file};
use project::model::{Project, ResourceKind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lens {
    pub title: String,
    /// The readers, writers and targets the title counts.
    pub sites: Vec<Site>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The lens of the resource a file defines (none for `.incl` files).
pub fn code_lens(p: &Project, path: &str) -> Option<Lens> {
    let ri = resource_of_file(p, file_index(p, path)?)?;
    let r = &p.resources[ri];
    let readers: Vec<Site> = p
        .edges_into(ri)
        .filter(|e| e.kind.reads())
        .map(|e| Site {
            path: e.path.clone(),
            range: e.range,
        })
        .collect();
    let mut parts = vec![plural(readers.len(), "reader", "readers")];
    let mut sites = readers;
    match r.kind {
        ResourceKind::Pipe => {
            for e in p.writes_of(ri) {
                parts.push(format!("{} {}", e.kind.write_verb(), e.to));
                sites.push(Site {
                    path: e.path.clone(),
                    range: e.range,
                });
            }
        }
        ResourceKind::Datasource | ResourceKind::Connection => {
            let feeders: Vec<String> = p
                .edges_into(ri)
                .filter(|e| e.kind.writes())
                .map(|e| {
                    sites.push(Site {
                        path: e.path.clone(),
                        range: e.range,
                    });
                    p.source_name(&e.from)
                })
                .collect();
            if !feeders.is_empty() {
                parts.push(format!("fed by {}", feeders.join(", ")));
            }
        }
    }
    Some(Lens {
        title: parts.join(" · "),
        sites,
    })
}
