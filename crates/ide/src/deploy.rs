//! What the deploy plan ([`analysis::deploy`]) shows in a file: a lens on each changed
//! datafile ("deploys as: rewrite through FORWARD_QUERY") and a hover on each change with the
//! reasons. Both come from the one wording of [`analysis::deploy::text`].

use analysis::deploy::text::{change_lines, method_text};
use analysis::deploy::{short_rev, ChangeKind, Plan};
use syntax::text::TextRange;

/// The lens title of the file at `path`, when the plan changes the resource it defines.
pub fn lens(plan: &Plan, path: &str) -> Option<String> {
    let c = plan.of_path(path)?;
    let mut title = format!("deploys as: {}", method_text(c));
    if c.change == ChangeKind::Unchanged {
        title.push_str(" (unchanged, rewritten with what it reads)");
    }
    Some(title)
}

/// The hover at `offset` of the file at `path`: on a change the plan lists (a column, a key,
/// the query), what it is, how the resource deploys and why. Returns the change's range and
/// markdown.
pub fn hover(plan: &Plan, path: &str, offset: usize) -> Option<(TextRange, String)> {
    let c = plan.of_path(path)?;
    let here = c.details.iter().find(|d| {
        d.range
            .is_some_and(|r| r.start <= offset && offset <= r.end && !r.is_empty())
    })?;
    let mut md = format!(
        "**Deploy** against `{}`: {}\n\nThis change: {}\n",
        short_rev(&plan.base),
        method_text(c),
        here.text
    );
    let lines = change_lines(c);
    if !lines.is_empty() {
        md.push_str(&format!("\n{} `{}`:\n", c.kind.as_str(), c.resource));
        for l in lines {
            // Every line a list item (the details are already).
            let bullet = if l.starts_with("- ") { "" } else { "- " };
            md.push_str(&format!("{bullet}{l}\n"));
        }
    }
    Some((here.range?, md))
}

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::fixture::Fixture;

    const RETYPE: &str = r#"
        //- dialect: forward
        //- datasources/events.datasource
        SCHEMA >
            `ts` DateTime,
            `country` ⟦LowCardinality(String)⟧

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- datasources/other.datasource
        SCHEMA >
            `ts` DateTime

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
        //- base: datasources/events.datasource
        SCHEMA >
            `ts` DateTime,
            `country` String

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ts"
    "#;

    fn plan(f: &Fixture) -> std::sync::Arc<Plan> {
        f.analyze().plan.expect("the fixture has a base")
    }

    #[test]
    fn lens_on_changed_files_only() {
        let f = Fixture::parse(RETYPE);
        let plan = plan(&f);
        assert_eq!(
            lens(&plan, "datasources/events.datasource").as_deref(),
            Some("deploys as: REFUSED: the deploy fails")
        );
        assert_eq!(lens(&plan, "datasources/other.datasource"), None);
    }

    #[test]
    fn hover_on_the_change_gives_the_reasons() {
        let f = Fixture::parse(RETYPE);
        let plan = plan(&f);
        let (_, mark) = &f.marks[0];
        let (range, md) = hover(&plan, "datasources/events.datasource", mark.start + 2)
            .expect("a hover on the retyped column");
        assert!(
            range.start <= mark.start && mark.end <= range.end,
            "{range:?}"
        );
        assert!(md.starts_with("**Deploy** against `base`: REFUSED"), "{md}");
        assert!(
            md.contains("This change: column `country` String → LowCardinality(String)"),
            "{md}"
        );
        assert!(md.contains("- why: "), "{md}");
        // Elsewhere in the file (the unchanged `ts` column): nothing.
        assert_eq!(hover(&plan, "datasources/events.datasource", 14), None);
    }
}
