/**
 * One open connection of a dataset with its statement cache and error
 * mapping. Internal: datasets and stores use it; users never see it.
 *
 * @module
 */
import {
  type Connection,
  type Engine,
  EngineError,
  ResultCode,
  type SQLValue,
  type Statement,
} from "./_engine.ts";
import {
  DataSetError,
  DuplicateModelError,
  ModelIntegrityError,
  ReadOnlyError,
  SQLiteError,
} from "./errors.ts";

/** How many idle copies of one statement the cache keeps. */
const IDLE_PER_SQL = 4;
/** How many distinct statements the cache keeps. */
const MAX_CACHED_SQL = 256;
/** Maps an engine error onto the public hierarchy. */
export function toPublicError(
  error: unknown,
  action: string,
  dataset: string,
  sql?: string,
): unknown {
  if (!(error instanceof EngineError)) return error;
  const options = sql === undefined
    ? { dataset, cause: error }
    : { dataset, sql, cause: error };
  const message = `${action}: ${error.message}`;
  switch (error.code) {
    case ResultCode.READONLY:
      return new ReadOnlyError(
        `${action}: dataset "${dataset}" is read-only`,
        options,
      );
    case ResultCode.CONSTRAINT:
      if (
        error.extendedCode === ResultCode.CONSTRAINT_UNIQUE ||
        error.extendedCode === ResultCode.CONSTRAINT_PRIMARYKEY
      ) {
        return new DuplicateModelError(message, options);
      }
      return new ModelIntegrityError(message, options);
    case ResultCode.CORRUPT:
    case ResultCode.NOTADB:
    case ResultCode.CANTOPEN:
      return new DataSetError(message, options);
    default:
      return new SQLiteError(message, options);
  }
}

/** An open dataset connection. */
export class Session {
  /** The dataset name. */
  readonly dataset: string;
  /** The engine. */
  readonly engine: Engine;
  /** The resolved path or `":memory:"`. */
  readonly path: string;
  /** Whether writes are refused. */
  readonly readOnly: boolean;
  readonly #connection: Connection;
  readonly #idle = new Map<string, Statement[]>();
  #closed = false;

  constructor(
    dataset: string,
    engine: Engine,
    connection: Connection,
    path: string,
    readOnly: boolean,
  ) {
    this.dataset = dataset;
    this.engine = engine;
    this.#connection = connection;
    this.path = path;
    this.readOnly = readOnly;
  }

  /** Whether the session was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Throws when closed: an iterator outlived its dataset's connection. */
  check(action: string): void {
    if (this.#closed) {
      throw new DataSetError(
        `${action}: dataset "${this.dataset}" was closed while the query was running`,
        { dataset: this.dataset },
      );
    }
  }

  /** Throws `ReadOnlyError` before any SQL runs on a read-only dataset. */
  assertWritable(action: string): void {
    if (this.readOnly) {
      throw new ReadOnlyError(
        `${action}: dataset "${this.dataset}" is read-only (${this.path})`,
        { dataset: this.dataset },
      );
    }
  }

  /** Takes a statement for exclusive use; give it back with `release`. */
  acquire(sql: string, action: string): Statement {
    this.check(action);
    const idle = this.#idle.get(sql);
    const cached = idle?.pop();
    if (cached !== undefined) return cached;
    try {
      return this.#connection.prepare(sql);
    } catch (error) {
      throw toPublicError(error, action, this.dataset, sql);
    }
  }

  /** Resets a statement and returns it to the cache. */
  release(statement: Statement): void {
    if (statement.finalized) return;
    if (this.#closed) return statement.finalize();
    statement.reset();
    let idle = this.#idle.get(statement.sql);
    if (idle === undefined) {
      if (this.#idle.size >= MAX_CACHED_SQL) {
        const [oldest, statements] = this.#idle.entries().next().value!;
        for (const s of statements) s.finalize();
        this.#idle.delete(oldest);
      }
      idle = [];
      this.#idle.set(statement.sql, idle);
    }
    if (idle.length < IDLE_PER_SQL) idle.push(statement);
    else statement.finalize();
  }

  /** The number of statements in the cache (for tests). */
  get cachedStatements(): number {
    let count = 0;
    for (const idle of this.#idle.values()) count += idle.length;
    return count;
  }

  /** Runs a statement to completion; returns the rows it changed. */
  run(sql: string, params: readonly SQLValue[], action: string): number {
    const statement = this.acquire(sql, action);
    try {
      statement.bind(params);
      while (statement.step());
      return this.#connection.changes();
    } catch (error) {
      throw toPublicError(error, action, this.dataset, sql);
    } finally {
      this.release(statement);
    }
  }

  /** Runs SQL text without parameters. */
  exec(sql: string, action: string): void {
    this.check(action);
    try {
      this.#connection.exec(sql);
    } catch (error) {
      throw toPublicError(error, action, this.dataset, sql);
    }
  }

  /** Answers one value of the first row, or `undefined`. */
  value(
    sql: string,
    params: readonly SQLValue[],
    action: string,
  ): SQLValue | undefined {
    const statement = this.acquire(sql, action);
    try {
      statement.bind(params);
      return statement.stepOne() ? statement.column(0) : undefined;
    } catch (error) {
      throw toPublicError(error, action, this.dataset, sql);
    } finally {
      this.release(statement);
    }
  }

  /** Whether a transaction is open. */
  inTransaction(): boolean {
    return this.#connection.inTransaction();
  }

  /** A byte image of the database. */
  serialize(): Uint8Array {
    this.check("Cannot serialize");
    return this.#connection.serialize();
  }

  /** Closes the connection; running iterators fail on their next step. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#idle.clear();
    this.#connection.close();
  }
}
