//! The command line as a user (or a CI job) runs it: exit codes, what `fmt` writes, and output
//! into a closed pipe.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tinybird-lsp"))
}

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-sessions")
}

#[test]
fn check_exits_with_1_only_when_there_are_errors() {
    let ok = bin().arg("check").arg(example()).output().unwrap();
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("0 errors"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pipes")).unwrap();
    std::fs::write(
        dir.path().join("pipes/broken.pipe"),
        "SQL >\n    SELECT 1\n",
    )
    .unwrap();
    let bad = bin().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    assert!(String::from_utf8_lossy(&bad.stdout).contains("broken.pipe"));
}

#[test]
fn fmt_check_lists_unformatted_files_and_fmt_fixes_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("datasources")).unwrap();
    let file = dir.path().join("datasources/events.datasource");
    std::fs::write(
        &file,
        "schema >\n  `ts` DateTime, # when\n  `id` String\nengine \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n",
    )
    .unwrap();
    let before = std::fs::read_to_string(&file).unwrap();

    let check = bin()
        .args(["fmt", "--check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("events.datasource"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        before,
        "--check writes nothing"
    );

    let fmt = bin().arg("fmt").arg(dir.path()).output().unwrap();
    assert!(fmt.status.success(), "{fmt:?}");
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(
        after.starts_with("SCHEMA >\n    `ts` DateTime, # when\n"),
        "{after}"
    );
    assert!(after.contains("ENGINE MergeTree") || after.contains("ENGINE \"MergeTree\""));

    let again = bin()
        .args(["fmt", "--check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(again.status.success(), "{again:?}");
}

/// `tinybird-lsp graph | head -1`: the reader goes away; no panic, no error.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    for args in [
        vec!["graph", "--format", "json"],
        vec!["check", "--format", "json"],
    ] {
        let mut child = bin()
            .args(&args)
            .arg(example())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(status.success(), "{args:?}: {status:?} {stderr}");
    }
}
