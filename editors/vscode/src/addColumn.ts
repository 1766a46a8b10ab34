// "Tinybird: Add Column to Materialized View": asks which materialized view (the one of the
// active file first), the migration form in Forward projects, the column's name, type and
// expression, then runs the server's `tinybird.migrate` command; asks for the time column
// when the server needs it.
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";

interface ViewInfo {
  datasource: string;
  path: string;
  uri: string | null;
  columns: string[];
  writers: { node: string; path: string }[];
  timeColumns: string[];
  migrating: boolean;
}

interface Catalog {
  dialect: "classic" | "forward";
  root: string | null;
  views: ViewInfo[];
}

type Run = (c: LanguageClient, request: Record<string, unknown>) => Promise<string[] | undefined>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function addColumn(c: LanguageClient, run: Run): Promise<void> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const answer = await c.sendRequest<{ projects: Catalog[] }>("tinybird/materializedViews", {
    uri: active?.toString() ?? null,
  });
  const choices = answer.projects.flatMap((p) => p.views.map((v) => ({ project: p, view: v })));
  if (choices.length === 0) {
    void vscode.window.showInformationMessage(
      "Tinybird: no materialized view in this project (no node with TYPE materialized writing into a datasource with a SCHEMA).",
    );
    return;
  }
  const activePath = active?.toString();
  const isActive = (v: ViewInfo) =>
    v.uri === activePath || v.writers.some((w) => activePath?.endsWith("/" + w.path));
  choices.sort((a, b) => Number(isActive(b.view)) - Number(isActive(a.view)));
  const picked =
    choices.length === 1
      ? choices[0]
      : (
          await vscode.window.showQuickPick(
            choices.map((ch) => ({
              label: ch.view.datasource,
              description: `← ${ch.view.writers.map((w) => w.node).join(", ")}`,
              detail: ch.view.migrating ? `${ch.view.path} (already in a migration)` : ch.view.path,
              ch,
            })),
            { title: "Add a column to which materialized view?", matchOnDescription: true },
          )
        )?.ch;
  if (!picked) return;
  const { project, view } = picked;

  let action = "add-column";
  if (project.dialect === "forward") {
    const form = await vscode.window.showQuickPick(
      [
        {
          label: "New datasource, backfill, repoint",
          detail: "Safe: the old datasource keeps serving until every dependent reads the new one.",
          action: "add-column",
        },
        {
          label: "In place with FORWARD_QUERY",
          detail: "Tinybird Forward migrates the datasource's rows at deploy time.",
          action: "forward-add-column",
        },
      ],
      { title: `Add a column to ${view.datasource}: how?` },
    );
    if (!form) return;
    action = form.action;
  }

  let node: string | undefined;
  if (view.writers.length > 1) {
    const w = await vscode.window.showQuickPick(
      view.writers.map((w) => ({ label: w.node, detail: w.path })),
      { title: `Which node materializes the new column into ${view.datasource}?` },
    );
    if (!w) return;
    node = w.label;
  }

  const name = await vscode.window.showInputBox({
    title: `New column of ${view.datasource} (1/3): name`,
    prompt: "Column name",
    validateInput: (v) => {
      if (!IDENTIFIER.test(v)) return "A column name: letters, digits and _, not starting with a digit";
      if (view.columns.includes(v)) return `${view.datasource} already has a column ${v}`;
      return undefined;
    },
  });
  if (!name) return;
  const type = await vscode.window.showInputBox({
    title: `New column of ${view.datasource} (2/3): ClickHouse type`,
    prompt: "For example String, LowCardinality(String), UInt64, SimpleAggregateFunction(any, String)",
    value: "String",
    validateInput: (v) => (v.trim() === "" ? "A ClickHouse type" : undefined),
  });
  if (!type) return;
  const expression = await vscode.window.showInputBox({
    title: `New column of ${view.datasource} (3/3): expression`,
    prompt: "What the materializing SELECT computes for it, for example anySimpleState(environment)",
    value: name,
    validateInput: (v) => (v.trim() === "" ? "A SQL expression" : undefined),
  });
  if (!expression) return;

  const request: Record<string, unknown> = {
    action,
    datasource: view.datasource,
    column: { name, type: type.trim(), expression: expression.trim() },
    uri: view.uri ?? undefined,
  };
  if (node) request.node = node;
  for (let attempt = 0; attempt < 2; attempt++) {
    const more = await run(c, request);
    if (more === undefined || more.length === 0) return;
    const time = await vscode.window.showQuickPick(more, {
      title: "Which time column carries the cutoff?",
    });
    if (!time) return;
    request.timeColumn = time;
  }
}
