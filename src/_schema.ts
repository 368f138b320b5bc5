/**
 * What an open file holds: its tables (virtual ones included), their
 * columns (declared type, nullability, default, primary-key position),
 * indexes and foreign keys. The one place that reads a file's schema: the
 * store's check of a model against the file, `verifyDataSet`, the build's
 * foreign-key check, and the CLI's `inspect` and `codegen` use it.
 *
 * Every function is synchronous over an open session and maps engine
 * errors onto the library's classes.
 *
 * @module
 */
import { ColumnHint, type SQLValue } from "./_engine.ts";
import { kindOf } from "./_kinds.ts";
import type { Session } from "./_session.ts";
import { foldIdentifier } from "./_rules.ts";
import {
  countRowsSql,
  FIND_TABLE,
  FOREIGN_KEYS,
  geoIndexName,
  INDEX_COLUMNS,
  LIST_TABLES,
  SHADOW_TABLES,
  storedTypesSql,
  TABLE_COLUMNS,
  TABLE_INDEXES,
  TABLE_STRICT,
  tableListPragma,
  tableXinfoPragma,
  TRIGGER_SQL,
  wideIntegerSql,
} from "./_sql.ts";
import { DataSetError } from "./errors.ts";
import { fts5ShadowTables, parseFts5 } from "./_fts.ts";
import type { ModelDefinition } from "./model.ts";

/** A column as the file declares it. */
export interface ColumnSchema {
  /** The SQL name. */
  name: string;
  /** The declared type, `""` when none. */
  type: string;
  /** Whether it is declared NOT NULL. */
  notNull: boolean;
  /** Its 1-based position in the primary key, 0 when not in it. */
  primaryKey: number;
  /** The default's SQL text, `null` when none. */
  default: string | null;
}

/** A column with whether it is generated (`GENERATED ALWAYS AS`). */
interface FileColumn extends ColumnSchema {
  generated: boolean;
}

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

/** Runs a query to its end and answers its rows as arrays of values. */
export function readRows(
  session: Session,
  sql: string,
  params: readonly SQLValue[],
  action: string,
): SQLValue[][] {
  return session.all(sql, params, action, (statement) => {
    const width = statement.columnCount;
    const row: SQLValue[] = new Array(width);
    for (let i = 0; i < width; i++) row[i] = statement.column(i);
    return row;
  });
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

/**
 * A table or view by name in any ASCII case (SQLite's rule), as the file
 * spells it, or `undefined`.
 */
export function findTable(
  session: Session,
  name: string,
  action: string,
): { name: string; type: "table" | "view" } | undefined {
  const [row] = readRows(session, FIND_TABLE, [name], action);
  if (row === undefined) return undefined;
  return { name: String(row[0]), type: row[1] === "view" ? "view" : "table" };
}

/** The columns of a table or view; empty when there is none of that name. */
export function tableColumns(
  session: Session,
  table: string,
  action: string,
): ColumnSchema[] {
  return fileColumns(session, table, action).map((
    { generated: _, ...column },
  ) => column);
}

/** {@linkcode tableColumns}, with whether each column is generated. */
function fileColumns(
  session: Session,
  table: string,
  action: string,
): FileColumn[] {
  return readRows(session, TABLE_COLUMNS, [table], action).map(fileColumn);
}

/** A row of {@linkcode TABLE_COLUMNS} as a column. */
function fileColumn(
  [name, type, notNull, pk, dflt, hidden]: readonly SQLValue[],
): FileColumn {
  return {
    name: String(name),
    type: String(type ?? ""),
    notNull: notNull === 1,
    primaryKey: Number(pk),
    default: dflt === null ? null : String(dflt),
    generated: hidden !== 0,
  };
}

/**
 * The columns of a table and whether it is STRICT, as two PRAGMA
 * statements naming the table as a quoted identifier
 * ({@linkcode tableXinfoPragma}, then {@linkcode tableListPragma} when it
 * has columns): no text to bind, and no table-valued function to set up,
 * on a cold start (issue 15).
 */
function pragmaColumnsStrict(
  session: Session,
  table: string,
  action: string,
): { columns: FileColumn[]; strict: SQLValue | undefined } {
  // Read by position, as TABLE_COLUMNS orders them (name, type, notnull,
  // pk, dflt_value, hidden), so the column count is never asked.
  const columns: FileColumn[] = [];
  const rows = session.all(tableXinfoPragma(table), [], action, (s) => [
    s.column(1),
    s.column(2),
    s.column(3),
    s.column(5),
    s.column(4),
    s.column(6),
  ]);
  for (const row of rows) if (row[5] !== 1) columns.push(fileColumn(row));
  let strict: SQLValue | undefined;
  if (columns.length === 0) return { columns, strict };
  // schema, name, type, ncol, wr, strict: the least of the tables'.
  for (
    const [type, flag] of session.all(
      tableListPragma(table),
      [],
      action,
      (s) => [s.column(2), s.column(5)],
    )
  ) {
    if (type === "table" && strict !== 0) strict = Number(flag);
  }
  return { columns, strict };
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

/**
 * Checks once per connection that the file has a model's table and
 * columns, so a file that does not match fails at first use with a
 * `DataSetError` naming the table and column.
 * @returns The session, checked.
 */
export function checkModelTable(
  session: Session,
  definition: ModelDefinition,
): Session {
  if (session.checkedModels.has(definition)) return session;
  const { table, keys, columns } = definition;
  const action = `Cannot use ${table}`;
  // Where the read hints need whether the table is STRICT, one statement
  // answers that with the columns.
  const both = session.fixedSchema
    ? pragmaColumnsStrict(session, table, action)
    : undefined;
  const declared = both?.columns ?? fileColumns(session, table, action);
  const found = new Set(
    declared.map((column) => foldIdentifier(column.name)),
  );
  if (found.size === 0) throw modelMismatch(session, definition);
  for (const key of keys) {
    const name = columns[key]!.bound.name;
    if (!found.has(foldIdentifier(name))) {
      throw modelMismatch(session, definition, key);
    }
  }
  session.checkedModels.set(
    definition,
    readHints(session, definition, declared, both),
  );
  return session;
}

/**
 * The `DataSetError` of a file without the model's table, or without the
 * column of its property `key`: out of {@linkcode checkModelTable},
 * compiled only on that failure (cold start, issue 15).
 */
function modelMismatch(
  session: Session,
  definition: ModelDefinition,
  key?: string,
): DataSetError {
  const { table, columns } = definition;
  const mismatch =
    `Cannot use ${table}: dataset "${session.dataset}" does not match the model (${session.path})`;
  if (key === undefined) {
    return new DataSetError(`${mismatch}: no such table "${table}"`, {
      dataset: session.dataset,
    });
  }
  const name = columns[key]!.bound.name;
  return new DataSetError(
    `${mismatch}: table "${table}" has no column "${name}"${
      name === key ? "" : ` (property ${key})`
    }`,
    { dataset: session.dataset },
  );
}

/**
 * The read hints of a model's columns on a session's file: each kind's
 * hint, made a STRICT one where SQLite guarantees the storage class it
 * names, so the FFI engine skips asking for it. That is where the table is
 * STRICT and the column, not generated, is declared INTEGER, INT or REAL
 * (numbers) or TEXT (text). Only on a session whose schema cannot change
 * (`Session.fixedSchema`): a writable one may recreate the table through
 * raw SQL after this check, and another process may recreate it in a file
 * opened with `immutable: false`.
 */
function readHints(
  session: Session,
  definition: ModelDefinition,
  declaredColumns: readonly FileColumn[],
  known?: { readonly strict: SQLValue | undefined },
): readonly ColumnHint[] {
  const { table, keys, columns } = definition;
  const hints = keys.map((key) => kindOf(columns[key]!).hint);
  if (!session.fixedSchema) return hints;
  const action = `Cannot use ${table}`;
  let strict: SQLValue | undefined;
  if (known !== undefined) strict = known.strict;
  else {
    try {
      strict = session.value(TABLE_STRICT, [table], action);
    } catch {
      // SQLite before 3.37 has no table_list, and no STRICT table either.
      return hints;
    }
  }
  if (strict !== 1) return hints;
  const declared = new Map<string, string>();
  for (const column of declaredColumns) {
    if (!column.generated) {
      declared.set(foldIdentifier(column.name), column.type.toUpperCase());
    }
  }
  session.strictIntegers.set(
    definition,
    keys.map((key) => {
      const type = declared.get(foldIdentifier(columns[key]!.bound.name));
      return type === "INTEGER" || type === "INT";
    }),
  );
  return keys.map((key, i) => {
    const hint = hints[i]!;
    const type = declared.get(foldIdentifier(columns[key]!.bound.name));
    if (
      hint === ColumnHint.NUMBER &&
      (type === "INTEGER" || type === "INT" || type === "REAL")
    ) {
      return ColumnHint.NUMBER_STRICT;
    }
    if (hint === ColumnHint.TEXT && type === "TEXT") {
      return ColumnHint.TEXT_STRICT;
    }
    return hint;
  });
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
