//! The SQL layer on any text, plain and as a template: the analysis (every branch), syntax
//! errors, the `{{ }}` allowlist, and the ranges of what they report.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for sql in [text.to_string(), format!("%\n{text}")] {
        let a = syntax::sql::analyze(&sql);
        for t in &a.tables {
            assert!(t.range.end <= sql.len() && t.range.start <= t.range.end);
        }
        for c in &a.unknown_calls {
            assert!(c.range.end <= sql.len());
        }
        for m in &a.misplaced_calls {
            assert!(m.call.range.end <= sql.len());
        }
        for e in syntax::sql::check_syntax(&sql) {
            assert!(e.range.end <= sql.len());
        }
        for e in syntax::template::expression_errors(&sql) {
            assert!(e.range.end <= sql.len() && sql.is_char_boundary(e.range.start));
        }
    }
    let _ = syntax::pyexpr::rejection(&text);
});
