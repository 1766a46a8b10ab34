// Finding the `tinybird-lsp` executable: the `tinybird.server.path` setting, then the server
// bundled in a platform-specific .vsix (`server/` inside the extension), then PATH, then
// Cargo's bin folder. No VS Code API here, so that it can be tested with plain Node.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Run in a checkout of tinybird-lsp; puts the executable in ~/.cargo/bin. */
export const INSTALL_COMMAND = "cargo install --locked --path .";

export type Found = { ok: true; path: string } | { ok: false; message: string };

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    if (process.platform === "win32") return true;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function expandHome(p: string): string {
  if (p === "~") return os.homedir();
  if (p.startsWith("~/")) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** `bundledDir`: the extension's `server/` folder (present in a platform-specific .vsix). */
export function findServer(configured: string, env: NodeJS.ProcessEnv, bundledDir?: string): Found {
  const exe = process.platform === "win32" ? "tinybird-lsp.exe" : "tinybird-lsp";
  const setting = configured.trim();
  if (setting !== "") {
    const p = expandHome(setting);
    if (isExecutable(p)) return { ok: true, path: p };
    return {
      ok: false,
      message:
        `Tinybird: the language server was not found at "${setting}" (setting tinybird.server.path). ` +
        `Fix the path, or clear it to use tinybird-lsp from PATH (install it by running "${INSTALL_COMMAND}" in a checkout of tinybird-lsp).`,
    };
  }
  if (bundledDir) {
    const p = path.join(bundledDir, exe);
    if (isExecutable(p)) return { ok: true, path: p };
  }
  const dirs = (env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
  dirs.push(path.join(env.CARGO_HOME ?? path.join(os.homedir(), ".cargo"), "bin"));
  for (const d of dirs) {
    const p = path.join(d, exe);
    if (isExecutable(p)) return { ok: true, path: p };
  }
  return {
    ok: false,
    message:
      `Tinybird: the language server tinybird-lsp is not installed (not on PATH, not in ~/.cargo/bin). ` +
      `Install it by running "${INSTALL_COMMAND}" in a checkout of tinybird-lsp, or set tinybird.server.path to the executable.`,
  };
}
