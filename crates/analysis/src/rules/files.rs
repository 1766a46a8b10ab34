//! The codes [`crate::db::ProjectDb`] reports about a project's files themselves: files it does
//! not analyse (too large, unreadable: one diagnostic, never fatal to the project) and files the
//! CLI of the project's dialect does not read.

use crate::registry::{Check, Code, Example, Rule, Scope};
use syntax::diagnostics::Severity::{Info, Warning};

const PAGE: &str = "datafile.md";

pub const RULE: Rule = Rule {
    name: "files",
    scope: Scope::File,
    check: Check::Files,
    codes: &[
        Code::new("file-too-large", Warning, "A file too large to analyse").on_page(PAGE),
        Code::new(
            "file-unreadable",
            Warning,
            "A file that could not be read (a FIFO, a device, gone)",
        )
        .on_page(PAGE),
        Code::new(
            "outside-project-folders",
            Info,
            "A datafile in a folder the CLI does not read",
        )
        .on_page(PAGE),
    ],
    examples: &[
        Example::reported(
            "file-too-large",
            r#"
            //- large: pipes/huge.pipe
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
        Example::not_reported(
            "file-too-large",
            r#"
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
        Example::reported(
            "file-unreadable",
            r#"
            //- unreadable: pipes/fifo.pipe
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
        Example::not_reported(
            "file-unreadable",
            r#"
            //- pipes/p.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
        Example::reported(
            "outside-project-folders",
            r#"
            //- dialect: classic
            //- playground/p.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
        Example::not_reported(
            "outside-project-folders",
            r#"
            //- dialect: classic
            //- endpoints/p.pipe
            NODE n
            SQL >
                SELECT 1
        "#,
        ),
    ],
};
