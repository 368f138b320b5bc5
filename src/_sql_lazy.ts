/**
 * The SQL of the modules the runtime loads on first use (full-text
 * matches, facets and aggregates, keyset pages, explain, geo lookups, the
 * datetime and geo-range checks, the content hash, the text-free columns):
 * the part of the library's SQL a runtime import does not load (see
 * `_sql.ts`, which holds the rest and {@linkcode quote}). Only lazily loaded
 * modules import this file; identifiers are quoted, values bound.
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";
import type { SearchDefinition } from "./_fts.ts";
import {
  columnListSql,
  geoIndexName,
  nulFlagSql,
  quote,
  ROWID,
  whereSql,
} from "./_sql.ts";

// ---------------------------------------------------------------------------
// Full-text search (issue 12 §1): the FTS5 index of a model's `search`
// option, its sync triggers, its build steps and the store's query.
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Queries (issue 12 §3-§5): text operators, facets, aggregates, keyset
// pages, explain. Columns arrive quoted by the caller (`quote`, or `rowid`);
// every value is a parameter.
// ---------------------------------------------------------------------------

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
    } else {
      arm(oneArmSql(term), [value]);
      if (term.descending && term.nullable) arm(`${term.sql} IS NULL`, []);
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

/** The largest rowid of a table (0 when empty): a cheap size estimate. */
export function maxRowidSql(table: string): string {
  return `SELECT coalesce(max(rowid), 0) FROM ${quote(table)}`;
}

// ---------------------------------------------------------------------------
// Content hash (issue 13's ETag): the hash a built file records.
// ---------------------------------------------------------------------------

/** One field of the build metadata by key (`?`: the key). */
export function recordedHashSql(table: string): string {
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
 * The arm {@linkcode keysetSql} writes for a term after a value that is
 * not NULL: `term > ?` ascending, `term < ?` descending (a descending
 * nullable term has a second arm for its NULLs). A one-term keyset's page
 * is this arm alone.
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
