use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use tinybird_lsp::cli::{check, render};
use tinybird_lsp::diagnostics::Severity;
use tinybird_lsp::project::graph::Graph;
use tinybird_lsp::syntax::Dialect;

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

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum GraphFormat {
    Mermaid,
    Dot,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Parse every datafile of a project (or one file) and report problems.
    Check {
        /// A project folder or a single datafile.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Override the detected dialect.
        #[arg(long, value_enum)]
        dialect: Option<DialectArg>,
        /// "Now" for the migration timing rules, `YYYY-MM-DD HH:MM:SS` in UTC (default: the
        /// clock).
        #[arg(long, value_parser = parse_now)]
        now: Option<i64>,
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
    /// Run the language server over stdio (the default). Settings: docs/configuration.md.
    Serve,
}

fn parse_now(s: &str) -> Result<i64, String> {
    tinybird_lsp::migration::instant::parse_datetime(s)
        .filter(|(_, _, g)| *g == tinybird_lsp::migration::instant::Granularity::Second)
        .map(|(secs, _, _)| secs)
        .ok_or_else(|| format!("expected YYYY-MM-DD HH:MM:SS (UTC), not `{s}`"))
}

/// The clock, in seconds since the epoch.
fn clock() -> Option<i64> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
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
        }) => match check::check_path(
            &path,
            check::CheckOptions {
                dialect: dialect.map(DialectArg::dialect),
                now: now.or_else(clock),
            },
        ) {
            Ok(report) => {
                if format == Format::Json {
                    println!("{}", render::json(&report));
                } else {
                    print!(
                        "{}",
                        render::human(&report, std::io::stdout().is_terminal())
                    );
                }
                if report.count(Severity::Error) > 0 {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(e) => {
                eprintln!("tinybird-lsp: {e}");
                ExitCode::from(2)
            }
        },
        Some(Command::Graph {
            path,
            format,
            dialect,
        }) => match check::check_path(
            &path,
            check::CheckOptions {
                dialect: dialect.map(DialectArg::dialect),
                now: None,
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
                    GraphFormat::Mermaid => print!("{}", graph.to_mermaid()),
                    GraphFormat::Dot => print!("{}", graph.to_dot()),
                    GraphFormat::Json => println!("{}", graph.to_json()),
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tinybird-lsp: {e}");
                ExitCode::from(2)
            }
        },
        None | Some(Command::Serve) => ExitCode::from(tinybird_lsp::server::run() as u8),
    }
}
