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

/// A file named relative to the current folder (`check x.pipe`, `check pipes/x.pipe` from a
/// project root) is checked, not an empty project; and the search for a project marker above
/// it ends.
#[test]
fn check_a_file_named_relative_to_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pipes")).unwrap();
    std::fs::write(dir.path().join("tinyb.env"), "").unwrap();
    std::fs::write(
        dir.path().join("pipes/p.pipe"),
        "NODE n\nSQL >\n    %\n    SELECT 1 WHERE {{ DateTme(x) }}\n",
    )
    .unwrap();
    for (cwd, arg) in [("pipes", "p.pipe"), (".", "pipes/p.pipe")] {
        let out = bin()
            .current_dir(dir.path().join(cwd))
            .args(["check", arg])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{arg} from {cwd}: {stdout}");
        assert!(
            stdout.contains("1 file checked"),
            "{arg} from {cwd}: {stdout}"
        );
        assert!(stdout.contains("DateTme"), "{arg} from {cwd}: {stdout}");
        assert!(
            stdout.contains("pipes/p.pipe"),
            "the project root is found: {stdout}"
        );
    }
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

/// `fmt` replaces a file through a temporary file and a rename: the file keeps its
/// permissions, a symbolic link keeps pointing at the (formatted) file, and no temporary file
/// is left behind.
#[cfg(unix)]
#[test]
fn fmt_replaces_files_whole_and_keeps_permissions_and_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("datasources")).unwrap();
    std::fs::create_dir_all(dir.path().join("shared")).unwrap();
    let unformatted =
        "schema >\n  `ts` DateTime\nengine \"MergeTree\"\nENGINE_SORTING_KEY \"ts\"\n";
    let file = dir.path().join("datasources/events.datasource");
    std::fs::write(&file, unformatted).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let real = dir.path().join("shared/visits.datasource");
    std::fs::write(&real, unformatted).unwrap();
    let link = dir.path().join("datasources/visits.datasource");
    std::os::unix::fs::symlink(&real, &link).unwrap();

    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(&file).unwrap().ino();
    let fmt = bin()
        .arg("fmt")
        .arg(dir.path().join("datasources"))
        .output()
        .unwrap();
    assert!(fmt.status.success(), "{fmt:?}");
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.starts_with("SCHEMA >\n"), "{after}");
    // A new file renamed into place, not the old one rewritten (a crash mid-write would
    // have left it truncated).
    assert_ne!(std::fs::metadata(&file).unwrap().ino(), inode);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "permissions kept");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .starts_with("SCHEMA >\n"));
    for folder in ["datasources", "shared"] {
        let left: Vec<String> = std::fs::read_dir(dir.path().join(folder))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }
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

/// Every file of a folder with its bytes, to compare a project before and after.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A copy of the migration fixture (a Classic project at VERSION 0.0.1).
fn migration_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migration/base");
    for sub in ["datasources", "pipes"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for e in std::fs::read_dir(base.join(sub)).unwrap().flatten() {
            std::fs::copy(e.path(), dir.path().join(sub).join(e.file_name())).unwrap();
        }
    }
    std::fs::write(dir.path().join(".tinyenv"), "export VERSION=0.0.1\n").unwrap();
    dir
}

/// Step 1 on the migration fixture: a column `environment` added to `analytics_sessions_mv`.
const ADD_ENVIRONMENT: &[&str] = &[
    "add-column",
    "--datasource",
    "analytics_sessions_mv",
    "--name",
    "environment",
    "--type",
    "SimpleAggregateFunction(any, String)",
    "--expression",
    "anySimpleState(environment)",
];

/// `migrate <args> --project <dir>` at a fixed "now".
fn migrate_step(dir: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .arg("migrate")
        .args(args)
        .arg("--project")
        .arg(dir)
        .args(["--now", "2023-11-07 10:00:00"])
        .output()
        .unwrap()
}

#[test]
fn migrate_writes_all_or_nothing() {
    let dir = migration_project();
    let step = |args: &[&str]| migrate_step(dir.path(), args);
    let added = step(ADD_ENVIRONMENT);
    assert!(added.status.success(), "{added:?}");
    // The backfill edits .tinyenv, then creates deploy/0.0.2/…, a pipe and a test: a regular
    // file named `deploy` makes the folder impossible to create half way through.
    std::fs::write(dir.path().join("deploy"), "not a folder\n").unwrap();
    let before = snapshot(dir.path());
    let failed = step(&["backfill", "--datasource", "analytics_sessions_mv_1"]);
    assert!(!failed.status.success(), "{failed:?}");
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("deploy"),
        "{failed:?}"
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "the project changed although the step failed"
    );
    // Without the obstacle, the same step writes everything.
    std::fs::remove_file(dir.path().join("deploy")).unwrap();
    let done = step(&["backfill", "--datasource", "analytics_sessions_mv_1"]);
    assert!(done.status.success(), "{done:?}");
    let tinyenv = std::fs::read_to_string(dir.path().join(".tinyenv")).unwrap();
    assert_eq!(tinyenv, "export VERSION=0.0.2\n");
    assert!(dir.path().join("deploy/0.0.2/cd-deploy.sh").is_file());
}

/// Special files in a project are never opened: a FIFO named like a datafile (or INCLUDEd)
/// used to make `check` wait forever for a writer.
#[cfg(unix)]
#[test]
fn check_skips_fifos_with_a_diagnostic_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["pipes", "includes"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    std::fs::write(
        dir.path().join("pipes/uses_fifo.pipe"),
        "INCLUDE \"../includes/fifo.incl\"\n\nNODE endpoint\nSQL >\n    SELECT 1 AS one\n",
    )
    .unwrap();
    for fifo in ["pipes/fifo.pipe", "includes/fifo.incl"] {
        let made = Command::new("mkfifo")
            .arg(dir.path().join(fifo))
            .status()
            .unwrap();
        assert!(made.success());
    }
    // `timeout` ends a hang: the test fails instead of blocking the suite.
    let out = Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_tinybird-lsp"))
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(124), "check hung on a FIFO");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("pipes/fifo.pipe") && stdout.contains("file-unreadable"),
        "{stdout}"
    );
    assert!(stdout.contains("not a regular file"), "{stdout}");
    // The FIFO the pipe includes is reported as an include that cannot be read.
    assert!(stdout.contains("uses_fifo.pipe"), "{stdout}");
}

/// A folder of several projects: each marked folder is a project, and so is each outermost
/// folder of loose datafiles (not files "outside the project folders" of the folder above).
#[test]
fn a_folder_of_projects_splits_into_its_projects() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        "marked/datasources/events.datasource",
        "marked/pipes/report.pipe",
        "loose/one.pipe",
        "loose/extra/two.pipe",
        "repo/tinybird/three.datasource",
        "repo/other/pipes/four.pipe",
    ];
    for f in files {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "NODE n\nSQL >\n    SELECT 1\n").unwrap();
    }
    let all = disk::walk(dir.path());
    let roots = disk::project_roots(dir.path(), &all);
    assert_eq!(roots, ["loose", "marked", "repo/other", "repo/tinybird"]);
    let out = bin().arg("check").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // loose/extra/ is a subfolder of the loose project, which the Classic CLI does not read
    assert!(
        stdout.contains("loose/extra/two.pipe:1:1: info[outside-project-folders]"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("tinybird/three.datasource:1:1: info[outside-project-folders]"),
        "{stdout}"
    );
}

/// A project with one error (an unknown template function) and one warning (an unknown
/// table), for the CI formats.
fn ci_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pipes")).unwrap();
    std::fs::write(dir.path().join("tinyb.env"), "").unwrap();
    std::fs::write(
        dir.path().join("pipes/p.pipe"),
        "NODE n\nSQL >\n    %\n    SELECT 1 FROM evnts WHERE {{ DateTme(x) }}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pipes/q.pipe"),
        "NODE n\nSQL >\n    SELECT 1 FROM evnts\n",
    )
    .unwrap();
    dir
}

fn check_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = bin()
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_speaks_the_formats_of_ci_systems() {
    let dir = ci_project();
    let root = dir.path();

    let (code, github) = check_in(root, &["--format", "github"]);
    assert_eq!(code, Some(1));
    assert!(
        github.contains("::error file=pipes/p.pipe,line=4,col=34,endLine=4,endColumn=41,title=template-syntax::`DateTme` is not a template function"),
        "{github}"
    );
    assert!(
        github.contains("::warning file=pipes/q.pipe,line=3,col=19,"),
        "{github}"
    );
    // Run from the repository above the project: paths name the project folder.
    let parent = root.parent().unwrap();
    let name = root.file_name().unwrap().to_string_lossy().to_string();
    let (_, from_above) = check_in(parent, &[&name, "--format", "github"]);
    assert!(
        from_above.contains(&format!("file={name}/pipes/p.pipe,")),
        "{from_above}"
    );

    let out = bin()
        .current_dir(root)
        .env("GITHUB_ACTIONS", "true")
        .arg("check")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("::"),
        "GitHub's own format by default there"
    );

    let (_, sarif) = check_in(
        root,
        &[
            "--format",
            "sarif",
            "--docs-url",
            "https://example.org/rules",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .starts_with("https://example.org/rules/"));
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("pipes/"));
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 3);
    }
    assert!(results.iter().any(|r| r["level"] == "error"));
    assert!(results.iter().any(|r| r["level"] == "warning"));

    let (_, junit) = check_in(root, &["--format", "junit"]);
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(
        junit.contains("<testsuites name=\"tinybird-lsp check\" tests=\"2\" failures=\"2\""),
        "{junit}"
    );
    assert!(
        junit.contains("name=\"template-syntax at 4:34\""),
        "{junit}"
    );
    assert!(
        junit.contains("&lt;") || !junit.contains("<failure type=\"error\" message=\"<"),
        "{junit}"
    );

    let (_, gitlab) = check_in(root, &["--format", "gitlab"]);
    let issues: serde_json::Value = serde_json::from_str(&gitlab).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0]["location"]["path"], "pipes/p.pipe");
    let fingerprints = |issues: &[serde_json::Value]| -> Vec<String> {
        issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let before = fingerprints(issues);
    assert_ne!(before[0], before[1]);
    // Lines moving does not change a problem's fingerprint.
    let pipe = root.join("pipes/p.pipe");
    let text = std::fs::read_to_string(&pipe).unwrap();
    std::fs::write(&pipe, format!("DESCRIPTION >\n    moved\n\n{text}")).unwrap();
    let (_, moved) = check_in(root, &["--format", "gitlab"]);
    let moved: serde_json::Value = serde_json::from_str(&moved).unwrap();
    assert_eq!(moved[0]["location"]["positions"]["begin"]["line"], 7);
    assert_eq!(fingerprints(moved.as_array().unwrap()), before);
}

#[test]
fn check_exit_codes_follow_the_flags() {
    let dir = ci_project();
    let root = dir.path();
    assert_eq!(check_in(root, &["--exit-zero"]).0, Some(0));
    // Only the warning left: 0, or 1 with --error-on-warnings.
    std::fs::remove_file(root.join("pipes/p.pipe")).unwrap();
    assert_eq!(check_in(root, &[]).0, Some(0));
    assert_eq!(check_in(root, &["--error-on-warnings"]).0, Some(1));
    assert_eq!(
        check_in(root, &["--error-on-warnings", "--exit-zero"]).0,
        Some(2),
        "conflicting flags"
    );
    assert_eq!(check_in(root, &["no-such-folder"]).0, Some(2));
}

/// `tinybird-lsp.toml`: rule levels and ignores apply, problems are warnings with a
/// did-you-mean, the file is found from a parent folder, `init` writes one and never
/// overwrites it.
#[test]
fn check_reads_the_project_configuration() {
    let dir = ci_project();
    let root = dir.path();
    std::fs::remove_file(root.join("pipes/p.pipe")).unwrap();
    // Without configuration: one warning, exit 0.
    let (code, out) = check_in(root, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("1 warning"), "{out}");

    std::fs::write(
        root.join("tinybird-lsp.toml"),
        "[rules]\nunknown-table = \"error\"\nunknwn-table = \"off\"\n",
    )
    .unwrap();
    let out = bin()
        .current_dir(root.join("pipes"))
        .env_remove("GITHUB_ACTIONS")
        .args(["check", ".."])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the warning is an error now: {out:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean `unknown-table`"), "{stderr}");

    std::fs::write(
        root.join("tinybird-lsp.toml"),
        "[[ignore]]\npaths = [\"pipes/q.pipe\"]\ncodes = [\"unknown-table\"]\nreason = \"created by hand\"\n",
    )
    .unwrap();
    let (code, out) = check_in(root, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("0 warnings"), "ignored: {out}");
    // An ignore that ignores nothing is said once, on standard error.
    std::fs::write(
        root.join("tinybird-lsp.toml"),
        "[[ignore]]\npaths = [\"pipes/q.pipe\"]\ncodes = [\"unknown-table\"]\nreason = \"created by hand\"\n\n[[ignore]]\nresources = [\"gone\"]\nreason = \"an old pipe\"\n",
    )
    .unwrap();
    let out = bin()
        .current_dir(root)
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`ignore[1]` (an old pipe) ignored nothing in the files checked"),
        "{stderr}"
    );
    assert!(!stderr.contains("`ignore[0]`"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 warnings"));
    // Found from the folder of a checked file too.
    let (_, out) = check_in(root, &["pipes/q.pipe"]);
    assert!(out.contains("0 warnings"), "{out}");

    // init: refuses to overwrite, writes a quiet template elsewhere.
    let init = bin().current_dir(root).arg("init").output().unwrap();
    assert_eq!(init.status.code(), Some(2), "{init:?}");
    assert!(std::fs::read_to_string(root.join("tinybird-lsp.toml"))
        .unwrap()
        .contains("created by hand"));
    let other = tempfile::tempdir().unwrap();
    let init = bin().arg("init").arg(other.path()).output().unwrap();
    assert!(init.status.success(), "{init:?}");
    let (code, out) = check_in(other.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn completions_and_version() {
    for shell in ["bash", "zsh", "fish"] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("tinybird-lsp"), "{shell}");
        assert!(
            script.contains("error-on-warnings"),
            "{shell}: options are completed"
        );
    }
    let out = bin().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tinybird-lsp "));
}

/// `migrate` takes `now` and the cutoff delay from tinybird-lsp.toml when no flag gives them.
#[test]
fn migrate_reads_the_configuration_file() {
    let dir = migration_project();
    std::fs::write(
        dir.path().join("tinybird-lsp.toml"),
        "now = \"2023-11-07 10:00:00\"\n[migration]\ncutoff_delay_minutes = 180\n",
    )
    .unwrap();
    let out = bin()
        .arg("migrate")
        .args(ADD_ENVIRONMENT)
        .args(["--dry-run", "--format", "json"])
        .arg("--project")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains("2023-11-07 13:00:00"),
        "now + 180 minutes: {text}"
    );
}

/// A folder of the project that is a symbolic link to elsewhere (`deploy -> ../outside`) does
/// not take a migration's writes out of the project: the step is refused, nothing is written
/// anywhere, and names with `/` or `..` are refused as names.
#[cfg(unix)]
#[test]
fn migrate_never_writes_through_a_link_out_of_the_project() {
    let dir = migration_project();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("deploy")).unwrap();
    let step = |args: &[&str]| migrate_step(dir.path(), args);
    let added = step(ADD_ENVIRONMENT);
    assert!(added.status.success(), "{added:?}");
    let before = snapshot(dir.path());
    let backfill = step(&["backfill", "--datasource", "analytics_sessions_mv_1"]);
    assert!(!backfill.status.success(), "{backfill:?}");
    assert!(
        String::from_utf8_lossy(&backfill.stderr).contains("symbolic link"),
        "{backfill:?}"
    );
    assert!(
        snapshot(outside.path()).is_empty(),
        "written outside the project"
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "nothing written inside either"
    );
    for bad in ["../evil", "/tmp/evil", "a/b", ".."] {
        let out = step(&["backfill", "--datasource", bad]);
        assert!(!out.status.success(), "{bad}: {out:?}");
        let out = step(&[
            "add-column",
            "--datasource",
            "analytics_sessions_mv",
            "--name",
            bad,
            "--type",
            "String",
            "--expression",
            "'x'",
        ]);
        assert!(!out.status.success(), "{bad} as a column name: {out:?}");
    }
    assert!(snapshot(outside.path()).is_empty());
}

/// The README's first command: the example in the middle of a migration shows the mistakes it
/// was made with (docs in its README.md), each where it is written, with the fixes offered;
/// its "now" comes from its tinybird-lsp.toml, so the output is the same on any day.
#[test]
fn the_migrating_example_shows_its_mistakes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-sessions-migrating");
    let out = bin()
        .args(["check", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, String, usize)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
                d["fixes"].as_array().unwrap().len(),
            )
        })
        .collect();
    found.sort();
    let want = [
        (
            "pipes/daily_visits.pipe",
            "migration-unrepointed-dependent",
            1,
        ),
        (
            "pipes/visit_length.pipe",
            "migration-unrepointed-dependent",
            1,
        ),
        (
            "pipes/visits_mv_1_backfill.pipe",
            "copy-replace-live-target",
            1,
        ),
        (
            "pipes/visits_mv_1_backfill.pipe",
            "migration-any-default-masks",
            0,
        ),
        (
            "pipes/visits_mv_1_backfill.pipe",
            "migration-boundary-mismatch",
            0,
        ),
        ("tests/visits.yaml", "migration-unrepointed-dependent", 1),
    ];
    let want: Vec<(String, String, usize)> = want
        .iter()
        .map(|(p, c, n)| (p.to_string(), c.to_string(), *n))
        .collect();
    assert_eq!(found, want, "{}", String::from_utf8_lossy(&out.stdout));
    // Warnings only: the files are valid, as the official parser says.
    assert_eq!(out.status.code(), Some(0));
}
