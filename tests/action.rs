//! scripts/action-check, the steps of action.yml, run as GitHub runs them (environment
//! variables for the inputs) with our binary on PATH: annotations on stdout, the exit status of
//! `check`, the extra arguments passed on, and the SARIF file written.

use std::path::Path;
use std::process::Command;

fn run(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_tinybird-lsp"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action-check"))
        .current_dir(dir)
        .env("PATH", path)
        .env("GITHUB_ACTIONS", "true")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_action_annotates_fails_on_errors_and_writes_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("tinybird");
    std::fs::create_dir_all(project.join("pipes")).unwrap();
    std::fs::write(
        project.join("pipes/q.pipe"),
        "NODE n\nSQL >\n    SELECT 1 FROM evnts\n",
    )
    .unwrap();

    let (code, out) = run(dir.path(), &[("INPUT_PATH", "tinybird")]);
    assert_eq!(code, Some(0), "a warning only: {out}");
    assert!(
        out.contains("::warning file=tinybird/pipes/q.pipe,line=3,"),
        "{out}"
    );

    let sarif = dir.path().join("out.sarif");
    let (code, out) = run(
        dir.path(),
        &[
            ("INPUT_PATH", "tinybird"),
            ("INPUT_ARGS", "--error-on-warnings"),
            ("INPUT_SARIF_FILE", sarif.to_str().unwrap()),
        ],
    );
    assert_eq!(code, Some(1), "--error-on-warnings passed on: {out}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "unknown-table");
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "tinybird/pipes/q.pipe"
    );
}
