/**
 * One open connection of a dataset with its statement cache and error
 * mapping. Internal: datasets and stores use it; users never see it.
 *
 * @module
 */
import {
  type ColumnHint,
  type Connection,
  type Engine,
  EngineError,
  ResultCode,
  type SQLValue,
  type Statement,
} from "./_engine.ts";
import { releaseSql, rollbackSql, savepointSql } from "./_sql.ts";
import { HOOK_ONLY, type QueryHook, type Run } from "./run.ts";
import {
  DataSetError,
  DuplicateModelError,
  ModelIntegrityError,
  QueryError,
  ReadOnlyError,
  SQLiteError,
} from "./errors.ts";

/**
 * How many idle copies of one statement the cache keeps: enough for the
 * 50 concurrent requests of a busy server running the same query, which
 * otherwise prepare and finalize a statement each, every round (with 4
 * kept, 50 concurrent 20-row searches took 1.5-2x as long as the same
 * searches one after another).
 */
export const IDLE_PER_SQL = 64;
/**
 * How many idle statements the cache keeps in all, whatever their SQL: a
 * prepared statement holds about 9-10 KiB (measured on both engines for a
 * store's search), so the idle ones hold at most about 2.5 MiB.
 */
export const MAX_IDLE = 256;
/** How many distinct statements the cache keeps. */
const MAX_CACHED_SQL = 256;
/**
 * How many statements may be in use before new iterators are watched for
 * being dropped unfinished (watching costs about a microsecond each).
 */
const WATCH_AFTER = 8;

/**
 * Who wrote a statement's SQL: the library (a store query, a pragma) or the
 * caller (`dataset.sql`). A table the SQL names but the file lacks is the
 * file's fault in the first case and the caller's in the second.
 */
export type SqlOrigin = "library" | "caller";

/** Maps an engine error onto the public hierarchy. */
export function toPublicError(
  error: unknown,
  action: string,
  dataset: string,
  sql?: string,
  origin: SqlOrigin = "library",
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
    case ResultCode.MISMATCH:
    case ResultCode.RANGE:
      // A value of the wrong type for a rowid, or a parameter the caller's
      // SQL numbers out of range: the caller's mistake when theirs.
      return origin === "caller"
        ? new QueryError(
          `${message} (in the SQL given to dataset.sql)`,
          options,
        )
        : new SQLiteError(message, options);
    case ResultCode.ERROR: {
      if (origin === "caller") {
        // The caller's SQL: a syntax error or a name the file does not
        // have is the query's mistake, not the server's.
        return new QueryError(
          `${message} (in the SQL given to dataset.sql)`,
          options,
        );
      }
      // SQL the library wrote from the models names what the file lacks:
      // the dataset's problem, not the query's.
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

/**
 * The most statements one session holds at once, in use by unfinished
 * iterators or single statements. Each statement stepped and not reset
 * holds a cursor on the file, and SQLite walks the list of every open
 * cursor when it opens or closes one: an app that starts iterators and
 * drops them in a loop that never yields (so their finalizers never run)
 * would slow down quadratically, 100,000 of them taking minutes and
 * `close()` as long. A server running this many queries at once has a bug,
 * and the error says which.
 */
export const MAX_LEASED = 4096;

/** Reads the first column of the current row ({@linkcode Session.value}). */
const firstColumn = (statement: Statement): SQLValue => statement.column(0);

/** How long a stream runs before it hands control to the event loop. */
const SLICE_MS = 5;

/** A savepoint opened by {@linkcode Session.savepoint}. */
export interface Savepoint {
  /** Keeps the writes made since the savepoint opened. */
  release(): void;
  /** Undoes the writes made since the savepoint opened and closes it. */
  rollback(): void;
}

/**
 * An open dataset connection, and the one way the library runs a
 * statement: {@linkcode Session.value}, {@linkcode Session.row},
 * {@linkcode Session.all}, {@linkcode Session.run},
 * {@linkcode Session.runEach} and {@linkcode Session.returning} each take a
 * statement from the cache, bind, step, give it back, and map engine errors
 * onto the public hierarchy the same way ({@linkcode Session.fail}); `Cursor` (in `_cursor.ts`) streams rows through
 * {@linkcode Session.acquire} and {@linkcode Session.fail}; and
 * {@linkcode Session.savepoint} / {@linkcode Session.atomic} write several
 * statements as one.
 */
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
  /** The statements in {@linkcode Session.#idle}, of every SQL. */
  #idleCount = 0;
  #closed = false;
  #leased = 0;
  #savepoints = 0;
  #sliceMs = SLICE_MS;
  /**
   * The model definitions whose table was checked against the file, each
   * with the read hints its columns take on this file (see
   * `checkModelTable`).
   */
  readonly checkedModels: Map<object, readonly ColumnHint[]> = new Map();
  /**
   * Per checked model definition, whether each column is a STRICT table's
   * INTEGER or INT column, which SQLite guarantees holds integers (or
   * NULL); set with {@linkcode Session.checkedModels}, only where its STRICT
   * hints are.
   */
  readonly strictIntegers: Map<object, readonly boolean[]> = new Map();
  /**
   * What the data read through this session is, while it cannot change
   * under it: a read-only file opened immutable (its path, device, inode,
   * size and modification time) or an image of bytes (a token of its
   * own); `undefined` when it may change (writable, `immutable: false`).
   * Facts learned from such data (see `Store`'s NUL census) hold for every
   * session with the same identity.
   */
  stableData: string | undefined = undefined;
  /**
   * Whether no other connection can change the tables under this session:
   * a read-only file opened immutable, or an image of bytes. Facts about
   * the schema (`checkModelTable`'s STRICT hints) hold for the session only
   * then; with `immutable: false` another process may recreate a table.
   */
  fixedSchema = false;
  /**
   * The dataset's `onQuery` hook: told about every statement a query
   * runs through a {@linkcode Run} (see {@linkcode Session.runOf}).
   */
  onQuery: QueryHook | undefined = undefined;
  /**
   * The content hash of the file this session opened, once asked for
   * (`DataSet.contentHash`): kept here, per opened file, so it is dropped
   * when the dataset opens another one.
   */
  contentHash: Promise<string | undefined> | undefined = undefined;
  /**
   * The file's size and modification time when {@linkcode
   * Session.contentHash} was taken, for a file that may be rewritten in
   * place (`immutable: false`).
   */
  contentHashStamp: string | undefined = undefined;
  /** The device and inode of the file opened (`dev:ino`), when a file. */
  fileIdentity: string | undefined = undefined;
  /** The bytes a dataset served from bytes was opened from, as given. */
  image: Uint8Array | undefined = undefined;
  /**
   * Called when the last statement in use is released: a dataset that
   * reloaded closes its old session then (see `DataSet.reload`).
   */
  onIdle: (() => void) | undefined = undefined;

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

  /**
   * How many milliseconds a cursor on this session runs before it hands
   * control back to the event loop (5 by default).
   */
  get sliceMs(): number {
    return this.#sliceMs;
  }

  /**
   * Sets {@linkcode Session.sliceMs} for the cursors started from now on:
   * an internal setting, for benchmarks that compare a scan with and
   * without fairness (`Infinity` never yields).
   */
  setSliceMs(ms: number): void {
    if (typeof ms !== "number" || !(ms > 0)) {
      throw new RangeError(
        `Invalid slice for dataset "${this.dataset}": expected a positive number of milliseconds, got ${ms}`,
      );
    }
    this.#sliceMs = ms;
  }

  /**
   * Throws when closed: an iterator or a write outlived its dataset's
   * connection.
   * @param what What was running, for the message.
   */
  check(action: string, what = "the query"): void {
    if (this.#closed) {
      throw new DataSetError(
        `${action}: dataset "${this.dataset}" was closed while ${what} was running`,
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

  /**
   * Maps an error raised while running `sql` onto the public hierarchy: a
   * closed session says so, an engine error becomes the library's class,
   * anything else passes as it is.
   */
  fail(
    error: unknown,
    action: string,
    sql: string,
    origin: SqlOrigin = "library",
  ): unknown {
    if (this.#closed && !(error instanceof SQLiteError)) {
      try {
        this.check(action);
      } catch (closed) {
        return closed;
      }
    }
    return toPublicError(error, action, this.dataset, sql, origin);
  }

  /**
   * Takes a statement for exclusive use; give it back with `release`.
   * @throws {SQLiteError} When {@linkcode MAX_LEASED} statements are
   * already in use.
   */
  acquire(
    sql: string,
    action: string,
    origin: SqlOrigin = "library",
  ): Statement {
    this.check(action);
    if (this.#leased >= MAX_LEASED) {
      throw new SQLiteError(
        `${action}: dataset "${this.dataset}" already runs ${MAX_LEASED} queries at once; iterators started and never finished hold theirs (finish them, break out of their for await loops, or call return())`,
        { dataset: this.dataset, sql },
      );
    }
    const idle = this.#idle.get(sql);
    const cached = idle?.pop();
    if (cached !== undefined) {
      this.#idleCount--;
      this.#leased++;
      return cached;
    }
    try {
      const statement = this.#connection.prepare(sql);
      this.#leased++;
      return statement;
    } catch (error) {
      throw this.fail(error, action, sql, origin);
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
    if (--this.#leased === 0) this.onIdle?.();
    if (statement.finalized) return;
    if (this.#closed) return statement.finalize();
    statement.reset();
    let idle = this.#idle.get(statement.sql);
    if (idle === undefined) {
      if (this.#idle.size >= MAX_CACHED_SQL) {
        const [oldest, statements] = this.#idle.entries().next().value!;
        for (const s of statements) s.finalize();
        this.#idleCount -= statements.length;
        this.#idle.delete(oldest);
      }
      idle = [];
      this.#idle.set(statement.sql, idle);
    }
    if (idle.length < IDLE_PER_SQL && this.#idleCount < MAX_IDLE) {
      idle.push(statement);
      this.#idleCount++;
    } else statement.finalize();
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

  /**
   * The one statement runner: acquire, bind, `body`, release, and every
   * error mapped by {@linkcode Session.fail}.
   */
  #use<T>(
    sql: string,
    params: readonly SQLValue[],
    action: string,
    body: (statement: Statement) => T,
  ): T {
    const statement = this.acquire(sql, action);
    try {
      statement.bind(params);
      return body(statement);
    } catch (error) {
      throw this.fail(error, action, sql);
    } finally {
      this.release(statement);
    }
  }

  /**
   * The run of a query: its own, else the dataset hook's when the dataset
   * has an `onQuery`, else `undefined` (nothing to check or report).
   */
  runOf(run: Run | undefined): Run | undefined {
    return run ?? (this.onQuery === undefined ? undefined : HOOK_ONLY);
  }

  /**
   * Bounds the steps run from now on to `deadline` where the engine can
   * stop a step (see `Connection.setStepDeadline`); `Infinity` unbounds.
   */
  boundSteps(deadline: number): void {
    this.#connection.setStepDeadline?.(deadline);
  }

  /**
   * Maps an error raised while a run's statement stepped: an interrupt the
   * run's budget caused is its `QueryTimeoutError`, anything else is
   * mapped by {@linkcode Session.fail}.
   */
  failRun(
    run: Run,
    error: unknown,
    action: string,
    sql: string,
    origin: SqlOrigin = "library",
  ): unknown {
    if (
      error instanceof EngineError && error.code === ResultCode.INTERRUPT
    ) {
      const stop = run.stopped(action, this.dataset, sql);
      if (stop !== undefined) return stop;
    }
    return this.fail(error, action, sql, origin);
  }

  /**
   * {@linkcode Session.#use} for a query with a run: checks its signal and
   * budget before the statement, bounds its steps by the budget, and
   * reports it to the hooks once it ended (with `count(result)` rows).
   */
  #guarded<T>(
    sql: string,
    params: readonly SQLValue[],
    action: string,
    given: Run | undefined,
    body: (statement: Statement, run: Run) => T,
    count: (result: T) => number,
  ): T {
    const run = given ?? HOOK_ONLY;
    const timed = run.onQuery !== undefined || this.onQuery !== undefined;
    const started = timed ? performance.now() : 0;
    let rows = 0;
    let failure: unknown;
    try {
      run.begin(action, this.dataset, sql);
      const statement = this.acquire(sql, action);
      const bounded = run.deadline !== Infinity;
      try {
        statement.bind(params);
        if (bounded) this.boundSteps(run.deadline);
        const result = body(statement, run);
        rows = count(result);
        return result;
      } catch (error) {
        throw this.failRun(run, error, action, sql);
      } finally {
        if (bounded) this.boundSteps(Infinity);
        this.release(statement);
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      if (timed) {
        run.report(this.onQuery, this.dataset, sql, started, rows, failure);
      }
    }
  }

  /** Runs a statement to completion; returns the rows it changed. */
  run(sql: string, params: readonly SQLValue[], action: string): number {
    return this.#use(sql, params, action, (statement) => {
      while (statement.step());
      return this.#connection.changes();
    });
  }

  /** Runs SQL text without parameters (one or more statements). */
  exec(sql: string, action: string): void {
    this.check(action);
    try {
      this.#connection.exec(sql);
    } catch (error) {
      throw this.fail(error, action, sql);
    }
  }

  /** Answers one value of the first row, or `undefined`. */
  value(
    sql: string,
    params: readonly SQLValue[],
    action: string,
    run?: Run,
  ): SQLValue | undefined {
    return this.row(sql, params, action, firstColumn, run);
  }

  /**
   * Reads the first row of a query with `read`, or answers `undefined`;
   * the rest of the query never runs. The point-lookup path: written out
   * rather than through `#use`, which would cost a closure per call.
   */
  row<T>(
    sql: string,
    params: readonly SQLValue[],
    action: string,
    read: (statement: Statement) => T,
    run?: Run,
  ): T | undefined {
    if (run !== undefined || this.onQuery !== undefined) {
      return this.#guarded(
        sql,
        params,
        action,
        run,
        (statement) => statement.stepOne() ? read(statement) : undefined,
        (row) => row === undefined ? 0 : 1,
      );
    }
    const statement = this.acquire(sql, action);
    try {
      statement.bind(params);
      return statement.stepOne() ? read(statement) : undefined;
    } catch (error) {
      throw this.fail(error, action, sql);
    } finally {
      this.release(statement);
    }
  }

  /** Reads every row of a query with `read` (small results only). */
  all<T>(
    sql: string,
    params: readonly SQLValue[],
    action: string,
    read: (statement: Statement) => T,
    run?: Run,
  ): T[] {
    if (run !== undefined || this.onQuery !== undefined) {
      return this.#guarded(
        sql,
        params,
        action,
        run,
        (statement, guard) => {
          const rows: T[] = [];
          const bounded = guard.deadline !== Infinity;
          // One run: on an engine without a progress handler the rows are
          // then made in one call, which a budget bounds as it bounds one
          // long step (it is checked after), as callers of all() read few
          // rows (pages, nearest rows, facets).
          statement.prefetch?.();
          while (statement.step()) {
            rows.push(read(statement));
            if (bounded && performance.now() >= guard.deadline) {
              throw guard.stopped(action, this.dataset, sql);
            }
          }
          return rows;
        },
        (rows) => rows.length,
      );
    }
    return this.#use(sql, params, action, (statement) => {
      // Every row is read: one run, with no check run after it.
      statement.prefetch?.();
      const rows: T[] = [];
      while (statement.step()) rows.push(read(statement));
      return rows;
    });
  }

  /**
   * Runs one write per item, each to completion, keeping the statement
   * while consecutive items share their SQL (the connection's change count
   * is not read, which costs a query on node:sqlite). Errors name the
   * item's 0-based position: `Cannot insert t (row 3): ...`.
   * @returns How many writes ran.
   */
  runEach(
    writes: Iterable<{ sql: string; params: readonly SQLValue[] }>,
    action: string,
  ): number {
    let count = 0;
    let statement: Statement | undefined;
    try {
      for (const { sql, params } of writes) {
        const where = `${action} (row ${count})`;
        // The source may close the dataset between two items.
        this.check(where, "the write");
        if (statement?.sql !== sql) {
          const previous = statement;
          statement = undefined;
          if (previous !== undefined) this.release(previous);
          statement = this.acquire(sql, where);
        }
        try {
          statement.bind(params);
          while (statement.step());
        } catch (error) {
          throw this.fail(error, where, sql);
        }
        count++;
      }
      return count;
    } finally {
      if (statement !== undefined) this.release(statement);
    }
  }

  /**
   * Runs a write with `RETURNING` to completion and reads its first row
   * with `read`, or answers `undefined` when it returned none.
   */
  returning<T>(
    sql: string,
    params: readonly SQLValue[],
    action: string,
    read: (statement: Statement) => T,
  ): T | undefined {
    return this.#use(sql, params, action, (statement) => {
      if (!statement.step()) return undefined;
      const row = read(statement);
      while (statement.step());
      return row;
    });
  }

  /**
   * Opens a savepoint: the writes until {@linkcode Savepoint.release} or
   * {@linkcode Savepoint.rollback} commit or vanish together. Names come
   * from one counter per session, so savepoints nest and never collide.
   * Keep it open across an `await` only where nothing else writes to the
   * dataset meanwhile (a build's private file): a rollback undoes every
   * write made since it opened, whoever made it.
   */
  savepoint(action: string): Savepoint {
    const name = `microcosm_${++this.#savepoints}`;
    this.exec(savepointSql(name), action);
    let open = true;
    return {
      release: () => {
        if (!open) return;
        this.exec(releaseSql(name), action);
        open = false;
      },
      rollback: () => {
        if (!open) return;
        open = false;
        // Closing the connection already rolled the savepoint back.
        if (!this.#closed) this.exec(rollbackSql(name), action);
      },
    };
  }

  /**
   * Runs `body` in a savepoint: its writes commit together when it
   * returns, or vanish when it throws. `body` is synchronous, so no other
   * write can run while the savepoint is open, and a rollback never undoes
   * another caller's write.
   */
  atomic<T>(action: string, body: () => T): T {
    const savepoint = this.savepoint(action);
    try {
      const result = body();
      savepoint.release();
      return result;
    } catch (error) {
      savepoint.rollback();
      throw error;
    }
  }

  /**
   * The version of the file this session's statements read: it moves when
   * a file opened `immutable: false` was rewritten in place and a
   * statement then started on the new bytes (see `FileWatch`).
   */
  get generation(): number {
    return this.#connection.generation;
  }

  /**
   * The error of a call that runs several statements when the file
   * changed in place between them ({@linkcode Session.generation} moved):
   * one call never answers from two versions of a file.
   */
  changed(action: string): DataSetError {
    return new DataSetError(
      `${action}: the file changed between the statements of one call (a file that may change must be replaced by rename, not rewritten in place); the next call reads the new version: ${this.path}`,
      { dataset: this.dataset },
    );
  }

  /** Closes the connection; running iterators fail on their next step. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#idle.clear();
    this.#idleCount = 0;
    this.#connection.close();
  }
}
