//! A Tinybird project: which files belong to it and which dialect it is written in
//! (datafile-spec §10). Pure: the caller lists the files and reads them.

pub mod graph;
pub mod model;
pub mod rules;
pub mod test_files;

use crate::syntax::Dialect;

/// Folders never searched for datafiles.
pub const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "target",
    ".git",
    ".diff_tmp",
    ".venv",
    "venv",
];

pub fn is_datafile(path: &str) -> bool {
    [".datasource", ".pipe", ".incl", ".connection"]
        .iter()
        .any(|e| path.ends_with(e))
}

/// Would the official CLI of `dialect` read this file (path relative to the project root)?
/// Classic reads fixed folders only; Forward every datafile up to three folders deep outside
/// `vendor/`. `.incl` files are read where they are included.
pub fn seen_by_cli(path: &str, dialect: Dialect) -> bool {
    if path.ends_with(".incl") {
        return true;
    }
    let parts: Vec<&str> = path.split('/').collect();
    match dialect {
        Dialect::Classic => {
            if path.ends_with(".connection") {
                return false;
            }
            parts.len() == 1
                || (parts.len() == 2
                    && matches!(parts[0], "datasources" | "pipes" | "endpoints" | "tokens"))
                || parts.first() == Some(&"vendor")
        }
        Dialect::Forward => parts.len() <= 3 && parts.first() != Some(&"vendor"),
    }
}

/// The dialect and the evidence for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialectGuess {
    pub dialect: Dialect,
    pub reason: String,
}

/// Guesses the dialect from the project's paths (relative to the root, including non-datafiles
/// such as `.tinyenv`) and datafile contents. Each signal is something only one CLI writes or
/// accepts; with none, Classic (whose files Forward mostly reads too).
pub fn detect_dialect<'a>(
    paths: &[String],
    contents: impl Iterator<Item = (&'a str, &'a str)>,
) -> DialectGuess {
    let mut classic: Vec<String> = Vec::new();
    let mut forward: Vec<String> = Vec::new();
    for p in paths {
        let name = p.rsplit('/').next().unwrap_or(p);
        let first = p.split('/').next().unwrap_or("");
        match name {
            ".tinyenv" => classic.push(format!("{p} (Classic releases)")),
            "tinybird.json" | "tinybird.config.json" => {
                forward.push(format!("{p} (Forward config)"))
            }
            _ => {}
        }
        if p.ends_with(".incl") {
            classic.push(format!("{p} (INCLUDE files are Classic-only)"));
        }
        if p.ends_with(".token") {
            classic.push(format!("{p} (.token files are Classic-only)"));
        }
        if p.ends_with(".connection") {
            forward.push(format!("{p} (.connection files are Forward-only)"));
        }
        if p.contains('/')
            && matches!(
                first,
                "materializations" | "copies" | "sinks" | "connections"
            )
        {
            forward.push(format!("{first}/ (a Forward project folder)"));
        }
        if first == "deploy" && p.contains('/') {
            classic.push("deploy/ (Classic custom deployments)".to_string());
        }
    }
    for (path, text) in contents {
        for line in text.lines() {
            let upper = line.trim_end().to_ascii_uppercase();
            let word = upper.split_whitespace().next().unwrap_or("");
            let col0 = !line.starts_with([' ', '\t']);
            if col0 && path.ends_with(".pipe") && (word == "ENGINE" || word.starts_with("ENGINE_"))
            {
                classic.push(format!("{path} (ENGINE in a pipe is Classic-only)"));
            } else if col0
                && matches!(
                    word,
                    "INCLUDE"
                        | "KAFKA_KEY_AVRO_DESERIALIZATION"
                        | "IMPORT_SERVICE"
                        | "IMPORT_STRATEGY"
                        | "IMPORT_EXTERNAL_DATASOURCE"
                        | "VERSION"
                        | "KAFKA_STORE_BINARY_HEADERS"
                )
            {
                classic.push(format!("{path} ({word} is Classic-only)"));
            } else if col0
                && matches!(
                    word,
                    "FORWARD_QUERY" | "BACKFILL" | "DEPLOYMENT_METHOD" | "ON_DEMAND_COMPUTE"
                )
            {
                forward.push(format!("{path} ({word} is Forward-only)"));
            } else if line.contains("tb_secret(") && !path.ends_with(".pipe") {
                forward.push(format!("{path} (tb_secret in a datafile is Forward-only)"));
            }
        }
    }
    classic.dedup();
    forward.dedup();
    let (dialect, evidence) = if forward.len() > classic.len() {
        (Dialect::Forward, &forward)
    } else {
        (Dialect::Classic, &classic)
    };
    let reason = match evidence.first() {
        Some(first) => format!(
            "{} signal{} such as {first}",
            evidence.len(),
            if evidence.len() == 1 { "" } else { "s" }
        ),
        None => "no dialect-specific files or keywords: Classic by default".to_string(),
    };
    DialectGuess { dialect, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_folders_and_classic_tinyenv() {
        let g = detect_dialect(
            &[
                "materializations/a.pipe".into(),
                "datasources/b.datasource".into(),
            ],
            std::iter::empty(),
        );
        assert_eq!(g.dialect, Dialect::Forward);
        let g = detect_dialect(&[".tinyenv".into()], std::iter::empty());
        assert_eq!(g.dialect, Dialect::Classic);
    }

    #[test]
    fn cli_visibility() {
        assert!(seen_by_cli("pipes/a.pipe", Dialect::Classic));
        assert!(!seen_by_cli("materializations/a.pipe", Dialect::Classic));
        assert!(seen_by_cli("materializations/a.pipe", Dialect::Forward));
        assert!(!seen_by_cli("a/b/c/d.pipe", Dialect::Forward));
    }
}
