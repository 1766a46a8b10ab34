//! The `{{ }}` expressions of tests/fixtures/template-expressions.txt, each in a pipe given to the
//! official parsers (Classic and Forward): we report a `template-syntax` allowlist error
//! (`syntax::template::expression_errors`) exactly when both official parsers reject the
//! expression for an allowlist reason (`Invalid function name`, `Invalid BinOp`, ...). An
//! expression one CLI rejects and the other accepts is an error only if we say nothing.

mod common;

use std::path::Path;

const REASONS: &[&str] = &[
    "Invalid function name",
    "Invalid method name",
    "Invalid expression type",
    "Invalid BinOp",
    "Invalid UnaryOp",
    "Invalid Slice expression",
    "Invalid Constant",
    "Invalid function",
];

fn sql(expr: &str) -> String {
    format!("%\nSELECT 1 AS x WHERE 1 = {{{{ {expr} }}}}\n")
}

#[test]
fn allowlist_errors_are_exactly_the_official_ones() {
    let cases: Vec<String> = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/template-expressions.txt"),
    )
    .unwrap()
    .lines()
    .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    .map(str::to_string)
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let path = dir.path().join(format!("c{i:03}.pipe"));
            let text = sql(c).replace('\n', "\n    ");
            std::fs::write(&path, format!("NODE n\nSQL >\n    {text}\n")).unwrap();
            path.to_string_lossy().to_string()
        })
        .collect();
    let rejected_by = |cli: &str| -> Vec<Option<String>> {
        common::tb_oracle(&paths, cli)
            .iter()
            .map(|a| {
                let v = &a[cli];
                if v["ok"].as_bool() == Some(true) {
                    return None;
                }
                let msg = v["error"]["message"].as_str().unwrap_or("");
                REASONS
                    .iter()
                    .find(|r| msg.contains(*r))
                    .map(|_| msg.to_string())
            })
            .collect()
    };
    let (classic, forward) = (rejected_by("classic"), rejected_by("forward"));
    let mut wrong = Vec::new();
    let mut rejected = 0;
    for (i, c) in cases.iter().enumerate() {
        let ours = syntax::template::expression_errors(&sql(c));
        let both = classic[i].is_some() && forward[i].is_some();
        rejected += usize::from(both);
        let either = classic[i].is_some() || forward[i].is_some();
        if (!ours.is_empty() && !both) || (ours.is_empty() && either && both) {
            wrong.push(format!(
                "`{c}`: ours {:?}; classic {:?}; forward {:?}",
                ours.first().map(|e| &e.message),
                classic[i],
                forward[i]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        rejected > 40,
        "the cases must include rejections ({rejected})"
    );
}
