//! Whole-file checks after parsing: Forward's `Datafile.validate()` (datafile-spec §4.9, §5.2),
//! and, for Classic, what the official parser accepts but Tinybird rejects at deploy time
//! (reported as warnings, saying so).

use super::model::{Datafile, Node, NodeType};
use super::FileKind;
use crate::diagnostics::Diagnostic;
use crate::text::TextRange;

const SUPPORTED_ENGINES: &[&str] = &[
    "MergeTree",
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
    "Null",
];

fn type_range(n: &Node) -> TextRange {
    n.type_value.as_ref().map_or(n.name_range, |v| v.range)
}

pub fn forward(doc: &Datafile, out: &mut Vec<Diagnostic>) {
    match doc.kind {
        FileKind::Pipe => forward_pipe(doc, out),
        FileKind::Datasource => forward_datasource(doc, out),
        _ => {}
    }
    common(doc, out);
}

pub fn classic_deploy_time(doc: &Datafile, out: &mut Vec<Diagnostic>) {
    if doc.kind == FileKind::Pipe {
        for n in &doc.nodes {
            match n.node_type() {
                NodeType::Materialized if n.datasource.is_none() => out.push(Diagnostic::warning(
                    "materialized-without-datasource",
                    type_range(n),
                    format!("Materialized node `{}` has no DATASOURCE: Tinybird rejects it when you push", n.name),
                )),
                NodeType::Copy if n.target_datasource.is_none() => out.push(Diagnostic::warning(
                    "copy-without-target",
                    type_range(n),
                    format!("Copy node `{}` has no TARGET_DATASOURCE: Tinybird rejects it when you push", n.name),
                )),
                NodeType::Other => out.push(Diagnostic::warning(
                    "invalid-node-type",
                    type_range(n),
                    format!("`{}` is not a node type (endpoint, materialized, copy, sink): Tinybird rejects it when you push", n.type_value.as_ref().map_or("", |v| v.text.as_str())),
                )),
                _ => {}
            }
            if let Some(m) = &n.copy_mode {
                if !matches!(m.text.to_lowercase().as_str(), "append" | "replace") {
                    out.push(Diagnostic::warning(
                        "invalid-copy-mode",
                        m.range,
                        format!("`{}` is not a copy mode (append or replace): Tinybird rejects it when you push", m.text),
                    ));
                }
            }
        }
    }
    common(doc, out);
}

/// Checks for both dialects.
fn common(doc: &Datafile, out: &mut Vec<Diagnostic>) {
    if doc.kind == FileKind::Pipe {
        for (i, n) in doc.nodes.iter().enumerate() {
            if let Some(first) = doc.nodes[..i].iter().find(|m| m.name == n.name) {
                out.push(
                    Diagnostic::warning(
                        "duplicate-node",
                        n.name_range,
                        format!("Two nodes are named `{}`: Tinybird rejects the pipe when you deploy, and FROM `{}` is ambiguous", n.name, n.name),
                    )
                    .with_related(None, first.name_range, "the first node with this name"),
                );
            }
        }
    }
    if doc.kind == FileKind::Datasource {
        if let Some(engine) = doc.engine() {
            if let Some(name) = &engine.name {
                if !SUPPORTED_ENGINES
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(&name.text))
                {
                    out.push(Diagnostic::warning(
                        "unsupported-engine",
                        name.range,
                        format!("Tinybird does not support the engine `{}` and rejects it at deploy time; supported: {}", name.text, SUPPORTED_ENGINES.join(", ")),
                    ));
                }
            }
            if let Some(schema) = doc.schema() {
                for key in ["ver", "is_deleted", "sign", "version"] {
                    if let Some(v) = engine.param(key) {
                        let col = v.text.trim();
                        if !col.is_empty()
                            && !schema.columns.iter().any(|c| c.name == col)
                            && !doc.connector_columns().contains(&col)
                        {
                            out.push(Diagnostic::warning(
                                "engine-column-missing",
                                v.range,
                                format!("ENGINE_{} names `{col}`, which is not a column of the SCHEMA: Tinybird rejects it at deploy time", key.to_uppercase()),
                            ));
                        }
                    }
                }
            }
        }
    }
}

fn forward_pipe(doc: &Datafile, out: &mut Vec<Diagnostic>) {
    if doc.nodes.is_empty() {
        out.push(Diagnostic::error(
            "empty-pipe",
            TextRange::empty(0),
            "A pipe needs at least one node: add `NODE name` and a `SQL >` block",
        ));
        return;
    }
    let mut first_output: Option<&Node> = None;
    for n in &doc.nodes {
        let t = n.node_type();
        if t == NodeType::Other {
            out.push(Diagnostic::error(
                "invalid-node-type",
                type_range(n),
                format!(
                    "`{}` is not a node type: use endpoint, materialized, copy or sink",
                    n.type_value.as_ref().map_or("", |v| v.text.as_str())
                ),
            ));
            continue;
        }
        if t != NodeType::Standard {
            if let Some(first) = first_output {
                out.push(
                    Diagnostic::error(
                        "multiple-outputs",
                        type_range(n),
                        "A pipe can have only one endpoint, materialized, copy or sink node",
                    )
                    .with_related(
                        None,
                        type_range(first),
                        "the pipe's first output node",
                    ),
                );
            } else {
                first_output = Some(n);
            }
        }
        let allowed: &[&str] = match t {
            NodeType::Standard => &[],
            NodeType::Materialized => &["datasource", "deployment_method"],
            _ => &["*"],
        };
        if allowed != ["*"] {
            let mut attrs: Vec<(&str, TextRange)> = n
                .settings
                .iter()
                .map(|s| (s.key.as_str(), s.key_range))
                .collect();
            for (k, v) in [
                ("datasource", &n.datasource),
                ("target_datasource", &n.target_datasource),
                ("copy_schedule", &n.copy_schedule),
                ("copy_mode", &n.copy_mode),
            ] {
                if let Some(v) = v {
                    attrs.push((k, v.range));
                }
            }
            for (k, r) in attrs {
                if !allowed.contains(&k) {
                    let what = if t == NodeType::Standard {
                        "A node without TYPE"
                    } else {
                        "A materialized node"
                    };
                    out.push(Diagnostic::error(
                        "invalid-node-attribute",
                        r,
                        format!(
                            "{what} cannot have `{}` (node `{}`)",
                            k.to_uppercase(),
                            n.name
                        ),
                    ));
                }
            }
        }
        match t {
            NodeType::Materialized if n.datasource.is_none() => out.push(Diagnostic::error(
                "materialized-without-datasource",
                type_range(n),
                format!("Materialized node `{}` needs `DATASOURCE <target>`", n.name),
            )),
            NodeType::Copy => {
                if n.target_datasource.is_none() {
                    out.push(Diagnostic::error(
                        "copy-without-target",
                        type_range(n),
                        format!("Copy node `{}` needs `TARGET_DATASOURCE <target>`", n.name),
                    ));
                }
                if let Some(m) = &n.copy_mode {
                    if !matches!(m.text.to_lowercase().as_str(), "append" | "replace") {
                        out.push(Diagnostic::error(
                            "invalid-copy-mode",
                            m.range,
                            format!("`{}` is not a copy mode: use append or replace", m.text),
                        ));
                    }
                }
                if let Some(s) = &n.copy_schedule {
                    if !valid_schedule(&s.text) {
                        out.push(Diagnostic::error(
                            "invalid-copy-schedule",
                            s.range,
                            format!("`{}` is not a copy schedule: use @on-demand or a cron expression such as `0 * * * *`", s.text),
                        ));
                    }
                }
                if let Some(v) = n.setting("on_demand_compute") {
                    if !matches!(v.text.to_lowercase().as_str(), "true" | "false") {
                        out.push(Diagnostic::error(
                            "invalid-value",
                            v.range,
                            "ON_DEMAND_COMPUTE must be true or false",
                        ));
                    }
                }
            }
            NodeType::Sink if n.setting("export_connection_name").is_none() => {
                out.push(Diagnostic::error(
                    "sink-without-connection",
                    type_range(n),
                    format!(
                        "Sink node `{}` needs `EXPORT_CONNECTION_NAME <connection>`",
                        n.name
                    ),
                ))
            }
            NodeType::Sink => forward_sink(n, out),
            _ => {}
        }
    }
}

/// A Forward sink's EXPORT_ settings, as the official parser checks them: a Kafka sink
/// (EXPORT_KAFKA_TOPIC) takes only the topic, the schedule and the connection; an S3/GCS sink
/// (EXPORT_BUCKET_URI, EXPORT_FILE_TEMPLATE) needs both, the schedule and the connection, and
/// takes the format, compression and write strategy too. Only the `EXPORT_*` settings the
/// official parser keeps are judged here (its check covers every key of the node; the others
/// are the reader's).
fn forward_sink(n: &Node, out: &mut Vec<Diagnostic>) {
    // The EXPORT_ settings the official parser keeps on the node (EXPORT_SERVICE is read,
    // warned about as deprecated and dropped).
    const STORED: &[&str] = &[
        "export_connection_name",
        "export_schedule",
        "export_bucket_uri",
        "export_file_template",
        "export_format",
        "export_strategy",
        "export_compression",
        "export_write_strategy",
        "export_kafka_topic",
    ];
    let exports: Vec<&crate::model::Setting> = n
        .settings
        .iter()
        .filter(|s| STORED.contains(&s.key.as_str()))
        .collect();
    let has = |k: &str| exports.iter().any(|s| s.key == k);
    let kafka = has("export_kafka_topic");
    let blob = has("export_bucket_uri") || has("export_file_template");
    let at = type_range(n);
    let (kind, required, allowed): (&str, &[&str], &[&str]) = if kafka && blob {
        out.push(Diagnostic::error(
            "sink-parameters",
            at,
            format!(
                "Sink node `{}` mixes Kafka (EXPORT_KAFKA_TOPIC) and S3/GCS (EXPORT_BUCKET_URI, EXPORT_FILE_TEMPLATE) settings: use one kind",
                n.name
            ),
        ));
        return;
    } else if kafka {
        (
            "Kafka",
            &[
                "export_connection_name",
                "export_kafka_topic",
                "export_schedule",
            ],
            &[
                "export_connection_name",
                "export_kafka_topic",
                "export_schedule",
            ],
        )
    } else if blob {
        (
            "S3/GCS",
            &[
                "export_connection_name",
                "export_schedule",
                "export_bucket_uri",
                "export_file_template",
            ],
            &[
                "export_connection_name",
                "export_schedule",
                "export_bucket_uri",
                "export_file_template",
                "export_format",
                "export_compression",
                "export_write_strategy",
                "export_strategy",
            ],
        )
    } else {
        let other: Vec<&str> = exports
            .iter()
            .map(|s| s.key.as_str())
            .filter(|k| !matches!(*k, "export_connection_name" | "export_schedule"))
            .collect();
        out.push(Diagnostic::error(
            "sink-parameters",
            at,
            if other.is_empty() {
                format!(
                    "Sink node `{}` says where to export nothing: a Kafka sink needs EXPORT_KAFKA_TOPIC, an S3/GCS sink EXPORT_BUCKET_URI and EXPORT_FILE_TEMPLATE",
                    n.name
                )
            } else {
                format!(
                    "Sink node `{}` has export settings of no known sink ({}): a Kafka sink needs EXPORT_KAFKA_TOPIC, an S3/GCS sink EXPORT_BUCKET_URI and EXPORT_FILE_TEMPLATE",
                    n.name,
                    other.join(", ").to_uppercase()
                )
            },
        ));
        return;
    };
    let missing: Vec<String> = required
        .iter()
        .filter(|k| !has(k))
        .map(|k| k.to_uppercase())
        .collect();
    if !missing.is_empty() {
        out.push(Diagnostic::error(
            "sink-parameters",
            at,
            format!("{kind} sink node `{}` needs {}", n.name, missing.join(", ")),
        ));
    }
    for s in exports
        .iter()
        .filter(|s| !allowed.contains(&s.key.as_str()))
    {
        out.push(Diagnostic::error(
            "sink-parameters",
            s.key_range,
            format!(
                "{} is not a setting of a {kind} sink: {kind} sinks take {}",
                s.key.to_uppercase(),
                allowed
                    .iter()
                    .map(|k| k.to_uppercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
}

/// `@on-demand` or a five-field cron expression.
fn valid_schedule(s: &str) -> bool {
    let s = s.trim();
    if s.eq_ignore_ascii_case("@on-demand") {
        return true;
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '/' | ',' | '-' | '?'))
        })
}

fn forward_datasource(doc: &Datafile, out: &mut Vec<Diagnostic>) {
    let Some(node) = doc.default_node() else {
        return;
    };
    let Some(schema) = &node.schema else {
        out.push(Diagnostic::error(
            "missing-schema",
            TextRange::empty(0),
            "A datasource needs a `SCHEMA >` block with its columns",
        ));
        return;
    };
    if let Some(engine) = &node.engine {
        if let Some(sk) = engine.param("sorting_key") {
            let text = sk.text.trim();
            let inner = text
                .strip_prefix("tuple(")
                .or_else(|| text.strip_prefix('('))
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(text);
            for item in inner.split(',').map(str::trim) {
                let name = item.trim_matches('`');
                if let Some(c) = schema.columns.iter().find(|c| c.name == name) {
                    // `LowCardinality(Nullable(String))` too: the official check looks for
                    // `Nullable(` anywhere in the type, and so does ClickHouse's (it refuses
                    // nullable sorting keys unless allow_nullable_key is set).
                    if c.nullable || c.ty.contains("Nullable(") {
                        out.push(Diagnostic::error(
                            "sorting-key-nullable",
                            sk.range,
                            format!("The sorting key uses `{name}`, which is Nullable: Nullable columns cannot be in the sorting key"),
                        ));
                    } else if matches!(
                        c.parsed,
                        Some(crate::chtype::Type::AggregateFunction { .. })
                    ) {
                        out.push(Diagnostic::error(
                            "sorting-key-aggregate",
                            sk.range,
                            format!("The sorting key uses `{name}`, an AggregateFunction column: sort by the dimensions instead"),
                        ));
                    }
                }
                let is_replacing = engine
                    .name
                    .as_ref()
                    .is_some_and(|n| n.text.eq_ignore_ascii_case("ReplacingMergeTree"));
                if is_replacing && engine.param("ver").is_some_and(|v| v.text.trim() == name) {
                    out.push(Diagnostic::error(
                        "sorting-key-version",
                        sk.range,
                        format!("`{name}` is the ReplacingMergeTree version column (ENGINE_VER) and cannot be in the sorting key"),
                    ));
                }
            }
        }
    }
    let kafka = ["kafka_connection_name", "kafka_topic", "kafka_group_id"];
    let present: Vec<&str> = kafka
        .iter()
        .copied()
        .filter(|k| node.setting(k).is_some())
        .collect();
    if !present.is_empty() && present.len() < kafka.len() {
        let missing: Vec<String> = kafka
            .iter()
            .filter(|k| !present.contains(k))
            .map(|k| k.to_uppercase())
            .collect();
        let at = node
            .settings
            .iter()
            .find(|s| present.contains(&s.key.as_str()))
            .map_or(TextRange::empty(0), |s| s.key_range);
        out.push(Diagnostic::error(
            "kafka-incomplete",
            at,
            format!("A Kafka datasource also needs {}", missing.join(" and ")),
        ));
    }
    if let Some(g) = node.setting("kafka_group_id") {
        if g.text.trim().is_empty() {
            out.push(Diagnostic::error(
                "kafka-incomplete",
                g.range,
                "KAFKA_GROUP_ID cannot be empty",
            ));
        }
    }
    if let Some(s) = node.setting("import_schedule") {
        if !matches!(s.text.as_str(), "@auto" | "@on-demand" | "@once") {
            out.push(Diagnostic::error(
                "invalid-value",
                s.range,
                format!(
                    "`{}` is not an import schedule: use @auto, @on-demand or @once",
                    s.text
                ),
            ));
        }
    }
}

/// Forward renders whole .datasource and .connection files as templates where only
/// `tb_secret(...)` and `tb_var(...)` exist.
pub fn forward_file_template(
    text: &str,
    env_has: &dyn Fn(&str) -> bool,
    out: &mut Vec<Diagnostic>,
) {
    for (range, kind, inner) in super::template::tags(text) {
        if kind != '{' {
            out.push(Diagnostic::error(
                "template-in-datafile",
                range,
                "Only `{{ tb_secret(...) }}` and `{{ tb_var(...) }}` may appear in this file",
            ));
            continue;
        }
        let expr = inner.trim();
        let func = expr.split('(').next().unwrap_or("").trim();
        if func != "tb_secret" && func != "tb_var" {
            out.push(Diagnostic::error(
                "template-in-datafile",
                range,
                format!("`{{{{ {expr} }}}}` cannot be rendered here: Tinybird Forward only knows `tb_secret` and `tb_var` in datasource and connection files"),
            ));
            continue;
        }
        let args = expr[func.len()..]
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')');
        let parts: Vec<&str> = args.split(',').map(str::trim).collect();
        let name = parts
            .first()
            .map(|p| p.trim_matches(['"', '\'']))
            .unwrap_or("");
        if func == "tb_secret" && parts.len() < 2 && !env_has(name) {
            out.push(Diagnostic::warning(
                "secret-without-default",
                range,
                format!("Secret `{name}` has no default: `tb build` fails unless it is in .env.local, and `tb deploy` unless the workspace has it"),
            ));
        }
    }
}
