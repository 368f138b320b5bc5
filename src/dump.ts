/**
 * Dumping rows to CSV or JSON Lines, streamed.
 *
 * @module
 */
import { anyCsv, anyJson, kindOf } from "./_kinds.ts";
import type { AnyModel } from "./model.ts";
import { Store } from "./store.ts";
import { checkDelimiter, escapeRegExp, isIterable } from "./_rules.ts";
import { Run, type RunOptions } from "./run.ts";

/**
 * Options of {@linkcode dumpCsv} and {@linkcode dumpJsonLines}. Their
 * `signal` stops the dump: the stream errors with `signal.reason` and the
 * query's statement is released. With a store as the source, `signal`,
 * `timeoutMs` and `onQuery` apply to the query the dump runs; with rows
 * from elsewhere (give those their own options), only `signal` applies,
 * checked before each row.
 */
export interface DumpOptions extends RunOptions {
  /**
   * The model whose columns, in declaration order, make the output.
   * @default {the model of the rows (rows from a store), else the keys of the first row}
   */
  model?: AnyModel;
  /**
   * The header names (CSV) or keys (JSON Lines): `"properties"`,
   * `"columns"` for SQL column names, or one name per column, in order.
   * @default {"properties"}
   */
  headers?: "properties" | "columns" | readonly string[];
}

/** Options of {@linkcode dumpCsv}. */
export interface DumpCsvOptions extends DumpOptions {
  /**
   * The field delimiter.
   * @default {","}
   */
  delimiter?: string;
  /**
   * The line ending; RFC 4180 asks for CRLF.
   * @default {"\r\n"}
   */
  lineEnding?: "\r\n" | "\n";
  /**
   * Whether to write a header row.
   * @default {true}
   */
  header?: boolean;
}

/** Rows to dump: a store (all its rows), or rows from a search or a query. */
export type DumpSource =
  | Store<AnyModel>
  | Iterable<object>
  | AsyncIterable<object>;

interface Layout {
  keys: string[];
  headers: string[];
  /** Each column's non-null value as CSV text: its kind's, else by type. */
  csv: ((value: unknown) => string)[];
  /** Each column's non-null value as JSON text. */
  json: ((value: unknown) => string)[];
  /**
   * Each column's `null` as CSV text: empty, but for a NOT NULL column
   * whose kind stores a null of its own (`null` for JSON null), which an
   * empty field would load as a missing value.
   */
  nulls: string[];
}

/** Flushes output in chunks of about this many characters. */
const FLUSH_AT = 1 << 16;

function modelOf(row: object): AnyModel | undefined {
  const constructor = (row as { constructor?: unknown }).constructor;
  return typeof constructor === "function" && "definition" in constructor
    ? constructor as unknown as AnyModel
    : undefined;
}

function layout(
  model: AnyModel | undefined,
  first: object | undefined,
  headers: DumpOptions["headers"],
  action: string,
): Layout {
  let keys: string[];
  let sqlNames: string[];
  let csv: ((value: unknown) => string)[];
  let json: ((value: unknown) => string)[];
  let nulls: string[];
  if (model !== undefined) {
    keys = [...model.definition.keys];
    const columns = keys.map((key) => model.definition.columns[key]!);
    sqlNames = columns.map((column) => column.bound.name);
    csv = columns.map((column) => kindOf(column).csvText);
    json = columns.map((column) => kindOf(column).jsonText);
    nulls = columns.map((column) => {
      const stored = kindOf(column).nullStored;
      return column.nullable || stored === undefined ? "" : String(stored);
    });
  } else {
    keys = first === undefined ? [] : Object.keys(first);
    sqlNames = keys;
    csv = keys.map(() => anyCsv);
    json = keys.map(() => anyJson);
    nulls = keys.map(() => "");
  }
  if (headers === undefined || headers === "properties") {
    return { keys, headers: keys, csv, json, nulls };
  }
  if (headers === "columns") {
    return { keys, headers: sqlNames, csv, json, nulls };
  }
  if (!Array.isArray(headers) || headers.length !== keys.length) {
    throw new TypeError(
      `${action}: headers must be "properties", "columns" or ${keys.length} names (${
        keys.join(", ")
      })`,
    );
  }
  return { keys, headers: headers.map(String), csv, json, nulls };
}

async function* rowsOf(
  source: DumpSource,
  action: string,
  options: DumpOptions,
): AsyncGenerator<object, void, undefined> {
  const run = Run.of(options, action, "");
  if (source instanceof Store) {
    yield* source.search(
      undefined,
      run === undefined ? undefined : {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        onQuery: options.onQuery,
      },
    );
    return;
  }
  if (!isIterable(source)) {
    throw new TypeError(
      `${action}: expected a Store, or an iterable or async iterable of rows`,
    );
  }
  const signal = run?.signal;
  if (signal === undefined) {
    yield* source;
    return;
  }
  for await (const row of source) {
    signal.throwIfAborted();
    yield row;
  }
}

function stream(
  lines: AsyncGenerator<string, void, undefined>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let text = "";
      while (text.length < FLUSH_AT) {
        const next = await lines.next();
        if (next.done) {
          if (text !== "") controller.enqueue(encoder.encode(text));
          controller.close();
          return;
        }
        text += next.value;
      }
      controller.enqueue(encoder.encode(text));
    },
    async cancel() {
      await lines.return();
    },
  });
}

/**
 * Streams rows as RFC 4180 CSV: columns in model order, a header row,
 * fields quoted when they hold the delimiter, a quote or a line break.
 * `null` is an empty field, an empty string is `""`, booleans are
 * `true`/`false`, blobs base64, JSON values their JSON: what the CSV loader
 * of `buildDataSet` reads back.
 * @param source A store (all its rows), or rows from `store.search()`, a
 * query or any iterable.
 * @param options Model, headers, delimiter, line ending.
 * @returns The CSV bytes, produced as they are read.
 * @throws {TypeError} For a source that is not rows, or headers of the wrong
 * length (when the stream is read).
 *
 * @example Dump a filter result
 * ```ts
 * import { DataSet, dumpCsv, integer, Store, text } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_dump_csv");
 * class Tag extends db.Model("tag", { id: integer({ primaryKey: true }), name: text() }) {}
 * await db.createAll();
 * const tags = new Store(Tag);
 * await tags.createMany([{ name: "plain" }, { name: "a, b" }, { name: "other" }]);
 * const csv = await new Response(dumpCsv(tags.search({ id: { lte: 2 } }))).text();
 * assert.equal(csv, 'id,name\r\n1,plain\r\n2,"a, b"\r\n');
 * await db.close();
 * ```
 */
export function dumpCsv(
  source: DumpSource,
  options: DumpCsvOptions = {},
): ReadableStream<Uint8Array> {
  const action = "Cannot dump to CSV";
  const delimiter = checkDelimiter(options.delimiter ?? ",", action);
  const newline = options.lineEnding ?? "\r\n";
  const needsQuotes = new RegExp(`["\r\n]|${escapeRegExp(delimiter)}`);
  /** A field: `null` is empty (or `empty`), an empty text quoted (`""`). */
  const field = (value: unknown, text = anyCsv, empty = ""): string => {
    if (value === null || value === undefined) return empty;
    const shown = text(value);
    if (shown === "") return '""';
    return needsQuotes.test(shown) ? `"${shown.replaceAll('"', '""')}"` : shown;
  };
  const model = options.model;
  async function* lines(): AsyncGenerator<string, void, undefined> {
    let shape: Layout | undefined;
    const start = (first: object | undefined, from: AnyModel | undefined) => {
      shape = layout(from, first, options.headers, action);
      return options.header === false
        ? ""
        : shape.headers.map((name) => field(name)).join(delimiter) + newline;
    };
    if (model !== undefined) yield start(undefined, model);
    else if (source instanceof Store) yield start(undefined, source.model);
    for await (const row of rowsOf(source, action, options)) {
      if (shape === undefined) yield start(row, modelOf(row));
      const record = row as Record<string, unknown>;
      const { keys, csv, nulls } = shape!;
      yield keys.map((key, i) => field(record[key], csv[i], nulls[i]))
        .join(delimiter) +
        newline;
    }
  }
  return stream(lines());
}

/**
 * Streams rows as JSON Lines: one object per line, keys in model order.
 * Bigints are written as exact JSON numbers, blobs as base64 strings:
 * what the JSON Lines loader of `buildDataSet` reads back.
 * @param source A store (all its rows), or rows from `store.search()`, a
 * query or any iterable.
 * @param options Model and keys.
 * @returns The JSON Lines bytes, produced as they are read.
 * @throws {TypeError} For a source that is not rows, or headers of the wrong
 * length (when the stream is read).
 *
 * @example Dump a whole store
 * ```ts
 * import { boolean, DataSet, dumpJsonLines, integer, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_dump_jsonl");
 * class Flag extends db.Model("flag", { id: integer({ primaryKey: true }), on: boolean() }) {}
 * await db.createAll();
 * await new Store(Flag).createMany([{ on: true }, { on: false }]);
 * const text = await new Response(dumpJsonLines(new Store(Flag))).text();
 * assert.equal(text, '{"id":1,"on":true}\n{"id":2,"on":false}\n');
 * await db.close();
 * ```
 */
export function dumpJsonLines(
  source: DumpSource,
  options: DumpOptions = {},
): ReadableStream<Uint8Array> {
  const action = "Cannot dump to JSON Lines";
  const model = options.model;
  async function* lines(): AsyncGenerator<string, void, undefined> {
    let shape: Layout | undefined;
    let names: string[] = [];
    const start = (first: object | undefined, from: AnyModel | undefined) => {
      shape = layout(from, first, options.headers, action);
      names = shape.headers.map((name) => JSON.stringify(name) + ":");
    };
    if (model !== undefined) start(undefined, model);
    else if (source instanceof Store) start(undefined, source.model);
    for await (const row of rowsOf(source, action, options)) {
      if (shape === undefined) start(row, modelOf(row));
      const record = row as Record<string, unknown>;
      let line = "{";
      const { keys, json } = shape!;
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) line += ",";
        const value = record[keys[i]!];
        line += names[i] +
          (value === null || value === undefined ? "null" : json[i]!(value));
      }
      yield line + "}\n";
    }
  }
  return stream(lines());
}
