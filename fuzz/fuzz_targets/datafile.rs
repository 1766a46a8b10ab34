//! The datafile reader on any text, as any kind of file in either dialect, whole or as a
//! fragment: no panic, no hang, every diagnostic range inside the text on character boundaries.
//! The first byte chooses the dialect, the kind and whether the text is a fragment (its low four
//! bits: sixteen ways), so that every input costs one parse and the fuzzer mutates the choice
//! like any other byte; the rest is the file's text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syntax::{Dialect, FileKind};

const KINDS: [FileKind; 4] = [
    FileKind::Datasource,
    FileKind::Pipe,
    FileKind::Include,
    FileKind::Connection,
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let dialect = if choice & 1 == 0 {
        Dialect::Classic
    } else {
        Dialect::Forward
    };
    let fragment = choice & 2 != 0;
    let kind = KINDS[usize::from((choice >> 2) & 3)];
    let text = String::from_utf8_lossy(rest);
    let loader = |_: &str| Some("NODE inc\nSQL >\n    SELECT 1\n".to_string());
    let no = |_: &str| false;
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
});
