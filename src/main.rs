use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use tinybird_lsp::cli::{check, render};
use tinybird_lsp::diagnostics::Severity;
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

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    Human,
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
    },
    /// Run the language server over stdio (not available yet in this build).
    Serve,
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
        }) => {
            let dialect = dialect.map(|d| match d {
                DialectArg::Classic => Dialect::Classic,
                DialectArg::Forward => Dialect::Forward,
            });
            match check::check_path(&path, dialect) {
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
            }
        }
        None | Some(Command::Serve) => {
            eprintln!("tinybird-lsp: the language server (`serve`) is not implemented yet; use `tinybird-lsp check`");
            ExitCode::from(2)
        }
    }
}
