/**
 * Every SQL text the library writes, in one file, so it can be audited for
 * injection in one place. Identifiers are quoted with {@linkcode quote};
 * values are always bound as parameters, never pasted into SQL text (the
 * one exception, a column default in `CREATE TABLE`, is rendered by
 * `sqlLiteral`, which escapes it). The engines (`_ffi.ts`, `_node.ts`) keep
 * only their own connection pragmas, fixed text or a validated integer.
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";
import { kindOf, MAX_SAFE } from "./_kinds.ts";
import { encodeValue, sqlLiteral } from "./columns.ts";
import type { AnyModel } from "./model.ts";
import { type SearchDefinition, tokenizeOption } from "./_fts.ts";
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
   * text in several forms; see {@linkcode canonicalDatetimeSql}).
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

/**
 * Inserts `rows` rows into `columns` of `table` in one statement (the
 * loaders' batches): one `?` per value, row after row.
 */
export function insertRowsSql(
  table: string,
  columns: readonly string[],
  rows: number,
): string {
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  return `INSERT INTO ${quote(table)} (${columnListSql(columns)}) VALUES ${
    Array(rows).fill(tuple).join(", ")
  }`;
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

/** Drops a table when it exists (`dataset.dropAll()`). */
export function dropTableSql(table: string): string {
  return `DROP TABLE IF EXISTS ${quote(table)}`;
}

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
    let line = `${sqlName(key)} ${kind.sqlType}`;
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
    // STRICT (SQLite 3.37): every cell holds its declared storage class, so
    // the FFI engine reads it without asking (see checkModelTable).
    `CREATE TABLE IF NOT EXISTS ${quote(table)} (\n  ${
      lines.join(",\n  ")
    }\n) STRICT`,
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

/** Runs `statements` in one transaction, as one SQL text for `exec`. */
export function transactionSql(statements: readonly string[]): string {
  return ["BEGIN", ...statements, "COMMIT"].join(";\n");
}

/** Foreign keys enforced (writable datasets) or not (while dropping). */
export const FOREIGN_KEYS_ON = "PRAGMA foreign_keys=ON";
/** See {@linkcode FOREIGN_KEYS_ON}. */
export const FOREIGN_KEYS_OFF = "PRAGMA foreign_keys=OFF";

/** Reads the schema once, so a file SQLite cannot read fails at open. */
export const SCHEMA_PROBE = "SELECT count(*) FROM sqlite_schema";

/** Every row of a table, as stored (the CLI's `dump` of a table). */
export function selectAllSql(table: string): string {
  return `SELECT * FROM ${quote(table)}`;
}

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
 * The columns of a table (`?`: the table), generated ones included
 * (`hidden` 2 or 3), hidden columns of virtual tables left out.
 */
export const TABLE_COLUMNS: string =
  'SELECT name, type, "notnull", pk, dflt_value, hidden FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid';

/** The indexes of a table (`?`: the table), latest first. */
export const TABLE_INDEXES: string =
  'SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY seq DESC';

/** The columns of an index (`?`: the index); `NULL` for an expression. */
export const INDEX_COLUMNS: string =
  "SELECT name FROM pragma_index_info(?) ORDER BY seqno";

/** The foreign keys of a table (`?`: the table), one row per column. */
export const FOREIGN_KEYS: string =
  'SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq';

/**
 * Whether a table (`?`: the name, any ASCII case) is STRICT: 1 when every
 * table of that name is, 0 or NULL otherwise (SQLite 3.37's table_list).
 */
export const TABLE_STRICT: string =
  "SELECT min(\"strict\") FROM pragma_table_list WHERE name = ? COLLATE NOCASE AND type = 'table'";

/** The page size of the file. */
export const PAGE_SIZE = "PRAGMA page_size";

/** The pages of the file. */
export const PAGE_COUNT = "PRAGMA page_count";

/** The rows of a table. */
export function countRowsSql(table: string): string {
  return `SELECT count(*) FROM ${quote(table)}`;
}

/**
 * How many values of `columns` (quoted; a model's primary key) stand in
 * more than one row of `table`.
 */
export function duplicateKeysSql(
  table: string,
  columns: readonly string[],
): string {
  return `SELECT count(*) FROM (SELECT 1 FROM ${quote(table)} GROUP BY ${
    columns.join(", ")
  } HAVING count(*) > 1)`;
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
  } WHERE typeof(${name}) = 'integer' AND (${name} > ${MAX_SAFE} OR ${name} < -${MAX_SAFE}) LIMIT 1`;
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

/** Statistics for the query planner, the last step of a build. */
export const ANALYZE = "ANALYZE";
/** Rewrites the file without its free pages. */
export const VACUUM = "VACUUM";

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

// ---------------------------------------------------------------------------
// Full-text search (issue 12 §1): the FTS5 index of a model's `search`
// option, its sync triggers, its build steps and the store's query.
// ---------------------------------------------------------------------------

/** An SQL string literal (FTS5 options are strings, not bindable). */
function stringLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The FTS5 table of a search index, reading its text from the model's table. */
export function createSearchTableSql(
  table: string,
  search: SearchDefinition,
): string {
  return `CREATE VIRTUAL TABLE IF NOT EXISTS ${
    quote(search.table)
  } USING fts5(${search.columns.map(quote).join(", ")}, content=${
    stringLiteral(table)
  }, content_rowid=${stringLiteral(search.rowid)}, tokenize=${
    stringLiteral(tokenizeOption(search.tokenize))
  })`;
}

/** The names of the triggers that keep a search index in sync. */
export function searchTriggerNames(search: SearchDefinition): string[] {
  return ["insert", "delete", "update"].map((event) =>
    `${search.table}_${event}`
  );
}

/**
 * The triggers that keep an external-content FTS5 index in sync with the
 * writes to its table: an insert adds the row's text, a delete removes the
 * old text, an update of an indexed column (or the key) does both.
 */
export function searchTriggersSql(
  table: string,
  search: SearchDefinition,
): string[] {
  const fts = quote(search.table);
  const columns = search.columns.map(quote).join(", ");
  const values = (row: string) =>
    [search.rowid, ...search.columns].map((column) => `${row}.${quote(column)}`)
      .join(", ");
  const add = `INSERT INTO ${fts} (rowid, ${columns}) VALUES (${
    values("new")
  });`;
  const remove =
    `INSERT INTO ${fts} (${fts}, rowid, ${columns}) VALUES ('delete', ${
      values("old")
    });`;
  const [insert, del, update] = searchTriggerNames(search).map(quote);
  return [
    `CREATE TRIGGER IF NOT EXISTS ${insert} AFTER INSERT ON ${
      quote(table)
    } BEGIN ${add} END`,
    `CREATE TRIGGER IF NOT EXISTS ${del} AFTER DELETE ON ${
      quote(table)
    } BEGIN ${remove} END`,
    `CREATE TRIGGER IF NOT EXISTS ${update} AFTER UPDATE OF ${
      [search.rowid, ...search.columns].map(quote).join(", ")
    } ON ${quote(table)} BEGIN ${remove} ${add} END`,
  ];
}

/** The statements `createAll()` runs for a model's search index. */
export function createSearchSql(model: AnyModel): string[] {
  const { table, search } = model.definition;
  if (search === undefined) return [];
  return [
    createSearchTableSql(table, search),
    ...searchTriggersSql(table, search),
  ];
}

/** Fills a search index from its content table (FTS5's `rebuild`). */
export function rebuildSearchSql(search: SearchDefinition): string {
  return `INSERT INTO ${quote(search.table)} (${
    quote(search.table)
  }) VALUES ('rebuild')`;
}

/** Merges a search index's segments into one (FTS5's `optimize`). */
export function optimizeSearchSql(search: SearchDefinition): string {
  return `INSERT INTO ${quote(search.table)} (${
    quote(search.table)
  }) VALUES ('optimize')`;
}

/** Checks a search index against its content (FTS5's `integrity-check`). */
export function checkSearchSql(search: SearchDefinition | string): string {
  const name = quote(typeof search === "string" ? search : search.table);
  return `INSERT INTO ${name} (${name}, rank) VALUES ('integrity-check', 1)`;
}

/** What `Store.match()` asks for besides the model's columns. */
export interface MatchShape {
  /** Per-column bm25 weights are bound (one `?` per indexed column). */
  readonly weighted: boolean;
  /** A highlight per indexed column (two `?`: before and after). */
  readonly highlight: boolean;
  /** One snippet (four `?`: before, after, ellipsis, tokens). */
  readonly snippet: boolean;
}

/**
 * A ranked full-text query: the model's `columns` (SQL names) of `table`
 * whose row the index matches, filtered by `where` (from
 * {@linkcode whereSql}), best rank first with the key breaking ties, then
 * LIMIT and OFFSET. Parameters in order: the bm25 weights (when
 * `weighted`), the highlight marks, the snippet's four, the FTS5 query,
 * the filter's, limit and offset. The selected columns are the model's,
 * then the rank, the highlights and the snippet asked for. The index and
 * the filtered table are each read in a subquery, so the filter's column
 * names refer to the model's table alone and never to the index's aliases.
 */
export function matchSql(
  table: string,
  columns: readonly string[],
  search: SearchDefinition,
  where: string,
  shape: MatchShape,
  nulFlagColumns?: readonly number[],
): string {
  const fts = quote(search.table);
  const rank = shape.weighted
    ? `bm25(${fts}, ${search.columns.map(() => "?").join(", ")})`
    : "rank";
  const inner = [`rowid AS "r"`, `${rank} AS "rank"`];
  const outer = [`"m"."rank"`];
  if (shape.highlight) {
    search.columns.forEach((_, i) => {
      inner.push(`highlight(${fts}, ${i}, ?, ?) AS "h${i}"`);
      outer.push(`"m"."h${i}"`);
    });
  }
  if (shape.snippet) {
    inner.push(`snippet(${fts}, -1, ?, ?, ?, ?) AS "s"`);
    outer.push(`"m"."s"`);
  }
  const rows = where === ""
    ? quote(table)
    : `(SELECT ${columnListSql(columns)} FROM ${quote(table)}${where})`;
  const selected = columns.map((column) => `"t".${quote(column)}`);
  // The store's NUL flag (nulFlagSql) follows the model's columns when
  // its reads carry one: `nulFlagColumns` are the indexes of text columns.
  if (nulFlagColumns !== undefined) {
    selected.push(nulFlagSql(nulFlagColumns.map((i) => selected[i]!)));
  }
  return `SELECT ${selected.join(", ")}, ${outer.join(", ")} FROM (SELECT ${
    inner.join(", ")
  } FROM ${fts} WHERE ${fts} MATCH ?) AS "m" JOIN ${rows} AS "t" ON "t".${
    quote(search.rowid)
  } = "m"."r" ORDER BY "m"."rank", "m"."r" LIMIT ? OFFSET ?`;
}

/** Drops a search index (its triggers go with the model's table). */
export function dropSearchSql(search: SearchDefinition): string {
  return `DROP TABLE IF EXISTS ${quote(search.table)}`;
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

/**
 * The values of one column with their counts, most frequent first, ties
 * by value ascending (SQLite's order of the stored values, NULL first);
 * one more parameter (the limit, -1 for none).
 */
export function countBySql(
  table: string,
  column: string,
  where: string,
  compared?: string,
): string {
  // Values the kind compares as one (`compared`: the same instant written
  // in several forms) are one group, shown by one of its stored forms.
  if (compared !== undefined) {
    return `SELECT min(${column}), count(*) AS n FROM ${
      quote(table)
    }${where} GROUP BY ${compared} ORDER BY n DESC, ${compared} LIMIT ?`;
  }
  return `SELECT ${column}, count(*) AS n FROM ${
    quote(table)
  }${where} GROUP BY ${column} ORDER BY n DESC, ${column} LIMIT ?`;
}

/** The distinct values of one column, ascending (NULL first). */
export function distinctSql(
  table: string,
  column: string,
  where: string,
  compared?: string,
): string {
  if (compared !== undefined) {
    return `SELECT min(${column}) FROM ${
      quote(table)
    }${where} GROUP BY ${compared} ORDER BY ${compared}`;
  }
  return `SELECT DISTINCT ${column} FROM ${
    quote(table)
  }${where} ORDER BY ${column}`;
}

/**
 * The smallest or largest value of a column: the first row in the order
 * of `compared` (the kind's comparison form of the column), which an index
 * on the column answers; `where` must exclude NULL.
 */
export function extremeSql(
  table: string,
  column: string,
  compared: string,
  where: string,
  descending: boolean,
): string {
  return `SELECT ${column} FROM ${quote(table)}${where} ORDER BY ${compared}${
    descending ? " DESC" : ""
  } LIMIT 1`;
}

/**
 * `sum` (0 for no rows) or `avg` (NULL for no rows) of a column, then one
 * of its cells that is not a number (SQLite's sum would read the TEXT
 * `'12abc'` as 12), nor an integral one for `"integral"`; NULL when none,
 * and always NULL for `"none"` (a column whose cells SQLite guarantees).
 */
export function aggregateSql(
  table: string,
  aggregate: "sum" | "avg",
  column: string,
  where: string,
  check: "number" | "integral" | "none",
): string {
  const value = aggregate === "sum"
    ? `coalesce(sum(${column}), 0)`
    : `avg(${column})`;
  const bad = check === "integral"
    ? `typeof(${column}) NOT IN ('integer', 'null') AND NOT (typeof(${column}) = 'real' AND ${column} = CAST(${column} AS INTEGER))`
    : `typeof(${column}) NOT IN ('integer', 'real', 'null')`;
  return `SELECT ${value}, ${
    check === "none" ? "NULL" : `min(CASE WHEN ${bad} THEN ${column} END)`
  } FROM ${quote(table)}${where}`;
}

/** SQLite's plan of a query, one row per step (`id, parent, notused, detail`). */
export function explainSql(sql: string): string {
  return `EXPLAIN QUERY PLAN ${sql}`;
}

/** One order term of a keyset page, its column quoted (or `rowid`). */
export interface KeysetTerm {
  /** The quoted column, or `rowid`. */
  readonly sql: string;
  /** Descending. */
  readonly descending: boolean;
  /** Whether the column may hold NULL. */
  readonly nullable: boolean;
}

/**
 * A page's select: `columns` (the model's, then the order keys' as
 * stored), filtered, ordered, and one more parameter: the limit.
 */
export function pageSql(
  table: string,
  columns: string,
  where: string,
  order: string,
): string {
  return `SELECT ${columns} FROM ${quote(table)}${where}${order} LIMIT ?`;
}

/**
 * The rows after a keyset position in the order of `terms` (the last one
 * unique), as conditions to run one after the other, each in the page's
 * order, until the page is full: the rows that tie on every term but the
 * last come first, then those that tie on every term but the last two,
 * and so on. Each is an equality prefix and one range, which an index on
 * the terms answers with a seek, so a deep page costs what the first
 * does however many rows tie (one condition with `OR`, or a row-value
 * comparison, makes SQLite walk every tie before the position). NULLs are
 * placed as SQLite places them: first ascending, last descending.
 */
export function keysetSql(
  terms: readonly KeysetTerm[],
  values: readonly SQLValue[],
): { sql: string; params: SQLValue[] }[] {
  const arms: { sql: string; params: SQLValue[] }[] = [];
  for (let i = terms.length - 1; i >= 0; i--) {
    const equal: string[] = [];
    const params: SQLValue[] = [];
    for (let j = 0; j < i; j++) {
      const previous = values[j]!;
      if (previous === null) {
        equal.push(`${terms[j]!.sql} IS NULL`);
      } else {
        equal.push(`${terms[j]!.sql} = ?`);
        params.push(previous);
      }
    }
    const term = terms[i]!;
    const value = values[i]!;
    const arm = (after: string, own: SQLValue[]) =>
      arms.push({
        sql: [...equal, after].join(" AND "),
        params: [...params, ...own],
      });
    if (value === null) {
      // NULL is first ascending (every value comes after it) and last
      // descending (nothing does).
      if (!term.descending) arm(`${term.sql} IS NOT NULL`, []);
    } else if (term.descending) {
      arm(`${term.sql} < ?`, [value]);
      if (term.nullable) arm(`${term.sql} IS NULL`, []);
    } else {
      arm(`${term.sql} > ?`, [value]);
    }
  }
  return arms;
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

/**
 * The geo index of a model, its fill from the rows already in the table
 * (only when the index is empty, so running it again is harmless), and the
 * triggers that keep it in sync on inserts, updates and deletes.
 */
export function createGeoIndexSql(
  table: string,
  lat: string,
  lon: string,
): string[] {
  const index = quote(geoIndexName(table));
  const t = quote(table);
  const name = (suffix: string) => quote(`${geoIndexName(table)}_${suffix}`);
  const newPoint = `new.${quote(lat)}, new.${quote(lat)}, new.${
    quote(lon)
  }, new.${quote(lon)}`;
  const hasPoint = (row: string) =>
    `${row}.${quote(lat)} IS NOT NULL AND ${row}.${quote(lon)} IS NOT NULL`;
  return [
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${index} USING rtree(id, minLat, maxLat, minLon, maxLon)`,
    `INSERT INTO ${index} (id, minLat, maxLat, minLon, maxLon) SELECT rowid, ${
      quote(lat)
    }, ${quote(lat)}, ${quote(lon)}, ${quote(lon)} FROM ${t} WHERE ${
      quote(lat)
    } IS NOT NULL AND ${
      quote(lon)
    } IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${index})`,
    `CREATE TRIGGER IF NOT EXISTS ${name("insert")} AFTER INSERT ON ${t} WHEN ${
      hasPoint("new")
    } BEGIN INSERT OR REPLACE INTO ${index} (id, minLat, maxLat, minLon, maxLon) VALUES (new.rowid, ${newPoint}); END`,
    `CREATE TRIGGER IF NOT EXISTS ${
      name("delete")
    } AFTER DELETE ON ${t} BEGIN DELETE FROM ${index} WHERE id = old.rowid; END`,
    `CREATE TRIGGER IF NOT EXISTS ${
      name("update")
    } AFTER UPDATE ON ${t} BEGIN DELETE FROM ${index} WHERE id = old.rowid; INSERT OR REPLACE INTO ${index} (id, minLat, maxLat, minLon, maxLon) SELECT new.rowid, ${newPoint} WHERE ${
      hasPoint("new")
    }; END`,
  ];
}

/**
 * The condition of a geo lookup on `table`: its rowid among the index's
 * entries overlapping any of `boxes` boxes (4 parameters each: south,
 * north, west, east), then, unless `exact` is `undefined`, its own
 * coordinates inside the searched box (4 more: south, north, west, east),
 * `"crossing"` for a box that crosses the antimeridian (`west > east`).
 */
export function geoConditionSql(
  table: string,
  lat: string,
  lon: string,
  boxes: number,
  exact: "plain" | "crossing" | undefined,
): string {
  const index = quote(geoIndexName(table));
  const probe =
    `SELECT id FROM ${index} WHERE maxLat >= ? AND minLat <= ? AND maxLon >= ? AND minLon <= ?`;
  const candidates = `rowid IN (${
    Array(boxes).fill(probe).join(" UNION ALL ")
  })`;
  if (exact === undefined) return candidates;
  const la = quote(lat);
  const lo = quote(lon);
  return `${candidates} AND ${la} >= ? AND ${la} <= ? AND ${
    exact === "crossing"
      ? `(${lo} >= ? OR ${lo} <= ?)`
      : `${lo} >= ? AND ${lo} <= ?`
  }`;
}

/** ` WHERE` clause `where` (from {@linkcode whereSql}) and one more condition. */
export function andWhereSql(where: string, condition: string): string {
  return where === "" ? ` WHERE (${condition})` : `${where} AND (${condition})`;
}

/** The rowid and coordinates of the rows of `table` matching `where`. */
export function geoCandidatesSql(
  table: string,
  lat: string,
  lon: string,
  where: string,
): string {
  return `SELECT rowid, ${quote(lat)}, ${quote(lon)} FROM ${
    quote(table)
  }${where}`;
}

/** The columns and then the rowid of the rows of `table` with `count` rowids. */
export function rowsByRowidSql(
  table: string,
  columnList: string,
  count: number,
): string {
  return `SELECT ${columnList}, rowid FROM ${quote(table)} WHERE rowid IN (${
    Array(count).fill("?").join(", ")
  })`;
}

/** The geo index statements of a model (none without a `geo` option). */
export function modelGeoIndexSql(model: AnyModel): string[] {
  const { table, geo, columns } = model.definition;
  if (geo === undefined) return [];
  return createGeoIndexSql(
    table,
    columns[geo.lat]!.bound.name,
    columns[geo.lon]!.bound.name,
  );
}

/** The largest rowid of a table (0 when empty): a cheap size estimate. */
export function maxRowidSql(table: string): string {
  return `SELECT coalesce(max(rowid), 0) FROM ${quote(table)}`;
}

/** The shadow tables of the file's virtual tables (SQLite 3.37). */
export const SHADOW_TABLES: string =
  "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'";

/** A trigger's SQL text by name (`?`: the name). */
export const TRIGGER_SQL: string =
  "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?";

/** The rows of `table` whose two coordinate columns are not NULL. */
export function countPointsSql(
  table: string,
  lat: string,
  lon: string,
): string {
  return `SELECT count(*) FROM ${quote(table)} WHERE ${
    quote(lat)
  } IS NOT NULL AND ${quote(lon)} IS NOT NULL`;
}

// ---------------------------------------------------------------------------
// Content hash (issue 13's ETag): the hash a built file records.
// ---------------------------------------------------------------------------

/** One field of the build metadata by key (`?`: the key). */
export function recordedHashSql(table: string): string {
  return `SELECT value FROM ${quote(table)} WHERE key = ?`;
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

/** Every object of the file's schema with SQL text: type, name, SQL. */
export const SCHEMA_OBJECTS_SQL: string =
  "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid";

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

/**
 * One scan of `table` answering one row: per column of `columns` (quoted),
 * `1` when some row holds text with a NUL character in it, else `0` (also
 * for an empty table).
 */
export function nulColumnsSql(
  table: string,
  columns: readonly string[],
): string {
  return `SELECT ${
    columns.map((column) =>
      `coalesce(max(typeof(${column}) = 'text' AND instr(${column}, char(0)) > 0), 0)`
    ).join(", ")
  } FROM ${quote(table)}`;
}

/** One field of the build metadata by key (`?`: the key). */
export function metadataFieldSql(table: string): string {
  return `SELECT value FROM ${quote(table)} WHERE key = ?`;
}

// ---------------------------------------------------------------------------
// Read-path speed (perf2): keyset pages seek on their position.
// ---------------------------------------------------------------------------

/**
 * The `WHERE` of a page after a keyset position: the position's condition
 * (an arm of {@linkcode keysetSql}) first, then the filter's (from
 * {@linkcode whereSql}, or `""`). SQLite seeks on the first of two range
 * conditions on the same column (`id > ?` of a filter and `id > ?` of the
 * position) and checks the other row by row: with the filter first, a
 * page 10,000 pages into a filtered order walked every row between the
 * filter's bound and the position (3.40 and 3.53 alike).
 */
export function keysetWhereSql(filter: string, arm: string): string {
  return filter === ""
    ? ` WHERE ${arm}`
    : ` WHERE (${arm}) AND ${filter.slice(" WHERE ".length)}`;
}

// ---------------------------------------------------------------------------
// Node engine speed (nodefast): NUL flags only where text can be.
// ---------------------------------------------------------------------------

/**
 * The columns of the `main` table `?` (given twice) that can never hold
 * text: declared INT, INTEGER, REAL or BLOB in a STRICT table, and not
 * generated (SQLite enforces a STRICT table's types on what it stores).
 * No rows for any other table (not STRICT, a view, a virtual table).
 */
export const TEXT_FREE_COLUMNS: string =
  `SELECT x.name FROM pragma_table_xinfo(?, 'main') AS x WHERE x.hidden = 0 AND upper(x.type) IN ('INT', 'INTEGER', 'REAL', 'BLOB') AND (SELECT t."strict" FROM pragma_table_list AS t WHERE t.schema = 'main' AND t.type = 'table' AND t.name = ?) = 1`;

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
// Datetime order (wrong): text written in several forms orders by instant.
// ---------------------------------------------------------------------------

/**
 * `1` when every value of `column` (unquoted) in `table` is NULL or text
 * in the one form `Date.toISOString()` writes for the years 0000-9999
 * (`2024-01-02T03:04:05.678Z`): such texts sort as the instants they
 * name, so an order on the column needs no `julianday()` (and an index on
 * it serves the order). `0` when some value is in another form.
 */
export function canonicalDatetimeSql(table: string, column: string): string {
  const c = quote(column);
  return `SELECT NOT EXISTS (SELECT 1 FROM ${
    quote(table)
  } WHERE ${c} IS NOT NULL AND (typeof(${c}) <> 'text' OR ${c} NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'))`;
}

// ---------------------------------------------------------------------------
// Geo coordinate ranges (wrong): rows a search box in range cannot reach.
// ---------------------------------------------------------------------------

/**
 * The first row of `table` whose point in the geo index lies outside
 * latitudes -90..90 or longitudes -180..180, which no search box reaches:
 * its `keys` (quoted here; the rowid when none), then its `lat` and `lon`.
 * Each arm is one R*Tree range probe, which reads only the nodes whose
 * bounds reach past the range (none in a file in range); the index's
 * 32-bit bounds are rounded outward, so a point at the edge (-179.99999)
 * may be stored past it, and the row's own coordinates decide.
 */
export function geoOutOfRangeSql(
  table: string,
  lat: string,
  lon: string,
  keys: readonly string[],
): string {
  const index = quote(geoIndexName(table));
  const probe = (condition: string) =>
    `SELECT id FROM ${index} WHERE ${condition}`;
  return `SELECT ${keys.length === 0 ? ROWID : keys.map(quote).join(", ")}, ${
    quote(lat)
  }, ${quote(lon)} FROM ${quote(table)} WHERE rowid IN (${
    [
      probe("maxLat > 90"),
      probe("minLat < -90"),
      probe("maxLon > 180"),
      probe("minLon < -180"),
    ].join(" UNION ALL ")
  }) AND NOT (${quote(lat)} BETWEEN -90 AND 90 AND ${
    quote(lon)
  } BETWEEN -180 AND 180) LIMIT 1`;
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
// The engines agree: an average both SQLite versions compute alike.
// ---------------------------------------------------------------------------

/**
 * For an average of integers divided in JavaScript: their exact sum, how
 * many values it summed, then one of its cells that is no integer (as
 * {@linkcode aggregateSql} with `"integral"`; always NULL for `"none"`).
 * SQLite 3.40's `avg()` adds integers as doubles, 3.43 and later exactly
 * until they overflow, so `avg()` of 2^63 - 1 and -2^63 was 0 on the one
 * and -0.5 on the other. The sum is `sum(x)`, or, `split`, after that
 * overflowed, two sums that cannot overflow below 2^31 rows: `sum(x >> 32)`
 * and `sum(x & 0xFFFFFFFF)` (SQLite shifts right keeping the sign, so x is
 * high * 2^32 + low), in the first two columns (the second 0 unsplit).
 */
export function integerAverageSql(
  table: string,
  column: string,
  where: string,
  check: "integral" | "none",
  split: boolean,
): string {
  const bad = check === "none"
    ? "NULL"
    : `min(CASE WHEN typeof(${column}) NOT IN ('integer', 'null') AND NOT (typeof(${column}) = 'real' AND ${column} = CAST(${column} AS INTEGER)) THEN ${column} END)`;
  const sums = split
    ? `sum(${column} >> 32), sum(${column} & 4294967295)`
    : `sum(${column}), 0`;
  return `SELECT ${sums}, count(${column}), ${bad} FROM ${
    quote(table)
  }${where}`;
}

// ---------------------------------------------------------------------------
// Node pages with room to spare (issue 15, margins): the one keyset arm of
// a one-term order, and a filter that is one bound on that term.
// ---------------------------------------------------------------------------

/**
 * The arm {@linkcode keysetSql} writes for a one-term keyset after a value
 * that is not NULL: `term > ?` ascending, `term < ?` descending. (A
 * descending nullable term has a second arm for its NULLs.)
 */
export function oneArmSql(term: KeysetTerm): string {
  return `${term.sql} ${term.descending ? "<" : ">"} ?`;
}

/**
 * The `WHERE` texts ({@linkcode whereSql}) of a filter that is one bound on
 * a keyset term, on the side its pages move to: `term > ?` and
 * `term >= ?` ascending, `term < ?` and `term <= ?` descending. Rows past a
 * position on or past such a bound all lie within it.
 */
export function boundFilterSqls(term: KeysetTerm): readonly string[] {
  const sign = term.descending ? "<" : ">";
  return [
    whereSql([`${term.sql} ${sign} ?`]),
    whereSql([`${term.sql} ${sign}= ?`]),
  ];
}

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
 * ncol, wr, strict`): {@linkcode TABLE_STRICT}'s answer is the least
 * `strict` of the rows of type `table`. SQLite before 3.37 has no such
 * pragma and ignores it (no rows: no STRICT table either).
 */
export function tableListPragma(table: string): string {
  return `PRAGMA table_list(${quote(table)})`;
}
