/**
 * The small internal interface every SQLite engine implements.
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
  READONLY: 8,
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

/** Loads engines and opens connections. */
export interface Engine {
  /** Which engine this is. */
  readonly name: EngineName;
  /** The SQLite version the engine runs, e.g. `"3.40.1"`. */
  readonly version: string;
  /** Opens a connection; throws {@linkcode EngineError} when SQLite refuses. */
  open(request: OpenRequest): Connection;
  /**
   * Opens a private in-memory connection holding a copy of a serialized
   * database image.
   */
  deserialize(bytes: Uint8Array, readOnly: boolean): Connection;
}

/** One open database connection. */
export interface Connection {
  /** Compiles one SQL statement. Throws {@linkcode EngineError}. */
  prepare(sql: string): Statement;
  /** Runs one or more SQL statements without parameters. */
  exec(sql: string): void;
  /** Rows changed by the last INSERT, UPDATE or DELETE. */
  changes(): number;
  /** The rowid of the last inserted row. */
  lastInsertRowid(): number | bigint;
  /** Whether a transaction is open. */
  inTransaction(): boolean;
  /** A copy of the database as one byte image. */
  serialize(): Uint8Array;
  /** The number of statements prepared and not yet finalized. */
  readonly liveStatements: number;
  /** Finalizes every statement and closes; idempotent. */
  close(): void;
}

/** A compiled statement. All methods throw after `finalize()`. */
export interface Statement {
  /** The SQL text. */
  readonly sql: string;
  /** The result column names, in order. */
  readonly columnNames: readonly string[];
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
