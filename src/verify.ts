/**
 * Checking a dataset's file against its models.
 *
 * @module
 */
import { geoRangeProblem } from "./_geo_range.ts";
import { affinity, kindOf } from "./_kinds.ts";
import { type AnyColumn, quote } from "./columns.ts";
import { type DataSet, SESSION } from "./dataset.ts";
import { foldIdentifier } from "./_rules.ts";
import { findTable, readRows, tableColumns } from "./_schema.ts";
import {
  countRows,
  searchIndexes,
  type SearchIndexSchema,
} from "./_introspect.ts";
import { type SearchDefinition, tokenizeOption, tokenizerOf } from "./_fts.ts";
import { geoIndexName } from "./_sql.ts";
import { countRowsSql } from "./_sql_build.ts";
import {
  aggregateJsonSql,
  countPointsSql,
  duplicateKeysSql,
  INTEGRITY_CHECK,
} from "./_sql_build.ts";
import type { Session } from "./_session.ts";
import { hashSession, recordedHash } from "./_hash.ts";
import {
  capabilitiesOf,
  FEATURE_NAMES,
  type FeatureNeed,
} from "./_capabilities.ts";
import {
  enginesHere,
  type EngineSupport,
  fileNeeds,
} from "./_capability_report.ts";
import type { AnyModel } from "./model.ts";
import { metadataFieldSql, SCHEMA_PROBE } from "./_sql.ts";
import { METADATA_TABLE, NUL_TEXT_FIELD, parseNulText } from "./metadata.ts";
import { holdingNul } from "./build.ts";

/** One mismatch between the models and the file. */
export interface VerifyProblem {
  /** The table concerned, when one is. */
  readonly table: string | undefined;
  /** The SQL column concerned, when one is. */
  readonly column: string | undefined;
  /** What is wrong. */
  readonly message: string;
}

/** What {@linkcode verifyDataSet} found. */
export interface VerifyReport {
  /** `true` when there is no problem. */
  readonly ok: boolean;
  /** The file checked. */
  readonly path: string;
  /** The problems, in model order; empty when `ok`. */
  readonly problems: readonly VerifyProblem[];
  /** Rows per model table found in the file. */
  readonly tables: Readonly<Record<string, number>>;
  /**
   * What the file's schema needs of SQLite (FTS5, R*Tree, JSON and math
   * functions, STRICT tables), each with what needs it; a need the
   * dataset's own engine lacks is also a problem.
   */
  readonly needs: readonly FeatureNeed[];
  /** What each engine here provides (`ffi` only with `--allow-ffi`). */
  readonly engines: readonly EngineSupport[];
}

/** An SQL condition true for a stored value the column cannot read. */
function badValue(column: AnyColumn, sql: string): string {
  return `(${sql} IS NOT NULL AND (${kindOf(column).invalidSql(sql)}))`;
}

/**
 * Checks the file a dataset is bound to against its models: missing
 * tables or columns, declared types the models cannot read, NOT NULL
 * columns holding `NULL`, stored values of the wrong type, and
 * `PRAGMA integrity_check`; and, for a file whose build metadata records a
 * content hash, that the file still hashes to it. Nothing is written.
 * @param dataset The dataset, bound to the file to check.
 * @returns The report; `ok` is `false` on any problem.
 * @throws {DataSetError} When the file cannot be opened, or is so damaged
 * that SQLite cannot read what the check needs (`PRAGMA integrity_check`
 * reports lesser damage as problems), or when a file opened
 * `immutable: false` changed in place between its statements.
 *
 * @example
 * ```ts
 * import { DataSet, integer, SQLiteBindFactory, text } from "@microcosm/sqlite";
 * import { buildDataSet, verifyDataSet } from "@microcosm/sqlite/build";
 * import assert from "node:assert/strict";
 *
 * const Old = DataSet.create("doc_verify_old");
 * class OldItem extends Old.Model("item", { id: integer({ primaryKey: true }) }) {}
 * const dir = await Deno.makeTempDir();
 * await buildDataSet(Old, `${dir}/item.sqlite`, (b) => b.loadRecords(OldItem, [{ id: 1 }]));
 *
 * const New = DataSet.create("doc_verify_new");
 * New.Model("item", { id: integer({ primaryKey: true }), name: text() });
 * New.bind(new SQLiteBindFactory({ paths: { doc_verify_new: `${dir}/item.sqlite` } }));
 * const report = await verifyDataSet(New);
 * assert.equal(report.ok, false);
 * assert.match(report.problems[0]!.message, /column "name" is missing/);
 * await New.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function verifyDataSet(dataset: DataSet): Promise<VerifyReport> {
  const session = await dataset[SESSION]();
  const action = `Cannot verify dataset "${dataset.name}"`;
  // One version of a file opened `immutable: false`: a first statement
  // takes in a change made before the call, and a change between the
  // statements after it fails the report rather than mix two versions.
  session.value(SCHEMA_PROBE, [], action);
  const generation = session.generation;
  const problems: VerifyProblem[] = [];
  const tables: Record<string, number> = {};
  const problem = (
    table: string | undefined,
    column: string | undefined,
    message: string,
  ) => problems.push({ table, column, message });

  for (const model of dataset.models) {
    const table = model.tableName;
    const found = findTable(session, table, action);
    if (found === undefined) {
      problem(table, undefined, `table "${table}" is missing`);
      continue;
    }
    const fileColumns = new Map(
      tableColumns(session, found.name, action).map((
        column,
      ) => [foldIdentifier(column.name), column]),
    );
    const checked: { column: AnyColumn; sql: string }[] = [];
    for (const key of model.definition.keys) {
      const column = model.definition.columns[key]!;
      const name = column.bound.name;
      const file = fileColumns.get(foldIdentifier(name));
      if (file === undefined) {
        problem(table, name, `${table}: column "${name}" is missing`);
        continue;
      }
      const found = affinity(file.type);
      const declaredUntyped = file.type.trim() === "";
      if (!declaredUntyped && !kindOf(column).affinities.includes(found)) {
        problem(
          table,
          name,
          `${table}.${name}: the model says ${column.kind}, the file declares ${
            file.type || "no type"
          } (${found} affinity)`,
        );
      }
      checked.push({ column, sql: quote(file.name) });
    }
    tables[table] = countRows(session, table, action);
    verifyGeoIndex(session, model, fileColumns, action, problem);
    verifyPrimaryKey(session, model, fileColumns, action, problem);
    if (checked.length === 0) continue;
    // One scan per table counts NULLs and badly typed values per column.
    const sums = checked.flatMap(({ column, sql }) => [
      `sum(${sql} IS NULL)`,
      `sum(${badValue(column, sql)})`,
    ]);
    const answer = session.value(aggregateJsonSql(table, sums), [], action);
    const counts = (JSON.parse(String(answer)) as (number | null)[]).map((
      count,
    ) => count ?? 0);
    checked.forEach(({ column }, i) => {
      const name = column.bound.name;
      const nulls = counts[2 * i]!;
      const bad = counts[2 * i + 1]!;
      if (!column.nullable && nulls > 0) {
        problem(
          table,
          name,
          `${table}.${name}: the model says NOT NULL, ${nulls} row${
            nulls === 1 ? " holds" : "s hold"
          } NULL`,
        );
      }
      if (bad > 0) {
        problem(
          table,
          name,
          `${table}.${name}: the model says ${column.kind}, ${bad} row${
            bad === 1 ? " holds" : "s hold"
          } other values than ${kindOf(column).holds}`,
        );
      }
    });
  }
  const fullText = searchIndexes(session, action);
  for (const model of dataset.models) {
    const search = model.definition.search;
    if (search === undefined || tables[model.tableName] === undefined) continue;
    for (const message of searchProblems(model.tableName, search, fullText)) {
      problem(model.tableName, undefined, message);
    }
    const index = fullText.find((found) =>
      foldIdentifier(found.name) === foldIdentifier(search.table)
    );
    const docsize = `${search.table}_docsize`;
    if (
      index !== undefined &&
      index.shadowTables.some((name) =>
        foldIdentifier(name) === foldIdentifier(docsize)
      )
    ) {
      // FTS5 keeps one size row per indexed row.
      const indexed = countRows(session, docsize, action);
      if (indexed !== tables[model.tableName]) {
        problem(
          model.tableName,
          undefined,
          `search index "${search.table}" holds ${indexed} rows, table "${model.tableName}" ${
            tables[model.tableName]
          }: rebuild the index`,
        );
      }
    }
  }
  for (const [message] of readRows(session, INTEGRITY_CHECK, [], action)) {
    if (message !== "ok") {
      problem(undefined, undefined, `integrity check: ${String(message)}`);
    }
  }
  const recorded = recordedHash(session, action);
  if (recorded !== undefined) {
    const actual = await hashSession(session, recorded, action);
    if (actual !== recorded) {
      problem(
        undefined,
        undefined,
        `content hash: the build metadata records ${recorded}, but the file hashes to ${actual} (it changed after it was built)`,
      );
    }
  }
  checkNulTextRecord(session, action, problem);
  const needs = fileNeeds(session, action);
  const provided = capabilitiesOf(session.engine);
  for (const need of needs) {
    if (provided[need.feature]) continue;
    problem(
      /^table "(.*)"$/s.exec(need.by)?.[1],
      undefined,
      `${need.by} needs ${
        FEATURE_NAMES[need.feature]
      }, which the ${session.engine.name} engine (SQLite ${session.engine.version}) does not provide`,
    );
  }
  if (session.generation !== generation) throw session.changed(action);
  return {
    ok: problems.length === 0,
    path: session.path,
    problems,
    tables,
    needs,
    engines: await enginesHere(),
  };
}

/**
 * What is wrong with the FTS5 index a model's `search` option declares, as
 * the file holds it: missing, other columns, another content table or key,
 * another tokenizer.
 */
function searchProblems(
  table: string,
  search: SearchDefinition,
  indexes: readonly SearchIndexSchema[],
): string[] {
  const name = search.table;
  const index = indexes.find((found) =>
    foldIdentifier(found.name) === foldIdentifier(name)
  );
  if (index === undefined) {
    return [`${table}: search index "${name}" (FTS5) is missing`];
  }
  const problems: string[] = [];
  const fold = (names: readonly string[]) => names.map(foldIdentifier).join();
  if (fold(index.columns) !== fold(search.columns)) {
    problems.push(
      `${table}: search index "${name}" indexes (${
        index.columns.join(", ")
      }), the model says (${search.columns.join(", ")})`,
    );
  }
  if (
    index.content === null ||
    foldIdentifier(index.content) !== foldIdentifier(table)
  ) {
    problems.push(
      `${table}: search index "${name}" reads its text from ${
        index.content === null ? "its own copy" : `table "${index.content}"`
      }, the model says table "${table}"`,
    );
  }
  const rowid = foldIdentifier(index.contentRowid);
  if (rowid !== "rowid" && rowid !== foldIdentifier(search.rowid)) {
    problems.push(
      `${table}: search index "${name}" keys rows by "${index.contentRowid}", the model says "${search.rowid}"`,
    );
  }
  if (tokenizerOf(index.tokenize) !== search.tokenize) {
    problems.push(
      `${table}: search index "${name}" tokenizes with ${
        JSON.stringify(index.tokenize || "unicode61")
      }, the model says ${JSON.stringify(tokenizeOption(search.tokenize))}`,
    );
  }
  return problems;
}

/**
 * Checks a model's geo index: the R*Tree is there and holds one entry per
 * row whose coordinates are not NULL.
 */
function verifyGeoIndex(
  session: Session,
  model: AnyModel,
  fileColumns: ReadonlyMap<string, unknown>,
  action: string,
  problem: (table: string, column: undefined, message: string) => void,
): void {
  const { table, geo, columns } = model.definition;
  if (geo === undefined) return;
  const lat = columns[geo.lat]!.bound.name;
  const lon = columns[geo.lon]!.bound.name;
  if (
    !fileColumns.has(foldIdentifier(lat)) ||
    !fileColumns.has(foldIdentifier(lon))
  ) return;
  const index = geoIndexName(table);
  const indexColumns = tableColumns(session, index, action).map((column) =>
    foldIdentifier(column.name)
  );
  if (indexColumns.join() !== "id,minlat,maxlat,minlon,maxlon") {
    problem(
      table,
      undefined,
      `${table}: the geo index "${index}" (an R*Tree) is missing`,
    );
    return;
  }
  const indexed = Number(session.value(countRowsSql(index), [], action));
  const points = Number(
    session.value(countPointsSql(table, lat, lon), [], action),
  );
  if (indexed !== points) {
    problem(
      table,
      undefined,
      `${table}: the geo index "${index}" holds ${indexed} entries for ${points} rows with coordinates`,
    );
  }
  const outside = geoRangeProblem(session, model.definition, action);
  if (outside !== undefined) problem(table, undefined, `${table}: ${outside}`);
}

/**
 * Checks that no value of the model's primary key stands in two rows: a
 * file built elsewhere may lack the constraint (its table declares another
 * key or none), and then `retrieve()` picks one of the rows and pages skip
 * some. Skipped when the file declares the same primary key, which SQLite
 * enforces.
 */
function verifyPrimaryKey(
  session: Session,
  model: AnyModel,
  fileColumns: Map<string, { name: string; primaryKey: number }>,
  action: string,
  problem: (table: string, column: undefined, message: string) => void,
): void {
  const { table, primaryKey, columns } = model.definition;
  if (primaryKey.length === 0) return;
  const keyColumns = primaryKey.map((key) =>
    fileColumns.get(foldIdentifier(columns[key]!.bound.name))
  );
  if (keyColumns.some((column) => column === undefined)) return;
  const declared = [...fileColumns.values()]
    .filter((column) => column.primaryKey > 0)
    .sort((a, b) => a.primaryKey - b.primaryKey)
    .map((column) => foldIdentifier(column.name));
  const wanted = keyColumns.map((column) => foldIdentifier(column!.name));
  if (
    declared.length === wanted.length &&
    declared.every((name, i) => name === wanted[i])
  ) {
    return;
  }
  const duplicates = Number(
    session.value(
      duplicateKeysSql(table, keyColumns.map((column) => quote(column!.name))),
      [],
      action,
    ),
  );
  if (duplicates > 0) {
    problem(
      table,
      undefined,
      `${table}: the model's primary key (${
        primaryKey.join(", ")
      }) has ${duplicates} value${
        duplicates === 1 ? "" : "s"
      } standing in more than one row (the file does not declare that key)`,
    );
  }
}

/**
 * Checks a file's recorded NUL census (`BuildMetadata.nulText`) against
 * its rows: a record that is malformed, names a table or column the file
 * lacks, or says a column holds (or not) text with a NUL when it does not
 * (or does) is a problem, since `node:sqlite` readers trust it.
 */
function checkNulTextRecord(
  session: Session,
  action: string,
  problem: (
    table: string | undefined,
    column: string | undefined,
    message: string,
  ) => void,
): void {
  const metadata = findTable(session, METADATA_TABLE, action);
  if (metadata === undefined) return;
  const value = session.value(
    metadataFieldSql(metadata.name),
    [NUL_TEXT_FIELD],
    action,
  );
  if (value === undefined) return;
  const records = parseNulText(value);
  const what = "NUL census: the build metadata";
  if (records === undefined) {
    problem(
      undefined,
      undefined,
      `${what}'s ${NUL_TEXT_FIELD} is not an object of tables with "columns" and "holding" lists of column names: ${
        JSON.stringify(String(value).slice(0, 80))
      }`,
    );
    return;
  }
  for (const [name, record] of Object.entries(records)) {
    const table = findTable(session, name, action);
    if (table === undefined) {
      problem(
        name,
        undefined,
        `${what} names table "${name}", which is missing`,
      );
      continue;
    }
    const present = new Set(
      tableColumns(session, table.name, action).map((column) =>
        foldIdentifier(column.name)
      ),
    );
    const columns: string[] = [];
    for (const column of record.columns) {
      if (present.has(foldIdentifier(column))) columns.push(column);
      else {
        problem(
          name,
          column,
          `${what} names column "${column}" of table "${name}", which is missing`,
        );
      }
    }
    const recorded = new Set(record.holding.map(foldIdentifier));
    const found = new Set(
      holdingNul(session, table.name, columns, action).map(foldIdentifier),
    );
    for (const column of columns) {
      const folded = foldIdentifier(column);
      if (recorded.has(folded) === found.has(folded)) continue;
      problem(
        name,
        column,
        found.has(folded)
          ? `${what} records that ${name}.${column} holds no text with a NUL character, but it does (node:sqlite readers would read its text cut at the NUL)`
          : `${what} records that ${name}.${column} holds text with a NUL character, but it holds none`,
      );
    }
  }
}
