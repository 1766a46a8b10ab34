// Tokenizes datafiles with the extension's TextMate grammar through vscode-textmate (the engine
// VS Code uses) and checks the scopes of chosen tokens: SQL highlighted inside SQL blocks,
// templates highlighted, a blank line not ending a block, a keyword at column 0 ending it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vsctm from "vscode-textmate";
import oniguruma from "vscode-oniguruma";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const wasm = readFileSync(join(dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (p) => new oniguruma.OnigScanner(p),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }),
  loadGrammar: async (scope) =>
    scope === "source.tinybird"
      ? vsctm.parseRawGrammar(
          readFileSync(join(here, "..", "syntaxes", "tinybird.tmLanguage.json"), "utf8"),
          "tinybird.tmLanguage.json",
        )
      : null,
});
const grammar = await registry.loadGrammar("source.tinybird");

/** Every token of `text`: { line, text, scopes }. */
function tokenize(text) {
  const out = [];
  let state = vsctm.INITIAL;
  text.split("\n").forEach((line, i) => {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) {
      out.push({ line: i, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    state = r.ruleStack;
  });
  return out;
}

let failures = 0;
let checks = 0;
/** The token on `line` whose text contains `needle` must have a scope starting with `scope`
 * (or, with `not`, none). */
function expectScope(tokens, line, needle, scope, not = false) {
  checks++;
  const t = tokens.find((t) => t.line === line && t.text.includes(needle));
  const has = t && t.scopes.some((s) => s.startsWith(scope));
  if (!t || has === not) {
    failures++;
    console.error(
      `FAIL line ${line} ${JSON.stringify(needle)}: expected ${not ? "no " : ""}${scope}, got ${
        t ? t.scopes.join(" ") : "no such token"
      }`,
    );
  }
}

const pipe = `DESCRIPTION >
    Visits per day

NODE daily
SQL >
    %
    SELECT toDate(ts) AS day, count() AS visits -- per day

    FROM page_events
    # dropped by the parser
    WHERE ts > {{ DateTime(start, '2024-01-01 00:00:00') }}
    {% if defined(country) %} AND country = {{ String(country) }} {% end %}
FROM_NOT_A_KEYWORD
    TYPE endpoint
TYPE materialized
DATASOURCE visits_mv
`;
const p = tokenize(pipe);
expectScope(p, 0, "DESCRIPTION", "keyword.other.datafile");
expectScope(p, 1, "Visits", "string.unquoted.description");
expectScope(p, 3, "NODE", "keyword.other.datafile.node");
expectScope(p, 3, "daily", "entity.name.function.node");
expectScope(p, 4, "SQL", "keyword.other.datafile");
expectScope(p, 4, ">", "punctuation.definition.block");
expectScope(p, 5, "%", "keyword.other.template-marker");
expectScope(p, 6, "SELECT", "keyword.other.sql");
expectScope(p, 6, "toDate", "support.function.sql");
expectScope(p, 6, "-- per day", "comment.line.double-dash");
expectScope(p, 6, "SELECT", "meta.embedded.block.sql");
// A blank line does not end the block.
expectScope(p, 8, "FROM", "keyword.other.sql");
expectScope(p, 8, "FROM", "meta.embedded.block.sql");
expectScope(p, 9, "# dropped", "comment.line.number-sign");
expectScope(p, 10, "{{", "punctuation.section.embedded.begin");
expectScope(p, 10, "DateTime", "support.function.template");
expectScope(p, 10, "start", "variable.parameter.template");
expectScope(p, 11, "if", "keyword.control.template");
expectScope(p, 11, "defined", "support.function.template");
expectScope(p, 11, "end", "keyword.control.template");
expectScope(p, 11, "AND", "keyword.other.sql");
// A word that is not a keyword at column 0 is SQL content.
expectScope(p, 12, "FROM_NOT_A_KEYWORD", "meta.embedded.block.sql");
// An indented keyword is SQL content, not a datafile keyword.
expectScope(p, 13, "TYPE", "keyword.other.datafile", true);
expectScope(p, 13, "TYPE", "meta.embedded.block.sql");
// A keyword at column 0 ends the block.
expectScope(p, 14, "TYPE", "keyword.other.datafile");
expectScope(p, 14, "TYPE", "meta.embedded.block.sql", true);
expectScope(p, 14, "materialized", "constant.language");
expectScope(p, 15, "visits_mv", "entity.name.type.resource");

const datasource = `# Landing table
SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`country\` LowCardinality(String) \`json:$.country\` DEFAULT 'ES',

    user_id String -- who

ENGINE "MergeTree"
ENGINE_SORTING_KEY "country, ts"
ENGINE_TTL "ts + toIntervalDay(30)" # a month
INCLUDE "../includes/common.incl"
`;
const d = tokenize(datasource);
expectScope(d, 0, "# Landing", "comment.line.number-sign");
expectScope(d, 1, "SCHEMA", "keyword.other.datafile");
expectScope(d, 2, "`ts`", "variable.other.member.column");
expectScope(d, 2, "DateTime", "storage.type.clickhouse");
expectScope(d, 2, "json:$.ts", "string.other.json-path");
expectScope(d, 3, "LowCardinality", "storage.type.clickhouse");
expectScope(d, 3, "DEFAULT", "keyword.other.sql");
expectScope(d, 5, "user_id", "variable.other.member.column");
expectScope(d, 5, "-- who", "comment.line.double-dash");
expectScope(d, 7, "ENGINE", "keyword.other.datafile");
expectScope(d, 7, "ENGINE", "meta.block.schema", true);
expectScope(d, 8, "ENGINE_SORTING_KEY", "keyword.other.datafile");
expectScope(d, 9, "toIntervalDay", "support.function.sql");
expectScope(d, 9, "# a month", "comment.line.number-sign");
expectScope(d, 10, "INCLUDE", "keyword.control.import");
expectScope(d, 10, "common.incl", "string.other.path");

// Classic: a line starting with `from` at column 0 stays in the SQL.
const classic = `NODE n
SQL >
    SELECT *
from events
TYPE endpoint
`;
const c = tokenize(classic);
expectScope(c, 3, "from", "meta.embedded.block.sql");
expectScope(c, 4, "TYPE", "keyword.other.datafile");

// Forward datasource: tb_secret templates outside SQL.
const forward = `KAFKA_BOOTSTRAP_SERVERS {{ tb_secret('KAFKA_SERVERS') }}
FORWARD_QUERY >
    SELECT ts, country, '' AS city
`;
const f = tokenize(forward);
expectScope(f, 0, "tb_secret", "support.function.template");
expectScope(f, 2, "SELECT", "keyword.other.sql");

if (failures > 0) {
  console.error(`${failures} of ${checks} grammar checks failed`);
  process.exit(1);
}
console.log(`grammar: ${checks} checks passed`);
