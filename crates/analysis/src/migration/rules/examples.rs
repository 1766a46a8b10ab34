//! The pieces the migration rules' examples are built from (inline fixtures, joined with
//! `concat!`): a Classic project with a landing datasource `hits`, an aggregating view
//! `sessions_mv` into `sessions` and an endpoint reading it; then the migration that adds
//! `env` to it: the new target `sessions_2`, its live pipe cut at 2026-01-01 00:00:00 and a
//! copy backfill up to the same instant.

/// The project before the migration.
macro_rules! base {
    () => {
        r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime,
            `session_id` String,
            `device` String,
            `env` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- datasources/sessions.datasource
        SCHEMA >
            `date` Date,
            `session_id` String,
            `device` SimpleAggregateFunction(any, String),
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "date, session_id"
        //- pipes/sessions_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device, countState() AS hits
            FROM hits
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions
        //- pipes/api.pipe
        NODE n
        SQL >
            SELECT date, countMerge(hits) AS hits FROM sessions GROUP BY date
        "#
    };
}

/// The new target, with the column `env`.
macro_rules! new_target {
    () => {
        r#"
        //- datasources/sessions_2.datasource
        SCHEMA >
            `date` Date,
            `session_id` String,
            `device` SimpleAggregateFunction(any, String),
            `env` SimpleAggregateFunction(any, String),
            `hits` AggregateFunction(count)
        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "date, session_id"
        "#
    };
}

/// The live pipe into the new target, cut at the instant.
macro_rules! live {
    () => {
        r#"
        //- pipes/sessions_2_mv.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts > '2026-01-01 00:00:00'
            GROUP BY date, session_id
        TYPE materialized
        DATASOURCE sessions_2
        "#
    };
}

/// The backfill of the new target up to the instant, as a copy pipe.
macro_rules! backfill {
    () => {
        r#"
        //- pipes/sessions_2_backfill.pipe
        NODE n
        SQL >
            SELECT toDate(ts) AS date, session_id, anySimpleState(device) AS device,
                anySimpleState(env) AS env, countState() AS hits
            FROM hits
            WHERE ts <= '2026-01-01 00:00:00'
            GROUP BY date, session_id
        TYPE copy
        TARGET_DATASOURCE sessions_2
        "#
    };
}

/// A quality test comparing the legacy and the new target, with a lag window.
macro_rules! quality_test {
    () => {
        r#"
        //- tests/sessions_2.yaml
        - totals_match:
            max_bytes_read: null
            max_time: null
            sql: |
              SELECT
                (SELECT countMerge(hits) FROM sessions WHERE date < '2026-01-01') AS legacy,
                (SELECT countMerge(hits) FROM sessions_2 WHERE date < '2026-01-01') AS new
              WHERE legacy != new
        "#
    };
}

/// The landing datasource with its time in Madrid (days and cutoffs there).
macro_rules! madrid_hits {
    () => {
        r#"
        //- datasources/hits.datasource
        SCHEMA >
            `ts` DateTime('Europe/Madrid'),
            `session_id` String,
            `device` String,
            `env` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        "#
    };
}

/// The project in the middle of the migration: every piece in place.
macro_rules! migrated {
    () => {
        concat!(
            base!(),
            new_target!(),
            live!(),
            backfill!(),
            quality_test!()
        )
    };
}
