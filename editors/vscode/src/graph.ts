// "Tinybird: Show Project Graph": the server's dependency graph drawn in a webview, data
// flowing left to right (landing datasources, then the pipes reading them, then what they
// materialize into, ...). Clicking a box opens its file.
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { layout, GraphNode, GraphEdge } from "./layout";

interface ProjectGraph {
  root: string | null;
  dialect: string;
  nodes: (GraphNode & { uri: string | null })[];
  edges: GraphEdge[];
  mermaid: string;
}

let panel: vscode.WebviewPanel | undefined;

export async function showGraph(c: LanguageClient, context: vscode.ExtensionContext): Promise<void> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const answer = await c.sendRequest<{ projects: ProjectGraph[] }>("tinybird/graph", {
    uri: active?.toString() ?? null,
  });
  if (answer.projects.length === 0) {
    void vscode.window.showInformationMessage("Tinybird: no project in this workspace yet.");
    return;
  }
  if (!panel) {
    panel = vscode.window.createWebviewPanel(
      "tinybirdGraph",
      "Tinybird graph",
      vscode.ViewColumn.Beside,
      { enableScripts: true },
    );
    panel.onDidDispose(() => (panel = undefined), null, context.subscriptions);
    panel.webview.onDidReceiveMessage(async (m: { open?: string; copy?: string }) => {
      if (m.open) await vscode.window.showTextDocument(vscode.Uri.parse(m.open), { preview: true });
      if (m.copy) {
        await vscode.env.clipboard.writeText(m.copy);
        vscode.window.setStatusBarMessage("Mermaid graph copied", 3000);
      }
    });
  }
  panel.webview.html = render(answer.projects, panel.webview.cspSource);
  panel.reveal(vscode.ViewColumn.Beside, true);
}

const COLORS: Record<string, string> = {
  datasource: "#2f7d5b",
  endpoint: "#3b5bdb",
  materialized: "#9c36b5",
  copy: "#e8590c",
  sink: "#c92a2a",
  stream: "#c92a2a",
  pipe: "#495057",
  connection: "#c2410c",
  test: "#868e96",
};

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function svg(g: ProjectGraph): string {
  const L = layout(g.nodes, g.edges);
  const uri = new Map(g.nodes.map((n) => [n.name, n.uri]));
  const parts: string[] = [];
  for (const e of L.edges) {
    const dashed = e.kind === "reads" || e.kind === "test_reads";
    parts.push(
      `<path class="edge" d="${e.path}" stroke-dasharray="${dashed ? "4 3" : ""}" marker-end="url(#arrow)"><title>${escape(
        `${e.from} ${e.kind.replace("_", " ")} ${e.to}`,
      )}</title></path>`,
    );
  }
  for (const n of L.nodes) {
    const color = COLORS[n.kind] ?? "#495057";
    const rx = n.kind === "datasource" ? 12 : 4;
    const target = uri.get(n.name);
    parts.push(
      `<g class="node" data-open="${escape(target ?? "")}" transform="translate(${n.x},${n.y})">` +
        `<rect width="${n.width}" height="${n.height}" rx="${rx}" fill="${color}"/>` +
        `<text x="${n.width / 2}" y="18" class="name">${escape(n.name)}</text>` +
        `<text x="${n.width / 2}" y="33" class="kind">${escape(n.kind)}</text>` +
        `<title>${escape(n.path)}</title></g>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">` +
    `<path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>${parts.join("")}</svg>`
  );
}

function render(projects: ProjectGraph[], csp: string): string {
  const sections = projects
    .map(
      (g, i) =>
        `<section><h2>${escape(g.root ? vscode.Uri.parse(g.root).fsPath : "project")} <small>${escape(g.dialect)}</small>` +
        ` <button data-copy="${i}">Copy as Mermaid</button></h2>${svg(g)}</section>`,
    )
    .join("");
  const mermaid = JSON.stringify(projects.map((g) => g.mermaid));
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${csp} 'unsafe-inline'; script-src 'unsafe-inline';">
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); }
h2 { font-size: 1em; font-weight: 600; }
small { opacity: .7; font-weight: normal; }
.edge { fill: none; stroke: currentColor; stroke-opacity: .6; stroke-width: 1.4; }
.node { cursor: pointer; }
.node text { fill: #fff; text-anchor: middle; font-size: 12px; }
.node .kind { font-size: 10px; opacity: .85; }
.node:hover rect { stroke: var(--vscode-focusBorder); stroke-width: 2; }
.legend span { display: inline-block; margin-right: 1em; }
</style></head><body>
<div class="legend">Solid arrows: materializes / copies / sinks into. Dashed: reads. Click a box to open its file.</div>
${sections}
<script>
const vscode = acquireVsCodeApi();
const mermaid = ${mermaid};
document.querySelectorAll('.node').forEach(n => n.addEventListener('click', () => {
  const open = n.getAttribute('data-open'); if (open) vscode.postMessage({ open });
}));
document.querySelectorAll('button[data-copy]').forEach(b => b.addEventListener('click', () => {
  vscode.postMessage({ copy: mermaid[Number(b.getAttribute('data-copy'))] });
}));
</script></body></html>`;
}
