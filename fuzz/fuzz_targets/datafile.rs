//! The datafile reader on any text, as every kind of file in both dialects (and as a fragment):
//! no panic, no hang, every diagnostic range inside the text on character boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syntax::{Dialect, FileKind};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let loader = |_: &str| Some("NODE inc\nSQL >\n    SELECT 1\n".to_string());
    let no = |_: &str| false;
    for dialect in [Dialect::Classic, Dialect::Forward] {
        for kind in [
            FileKind::Datasource,
            FileKind::Pipe,
            FileKind::Include,
            FileKind::Connection,
        ] {
            for fragment in [false, true] {
                let p = syntax::parse(
                    &text,
                    &syntax::ParseOptions {
                        dialect,
                        kind,
                        base_dir: "",
                        loader: Some(&loader),
                        secret_defined: &no,
                        fragment,
                    },
                );
                for d in &p.diagnostics {
                    assert!(d.range.start <= d.range.end && d.range.end <= text.len());
                    assert!(text.is_char_boundary(d.range.start));
                    assert!(text.is_char_boundary(d.range.end));
                }
            }
        }
    }
});
