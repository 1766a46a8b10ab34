//! A synthetic Tinybird project for benchmarks, in groups of five files: a raw datasource, an
//! aggregated datasource, a materialized pipe between them (with a time filter), a two-node
//! templated endpoint and a copy pipe with a CTE.

/// `n` files as `(relative path, text)`.
pub fn files(n: usize) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n);
    for k in 0..n.div_ceil(5) {
        let prev = k.saturating_sub(1);
        out.push((
            format!("datasources/events_{k}.datasource"),
            "SCHEMA >\n    `timestamp` DateTime `json:$.timestamp`,\n    `session_id` String `json:$.session_id`,\n    `action` LowCardinality(String) `json:$.action`,\n    `amount` Float64 `json:$.amount`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"timestamp, session_id\"\n".to_string(),
        ));
        out.push((
            format!("datasources/sessions_{k}.datasource"),
            "SCHEMA >\n    `date` Date,\n    `session_id` String,\n    `hits` AggregateFunction(count)\n\nENGINE \"AggregatingMergeTree\"\nENGINE_SORTING_KEY \"date, session_id\"\n".to_string(),
        ));
        out.push((
            format!("pipes/mat_{k}.pipe"),
            format!("NODE aggregate\nSQL >\n    SELECT toDate(timestamp) AS date, session_id, countState() AS hits\n    FROM events_{k}\n    WHERE timestamp > '2024-01-01 00:00:00'\n    GROUP BY date, session_id\n\nTYPE materialized\nDATASOURCE sessions_{k}\n"),
        ));
        out.push((
            format!("pipes/api_{k}.pipe"),
            format!("NODE filtered\nSQL >\n    %\n    SELECT date, session_id, countMerge(hits) AS hits\n    FROM sessions_{k}\n    WHERE 1\n    {{% if defined(day) %}} AND date = {{{{ Date(day) }}}} {{% end %}}\n    {{% if defined(compare) %}} AND session_id IN (SELECT session_id FROM events_{prev}) {{% end %}}\n    GROUP BY date, session_id\n\nNODE endpoint\nSQL >\n    SELECT * FROM filtered ORDER BY hits DESC LIMIT {{{{ Int32(limit, 10) }}}}\n\nTYPE endpoint\n"),
        ));
        out.push((
            format!("pipes/copy_{k}.pipe"),
            format!("NODE snapshot\nSQL >\n    WITH recent AS (SELECT * FROM events_{k} WHERE timestamp > now() - INTERVAL 1 DAY)\n    SELECT toDate(timestamp) AS date, session_id, countState() AS hits FROM recent GROUP BY date, session_id\n\nTYPE copy\nTARGET_DATASOURCE sessions_{k}\n"),
        ));
    }
    out.truncate(n);
    out
}

/// Peak resident memory of this process (VmHWM), in MiB.
#[allow(dead_code)]
pub fn peak_rss_mib() -> Option<f64> {
    peak_rss_mib_of("self")
}

/// Peak resident memory (VmHWM) of a process (`"self"` or a pid), in MiB.
#[allow(dead_code)]
pub fn peak_rss_mib_of(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
