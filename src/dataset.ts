/**
 * Datasets: one named SQLite database with its own connection, statement
 * cache and configuration.
 *
 * @module
 */
import { absolutePath } from "./_paths.ts";
import { findTable } from "./_schema.ts";
import type {
  Connection,
  Engine,
  EngineName,
  SQLValue,
  Statement,
} from "./_engine.ts";
import type { CursorSource } from "./_cursor.ts";
import { rawRowBuilder, type RowBuild } from "./_row_builder.ts";
import { Session } from "./_session.ts";
import {
  checkEngineChoice,
  checkInterval,
  DATASET_NAME,
  foldIdentifier,
  identityOfInfo,
  identityOfSync,
  inodeOf,
  misplacedContent,
} from "./_rules.ts";
import {
  compileTemplate,
  FOREIGN_KEYS_OFF,
  FOREIGN_KEYS_ON,
  geoIndexName,
  nulCheckedAmongSql,
  nulCheckedSql,
  SCHEMA_PROBE,
  subquerySql,
} from "./_sql.ts";
import { BYTES_PATH, type EngineChoice, SQLiteBindFactory } from "./bind.ts";
import {
  type DataSetSource,
  type ResolvedSource,
  resolveSource,
} from "./bind.ts";
import type { Watch, WatchOptions } from "./_reload.ts";

import { DataSetError, SQLiteError } from "./errors.ts";
import { checkModelNeeds } from "./_capabilities.ts";
import {
  checkRunOptions,
  isTemplate,
  type QueryHook,
  Run,
  type RunOptions,
} from "./run.ts";
import type { SQLFragment } from "./fragment.ts";
import {
  type AnyModel,
  type Columns,
  declareModel,
  type ModelClass,
  type ModelOptions,
} from "./model.ts";

/** Options of {@linkcode DataSet.create}. */
export interface DataSetOptions {
  /**
   * Open the dataset's file for writing (for building). Without it a file
   * dataset is read-only; `":memory:"` datasets are always writable.
   * @default {false}
   */
  writable?: boolean;
  /**
   * Whether the file never changes while open: replace it by rename (the
   * open dataset keeps reading the file it opened until it is reopened).
   * A file opened immutable and rewritten in place is outside that
   * contract: queries then fail with library errors, with no promise about
   * the rows they returned before. `false` for a file another program may
   * rewrite in place: SQLite then takes its usual locks, and the file is
   * checked (about 1.5 µs each time) before every query, at its end, and
   * after every row that read pages from the file (after every row on
   * `node:sqlite`, which cannot tell), so that a change during a query
   * fails it with a `DataSetError` (never a result spliced from two
   * versions) and the next query reads the new file.
   * @default {true}
   */
  immutable?: boolean;
  /**
   * The engine: `"ffi"`, `"node"`, or `"auto"` (FFI when `--allow-ffi` is
   * granted and a SQLite library loads, else `node:sqlite`).
   * @default {the factory's engine, "auto"}
   */
  engine?: EngineChoice;
  /**
   * The SQLite library the FFI engine loads. An explicit choice, as is
   * `MICROCOSM_SQLITE_LIBRARY`: one that cannot load is a `DataSetError`
   * naming it, never replaced by another library or by `node:sqlite`.
   * @default {the factory's library, then MICROCOSM_SQLITE_LIBRARY, then DENO_SQLITE_PATH, then the platform's usual names}
   */
  library?: string;
  /**
   * Bytes of the file SQLite may memory-map when reading, instead of
   * reading pages with system calls. Off by default, because a mapped file
   * that shrinks while open (rewritten in place, truncated, or copied over
   * with `cp`) kills the process with SIGBUS at the next read past its new
   * end: no error to catch, whatever `immutable` says. Opt in only for
   * files that are replaced by rename and never rewritten in place; on the
   * benchmark, point lookups take about 1.4× as long without it (SQLite
   * reads each page with a system call) and scans a few percent longer.
   * @default {0}
   */
  mmapSize?: number;
  /**
   * Told about every statement a query on this dataset runs (SQL text,
   * duration, rows, error), for logs and traces; see `QueryEvent`. A
   * query's own `onQuery` (its `RunOptions`) runs after it. Without one,
   * queries make no timing calls at all.
   * @default {undefined}
   */
  onQuery?: QueryHook | undefined;
}

/**
 * `dataset.sql(options)`: a tag that runs raw SQL as `dataset.sql` does,
 * with a signal, a time budget or a hook (see `RunOptions`).
 */
export type SQLTag = <Row extends object = SQLRow>(
  strings: TemplateStringsArray,
  ...values: SQLParameter[]
) => AsyncGenerator<Row, void, undefined>;

/** A raw SQL row: column names to values. */
export type SQLRow = Record<string, SQLValue>;

/** Values `dataset.sql` binds: SQL values, booleans, or arrays of them. */
export type SQLParameter =
  | SQLValue
  | boolean
  | readonly (SQLValue | boolean)[]
  | SQLFragment;

const HEADER = "SQLite format 3\0";
/**
 * The longest absolute path SQLite opens, in UTF-8 bytes: its unix VFS
 * takes 512 (`MAX_PATHNAME`) and keeps room for the `-journal` suffix.
 */
const MAX_PATH_BYTES = 504;

/** @internal The key stores use to reach a dataset's session. */
export const SESSION: unique symbol = Symbol("microcosm.session");
/**
 * @internal The key the CLI uses to run SQL text it was given (`dump
 * --query`), with every value bound as a parameter.
 */
export const RAW_SQL: unique symbol = Symbol("microcosm.rawSql");
/**
 * @internal The key builders use to point a dataset at a writable file for
 * a while (`undefined` restores the bound file).
 */
export const REDIRECT: unique symbol = Symbol("microcosm.redirect");

function ffiGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

function describeOpenFailure(error: unknown, path: string): string {
  if (error instanceof Deno.errors.NotFound) {
    return `file does not exist: ${path}`;
  }
  if (error instanceof Deno.errors.NotCapable) {
    return `read access to ${path} is not granted (run Deno with --allow-read=${path} or a folder holding it)`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `the operating system denies reading ${path}`;
  }
  return `${(error as Error).message ?? String(error)}: ${path}`;
}

/** Checks that SQLite can take a path: it opens none longer. */
function checkPathLength(path: string): void {
  const absolute = absolutePath(path);
  // A UTF-16 code unit takes at most 3 bytes of UTF-8: a path this short
  // fits without encoding it (no TextEncoder on a cold start).
  if (absolute.length * 3 <= MAX_PATH_BYTES) return;
  const bytes = new TextEncoder().encode(absolute).length;
  if (bytes > MAX_PATH_BYTES) {
    throw new RangeError(
      `the path is ${bytes} bytes long as an absolute path, longer than the ${MAX_PATH_BYTES} bytes SQLite opens: ${path}`,
    );
  }
}

/**
 * Checks that a file exists, is readable and looks like a whole database.
 * @returns Whether the database is in WAL journal mode, and the file's
 * information (the open's identity of the file, from this one stat).
 */
function checkFile(path: string): { wal: boolean; stat: Deno.FileInfo } {
  const stat = Deno.statSync(path);
  if (stat.isDirectory) throw new Error(`is a directory: ${path}`);
  if (stat.size === 0) throw new Error(`file is empty: ${path}`);
  // 512 bytes: the 100-byte header, or enough of a Git LFS pointer to
  // name its object.
  const header = new Uint8Array(512);
  const file = Deno.openSync(path, { read: true });
  let read = 0;
  try {
    while (read < header.length) {
      const n = file.readSync(header.subarray(read));
      if (n === null) break;
      read += n;
    }
  } finally {
    file.close();
  }
  checkHeader(header.subarray(0, read), stat.size, path);
  return { wal: header[18] === 2 || header[19] === 2, stat };
}

/**
 * Refuses a WAL-mode file that cannot be read as it stands without
 * creating a file beside it: only an engine that opens files immutable
 * reads one, and only when its `-wal` file holds no frames (an immutable
 * connection ignores them, which would return old rows).
 */
function checkWal(path: string, engine: Engine, immutable: boolean): void {
  const convert =
    `convert it once with \`sqlite3 ${path} "PRAGMA journal_mode=DELETE"\` (files built by buildDataSet never are)`;
  if (!engine.opensImmutable) {
    throw new Error(
      `${path} is in WAL journal mode, which node:sqlite cannot open read-only; ${convert} or use the ffi engine (--allow-ffi)`,
    );
  }
  if (!immutable) {
    throw new Error(
      `${path} is in WAL journal mode, which cannot be read with immutable: false without creating -wal and -shm files beside it; ${convert}, or open it immutable`,
    );
  }
  let size = 0;
  try {
    size = Deno.statSync(`${path}-wal`).size;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new Error(
        `${path} is in WAL journal mode and its ${path}-wal file cannot be checked for changes not yet written to the database (${
          (error as Error).message
        }); grant read access to its folder, or ${convert}`,
        { cause: error },
      );
    }
  }
  // A WAL file starts with a 32-byte header; frames follow it.
  if (size > 32) {
    throw new Error(
      `${path} is in WAL journal mode and its ${path}-wal file holds changes not yet written to the database (${size} bytes), which a read-only reader would miss; checkpoint it: ${convert}`,
    );
  }
}

/**
 * Checks that the first bytes of a database look like a whole database of
 * `size` bytes; `where` names it in errors.
 */
function checkHeader(header: Uint8Array, size: number, where: string): void {
  // The first 16 bytes, each as the character of its code: a latin1
  // TextDecoder says the same, but making one costs about 0.15 ms of a cold
  // start.
  let magic = "";
  for (let i = 0; i < Math.min(16, header.length); i++) {
    magic += String.fromCharCode(header[i]!);
  }
  if (!HEADER.startsWith(magic) || header.length < 100) {
    throw headerFailure(header, where);
  }
  const view = new DataView(header.buffer, header.byteOffset, 100);
  let pageSize = view.getUint16(16);
  if (pageSize === 1) pageSize = 65536;
  const pages = view.getUint32(28);
  const valid = view.getUint32(24) === view.getUint32(92);
  if (valid && pages > 0 && size < pageSize * pages) {
    throw new Error(
      `truncated (${size} bytes, the header says ${
        pageSize * pages
      }): ${where}`,
    );
  }
}

/**
 * The error of a header that is not SQLite's, or is cut short of its 100
 * bytes: out of {@linkcode checkHeader}, compiled only on that failure
 * (cold start, issue 15).
 */
function headerFailure(header: Uint8Array, where: string): Error {
  if (!HEADER.startsWith(String.fromCharCode(...header.subarray(0, 16)))) {
    const misplaced = misplacedContent(header);
    if (misplaced !== undefined) return new Error(`${where} is ${misplaced}`);
    return new Error(`not a SQLite database (wrong header): ${where}`);
  }
  return new Error(
    `truncated (${header.length} bytes, shorter than the 100-byte header): ${where}`,
  );
}

/**
 * Checks a database image and returns the bytes to deserialize: a WAL-mode
 * image gets a copy marked as a rollback-journal database, since an
 * in-memory database cannot read WAL mode (the image alone holds every
 * page a reader sees).
 */
function prepareImage(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) throw new Error("the database image is empty");
  checkHeader(bytes.subarray(0, 100), bytes.length, "the database image");
  if (bytes[18] === 2 || bytes[19] === 2) {
    const copy = bytes.slice();
    copy[18] = 1;
    copy[19] = 1;
    return copy;
  }
  return bytes;
}

/**
 * One named SQLite database. Declare models on it, bind it to a file (or
 * leave it in memory), and query it through stores.
 *
 * @example An in-memory dataset, as in tests
 * ```ts
 * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const Example = DataSet.create("doc_example");
 * class Person extends Example.Model("person", {
 *   id: integer({ primaryKey: true }),
 *   name: text(),
 * }) {}
 *
 * await using _db = Example; // closed (and emptied) at the end of the scope
 * await Example.createAll();
 * await new Store(Person).create({ name: "Ada" });
 * assert.equal(await new Store(Person).count(), 1);
 * ```
 */
export class DataSet {
  static readonly #names = new Set<string>();
  /** The dataset name. */
  readonly name: string;
  readonly #options: DataSetOptions;
  readonly #models: AnyModel[] = [];
  #factory: SQLiteBindFactory | undefined;
  #session: Session | undefined;
  #opening: Promise<Session> | undefined;
  #lastEngine: EngineName | undefined;
  #redirect: string | undefined;
  /** Sessions replaced by a reload, closing once their last query ends. */
  readonly #retired = new Map<
    Session,
    ReturnType<typeof setTimeout> | undefined
  >();
  /** The identity of each opened file version, for the watch. */
  readonly #identities = new WeakMap<Session, string>();
  /** Reloads run one at a time. */
  #reloads: Promise<unknown> = Promise.resolve();
  #reloadsPending = 0;
  readonly #watches = new Set<Watch>();

  private constructor(name: string, options: DataSetOptions) {
    this.name = name;
    this.#options = { ...options };
  }

  /**
   * Creates a dataset. Names are unique within the process.
   * @param name The dataset name, matching `/^[A-Za-z_][A-Za-z0-9_.-]*$/`.
   * @param options Engine and file options.
   * @returns The dataset.
   * @throws {TypeError} When the name is invalid or already used.
   *
   * @example
   * ```ts
   * import { DataSet } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const Countries = DataSet.create("doc_countries");
   * assert.equal(Countries.name, "doc_countries");
   * assert.throws(() => DataSet.create("doc_countries"), TypeError);
   * assert.throws(() => DataSet.create("no spaces"), TypeError);
   * ```
   */
  static create(name: string, options: DataSetOptions = {}): DataSet {
    if (typeof name !== "string" || !DATASET_NAME.test(name)) {
      throw new TypeError(
        `Invalid dataset name ${
          JSON.stringify(name)
        }: expected letters, digits, "_", "." or "-", starting with a letter or "_"`,
      );
    }
    if (DataSet.#names.has(name)) {
      throw new TypeError(
        `Cannot create dataset "${name}": a dataset of that name already exists in this process`,
      );
    }
    if (options.engine !== undefined) {
      checkEngineChoice(options.engine, ` for dataset "${name}"`);
    }
    if (
      options.mmapSize !== undefined &&
      (!Number.isSafeInteger(options.mmapSize) || options.mmapSize < 0)
    ) {
      throw new RangeError(
        `Invalid mmapSize for dataset "${name}": expected a non-negative integer`,
      );
    }
    if (
      options.onQuery !== undefined && typeof options.onQuery !== "function"
    ) {
      throw new TypeError(
        `Invalid onQuery for dataset "${name}": expected a function, got ${
          options.onQuery === null ? "null" : typeof options.onQuery
        }`,
      );
    }
    DataSet.#names.add(name);
    return new DataSet(name, options);
  }

  /**
   * The model classes declared on this dataset, in declaration order.
   *
   * @example
   * ```ts
   * import { DataSet, integer } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_models");
   * db.Model("a", { id: integer({ primaryKey: true }) });
   * assert.deepEqual(db.models.map((m) => m.tableName), ["a"]);
   * ```
   */
  get models(): readonly AnyModel[] {
    return [...this.#models];
  }

  /**
   * The engine of the open connection (or of the last one), `undefined`
   * before the first use.
   *
   * @example
   * ```ts
   * import { DataSet } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_engine", { engine: "node" });
   * await db.open();
   * assert.equal(db.engine, "node");
   * await db.close();
   * ```
   */
  get engine(): EngineName | undefined {
    return this.#session?.engine.name ?? this.#lastEngine;
  }

  /**
   * The path this dataset opens, as its factory resolves it now.
   * @throws {DataSetError} When a strict factory binds nothing to it.
   *
   * @example
   * ```ts
   * import { DataSet } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * assert.equal(DataSet.create("doc_path").path, ":memory:");
   * ```
   */
  get path(): string {
    return this.#session?.path ?? this.#redirect ??
      this.#factoryOrDefault().path(this.name);
  }

  /**
   * Whether the dataset refuses writes: file datasets unless `writable`.
   *
   * @example
   * ```ts
   * import { DataSet } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * assert.equal(DataSet.create("doc_readonly").readOnly, false); // in memory
   * ```
   */
  get readOnly(): boolean {
    if (this.#session !== undefined) return this.#session.readOnly;
    if (this.#redirect !== undefined) return false;
    const factory = this.#factoryOrDefault();
    if (factory.bytes(this.name) !== undefined) return true;
    return factory.path(this.name) !== ":memory:" &&
      this.#options.writable !== true;
  }

  /**
   * Attaches a bind factory; closes any open connection so the next use
   * opens the newly bound file.
   * @param factory The factory.
   * @returns This dataset.
   *
   * @example
   * ```ts
   * import { DataSet, SQLiteBindFactory } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_bind");
   * db.bind(new SQLiteBindFactory({ paths: { doc_bind: "/data/x.sqlite" } }));
   * assert.equal(db.path, "/data/x.sqlite");
   * ```
   */
  bind(factory: SQLiteBindFactory): this {
    if (!(factory instanceof SQLiteBindFactory)) {
      throw new TypeError(
        `Cannot bind dataset "${this.name}": expected a SQLiteBindFactory`,
      );
    }
    this.#closeSession();
    this.#factory = factory;
    return this;
  }

  /**
   * Declares a model: a table, its columns and constraints, and the class
   * whose instances are its rows. Extend the returned class to add getters
   * and methods.
   * @param table The table name.
   * @param columns The columns by property name.
   * @param options Unique constraints, indexes and the default order.
   * @returns The model class.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_model");
   * class Person extends db.Model("person", {
   *   id: integer({ primaryKey: true }),
   *   first: text(),
   *   last: text({ name: "LastName" }),
   * }, { unique: [["first", "last"]], orderBy: ["last", "first"] }) {
   *   get fullName(): string {
   *     return `${this.first} ${this.last}`;
   *   }
   * }
   * await db.createAll();
   * const person = await new Store(Person).create({ first: "Ada", last: "Lovelace" });
   * assert.equal(person.fullName, "Ada Lovelace");
   * await db.close();
   * ```
   */
  Model<C extends Columns>(
    table: string,
    columns: C,
    options: ModelOptions<C> = {},
  ): ModelClass<C> {
    if (
      this.#models.some((model) =>
        foldIdentifier(model.tableName) === foldIdentifier(String(table))
      )
    ) {
      throw new TypeError(
        `Cannot declare model "${table}" on dataset "${this.name}": the table is already declared`,
      );
    }
    const model = declareModel(this, table, columns, options);
    this.#models.push(model);
    return model;
  }

  /**
   * Opens the connection now instead of at first use.
   * @returns This dataset.
   * @throws {DataSetError} When the file is missing, unreadable or not a
   * SQLite database, or the engine cannot load.
   *
   * @example
   * ```ts
   * import { DataSet, DataSetError, SQLiteBindFactory } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_open").bind(
   *   new SQLiteBindFactory({ paths: { doc_open: "/nonexistent/x.sqlite" } }),
   * );
   * await assert.rejects(db.open(), DataSetError);
   * ```
   */
  async open(): Promise<this> {
    await this[SESSION]();
    return this;
  }

  /** @internal Points the dataset at a writable file, or back. */
  async [REDIRECT](path: string | undefined): Promise<void> {
    await this.close();
    this.#redirect = path;
  }

  /** @internal The open session, opening it on first use. */
  [SESSION](): Promise<Session> | Session {
    const session = this.#session;
    if (session !== undefined && !session.closed) return session;
    this.#opening ??= this.#connect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  #factoryOrDefault(): SQLiteBindFactory {
    return this.#factory ?? SQLiteBindFactory.default;
  }

  /**
   * Opens the dataset's connection: a file (read-only unless writable),
   * `":memory:"`, or a read-only copy of a database image.
   *
   * Its notes stand here, not in its body (a start compiles the body's
   * whole text, comments included; cold start, issue 15):
   * - a read-only file's identity before opening is its checks' stat: one
   *   stat of the path where three were made; one stat after opening
   *   answers both the inode and the identity;
   * - only engines that read text cut at a NUL use the identity (for the
   *   Store's NUL census): an immutable file, the same file from its checks
   *   to after opening (no rename in between);
   * - reading the file's schema for the models' needs is the probe too,
   *   with the same errors (both statements load the schema): one
   *   statement where the open ran two.
   */
  async #connect(
    override?: ResolvedSource,
    adopt = true,
  ): Promise<Session> {
    const factory = this.#factoryOrDefault();
    let action = `Cannot open dataset "${this.name}"`;
    let path: string;
    try {
      path = override?.path ?? this.#redirect ?? factory.path(this.name);
    } catch (error) {
      throw openFailure(this.name, action, error, true);
    }
    const image = override !== undefined
      ? override.bytes
      : this.#redirect === undefined
      ? factory.bytes(this.name)
      : undefined;
    const pinned = override !== undefined
      ? override.sha256
      : this.#redirect === undefined
      ? factory.sha256(this.name)
      : undefined;
    if (image !== undefined) action += " from bytes";
    const memory = path === ":memory:";
    const writable = image === undefined &&
      (memory || this.#options.writable === true ||
        this.#redirect !== undefined);
    const immutable = !writable && this.#options.immutable !== false;
    let source: Uint8Array | undefined;
    let wal = false;
    let checked: string | undefined;
    if (image !== undefined) {
      source = imageSource(this.name, action, image, this.#options.writable);
    } else if (!memory) {
      try {
        checkPathLength(path);
        if (!writable) {
          const file = checkFile(path);
          wal = file.wal;
          checked = identityOfInfo(file.stat);
        }
      } catch (error) {
        throw fileFailure(this.name, action, path, error);
      }
      if (pinned !== undefined) await this.#checkPin(path, pinned, action);
    }
    const engine = await this.#loadEngine(
      this.#options.engine ?? factory.engine,
      this.#options.library ?? factory.library,
    );
    if (wal) walCheck(this.name, action, path, engine, immutable);
    const identity = source === undefined && !memory
      ? checked ?? identityOfSync(path)
      : undefined;
    let connection: Connection;
    try {
      connection = source !== undefined
        ? engine.deserialize(source)
        : engine.open({
          path,
          readOnly: !writable,
          immutable,
          create: writable,
          mmapSize: this.#options.mmapSize ?? 0,
        });
    } catch (error) {
      throw openFailure(
        this.name,
        source === undefined ? `${action} (${path})` : action,
        error,
      );
    }
    const session = new Session(
      this.name,
      engine,
      connection,
      source === undefined ? path : BYTES_PATH,
      !writable,
    );
    session.fixedSchema = !writable && (immutable || source !== undefined);
    session.onQuery = this.#options.onQuery;
    const opened = image === undefined && !memory ? statOf(path) : undefined;
    if (image !== undefined) session.image = image;
    else if (!memory) {
      session.fileIdentity = opened === undefined ? undefined : inodeOf(opened);
    }
    if (source !== undefined && !engine.readsTextWhole) {
      session.stableData = `${BYTES_PATH}\0${++images}`;
    } else if (
      checked !== undefined && immutable && !engine.readsTextWhole &&
      opened !== undefined && identityOfInfo(opened) === checked
    ) {
      session.stableData = `${path}\0${checked}`;
    }
    try {
      if (writable) session.exec(FOREIGN_KEYS_ON, action);
      if (!checkModelNeeds(session, this.#models, action)) {
        session.value(SCHEMA_PROBE, [], action);
      }
    } catch (error) {
      session.close();
      throw setupFailure(
        this.name,
        source === undefined ? `${action} (${path})` : action,
        error,
      );
    }
    if (identity !== undefined) this.#identities.set(session, identity);
    if (!adopt) return session;
    this.#session = session;
    this.#lastEngine = engine.name;
    return session;
  }

  /** Checks a pinned file's SHA-256 (streamed) before it opens. */
  async #checkPin(path: string, expected: string, action: string) {
    let actual: string;
    try {
      actual = await (await import("./_hash.ts")).hashFile(path, undefined);
    } catch (error) {
      throw new DataSetError(
        `${action}: cannot read ${path} to check its SHA-256: ${
          (error as Error).message
        }`,
        { dataset: this.name, cause: error },
      );
    }
    if (actual !== expected) {
      throw new DataSetError(
        `${action}: the file's SHA-256 is ${actual}, but the binding pins ${expected}: ${path} is not the file this deploy expects`,
        { dataset: this.name },
      );
    }
  }

  /**
   * The engine to use. Only the implicit default falls back: `"auto"`
   * reads through `node:sqlite` when FFI is not granted, or when no usual
   * library loads; a library chosen explicitly (the `library` option or
   * `MICROCOSM_SQLITE_LIBRARY`) that does not load is an error.
   */
  async #loadEngine(
    choice: EngineChoice,
    library: string | undefined,
  ): Promise<Engine> {
    if (choice === "node") return await loadNodeEngine();
    if (choice === "auto" && !ffiGranted()) return await loadNodeEngine();
    // Each engine's module loads only when it is chosen (cold start).
    const ffi = await import("./_ffi.ts");
    try {
      return ffi.loadFfiEngine(library);
    } catch (error) {
      if (choice === "auto" && ffi.chosenLibrary(library) === undefined) {
        // No usual library loads: fall back to node:sqlite.
        return await loadNodeEngine();
      }
      throw new DataSetError(
        `Cannot open dataset "${this.name}" with the ffi engine: ${
          error instanceof Deno.errors.NotCapable
            ? "FFI is not allowed (run Deno with --allow-ffi; a path-scoped --allow-ffi=<library> is not enough, because reading the strings and pointers SQLite returns needs the unscoped flag)"
            : (error as Error).message
        }`,
        { dataset: this.name, cause: error },
      );
    }
  }

  /**
   * Creates every declared table with its indexes, unique constraints and
   * foreign keys, where missing.
   * @returns Nothing.
   * @throws {ReadOnlyError} On a read-only dataset.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_create_all");
   * class Item extends db.Model("item", { id: integer({ primaryKey: true }) }) {}
   * await db.createAll();
   * assert.equal(await new Store(Item).count(), 0);
   * await db.close();
   * ```
   */
  async createAll(): Promise<void> {
    // DDL is build-time SQL, loaded on first use (not by a runtime import).
    const {
      createSearchSql,
      createTableSql,
      modelGeoIndexSql,
      rebuildSearchSql,
      transactionSql,
    } = await import("./_sql_build.ts");
    const session = await this[SESSION]();
    const action = `Cannot create the tables of dataset "${this.name}"`;
    session.assertWritable(action);
    // A search index created over a table that already holds rows is
    // filled from them.
    const newIndexes = this.#models.flatMap((model) => {
      const search = model.definition.search;
      return search !== undefined &&
          findTable(session, search.table, action) === undefined
        ? [rebuildSearchSql(search)]
        : [];
    });
    const statements = this.#models.flatMap((model) => [
      ...createTableSql(model),
      ...createSearchSql(model),
      ...modelGeoIndexSql(model),
    ]);
    session.exec(transactionSql([...statements, ...newIndexes]), action);
  }

  /**
   * Drops every declared table.
   * @returns Nothing.
   * @throws {ReadOnlyError} On a read-only dataset.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_drop_all");
   * class Item extends db.Model("item", { id: integer({ primaryKey: true }) }) {}
   * await db.createAll();
   * await db.dropAll();
   * await assert.rejects(new Store(Item).count());
   * await db.close();
   * ```
   */
  async dropAll(): Promise<void> {
    const { dropSearchSql, dropTableSql } = await import("./_sql_build.ts");
    const session = await this[SESSION]();
    const action = `Cannot drop the tables of dataset "${this.name}"`;
    session.assertWritable(action);
    // Foreign keys are switched off outside the transaction (SQLite ignores
    // the pragma inside one) and back on whatever happens.
    session.exec(FOREIGN_KEYS_OFF, action);
    try {
      session.atomic(action, () => {
        for (const model of [...this.#models].reverse()) {
          const search = model.definition.search;
          if (search !== undefined) session.exec(dropSearchSql(search), action);
          if (model.definition.geo !== undefined) {
            session.exec(dropTableSql(geoIndexName(model.tableName)), action);
          }
          session.exec(dropTableSql(model.tableName), action);
        }
      });
    } finally {
      session.exec(FOREIGN_KEYS_ON, action);
    }
  }

  /**
   * Runs raw SQL, binding every interpolated value as a parameter (arrays
   * become comma-separated parameter lists), and yields plain row objects.
   * The escape hatch for joins and aggregates.
   *
   * `Row` types the rows: a cast the caller declares, not a run-time check
   * (SQLite's values arrive as they are; `Store.sql` decodes a model's
   * columns by kind). Interpolated {@linkcode sqlFragment}s insert their
   * text and bind their values, so clauses compose.
   * @typeParam Row The row type the caller declares.
   * @param strings The template's strings.
   * @param values The interpolated values and fragments.
   * @returns The rows.
   *
   * @example
   * ```ts
   * import { DataSet } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_sql");
   * const name = "x'; DROP TABLE t; --";
   * const rows = await Array.fromAsync(db.sql`select ${name} as name, 1 in (${[1, 2]}) as found`);
   * assert.deepEqual(rows, [{ name, found: 1 }]);
   * await db.close();
   * ```
   *
   * @example Typed rows and an optional clause
   * ```ts
   * import { DataSet, sqlFragment } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_sql_typed");
   * const limit: number | undefined = 1;
   * const tail = limit === undefined ? sqlFragment`` : sqlFragment`LIMIT ${limit}`;
   * const rows = db.sql<{ n: number }>`SELECT 7 AS n UNION ALL SELECT 8 ${tail}`;
   * const first: { n: number }[] = await Array.fromAsync(rows);
   * assert.deepEqual(first, [{ n: 7 }]);
   * await db.close();
   * ```
   *
   * @example With a signal, a time budget or a hook: `sql(options)` is a tag
   * ```ts
   * import { DataSet } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_sql_options");
   * const controller = new AbortController();
   * const rows = db.sql({ signal: controller.signal, timeoutMs: 1000 })`SELECT 1 AS one`;
   * assert.deepEqual(await Array.fromAsync(rows), [{ one: 1 }]);
   * controller.abort(new Error("gone"));
   * const late = db.sql({ signal: controller.signal })`SELECT 1 AS one`;
   * await assert.rejects(Array.fromAsync(late), /gone/);
   * await db.close();
   * ```
   */
  sql<Row extends object = SQLRow>(
    strings: TemplateStringsArray,
    ...values: SQLParameter[]
  ): AsyncGenerator<Row, void, undefined>;
  /**
   * A tag that runs raw SQL as `dataset.sql` does, under `options`: a
   * signal, a time budget, a hook (each use of the tag is one query).
   * @param options The signal, budget and hook.
   * @returns The tag.
   * @throws {TypeError} When `options` is not an object.
   */
  sql(options: RunOptions): SQLTag;
  sql<Row extends object = SQLRow>(
    strings: TemplateStringsArray | RunOptions,
    ...values: SQLParameter[]
  ): AsyncGenerator<Row, void, undefined> | SQLTag {
    if (!isTemplate(strings)) {
      const options = checkRunOptions(strings, `sql on dataset "${this.name}"`);
      return <R extends object = SQLRow>(
        strings: TemplateStringsArray,
        ...values: SQLParameter[]
      ): AsyncGenerator<R, void, undefined> => {
        try {
          const run = Run.of(options, "sql", `dataset "${this.name}"`);
          const { text, params } = compileTemplate(strings, values);
          return this.#cursor(text, params, run) as AsyncGenerator<
            R,
            void,
            undefined
          >;
        } catch (error) {
          return cursor<R>(undefined, error);
        }
      };
    }
    // `Row` is a cast the caller declares, not checked at run time.
    try {
      const { text, params } = compileTemplate(strings, values);
      return this.#cursor(text, params) as AsyncGenerator<Row, void, undefined>;
    } catch (error) {
      return cursor<Row>(undefined, error);
    }
  }

  /** @internal Runs SQL text, binding `params`, and yields plain rows. */
  [RAW_SQL](
    text: string,
    params: readonly SQLValue[] = [],
  ): AsyncGenerator<SQLRow, void, undefined> {
    return this.#cursor(text, [...params]);
  }

  #cursor(
    text: string,
    params: SQLValue[],
    run?: Run,
  ): AsyncGenerator<SQLRow, void, undefined> {
    const action = `Cannot run sql on dataset "${this.name}"`;
    // On an engine that reads text only up to a NUL: the query's result
    // names and a flag column after them, or undefined when unchecked.
    let checked: readonly string[] | undefined;
    let rows = 0;
    // Generated once per list of result names (see `rawRowBuilder`).
    let build: RowBuild | undefined;
    return cursor({
      session: () => withTextFree(this[SESSION]()),
      sql: (session) => {
        if (session.engine.readsTextWhole) return text;
        const plan = nulChecked(session, text, action);
        checked = plan?.names;
        return plan?.sql ?? text;
      },
      params,
      action,
      origin: "caller",
      run,
      read: (statement) => {
        const names = checked ?? statement.columnNames;
        rows++;
        if (checked !== undefined) {
          checkNulFlag(statement, checked, rows, action, this.name, text);
        }
        const row: SQLRow = {};
        (build ??= rawRowBuilder(names))(row, statement);
        return row;
      },
    });
  }

  /**
   * The lowercase hex SHA-256 identifying the content of the file the
   * dataset has open, for ETags and cache keys; `undefined` for an
   * in-memory dataset. Computed at most once per opened file, streamed in
   * 1 MiB reads (never the whole file in memory), and dropped when the
   * dataset opens another file. A file `buildDataSet` wrote records its
   * hash, which is answered without hashing (`verifyDataSet` checks it).
   *
   * The hash is the SHA-256 of the file's bytes with the hash it records
   * read as 64 `0`s, since a file cannot hold the SHA-256 of itself; for a
   * file that records none, its plain SHA-256 (what `sha256sum` prints).
   * A dataset served from bytes answers the hash of those bytes. A
   * read-only file opened with `immutable: false` is hashed again when its
   * size or modification time changed; a writable one at each call.
   * @returns The hex digest, or `undefined` in memory.
   * @throws {DataSetError} When the file cannot be read, or was replaced
   * by rename since the dataset opened it (reopen to hash the new one).
   *
   * @example A built file answers the hash it records
   * ```ts
   * import { DataSet, integer, readBuildMetadata, SQLiteBindFactory } from "@microcosm/sqlite";
   * import { buildDataSet } from "@microcosm/sqlite/build";
   * import assert from "node:assert/strict";
   *
   * const Numbers = DataSet.create("doc_content_hash");
   * class N extends Numbers.Model("n", { id: integer({ primaryKey: true }) }) {}
   * const dir = await Deno.makeTempDir();
   * await buildDataSet(Numbers, `${dir}/n.sqlite`, (build) => build.loadRecords(N, [{ id: 1 }]));
   * Numbers.bind(new SQLiteBindFactory({ paths: { doc_content_hash: `${dir}/n.sqlite` } }));
   * const hash = await Numbers.contentHash();
   * assert.match(hash!, /^[0-9a-f]{64}$/);
   * assert.equal(hash, (await readBuildMetadata(Numbers))?.sha256);
   * assert.equal(await DataSet.create("doc_content_hash_memory").contentHash(), undefined);
   * await Numbers.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async contentHash(): Promise<string | undefined> {
    const session = await this[SESSION]();
    if (session.path === ":memory:") return undefined;
    if (!session.readOnly) return await this.#hash(session);
    if (!session.fixedSchema) {
      // immutable: false: the file may be rewritten in place, which changes
      // its size or modification time; the hash is kept while neither does.
      let stamp: string;
      try {
        const info = await Deno.stat(session.path);
        stamp = `${info.size}:${info.mtime?.getTime()}`;
      } catch {
        stamp = "";
      }
      if (stamp === "" || stamp !== session.contentHashStamp) {
        session.contentHash = undefined;
        session.contentHashStamp = stamp;
      }
    }
    const cached = session.contentHash ??= this.#hash(session);
    try {
      return await cached;
    } catch (error) {
      // A failure (a read error) is not the file's hash: ask again next time.
      if (session.contentHash === cached) session.contentHash = undefined;
      throw error;
    }
  }

  async #hash(session: Session): Promise<string | undefined> {
    const action = `Cannot hash dataset "${this.name}"`;
    // Hashing loads on first use (cold start, issue 15).
    const hash = await import("./_hash.ts");
    const recorded = hash.recordedHash(session, action);
    // A read-only file's recorded hash is its hash: no need to read it all.
    if (recorded !== undefined && session.readOnly) return recorded;
    return await hash.hashSession(session, recorded, action);
  }

  /**
   * Closes the connection; idempotent. An in-memory dataset loses its
   * data. The next use opens the dataset again.
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { DataSet } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_close");
   * await db.open();
   * await db.close();
   * await db.close();
   * assert.deepEqual(await Array.fromAsync(db.sql`select 1 as one`), [{ one: 1 }]);
   * await db.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#opening !== undefined) {
      try {
        await this.#opening;
      } catch {
        // The open failed: nothing to close.
      }
    }
    for (const watch of [...this.#watches]) watch.stop();
    // A reload under way would switch to its new file after the close.
    if (this.#reloadsPending > 0) await this.#reloads;
    this.#closeSession();
    for (const [session, timer] of this.#retired) {
      clearTimeout(timer);
      session.close();
    }
    this.#retired.clear();
  }

  /**
   * Opens the dataset's file again, or the new `source` it is to be bound
   * to, and switches to it once it passes its checks: the SQLite header,
   * the pinned SHA-256 if any, every model's table and columns, and the
   * build metadata (readable; present if the serving file has it; naming
   * every model table). Queries started after the switch read the new
   * file; iterators already running finish on the old connection, which
   * closes after the last of them. A new file that fails a check changes
   * nothing: the old one keeps serving, and the binding keeps its source.
   *
   * Use it after replacing the bound file by rename (or let
   * {@linkcode DataSet.watch} notice), or to move to a new path, bytes or
   * `{ path, sha256 }` (e.g. from `fetchDataSet` in
   * `@microcosm/sqlite/fetch`). Reloads run one at a time.
   * @param source The new path, bytes or pinned file; the bound one when
   * omitted. Set on the dataset's factory once the switch happens.
   * @returns This dataset.
   * @throws {DataSetError} When the new file cannot open or fails a check.
   * @throws {TypeError} When `source` is not a path, bytes or pinned file.
   *
   * @example Swap in a new version while an iterator reads the old one
   * ```ts
   * import { DataSet, DataSetError, integer, SQLiteBindFactory, Store } from "@microcosm/sqlite";
   * import { buildDataSet } from "@microcosm/sqlite/build";
   * import assert from "node:assert/strict";
   *
   * const Prices = DataSet.create("doc_reload");
   * class Price extends Prices.Model("price", { id: integer({ primaryKey: true }), cents: integer() }) {}
   * const dir = await Deno.makeTempDir();
   * for (const cents of [100, 200]) {
   *   await buildDataSet(Prices, `${dir}/v${cents}.sqlite`, (build) =>
   *     build.loadRecords(Price, [{ id: 1, cents }, { id: 2, cents }]));
   * }
   * Prices.bind(new SQLiteBindFactory().set("doc_reload", `${dir}/v100.sqlite`));
   * const prices = new Store(Price);
   * const running = prices.search();
   * assert.equal((await running.next()).value?.cents, 100);
   *
   * await Prices.reload(`${dir}/v200.sqlite`);
   * assert.equal((await prices.retrieve(1)).cents, 200); // new queries: new file
   * assert.equal((await running.next()).value?.cents, 100); // still the old one
   * assert.equal((await running.next()).done, true);
   *
   * await Deno.writeTextFile(`${dir}/bad.sqlite`, "not a database");
   * await assert.rejects(Prices.reload(`${dir}/bad.sqlite`), DataSetError);
   * assert.equal(Prices.path, `${dir}/v200.sqlite`); // still serving
   * await Prices.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  reload(source?: DataSetSource): Promise<this> {
    const resolved = source === undefined
      ? undefined
      : resolveSource(this.name, source);
    const run = () => this.#reload(source, resolved);
    this.#reloadsPending++;
    const done = this.#reloads.then(run, run).finally(() => {
      this.#reloadsPending--;
    });
    this.#reloads = done.catch(() => {});
    return done;
  }

  async #reload(
    source: DataSetSource | undefined,
    resolved: ResolvedSource | undefined,
  ): Promise<this> {
    const action = `Cannot reload dataset "${this.name}"`;
    if (this.#redirect !== undefined) {
      throw new DataSetError(`${action}: it is being built`, {
        dataset: this.name,
      });
    }
    const { checkNewVersion } = await loadReload();
    if (this.#opening !== undefined) {
      try {
        await this.#opening;
      } catch {
        // The first open failed: the reload opens on its own.
      }
    }
    const serving = this.#session !== undefined && !this.#session.closed
      ? this.#session
      : undefined;
    const keeps = serving === undefined
      ? "nothing was serving"
      : `the dataset keeps serving ${serving.path}`;
    let fresh: Session;
    try {
      fresh = await this.#connect(resolved, false);
    } catch (error) {
      throw new DataSetError(
        `${action}: ${(error as Error).message} (${keeps})`,
        { dataset: this.name, cause: error },
      );
    }
    try {
      checkNewVersion(fresh, this.#models, serving);
    } catch (error) {
      fresh.close();
      const reason = (error as Error).message;
      throw new DataSetError(
        `${action}: the new file ${
          fresh.path === BYTES_PATH ? "(bytes)" : fresh.path
        } does not pass its checks: ${reason} (${keeps})`,
        { dataset: this.name, cause: error },
      );
    }
    if (source !== undefined) {
      if (this.#factory === undefined) this.#factory = new SQLiteBindFactory();
      this.#factory.set(this.name, source);
    }
    const current = this.#session;
    this.#session = fresh;
    this.#lastEngine = fresh.engine.name;
    if (current !== undefined && !current.closed) this.#retire(current);
    return this;
  }

  /**
   * Closes a replaced session once no statement is in use, checked on a
   * later macrotask: a cursor that was handed the session in a microtask
   * before the switch takes its statement before then.
   */
  #retire(session: Session): void {
    const schedule = () => {
      if (session.closed || this.#retired.get(session) !== undefined) return;
      const timer = setTimeout(() => {
        this.#retired.set(session, undefined);
        if (session.leasedStatements === 0) {
          this.#retired.delete(session);
          session.close();
        }
      }, 0);
      this.#retired.set(session, timer);
    };
    this.#retired.set(session, undefined);
    session.onIdle = schedule;
    if (session.leasedStatements === 0) schedule();
  }

  /**
   * Watches the bound file and reloads the dataset when it was replaced
   * (by rename: a new inode, size or modification time), checking at most
   * every `intervalMs` on a timer, never on the query path. A replacement
   * that fails its checks leaves the old file serving and goes to
   * `onError`; the watch tries again when the file changes again. Only a
   * dataset bound to a file path is watched; `close()` stops every watch.
   * @param options The interval and callbacks.
   * @returns The watch: `stop()` it, or hold it with `using`.
   * @throws {RangeError} When `intervalMs` is not a positive number.
   *
   * @example Replace the file by rename; the watch reloads
   * ```ts
   * import { DataSet, integer, SQLiteBindFactory, Store } from "@microcosm/sqlite";
   * import { buildDataSet } from "@microcosm/sqlite/build";
   * import assert from "node:assert/strict";
   *
   * const Rates = DataSet.create("doc_watch");
   * class Rate extends Rates.Model("rate", { id: integer({ primaryKey: true }), bps: integer() }) {}
   * const dir = await Deno.makeTempDir();
   * for (const bps of [5, 7]) {
   *   await buildDataSet(Rates, `${dir}/v${bps}.sqlite`, (build) =>
   *     build.loadRecords(Rate, [{ id: 1, bps }]));
   * }
   * await Deno.copyFile(`${dir}/v5.sqlite`, `${dir}/rates.sqlite`);
   * Rates.bind(new SQLiteBindFactory().set("doc_watch", `${dir}/rates.sqlite`));
   * assert.equal((await new Store(Rate).retrieve(1)).bps, 5);
   *
   * // The watch's timer does not keep a process alive: a server does.
   * let reloads = 0;
   * using _watch = Rates.watch({ intervalMs: 20, onReload: () => reloads++ });
   * await Deno.rename(`${dir}/v7.sqlite`, `${dir}/rates.sqlite`);
   * while (reloads === 0) await new Promise((wake) => setTimeout(wake, 10));
   * assert.equal((await new Store(Rate).retrieve(1)).bps, 7);
   * await Rates.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  watch(options: WatchOptions = {}): Watch {
    const intervalMs = checkInterval(options.intervalMs ?? 1000, this.name);
    let failed: string | undefined;
    let busy = false;
    const tick = async () => {
      const session = this.#session;
      if (busy || session === undefined || session.closed) return;
      const opened = this.#identities.get(session);
      if (opened === undefined) return;
      const now = await (await loadReload()).identityOf(session.path);
      if (now === undefined || now === opened || now === failed) return;
      busy = true;
      try {
        await this.reload();
        failed = undefined;
        if (!stopped) options.onReload?.();
      } catch (error) {
        failed = now;
        if (!stopped) options.onError?.(error);
      } finally {
        busy = false;
      }
    };
    let stopped = false;
    const timer = setInterval(() => void tick(), intervalMs);
    Deno.unrefTimer(timer);
    const watch: Watch = {
      stop: () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        this.#watches.delete(watch);
      },
      [Symbol.dispose]: () => watch.stop(),
    };
    this.#watches.add(watch);
    return watch;
  }

  #closeSession(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  /**
   * Closes the dataset at the end of an `await using` scope.
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { DataSet } from "@microcosm/sqlite";
   *
   * const db = DataSet.create("doc_dispose");
   * {
   *   await using scoped = db;
   *   await scoped.open();
   * } // closed here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * The error for a failure while setting up a new connection: a
 * `DataSetError` as it is, anything else as one that says SQLite's words
 * once after `prefix` (a public error already starts with the action).
 */
function setupFailure(
  dataset: string,
  prefix: string,
  error: unknown,
): DataSetError {
  if (error instanceof DataSetError) return error;
  const reason = error instanceof SQLiteError && error.cause instanceof Error
    ? error.cause.message
    : (error as Error).message;
  return new DataSetError(`${prefix}: ${reason}`, { dataset, cause: error });
}

/**
 * Throws the `DataSetError` of a row of a query wrapped by
 * {@linkcode nulChecked} whose flag column (after `names`) names a column
 * holding text with a NUL.
 */
export function checkNulFlag(
  statement: Statement,
  names: readonly string[],
  row: number,
  action: string,
  dataset: string,
  sql: string,
): void {
  const flag = statement.column(names.length);
  if (flag === null) return;
  throw new DataSetError(
    `${action}: the column ${
      JSON.stringify(names[flag as number])
    } of row ${row} holds text with a NUL character, which node:sqlite cannot read past (it would return the text cut at the NUL); open the dataset with the ffi engine to read it whole`,
    { dataset, sql },
  );
}

/** `_text_free.ts`, once {@linkcode withTextFree} loaded it. */
let textFree: typeof import("./_text_free.ts") | undefined;

/**
 * `session`, once `_text_free.ts` is loaded when its engine reads text
 * only up to a NUL (the engine that runs {@linkcode nulChecked}): a raw
 * query's session step, so the module loads on a process's first raw
 * query on such an engine, never on a start (cold start, issue 15).
 */
export function withTextFree(
  session: Session | Promise<Session>,
): Session | Promise<Session> {
  if (textFree !== undefined) return session;
  if (session instanceof Promise) return session.then(withTextFree);
  if (session.engine.readsTextWhole) return session;
  return import("./_text_free.ts").then((loaded) => {
    textFree = loaded;
    return session;
  });
}

/**
 * The caller's query with a NUL flag column after its own
 * ({@linkcode nulCheckedSql}), for an engine that reads text only up to a
 * NUL, and the query's result names; `undefined` when the query has no
 * result columns or cannot be wrapped as a subquery (a write with
 * `RETURNING`, a `PRAGMA`, text after its `;`). Result names that repeat
 * (`select a.id, b.id`) are renamed in a subquery, so the flag names the
 * columns as the subquery does, once the names prove distinct. Its session
 * comes through {@linkcode withTextFree}.
 */
export function nulChecked(
  session: Session,
  text: string,
  action: string,
): { sql: string; names: readonly string[] } | undefined {
  const names = columnNamesOf(session, text, action, true)!;
  if (names.length === 0) return undefined;
  const outer = distinct(names)
    ? names
    : columnNamesOf(session, subquerySql(text), action, false);
  if (outer === undefined || !distinct(outer)) return undefined;
  // Columns that can hold no text need no look (see `textFreeColumns`).
  const free = textFree!.textFreeColumns(session, text, action);
  if (free.size === names.length) return undefined;
  const sql = free.size === 0 ? nulCheckedSql(text, outer) : nulCheckedAmongSql(
    text,
    outer,
    names.flatMap((_, i) => free.has(i) ? [] : [i]),
  );
  return columnNamesOf(session, sql, action, false) === undefined
    ? undefined
    : { sql, names };
}

/**
 * Prepares `sql` (from the session's cache) for its result names; a
 * failure throws when `rethrow`, else gives `undefined`.
 */
function columnNamesOf(
  session: Session,
  sql: string,
  action: string,
  rethrow: boolean,
): readonly string[] | undefined {
  let statement;
  try {
    statement = session.acquire(sql, action, "caller");
  } catch (error) {
    if (rethrow) throw error;
    return undefined;
  }
  const names = statement.columnNames;
  session.release(statement);
  return names;
}

/** Whether no two names are the same for SQLite (ASCII case folded). */
function distinct(names: readonly string[]): boolean {
  return new Set(names.map(foldIdentifier)).size === names.length;
}

// The failures of `DataSet.#connect`, out of its body: a start compiles a
// function's whole text when it first runs, and these run only on failure
// (cold start, issue 15).

/**
 * The `DataSetError` of a step of an open that failed with `error`
 * (`where` starts the message); a `DataSetError` of the binding itself is
 * thrown as it is when `binding`.
 */
function openFailure(
  dataset: string,
  where: string,
  error: unknown,
  binding = false,
): DataSetError {
  if (binding && error instanceof DataSetError) return error;
  return new DataSetError(`${where}: ${(error as Error).message}`, {
    dataset,
    cause: error,
  });
}

/** The `DataSetError` of a file that did not pass its checks. */
function fileFailure(
  dataset: string,
  action: string,
  path: string,
  error: unknown,
): DataSetError {
  return new DataSetError(
    `${action}: ${
      error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotCapable ||
        error instanceof Deno.errors.PermissionDenied
        ? describeOpenFailure(error, path)
        : (error as Error).message
    }`,
    { dataset, cause: error },
  );
}

/** A database image checked and prepared for reading (read-only). */
function imageSource(
  dataset: string,
  action: string,
  image: Uint8Array,
  writable: boolean | undefined,
): Uint8Array {
  if (writable === true) {
    throw new DataSetError(
      `${action}: a dataset served from bytes is read-only (writable applies to files)`,
      { dataset },
    );
  }
  try {
    return prepareImage(image);
  } catch (error) {
    throw openFailure(dataset, action, error);
  }
}

/** {@linkcode checkWal}, its failure a `DataSetError`. */
function walCheck(
  dataset: string,
  action: string,
  path: string,
  engine: Engine,
  immutable: boolean,
): void {
  try {
    checkWal(path, engine, immutable);
  } catch (error) {
    throw openFailure(dataset, action, error);
  }
}

/** Counts images of bytes opened, for their `Session.stableData`. */
let images = 0;

/** The file's information, or `undefined` when it cannot be read. */
function statOf(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/** The node engine, its module loaded on first use (cold start, issue 15). */
async function loadNodeEngine(): Promise<Engine> {
  return await (await import("./_node.ts")).loadNodeEngine();
}

/** The reload's checks, loaded on the first reload or watch tick. */
let reloadModule: typeof import("./_reload.ts") | undefined;

/** Loads `_reload.ts` once (cold start, issue 15). */
async function loadReload(): Promise<typeof import("./_reload.ts")> {
  return reloadModule ??= await import("./_reload.ts");
}

// Generators made once their module loads: a store's concerns
// (`store.ts`) and every cursor (`_cursor.ts`, which a first `retrieve()`
// never runs).

/**
 * The rows of a generator made once its module is loaded (cold start,
 * issue 15; the store's concerns and `_cursor.ts`): the load runs on
 * the first `next()`, and `return()` (a `break`) reaches the inner
 * generator, so its statement is reset as before. A class that hands each
 * call to the inner generator, not an `async function*` around it, so rows
 * cost what the inner generator's cost (a call more each); only a
 * process's first call of a concern comes through here, later ones get the
 * inner generator itself.
 */
class Later<T> implements AsyncGenerator<T, void, undefined> {
  #start: (() => Promise<AsyncGenerator<T, void, undefined>>) | undefined;
  #inner: AsyncGenerator<T, void, undefined> | undefined;
  #loading: Promise<AsyncGenerator<T, void, undefined>> | undefined;

  constructor(start: () => Promise<AsyncGenerator<T, void, undefined>>) {
    this.#start = start;
  }

  /** The inner generator, made on the first call that needs it. */
  #load(): Promise<AsyncGenerator<T, void, undefined>> {
    if (this.#loading === undefined) {
      const start = this.#start!;
      this.#start = undefined;
      this.#loading = start().then((inner) => this.#inner = inner);
    }
    return this.#loading;
  }

  next(): Promise<IteratorResult<T, void>> {
    const inner = this.#inner;
    if (inner !== undefined) return inner.next();
    // Ended before it started: done, nothing loaded.
    if (this.#start === undefined && this.#loading === undefined) {
      return Promise.resolve({ value: undefined, done: true });
    }
    return this.#load().then((loaded) => loaded.next());
  }

  return(): Promise<IteratorResult<T, void>> {
    if (this.#loading !== undefined) {
      return this.#load().then((loaded) => loaded.return());
    }
    this.#start = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T, void>> {
    if (this.#loading !== undefined) {
      return this.#load().then((loaded) => loaded.throw(error));
    }
    this.#start = undefined;
    return Promise.reject(error);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  get [Symbol.toStringTag](): string {
    return "AsyncGenerator";
  }
}

/**
 * A generator from a lazily loaded module (a store's concern, the cursor):
 * made at once when loaded, else later.
 */
export function later<T>(
  start: () => Promise<AsyncGenerator<T, void, undefined>>,
): AsyncGenerator<T, void, undefined> {
  return new Later(start);
}

/** `_cursor.ts`, once a first query loaded it. */
let cursors: typeof import("./_cursor.ts") | undefined;

/**
 * A cursor over `source` (or one that rejects its first `next()` with
 * `error`): a `Cursor` at once once `_cursor.ts` is loaded; before that,
 * one made on the first `next()`, after the module loads.
 */
export function cursor<T>(
  source: CursorSource<T> | undefined,
  error?: unknown,
): AsyncGenerator<T, void, undefined> {
  if (cursors !== undefined) return new cursors.Cursor(source, error);
  return later(async () => {
    cursors ??= await import("./_cursor.ts");
    return new cursors.Cursor(source, error);
  });
}
