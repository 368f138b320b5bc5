/**
 * Full-text search: the `search` model option, checked once into a
 * {@linkcode SearchDefinition}; the safe translation of a user's text into
 * an FTS5 query. The reading of an FTS5 table's `CREATE VIRTUAL TABLE`
 * statement for the CLI and `verifyDataSet` is in `_fts_declaration.ts`;
 * the SQL itself lives in the `_sql*.ts` files.
 *
 * @module
 */
import type { AnyColumn } from "./columns.ts";
import { kindOf } from "./_kinds.ts";
import { foldIdentifier } from "./_rules.ts";

/**
 * The tokenizers a search index can use:
 * - `"unicode61"`: words, case folded, diacritics removed (`é` matches `e`).
 * - `"porter"`: as `unicode61`, then English stems (`running` matches `run`).
 * - `"trigram"`: any substring of three characters or more, case folded.
 */
export type SearchTokenizer = "unicode61" | "porter" | "trigram";

/** The tokenizers, in the order messages list them. */
export const TOKENIZERS: readonly SearchTokenizer[] = [
  "unicode61",
  "porter",
  "trigram",
];

/** The `search` option of a model: a full-text index over text columns. */
export interface SearchIndexOptions<K extends string = string> {
  /** The property names of the indexed columns (text columns). */
  columns: readonly K[];
  /**
   * How text is cut into terms.
   * @default {"unicode61"}
   */
  tokenize?: SearchTokenizer;
  /**
   * The name of the FTS5 table.
   * @default {the table name followed by "_fts"}
   */
  table?: string;
}

/** A model's search index, as the library uses it. */
export interface SearchDefinition {
  /** The FTS5 table. */
  readonly table: string;
  /** The indexed property names, in index order. */
  readonly keys: readonly string[];
  /** Their SQL column names. */
  readonly columns: readonly string[];
  /** The SQL name of the integer primary key (the index's rowid). */
  readonly rowid: string;
  /** The tokenizer. */
  readonly tokenize: SearchTokenizer;
}

/** The FTS5 `tokenize` option of a tokenizer. */
export function tokenizeOption(tokenize: SearchTokenizer): string {
  switch (tokenize) {
    case "unicode61":
      return "unicode61 remove_diacritics 2";
    case "porter":
      return "porter unicode61 remove_diacritics 2";
    case "trigram":
      return "trigram";
  }
}

/** The tokenizer a `tokenize` option names, `undefined` for another. */
export function tokenizerOf(option: string): SearchTokenizer | undefined {
  const words = option.trim().toLowerCase().split(/\s+/);
  if (words[0] === "trigram") return "trigram";
  if (words[0] === "porter") return "porter";
  if (words[0] === "unicode61" || option.trim() === "") return "unicode61";
  return undefined;
}

/** Checks the `search` option of model `table`. */
export function checkSearchOptions(
  options: unknown,
  table: string,
  columns: Readonly<Record<string, AnyColumn>>,
): SearchDefinition {
  const invalid = (detail: string): never => {
    throw new TypeError(`Invalid search for ${table}: ${detail}`);
  };
  if (options === null || typeof options !== "object") {
    invalid('expected an object such as { columns: ["name"] }');
  }
  const { columns: keys, tokenize = "unicode61", table: name } = options as {
    columns?: unknown;
    tokenize?: unknown;
    table?: unknown;
  };
  for (const option of Object.keys(options as object)) {
    if (!["columns", "tokenize", "table"].includes(option)) {
      invalid(
        `unknown option ${
          JSON.stringify(option)
        }; expected columns, tokenize or table`,
      );
    }
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    invalid("columns must be a non-empty array of property names");
  }
  const seen = new Set<string>();
  for (const key of keys as unknown[]) {
    if (typeof key !== "string" || !Object.hasOwn(columns, key)) {
      invalid(
        `unknown property ${JSON.stringify(key)}; expected one of ${
          Object.keys(columns).join(", ")
        }`,
      );
    }
    if (seen.has(key as string)) {
      invalid(`property ${JSON.stringify(key)} is listed twice`);
    }
    seen.add(key as string);
    if (kindOf(columns[key as string]!).sqlType !== "TEXT") {
      invalid(
        `${key as string} is not a text column; only text can be searched`,
      );
    }
  }
  if (!TOKENIZERS.includes(tokenize as SearchTokenizer)) {
    invalid(
      `unknown tokenize ${JSON.stringify(tokenize)}; expected one of ${
        TOKENIZERS.join(", ")
      }`,
    );
  }
  if (
    name !== undefined &&
    (typeof name !== "string" || name === "" || name.includes("\0"))
  ) {
    invalid("table must be a non-empty string without NUL characters");
  }
  const ftsTable = (name as string | undefined) ?? `${table}_fts`;
  if (
    foldIdentifier(ftsTable) === foldIdentifier(table) ||
    foldIdentifier(ftsTable).startsWith("sqlite_")
  ) {
    invalid(
      `table ${
        JSON.stringify(ftsTable)
      } must differ from the model's table and not start with "sqlite_"`,
    );
  }
  const primaryKey = Object.keys(columns).filter((key) =>
    columns[key]!.options.primaryKey === true
  );
  if (
    primaryKey.length !== 1 ||
    kindOf(columns[primaryKey[0]!]!).sqlType !== "INTEGER"
  ) {
    invalid(
      "a searchable model needs a one-column integer primary key (the index refers to rows by it)",
    );
  }
  return Object.freeze({
    table: ftsTable,
    keys: Object.freeze([...keys as string[]]),
    columns: Object.freeze(
      (keys as string[]).map((key) => columns[key]!.bound.name),
    ),
    rowid: columns[primaryKey[0]!]!.bound.name,
    tokenize: tokenize as SearchTokenizer,
  });
}

/**
 * A character the word tokenizers keep in a term: a letter or digit. Made
 * on first use: V8 builds the Unicode property classes of a `u` literal
 * when the module is evaluated, about 0.3 ms of every import otherwise.
 */
let wordCharacter: RegExp | undefined;

/**
 * Turns a user's plain text into an FTS5 query that cannot be malformed:
 * each whitespace-separated term becomes a quoted string (its own quotes
 * doubled), so FTS5 reads no operator, column filter or syntax in it, and
 * the terms must all match. Terms without a letter or digit (`_`, `%`,
 * `--`) are dropped under the word tokenizers, which would find nothing in
 * them. With `prefix`, the last term also matches words that start with
 * it (autocomplete); a trigram index matches substrings anyway.
 *
 * @returns The query, or `undefined` when no term is left (nothing can
 * match).
 */
export function plainTextQuery(
  text: string,
  tokenize: SearchTokenizer,
  prefix: boolean,
): string | undefined {
  // FTS5 reads a query only up to a NUL: it separates terms like a space.
  const terms = text.split(/[\s\0]+/u).filter((term) =>
    term !== "" && (tokenize === "trigram" ||
      (wordCharacter ??= /[\p{L}\p{N}\p{Co}]/u).test(term))
  );
  if (terms.length === 0) return undefined;
  const quoted = terms.map((term) => `"${term.replaceAll('"', '""')}"`);
  if (prefix && tokenize !== "trigram") {
    quoted[quoted.length - 1] += "*";
  }
  return quoted.join(" ");
}

// Cold start (issue 15): declared here, re-exported by `match.ts`.
/**
 * The key under which `Store.match()` attaches a {@linkcode MatchInfo} to
 * each row it yields: `row[matchInfo].rank`. A symbol, so it never
 * collides with a property of the model and `JSON.stringify(row)` leaves
 * it out.
 *
 * @example
 * ```ts
 * import { DataSet, integer, matchInfo, Store, text } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_match_info");
 * class City extends db.Model("city", {
 *   id: integer({ primaryKey: true }),
 *   name: text(),
 * }, { search: { columns: ["name"] } }) {}
 * await db.createAll();
 * await new Store(City).createMany([{ name: "Saint-Étienne" }, { name: "Paris" }]);
 * const [row] = await Array.fromAsync(
 *   new Store(City).match("etienne", { highlight: { before: "<b>", after: "</b>" } }),
 * );
 * assert.equal(row?.name, "Saint-Étienne");
 * assert.equal(row?.[matchInfo].highlights?.name, "Saint-<b>Étienne</b>");
 * assert.ok(row?.[matchInfo].rank < 0);
 * await db.close();
 * ```
 */
export const matchInfo: unique symbol = Symbol("matchInfo");
