// Unit tests of the extension's parts that need no VS Code: finding the server, the settings
// sent to it, the graph layout. Built by `npm test` (esbuild to out/lib) first.
import test from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { findServer } = require("../out/lib/server.js");
const { serverSettings } = require("../out/lib/settings.js");
const { layout, flow } = require("../out/lib/layout.js");
const { planText } = require("../out/lib/planText.js");

test("findServer: the setting first, then PATH, else a message with the install command", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-find-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const exe = join(bin, "tinybird-lsp");
  writeFileSync(exe, "#!/bin/sh\n");
  chmodSync(exe, 0o755);
  const env = { PATH: bin, CARGO_HOME: join(dir, "no-cargo") };
  assert.deepEqual(findServer("", env), { ok: true, path: exe });
  assert.deepEqual(findServer(exe, { PATH: "", CARGO_HOME: join(dir, "no-cargo") }), { ok: true, path: exe });
  const wrong = findServer(join(dir, "nope"), env);
  assert.equal(wrong.ok, false);
  assert.match(wrong.message, /not found at .*nope.*tinybird\.server\.path/);
  const missing = findServer("", { PATH: join(dir, "empty"), CARGO_HOME: join(dir, "no-cargo") });
  assert.equal(missing.ok, false);
  assert.match(missing.message, /not installed.*cargo install --locked --path \./);
  // A file that is not executable is not a server.
  const plain = join(dir, "plain");
  writeFileSync(plain, "");
  assert.equal(findServer(plain, env).ok, false);
  // Cargo's bin folder is searched after PATH.
  assert.deepEqual(findServer("", { PATH: "", CARGO_HOME: dir }), { ok: true, path: exe });
  // The server bundled in a platform .vsix comes before PATH; the setting before both.
  const bundled = join(dir, "ext", "server");
  mkdirSync(bundled, { recursive: true });
  const inside = join(bundled, "tinybird-lsp");
  writeFileSync(inside, "#!/bin/sh\n");
  chmodSync(inside, 0o755);
  assert.deepEqual(findServer("", env, bundled), { ok: true, path: inside });
  assert.deepEqual(findServer(exe, env, bundled), { ok: true, path: exe });
  // No bundled server (the universal .vsix): PATH as before.
  assert.deepEqual(findServer("", env, join(dir, "none")), { ok: true, path: exe });
});

test("serverSettings: nested keys, without nulls and editor-side keys", () => {
  const values = {
    dialect: "forward",
    rules: { "unknown-table": "error" },
    "diagnostics.debounceMs": 100,
    "diagnostics.mode": "auto",
    "docs.baseUrl": null,
    "migration.cutoffDelayMinutes": 60,
    "migration.now": null,
    "deploy.base": "origin/main",
    "format.sqlKeywords": false,
    "server.path": "/x/tinybird-lsp",
    "trace.server": "verbose",
  };
  const s = serverSettings({ get: (k) => values[k] });
  assert.deepEqual(s, {
    dialect: "forward",
    rules: { "unknown-table": "error" },
    diagnostics: { debounceMs: 100, mode: "auto" },
    migration: { cutoffDelayMinutes: 60 },
    deploy: { base: "origin/main" },
    format: { sqlKeywords: false },
  });
});

test("planText: the server's plan text, or why there is none, per project", () => {
  assert.equal(planText([]), "No Tinybird project in this workspace yet.\n");
  const plan = { root: "file:///w/a", base: "abc", baseLabel: "HEAD", note: null, text: "Deploy plan against abc\n" };
  assert.equal(planText([plan]), "Deploy plan against abc\n");
  const none = { root: "file:///w/b%20c", base: null, baseLabel: null, note: "`/w/b c` is not in a git repository", text: null };
  assert.equal(
    planText([plan, none]),
    "# /w/a\n\nDeploy plan against abc\n\n# /w/b c\n\nNo deploy plan for /w/b c: `/w/b c` is not in a git repository.\n",
  );
});

test("layout: data flows left to right, cycles do not hang", () => {
  const nodes = [
    { name: "events", kind: "datasource", path: "datasources/events.datasource" },
    { name: "mv", kind: "materialized", path: "pipes/mv.pipe" },
    { name: "agg", kind: "datasource", path: "datasources/agg.datasource" },
    { name: "api", kind: "endpoint", path: "pipes/api.pipe" },
  ];
  const edges = [
    { from: "mv", to: "events", kind: "reads" },
    { from: "mv", to: "agg", kind: "materializes_into" },
    { from: "api", to: "agg", kind: "reads" },
  ];
  assert.deepEqual(flow(edges[0]), ["events", "mv"]);
  const L = layout(nodes, edges);
  const col = Object.fromEntries(L.nodes.map((n) => [n.name, n.column]));
  assert.deepEqual(col, { events: 0, mv: 1, agg: 2, api: 3 });
  assert.equal(L.edges.length, 3);
  for (const e of L.edges) assert.match(e.path, /^M[\d.]+,[\d.]+ C/);
  const x = Object.fromEntries(L.nodes.map((n) => [n.name, n.x]));
  assert.ok(x.events < x.mv && x.mv < x.agg && x.agg < x.api);
  assert.ok(L.width >= x.api + 180);

  const cyclic = layout(
    [
      { name: "a", kind: "pipe", path: "a" },
      { name: "b", kind: "pipe", path: "b" },
    ],
    [
      { from: "a", to: "b", kind: "reads" },
      { from: "b", to: "a", kind: "reads" },
      { from: "a", to: "missing", kind: "reads" },
    ],
  );
  assert.equal(cyclic.nodes.length, 2);
  assert.equal(cyclic.edges.length, 2);
});
