//! tree-sitter grammar for Tinybird datafiles.
//!
//! ```
//! let mut parser = tree_sitter::Parser::new();
//! parser.set_language(&tree_sitter_tinybird::LANGUAGE.into()).unwrap();
//! let tree = parser.parse("NODE n\nSQL >\n    SELECT 1\n", None).unwrap();
//! assert!(!tree.root_node().has_error());
//! ```

use tree_sitter_language::LanguageFn;

extern "C" {
    fn tree_sitter_tinybird() -> *const ();
}

/// The tree-sitter [`LanguageFn`] for this grammar.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_tinybird) };

/// The content of the `node-types.json` file for this grammar.
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");
/// Syntax highlighting query.
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");
/// Language injections query (SQL inside `SQL >` and `FORWARD_QUERY >`).
pub const INJECTIONS_QUERY: &str = include_str!("../../queries/injections.scm");
/// Folding query.
pub const FOLDS_QUERY: &str = include_str!("../../queries/folds.scm");
/// Local definitions query.
pub const LOCALS_QUERY: &str = include_str!("../../queries/locals.scm");

#[cfg(test)]
mod tests {
    #[test]
    fn queries_compile() {
        let lang: tree_sitter::Language = super::LANGUAGE.into();
        for q in [
            super::HIGHLIGHTS_QUERY,
            super::INJECTIONS_QUERY,
            super::FOLDS_QUERY,
            super::LOCALS_QUERY,
        ] {
            tree_sitter::Query::new(&lang, q).expect("query compiles");
        }
    }
}
