/**
 * What every query takes to be cancelled, bounded in time and observed:
 * {@linkcode RunOptions} (`signal`, `timeoutMs`, `onQuery`) and the
 * {@linkcode QueryEvent} the hook receives.
 *
 * @module
 */
import { QueryTimeoutError } from "./errors.ts";

/**
 * What `onQuery` receives once per statement: when it finished, failed, or
 * was abandoned (an iterator broken out of, a query aborted or out of
 * time).
 */
export interface QueryEvent {
  /** The dataset's name. */
  readonly dataset: string;
  /** The SQL text that ran, its values bound as parameters (not in it). */
  readonly sql: string;
  /**
   * Milliseconds from the statement's start to its end; for a stream,
   * the time it was open, the caller's work between rows included.
   */
  readonly durationMs: number;
  /** How many rows the statement returned before it ended. */
  readonly rows: number;
  /**
   * Why it ended early: the signal's reason, a `QueryTimeoutError`, or the
   * query's error. Absent when it finished or was abandoned by the caller.
   */
  readonly error?: unknown;
}

/**
 * A hook told about every statement a query runs: see
 * {@linkcode QueryEvent}. It runs synchronously; an error it throws is
 * reported as an uncaught error (with `reportError`, as a throwing event
 * listener's is) and never changes the query's outcome.
 */
export type QueryHook = (event: QueryEvent) => void;

/**
 * Options every query method takes beside its own: a signal that stops
 * it, a time budget, and a hook told about each statement it runs.
 *
 * What stops when: a query whose signal is aborted before it starts runs
 * nothing and rejects with `signal.reason` (as `fetch` does). While a
 * stream runs, its statement is released as soon as the signal aborts
 * (even between two `next()` calls), and the next `next()` rejects with
 * the reason. A budget is checked before every row; on the FFI engine a
 * SQLite progress handler also stops a single long step (a sort, a big
 * `COUNT`) within about a millisecond of the budget, while on
 * `node:sqlite`, which has no progress handler, such a step runs to its
 * end and the query stops at the next row.
 *
 * @example
 * ```ts
 * import { DataSet, integer, QueryTimeoutError, type RunOptions, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_run_options");
 * class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
 * await db.createAll();
 * const store = new Store(N);
 * await store.createMany([{}, {}]);
 * const seen: string[] = [];
 * const options: RunOptions = { timeoutMs: 1000, onQuery: (event) => seen.push(event.sql) };
 * assert.equal(await store.count({}, options), 2);
 * assert.equal(seen.length, 1);
 * const aborted = AbortSignal.abort(new Error("client went away"));
 * await assert.rejects(store.count({}, { signal: aborted }), /client went away/);
 * assert.ok(new QueryTimeoutError("x", { timeoutMs: 1 }).statusCode === 503);
 * await db.close();
 * ```
 */
export interface RunOptions {
  /**
   * Stops the query when aborted: it rejects with `signal.reason`.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * The time budget in milliseconds, from the query's first statement: past
   * it the query stops with a `QueryTimeoutError` (status 503).
   * @default {no budget}
   */
  timeoutMs?: number | undefined;
  /**
   * Told about each statement the query runs, after the dataset's own
   * `onQuery` (both run when both are set).
   * @default {undefined}
   */
  onQuery?: QueryHook | undefined;
}

/** The option names of {@linkcode RunOptions}, for option checks. */
export const RUN_OPTION_NAMES: readonly string[] = [
  "signal",
  "timeoutMs",
  "onQuery",
];

/**
 * The run of one query: its signal, budget and hook. Internal: stores and
 * sessions pass it down; a query with none of them has none (and a
 * dataset hook alone shares {@linkcode HOOK_ONLY}), so a plain query pays
 * one `undefined` check.
 * @internal
 */
export class Run {
  /** The signal, when given. */
  readonly signal: AbortSignal | undefined;
  /** The budget in milliseconds, when given. */
  readonly timeoutMs: number | undefined;
  /** The call's hook, when given. */
  readonly onQuery: QueryHook | undefined;
  /** When the budget ends (`performance.now()`); Infinity without one. */
  deadline = Infinity;

  constructor(
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    onQuery: QueryHook | undefined,
  ) {
    this.signal = signal;
    this.timeoutMs = timeoutMs;
    this.onQuery = onQuery;
  }

  /**
   * The run of a query's options, or `undefined` when they set none of
   * signal, budget and hook. Other option names are the caller's to check.
   * @param method What the options are for, for messages: `search()`.
   * @param subject What it runs on, for messages: `person`, or `""`.
   * @throws {TypeError} For a signal, budget or hook of the wrong type.
   * @throws {RangeError} For a budget that is not a positive number.
   * @throws The signal's reason when it is already aborted.
   */
  static of(
    options: unknown,
    method: string,
    subject: string,
  ): Run | undefined {
    if (options === null || typeof options !== "object") return undefined;
    const { signal, timeoutMs, onQuery } = options as Record<string, unknown>;
    if (
      signal === undefined && timeoutMs === undefined && onQuery === undefined
    ) return undefined;
    // Written only here: a query without these options builds no text.
    const what = subject === "" ? method : `${method} on ${subject}`;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(
        `Invalid option "signal" for ${what}: expected an AbortSignal, got ${
          describe(signal)
        }`,
      );
    }
    if (timeoutMs !== undefined) {
      if (typeof timeoutMs !== "number") {
        throw new TypeError(
          `Invalid option "timeoutMs" for ${what}: expected a number of milliseconds, got ${
            describe(timeoutMs)
          }`,
        );
      }
      if (!(timeoutMs > 0)) {
        throw new RangeError(
          `Invalid option "timeoutMs" for ${what}: expected a positive number of milliseconds, got ${timeoutMs}`,
        );
      }
    }
    if (onQuery !== undefined && typeof onQuery !== "function") {
      throw new TypeError(
        `Invalid option "onQuery" for ${what}: expected a function, got ${
          describe(onQuery)
        }`,
      );
    }
    signal?.throwIfAborted();
    return new Run(signal, timeoutMs, onQuery as QueryHook | undefined);
  }

  /**
   * Called before each statement: starts the budget's clock at the first,
   * and throws when the query must stop.
   */
  begin(action: string, dataset: string, sql: string): void {
    if (this.timeoutMs !== undefined && this.deadline === Infinity) {
      this.deadline = performance.now() + this.timeoutMs;
    }
    const stop = this.stopped(action, dataset, sql);
    if (stop !== undefined) throw stop;
  }

  /**
   * Why the query must stop now (the signal's reason, or a
   * `QueryTimeoutError`), or `undefined` when it may go on.
   */
  stopped(action: string, dataset: string, sql: string): unknown {
    const signal = this.signal;
    if (signal !== undefined && signal.aborted) return signal.reason;
    if (this.deadline !== Infinity && performance.now() >= this.deadline) {
      return new QueryTimeoutError(
        `${action}: the query ran past its time budget of ${this.timeoutMs} ms (timeoutMs)`,
        { dataset, sql, timeoutMs: this.timeoutMs! },
      );
    }
    return undefined;
  }

  /** Tells the hooks (the dataset's, then the call's) a statement ended. */
  report(
    datasetHook: QueryHook | undefined,
    dataset: string,
    sql: string,
    started: number,
    rows: number,
    error: unknown,
  ): void {
    const event: QueryEvent = error === undefined
      ? { dataset, sql, durationMs: performance.now() - started, rows }
      : { dataset, sql, durationMs: performance.now() - started, rows, error };
    for (const hook of [datasetHook, this.onQuery]) {
      if (hook === undefined) continue;
      try {
        hook(event);
      } catch (thrown) {
        reportError(thrown);
      }
    }
  }
}

/** The run of a query with no options on a dataset with an `onQuery`. */
export const HOOK_ONLY: Run = new Run(undefined, undefined, undefined);

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

/** Whether a tag's first argument is a template's strings. */
export function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && "raw" in value;
}

/**
 * Checks that `options` is an object naming only {@linkcode RunOptions}
 * (the form `sql(options)` takes); their values are checked by
 * {@linkcode Run.of} when the query starts.
 * @throws {TypeError} For anything else.
 */
export function checkRunOptions(options: unknown, what: string): RunOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Invalid options for ${what}: expected a template literal or an object of ${
        RUN_OPTION_NAMES.join(", ")
      }, got ${describe(options)}`,
    );
  }
  for (const name of Object.keys(options)) {
    if (!RUN_OPTION_NAMES.includes(name)) {
      throw new TypeError(
        `Invalid option ${JSON.stringify(name)} for ${what}: expected ${
          RUN_OPTION_NAMES.join(", ")
        }`,
      );
    }
  }
  return options as RunOptions;
}
