/**
 * The schema reads no first query runs, out of `_schema.ts` so that a
 * runtime import does not load them: a whole file's tables, columns,
 * indexes, foreign keys, row counts and stored types, its full-text and
 * geo indexes (`verifyDataSet`, the build's checks, the CLI's `inspect`
 * and `codegen`, the HTTP handler's listing of an undeclared file), and
 * the geo index check that geo lookups, loaded on first use, make.
 * `_schema.ts` keeps what a store's first query runs: finding a table and
 * checking a model's table and columns.
 *
 * Every function is synchronous over an open session and maps engine
 * errors onto the library's classes.
 *
 * @module
 */
import type { Session } from "./_session.ts";
import { foldIdentifier } from "./_rules.ts";
import {
  countRowsSql,
  FOREIGN_KEYS,
  INDEX_COLUMNS,
  LIST_TABLES,
  SHADOW_TABLES,
  storedTypesSql,
  TABLE_INDEXES,
  TRIGGER_SQL,
  wideIntegerSql,
} from "./_sql_build.ts";
import { geoIndexName } from "./_sql.ts";
import { DataSetError } from "./errors.ts";
import { fts5ShadowTables, parseFts5 } from "./_fts_declaration.ts";
import type { ModelDefinition } from "./model.ts";
import { type ColumnSchema, readRows, tableColumns } from "./_schema.ts";

/** An index of a table. */
export interface IndexSchema {
  /** The index name (`sqlite_autoindex_...` for constraints). */
  name: string;
  /** Whether it is unique. */
  unique: boolean;
  /** `"c"` CREATE INDEX, `"u"` UNIQUE constraint, `"pk"` primary key. */
  origin: string;
  /** Whether it has a WHERE clause. */
  partial: boolean;
  /** Its columns in order; `null` for an expression. */
  columns: (string | null)[];
}

/** A foreign key of a table. */
export interface ForeignKeySchema {
  /** The referencing columns. */
  columns: string[];
  /** The referenced table. */
  table: string;
  /** The referenced columns; `null` where the parent's primary key is meant. */
  to: (string | null)[];
}

/** A table with everything the file declares about it. */
export interface TableSchema {
  /** The table name as the file spells it. */
  name: string;
  /** Whether it is a virtual table (`CREATE VIRTUAL TABLE`). */
  virtual: boolean;
  /** Its `CREATE` statement. */
  sql: string;
  /** Its columns, in order. */
  columns: ColumnSchema[];
  /** Its indexes, latest first. */
  indexes: IndexSchema[];
  /** Its foreign keys. */
  foreignKeys: ForeignKeySchema[];
}

/** The file's tables (SQLite's own left out), in creation order. */
export function listTables(
  session: Session,
  action: string,
): { name: string; virtual: boolean; sql: string }[] {
  return readRows(session, LIST_TABLES, [], action).map(([name, sql]) => ({
    name: String(name),
    virtual: /^\s*CREATE\s+VIRTUAL\s/i.test(String(sql ?? "")),
    sql: String(sql ?? ""),
  }));
}

/** The indexes of a table, latest first. */
export function tableIndexes(
  session: Session,
  table: string,
  action: string,
): IndexSchema[] {
  return readRows(session, TABLE_INDEXES, [table], action).map((
    [name, unique, origin, partial],
  ) => ({
    name: String(name),
    unique: unique === 1,
    origin: String(origin),
    partial: partial === 1,
    columns: readRows(session, INDEX_COLUMNS, [String(name)], action).map((
      [column],
    ) => column === null ? null : String(column)),
  }));
}

/** The foreign keys of a table, by their id in the file. */
export function foreignKeys(
  session: Session,
  table: string,
  action: string,
): Map<number, ForeignKeySchema> {
  const keys = new Map<number, ForeignKeySchema>();
  for (
    const [id, parent, from, to] of readRows(
      session,
      FOREIGN_KEYS,
      [table],
      action,
    )
  ) {
    const key = keys.get(Number(id)) ??
      { columns: [], table: String(parent), to: [] };
    key.columns.push(String(from));
    key.to.push(to === null ? null : String(to));
    keys.set(Number(id), key);
  }
  return keys;
}

/** Everything the file declares, table by table, in creation order. */
export function readSchema(session: Session, action: string): TableSchema[] {
  return listTables(session, action).map((table) => ({
    ...table,
    columns: tableColumns(session, table.name, action),
    indexes: tableIndexes(session, table.name, action),
    foreignKeys: [...foreignKeys(session, table.name, action).values()],
  }));
}

/** The rows of a table. */
export function countRows(
  session: Session,
  table: string,
  action: string,
): number {
  return Number(session.value(countRowsSql(table), [], action));
}

/** The storage classes a column's values have (`null` left out). */
export function storedTypes(
  session: Session,
  table: string,
  column: string,
  action: string,
): Set<string> {
  const types = new Set(
    readRows(session, storedTypesSql(table, column), [], action).map((
      [type],
    ) => String(type)),
  );
  types.delete("null");
  return types;
}

/** Whether a column holds an integer beyond 2^53. */
export function holdsWideIntegers(
  session: Session,
  table: string,
  column: string,
  action: string,
): boolean {
  return session.value(wideIntegerSql(table, column), [], action) !==
    undefined;
}

/** An FTS5 full-text index the file holds. */
export interface SearchIndexSchema {
  /** The FTS5 table's name. */
  name: string;
  /** Its indexed columns. */
  columns: string[];
  /** The table it reads its text from, `null` when it keeps its own. */
  content: string | null;
  /** The content table's column that is the index's rowid. */
  contentRowid: string;
  /** The `tokenize` option as declared, `""` for FTS5's default. */
  tokenize: string;
  /** The shadow tables FTS5 keeps for it (present in the file). */
  shadowTables: string[];
}

/**
 * The file's FTS5 tables, in creation order, read from their declarations
 * (FTS5 answers no pragma about its options).
 */
export function searchIndexes(
  session: Session,
  action: string,
): SearchIndexSchema[] {
  const tables = listTables(session, action);
  const names = new Set(tables.map((table) => foldIdentifier(table.name)));
  const found: SearchIndexSchema[] = [];
  for (const table of tables) {
    if (!table.virtual) continue;
    const declaration = parseFts5(table.sql);
    if (declaration === undefined) continue;
    found.push({
      name: table.name,
      columns: declaration.columns,
      content: declaration.content ?? null,
      contentRowid: declaration.contentRowid ?? "rowid",
      tokenize: declaration.tokenize,
      shadowTables: fts5ShadowTables(table.name).filter((name) =>
        names.has(foldIdentifier(name))
      ),
    });
  }
  return found;
}

/** The models whose geo index each session has found in its file. */
const checkedGeo = new WeakMap<Session, WeakSet<ModelDefinition>>();

/** The columns of a geo index, in order. */
const GEO_INDEX_COLUMNS = ["id", "minlat", "maxlat", "minlon", "maxlon"];

/**
 * Checks once per connection that the file has the R*Tree index of a
 * model's `geo` option, so a file built without it fails with a
 * `DataSetError` naming the index rather than an SQL error.
 */
export function checkGeoIndex(
  session: Session,
  definition: ModelDefinition,
): void {
  let checked = checkedGeo.get(session);
  if (checked?.has(definition)) return;
  const index = geoIndexName(definition.table);
  const action = `Cannot use the geo index of ${definition.table}`;
  const columns = tableColumns(session, index, action).map((column) =>
    foldIdentifier(column.name)
  );
  if (columns.join() !== GEO_INDEX_COLUMNS.join()) {
    throw new DataSetError(
      `${action}: dataset "${session.dataset}" has no R*Tree "${index}" (id, minLat, maxLat, minLon, maxLon) (${session.path}); build the file with this model's geo option, or run createAll()`,
      { dataset: session.dataset },
    );
  }
  if (checked === undefined) {
    checked = new WeakSet();
    checkedGeo.set(session, checked);
  }
  checked.add(definition);
}

/**
 * The shadow tables of the file's virtual tables (an R*Tree's `_node`,
 * `_rowid`, `_parent`), which the CLI leaves out of its listings.
 */
export function shadowTables(session: Session, action: string): Set<string> {
  return new Set(
    readRows(session, SHADOW_TABLES, [], action).map(([name]) => String(name)),
  );
}

/** A geo index found in a file. */
export interface GeoIndexSchema {
  /** The R*Tree's name, `<table>_geo`. */
  readonly index: string;
  /** The indexed table, as the file spells it. */
  readonly table: string;
  /**
   * The latitude and longitude columns, read from the index's insert
   * trigger; `undefined` when the file has no such trigger.
   */
  readonly columns: { lat: string; lon: string } | undefined;
}

const QUOTED = String.raw`"((?:[^"]|"")+)"`;

const GEO_INSERT = new RegExp(
  String
    .raw`VALUES \(new\.rowid, new\.${QUOTED}, new\.${QUOTED}, new\.${QUOTED}, new\.${QUOTED}\)`,
);

/**
 * The geo indexes of a file: R*Trees named `<table>_geo` beside a table of
 * that name, as `createAll()` and `buildDataSet` make them.
 */
export function geoIndexes(
  session: Session,
  action: string,
): GeoIndexSchema[] {
  const tables = listTables(session, action);
  const found: GeoIndexSchema[] = [];
  for (const virtual of tables) {
    if (!virtual.virtual || !/\bUSING\s+rtree\s*\(/i.test(virtual.sql)) {
      continue;
    }
    const table = tables.find((t) =>
      !t.virtual && geoIndexName(foldIdentifier(t.name)) ===
        foldIdentifier(virtual.name)
    );
    if (table === undefined) continue;
    const [row] = readRows(
      session,
      TRIGGER_SQL,
      [`${virtual.name}_insert`],
      action,
    );
    const match = row === undefined ? null : GEO_INSERT.exec(String(row[0]));
    const unquote = (name: string) => name.replaceAll('""', '"');
    found.push({
      index: virtual.name,
      table: table.name,
      columns: match === null || match[1] !== match[2] || match[3] !== match[4]
        ? undefined
        : { lat: unquote(match[1]!), lon: unquote(match[3]!) },
    });
  }
  return found;
}

/**
 * The names (folded) of the tables that belong to a virtual table: FTS5's
 * shadow tables, which tools show as part of their index.
 */
export function shadowTableNames(
  indexes: readonly SearchIndexSchema[],
): Set<string> {
  return new Set(
    indexes.flatMap((index) => index.shadowTables.map(foldIdentifier)),
  );
}
