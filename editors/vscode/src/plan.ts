// "Tinybird: Show Deploy Plan": what deploying the files does to the deployed version (the git
// base the server reads), from the server's `tinybird/plan` request, in a read-only document
// beside the editor. The deploy lens on a changed datafile runs it with that file's URI.
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { planText, ProjectPlan } from "./planText";

export const SCHEME = "tinybird-plan";
const DOC = vscode.Uri.parse(`${SCHEME}:Tinybird deploy plan.md`);

class PlanDocuments implements vscode.TextDocumentContentProvider {
  text = "";
  private changed = new vscode.EventEmitter<vscode.Uri>();
  onDidChange = this.changed.event;
  provideTextDocumentContent(): string {
    return this.text;
  }
  set(text: string): void {
    this.text = text;
    this.changed.fire(DOC);
  }
}

const documents = new PlanDocuments();

export function registerPlanDocuments(): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(SCHEME, documents);
}

export async function showPlan(c: LanguageClient, uri?: string): Promise<void> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString() ?? null;
  const answer = await c.sendRequest<{ projects: ProjectPlan[] }>("tinybird/plan", { uri: target });
  documents.set(planText(answer.projects));
  const doc = await vscode.workspace.openTextDocument(DOC);
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}
