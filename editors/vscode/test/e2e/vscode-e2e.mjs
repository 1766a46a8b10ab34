// End-to-end test in real VS Code: code-server (VS Code for the browser) driven by headless
// Chromium through Playwright. Installs the .vsix, opens a copy of the example project in which
// the materializing pipe computes a column its target lacks, sees the diagnostic in the editor
// and in the Problems panel, applies the safe-migration quick fix through Ctrl+., saves, checks
// the files on disk, opens the project graph and the deploy plan against the committed
// example (the copy is a git repository). A screenshot of each step goes to SHOTS.
//
//   node vscode-e2e.mjs --cache DIR --server BIN --vsix FILE --example DIR --shots DIR [--bundled yes]
//
// With --bundled, the .vsix is a platform one with the server inside: no tinybird.server.path,
// no tinybird-lsp on PATH or in Cargo's bin folder, so the diagnostics prove the bundled server
// runs.
import { spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const bundled = args.bundled === "yes";
for (const k of ["cache", "server", "vsix", "example", "shots"]) {
  if (!args[k]) throw new Error(`missing --${k}`);
}
const cache = resolve(args.cache);
const require = createRequire(join(cache, "playwright", "package.json"));
const { chromium } = require("playwright-core");
const codeServer = join(cache, "code-server", "node_modules", ".bin", "code-server");
const node24 = join(cache, "node24", "bin");
const shots = resolve(args.shots);
mkdirSync(shots, { recursive: true });

const work = mkdtempSync(join(tmpdir(), "tb-vscode-e2e-"));
const project = join(work, "project");
cpSync(resolve(args.example), project, { recursive: true });
// The example as deployed: committed, so that the deploy plan compares the edits with it.
for (const gitArgs of [["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "deployed"]]) {
  const g = spawnSync(
    "git",
    ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false", ...gitArgs],
    { cwd: project, encoding: "utf8" },
  );
  if (g.status !== 0) throw new Error(`git ${gitArgs.join(" ")}: ${g.stderr}`);
}
// The user adds a column to the materializing SELECT that the target does not have.
const pipePath = join(project, "pipes", "visits.pipe");
const original = readFileSync(pipePath, "utf8");
const edited = original.replace(
  "        anySimpleState(device) AS device,\n",
  "        anySimpleState(device) AS device,\n        anySimpleState(country) AS country,\n",
);
if (edited === original) throw new Error("the example's visits.pipe changed: update this test");
writeFileSync(pipePath, edited);

const home = join(work, "home");
const data = join(work, "data");
const ext = join(work, "ext");
mkdirSync(join(data, "User"), { recursive: true });
writeFileSync(
  join(data, "User", "settings.json"),
  JSON.stringify(
    {
      ...(bundled ? {} : { "tinybird.server.path": resolve(args.server) }),
      "tinybird.migration.now": "2026-03-01 10:17:00",
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "security.workspace.trust.enabled": false,
      "telemetry.telemetryLevel": "off",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "update.mode": "none",
      "editor.quickSuggestions": { other: false, comments: false, strings: false },
      "files.autoSave": "off",
      "window.restoreWindows": "none",
      "chat.disableAIFeatures": true,
      "workbench.secondarySideBar.defaultVisibility": "hidden",
    },
    null,
    2,
  ),
);
const env = {
  ...process.env,
  PATH: `${node24}:${process.env.PATH}`,
  HOME: home,
  XDG_CONFIG_HOME: join(home, ".config"),
  XDG_DATA_HOME: join(home, ".local", "share"),
  XDG_CACHE_HOME: join(home, ".cache"),
  // Nothing to find but the bundled server (the PATH holds node and the system's tools).
  ...(bundled ? { CARGO_HOME: join(work, "no-cargo") } : {}),
};
if (bundled) {
  for (const dir of (env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "tinybird-lsp"))) throw new Error(`tinybird-lsp is on PATH (${dir}): the bundled test proves nothing`);
  }
}
const dirs = ["--user-data-dir", data, "--extensions-dir", ext];

let failed = false;
const step = (name) => console.log(`vscode-e2e: ${name}`);
function check(ok, what) {
  if (!ok) {
    failed = true;
    console.error(`vscode-e2e: FAIL ${what}`);
  } else {
    console.log(`vscode-e2e: ok   ${what}`);
  }
}

step("installing the .vsix");
const install = spawnSync(codeServer, [...dirs, "--install-extension", resolve(args.vsix), "--force"], {
  env,
  encoding: "utf8",
});
if (install.status !== 0) {
  console.error(install.stdout, install.stderr);
  throw new Error("code-server --install-extension failed");
}
check(/successfully installed/i.test(install.stdout + install.stderr), "the .vsix installs");
if (bundled) {
  const installed = readdirSync(ext).find((d) => d.startsWith("tinybird-lsp."));
  const exe = installed ? join(ext, installed, "server", "tinybird-lsp") : "";
  let executable = false;
  try {
    accessSync(exe, constants.X_OK);
    executable = true;
  } catch {
    /* missing or not executable */
  }
  check(executable, `the installed extension holds an executable server (${exe})`);
}

const port = await new Promise((res) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const serverLog = [];
const cs = spawn(
  codeServer,
  [
    "--bind-addr",
    `127.0.0.1:${port}`,
    "--auth",
    "none",
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    ...dirs,
    project,
  ],
  { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
);
cs.stdout.on("data", (d) => serverLog.push(String(d)));
cs.stderr.on("data", (d) => serverLog.push(String(d)));

let browser;
const shot = async (page, name) => {
  await page.screenshot({ path: join(shots, `${name}.png`) });
  step(`screenshot ${name}.png`);
};
try {
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(project)}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 120) throw new Error(`code-server did not start:\n${serverLog.join("")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30000);
  await page.goto(url);
  await page.waitForSelector(".monaco-workbench");
  await shot(page, "01-workbench");

  step("opening pipes/visits.pipe from the explorer");
  await page.getByRole("treeitem", { name: /^pipes$/ }).click();
  await page.getByRole("treeitem", { name: /^visits\.pipe\b/ }).first().click();
  await page.waitForSelector(".monaco-editor .view-line");
  const squiggle = page.locator(".monaco-editor .squiggly-warning, .monaco-editor .squiggly-error");
  await squiggle.first().waitFor({ timeout: 60000 });
  check((await squiggle.count()) > 0, "the server's diagnostic is underlined in the editor");
  // The file's opening makes the client pull again while the first pull may still run; the
  // underline must stay (vscode-languageclient 9 blanked it when it cancelled its own pull).
  let blank = 0;
  for (let i = 0; i < 30; i++) {
    if ((await squiggle.count()) === 0) blank++;
    await page.waitForTimeout(100);
  }
  check(blank === 0, `the underline stays while the client pulls again (blank in ${blank} of 30 samples)`);
  const language = page.locator(".statusbar-item", { hasText: /^Tinybird Pipe$/ });
  check((await language.count()) > 0, "the status bar shows the Tinybird Pipe language");
  await shot(page, "02-diagnostic-in-editor");

  step("Problems panel");
  await page.keyboard.press("Control+Shift+M");
  const markers = page.locator(".markers-panel");
  await markers.waitFor();
  await page.locator(".markers-panel .monaco-list-row", { hasText: "is not a column of" }).first().waitFor();
  const problemsText = await markers.innerText();
  check(
    /`country` is not a column of `visits_mv`/.test(problemsText),
    "the Problems panel lists `country` is not a column of `visits_mv`",
  );
  check(/materialization-schema-mismatch/.test(problemsText), "with its code");
  await shot(page, "03-problems-panel");

  step("quick fix through Ctrl+.");
  const rows = page.locator(".action-widget .monaco-list-row");
  // The menu needs the editor focused on the diagnostic and the server's answer: retry the
  // keystroke a few times rather than racing either.
  for (let attempt = 0; ; attempt++) {
    await page
      .locator(".monaco-editor .view-line", { hasText: "anySimpleState(country)" })
      .first()
      .click({ position: { x: 90, y: 5 } });
    await page.waitForTimeout(300);
    await page.keyboard.press("Control+.");
    try {
      await rows.first().waitFor({ timeout: 5000 });
      break;
    } catch (e) {
      if (attempt >= 4) throw e;
      await page.keyboard.press("Escape");
    }
  }
  const titles = await rows.allInnerTexts();
  step(`offered: ${titles.map((t) => t.replace(/\s+/g, " ").trim()).join(" | ")}`);
  const fix = rows.filter({ hasText: /Add `country` \(SimpleAggregateFunction\(any, String\)\) to `visits_mv`/ }).first();
  check((await fix.count()) > 0, "the safe-migration quick fix is offered");
  await shot(page, "04-quick-fix-menu");
  await fix.hover();
  await fix.click();

  step("saving the edited and created files (File: Save All)");
  const created = join(project, "datasources", "visits_mv_1.datasource");
  await page.waitForTimeout(500);
  await page.keyboard.press("F1");
  await page.keyboard.type("File: Save All");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "Save All" }).first().waitFor();
  await page.keyboard.press("Enter");
  for (let i = 0; i < 40 && !(existsSync(created) && readFileSync(created, "utf8").includes("country")); i++) {
    await page.waitForTimeout(250);
  }
  await page.waitForTimeout(800);
  await shot(page, "05-after-quick-fix");
  check(existsSync(created), "the new target datasources/visits_mv_1.datasource exists on disk");
  const newTarget = existsSync(created) ? readFileSync(created, "utf8") : "";
  check(/`country` SimpleAggregateFunction\(any, String\)/.test(newTarget), "with the new column and its type");
  check(/# tinybird-lsp: replaces visits_mv/.test(newTarget), "and the marker naming the legacy target");
  const newPipe = join(project, "pipes", "visits_1.pipe");
  const livePipe = existsSync(newPipe) ? readFileSync(newPipe, "utf8") : "";
  check(/anySimpleState\(country\) AS country/.test(livePipe), "the new live pipe computes the column");
  check(/WHERE event_time >= '2026-03-02 00:00:00'/.test(livePipe), "the new live pipe is cut at the cutoff");
  check(/DATASOURCE visits_mv_1/.test(livePipe), "and materializes into the new target");
  const legacyPipe = readFileSync(pipePath, "utf8");
  check(legacyPipe === original, "the legacy pipe is back as it was (the column moved out)");

  step("Tinybird: Show Project Graph");
  await page.keyboard.press("F1");
  await page.keyboard.type("Tinybird: Show Project Graph");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "Show Project Graph" }).first().waitFor();
  await page.keyboard.press("Enter");
  const graphTab = page.locator(".tab", { hasText: "Tinybird graph" });
  await graphTab.first().waitFor();
  check((await graphTab.count()) > 0, "the graph opens in a webview");
  const webview = page.frameLocator("iframe.webview").frameLocator("iframe#active-frame");
  await webview.locator("svg .node").first().waitFor({ timeout: 30000 });
  const boxes = await webview.locator("svg .node .name").allTextContents();
  check(
    ["visits_mv_1", "visits_1", "page_events", "visits_mv"].every((n) => boxes.includes(n)),
    `the graph draws the project with the new target and live pipe (${boxes.length} boxes)`,
  );
  await shot(page, "06-project-graph");

  step("Tinybird: Show Deploy Plan");
  await page.keyboard.press("F1");
  await page.keyboard.type("Tinybird: Show Deploy Plan");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "Show Deploy Plan" }).first().waitFor();
  await page.keyboard.press("Enter");
  const planTab = page.locator(".tab", { hasText: "Tinybird deploy plan" });
  await planTab.first().waitFor();
  check((await planTab.count()) > 0, "the deploy plan opens in a document");
  const planEditor = page.locator(".editor-group-container.active .monaco-editor .view-lines");
  await planEditor.locator(".view-line", { hasText: "Deploy plan against" }).first().waitFor();
  // Word wrap splits a line over several view lines: compare the words.
  const planLines = (await planEditor.locator(".view-line").allInnerTexts()).join(" ").replace(/\s+/g, " ");
  check(/Deploy plan against [0-9a-f]{7} \(HEAD\)/.test(planLines), "against the committed example (HEAD)");
  check(/added datasource `visits_mv_1`/.test(planLines), "listing the new target as added");
  check(/added pipe `visits_1`/.test(planLines), "and the new live pipe");
  await shot(page, "07-deploy-plan");
} catch (e) {
  failed = true;
  console.error(`vscode-e2e: FAIL ${e && e.stack ? e.stack : e}`);
  try {
    const pages = browser ? browser.contexts().flatMap((c) => c.pages()) : [];
    if (pages[0]) await pages[0].screenshot({ path: join(shots, "99-failure.png") });
  } catch {
    /* no screenshot */
  }
  console.error(serverLog.join("").slice(-4000));
} finally {
  if (browser) await browser.close();
  try {
    process.kill(-cs.pid, "SIGTERM");
  } catch {
    /* already gone */
  }
  if (!failed) rmSync(work, { recursive: true, force: true });
  else console.error(`vscode-e2e: workspace kept at ${work}`);
}
process.exit(failed ? 1 : 0);
