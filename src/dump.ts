/**
 * Dumping rows to CSV or JSON Lines, streamed. The lines are made by
 * `_dump.ts`, loaded when a dump's stream is first read, so importing the
 * library does not load it.
 *
 * @module
 */
import type { AnyModel } from "./model.ts";
import type { Store } from "./store.ts";
import { checkDelimiter } from "./_rules.ts";
import type { RunOptions } from "./run.ts";

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

/** Flushes output in chunks of about this many characters. */
const FLUSH_AT = 1 << 16;

/** The dumpers' body, loaded on first use. */
let body: typeof import("./_dump.ts") | undefined;

/** The lines `make` makes once the body is loaded. */
async function* lazyLines(
  make: (loaded: typeof import("./_dump.ts")) => AsyncGenerator<string>,
): AsyncGenerator<string, void, undefined> {
  body ??= await import("./_dump.ts");
  yield* make(body);
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
  return stream(
    lazyLines((loaded) => loaded.csvLines(source, options, delimiter, action)),
  );
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
  return stream(
    lazyLines((loaded) => loaded.jsonLines(source, options, action)),
  );
}
