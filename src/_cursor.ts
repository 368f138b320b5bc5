/**
 * The async generator that streams query rows. A plain class rather than an
 * `async function*`: it costs less than half as much per row, which matters
 * at a million rows, and keeps every rule of the stream in one place.
 *
 * @module
 */
import {
  EngineError,
  ResultCode,
  type SQLValue,
  type Statement,
} from "./_engine.ts";
import type { Lease, Session, SqlOrigin } from "./_session.ts";
import type { Run } from "./run.ts";
import { parameterCount } from "./_rules.ts";

const DONE: IteratorReturnResult<void> = Object.freeze({
  value: undefined,
  done: true,
});

/**
 * Resolves after a macrotask, so timers and I/O get their turn. Not
 * `setTimeout(0)`: a chain of those is clamped to 4 ms each, which would
 * cost a third of a scan; `setImmediate` costs microseconds and still lets
 * due timers run first.
 */
function macrotask(): Promise<void> {
  // The global, read on first use: importing `node:timers` would load
  // Deno's Node layer at import time (see `_paths.ts`).
  return new Promise((resolve) => setImmediate(resolve));
}

/** Per prepared statement of the caller's SQL, its parameter count. */
const counts = new WeakMap<object, number>();

/**
 * The engine error of the caller's SQL whose parameters are not the values
 * given: an unfilled `?` (or `:name`, `@name`, `$name`) typed into the
 * text, which the session maps to a `QueryError` on both engines.
 * @param statement The prepared statement (its count is kept with it).
 * @param given How many values the template interpolated.
 * @returns `undefined` when the counts agree.
 */
function parameterMismatch(
  statement: { readonly sql: string },
  given: number,
): EngineError | undefined {
  let count = counts.get(statement);
  if (count === undefined) {
    count = parameterCount(statement.sql);
    counts.set(statement, count);
  }
  if (count === given) return undefined;
  return new EngineError(
    `the SQL has ${count} parameter${
      count === 1 ? "" : "s"
    } and ${given} value${
      given === 1 ? " was" : "s were"
    } interpolated: write each value as \${value} in the template; a ?, ?NNN, :name, @name or $name in the text is never filled`,
    ResultCode.RANGE,
  );
}

/** Where a cursor gets its rows. */
export interface CursorSource<T> {
  /** The dataset's session, or a promise of it. */
  readonly session: () => Session | Promise<Session>;
  /** The SQL. */
  /**
   * The SQL, or how to write it for the session's engine (a reader whose
   * SQL depends on `Engine.readsTextWhole`).
   */
  readonly sql: string | ((session: Session) => string);
  /** The parameters. */
  readonly params: readonly SQLValue[];
  /** What failed, for messages: `Cannot search person`. */
  readonly action: string;
  /** Builds one row from the current step. */
  readonly read: (statement: Statement) => T;
  /**
   * Who wrote the SQL: the caller's mistakes are `QueryError`s.
   * @default {"library"}
   */
  readonly origin?: SqlOrigin;
  /**
   * The query's signal, budget and hook (`RunOptions`), when it has any.
   * @default {undefined}
   */
  readonly run?: Run | undefined;
  /**
   * Whether the query returns few rows (a small `LIMIT`), so the engine
   * may fetch them all at its first step (`Statement.prefetch`): on
   * node:sqlite, one run that throws instead of a stream and a second run
   * to catch an error `iterate()` ended on silently.
   * @default {false}
   */
  readonly few?: boolean;
  /**
   * Called once the statement took its first step, so it reads the version
   * of the file it will read to the end: a call that ran statements of its
   * own before (`within()`'s range check) throws here when they read
   * another version (see `Session.generation`).
   * @default {undefined}
   */
  readonly begun?: ((session: Session) => void) | undefined;
}

/**
 * Streams the rows of one statement: steps on each `next()`, hands control
 * to the event loop every few milliseconds, and resets the statement into
 * the cache when done, broken out of (`return()`), or failed.
 */
export class Cursor<T> implements AsyncGenerator<T, void, undefined> {
  #source: CursorSource<T> | undefined;
  readonly #read: ((statement: Statement) => T) | undefined;
  #error: unknown;
  #session: Session | undefined;
  #sql = "";
  #statement: Statement | undefined;
  #lease: Lease | undefined;
  #done = false;
  #count = 0;
  #deadline = 0;
  #sliceMs = 0;
  /** The run (signal, budget, hooks), when the query or dataset has one. */
  #run: Run | undefined;
  /** When the statement started, for the hooks (0 when not timed). */
  #started = 0;
  /** Why the stream stopped between two `next()` calls (an abort). */
  #stop: unknown;
  #onAbort: (() => void) | undefined;

  /**
   * @param source Where the rows come from.
   * @param error An error to reject the first `next()` with instead (bad
   * arguments found before any SQL runs).
   */
  constructor(source: CursorSource<T> | undefined, error?: unknown) {
    this.#source = source;
    this.#read = source?.read;
    this.#error = error;
  }

  /** Steps to the next row. */
  next(): Promise<IteratorResult<T, void>> {
    const statement = this.#statement;
    if (statement === undefined) return this.#start();
    if (this.#run !== undefined) return this.#nextRun(statement, this.#run);
    try {
      // Closing the session finalizes the statement, so a cursor that
      // outlives it fails in step(); #fail words that error.
      if (!statement.step()) {
        this.#finish();
        return Promise.resolve(DONE);
      }
      return this.#deliver(this.#read!(statement));
    } catch (error) {
      return Promise.reject(this.#fail(error));
    }
  }

  /**
   * Hands out a row, after a macrotask when the time slice has run out
   * (checked every 64 rows), so a long read lets the event loop run.
   */
  #deliver(value: T): Promise<IteratorResult<T, void>> {
    if ((++this.#count & 63) === 0 && performance.now() >= this.#deadline) {
      return macrotask().then(() => {
        this.#deadline = performance.now() + this.#sliceMs;
        return { value, done: false };
      });
    }
    return Promise.resolve({ value, done: false });
  }

  /**
   * {@linkcode Cursor.next} for a query with a run: stops when its signal
   * aborted or its budget ran out, and bounds the step by the budget.
   */
  #nextRun(
    statement: Statement,
    run: Run,
  ): Promise<IteratorResult<T, void>> {
    const session = this.#session!;
    const bounded = run.deadline !== Infinity;
    try {
      const stop = run.stopped(
        this.#source!.action,
        session.dataset,
        this.#sql,
      );
      if (stop !== undefined) throw stop;
      let more: boolean;
      if (bounded) {
        session.boundSteps(run.deadline);
        try {
          more = statement.step();
        } finally {
          session.boundSteps(Infinity);
        }
      } else more = statement.step();
      if (!more) {
        this.#finish();
        return Promise.resolve(DONE);
      }
      return this.#deliver(this.#read!(statement));
    } catch (error) {
      return Promise.reject(this.#fail(error));
    }
  }

  async #start(): Promise<IteratorResult<T, void>> {
    if (this.#done) {
      // Aborted between two next() calls: the statement is released
      // already; this call rejects with the reason, later ones are done.
      const stop = this.#stop;
      if (stop === undefined) return DONE;
      this.#stop = undefined;
      throw stop;
    }
    const source = this.#source;
    if (source === undefined || this.#error !== undefined) {
      this.#done = true;
      throw this.#error;
    }
    let session: Session;
    try {
      session = await source.session();
      if (this.#done) return DONE;
      this.#sliceMs = session.sliceMs;
      const run = session.runOf(source.run);
      if (run !== undefined) {
        this.#run = run;
        if (run.onQuery !== undefined || session.onQuery !== undefined) {
          this.#started = performance.now();
        }
        // Before the SQL is written: writing it may prepare statements.
        run.begin(
          source.action,
          session.dataset,
          typeof source.sql === "string" ? source.sql : "",
        );
      }
      this.#sql = typeof source.sql === "string"
        ? source.sql
        : source.sql(session);
      this.#statement = session.acquire(
        this.#sql,
        source.action,
        source.origin,
      );
    } catch (error) {
      // Failed before a row: done, as a generator that threw.
      this.#done = true;
      if (this.#started !== 0) {
        // Stopped, or the SQL did not compile: the hooks hear of it, with
        // the SQL an error names when it failed before the SQL was written
        // (node:sqlite's NUL check prepares the caller's SQL first).
        const named = (error as { sql?: unknown } | null)?.sql;
        this.#run!.report(
          session!.onQuery,
          session!.dataset,
          this.#sql !== ""
            ? this.#sql
            : typeof named === "string"
            ? named
            : typeof source.sql === "string"
            ? source.sql
            : "",
          this.#started,
          0,
          error,
        );
      }
      throw error;
    }
    this.#session = session;
    // A cursor dropped unfinished gives its statement back when collected.
    this.#lease = session.lease(this, this.#statement);
    const signal = this.#run?.signal;
    if (signal !== undefined) {
      // Released as soon as the signal aborts, even while nobody steps.
      this.#onAbort = () => {
        if (this.#statement === undefined) return;
        this.#stop = signal.reason;
        this.#finish(signal.reason);
      };
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    try {
      if (source.origin === "caller") {
        // The caller's SQL: the same count check on both engines.
        const mismatch = parameterMismatch(
          this.#statement,
          source.params.length,
        );
        if (mismatch !== undefined) throw mismatch;
      }
      this.#statement.bind(source.params);
      if (source.few) this.#statement.prefetch?.();
    } catch (error) {
      throw this.#fail(error);
    }
    this.#deadline = performance.now() + this.#sliceMs;
    const begun = source.begun;
    if (begun === undefined) return this.next();
    return this.next().then((result) => {
      try {
        begun(session);
      } catch (error) {
        this.#finish(error);
        throw error;
      }
      return result;
    });
  }

  #fail(error: unknown): unknown {
    const source = this.#source!;
    const session = this.#session!;
    const run = this.#run;
    const failure = run === undefined
      ? session.fail(error, source.action, this.#sql, source.origin)
      : session.failRun(run, error, source.action, this.#sql, source.origin);
    this.#finish(failure);
    return failure;
  }

  /**
   * Releases the statement; with a run, also stops listening to its signal
   * and tells the hooks how the statement ended (`error`, or none).
   */
  #finish(error?: unknown): void {
    this.#done = true;
    const statement = this.#statement;
    if (statement !== undefined) {
      this.#statement = undefined;
      this.#session!.unlease(this.#lease);
      this.#lease = undefined;
      this.#session!.release(statement);
      const run = this.#run;
      if (run !== undefined) this.#ended(run, error);
    }
  }

  #ended(run: Run, error: unknown): void {
    const session = this.#session!;
    if (this.#onAbort !== undefined) {
      run.signal!.removeEventListener("abort", this.#onAbort);
      this.#onAbort = undefined;
    }
    if (this.#started !== 0) {
      run.report(
        session.onQuery,
        session.dataset,
        this.#sql,
        this.#started,
        this.#count,
        error,
      );
    }
  }

  /** Stops early and releases the statement. */
  return(): Promise<IteratorResult<T, void>> {
    this.#finish();
    return Promise.resolve(DONE);
  }

  /** Stops with an error and releases the statement. */
  throw(error: unknown): Promise<IteratorResult<T, void>> {
    this.#finish();
    return Promise.reject(error);
  }

  /** Releases the statement at the end of an `await using` scope. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#finish();
    return Promise.resolve();
  }

  /** The cursor itself. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** `"AsyncGenerator"`, as for generator objects. */
  get [Symbol.toStringTag](): string {
    return "AsyncGenerator";
  }
}
