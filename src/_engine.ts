/**
 * The small internal interface every SQLite engine implements: the subset of
 * a SQLite driver that the session and the cursor need, and nothing more.
 * Where the engines differ, they say so through capabilities
 * ({@linkcode Engine.attaches}), never through their names.
 *
 * Only `src/_ffi.ts` and `src/_node.ts` touch native code; everything above
 * speaks this interface. Nothing here is exported from `mod.ts`.
 *
 * @module
 */

/** A value as SQLite stores it. */
export type SQLValue = null | number | bigint | string | Uint8Array;

/**
 * What a reader expects in a column, so an engine can read it with fewer
 * native calls. A hint only speeds a read up: the value returned is the
 * stored value whatever the hint (a TEXT cell under `NUMBER` is its text,
 * an INTEGER under `TEXT` its number).
 */
export const ColumnHint = {
  /** Anything: the storage class decides. */
  ANY: 0,
  /** A number (INTEGER or REAL storage), or NULL. */
  NUMBER: 1,
  /** TEXT, or NULL. */
  TEXT: 2,
  /**
   * A number (INTEGER or REAL storage), or NULL, and certainly so: the
   * column is declared INTEGER, INT or REAL in a STRICT table. The engine
   * may skip reading the storage class, so only give it where SQLite
   * guarantees it.
   */
  NUMBER_STRICT: 3,
  /**
   * TEXT, or NULL, and certainly so: the column is declared TEXT in a
   * STRICT table. As {@linkcode ColumnHint.NUMBER_STRICT}, only where SQLite
   * guarantees it.
   */
  TEXT_STRICT: 4,
} as const;

/** One of {@linkcode ColumnHint}'s values. */
export type ColumnHint = typeof ColumnHint[keyof typeof ColumnHint];

/** The name of an engine. */
export type EngineName = "ffi" | "node";

/** How to open a connection. */
export interface OpenRequest {
  /** A file system path, or `":memory:"`. */
  path: string;
  /** Open without write access (`SQLITE_OPEN_READONLY`, `mode=ro`). */
  readOnly: boolean;
  /**
   * The file never changes while open (`immutable=1` where the engine allows
   * URIs, else `PRAGMA locking_mode=EXCLUSIVE`). Only with `readOnly`.
   */
  immutable: boolean;
  /** Create the file when missing (only for building). */
  create: boolean;
  /**
   * Bytes of a file SQLite may memory-map (`PRAGMA mmap_size`); 0, the
   * default, maps nothing: a mapped file that shrinks kills the process.
   */
  mmapSize?: number;
}

/**
 * An error raised by an engine, carrying SQLite's result codes. The dataset
 * layer maps it onto the public error hierarchy.
 */
export class EngineError extends Error {
  /** The primary result code (`code & 0xff`), e.g. 19 for SQLITE_CONSTRAINT. */
  readonly code: number;
  /** The extended result code, e.g. 2067 for SQLITE_CONSTRAINT_UNIQUE. */
  readonly extendedCode: number;
  constructor(message: string, extendedCode: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "EngineError";
    this.extendedCode = extendedCode;
    this.code = extendedCode & 0xff;
  }
}

/** SQLite result codes the library reacts to. */
export const ResultCode = {
  ERROR: 1,
  PERM: 3,
  BUSY: 5,
  INTERRUPT: 9,
  READONLY: 8,
  IOERR: 10,
  CORRUPT: 11,
  CANTOPEN: 14,
  CONSTRAINT: 19,
  MISMATCH: 20,
  RANGE: 25,
  NOTADB: 26,
  ROW: 100,
  DONE: 101,
  CONSTRAINT_PRIMARYKEY: 1555,
  CONSTRAINT_UNIQUE: 2067,
} as const;

/**
 * What a file looks like on disk: its size and modification time, which
 * every write changes. Not its change time: unlinking the file (when a new
 * one is renamed over it) changes that, and the open file is still whole.
 */
function stampOf(info: Deno.FileInfo): string {
  return `${info.size}:${info.mtime?.getTime()}`;
}

/**
 * Watches a file opened read-only but not immutable (`immutable: false`),
 * which another program may change, so that no query returns rows read
 * from two versions of it. Each statement checks the file (one `fstat`,
 * about 1.5 µs) when it starts, when it ends, and after every step that
 * read pages from the file (every step where the engine cannot tell):
 * - a change while no statement runs is accepted: the engine drops its
 *   page cache, and the statement reads the new file;
 * - a change while a statement runs fails that statement (and any other
 *   running one) with an {@linkcode EngineError} (`SQLITE_IOERR`), so a
 *   result is never spliced from two versions.
 *
 * A file replaced by rename is not a change here: the open connection keeps
 * reading the file it opened, whole, until the dataset is reopened.
 */
export class FileWatch {
  readonly #path: string;
  readonly #file: Deno.FsFile;
  #stamp: string;
  #running = 0;
  #misses = -1;
  #generation = 0;

  /** Opens `path` for reading and takes its stamp. */
  constructor(path: string) {
    this.#path = path;
    this.#file = Deno.openSync(path, { read: true });
    this.#stamp = stampOf(this.#file.statSync());
  }

  /**
   * Called before a statement's first step.
   * @returns `true` when the file changed while nothing ran: the caller
   * drops its page cache before reading.
   * @throws {EngineError} When it changed while other statements ran.
   */
  begin(): boolean {
    const stamp = stampOf(this.#file.statSync());
    const changed = stamp !== this.#stamp;
    if (changed && this.#running > 0) throw this.#changed();
    if (changed) this.#generation++;
    this.#stamp = stamp;
    this.#running++;
    return changed;
  }

  /**
   * How many changes {@linkcode FileWatch.begin} accepted: the version of
   * the file statements read now. A call that runs several statements
   * compares it before and after, so it never answers from two versions.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Called after each step. @throws {EngineError} When the file changed. */
  check(): void {
    if (stampOf(this.#file.statSync()) !== this.#stamp) throw this.#changed();
  }

  /**
   * Called after each step by an engine that counts the pages SQLite read
   * from the file (cache misses): checks the file only when the count
   * moved since the last check, since a row built from pages read before
   * that check comes from the version it saw.
   * @param misses The connection's cache misses so far.
   * @throws {EngineError} When the file changed.
   */
  checkAfter(misses: number): void {
    if (misses === this.#misses) return;
    this.check();
    this.#misses = misses;
  }

  /** Called once per `begin()` when the statement stops running. */
  end(): void {
    this.#running--;
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }

  #changed(): EngineError {
    return new EngineError(
      `the file changed while a query read it (a file that may change must be replaced by rename, not rewritten in place): ${this.#path}`,
      ResultCode.IOERR,
    );
  }
}

/** Loads engines and opens connections. */
export interface Engine {
  /** Which engine this is. */
  readonly name: EngineName;
  /** The SQLite version the engine runs, e.g. `"3.40.1"`. */
  readonly version: string;
  /**
   * Whether `ATTACH` (which `VACUUM` uses) works: Deno's `node:sqlite`
   * refuses it unless every permission is granted.
   */
  readonly attaches: boolean;
  /**
   * Whether `immutable` opens a file truly immutable (`immutable=1`, no
   * lock and no side file: a WAL-mode file reads without its `-wal` and
   * `-shm`), rather than approximated with an exclusive lock.
   */
  readonly opensImmutable: boolean;
  /**
   * Whether a TEXT value is read whole, embedded NUL characters included.
   * Deno's `node:sqlite` returns text only up to its first NUL, so readers
   * on such an engine ask SQLite which cells hold a NUL (see
   * `nulFlagSql` in `_sql.ts`) and refuse them rather than return a
   * shortened string.
   */
  readonly readsTextWhole: boolean;
  /** Opens a connection; throws {@linkcode EngineError} when SQLite refuses. */
  open(request: OpenRequest): Connection;
  /**
   * Opens a private in-memory connection holding a read-only copy of a
   * serialized database image: every write fails, whatever the SQL.
   */
  deserialize(bytes: Uint8Array): Connection;
}

/** One open database connection. */
export interface Connection {
  /** Compiles one SQL statement. Throws {@linkcode EngineError}. */
  prepare(sql: string): Statement;
  /** Runs one or more SQL statements without parameters. */
  exec(sql: string): void;
  /** Rows changed by the last INSERT, UPDATE or DELETE. */
  changes(): number;
  /** The number of statements prepared and not yet finalized. */
  readonly liveStatements: number;
  /**
   * The version of the file the connection's statements read: 0, plus one
   * for each change in place its {@linkcode FileWatch} accepted (always 0
   * for a file that cannot change).
   */
  readonly generation: number;
  /** Finalizes every statement and closes; idempotent. */
  close(): void;
  /**
   * Stops any step still running at `deadline` (a `performance.now()`
   * time) with `SQLITE_INTERRUPT`, through SQLite's progress handler;
   * `Infinity` removes the bound. Absent on an engine without a progress
   * handler (`node:sqlite`), where a time budget is checked between rows
   * only.
   */
  setStepDeadline?(deadline: number): void;
}

/** The table column a result column reads, by SQLite's column metadata. */
export interface ColumnOrigin {
  /** The schema: `main`, `temp` or an attached database's name. */
  readonly database: string;
  /** The table's name, as its schema spells it. */
  readonly table: string;
  /** The column's name, as its table spells it. */
  readonly column: string;
}

/** A compiled statement. All methods throw after `finalize()`. */
export interface Statement {
  /** The SQL text. */
  readonly sql: string;
  /** The result column names, in order. */
  readonly columnNames: readonly string[];
  /** The number of result columns (without reading their names). */
  readonly columnCount: number;
  /**
   * Optional: where each result column's values come from, by position,
   * as SQLite's column metadata reports it (`sqlite3_column_table_name`
   * and its siblings), `null` for a column that is no table's column (an
   * expression). Only the engines that read text up to a NUL report it.
   */
  readonly columnOrigins?: readonly (ColumnOrigin | null)[];
  /** `true` once finalized (by `finalize()` or by closing the connection). */
  readonly finalized: boolean;
  /**
   * Resets the statement and binds positional parameters (1-based in SQL,
   * 0-based here). Every parameter must be given.
   */
  bind(params: readonly SQLValue[]): void;
  /** Steps once: `true` when a row is ready, `false` when done. */
  step(): boolean;
  /**
   * Steps to the first row of a query whose caller reads at most that row
   * and then resets: `true` when there is one.
   */
  stepOne(): boolean;
  /**
   * Optional: the caller will read every row of this run (a small result,
   * collected at once), so an engine that cannot otherwise see an error
   * raised part-way through a streamed query may fetch every row now, in
   * one run that throws such an error. Call after `bind`, before `step`.
   */
  prefetch?(): void;
  /**
   * Reads column `index` of the current row. Integers come as `number`
   * when they fit in 2^53, else as `bigint`.
   * @param hint What the caller expects; see {@linkcode ColumnHint}.
   */
  column(index: number, hint?: ColumnHint): SQLValue;
  /** Resets the statement so it can run again; keeps nothing locked. */
  reset(): void;
  /** Releases the statement; idempotent. */
  finalize(): void;
}
