use clap::{Parser, Subcommand, ValueEnum};
use cli::{check, ci, render};
use project::graph::Graph;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use syntax::diagnostics::Severity;
use syntax::Dialect;

/// Writes to stdout. A closed pipe (`tinybird-lsp check | head`) ends the program quietly,
/// as Unix tools do, instead of panicking in `print!`.
fn emit(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|_| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("tinybird-lsp: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// Reports an error on stderr and exits with `code`.
fn failed(e: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("tinybird-lsp: {e}");
    ExitCode::from(code)
}

/// Exit code 1 when the run found what it looks for (errors, unformatted files), else 0.
fn fails_if(found: bool) -> ExitCode {
    if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

macro_rules! out {
    ($($t:tt)*) => { emit(format_args!($($t)*)) };
}

macro_rules! outln {
    () => { emit(format_args!("\n")) };
    ($($t:tt)*) => { emit(format_args!("{}\n", format_args!($($t)*))) };
}

#[derive(Parser)]
#[command(
    name = "tinybird-lsp",
    version,
    about = "Language server and checker for Tinybird data projects"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DialectArg {
    Classic,
    Forward,
}

impl DialectArg {
    fn dialect(self) -> Dialect {
        match self {
            DialectArg::Classic => Dialect::Classic,
            DialectArg::Forward => Dialect::Forward,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    Human,
    Json,
}

/// `check`'s output formats: for people, for programs, and for CI systems.
#[derive(Clone, Copy, ValueEnum, PartialEq, Debug)]
enum CheckFormat {
    Human,
    Json,
    /// GitHub Actions workflow commands (annotations); the default when GITHUB_ACTIONS=true.
    Github,
    /// SARIF 2.1.0 (GitHub code scanning and other viewers).
    Sarif,
    /// JUnit XML test report.
    Junit,
    /// GitLab Code Quality report.
    Gitlab,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum GraphFormat {
    Mermaid,
    Dot,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum PlanFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Parse every datafile of a project (or one file) and report problems.
    Check {
        /// A project folder or a single datafile.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output format [default: human, or github when GITHUB_ACTIONS=true].
        #[arg(long, value_enum)]
        format: Option<CheckFormat>,
        /// Override the detected dialect.
        #[arg(long, value_enum)]
        dialect: Option<DialectArg>,
        /// "Now" for the migration timing rules, `YYYY-MM-DD HH:MM:SS` in UTC (default: the
        /// clock).
        #[arg(long, value_parser = parse_now)]
        now: Option<i64>,
        /// Exit with 0 even when there are errors (2 still means the check could not run).
        #[arg(long, conflicts_with = "error_on_warnings")]
        exit_zero: bool,
        /// Exit with 1 when there are warnings too.
        #[arg(long)]
        error_on_warnings: bool,
        /// Where the rule pages are published (`<url><code>.md`), for SARIF's help links.
        #[arg(long, value_name = "URL")]
        docs_url: Option<String>,
        /// The configuration file (default: `tinybird-lsp.toml` in the checked folder or the
        /// nearest parent holding one).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Compare with the deployed version at this git revision (a branch, tag or commit):
        /// adds the rules about what the deploy changes (FORWARD_QUERY, destructive changes...).
        #[arg(long, value_name = "REF")]
        base: Option<String>,
        /// Report only the files changed (committed or not, and new ones) against the
        /// merge-base of HEAD with its upstream branch, else HEAD; the whole project is still
        /// analysed.
        #[arg(long, conflicts_with = "since")]
        changed: bool,
        /// Report only the files changed against this git revision.
        #[arg(long, value_name = "REF")]
        since: Option<String>,
    },
    /// Print what deploying the files does to the deployed version read from git: for every
    /// resource added, changed or removed, what changed and how Tinybird applies it (ALTER,
    /// rewrite and backfill, create, delete, refused). Exits with 1 when a change is refused.
    Plan {
        /// A project folder (or a folder holding several projects).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The deployed version: a git revision [default: the merge-base of HEAD with its
        /// upstream branch, else HEAD].
        #[arg(long, value_name = "REF")]
        base: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: PlanFormat,
        /// Override the detected dialect.
        #[arg(long, value_enum)]
        dialect: Option<DialectArg>,
        /// The configuration file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print a shell completion script: `tinybird-lsp completions bash > /etc/bash_completion.d/tinybird-lsp`,
    /// `tinybird-lsp completions zsh > ~/.zfunc/_tinybird-lsp`, fish, elvish or powershell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write a commented `tinybird-lsp.toml` (rule levels, ignores, dialect) in the project
    /// folder; an existing one is never overwritten.
    Init {
        /// The project folder.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Print the project's dependency graph: resources and tests, and what reads,
    /// materializes into, copies into or sinks to what.
    Graph {
        /// A project folder (or a folder holding several projects).
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: GraphFormat,
        /// Override the detected dialect.
        #[arg(long, value_enum)]
        dialect: Option<DialectArg>,
    },
    /// Carry out a step of a materialized-view migration (the language server's code
    /// actions): write the files it generates, or print them with --dry-run.
    Migrate {
        #[command(subcommand)]
        step: MigrateStep,
        /// The project folder.
        #[arg(long, global = true, default_value = ".")]
        project: PathBuf,
        /// "Now", `YYYY-MM-DD HH:MM:SS` in UTC (default: the clock).
        #[arg(long, global = true, value_parser = parse_now)]
        now: Option<i64>,
        /// Minutes between now and a generated cutoff (rounded up) [default: the
        /// configuration file's `migration.cutoff_delay_minutes`, else 60].
        #[arg(long, global = true)]
        delay_minutes: Option<u64>,
        /// Print what would change without writing anything.
        #[arg(long, global = true)]
        dry_run: bool,
        #[arg(long, global = true, value_enum, default_value = "human")]
        format: Format,
        /// Override the detected dialect.
        #[arg(long, global = true, value_enum)]
        dialect: Option<DialectArg>,
    },
    /// Format datafiles: upper-case keywords, four-space SCHEMA and SQL blocks, blank lines,
    /// unneeded quotes; comments and SQL are kept (unless --sql), and what the official
    /// parsers read does not change.
    Fmt {
        /// A project folder or a single datafile.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Do not write: list the files that are not formatted and exit with 1 if any.
        #[arg(long)]
        check: bool,
        /// Also upper-case ClickHouse keywords in plain (non-template) SQL.
        #[arg(long)]
        sql: bool,
        /// Override the detected dialect.
        #[arg(long, value_enum)]
        dialect: Option<DialectArg>,
    },
    /// Run the language server over stdio (the default). Settings: docs/configuration.md.
    Serve,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum FromArg {
    Source,
    Legacy,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum FormArg {
    Copy,
    Materialized,
}

#[derive(Subcommand)]
enum MigrateStep {
    /// Step 1: a new target with the column and a live pipe cut at a future instant.
    AddColumn {
        /// The materialized view's target datasource (the legacy target).
        #[arg(long)]
        datasource: String,
        /// The column's name (with --type and --expression; all three left out: a placeholder).
        #[arg(long, requires_all = ["ty", "expression"])]
        name: Option<String>,
        /// Its type in the target, e.g. "SimpleAggregateFunction(any, String)".
        #[arg(long = "type", requires_all = ["name", "expression"])]
        ty: Option<String>,
        /// What the SELECT computes for it, e.g. "anySimpleState(environment)".
        #[arg(long, requires_all = ["name", "ty"])]
        expression: Option<String>,
        /// `pipe.node` when several nodes materialize into the datasource.
        #[arg(long)]
        node: Option<String>,
        /// The source column to cut on, when several fit.
        #[arg(long)]
        time_column: Option<String>,
        /// The cutoff, `YYYY-MM-DD HH:MM:SS` UTC (default: now + delay, rounded up).
        #[arg(long)]
        cutoff: Option<String>,
        /// Where the backfill will come from (default: the legacy target when the source keeps
        /// less history).
        #[arg(long, value_enum)]
        from: Option<FromArg>,
        /// Forward: evolve the datasource in place with a FORWARD_QUERY instead.
        #[arg(long)]
        in_place: bool,
    },
    /// Step 2: the backfill up to the cutoff, a quality test and (Classic) deploy scripts.
    Backfill {
        /// The new target.
        #[arg(long)]
        datasource: String,
        #[arg(long, value_enum)]
        from: Option<FromArg>,
        #[arg(long, value_enum)]
        form: Option<FormArg>,
    },
    /// Step 3: every reader of the legacy target reads the new one.
    Repoint {
        /// The new target.
        #[arg(long)]
        datasource: String,
    },
    /// Step 4: remove the legacy target, its pipe, the backfill and the quality test.
    Finish {
        /// The new target.
        #[arg(long)]
        datasource: String,
    },
}

fn migrate_request(step: MigrateStep) -> actions::Request {
    use actions::add_column::{AddColumn, BackfillFrom, NewColumn};
    use actions::backfill::{Backfill, BackfillForm};
    use actions::Request;
    let from = |f: Option<FromArg>| {
        f.map(|f| match f {
            FromArg::Source => BackfillFrom::Source,
            FromArg::Legacy => BackfillFrom::Legacy,
        })
    };
    match step {
        MigrateStep::AddColumn {
            datasource,
            name,
            ty,
            expression,
            node,
            time_column,
            cutoff,
            from: f,
            in_place,
        } => {
            let column = match (name, ty, expression) {
                (Some(name), Some(ty), Some(expression)) => Some(NewColumn {
                    name,
                    ty,
                    expression,
                }),
                _ => None,
            };
            let req = AddColumn {
                datasource,
                node,
                column,
                time_column,
                cutoff,
                backfill_from: from(f),
                move_item: None,
            };
            if in_place {
                Request::ForwardAddColumn(req)
            } else {
                Request::AddColumn(req)
            }
        }
        MigrateStep::Backfill {
            datasource,
            from: f,
            form,
        } => Request::Backfill(Backfill {
            datasource,
            from: from(f),
            form: form.map(|f| match f {
                FormArg::Copy => BackfillForm::Copy,
                FormArg::Materialized => BackfillForm::Materialized,
            }),
        }),
        MigrateStep::Repoint { datasource } => Request::Repoint { datasource },
        MigrateStep::Finish { datasource } => Request::Finish { datasource },
    }
}

fn parse_now(s: &str) -> Result<i64, String> {
    analysis::migration::instant::parse_datetime(s)
        .filter(|(_, _, g)| *g == analysis::migration::instant::Granularity::Second)
        .map(|(secs, _, _)| secs)
        .ok_or_else(|| format!("expected YYYY-MM-DD HH:MM:SS (UTC), not `{s}`"))
}

/// The configuration: `explicit`, else `tinybird-lsp.toml` in the checked folder (a file's
/// folder) or the nearest parent holding one. Its problems are warnings on stderr; a file that
/// cannot be read is an error.
fn load_config(
    checked: &std::path::Path,
    explicit: Option<&std::path::Path>,
) -> Result<Option<std::sync::Arc<analysis::config::Config>>, String> {
    let file = match explicit {
        Some(f) => Some(f.to_path_buf()),
        None => {
            let start = std::path::absolute(checked).unwrap_or_else(|_| checked.to_path_buf());
            let start = if start.is_dir() {
                Some(start.as_path())
            } else {
                start.parent()
            };
            start.and_then(|s| {
                s.ancestors()
                    .map(|d| d.join(analysis::config::FILE_NAME))
                    .find(|f| f.is_file())
            })
        }
    };
    let Some(file) = file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let (config, problems) = analysis::config::Config::parse(&text);
    for p in problems {
        eprintln!("tinybird-lsp: warning: {}: {p}", file.display());
    }
    if let Some(n) = config.now.as_deref() {
        if let Err(e) = parse_now(n) {
            eprintln!("tinybird-lsp: warning: {}: `now`: {e}", file.display());
        }
    }
    Ok(Some(std::sync::Arc::new(config)))
}

/// The clock, in seconds since the epoch.
fn clock() -> Option<i64> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}

/// What to put in front of the reported paths so that they are relative to the current
/// folder (CI annotations and reports name files from the repository's root, where CI runs):
/// the checked folder as given, or a checked file's project root.
fn display_prefix(path: &std::path::Path, report: &check::CheckReport) -> String {
    let base = if path.is_dir() {
        path.to_path_buf()
    } else {
        match report.projects.first() {
            Some(p) => p.root.clone(),
            None => return String::new(),
        }
    };
    let base = match std::env::current_dir() {
        Ok(cwd) if base.is_absolute() => base
            .strip_prefix(&cwd)
            .map(|b| b.to_path_buf())
            .unwrap_or(base),
        _ => base,
    };
    let s = base.to_string_lossy().replace('\\', "/");
    let s = s.trim_start_matches("./").trim_end_matches('/');
    if s.is_empty() || s == "." {
        String::new()
    } else {
        format!("{s}/")
    }
}

/// What a check has to say once, on standard error (no base, a shallow clone).
fn say_notes(report: &check::CheckReport) {
    for p in &report.projects {
        for n in &p.notes {
            eprintln!("tinybird-lsp: {n}");
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Some(Command::Check {
            path,
            format,
            dialect,
            now,
            exit_zero,
            error_on_warnings,
            docs_url,
            config,
            base,
            changed,
            since,
        }) => {
            let config = match load_config(&path, config.as_deref()) {
                Ok(c) => c,
                Err(e) => return failed(e, 2),
            };
            let config_now = config
                .as_ref()
                .and_then(|c| c.now.as_deref())
                .and_then(|n| parse_now(n).ok());
            match check::check_path(
                &path,
                check::CheckOptions {
                    dialect: dialect
                        .map(DialectArg::dialect)
                        .or(config.as_ref().and_then(|c| c.dialect)),
                    now: now.or(config_now).or_else(clock),
                    config,
                    base: base.map(Some),
                    changed: match since {
                        Some(rev) => Some(Some(rev)),
                        None => changed.then_some(None),
                    },
                },
            ) {
                Ok(report) => {
                    say_notes(&report);
                    let format = format.unwrap_or(
                        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
                            CheckFormat::Github
                        } else {
                            CheckFormat::Human
                        },
                    );
                    let prefix = display_prefix(&path, &report);
                    let docs_url =
                        docs_url.map(|u| if u.ends_with('/') { u } else { format!("{u}/") });
                    match format {
                        CheckFormat::Human => out!(
                            "{}",
                            render::human(&report, std::io::stdout().is_terminal())
                        ),
                        CheckFormat::Json => outln!("{}", render::json(&report)),
                        CheckFormat::Github => out!("{}", ci::github(&report, &prefix)),
                        CheckFormat::Sarif => outln!(
                            "{}",
                            serde_json::to_string_pretty(&ci::sarif(
                                &report,
                                &prefix,
                                docs_url.as_deref()
                            ))
                            .unwrap_or_default()
                        ),
                        CheckFormat::Junit => out!("{}", ci::junit(&report, &prefix)),
                        CheckFormat::Gitlab => outln!(
                            "{}",
                            serde_json::to_string_pretty(&ci::gitlab(&report, &prefix))
                                .unwrap_or_default()
                        ),
                    }
                    let errors = report.count(Severity::Error);
                    let warnings = report.count(Severity::Warning);
                    fails_if(!exit_zero && (errors > 0 || (error_on_warnings && warnings > 0)))
                }
                Err(e) => failed(e, 2),
            }
        }
        Some(Command::Plan {
            path,
            base,
            format,
            dialect,
            config,
        }) => {
            let config = match load_config(&path, config.as_deref()) {
                Ok(c) => c,
                Err(e) => return failed(e, 2),
            };
            let report = match check::check_path(
                &path,
                check::CheckOptions {
                    dialect: dialect
                        .map(DialectArg::dialect)
                        .or(config.as_ref().and_then(|c| c.dialect)),
                    now: None,
                    config,
                    base: Some(base),
                    changed: None,
                },
            ) {
                Ok(r) => r,
                Err(e) => return failed(e, 2),
            };
            say_notes(&report);
            if report.projects.iter().all(|p| p.plan.is_none()) {
                return failed("no deploy plan: no base version could be read", 2);
            }
            match format {
                PlanFormat::Text => out!("{}", cli::plan::text(&report)),
                PlanFormat::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&cli::plan::json(&report)).unwrap_or_default()
                ),
            }
            let refused = report
                .projects
                .iter()
                .filter_map(|p| p.plan.as_ref())
                .flat_map(|p| &p.changes)
                .any(|c| c.method == analysis::deploy::Method::Refused);
            fails_if(refused)
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tinybird-lsp", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            ExitCode::SUCCESS
        }
        Some(Command::Init { path }) => {
            let file = path.join(analysis::config::FILE_NAME);
            if file.exists() {
                return failed(
                    format!("{} already exists: nothing written", file.display()),
                    2,
                );
            }
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&file)
                .and_then(|mut f| {
                    use std::io::Write;
                    f.write_all(analysis::config::TEMPLATE.as_bytes())
                }) {
                Ok(()) => {
                    outln!("wrote {}", file.display());
                    ExitCode::SUCCESS
                }
                Err(e) => failed(format!("cannot write {}: {e}", file.display()), 2),
            }
        }
        Some(Command::Graph {
            path,
            format,
            dialect,
        }) => match check::check_path(
            &path,
            check::CheckOptions {
                dialect: dialect.map(DialectArg::dialect),
                ..Default::default()
            },
        ) {
            Ok(report) => {
                let graphs = report
                    .projects
                    .iter()
                    .map(|p| {
                        let prefix = p
                            .root
                            .strip_prefix(&path)
                            .map(|r| r.to_string_lossy().replace('\\', "/"))
                            .unwrap_or_default();
                        let prefix = if prefix.is_empty() {
                            prefix
                        } else {
                            format!("{prefix}/")
                        };
                        (prefix, Graph::of(&p.project))
                    })
                    .collect();
                let graph = Graph::merged(graphs);
                match format {
                    GraphFormat::Mermaid => out!("{}", graph.to_mermaid()),
                    GraphFormat::Dot => out!("{}", graph.to_dot()),
                    GraphFormat::Json => outln!("{}", graph.to_json()),
                }
                ExitCode::SUCCESS
            }
            Err(e) => failed(e, 2),
        },
        Some(Command::Migrate {
            step,
            project,
            now,
            delay_minutes,
            dry_run,
            format,
            dialect,
        }) => {
            use actions::add_column::Clock;
            use cli::migrate::{migrate, MigrateOptions};
            // The project's tinybird-lsp.toml gives the defaults the flags do not.
            let config = match load_config(&project, None) {
                Ok(c) => c,
                Err(e) => return failed(e, 2),
            };
            let config_now = config
                .as_ref()
                .and_then(|c| c.now.as_deref())
                .and_then(|n| parse_now(n).ok());
            let opts = MigrateOptions {
                dialect: dialect
                    .map(DialectArg::dialect)
                    .or(config.as_ref().and_then(|c| c.dialect)),
                clock: Clock {
                    now: now.or(config_now).or_else(clock).unwrap_or(0),
                    cutoff_delay_minutes: delay_minutes
                        .or(config.as_ref().and_then(|c| c.cutoff_delay_minutes))
                        .unwrap_or(60),
                },
                dry_run,
            };
            match migrate(&project, &migrate_request(step), opts) {
                Ok(change) => {
                    if format == Format::Json {
                        outln!(
                            "{}",
                            serde_json::to_string_pretty(&change).unwrap_or_default()
                        );
                    } else {
                        out!("{}", change.describe());
                        if dry_run {
                            for f in &change.create {
                                outln!("\n--- {} (new)\n{}", f.path, f.text);
                            }
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => failed(e, 1),
            }
        }
        Some(Command::Fmt {
            path,
            check,
            sql,
            dialect,
        }) => {
            let opts = ide::format::FormatOptions { sql_keywords: sql };
            match cli::fmt::fmt_path(&path, check, dialect.map(DialectArg::dialect), opts) {
                Ok(changed) => {
                    for f in &changed {
                        if check {
                            outln!("not formatted: {f}");
                        } else {
                            outln!("formatted {f}");
                        }
                    }
                    fails_if(check && !changed.is_empty())
                }
                Err(e) => failed(e, 2),
            }
        }
        None | Some(Command::Serve) => ExitCode::from(server::run() as u8),
    }
}
