// The server's settings (docs/configuration.md) from the `tinybird.*` configuration: only the
// keys the server knows, without the editor-side ones (`server.*`, `trace.*`), and without
// null values, which would override the server's own defaults.
export interface ConfigLike {
  get<T>(key: string): T | undefined;
}

const KEYS = [
  "dialect",
  "rules",
  "diagnostics.debounceMs",
  "diagnostics.mode",
  "docs.baseUrl",
  "deploy.base",
  "format.sqlKeywords",
  "migration.cutoffDelayMinutes",
  "migration.now",
];

export function serverSettings(config: ConfigLike): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = config.get<unknown>(key);
    if (value === null || value === undefined || value === "") continue;
    const parts = key.split(".");
    let obj = out;
    for (const part of parts.slice(0, -1)) {
      obj = (obj[part] ??= {}) as Record<string, unknown>;
    }
    obj[parts[parts.length - 1]] = value;
  }
  return out;
}
