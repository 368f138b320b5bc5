/**
 * Full-text search through a store: the options of `Store.match()`, the
 * symbol under which each row carries its rank, highlights and snippet,
 * and the checks that turn the options into SQL parameters.
 *
 * @module
 */
import { EngineError, type SQLValue } from "./_engine.ts";
import { plainTextQuery, type SearchDefinition } from "./_fts.ts";
import type { MatchShape } from "./_sql_lazy.ts";
import { QueryError, SQLiteError } from "./errors.ts";
import { checkCount } from "./_rules.ts";
import { RUN_OPTION_NAMES, type RunOptions } from "./run.ts";

// The symbol lives in `_fts.ts`, which the runtime loads anyway, so that
// importing `mod.ts` does not load this module (cold start, issue 15).
import { matchInfo } from "./_fts.ts";
export { matchInfo };

/** What `Store.match()` attaches to a row under {@linkcode matchInfo}. */
export interface MatchInfo {
  /**
   * The row's bm25 score (weighted when weights are given): SQLite's
   * convention, lower is better, so the best row has the most negative.
   */
  readonly rank: number;
  /**
   * Per indexed property, its text with every matched term wrapped in the
   * `highlight` marks (`null` for a NULL column); only when `highlight`
   * was asked for.
   */
  readonly highlights?: Readonly<Record<string, string | null>>;
  /**
   * A short extract of the best-matching column with the matched terms
   * marked; only when `snippet` was asked for.
   */
  readonly snippet?: string;
}

/** A row `Store.match()` yields: the model instance and its match. */
export type Matched<T> = T & { readonly [matchInfo]: MatchInfo };

/** The marks `highlight` wraps around matched terms. */
export interface HighlightOptions {
  /**
   * Text before each matched term.
   * @default {"<mark>"}
   */
  before?: string;
  /**
   * Text after each matched term.
   * @default {"</mark>"}
   */
  after?: string;
}

/** How `snippet` extracts text. */
export interface SnippetOptions extends HighlightOptions {
  /**
   * Text marking where the extract cuts the column's text.
   * @default {"…"}
   */
  ellipsis?: string;
  /**
   * The most tokens in the extract, 1 to 64.
   * @default {10}
   */
  tokens?: number;
}

/**
 * Options of `Store.match()`. `F` is the store's filter type and `K` its
 * property names.
 */
export interface MatchOptions<F, K extends string = string> extends RunOptions {
  /**
   * The ordinary store filter the matched rows must also satisfy.
   * @default {no filter}
   */
  filter?: F;
  /**
   * The most rows to return.
   * @default {no limit}
   */
  limit?: number;
  /**
   * How many ranked rows to skip.
   * @default {0}
   */
  offset?: number;
  /**
   * Lets the last term match the words it starts (`"sain"` finds
   * `Saint-Étienne`), for autocomplete. A trigram index matches any
   * substring anyway.
   * @default {false}
   */
  prefix?: boolean;
  /**
   * Reads the text as FTS5 query syntax (`AND`, `OR`, `NOT`, `NEAR`,
   * quotes, `*`, `column:`). A malformed query is a `QueryError` naming
   * it. Never set it for text a user typed.
   * @default {false}
   */
  raw?: boolean;
  /**
   * bm25 weights by indexed property (a match in a column of weight 10
   * counts ten times one in a column of weight 1).
   * @default {1 for every column}
   */
  weights?: { readonly [P in K]?: number };
  /**
   * Attaches each indexed column with its matched terms marked, as
   * `row[matchInfo].highlights`. `true` uses the default marks.
   * @default {false}
   */
  highlight?: boolean | HighlightOptions;
  /**
   * Attaches an extract of the best-matching column, as
   * `row[matchInfo].snippet`. `true` uses the defaults.
   * @default {false}
   */
  snippet?: boolean | SnippetOptions;
}

const OPTIONS = [
  "filter",
  "limit",
  "offset",
  "prefix",
  "raw",
  "weights",
  "highlight",
  "snippet",
  ...RUN_OPTION_NAMES,
];

/** A `Store.match()` call checked and turned into SQL parameters. */
export interface MatchPlan {
  /** The FTS5 query; `undefined` when nothing can match. */
  readonly query: string | undefined;
  /** What the SQL selects besides the model's columns. */
  readonly shape: MatchShape;
  /** The parameters bound before the FTS5 query. */
  readonly before: SQLValue[];
  /** The filter (`undefined` for none). */
  readonly filter: unknown;
  /** Limit and offset. */
  readonly page: [number, number];
  /** Whether the query is the caller's FTS5 syntax. */
  readonly raw: boolean;
}

function checkFlag(value: unknown, name: string, table: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new TypeError(
      `Invalid match option ${name} for ${table}: expected a boolean, got ${typeof value}`,
    );
  }
  return value;
}

function checkMark(
  value: unknown,
  name: string,
  fallback: string,
  table: string,
): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string") {
    throw new TypeError(
      `Invalid match option ${name} for ${table}: expected a string, got ${typeof value}`,
    );
  }
  // FTS5 reads a mark up to its first NUL: it would come back cut.
  if (value.includes("\0")) {
    throw new TypeError(
      `Invalid match option ${name} for ${table}: a mark cannot hold a NUL character (FTS5 would cut it there)`,
    );
  }
  return value;
}

function marks(
  value: unknown,
  name: string,
  table: string,
): Record<string, unknown> | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== "object") {
    throw new TypeError(
      `Invalid match option ${name} for ${table}: expected true or an object`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Checks the text and options of a `Store.match()` call on model `table`
 * with search index `search`.
 */
export function planMatch(
  table: string,
  search: SearchDefinition,
  text: unknown,
  options: unknown,
): MatchPlan {
  if (typeof text !== "string") {
    throw new TypeError(
      `Invalid text query for ${table}: expected a string, got ${
        text === null ? "null" : typeof text
      }`,
    );
  }
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    throw new TypeError(
      `Invalid match options for ${table}: expected an object`,
    );
  }
  const given = (options ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!OPTIONS.includes(name)) {
      throw new TypeError(
        `Invalid match option ${
          JSON.stringify(name)
        } for ${table}: expected one of ${OPTIONS.join(", ")}`,
      );
    }
  }
  const raw = checkFlag(given.raw, "raw", table);
  const prefix = checkFlag(given.prefix, "prefix", table);
  if (raw && prefix) {
    throw new TypeError(
      `Invalid match options for ${table}: prefix applies to plain text; write term* in a raw query`,
    );
  }
  const before: SQLValue[] = [];
  let weighted = false;
  if (given.weights !== undefined) {
    const weights = given.weights;
    if (weights === null || typeof weights !== "object") {
      throw new TypeError(
        `Invalid match option weights for ${table}: expected an object of numbers by property`,
      );
    }
    for (const key of Object.keys(weights)) {
      if (!search.keys.includes(key)) {
        throw new TypeError(
          `Invalid weight ${
            JSON.stringify(key)
          } for ${table}: expected one of ${
            search.keys.join(", ")
          } (the searched properties)`,
        );
      }
    }
    for (const key of search.keys) {
      const weight = (weights as Record<string, unknown>)[key] ?? 1;
      if (typeof weight !== "number" || !Number.isFinite(weight)) {
        throw new RangeError(
          `Invalid weight for ${table}.${key}: expected a finite number, got ${
            String(weight)
          }`,
        );
      }
      before.push(weight);
    }
    weighted = true;
  }
  const highlight = marks(given.highlight, "highlight", table);
  if (highlight !== undefined) {
    const open = checkMark(
      highlight.before,
      "highlight.before",
      "<mark>",
      table,
    );
    const close = checkMark(
      highlight.after,
      "highlight.after",
      "</mark>",
      table,
    );
    for (const _ of search.columns) before.push(open, close);
  }
  const snippet = marks(given.snippet, "snippet", table);
  if (snippet !== undefined) {
    before.push(
      checkMark(snippet.before, "snippet.before", "<mark>", table),
      checkMark(snippet.after, "snippet.after", "</mark>", table),
      checkMark(snippet.ellipsis, "snippet.ellipsis", "…", table),
    );
    const tokens = snippet.tokens ?? 10;
    if (
      typeof tokens !== "number" || !Number.isInteger(tokens) || tokens < 1 ||
      tokens > 64
    ) {
      throw new RangeError(
        `Invalid match option snippet.tokens for ${table}: expected an integer from 1 to 64, got ${
          String(tokens)
        }`,
      );
    }
    before.push(tokens);
  }
  const limit = given.limit === undefined
    ? -1
    : checkCount(given.limit, "limit", table);
  const offset = given.offset === undefined
    ? 0
    : checkCount(given.offset, "offset", table);
  let query: string | undefined;
  if (raw) {
    // FTS5 reads a query only up to a NUL: the rest would be dropped.
    if (text.includes("\0")) {
      throw new QueryError(
        `Cannot search ${table}: malformed full-text query ${
          JSON.stringify(text)
        }: a NUL character, where FTS5 would stop reading it`,
      );
    }
    query = text.trim() === "" ? undefined : text;
  } else {
    query = plainTextQuery(text, search.tokenize, prefix);
  }
  return {
    query,
    shape: {
      weighted,
      highlight: highlight !== undefined,
      snippet: snippet !== undefined,
    },
    before,
    filter: given.filter,
    page: [limit, offset],
    raw,
  };
}

/**
 * The error for a raw FTS5 query SQLite could not read: a `QueryError`
 * naming the query, in place of the library's verdict on its own SQL
 * (which would blame the file); other errors pass as they are.
 */
export function rawQueryError(
  error: unknown,
  table: string,
  query: string,
): unknown {
  if (!(error instanceof SQLiteError)) return error;
  const cause = error.cause;
  if (!(cause instanceof EngineError)) return error;
  const message = cause.message;
  if (
    /^fts5:|^unterminated string|^no such column|^unknown special query/
      .test(message)
  ) {
    return new QueryError(
      `Cannot search ${table}: malformed full-text query ${
        JSON.stringify(query)
      }: ${message}`,
      error.dataset === undefined
        ? { cause }
        : { dataset: error.dataset, cause },
    );
  }
  return error;
}

const sqlCache = new WeakMap<object, Map<string, string>>();

/**
 * The SQL of a match query, made once per model, shape and filter SQL (the
 * filter's text holds only quoted names and placeholders), so a repeated
 * search neither rebuilds nor rehashes it.
 */
export function cachedSql(
  definition: object,
  shape: MatchShape,
  where: string,
  build: () => string,
): string {
  let cache = sqlCache.get(definition);
  if (cache === undefined) {
    cache = new Map();
    sqlCache.set(definition, cache);
  }
  const key = `${shape.weighted ? 1 : 0}${shape.highlight ? 1 : 0}${
    shape.snippet ? 1 : 0
  }${where}`;
  let sql = cache.get(key);
  if (sql === undefined) {
    // A filter with an `in` list has one text per list length: keep the
    // cache bounded.
    if (cache.size >= 256) cache.clear();
    sql = build();
    cache.set(key, sql);
  }
  return sql;
}
