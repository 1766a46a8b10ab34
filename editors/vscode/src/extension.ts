// The Tinybird extension: starts `tinybird-lsp serve` for the Tinybird languages, passes the
// `tinybird.*` settings to it, and adds commands (restart, add a column to a materialized view
// through the server's safe-migration command, show the project graph and the deploy plan).
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import { findServer, INSTALL_COMMAND } from "./server";
import { serverSettings } from "./settings";
import { addColumn } from "./addColumn";
import { showGraph } from "./graph";
import { registerPlanDocuments, showPlan } from "./plan";

export const LANGUAGES = [
  "tinybird-datasource",
  "tinybird-pipe",
  "tinybird-include",
  "tinybird-connection",
];

interface LspLocation {
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Tinybird Language Server", { log: true });
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand("tinybird.restartServer", () => restart(context)),
    vscode.commands.registerCommand("tinybird.showOutput", () => output.show(true)),
    vscode.commands.registerCommand("tinybird.addColumn", async () => {
      const c = await running(context);
      if (c) await addColumn(c, runMigration);
    }),
    vscode.commands.registerCommand("tinybird.showGraph", async () => {
      const c = await running(context);
      if (c) await showGraph(c, context);
    }),
    registerPlanDocuments(),
    // From the palette, or from the deploy lens of a changed datafile (with its URI).
    vscode.commands.registerCommand("tinybird.showDeployPlan", async (uri?: string) => {
      const c = await running(context);
      if (c) await showPlan(c, typeof uri === "string" ? uri : undefined);
    }),
    // The server's code lenses ("3 readers · materializes into x") carry LSP locations.
    vscode.commands.registerCommand(
      "tinybird.showReferences",
      async (uri: string, position: { line: number; character: number }, locations: LspLocation[]) => {
        await vscode.commands.executeCommand(
          "editor.action.showReferences",
          vscode.Uri.parse(uri),
          new vscode.Position(position.line, position.character),
          (locations ?? []).map(
            (l) =>
              new vscode.Location(
                vscode.Uri.parse(l.uri),
                new vscode.Range(
                  l.range.start.line,
                  l.range.start.character,
                  l.range.end.line,
                  l.range.end.character,
                ),
              ),
          ),
        );
      },
    ),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration("tinybird")) return;
      const needsRestart = ["server.path", "server.logLevel", "diagnostics.mode"].some((k) =>
        e.affectsConfiguration(`tinybird.${k}`),
      );
      if (needsRestart) {
        const pick = await vscode.window.showInformationMessage(
          "Tinybird: restart the language server to apply the new settings?",
          "Restart",
        );
        if (pick === "Restart") await restart(context);
      } else if (client?.state === State.Running) {
        // No settings in the notification: the server asks for section `tinybird` through
        // workspace/configuration, which the middleware below answers.
        await client.sendNotification("workspace/didChangeConfiguration", { settings: null });
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

async function start(context: vscode.ExtensionContext): Promise<LanguageClient | undefined> {
  const config = vscode.workspace.getConfiguration("tinybird");
  const found = findServer(
    config.get<string>("server.path") ?? "",
    process.env,
    context.asAbsolutePath("server"),
  );
  if (!found.ok) {
    output.appendLine(found.message);
    const actions = ["Open Settings", "Copy Install Command"];
    void vscode.window.showErrorMessage(found.message, ...actions).then(async (pick) => {
      if (pick === "Open Settings") {
        await vscode.commands.executeCommand("workbench.action.openSettings", "tinybird.server.path");
      } else if (pick === "Copy Install Command") {
        await vscode.env.clipboard.writeText(INSTALL_COMMAND);
      }
    });
    return undefined;
  }
  output.appendLine(`Starting ${found.path} serve`);
  const serverOptions: ServerOptions = {
    command: found.path,
    args: ["serve"],
    options: {
      env: { ...process.env, TINYBIRD_LSP_LOG: config.get<string>("server.logLevel") ?? "info" },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    initializationOptions: serverSettings(vscode.workspace.getConfiguration("tinybird")),
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    middleware: {
      workspace: {
        configuration: (params) =>
          params.items.map((item) => {
            if (item.section && item.section !== "tinybird") return null;
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            return serverSettings(vscode.workspace.getConfiguration("tinybird", scope));
          }),
      },
    },
  };
  const c = new LanguageClient("tinybird", "Tinybird Language Server", serverOptions, clientOptions);
  try {
    await c.start();
  } catch (e) {
    const message = `Tinybird: the language server (${found.path}) failed to start: ${String(e)}`;
    output.appendLine(message);
    void vscode.window.showErrorMessage(message, "Show Output").then((pick) => {
      if (pick) output.show(true);
    });
    return undefined;
  }
  client = c;
  context.subscriptions.push({ dispose: () => void c.stop() });
  return c;
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop();
    } catch (e) {
      output.appendLine(`stopping the server: ${String(e)}`);
    }
  }
  const c = await start(context);
  if (c) vscode.window.setStatusBarMessage("Tinybird language server restarted", 3000);
}

/** The running client, starting it when it is not (e.g. installed since). */
async function running(context: vscode.ExtensionContext): Promise<LanguageClient | undefined> {
  if (client?.state === State.Running) return client;
  return start(context);
}

/**
 * Runs the server's `tinybird.migrate` command. The server sends the WorkspaceEdit back with
 * workspace/applyEdit and shows the notes. Returns the error's `choices` when the server needs
 * one more answer (the time column), else undefined; throws other errors.
 */
export async function runMigration(
  c: LanguageClient,
  request: Record<string, unknown>,
): Promise<string[] | undefined> {
  try {
    await c.sendRequest(ExecuteCommandRequest.type, {
      command: "tinybird.migrate",
      arguments: [request],
    });
    return undefined;
  } catch (e) {
    if (e instanceof ResponseError) {
      const choices = (e.data as { choices?: string[] } | undefined)?.choices;
      if (choices && choices.length > 0) return choices;
      // The server has already shown the message.
      return [];
    }
    throw e;
  }
}
