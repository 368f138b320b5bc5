/**
 * The body of the dumpers of `dump.ts`, loaded on their first call (issue
 * 15's cold start: importing the library does not compile what only a dump
 * runs). `dump.ts` keeps the public functions, their options and their
 * argument checks; the lines of each format are made here.
 *
 * @module
 */
import { anyCsv, anyJson, kindOf } from "./_kinds.ts";
import { storedNull } from "./columns.ts";
import type { AnyModel } from "./model.ts";
import { Store } from "./store.ts";
import { escapeRegExp, isIterable } from "./_rules.ts";
import { Run } from "./run.ts";
import type { DumpCsvOptions, DumpOptions, DumpSource } from "./dump.ts";

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
      const stored = storedNull(column);
      return stored === undefined ? "" : String(stored);
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

/**
 * The lines of `dumpCsv`'s output, header first.
 * @param source The rows.
 * @param options The dump's options.
 * @param delimiter The checked delimiter.
 * @param action The start of every error message.
 * @returns The lines, each with its line ending.
 */
export async function* csvLines(
  source: DumpSource,
  options: DumpCsvOptions,
  delimiter: string,
  action: string,
): AsyncGenerator<string, void, undefined> {
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

/**
 * The lines of `dumpJsonLines`'s output, one object each.
 * @param source The rows.
 * @param options The dump's options.
 * @param action The start of every error message.
 * @returns The lines, each with its `\n`.
 */
export async function* jsonLines(
  source: DumpSource,
  options: DumpOptions,
  action: string,
): AsyncGenerator<string, void, undefined> {
  const model = options.model;
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
