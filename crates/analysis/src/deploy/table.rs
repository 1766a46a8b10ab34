//! How Tinybird deploys each kind of change, as one table (../shared/reference/deploy-plan.md
//! §1–§2). Every classification of the plan reads it; a fact found wrong is corrected here
//! once. `documented: false` marks what is inferred rather than documented: the plan says so.

use serde::Serialize;

/// One kind of change to a deployed resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    ColumnAdded,
    ColumnRemoved,
    /// `T` → `Nullable(T)`.
    ColumnMadeNullable,
    /// Any other type change.
    ColumnRetyped,
    ColumnDefaultChanged,
    ColumnCodecChanged,
    /// The `json:` path: how rows are ingested, not how they are stored.
    ColumnJsonPathChanged,
    /// The same columns in another order.
    ColumnsReordered,
    TtlChanged,
    IndexChanged,
    EngineChanged,
    SortingKeyChanged,
    PartitionKeyChanged,
    PrimaryKeyChanged,
    /// `ENGINE_VER`, `ENGINE_SIGN`, `ENGINE_IS_DELETED`, `ENGINE_SETTINGS`, `ENGINE_SAMPLING_KEY`, …
    EngineSettingChanged,
    /// Connector settings of a datasource (Kafka, S3, …).
    ConnectorChanged,
    DescriptionChanged,
    TokensChanged,
    SharingChanged,
    /// Classic `VERSION`: deployed under another name.
    VersionChanged,
    /// The query of a materialized node.
    MaterializedQueryChanged,
    /// The table a materialized node reads (its FROM).
    MaterializedSourceChanged,
    /// The datasource a materialized node writes.
    MaterializedTargetChanged,
    /// The SQL of a node that writes nothing (endpoints, intermediate nodes), or a copy's.
    QueryChanged,
    /// Node types, copy schedules and modes, parameters of sinks…
    PipeSettingsChanged,
    /// A connection's settings.
    ConnectionChanged,
}

/// What a change asks of the deployed table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Nothing in the table: ingestion settings, descriptions, tokens, endpoints.
    Update,
    /// Applied in place, no data moved.
    Alter,
    /// A new table filled from the old one.
    Rewrite,
    /// Incompatible with the rows deployed: only a FORWARD_QUERY can carry them (Forward); the
    /// deployment fails without one.
    NeedsForwardQuery,
    /// Tinybird refuses it whatever the files say.
    Refused,
}

pub struct Entry {
    pub what: What,
    pub forward: Effect,
    pub classic: Effect,
    /// Documented by Tinybird (deploy-plan.md cites where); `false`: inferred.
    pub documented: bool,
    /// Why, in a few words (shown in the plan's reasons).
    pub note: &'static str,
}

const fn e(
    what: What,
    forward: Effect,
    classic: Effect,
    documented: bool,
    note: &'static str,
) -> Entry {
    Entry {
        what,
        forward,
        classic,
        documented,
        note,
    }
}

use Effect::*;
use What::*;

/// Classic `tb deploy` (the default alter strategy) applies a column added and a TTL in place;
/// anything else needs the versioned migration by hand (deploy-plan.md §2).
pub const CLASSIC_BY_HAND: &str =
    "Classic cannot apply it in place: deploy a new version and backfill it (add-column-to-mv.md)";

pub static TABLE: &[Entry] = &[
    e(ColumnAdded, Alter, Alter, true, "adding a column is an ALTER in place"),
    e(ColumnRemoved, Alter, Refused, true, "removing a column is an ALTER in place; its data is dropped"),
    e(ColumnMadeNullable, Alter, Refused, true, "making a column Nullable is an ALTER in place"),
    e(ColumnRetyped, NeedsForwardQuery, Refused, true, "a type change other than Nullable is incompatible with the deployed rows: it needs a FORWARD_QUERY"),
    e(ColumnDefaultChanged, Alter, Refused, false, "a DEFAULT changes only rows written later (ALTER … MODIFY COLUMN)"),
    e(ColumnCodecChanged, Alter, Refused, false, "a CODEC applies to parts written or merged later (ALTER … MODIFY COLUMN)"),
    e(ColumnJsonPathChanged, Update, Update, false, "a jsonpath changes how rows are ingested, not the table"),
    e(ColumnsReordered, Rewrite, Refused, false, "columns cannot be reordered in place"),
    e(TtlChanged, Alter, Alter, true, "adding, changing or removing ENGINE_TTL is an ALTER in place; a new or shorter TTL deletes the rows already older than it"),
    e(IndexChanged, Alter, Refused, true, "adding or dropping an index is an ALTER in place"),
    e(EngineChanged, Rewrite, Refused, true, "a new engine needs a new table"),
    e(SortingKeyChanged, Rewrite, Refused, false, "a new sorting key needs a new table"),
    e(PartitionKeyChanged, Rewrite, Refused, true, "a new partition key needs a new table"),
    e(PrimaryKeyChanged, Rewrite, Refused, false, "a new primary key needs a new table"),
    e(EngineSettingChanged, Rewrite, Refused, true, "engine settings need a new table"),
    e(ConnectorChanged, Update, Update, false, "connector settings change ingestion, not the table"),
    e(DescriptionChanged, Update, Update, true, "descriptions are metadata"),
    e(TokensChanged, Update, Update, true, "tokens are permissions, not data"),
    e(SharingChanged, Update, Update, true, "sharing is a permission, not data"),
    e(VersionChanged, Update, Update, true, "a new VERSION is deployed as a new resource `name__vN`; the old one stays until removed"),
    e(MaterializedQueryChanged, Rewrite, Update, true, "a changed materialized query rewrites its target and replays it over the source (unless DEPLOYMENT_METHOD alter)"),
    e(MaterializedSourceChanged, Refused, Update, true, "Tinybird refuses to change the source (FROM) of an existing materialized pipe"),
    e(MaterializedTargetChanged, Rewrite, Update, false, "the new target is filled by replaying the pipe over its source"),
    e(QueryChanged, Update, Update, true, "a query that writes nothing moves no data"),
    e(PipeSettingsChanged, Update, Update, false, "pipe settings move no data"),
    e(ConnectionChanged, Update, Update, false, "connection settings move no data"),
];
/// The table's entry for `what`.
pub fn entry(what: What) -> &'static Entry {
    TABLE
        .iter()
        .find(|e| e.what == what)
        .expect("every kind of change is in the table")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_exactly_one_entry() {
        let all = [
            ColumnAdded,
            ColumnRemoved,
            ColumnMadeNullable,
            ColumnRetyped,
            ColumnDefaultChanged,
            ColumnCodecChanged,
            ColumnJsonPathChanged,
            ColumnsReordered,
            TtlChanged,
            IndexChanged,
            EngineChanged,
            SortingKeyChanged,
            PartitionKeyChanged,
            PrimaryKeyChanged,
            EngineSettingChanged,
            ConnectorChanged,
            DescriptionChanged,
            TokensChanged,
            SharingChanged,
            VersionChanged,
            MaterializedQueryChanged,
            MaterializedSourceChanged,
            MaterializedTargetChanged,
            QueryChanged,
            PipeSettingsChanged,
            ConnectionChanged,
        ];
        for w in all {
            assert_eq!(TABLE.iter().filter(|e| e.what == w).count(), 1, "{w:?}");
        }
        assert_eq!(TABLE.len(), all.len());
    }
}
