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
/**
 * How many statements may be in use before new iterators are watched for
 * being dropped unfinished (watching costs about a microsecond each).
 */
const WATCH_AFTER = 8;

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
      return new DataSetError(
        `${action}: dataset "${dataset}" is corrupt (${error.message})`,
        options,
      );
    case ResultCode.CANTOPEN:
    case ResultCode.IOERR: // e.g. the file changed while a query read it
      return new DataSetError(message, options);
    case ResultCode.ERROR: {
      // A file that does not match the models (or SQL naming what the file
      // lacks): the dataset's problem, not the query's.
      const missing = /^no such (table|column): (.+)$/.exec(error.message);
      if (missing !== null) {
        return new DataSetError(
          `${action}: dataset "${dataset}" has no ${missing[1]} ${
            JSON.stringify(missing[2])
          } (no such ${missing[1]}: the file does not match the models)`,
          options,
        );
      }
      return new SQLiteError(message, options);
    }
    default:
      return new SQLiteError(message, options);
  }
}

/** A statement held by an iterator that is watched for being dropped. */
export interface Lease {
  readonly session: Session;
  statement: Statement | undefined;
}

/**
 * Releases the statement of an iterator that was dropped (never finished,
 * never returned) once its generator is garbage-collected.
 */
const dropped = new FinalizationRegistry<Lease>((lease) => {
  const statement = lease.statement;
  lease.statement = undefined;
  if (statement !== undefined) lease.session.release(statement);
});

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
  #leased = 0;
  /** The model definitions whose table was checked against the file. */
  readonly checkedModels: Set<object> = new Set();

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
    if (cached !== undefined) {
      this.#leased++;
      return cached;
    }
    try {
      const statement = this.#connection.prepare(sql);
      this.#leased++;
      return statement;
    } catch (error) {
      throw toPublicError(error, action, this.dataset, sql);
    }
  }

  /**
   * Watches an iterator that holds `statement` between steps: should the
   * iterator be dropped unfinished, the statement is released when the
   * iterator is garbage-collected. Only done while more than a few
   * statements are in use, so ordinary queries pay nothing. Call
   * {@linkcode Session.unlease} before releasing the statement.
   * @param owner The iterator object its caller holds.
   * @returns The lease, or `undefined` when the iterator is not watched.
   */
  lease(owner: object, statement: Statement): Lease | undefined {
    if (this.#leased <= WATCH_AFTER) return undefined;
    const lease: Lease = { session: this, statement };
    dropped.register(owner, lease, lease);
    return lease;
  }

  /** Ends a lease: the iterator finished or returned. */
  unlease(lease: Lease | undefined): void {
    if (lease === undefined) return;
    lease.statement = undefined;
    dropped.unregister(lease);
  }

  /** Resets a statement and returns it to the cache. */
  release(statement: Statement): void {
    this.#leased--;
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

  /** Statements prepared and not finalized, in use or cached (for tests). */
  get liveStatements(): number {
    return this.#closed ? 0 : this.#connection.liveStatements;
  }

  /** Statements taken with `acquire` and not yet released (for tests). */
  get leasedStatements(): number {
    return this.#leased;
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

  /** Closes the connection; running iterators fail on their next step. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#idle.clear();
    this.#connection.close();
  }
}
