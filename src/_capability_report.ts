/**
 * The capability reports of the tools, out of `_capabilities.ts` so that a
 * runtime import does not load them: what a whole file's schema needs
 * (virtual tables, STRICT tables, JSON and math functions its SQL calls),
 * what each engine here provides, and the lines `inspect` and `verify`
 * print. `_capabilities.ts` keeps the probe and the check at open.
 *
 * @module
 */
import type { Engine } from "./_engine.ts";
import type { Session } from "./_session.ts";
import { SCHEMA_OBJECTS_SQL } from "./_sql_build.ts";
import {
  capabilitiesOf,
  FEATURE_NAMES,
  type FeatureNeed,
  FEATURES,
  moduleOf,
  type SQLiteFeature,
} from "./_capabilities.ts";

/** Math functions SQLite builds with `SQLITE_ENABLE_MATH_FUNCTIONS`. */
const MATH = new Set([
  "acos",
  "acosh",
  "asin",
  "asinh",
  "atan",
  "atan2",
  "atanh",
  "ceil",
  "ceiling",
  "cos",
  "cosh",
  "degrees",
  "exp",
  "floor",
  "ln",
  "log",
  "log10",
  "log2",
  "mod",
  "pi",
  "pow",
  "power",
  "radians",
  "sin",
  "sinh",
  "sqrt",
  "tan",
  "tanh",
  "trunc",
]);

/** Keywords after which a name and a parenthesis name a table or index. */
const NOT_CALLED = new Set([
  "TABLE",
  "INTO",
  "ON",
  "REFERENCES",
  "VIEW",
  "INDEX",
  "EXISTS",
  "UPDATE",
  "USING",
]);

/** A function call in SQL text: a name and an opening parenthesis. */
const CALL = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

/**
 * What a file's schema needs: its virtual tables' modules (FTS5, R*Tree),
 * STRICT tables, and JSON or math functions its tables, indexes, views
 * and triggers call (in generated columns, CHECK constraints, indexes on
 * expressions, view and trigger bodies). Read from `sqlite_schema`, with
 * string literals and quoted names left out of the function scan.
 */
export function fileNeeds(session: Session, action: string): FeatureNeed[] {
  const needs: FeatureNeed[] = [];
  const rows = session.all(
    SCHEMA_OBJECTS_SQL,
    [],
    action,
    (statement) => ({
      type: String(statement.column(0)),
      name: String(statement.column(1)),
      sql: String(statement.column(2) ?? ""),
    }),
  );
  for (const { type, name, sql } of rows) {
    const what = `${type} "${name}"`;
    const module = moduleOf(sql, what, needs);
    // Code only: strings, quoted names and comments cannot call anything.
    const code = sql
      .replace(/'(?:[^']|'')*'/g, "''")
      .replace(/"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]/g, "x")
      .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ");
    // Table options follow the last parenthesis: STRICT, WITHOUT ROWID.
    const options = /\)([^)]*)$/.exec(code)?.[1] ?? "";
    if (
      type === "table" && module === undefined && /\bSTRICT\b/i.test(options)
    ) {
      needs.push({ feature: "strict", by: what });
    }
    const called = new Set<SQLiteFeature>();
    for (const match of code.matchAll(CALL)) {
      // `INSERT INTO log(...)`, `REFERENCES floor(id)`: a name, not a call.
      const before = /(\w+)\s*$/.exec(code.slice(0, match.index))?.[1];
      if (before !== undefined && NOT_CALLED.has(before.toUpperCase())) {
        continue;
      }
      const lower = match[1]!.toLowerCase();
      if (lower === "json" || lower.startsWith("json_")) called.add("json");
      else if (MATH.has(lower)) called.add("math");
    }
    for (const feature of called) needs.push({ feature, by: what });
  }
  return needs;
}

/** What one engine here provides, or why it could not be asked. */
export interface EngineSupport {
  /** The engine. */
  readonly engine: "ffi" | "node";
  /** Its SQLite version, when it loaded. */
  readonly sqliteVersion: string | undefined;
  /** What it provides, when it loaded. */
  readonly provides: Readonly<Record<SQLiteFeature, boolean>> | undefined;
  /** Why it did not load, when it did not. */
  readonly error: string | undefined;
}

/**
 * What each engine here provides: `node:sqlite`, and the FFI engine over
 * the default library when `--allow-ffi` is granted (never prompted for).
 */
export async function enginesHere(): Promise<EngineSupport[]> {
  const { loadNodeEngine } = await import("./_node.ts");
  const { loadFfiEngine } = await import("./_ffi.ts");
  const support: EngineSupport[] = [];
  const ask = (name: "ffi" | "node", load: () => Engine | Promise<Engine>) =>
    Promise.resolve()
      .then(load)
      .then((engine) => ({
        engine: name,
        sqliteVersion: engine.version,
        provides: capabilitiesOf(engine),
        error: undefined,
      }))
      .catch((error: unknown) => ({
        engine: name,
        sqliteVersion: undefined,
        provides: undefined,
        error: error instanceof Error ? error.message : String(error),
      }));
  support.push(
    await ask("ffi", () => {
      if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
        throw new Error("FFI is not allowed (run Deno with --allow-ffi)");
      }
      return loadFfiEngine();
    }),
  );
  support.push(await ask("node", loadNodeEngine));
  return support;
}

/** The needs as report lines' text: `FTS5 (table "place_fts")`. */
export function describeNeeds(needs: readonly FeatureNeed[]): string[] {
  const by = new Map<SQLiteFeature, string[]>();
  for (const need of needs) {
    const list = by.get(need.feature) ?? [];
    list.push(need.by);
    by.set(need.feature, list);
  }
  return FEATURES.filter((feature) => by.has(feature)).map((feature) =>
    `${FEATURE_NAMES[feature]} (${by.get(feature)!.join(", ")})`
  );
}

/**
 * One engine's support as a report line: each feature the file needs,
 * provided or not, then the others.
 */
export function describeSupport(
  support: EngineSupport,
  needs: readonly FeatureNeed[],
): string {
  if (support.provides === undefined) {
    return `${support.engine}: not available (${support.error})`;
  }
  const needed = new Set(needs.map((need) => need.feature));
  const provides = support.provides;
  const missing = FEATURES.filter((f) => needed.has(f) && !provides[f]);
  return `${support.engine} (SQLite ${support.sqliteVersion}): ${
    FEATURES.map((feature) =>
      `${FEATURE_NAMES[feature]} ${provides[feature] ? "yes" : "no"}`
    ).join(", ")
  }${
    missing.length === 0
      ? needs.length === 0 ? "" : "; provides all the file needs"
      : `; MISSING what the file needs: ${
        missing.map((f) => FEATURE_NAMES[f]).join(", ")
      }`
  }`;
}

/** The `needs` and `engine` lines `inspect` and `verify` print. */
export function supportLines(
  needs: readonly FeatureNeed[],
  engines: readonly EngineSupport[],
): string[] {
  const described = describeNeeds(needs);
  return [
    `needs    ${
      described.length === 0
        ? "nothing beyond SQLite's core"
        : described.join("; ")
    }`,
    ...engines.map((support) => `engine   ${describeSupport(support, needs)}`),
  ];
}
