/**
 * What a SQLite build provides (FTS5, R*Tree, JSON and math functions,
 * STRICT tables), what models and files need of it, and the check that a
 * dataset never opens on an engine missing what its models need: such a
 * model fails at open with a `DataSetError` naming the feature, instead
 * of a "no such module" at its first query.
 *
 * Engines say what they provide by trying it on a private in-memory
 * connection, once per engine (see {@linkcode capabilitiesOf}); tests
 * replace that probe with {@linkcode setCapabilityProbe}.
 *
 * What a whole file needs, what each engine here provides and the report
 * lines of the tools are in `_capability_report.ts`, which a runtime import
 * does not load.
 *
 * @module
 */
import type { Engine } from "./_engine.ts";
import type { Session } from "./_session.ts";
import { foldIdentifier } from "./_rules.ts";
import { CAPABILITY_PROBES, VIRTUAL_TABLES_SQL } from "./_sql.ts";
import { DataSetError } from "./errors.ts";
import type { AnyModel } from "./model.ts";

/** A SQLite feature a model or a file may need. */
export type SQLiteFeature = "fts5" | "rtree" | "json" | "math" | "strict";

/** Every feature, in report order. */
export const FEATURES: readonly SQLiteFeature[] = [
  "fts5",
  "rtree",
  "json",
  "math",
  "strict",
];

/** How messages and reports name each feature. */
export const FEATURE_NAMES: Readonly<Record<SQLiteFeature, string>> = {
  fts5: "FTS5",
  rtree: "R*Tree",
  json: "JSON functions",
  math: "math functions",
  strict: "STRICT tables",
};

/** What an engine's SQLite provides. */
export type Capabilities = Readonly<Record<SQLiteFeature, boolean>>;

/** One thing a model or a file needs, and what needs it. */
export interface FeatureNeed {
  /** The feature. */
  readonly feature: SQLiteFeature;
  /** What needs it, for messages: `model "place" (its search option)`. */
  readonly by: string;
}

/**
 * Tries each feature on a private in-memory connection of `engine`: a
 * feature is provided when its probe statement runs.
 */
export function probeEngine(engine: Engine): Capabilities {
  const connection = engine.open({
    path: ":memory:",
    readOnly: false,
    immutable: false,
    create: true,
  });
  try {
    const found = {} as Record<SQLiteFeature, boolean>;
    for (const feature of FEATURES) {
      try {
        const statement = connection.prepare(CAPABILITY_PROBES[feature]);
        try {
          statement.bind([]);
          while (statement.step());
        } finally {
          statement.finalize();
        }
        found[feature] = true;
      } catch {
        found[feature] = false;
      }
    }
    return found;
  } finally {
    connection.close();
  }
}

let probe: (engine: Engine) => Capabilities = probeEngine;

const probed = new WeakMap<Engine, Capabilities>();

/**
 * What `engine` provides: probed once per engine, unless a test replaced
 * the probe (then asked each time).
 */
export function capabilitiesOf(engine: Engine): Capabilities {
  if (probe !== probeEngine) return probe(engine);
  let found = probed.get(engine);
  if (found === undefined) {
    found = probeEngine(engine);
    probed.set(engine, found);
  }
  return found;
}

/**
 * Replaces the probe (for tests: an engine "without FTS5" where every
 * SQLite at hand has it); `undefined` restores the real one.
 */
export function setCapabilityProbe(
  replacement: ((engine: Engine) => Capabilities) | undefined,
): void {
  probe = replacement ?? probeEngine;
}

/** What the models' options need: FTS5 for `search`, R*Tree for `geo`. */
export function modelNeeds(models: readonly AnyModel[]): FeatureNeed[] {
  const needs: FeatureNeed[] = [];
  for (const model of models) {
    const { table, search, geo } = model.definition;
    if (search !== undefined) {
      needs.push({
        feature: "fts5",
        by: `model "${table}" (its search option)`,
      });
    }
    if (geo !== undefined) {
      needs.push({ feature: "rtree", by: `model "${table}" (its geo option)` });
    }
  }
  return needs;
}

/** `CREATE VIRTUAL TABLE ... USING <module>`: the module's name. */
const VIRTUAL_MODULE = /^\s*CREATE\s+VIRTUAL\s+TABLE\s.*?\bUSING\s+(\w+)/is;

/**
 * The module of a virtual table's SQL (lower case), `undefined` for any
 * other SQL; pushes onto `needs` the feature an FTS5 or R*Tree module needs,
 * as needed `by` what.
 */
export function moduleOf(
  sql: string,
  by: string,
  needs: FeatureNeed[],
): string | undefined {
  const module = VIRTUAL_MODULE.exec(sql)?.[1]?.toLowerCase();
  if (module === "fts5") needs.push({ feature: "fts5", by });
  if (module === "rtree" || module === "rtree_i32") {
    needs.push({ feature: "rtree", by });
  }
  return module;
}

/**
 * What the file's virtual tables need (FTS5, R*Tree), as
 * `fileNeeds` (`_capability_report.ts`) reports them, from a read of its virtual tables
 * alone: what opening a file checks its model tables against.
 */
function virtualTableNeeds(session: Session, action: string): FeatureNeed[] {
  const needs: FeatureNeed[] = [];
  const rows = session.all(
    VIRTUAL_TABLES_SQL,
    [],
    action,
    (statement) => ({
      name: String(statement.column(0)),
      sql: String(statement.column(1) ?? ""),
    }),
  );
  for (const { name, sql } of rows) moduleOf(sql, `table "${name}"`, needs);
  return needs;
}

/**
 * Refuses to open a dataset on an engine missing what its models need:
 * FTS5 for a `search` option, R*Tree for a `geo` option, and the module of
 * any model table the file holds as a virtual table. Probes the engine
 * only when something is needed.
 * @returns Whether it read the file's schema (so the schema could be
 * read: the open needs no other statement to check that).
 * @throws {DataSetError} Naming each model, the missing feature and the
 * engine.
 */
export function checkModelNeeds(
  session: Session,
  models: readonly AnyModel[],
  action: string,
): boolean {
  if (models.length === 0) return false;
  const needs = modelNeeds(models);
  const readsSchema = session.path !== ":memory:";
  if (readsSchema) {
    const tables = new Set(models.map((m) => foldIdentifier(m.tableName)));
    for (const need of virtualTableNeeds(session, action)) {
      const name = /^table "(.*)"$/s.exec(need.by)?.[1];
      if (
        (need.feature === "fts5" || need.feature === "rtree") &&
        name !== undefined && tables.has(foldIdentifier(name))
      ) {
        needs.push({ feature: need.feature, by: `the file's ${need.by}` });
      }
    }
  }
  if (needs.length === 0) return readsSchema;
  return checkProvided(session, needs, action, readsSchema);
}

/**
 * The rest of {@linkcode checkModelNeeds} when a model or the file needs
 * a feature: compiled only then (cold start, issue 15).
 */
function checkProvided(
  session: Session,
  needs: readonly FeatureNeed[],
  action: string,
  readsSchema: boolean,
): boolean {
  const provided = capabilitiesOf(session.engine);
  const missing = needs.filter((need) => !provided[need.feature]);
  if (missing.length === 0) return readsSchema;
  const engine = session.engine;
  throw new DataSetError(
    `${action}: ${
      missing.map((need) => `${need.by} needs ${FEATURE_NAMES[need.feature]}`)
        .join("; ")
    }, which the ${engine.name} engine (SQLite ${engine.version}) does not provide; open it with an engine whose SQLite has ${
      [...new Set(missing.map((need) => FEATURE_NAMES[need.feature]))].join(
        " and ",
      )
    } (the engine option)`,
    { dataset: session.dataset },
  );
}
