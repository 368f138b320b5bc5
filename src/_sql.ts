/**
 * Every SQL text the library writes lives in the `_sql*.ts` files, so it can
 * be audited for injection in one place, split by audience so that a runtime
 * import loads only the statements it can run at once:
 *
 * - this file: what importing the library, opening a file and a store's
 *   first queries run (store queries, raw SQL, the checks at open, the text
 *   operators of filters), and {@linkcode quote}, which the others use;
 * - `_sql_lazy.ts`: the statements of the modules the runtime loads on first
 *   use (full-text matches, facets, pages, geo lookups, the content hash...);
 * - `_sql_build.ts`: DDL, writes and checks of build-time code, `createAll`,
 *   `dropAll`, `verify` and the CLI.
 *
 * A section moves whole into the file of its audience, or, when its
 * statements serve two, is split under the same heading in each.
 * Identifiers are quoted with {@linkcode quote}; values are always bound as
 * parameters, never pasted into SQL text (the one exception, a column
 * default in `CREATE TABLE`, is rendered by `sqlLiteral`, which escapes it).
 * The engines (`_ffi.ts`, `_node.ts`) keep only their own connection
 * pragmas, fixed text or a validated integer.
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";
import { SQLFragment } from "./fragment.ts";
import { statementText } from "./_rules.ts";

/** Quotes an identifier (table, column, index or savepoint name). */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// ---------------------------------------------------------------------------
// Store queries: select, count, exists, lookup, insert, delete.
// ---------------------------------------------------------------------------

// Table and column names arrive unquoted (as the model declares them) and
// are quoted here; filter conditions arrive as SQL built by `filter.ts` from
// quoted names and `?` placeholders; values are never part of the text.

/** One term of an `ORDER BY`: an SQL column name and its direction. */
export interface OrderTerm {
  /** The SQL column name, unquoted; `rowid` is written as is. */
  readonly column: string;
  /** Whether the order is descending. */
  readonly descending: boolean;
  /**
   * The kind's comparison form of the quoted column, when the order
   * follows it rather than the stored values (`julianday()` for datetime
   * text in several forms; see `canonicalDatetimeSql` in `_sql_lazy.ts`).
   */
  readonly compared?: (sql: string) => string;
}

/** The quoted, comma-separated list of a model's SQL column names. */
export function columnListSql(columns: readonly string[]): string {
  return columns.map(quote).join(", ");
}

/** ` WHERE (a) AND (b)` from conditions, or `""` when there are none. */
export function whereSql(conditions: readonly string[]): string {
  return conditions.length === 0
    ? ""
    : ` WHERE ${conditions.map((sql) => `(${sql})`).join(" AND ")}`;
}

/** The order term that breaks ties on a table without a primary key. */
export const ROWID = "rowid";

/**
 * What an order term sorts by: the rowid, the quoted column, or the
 * column's comparison form.
 */
export function orderTermSql({ column, compared }: OrderTerm): string {
  if (column === ROWID) return ROWID;
  return compared === undefined ? quote(column) : compared(quote(column));
}

/** ` ORDER BY a, b DESC`; the term `rowid` names the table's rowid. */
export function orderBySql(terms: readonly OrderTerm[]): string {
  return ` ORDER BY ${
    terms.map((term) =>
      `${orderTermSql(term)}${term.descending ? " DESC" : ""}`
    ).join(", ")
  }`;
}

/**
 * A search: the columns of `table` filtered by `where` (from
 * {@linkcode whereSql}), in `order` (from {@linkcode orderBySql}), and
 * paginated by two more parameters (limit, offset) when `paged`.
 */
export function selectSql(
  table: string,
  columnList: string,
  where: string,
  order: string,
  paged: boolean,
): string {
  return `SELECT ${columnList} FROM ${quote(table)}${where}${order}${
    paged ? " LIMIT ? OFFSET ?" : ""
  }`;
}

/** Counts the rows of `table` matching `where`. */
export function countSql(table: string, where: string): string {
  return `SELECT count(*) FROM ${quote(table)}${where}`;
}

/** Answers a row when any row of `table` matches `where`. */
export function existsSql(table: string, where: string): string {
  return `SELECT 1 FROM ${quote(table)}${where} LIMIT 1`;
}

/** The row of `table` whose key columns equal the parameters. */
export function lookupSql(
  table: string,
  columnList: string,
  keyColumns: readonly string[],
): string {
  return `SELECT ${columnList} FROM ${quote(table)} WHERE ${
    keyColumns.map((column) => `${quote(column)} = ?`).join(" AND ")
  }`;
}

/**
 * Inserts one row with a parameter per named column (`DEFAULT VALUES`
 * for none), returning `returning` (a column list) when given.
 */
export function insertSql(
  table: string,
  columns: readonly string[],
  returning: string | undefined,
): string {
  return `INSERT INTO ${quote(table)} ${
    columns.length === 0
      ? "DEFAULT VALUES"
      : `(${columnListSql(columns)}) VALUES (${
        columns.map(() => "?").join(", ")
      })`
  }${returning === undefined ? "" : ` RETURNING ${returning}`}`;
}

/** Deletes the rows of `table` matching `where`. */
export function deleteSql(table: string, where: string): string {
  return `DELETE FROM ${quote(table)}${where}`;
}

/** Opens a savepoint (names come from the session's counter). */
export function savepointSql(name: string): string {
  return `SAVEPOINT ${quote(name)}`;
}

/** Commits a savepoint. */
export function releaseSql(name: string): string {
  return `RELEASE ${quote(name)}`;
}

/** Undoes a savepoint's writes and closes it. */
export function rollbackSql(name: string): string {
  return `ROLLBACK TO ${quote(name)}; RELEASE ${quote(name)}`;
}

/**
 * One result column that names the first of `columns` (quoted or not,
 * as SQL expressions) holding TEXT with a NUL character: its index in
 * `columns`, or NULL when none does (so a clean row reads one NULL more).
 * For engines that read text only up to its first NUL
 * (`Engine.readsTextWhole`). `instr` runs first and scans in C; `typeof`
 * runs only on a hit, so a BLOB holding a zero byte is no hit.
 */
export function nulFlagSql(columns: readonly string[]): string {
  return `CASE${
    columns.map((column, i) =>
      ` WHEN instr(${column}, char(0)) > 0 AND typeof(${column}) = 'text' THEN ${i}`
    ).join("")
  } END`;
}

/**
 * Answers a row when a text column of `table` among `columns` (quoted)
 * holds a NUL anywhere in the table: one scan, run once per file.
 */
export function nulCensusSql(
  table: string,
  columns: readonly string[],
): string {
  return `SELECT 1 FROM ${quote(table)} WHERE (${
    nulFlagSql(columns)
  }) IS NOT NULL LIMIT 1`;
}

/**
 * Answers the index (in `columns`, quoted) of a text column holding a NUL
 * in a row of `table` matching `where` (` WHERE ...`, or `""`), in one row,
 * or no row when none does.
 */
export function nulAmongSql(
  table: string,
  columns: readonly string[],
  where: string,
): string {
  const flag = nulFlagSql(columns);
  const hit = `(${flag}) IS NOT NULL`;
  return `SELECT ${flag} FROM ${quote(table)}${
    where === "" ? ` WHERE ${hit}` : `${where} AND ${hit}`
  } LIMIT 1`;
}

// ---------------------------------------------------------------------------
// Schema: CREATE TABLE / CREATE INDEX / DROP.
// ---------------------------------------------------------------------------

/** Foreign keys enforced (writable datasets) or not (while dropping). */
export const FOREIGN_KEYS_ON = "PRAGMA foreign_keys=ON";

/** See {@linkcode FOREIGN_KEYS_ON}. */
export const FOREIGN_KEYS_OFF = "PRAGMA foreign_keys=OFF";

/** Reads the schema once, so a file SQLite cannot read fails at open. */
export const SCHEMA_PROBE = "SELECT count(*) FROM sqlite_schema";

// ---------------------------------------------------------------------------
// Raw SQL: the `sql` template compiler.
// ---------------------------------------------------------------------------

/**
 * Compiles a `dataset.sql` tagged template: the caller's SQL text with a
 * `?` for each interpolated value (an array becomes a comma-separated list
 * of them, an empty array `NULL`), and the values to bind. Booleans bind as
 * 1 and 0; anything that is not an SQL value is a `TypeError`.
 */
export function compileTemplate(
  strings: TemplateStringsArray,
  values: readonly unknown[],
): { text: string; params: SQLValue[] } {
  if (!Array.isArray(strings) || !("raw" in strings)) {
    throw new TypeError(
      "Cannot run sql: call it as a tagged template, db.sql`select ...`",
    );
  }
  let text = strings[0]!;
  const params: SQLValue[] = [];
  const bindOne = (value: unknown, index: number): string => {
    if (typeof value === "boolean") value = value ? 1 : 0;
    if (typeof value === "number" && Number.isNaN(value)) {
      throw new RangeError(
        `Cannot run sql: interpolation ${index} is NaN, which SQLite would store as NULL`,
      );
    }
    if (
      value === null || typeof value === "number" ||
      typeof value === "bigint" || typeof value === "string" ||
      value instanceof Uint8Array
    ) {
      params.push(value);
      return "?";
    }
    throw new TypeError(
      `Cannot run sql: interpolation ${index} is ${
        value === undefined ? "undefined" : typeof value
      }; expected null, a number, bigint, string, boolean, Uint8Array or an array of them`,
    );
  };
  values.forEach((value, index) => {
    if (value instanceof SQLFragment) {
      params.push(...value.params);
      text += value.text + strings[index + 1]!;
      return;
    }
    const placeholder = Array.isArray(value)
      ? (value.length === 0
        ? "NULL"
        : value.map((item) => bindOne(item, index)).join(", "))
      : bindOne(value, index);
    text += placeholder + strings[index + 1]!;
  });
  return { text, params };
}

/**
 * The caller's query with one more result column, last, from
 * {@linkcode nulFlagSql} over all of its `columns` (their names, as the
 * prepared query reports them): `SELECT *, flag FROM (query)`. Only sound
 * when the names are distinct (ASCII case folded): the caller checks.
 */
export function nulCheckedSql(
  sql: string,
  columns: readonly string[],
): string {
  return `SELECT *, ${nulFlagSql(columns.map(quote))} FROM (\n${
    statementText(sql)
  }\n)`;
}

/** The caller's query as a subquery: `SELECT * FROM (query)`. */
export function subquerySql(sql: string): string {
  return `SELECT * FROM (\n${statementText(sql)}\n)`;
}

// ---------------------------------------------------------------------------
// Introspection: what an open file holds.
// ---------------------------------------------------------------------------

/**
 * A table or view by name, in any ASCII case (`?`: the name); SQLite's
 * names are unique in that case, so there is at most one.
 */
export const FIND_TABLE: string =
  "SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE";

/**
 * The columns of a table (`?`: the table), generated ones included
 * (`hidden` 2 or 3), hidden columns of virtual tables left out.
 */
export const TABLE_COLUMNS: string =
  'SELECT name, type, "notnull", pk, dflt_value, hidden FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid';

// ---------------------------------------------------------------------------
// Build and verify.
// ---------------------------------------------------------------------------

/** The metadata fields. */
export function selectMetadataSql(table: string): string {
  return `SELECT key, value FROM ${quote(table)}`;
}

// ---------------------------------------------------------------------------
// Queries (issue 12 §3-§5): text operators, facets, aggregates, keyset
// pages, explain. Columns arrive quoted by the caller (`quote`, or `rowid`);
// every value is a parameter.
// ---------------------------------------------------------------------------

/**
 * The smallest string above every string that starts with `prefix`, in
 * SQLite's BINARY order (UTF-8 bytes, which is code point order): the
 * prefix with its last code point raised by one, dropping trailing
 * U+10FFFF; `undefined` when there is none.
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0) {
    let last = points.pop()!;
    if (last === 0x10ffff) continue;
    last += 1;
    if (last === 0xd800) last = 0xe000; // Surrogates have no UTF-8 form.
    points.push(last);
    return String.fromCodePoint(...points);
  }
  return undefined;
}

/**
 * The first (`from` 1) or last (`from` -1) bytes of a column's text, as
 * many as `?` holds, as a BLOB, and `?` as a BLOB: SQLite's `length()` and
 * `substr()` of a text stop at its first NUL, those of a BLOB do not. A
 * BLOB cell is not text and matches nothing, as before the cast.
 */
function bytesEqualSql(column: string, from: 1 | -1): string {
  const length = "length(CAST(? AS BLOB))";
  return `typeof(${column}) <> 'blob' AND substr(CAST(${column} AS BLOB), ${
    from === 1 ? `1, ${length}` : `-${length}`
  }) = CAST(? AS BLOB)`;
}

/**
 * `startsWith`: a range the column's index answers (`>= prefix` and
 * `< successor`), and an exact check of the first bytes besides for a
 * column whose collation is not BINARY (and for text holding a NUL). No
 * pattern, so nothing needs escaping.
 */
export function startsWithSql(
  column: string,
  prefix: string,
): { sql: string; params: SQLValue[] } {
  if (prefix === "") return { sql: `${column} IS NOT NULL`, params: [] };
  const upper = prefixSuccessor(prefix);
  return {
    sql: `${column} >= ?${
      upper === undefined ? "" : ` AND ${column} < ?`
    } AND ${bytesEqualSql(column, 1)}`,
    params: upper === undefined
      ? [prefix, prefix, prefix]
      : [prefix, upper, prefix, prefix],
  };
}

/** `contains`: `instr`, exact and case-sensitive. */
export function containsSql(
  column: string,
  text: string,
): { sql: string; params: SQLValue[] } {
  return { sql: `instr(${column}, ?) > 0`, params: [text] };
}

/** `endsWith`: the column's last bytes, exact and case-sensitive. */
export function endsWithSql(
  column: string,
  suffix: string,
): { sql: string; params: SQLValue[] } {
  if (suffix === "") return { sql: `${column} IS NOT NULL`, params: [] };
  return { sql: bytesEqualSql(column, -1), params: [suffix, suffix] };
}

// ---------------------------------------------------------------------------
// Geo lookups (issue 12 §2): the R*Tree index of a model's `geo` option.
// ---------------------------------------------------------------------------

// The index is a 2-D R*Tree `<table>_geo (id, minLat, maxLat, minLon,
// maxLon)` holding one point per row whose coordinates are not NULL, keyed
// by the row's rowid. SQLite stores its bounds as 32-bit floats rounded
// outward (lower bounds down, upper bounds up), so a stored point's box
// always holds the point; queries compare those bounds with the search box
// (bound values, rounded outward too), then test the row's own coordinates.

/** The name of a model's geo index: its table name and `_geo`. */
export function geoIndexName(table: string): string {
  return `${table}_geo`;
}

/** ` WHERE` clause `where` (from {@linkcode whereSql}) and one more condition. */
export function andWhereSql(where: string, condition: string): string {
  return where === "" ? ` WHERE (${condition})` : `${where} AND (${condition})`;
}

// ---------------------------------------------------------------------------
// Capabilities (issue 14): probing what an engine's SQLite provides, and
// reading what a file's schema needs.
// ---------------------------------------------------------------------------

/**
 * One statement per feature, run on a private in-memory connection: the
 * feature is there when it runs.
 */
export const CAPABILITY_PROBES: Readonly<
  Record<"fts5" | "rtree" | "json" | "math" | "strict", string>
> = {
  fts5: "CREATE VIRTUAL TABLE probe_fts5 USING fts5(a)",
  rtree: "CREATE VIRTUAL TABLE probe_rtree USING rtree(id, x0, x1)",
  json: "SELECT json_extract(json('[1]'), '$[0]')",
  math: "SELECT sqrt(4.0) + ln(1.0)",
  strict: "CREATE TABLE probe_strict (a INTEGER) STRICT",
};

// ---------------------------------------------------------------------------
// Default order (perf): rowid order on data that cannot change.
// ---------------------------------------------------------------------------

/**
 * Whether the rows of a table are stored in rowid order under a key that
 * is not the rowid, so that reading in rowid order costs less than the key
 * order: answers one row, `1` when the table is a rowid table (not
 * `WITHOUT ROWID`, not a view or virtual table) whose primary key is not
 * its rowid (an `INTEGER PRIMARY KEY` column), else `0`. Binds the table
 * name three times.
 */
export const ROWID_ORDER_SQL: string = `SELECT coalesce((
  SELECT type = 'table' AND wr = 0 FROM pragma_table_list(?) WHERE schema = 'main'
), 0) AND NOT coalesce((
  SELECT count(*) = 1 AND max(pk = 1 AND upper(type) = 'INTEGER')
  FROM pragma_table_info(?) WHERE pk > 0
), 0) AND EXISTS (SELECT 1 FROM pragma_table_info(?) WHERE pk > 0)`;

/** The `ORDER BY` of rowid order. */
export const ROWID_ORDER: string = orderBySql([
  { column: ROWID, descending: false },
]);

// ---------------------------------------------------------------------------
// NUL census in the build metadata (nulmeta): which text columns of a built
// table hold a NUL, recorded once at build time so that node:sqlite readers
// of a shipped file need not scan for it.
// ---------------------------------------------------------------------------

/** One field of the build metadata by key (`?`: the key). */
export function metadataFieldSql(table: string): string {
  return `SELECT value FROM ${quote(table)} WHERE key = ?`;
}

// ---------------------------------------------------------------------------
// Node engine speed (nodefast): NUL flags only where text can be.
// ---------------------------------------------------------------------------

/**
 * {@linkcode nulCheckedSql} whose flag looks only at the result columns
 * at positions `checked` (their names quoted in `columns`, by position),
 * still answering a column's position among all of them.
 */
export function nulCheckedAmongSql(
  sql: string,
  columns: readonly string[],
  checked: readonly number[],
): string {
  const flag = checked.map((i) => {
    const column = quote(columns[i]!);
    return ` WHEN instr(${column}, char(0)) > 0 AND typeof(${column}) = 'text' THEN ${i}`;
  }).join("");
  return `SELECT *, CASE${flag} END FROM (\n${statementText(sql)}\n)`;
}

// ---------------------------------------------------------------------------
// Cold start, continued (issue 15): the one read of the schema at open.
// ---------------------------------------------------------------------------

/**
 * The tables of the file whose SQL may declare a virtual table (name and
 * SQL; the caller reads the module from the SQL): what opening a file with
 * models reads to find a model table whose module an engine may lack, and
 * its check that the schema reads. Narrower than
 * {@linkcode SCHEMA_OBJECTS_SQL}, so ordinary tables, indexes and views
 * cost no scan of their SQL on a cold start.
 */
export const VIRTUAL_TABLES_SQL: string =
  "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%VIRTUAL%' ORDER BY rowid";

// ---------------------------------------------------------------------------
// Cold start (cold5): a model's table checks as PRAGMA statements.
// ---------------------------------------------------------------------------

/**
 * The columns of a table named as an identifier (quoted), as `PRAGMA
 * table_xinfo` lists them (`cid, name, type, notnull, dflt_value, pk,
 * hidden`, in `cid` order): what {@linkcode TABLE_COLUMNS} reads, with the
 * hidden columns of virtual tables left for the caller to skip. The
 * statement form binds no text and sets up no table-valued function (with
 * {@linkcode tableListPragma}, warm: about 5 us where the function forms
 * took 28 on the FFI engine's 3.40, 16 where they took 78 on
 * `node:sqlite`'s 3.53), and finds the table in any ASCII case, as the
 * function form does.
 */
export function tableXinfoPragma(table: string): string {
  return `PRAGMA table_xinfo(${quote(table)})`;
}

/**
 * The tables named `table` (an identifier, quoted) in any ASCII case, one
 * row per schema, as `PRAGMA table_list` lists them (`schema, name, type,
 * ncol, wr, strict`): a table is STRICT when every row of type `table` has
 * `strict` 1. SQLite before 3.37 has no such pragma and ignores it (no
 * rows: no STRICT table either).
 */
export function tableListPragma(table: string): string {
  return `PRAGMA table_list(${quote(table)})`;
}
