/**
 * The one internal interface between a `Store` and the modules that hold
 * its query methods by concern (`_store_facets.ts`, `_store_pages.ts`,
 * `_store_text.ts`, `_store_geo.ts`, `_store_select.ts`).
 *
 * `Store` keeps its state in `#private` fields, so that a subclass or a
 * caller cannot reach it; those modules still need part of it (the
 * checked session, the filter compiler, the row reader, the NUL flag
 * decision...). Rather than making the fields public, a store hands each
 * of them one {@linkcode StoreCore}: an object made once per store, on the
 * first call of such a method, whose members forward to the private ones.
 * The hot read paths (`Store.search()`, `Store.retrieve()`, the row
 * builder) do not go through it. The module holds types alone, so
 * importing it loads nothing at run time; the two small rules the store
 * and its modules share (`fewRows`, `orderCacheKey`) are in `_rules.ts`.
 *
 * @module
 */
import type { ColumnHint, SQLValue, Statement } from "./_engine.ts";
import type { Same } from "./_kinds.ts";
import type { Session } from "./_session.ts";
import type { PagePlan } from "./_store_pages.ts";
import type { Column } from "./columns.ts";
import type { Condition } from "./filter.ts";
import type { AnyModel, ModelDefinition } from "./model.ts";
import type { Run, RunOptions } from "./run.ts";

/** Reads one stored value as its kind (or `INVALID`). */
export type Decoder = (value: SQLValue) => unknown;

/**
 * What every store of one model shares, derived once per model definition
 * (not per `new Store()`): how to read each column, and the SQL of the
 * queries that depend on the model alone.
 */
export interface Plan {
  readonly decoders: readonly Decoder[];
  readonly hints: readonly ColumnHint[];
  /** Per column: which stored values its kind reads as they are. */
  readonly same: readonly Same[];
  /** Per column: whether the model declares it nullable. */
  readonly nullable: readonly boolean[];
  /** The quoted SQL columns of every property, in declaration order. */
  readonly columnList: string;
  /** The primary key lookup; `undefined` without a primary key. */
  readonly lookupSql: string | undefined;
  /**
   * The columns whose kind stores text (TEXT or ANY), by index: on an
   * engine that reads text only up to a NUL, reads add one result column
   * naming the first of them that holds one (`nulFlagSql`).
   */
  readonly textColumns: readonly number[];
  /** {@linkcode Plan.columnList} and that flag; `undefined` without text. */
  readonly flaggedColumnList: string | undefined;
  /** {@linkcode Plan.lookupSql} with that flag. */
  readonly flaggedLookupSql: string | undefined;
  /** Whether the table holds such text at all; `undefined` without text. */
  readonly censusSql: string | undefined;
  /** Inserts by the set of properties given, with or without RETURNING. */
  readonly insertSql: Map<string, string>;
}

/**
 * The query of a search (`Store.search()`'s filter and options, and one
 * more condition where given): its SQL, a function of the column list
 * (with the NUL flag or without) and of the session (whose data may make
 * the default order rowid order), and its values.
 */
export interface SelectQuery {
  readonly sql: (columnList: string, session: Session) => string;
  readonly params: SQLValue[];
}

/**
 * A store's internals, as its concern modules use them. `I` is the type of
 * the model's instances. Each member forwards to the store's private
 * member of the same name (`session()` to `Store.#session()`...).
 */
export interface StoreCore<I = unknown> {
  /** The model class. */
  readonly model: AnyModel;
  /** The model's definition. */
  readonly definition: ModelDefinition;
  /** The model's plan. */
  readonly plan: Plan;
  /** The store's page plans, by order (see `_store_pages.ts`). */
  readonly pagePlans: Map<string, PagePlan>;
  /** The read hints the current file's schema check chose, per column. */
  hints(): readonly ColumnHint[];
  /** The dataset's session, its file checked for the model's table. */
  session(): Session | Promise<Session>;
  /** The `WHERE` of a filter (the store's filter hook included). */
  where(filter: unknown): Condition;
  /** The query of `search(filter, options)`, with one more condition. */
  select(filter: unknown, options: unknown, extra?: Condition): SelectQuery;
  /** The order hook (`Store.orderKeys()`). */
  orderKeys(orderBy: unknown): readonly string[];
  /** Whether the default order is rowid order on `session`. */
  rowidDefault(session: Session): boolean;
  /** Whether reads on `session` carry the NUL flag (decided per session). */
  flags(session: Session): boolean;
  /**
   * A row as an instance, the NUL flag read as the last decision of
   * {@linkcode StoreCore.flags}.
   */
  readonly read: (statement: Statement) => I;
  /**
   * A row as an instance, the NUL flag read as `flagged` says (the
   * decision of the session the statement runs on).
   */
  readFlagged(statement: Statement, flagged: boolean): I;
  /** A row of a caller's SQL as an instance (no NUL flag, no shortcuts). */
  readLoose(statement: Statement): I;
  /** Refuses a text column among `columns` holding a NUL (see `#flags`). */
  refuseNulAmong(
    session: Session,
    columns: readonly Column<unknown>[],
    filter: unknown,
    action: string,
  ): void;
  /** The column of a property named by a method's argument. */
  columnOf(key: unknown, action: string): Column<unknown>;
  /** Refuses options other than `allowed`. */
  options(options: unknown, allowed: readonly string[], method: string): void;
  /** The run of a method's checked `RunOptions`, or `undefined`. */
  run(options: RunOptions | undefined, method: string): Run | undefined;
  /** A stored value of a column as its kind reads it (NULL as null). */
  decodeValue(
    column: Column<unknown>,
    value: SQLValue,
    action: string,
  ): unknown;
}
