//! Document links: INCLUDE paths open the included file.

use super::file_index;
use crate::project::model::Project;
use crate::text::TextRange;

/// `(range of the path, the path resolved as the loader reads it)` for every INCLUDE.
pub fn document_links(p: &Project, path: &str) -> Vec<(TextRange, String)> {
    let Some(fi) = file_index(p, path) else {
        return Vec::new();
    };
    p.files[fi]
        .datafile
        .includes
        .iter()
        .map(|i| (i.path.range, i.resolved.clone()))
        .collect()
}
