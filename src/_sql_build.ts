/**
 * The SQL of build-time code and of the writes and checks no read runs:
 * `CREATE TABLE`/`CREATE INDEX`/`DROP` (`buildDataSet`, `createAll`,
 * `dropAll`), the search and geo indexes' DDL, the build and verify
 * statements and the CLI's: the part of the library's SQL a runtime import
 * does not load (see `_sql.ts`, which holds the rest and
 * {@linkcode quote}). Identifiers are quoted, values bound (the one
 * exception, a column default in `CREATE TABLE`, is rendered by
 * `sqlLiteral`, which escapes it).
 *
 * @module
 */
import { kindOf, MAX_SAFE } from "./_kinds.ts";
import { encodeValue, sqlLiteral } from "./columns.ts";
import type { AnyModel } from "./model.ts";
import { type SearchDefinition, tokenizeOption } from "./_fts.ts";
import { columnListSql, geoIndexName, quote } from "./_sql.ts";

// ---------------------------------------------------------------------------
// Store queries: select, count, exists, lookup, insert, delete.
// ---------------------------------------------------------------------------

// Table and column names arrive unquoted (as the model declares them) and
// are quoted here; filter conditions arrive as SQL built by `filter.ts` from
// quoted names and `?` placeholders; values are never part of the text.

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

/** Every row of a table, as stored (the CLI's `dump` of a table). */
export function selectAllSql(table: string): string {
  return `SELECT * FROM ${quote(table)}`;
}

// ---------------------------------------------------------------------------
// Introspection: what an open file holds.
// ---------------------------------------------------------------------------

/** The file's own tables (not SQLite's), in creation order. */
export const LIST_TABLES: string =
  "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid";

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

/** Drops a search index (its triggers go with the model's table). */
export function dropSearchSql(search: SearchDefinition): string {
  return `DROP TABLE IF EXISTS ${quote(search.table)}`;
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

// ---------------------------------------------------------------------------
// Capabilities (issue 14): reading what a file's schema needs.
// ---------------------------------------------------------------------------

/** Every object of the file's schema with SQL text: type, name, SQL. */
export const SCHEMA_OBJECTS_SQL: string =
  "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid";
