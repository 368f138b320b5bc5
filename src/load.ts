/**
 * Loading CSV files, JSON Lines files and records into a model's table,
 * streamed, with the model's column types applied. Used through the
 * {@linkcode BuildContext} of `buildDataSet`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { SQLValue, Statement } from "./_engine.ts";
import {
  type Batch,
  type ByteSource,
  csvRecords,
  jsonArray,
  jsonLines,
  QUOTED_EMPTY,
  type Reviver,
  SyntaxProblem,
} from "./_csv.ts";
import { type Savepoint, type Session, toPublicError } from "./_session.ts";
import { insertRowsSql } from "./_sql_build.ts";
import { BadValue, isIntegerText, kindOf } from "./_kinds.ts";
import { type AnyColumn, encodeValue, storedNull } from "./columns.ts";
import { DataFileError } from "./errors.ts";
import type { AnyModel } from "./model.ts";
import { checkDelimiter, foldIdentifier, isIterable } from "./_rules.ts";

/** How far a load has come, as given to `onProgress`. */
export interface LoadProgress {
  /** The table being loaded. */
  readonly table: string;
  /** The file being read, as given; `undefined` for records. */
  readonly file: string | undefined;
  /** The rows inserted so far. */
  readonly rows: number;
  /** The bytes read so far (0 for records). */
  readonly bytesRead: number;
  /** The file's size, when known. */
  readonly bytesTotal: number | undefined;
}

/** Options of every loader. */
export interface LoadOptions {
  /**
   * Called after every batch of rows (about once per MiB of input) and at
   * the end, e.g. to draw a progress bar.
   * @default {undefined}
   */
  onProgress?: (progress: LoadProgress) => void;
}

/** Options of `loadCsv`. */
export interface LoadCsvOptions extends LoadOptions {
  /**
   * The field delimiter: `","`, `";"`, `"\t"`, ...
   * @default {","}
   */
  delimiter?: string;
  /**
   * The column names, when the file has no header row. Names map to
   * property names or SQL column names, as header names do.
   * @default {the first row of the file}
   */
  columns?: readonly string[];
}

/** What loading one file produced. */
export interface FileLoad {
  /** Rows inserted. */
  readonly rows: number;
  /** Bytes read. */
  readonly bytes: number;
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
}

/** Marks a column that has no value to fall back on. */
const REQUIRED: unique symbol = Symbol("required");

type FromText = (text: string) => SQLValue;
type FromJson = (value: unknown) => SQLValue;

/** A CSV field's converter: the column kind's text conversion. */
function textConverter(column: AnyColumn): FromText {
  return kindOf(column).fromText;
}

/** A JSON value's converter: the column kind's JSON conversion. */
function jsonConverter(column: AnyColumn): FromJson {
  return kindOf(column).fromJson;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint" || typeof value === "number") {
    return `${value}`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The table a load writes: its columns, insert statement and fallbacks. */
class Target {
  readonly model: AnyModel;
  readonly table: string;
  readonly keys: readonly string[];
  readonly columns: readonly AnyColumn[];
  /** The insert statement for `rows` rows. */
  readonly sql: (rows: number) => string;
  /** What an empty or missing value becomes, per column. */
  readonly empty: readonly (SQLValue | typeof REQUIRED)[];
  /**
   * What a JSON source's `null` stores, per NOT NULL column whose kind
   * has a null of its own (JSON null, as a written `null` stores); else
   * `undefined`, and a `null` is a missing value.
   */
  readonly nullStored: readonly (SQLValue | undefined)[];
  readonly #byName = new Map<string, number>();

  constructor(model: AnyModel) {
    const { table, keys, columns, primaryKey } = model.definition;
    this.model = model;
    this.table = table;
    this.keys = keys;
    this.columns = keys.map((key) => columns[key]!);
    const sqlNames = this.columns.map((c) => c.bound.name);
    this.sql = (rows) => insertRowsSql(table, sqlNames, rows);
    this.empty = this.columns.map((column, i) => {
      if (column.nullable) return null;
      if (column.options.default !== undefined) {
        return encodeValue(column, column.options.default, "default");
      }
      const rowid = primaryKey.length === 1 && primaryKey[0] === keys[i] &&
        kindOf(column).rowid === true;
      return rowid ? null : REQUIRED;
    });
    this.nullStored = this.columns.map(storedNull);
    // Exact property names first, then SQL names, then either in any case.
    const names: [string, number][] = [];
    keys.forEach((key, i) => names.push([key, i]));
    this.columns.forEach((c, i) => names.push([c.bound.name, i]));
    for (const [name, i] of names) {
      if (!this.#byName.has(name)) this.#byName.set(name, i);
    }
    for (const [name, i] of names) {
      const lower = foldIdentifier(name);
      if (!this.#byName.has(lower)) this.#byName.set(lower, i);
    }
  }

  /** The column index a header name or JSON key maps to. */
  resolve(name: string): number | undefined {
    const trimmed = name.trim();
    return this.#byName.get(trimmed) ??
      this.#byName.get(foldIdentifier(trimmed));
  }

  /** The valid names, for messages. */
  get names(): string {
    return this.keys.map((key, i) => {
      const sql = this.columns[i]!.bound.name;
      return sql === key ? key : `${key} (${sql})`;
    }).join(", ");
  }
}

/** The most parameters one multi-row insert binds. */
const MAX_BATCH_PARAMS = 999;
/** The most rows one multi-row insert takes. */
const MAX_BATCH_ROWS = 64;

/**
 * Inserts rows in one savepoint, several rows per statement (a multi-row
 * `INSERT` halves the cost per row). When a batch fails, its rows are
 * replayed one by one so the error names the right line.
 */
class Writer {
  readonly #session: Session;
  readonly #action: string;
  readonly #unit: string;
  readonly #savepoint: Savepoint;
  readonly #width: number;
  readonly #single: Statement;
  readonly #batch: Statement | undefined;
  readonly #batchRows: number;
  readonly #buffer: SQLValue[];
  readonly #lines: number[];
  #filled = 0;
  rows = 0;

  constructor(session: Session, target: Target, action: string, unit: string) {
    this.#session = session;
    this.#action = action;
    this.#unit = unit;
    this.#width = target.columns.length;
    session.assertWritable(action);
    this.#batchRows = Math.min(
      MAX_BATCH_ROWS,
      Math.floor(MAX_BATCH_PARAMS / this.#width),
    );
    this.#buffer = new Array(this.#batchRows * this.#width).fill(null);
    this.#lines = new Array(this.#batchRows).fill(0);
    this.#savepoint = session.savepoint(action);
    let single: Statement | undefined;
    try {
      single = session.acquire(target.sql(1), action);
      this.#batch = this.#batchRows > 1
        ? session.acquire(target.sql(this.#batchRows), action)
        : undefined;
      this.#single = single;
    } catch (error) {
      if (single !== undefined) session.release(single);
      this.#savepoint.rollback();
      throw error;
    }
  }

  /** Queues one row; `line` names it in errors. */
  insert(params: readonly SQLValue[], line: number): void {
    if (this.#batch === undefined) return this.#insertOne(params, line);
    const base = this.#filled * this.#width;
    for (let i = 0; i < this.#width; i++) this.#buffer[base + i] = params[i]!;
    this.#lines[this.#filled++] = line;
    if (this.#filled === this.#batchRows) this.#flush();
  }

  #insertOne(params: readonly SQLValue[], line: number): void {
    const statement = this.#single;
    try {
      statement.bind(params);
      statement.step();
    } catch (error) {
      throw toPublicError(
        error,
        `${this.#action}: ${this.#unit} ${line}`,
        this.#session.dataset,
        statement.sql,
      );
    }
    this.rows++;
  }

  #flush(): void {
    const filled = this.#filled;
    this.#filled = 0;
    const statement = this.#batch!;
    try {
      statement.bind(this.#buffer);
      statement.step();
      this.rows += filled;
    } catch (error) {
      // The failed statement changed nothing: replay the rows one by one
      // to find the one SQLite refuses.
      for (let r = 0; r < filled; r++) {
        const base = r * this.#width;
        this.#insertOne(
          this.#buffer.slice(base, base + this.#width),
          this.#lines[r]!,
        );
      }
      throw toPublicError(
        error,
        this.#action,
        this.#session.dataset,
        statement.sql,
      );
    }
  }

  /** Writes the rows still queued. */
  end(): void {
    for (let r = 0; r < this.#filled; r++) {
      const base = r * this.#width;
      this.#insertOne(
        this.#buffer.slice(base, base + this.#width),
        this.#lines[r]!,
      );
    }
    this.#filled = 0;
  }

  /** Commits (`ok`) or rolls back, and releases the statements. */
  finish(ok: boolean): void {
    this.#session.release(this.#single);
    if (this.#batch !== undefined) this.#session.release(this.#batch);
    if (this.#session.closed) return;
    if (ok) this.#savepoint.release();
    else this.#savepoint.rollback();
  }
}

/** The `file` of errors about records from an iterable. */
const RECORDS = "(records)";

interface FileReader {
  readonly source: ByteSource;
  readonly total: number | undefined;
  bytes: number;
  readonly hash: ReturnType<typeof createHash>;
  onBytes(chunk: Uint8Array): void;
  close(): void;
}

/** Opens a source file for a load, hashing and counting what is read. */
async function openSourceFile(
  path: string,
  display: string,
  action: string,
): Promise<FileReader> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file does not exist"
      : error instanceof Deno.errors.NotCapable
      ? `read access is not granted (run Deno with --allow-read=${path} or a folder holding it)`
      : (error as Error).message;
    throw new DataFileError(`${action}: ${reason}`, {
      file: display,
      line: 0,
      cause: error,
    });
  }
  let total: number | undefined;
  try {
    const stat = await file.stat();
    total = stat.isFile ? stat.size : undefined;
  } catch {
    total = undefined;
  }
  const hash = createHash("sha256");
  const reader: FileReader = {
    source: file,
    total,
    bytes: 0,
    hash,
    onBytes(chunk) {
      reader.bytes += chunk.length;
      hash.update(chunk);
    },
    close: () => file.close(),
  };
  return reader;
}

function fileError(
  action: string,
  file: string,
  line: number,
  detail: string,
  column?: string,
  value?: string,
): DataFileError {
  const unit = file === RECORDS ? "record" : "line";
  const place = column === undefined
    ? `${unit} ${line}`
    : `${unit} ${line}, column ${JSON.stringify(column)}`;
  return new DataFileError(`${action}: ${place}: ${detail}`, {
    file,
    line,
    ...(column === undefined ? {} : { column }),
    ...(value === undefined ? {} : { value }),
  });
}

/** What a file load works with. */
interface FileLoadParts {
  readonly reader: FileReader;
  readonly writer: Writer;
  readonly target: Target;
  readonly action: string;
  readonly display: string;
  readonly options: LoadOptions;
}

/**
 * Runs the body of a file load: a syntax problem becomes a file error, the
 * file is closed, and the rows are committed only when the body finished.
 * The body reports progress after each batch with the function it gets;
 * the last report comes after the final rows are written, so it counts
 * every row.
 */
async function runFileLoad(
  load: FileLoadParts,
  body: (progress: () => void) => Promise<void>,
): Promise<FileLoad> {
  const { reader, writer, target, action, display, options } = load;
  const progress = () =>
    options.onProgress?.({
      table: target.table,
      file: display,
      rows: writer.rows,
      bytesRead: reader.bytes,
      bytesTotal: reader.total,
    });
  let ok = false;
  try {
    await body(progress);
    writer.end();
    progress();
    ok = true;
  } catch (error) {
    if (error instanceof SyntaxProblem) {
      throw fileError(action, display, error.line, error.message);
    }
    throw error;
  } finally {
    reader.close();
    writer.finish(ok);
  }
  return {
    rows: writer.rows,
    bytes: reader.bytes,
    sha256: reader.hash.digest("hex"),
  };
}

/**
 * Loads a CSV file into a model's table. Internal: reached through
 * `BuildContext.loadCsv`.
 */
export async function loadCsvFile(
  session: Session,
  model: AnyModel,
  path: string,
  display: string,
  options: LoadCsvOptions = {},
): Promise<FileLoad> {
  const target = new Target(model);
  const action = `Cannot load ${display} into "${target.table}"`;
  const delimiter = checkDelimiter(options.delimiter ?? ",", action);
  const reader = await openSourceFile(path, display, action);
  const writer = new Writer(session, target, action, "line");
  const load = { reader, writer, target, action, display, options };
  return await runFileLoad(load, async (progress) => {
    const converters = target.columns.map(textConverter);
    const params: SQLValue[] = target.empty.map((e) =>
      e === REQUIRED ? null : e
    );
    let header: string[] | undefined = options.columns === undefined
      ? undefined
      : [...options.columns];
    let map: number[] = [];
    let headerLine = 1;
    const useHeader = (names: string[], line: number) => {
      const seen = new Map<number, string>();
      map = names.map((name) => {
        const index = target.resolve(name);
        if (index === undefined) {
          throw fileError(
            action,
            display,
            line,
            `unknown column ${
              JSON.stringify(name)
            }; expected one of ${target.names}`,
          );
        }
        const twice = seen.get(index);
        if (twice !== undefined) {
          throw fileError(
            action,
            display,
            line,
            `columns ${JSON.stringify(twice)} and ${
              JSON.stringify(name)
            } both map to ${target.keys[index]}`,
          );
        }
        seen.set(index, name);
        return index;
      });
      target.empty.forEach((empty, i) => {
        if (empty === REQUIRED && !seen.has(i)) {
          throw fileError(
            action,
            display,
            line,
            `the required column ${target.keys[i]} is missing`,
          );
        }
      });
      header = names;
      headerLine = line;
    };
    if (header !== undefined) useHeader(header, 0);
    for await (
      const { records, lines } of csvRecords(
        reader.source,
        delimiter,
        reader.onBytes,
      )
    ) {
      let start = 0;
      if (header === undefined) {
        useHeader(
          records[0]!.map((name) => name === QUOTED_EMPTY ? "" : name),
          lines[0]!,
        );
        start = 1;
      }
      const width = map.length;
      for (let r = start; r < records.length; r++) {
        const record = records[r]!;
        const line = lines[r]!;
        if (record.length !== width) {
          throw fileError(
            action,
            display,
            line,
            `expected ${width} fields (as on line ${headerLine}), got ${record.length}`,
          );
        }
        let h = 0;
        try {
          for (; h < width; h++) {
            const c = map[h]!;
            const text = record[h]!;
            if (text === QUOTED_EMPTY) {
              // `""`: an empty text, where an empty field is NULL.
              params[c] = converters[c]!("");
            } else if (text === "") {
              const empty = target.empty[c]!;
              if (empty === REQUIRED) {
                throw new BadValue(
                  `empty value in the NOT NULL column ${target.keys[c]}`,
                );
              }
              params[c] = empty;
            } else {
              params[c] = converters[c]!(text);
            }
          }
        } catch (error) {
          if (!(error instanceof BadValue)) throw error;
          const field = record[h]!;
          const text = field === QUOTED_EMPTY ? "" : field;
          throw fileError(
            action,
            display,
            line,
            text === "" ? error.message : `${error.message}, got ${show(text)}`,
            header![h],
            text,
          );
        }
        writer.insert(params, line);
      }
      progress();
    }
  });
}

/**
 * Refuses what a converter made of a record value that SQLite cannot store
 * as given: `undefined` (`JSON.stringify` of a function or symbol) would
 * bind as NULL past the NOT NULL check, NaN as NULL too. Values parsed
 * from a file never give either; records from an iterable can.
 */
function checkConverted(value: SQLValue | undefined): SQLValue {
  if (value === undefined) {
    throw new BadValue("expected a value JSON can represent");
  }
  if (typeof value === "number" && Number.isNaN(value)) {
    throw new BadValue("NaN is not a number SQLite can store");
  }
  return value;
}

/** Inserts object records: JSON files and iterables share this. */
class RecordInserter {
  readonly #target: Target;
  readonly #writer: Writer;
  readonly #action: string;
  readonly #file: string;
  readonly #converters: FromJson[];
  readonly #params: SQLValue[];
  readonly #stamp: number[];
  readonly #cache = new Map<string, number>();
  #count = 0;

  constructor(target: Target, writer: Writer, action: string, file: string) {
    this.#target = target;
    this.#writer = writer;
    this.#action = action;
    this.#file = file;
    this.#converters = target.columns.map(jsonConverter);
    this.#params = target.columns.map(() => null);
    this.#stamp = target.columns.map(() => 0);
  }

  insert(record: unknown, line: number): void {
    const target = this.#target;
    const stamp = ++this.#count;
    if (
      record === null || typeof record !== "object" || Array.isArray(record)
    ) {
      throw fileError(
        this.#action,
        this.#file,
        line,
        `expected an object, got ${show(record)}`,
      );
    }
    // A Map, Set, Date, typed array... has no own keys to read: refused
    // rather than read as an empty record.
    if (Object.prototype.toString.call(record) !== "[object Object]") {
      throw fileError(
        this.#action,
        this.#file,
        line,
        `expected an object with a key per column, got a ${
          record.constructor?.name ?? "non-plain object"
        }`,
      );
    }
    for (const name in record) {
      if (!Object.hasOwn(record, name)) continue;
      let c = this.#cache.get(name);
      if (c === undefined) {
        c = target.resolve(name);
        if (c === undefined) {
          throw fileError(
            this.#action,
            this.#file,
            line,
            `unknown column ${
              JSON.stringify(name)
            }; expected one of ${target.names}`,
          );
        }
        this.#cache.set(name, c);
      }
      if (this.#stamp[c] === stamp) {
        throw fileError(
          this.#action,
          this.#file,
          line,
          `two keys map to ${target.keys[c]}`,
          name,
        );
      }
      this.#stamp[c] = stamp;
      const value = (record as Record<string, unknown>)[name];
      if (value === null && target.nullStored[c] !== undefined) {
        this.#params[c] = target.nullStored[c]!;
        continue;
      }
      if (value === null || value === undefined) {
        this.#stamp[c] = 0;
        continue;
      }
      try {
        this.#params[c] = checkConverted(this.#converters[c]!(value));
      } catch (error) {
        if (!(error instanceof BadValue || error instanceof TypeError)) {
          throw error;
        }
        // A TypeError comes from JSON.stringify: a bigint or a cycle.
        const detail = error instanceof BadValue
          ? error.message
          : `expected a value JSON can represent (${(error as Error).message})`;
        throw fileError(
          this.#action,
          this.#file,
          line,
          `${detail}, got ${show(value)}`,
          name,
          typeof value === "string" ? value : show(value),
        );
      }
    }
    for (let c = 0; c < this.#stamp.length; c++) {
      if (this.#stamp[c] === stamp) continue;
      const empty = target.empty[c]!;
      if (empty === REQUIRED) {
        throw fileError(
          this.#action,
          this.#file,
          line,
          `no value for the NOT NULL column ${target.keys[c]}`,
          target.keys[c],
        );
      }
      this.#params[c] = empty;
    }
    this.#writer.insert(this.#params, line);
  }
}

/** Streams the parsed values of a JSON text in batches. */
type JsonReader = (
  source: ByteSource,
  onBytes: (bytes: Uint8Array) => void,
  reviver: Reviver | undefined,
) => AsyncGenerator<Batch<unknown>, void, undefined>;

/**
 * Loads a JSON Lines file (one object per line) into a model's table.
 * Internal: reached through `BuildContext.loadJsonLines`.
 */
export function loadJsonLinesFile(
  session: Session,
  model: AnyModel,
  path: string,
  display: string,
  options: LoadOptions = {},
): Promise<FileLoad> {
  return loadJsonFile(session, model, path, display, options, jsonLines);
}

/**
 * Loads a JSON file holding an array of objects into a model's table,
 * streamed: memory holds one chunk of the file and one object. Internal:
 * reached through `BuildContext.loadJson`.
 */
export function loadJsonArrayFile(
  session: Session,
  model: AnyModel,
  path: string,
  display: string,
  options: LoadOptions = {},
): Promise<FileLoad> {
  return loadJsonFile(session, model, path, display, options, jsonArray);
}

async function loadJsonFile(
  session: Session,
  model: AnyModel,
  path: string,
  display: string,
  options: LoadOptions,
  read: JsonReader,
): Promise<FileLoad> {
  const target = new Target(model);
  const action = `Cannot load ${display} into "${target.table}"`;
  const reader = await openSourceFile(path, display, action);
  const writer = new Writer(session, target, action, "line");
  const inserter = new RecordInserter(target, writer, action, display);
  // Integers in bigint (and any) columns are read exactly from the text.
  const bigintKeys = new Set<string>();
  target.columns.forEach((column, i) => {
    if (kindOf(column).exactIntegers === true) {
      bigintKeys.add(target.keys[i]!);
      bigintKeys.add(column.bound.name);
    }
  });
  const reviver = bigintKeys.size === 0 ? undefined : function (
    this: unknown,
    key: string,
    value: unknown,
    context?: { source?: string },
  ): unknown {
    return typeof value === "number" && bigintKeys.has(key) &&
        context?.source !== undefined && isIntegerText(context.source)
      ? BigInt(context.source)
      : value;
  };
  const load = { reader, writer, target, action, display, options };
  return await runFileLoad(load, async (progress) => {
    for await (
      const { records, lines } of read(reader.source, reader.onBytes, reviver)
    ) {
      for (let r = 0; r < records.length; r++) {
        inserter.insert(records[r], lines[r]!);
      }
      progress();
    }
  });
}

/**
 * Loads records (objects keyed by property or SQL column names, values
 * typed or as text) into a model's table. Internal: reached through
 * `BuildContext.loadRecords`.
 */
export async function loadRecordIterable(
  session: Session,
  model: AnyModel,
  records: Iterable<object> | AsyncIterable<object>,
  options: LoadOptions = {},
): Promise<number> {
  const target = new Target(model);
  const action = `Cannot load records into "${target.table}"`;
  if (!isIterable(records)) {
    throw new TypeError(`${action}: expected an iterable or async iterable`);
  }
  const writer = new Writer(session, target, action, "record");
  const inserter = new RecordInserter(target, writer, action, RECORDS);
  let ok = false;
  try {
    let n = 0;
    for await (const record of records) {
      n++;
      inserter.insert(record, n);
      if (options.onProgress !== undefined && (n & 0xffff) === 0) {
        options.onProgress({
          table: target.table,
          file: undefined,
          rows: writer.rows,
          bytesRead: 0,
          bytesTotal: undefined,
        });
      }
    }
    writer.end();
    options.onProgress?.({
      table: target.table,
      file: undefined,
      rows: writer.rows,
      bytesRead: 0,
      bytesTotal: undefined,
    });
    ok = true;
  } finally {
    writer.finish(ok);
  }
  return writer.rows;
}
