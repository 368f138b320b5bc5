/**
 * Every SQL text the library writes, in one file, so it can be audited for
 * injection in one place. Identifiers are quoted with {@linkcode quote};
 * values are always bound as parameters, never pasted into SQL text.
 *
 * @module
 */
import { kindOf, MAX_SAFE } from "./_kinds.ts";
import { encodeValue, sqlLiteral } from "./columns.ts";
import type { AnyModel } from "./model.ts";

/** Quotes an identifier (table, column, index or savepoint name). */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// ---------------------------------------------------------------------------
// Store queries: select, count, exists, lookup, insert, delete.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Schema: CREATE TABLE / CREATE INDEX / DROP.
// ---------------------------------------------------------------------------

/** The `CREATE TABLE` and `CREATE INDEX` statements of a model. */
export function createTableSql(model: AnyModel): string[] {
  const { table, columns, keys, primaryKey, unique, indexes } =
    model.definition;
  const sqlName = (key: string) => quote(columns[key]!.bound.name);
  const lines: string[] = [];
  const foreign: string[] = [];
  for (const key of keys) {
    const column = columns[key]!;
    const { options } = column;
    const kind = kindOf(column);
    let line = kind.sqlType === ""
      ? sqlName(key)
      : `${sqlName(key)} ${kind.sqlType}`;
    if (!column.nullable) line += " NOT NULL";
    if (primaryKey.length === 1 && primaryKey[0] === key) {
      line += " PRIMARY KEY";
    }
    if (options.unique === true) line += " UNIQUE";
    if (options.default !== undefined) {
      line += ` DEFAULT ${
        sqlLiteral(encodeValue(column, options.default, "default"))
      }`;
    }
    if (kind.check !== undefined) {
      line += ` CHECK (${kind.check(sqlName(key))})`;
    }
    lines.push(line);
    if (options.references !== undefined) {
      const target = options.references().bound;
      foreign.push(
        `FOREIGN KEY (${sqlName(key)}) REFERENCES ${quote(target.table)} (${
          quote(target.name)
        })${options.onDelete ? ` ON DELETE ${options.onDelete}` : ""}`,
      );
    }
  }
  if (primaryKey.length > 1) {
    lines.push(`PRIMARY KEY (${primaryKey.map(sqlName).join(", ")})`);
  }
  for (const group of unique) {
    lines.push(`UNIQUE (${group.map(sqlName).join(", ")})`);
  }
  lines.push(...foreign);
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${quote(table)} (\n  ${lines.join(",\n  ")}\n)`,
  ];
  const indexGroups = [
    ...keys.filter((key) => columns[key]!.options.index === true).map((
      key,
    ) => [key]),
    ...indexes,
  ];
  for (const group of indexGroups) {
    const name = `${table}_${
      group.map((key) => columns[key]!.bound.name).join("_")
    }_idx`;
    statements.push(
      `CREATE INDEX IF NOT EXISTS ${quote(name)} ON ${quote(table)} (${
        group.map(sqlName).join(", ")
      })`,
    );
  }
  return statements;
}

// ---------------------------------------------------------------------------
// Raw SQL: the `sql` template compiler.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Introspection: what an open file holds.
// ---------------------------------------------------------------------------

/** The file's own tables (not SQLite's), in creation order. */
export const LIST_TABLES: string =
  "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid";

/**
 * A table or view by name, in any ASCII case (`?`: the name); SQLite's
 * names are unique in that case, so there is at most one.
 */
export const FIND_TABLE: string =
  "SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE";

/**
 * The columns of a table (`?`: the table), generated ones included, hidden
 * columns of virtual tables left out.
 */
export const TABLE_COLUMNS: string =
  'SELECT name, type, "notnull", pk, dflt_value FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid';

/** The indexes of a table (`?`: the table), latest first. */
export const TABLE_INDEXES: string =
  'SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY seq DESC';

/** The columns of an index (`?`: the index); `NULL` for an expression. */
export const INDEX_COLUMNS: string =
  "SELECT name FROM pragma_index_info(?) ORDER BY seqno";

/** The foreign keys of a table (`?`: the table), one row per column. */
export const FOREIGN_KEYS: string =
  'SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq';

/** The page size of the file. */
export const PAGE_SIZE = "PRAGMA page_size";

/** The pages of the file. */
export const PAGE_COUNT = "PRAGMA page_count";

/** The rows of a table. */
export function countRowsSql(table: string): string {
  return `SELECT count(*) FROM ${quote(table)}`;
}

/** The distinct storage classes of a column's values (`null` included). */
export function storedTypesSql(table: string, column: string): string {
  return `SELECT DISTINCT typeof(${quote(column)}) FROM ${quote(table)}`;
}

/** One row when a column holds an integer beyond 2^53, else none. */
export function wideIntegerSql(table: string, column: string): string {
  const name = quote(column);
  return `SELECT 1 FROM ${
    quote(table)
  } WHERE typeof(${name}) = 'integer' AND abs(${name}) > ${MAX_SAFE} LIMIT 1`;
}

/** The largest magnitude among a column's values (codegen's epoch unit). */
export function largestMagnitudeSql(table: string, column: string): string {
  return `SELECT max(abs(${quote(column)})) FROM ${quote(table)}`;
}

// ---------------------------------------------------------------------------
// Build and verify.
// ---------------------------------------------------------------------------

/** Build pragmas: no journal on disk, no syncs before the final one. */
export const BUILD_PRAGMAS =
  "PRAGMA foreign_keys=OFF; PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; PRAGMA cache_size=-2000; PRAGMA mmap_size=0";

/** The first rows whose foreign key points nowhere (`?`: how many). */
export const FOREIGN_KEY_CHECK: string =
  'SELECT "table", rowid, parent, fkid FROM pragma_foreign_key_check LIMIT ?';

/** How many rows have a foreign key that points nowhere. */
export const FOREIGN_KEY_CHECK_COUNT: string =
  "SELECT count(*) FROM pragma_foreign_key_check";

/** One column of one row by rowid (`?`: the rowid). */
export function valueByRowidSql(table: string, column: string): string {
  return `SELECT ${quote(column)} FROM ${quote(table)} WHERE rowid = ?`;
}

/** SQLite's own check of the file: one row `ok`, or the problems. */
export const INTEGRITY_CHECK = "PRAGMA integrity_check";

/** Free pages: more than none means a `VACUUM` gains space. */
export const FREELIST_COUNT = "PRAGMA freelist_count";

/** The build metadata table. */
export function createMetadataSql(table: string): string {
  return `CREATE TABLE ${
    quote(table)
  } (key TEXT PRIMARY KEY, value TEXT NOT NULL)`;
}

/** One metadata field (`?, ?`: key and JSON value). */
export function insertMetadataSql(table: string): string {
  return `INSERT INTO ${quote(table)} (key, value) VALUES (?, ?)`;
}

/** The metadata fields. */
export function selectMetadataSql(table: string): string {
  return `SELECT key, value FROM ${quote(table)}`;
}

/**
 * One scan of a table answering a JSON array of aggregates (`sum(...)`
 * expressions built by the caller from quoted names).
 */
export function aggregateJsonSql(
  table: string,
  aggregates: readonly string[],
): string {
  return `SELECT json_array(${aggregates.join(", ")}) FROM ${quote(table)}`;
}
