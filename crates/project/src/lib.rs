//! A Tinybird project: which files belong to it and which dialect it is written in
//! (datafile-spec §10). Pure: the caller lists the files and reads them.

pub mod graph;
mod ids;
pub mod model;
pub mod scripts;
pub mod test_files;
pub mod types;

use syntax::Dialect;

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

/// One piece of evidence for a dialect: something only one CLI writes or accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialectSignal {
    pub dialect: Dialect,
    pub evidence: String,
}

fn signal(dialect: Dialect, evidence: String) -> DialectSignal {
    DialectSignal { dialect, evidence }
}

/// Dialect evidence in a path (relative to the project root; any file, not only datafiles).
pub fn path_signals(p: &str) -> Vec<DialectSignal> {
    let mut out = Vec::new();
    let name = p.rsplit('/').next().unwrap_or(p);
    let first = p.split('/').next().unwrap_or("");
    match name {
        ".tinyenv" => out.push(signal(Dialect::Classic, format!("{p} (Classic releases)"))),
        "tinybird.json" | "tinybird.config.json" => {
            out.push(signal(Dialect::Forward, format!("{p} (Forward config)")))
        }
        _ => {}
    }
    if p.ends_with(".incl") {
        out.push(signal(
            Dialect::Classic,
            format!("{p} (INCLUDE files are Classic-only)"),
        ));
    }
    if p.ends_with(".token") {
        out.push(signal(
            Dialect::Classic,
            format!("{p} (.token files are Classic-only)"),
        ));
    }
    if p.contains('/')
        && matches!(
            first,
            "materializations" | "copies" | "sinks" | "connections"
        )
    {
        out.push(signal(
            Dialect::Forward,
            format!("{first}/ (a Forward project folder)"),
        ));
    }
    if first == "deploy" && p.contains('/') {
        out.push(signal(
            Dialect::Classic,
            "deploy/ (Classic custom deployments)".to_string(),
        ));
    }
    out
}

/// Dialect evidence in a datafile's text (keywords only one dialect accepts).
pub fn content_signals(path: &str, text: &str) -> Vec<DialectSignal> {
    let mut out = Vec::new();
    for line in text.lines() {
        let upper = line.trim_end().to_ascii_uppercase();
        let word = upper.split_whitespace().next().unwrap_or("");
        let col0 = !line.starts_with([' ', '\t']);
        if col0 && path.ends_with(".pipe") && (word == "ENGINE" || word.starts_with("ENGINE_")) {
            out.push(signal(
                Dialect::Classic,
                format!("{path} (ENGINE in a pipe is Classic-only)"),
            ));
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
            out.push(signal(
                Dialect::Classic,
                format!("{path} ({word} is Classic-only)"),
            ));
        } else if col0
            && matches!(
                word,
                "FORWARD_QUERY" | "BACKFILL" | "DEPLOYMENT_METHOD" | "ON_DEMAND_COMPUTE"
            )
        {
            out.push(signal(
                Dialect::Forward,
                format!("{path} ({word} is Forward-only)"),
            ));
        } else if col0
            && path.ends_with(".connection")
            && !word.is_empty()
            && word != "TYPE"
            && !word.starts_with('#')
        {
            // The Classic CLI writes a `.connection` holding only `TYPE` (and never reads
            // one): settings are Forward's.
            out.push(signal(
                Dialect::Forward,
                format!("{path} (a .connection with settings is Forward's)"),
            ));
        } else if line.contains("tb_secret(") && !path.ends_with(".pipe") {
            out.push(signal(
                Dialect::Forward,
                format!("{path} (tb_secret in a datafile is Forward-only)"),
            ));
        }
    }
    out
}

/// Weighs the evidence: the dialect with more signals wins; with none, Classic (whose files
/// Forward mostly reads too).
pub fn decide_dialect<'a>(signals: impl Iterator<Item = &'a DialectSignal>) -> DialectGuess {
    let mut classic: Vec<&str> = Vec::new();
    let mut forward: Vec<&str> = Vec::new();
    for s in signals {
        let list = match s.dialect {
            Dialect::Classic => &mut classic,
            Dialect::Forward => &mut forward,
        };
        if list.last() != Some(&s.evidence.as_str()) {
            list.push(&s.evidence);
        }
    }
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

/// Guesses the dialect from the project's paths (relative to the root, including non-datafiles
/// such as `.tinyenv`) and datafile contents.
pub fn detect_dialect<'a>(
    paths: &[String],
    contents: impl Iterator<Item = (&'a str, &'a str)>,
) -> DialectGuess {
    let mut all: Vec<DialectSignal> = paths.iter().flat_map(|p| path_signals(p)).collect();
    for (path, text) in contents {
        all.extend(content_signals(path, text));
    }
    // Group by dialect in order, as the evidence lists are per dialect.
    all.sort_by_key(|s| s.dialect == Dialect::Forward);
    decide_dialect(all.iter())
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
    fn a_connection_file_is_forward_evidence_only_with_settings() {
        // What the Classic CLI's `tb connection create` writes beside the datafiles.
        let note = "TYPE bigquery\n\n";
        let forward = "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS localhost:9092\n";
        let files = [
            "bigquery.connection".to_string(),
            "datasources/a.datasource".to_string(),
        ];
        let g = detect_dialect(&files, [("bigquery.connection", note)].into_iter());
        assert_eq!(g.dialect, Dialect::Classic, "{}", g.reason);
        let g = detect_dialect(&files, [("bigquery.connection", forward)].into_iter());
        assert_eq!(g.dialect, Dialect::Forward, "{}", g.reason);
    }

    #[test]
    fn cli_visibility() {
        assert!(seen_by_cli("pipes/a.pipe", Dialect::Classic));
        assert!(!seen_by_cli("materializations/a.pipe", Dialect::Classic));
        assert!(seen_by_cli("materializations/a.pipe", Dialect::Forward));
        assert!(!seen_by_cli("a/b/c/d.pipe", Dialect::Forward));
    }
}
