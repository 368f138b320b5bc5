/**
 * `dump --query` with parameters. The query's `?` placeholders are found
 * the way SQLite's tokenizer finds them (outside string literals, quoted
 * names and comments) and the values given are bound to them in order:
 * a value is never pasted into SQL text.
 *
 * @module
 */
import { type DataSet, RAW_SQL } from "../dataset.ts";
import { counted, UsageError } from "./_io.ts";
import { INT64_MAX, INT64_MIN } from "../_kinds.ts";

/** A value bound to a placeholder. */
export type QueryParameter = string | number | bigint | null;

/** Whether a character can continue an SQLite identifier. */
function identifierChar(c: string | undefined): boolean {
  return c !== undefined && (/[A-Za-z0-9_$]/.test(c) || c >= "\x80");
}

/**
 * Splits SQL text at its `?` placeholders: `n + 1` parts for `n`
 * placeholders, so that joining them with `?` gives the text back.
 * Numbered and named parameters (`?1`, `:name`, `@name`, `$name`) are
 * refused: values bind in order.
 */
export function splitAtPlaceholders(sql: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  /** The index after a quoted token that closes with `close` (doubled inside). */
  const after = (open: number, close: string): number => {
    let at = open + 1;
    for (;;) {
      const end = sql.indexOf(close, at);
      if (end === -1) return sql.length;
      if (close.length === 1 && sql[end + 1] === close) at = end + 2;
      else return end + close.length;
    }
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"' || c === "`") i = after(i, c);
    else if (c === "[") i = after(i, "]");
    else if (c === "-" && next === "-") i = after(i, "\n");
    else if (c === "/" && next === "*") i = after(i + 1, "*/");
    else if (c === "?") {
      if (next !== undefined && /[0-9]/.test(next)) {
        throw new UsageError(
          "numbered parameters (?1) are not supported: write ? and give the values in order",
        );
      }
      parts.push(sql.slice(start, i));
      start = ++i;
    } else if (
      (c === ":" || c === "@" || c === "$") && identifierChar(next) &&
      !identifierChar(sql[i - 1])
    ) {
      throw new UsageError(
        `named parameters (${c}name) are not supported: write ? and give the values in order`,
      );
    } else i++;
  }
  parts.push(sql.slice(start));
  return parts;
}

/**
 * The value of a `--param-json` argument: a JSON number, string, `true`,
 * `false` or `null`. A whole number binds as an INTEGER (any 64-bit one),
 * any other number as a REAL, `true`/`false` as 1/0.
 */
export function jsonParameter(text: string): QueryParameter {
  const bad = (): never => {
    throw new UsageError(
      `--param-json takes a JSON number, string, true, false or null, got ${text}`,
    );
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad();
  }
  if (typeof value === "number") {
    const digits = text.trim();
    if (/^-?[0-9]+$/.test(digits) && !Number.isSafeInteger(value)) {
      const big = BigInt(digits);
      if (big < INT64_MIN || big > INT64_MAX) {
        throw new UsageError(
          `--param-json ${digits} is beyond SQLite's 64-bit integers`,
        );
      }
      return big;
    }
    return value;
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" || value === null) return value;
  return bad();
}

/**
 * SQL text with its `?` placeholders bound to `params`, in order; a count
 * that does not match is a usage error.
 */
export interface BoundQuery {
  /** The text. */
  readonly sql: string;
  /** The values, one per placeholder. */
  readonly params: readonly QueryParameter[];
}

/** Binds a query's placeholders (see {@linkcode BoundQuery}). */
export function bindQuery(
  sql: string,
  params: readonly QueryParameter[] = [],
): BoundQuery {
  const parts = splitAtPlaceholders(sql);
  const placeholders = parts.length - 1;
  if (placeholders !== params.length) {
    throw new UsageError(
      `the query has ${counted(placeholders, "? placeholder")} but ${
        counted(params.length, "value was", "values were")
      } given (--param, --param-json)`,
    );
  }
  return { sql, params };
}

/** Runs a bound query through a dataset, every value bound. */
export function runQuery(
  dataset: DataSet,
  query: BoundQuery,
): AsyncGenerator<Record<string, unknown>, void, undefined> {
  return dataset[RAW_SQL](query.sql, query.params);
}
