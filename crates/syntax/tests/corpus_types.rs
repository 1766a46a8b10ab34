//! Every column type the reader accepts in the public corpora is parsed into a
//! [`syntax::chtype::Type`]: the rules that read types never fall back to text.

use syntax::{Dialect, FileKind, ParseOptions};

#[test]
fn every_accepted_corpus_type_is_parsed() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if !shared.exists() {
        eprintln!("../shared not found: skipped");
        return;
    }
    let mut unparsed = std::collections::BTreeSet::new();
    let mut columns = 0;
    for corpus in ["corpus", "corpus-extra"] {
        let mut stack = vec![shared.join(corpus)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|x| x != "datasource") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for dialect in [Dialect::Classic, Dialect::Forward] {
                    let parsed = syntax::parse(
                        &text,
                        &ParseOptions {
                            dialect,
                            kind: FileKind::Datasource,
                            base_dir: "",
                            loader: None,
                            secret_defined: &|_| false,
                            fragment: false,
                        },
                    );
                    if parsed
                        .diagnostics
                        .iter()
                        .any(|d| d.code == "schema-type" || d.code == "schema-syntax")
                    {
                        continue;
                    }
                    for c in parsed.datafile.schema().map_or(&[][..], |s| &s.columns) {
                        columns += 1;
                        if c.parsed.is_none() {
                            unparsed.insert(c.ty.clone());
                        }
                    }
                }
            }
        }
    }
    assert!(columns > 5_000, "only {columns} columns read");
    assert!(unparsed.is_empty(), "types not parsed: {unparsed:#?}");
}
