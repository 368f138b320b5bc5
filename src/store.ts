/**
 * Stores: the query and persistence operations of one model.
 *
 * @module
 */
import { ColumnHint, type SQLValue, type Statement } from "./_engine.ts";
import {
  comparedInOrder,
  hasOrderForms,
  INVALID,
  kindOf,
  Same,
} from "./_kinds.ts";
import {
  type InstanceRead,
  instanceReader,
  loopInstanceReader,
} from "./_row_builder.ts";
import type { Session } from "./_session.ts";
import {
  andWhereSql,
  columnListSql,
  countSql,
  deleteSql,
  existsSql,
  insertSql,
  lookupSql,
  nulAmongSql,
  nulCensusSql,
  nulFlagSql,
  orderBySql,
  type OrderTerm,
  quote,
  ROWID,
  ROWID_ORDER,
  ROWID_ORDER_SQL,
  selectSql,
  whereSql,
} from "./_sql.ts";
import { SQLFragment } from "./fragment.ts";
import type { Decoder, Plan, StoreCore } from "./_store_core.ts";
import type { SQLParameter } from "./dataset.ts";
import { type Column, encodeValue } from "./columns.ts";
import { cursor, later, SESSION } from "./dataset.ts";
import { recordedNulText } from "./metadata.ts";
import { checkCount, fewRows, isIterable, orderCacheKey } from "./_rules.ts";
import {
  checkRunOptions,
  isTemplate,
  Run,
  RUN_OPTION_NAMES,
  type RunOptions,
} from "./run.ts";
import { checkModelTable } from "./_schema.ts";
import {
  DataSetError,
  ModelNotFoundError,
  MultipleModelsFoundError,
} from "./errors.ts";
import {
  columnCondition,
  type Condition,
  type FilterOf,
  MAX_LIST,
  or,
} from "./filter.ts";
import type { Matched, MatchOptions } from "./match.ts";
import {
  type AnyModel,
  type Insert,
  type ModelDefinition,
  type OrderKey,
  parseOrderKey,
  type Row,
  type ValueOf,
} from "./model.ts";

/** A filter on a model: property names to values or operators. */
export type Filter<M extends AnyModel> = FilterOf<M["columns"]>;

/** The order of a search: property names, `-` first for descending. */
export type OrderBy<M extends AnyModel> =
  | OrderKey<keyof Row<M> & string>
  | readonly OrderKey<keyof Row<M> & string>[];

/**
 * The property names of a model's primary key (declared with
 * `primaryKey: true`); `never` when the table uses its rowid.
 */
export type PrimaryKeyNames<M extends AnyModel> =
  & {
    [K in keyof M["columns"]]: M["columns"][K] extends
      Column<unknown, boolean, boolean, true> ? K : never;
  }[keyof M["columns"]]
  & string;

/**
 * The key `Store.retrieve()` takes, typed from the model's primary key: for
 * a one-column key its value or an object holding it (a row will do); for
 * a composite key an object with every key property; `never` for a model
 * without a primary key. Code generic over any model (`Store<AnyModel>`),
 * whose key is unknown, takes any SQL value or an object of them.
 */
export type PrimaryKey<M extends AnyModel> = string extends keyof M["columns"]
  ? SQLValue | boolean | Record<string, unknown>
  : [PrimaryKeyNames<M>] extends [never] ? never
  : [
    {
      [K in PrimaryKeyNames<M>]: Exclude<PrimaryKeyNames<M>, K>;
    }[PrimaryKeyNames<M>],
  ] extends [never] // One key property: nothing is left once it is taken.
    ?
      | NonNullable<ValueOf<M["columns"][PrimaryKeyNames<M>]>>
      | {
        [K in PrimaryKeyNames<M>]: NonNullable<ValueOf<M["columns"][K]>>;
      }
  : { [K in PrimaryKeyNames<M>]: NonNullable<ValueOf<M["columns"][K]>> };

/** Options of `Store.search()`, with a signal, budget and hook. */
export interface SearchOptions<M extends AnyModel> extends RunOptions {
  /**
   * The most rows to return.
   * @default {no limit}
   */
  limit?: number;
  /**
   * How many rows to skip.
   * @default {0}
   */
  offset?: number;
  /**
   * The order; the primary key always breaks ties.
   * @default {the model's orderBy, else the primary key; on a read-only
   * file opened immutable, a table with a composite primary key reads in
   * rowid order, as stored, which may differ between two builds of the
   * file}
   */
  orderBy?: OrderBy<M>;
}

/** Options of `Store.countBy()`, with a signal, budget and hook. */
export interface CountByOptions extends RunOptions {
  /**
   * The most values to return (the most frequent ones).
   * @default {no limit}
   */
  limit?: number;
}

/** One value of a property and how many rows hold it (`Store.countBy()`). */
export interface ValueCount<V> {
  /** The value, typed as the model declares it. */
  value: V;
  /** How many rows hold it. */
  count: number;
}

/** The property names of a model whose values are numbers or bigints. */
export type NumericKeys<M extends AnyModel> =
  & {
    [K in keyof Row<M>]: NonNullable<Row<M>[K]> extends number | bigint ? K
      : never;
  }[keyof Row<M>]
  & string;

/** Options of `Store.page()`, with a signal, budget and hook. */
export interface PageOptions<M extends AnyModel> extends RunOptions {
  /**
   * The most rows in the page.
   * @default {100}
   */
  limit?: number;
  /**
   * The order; the primary key (else the rowid) always breaks ties.
   * @default {the model's orderBy, else the primary key; rowid order on a
   * read-only file opened immutable for a table with a composite primary
   * key, as for `search()`}
   */
  orderBy?: OrderBy<M>;
  /**
   * The `next` token of the page before; none for the first page.
   * @default {undefined}
   */
  after?: string | undefined;
}

/** A page of rows and the token of the next one (`Store.page()`). */
export interface Page<T> {
  /** The rows, in order. */
  rows: T[];
  /** The token of the next page; `undefined` after the last page. */
  next: string | undefined;
}

/**
 * A box of latitudes and longitudes in degrees, for `Store.within()`. A box
 * whose `west` is greater than its `east` crosses the antimeridian: `{
 * west: 170, east: -170 }` spans the 20 degrees either side of ±180.
 */
export interface GeoBox {
  /** The southern edge, -90 to 90. */
  readonly south: number;
  /** The western edge, -180 to 180. */
  readonly west: number;
  /** The northern edge, -90 to 90, at least `south`. */
  readonly north: number;
  /** The eastern edge, -180 to 180. */
  readonly east: number;
}

/** A point in degrees, for `Store.nearest()`. */
export interface GeoPoint {
  /** The latitude, -90 to 90. */
  readonly lat: number;
  /** The longitude, -180 to 180. */
  readonly lon: number;
}

/** Options of `Store.nearest()`, with a signal, budget and hook. */
export interface NearestOptions<
  M extends AnyModel,
  X extends object = Record<never, never>,
> extends RunOptions {
  /**
   * The most rows to return (at most 32,000).
   * @default {10}
   */
  limit?: number;
  /**
   * The greatest distance in kilometres; rows farther away are left out.
   * @default {Infinity}
   */
  maxKm?: number;
  /**
   * The ordinary filter the rows must also match.
   * @default {undefined}
   */
  filter?: Filter<M> & X;
}

/**
 * One result of `Store.nearest()`: the row (an instance of the model, as
 * `search()` yields) beside its great-circle distance from the searched
 * point. The distance is kept beside the row, not set on it, so it can never
 * collide with a property of the model.
 */
export interface Nearby<M extends AnyModel> {
  /** The row. */
  readonly row: Instance<M>;
  /**
   * The great-circle distance in kilometres, by the haversine formula on a
   * sphere of radius 6371.0088 km (the mean Earth radius).
   */
  readonly distanceKm: number;
}

/** The rows a store yields: instances of its model class. */
export type Instance<M extends AnyModel> = InstanceType<M>;

const plans = new WeakMap<ModelDefinition, Plan>();

/**
 * The rows a store builds with a loop before it generates its row builder
 * (cold start: a first `retrieve()` generates no code). Few enough that a
 * scan runs on the generated builder.
 */
const LOOP_ROWS = 8;

/**
 * Per stable data (`Session.stableData`) and census query: whether the
 * table holds text with a NUL (see `Store.#holdsNulText`).
 */
const nulCensus = new Map<string, boolean>();
function planFor(definition: ModelDefinition): Plan {
  let plan = plans.get(definition);
  if (plan !== undefined) return plan;
  const { table, keys, columns, primaryKey } = definition;
  const sqlName = (key: string) => columns[key]!.bound.name;
  const columnList = columnListSql(keys.map(sqlName));
  const kinds = keys.map((key) => kindOf(columns[key]!));
  const textColumns = kinds.flatMap((kind, i) =>
    kind.sqlType === "TEXT" || kind.sqlType === "ANY" ? [i] : []
  );
  const flaggedColumnList = textColumns.length === 0
    ? undefined
    : `${columnList}, ${
      nulFlagSql(textColumns.map((i) => quote(sqlName(keys[i]!))))
    }`;
  plan = {
    decoders: kinds.map((kind) => kind.decode),
    hints: kinds.map((kind) => kind.hint),
    same: kinds.map((kind) => kind.same),
    nullable: keys.map((key) => columns[key]!.nullable),
    columnList,
    lookupSql: primaryKey.length === 0
      ? undefined
      : lookupSql(table, columnList, primaryKey.map(sqlName)),
    textColumns,
    censusSql: textColumns.length === 0 ? undefined : nulCensusSql(
      table,
      textColumns.map((i) => quote(sqlName(keys[i]!))),
    ),
    flaggedColumnList,
    flaggedLookupSql: primaryKey.length === 0 || flaggedColumnList === undefined
      ? undefined
      : lookupSql(table, flaggedColumnList, primaryKey.map(sqlName)),
    insertSql: new Map(),
  };
  plans.set(definition, plan);
  return plan;
}

/**
 * The query and persistence operations of one model. Reads come through
 * async generators or promises; nothing loads a whole table unless the
 * caller collects it.
 *
 * Subclasses extend filtering through {@linkcode Store.filterCondition} and
 * ordering through {@linkcode Store.orderKeys}; the second type parameter
 * types their extra filter keys.
 *
 * @example Query a model
 * ```ts
 * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_store");
 * class Person extends db.Model("person", {
 *   id: integer({ primaryKey: true }),
 *   last: text(),
 *   born: integer({ nullable: true }),
 * }) {}
 * await db.createAll();
 * const store = new Store(Person);
 * await store.createMany([
 *   { last: "Washington", born: 1732 },
 *   { last: "Adams", born: 1735 },
 *   { last: "Washington", born: null },
 * ]);
 * const found = await Array.fromAsync(store.search({ last: "Washington" }, { orderBy: "-id" }));
 * assert.deepEqual(found.map((p) => p.id), [3, 1]);
 * assert.equal(await store.count({ born: { gte: 1733 } }), 1);
 * await db.close();
 * ```
 *
 * @example A custom filter key
 * ```ts
 * import { type Condition, DataSet, integer, Store, text } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_store_hook");
 * class Person extends db.Model("person", {
 *   id: integer({ primaryKey: true }),
 *   first: text(),
 * }) {}
 *
 * class PersonStore extends Store<typeof Person, { excludeFirst?: string }> {
 *   constructor() {
 *     super(Person);
 *   }
 *   protected override filterCondition(key: string, value: unknown): Condition {
 *     if (key === "excludeFirst") {
 *       return { sql: `${this.sqlColumn("first")} <> ?`, params: [String(value)] };
 *     }
 *     return super.filterCondition(key, value);
 *   }
 * }
 * await db.createAll();
 * const store = new PersonStore();
 * await store.createMany([{ first: "Ada" }, { first: "Bob" }]);
 * const rows = await Array.fromAsync(store.search({ excludeFirst: "Ada" }));
 * assert.deepEqual(rows.map((p) => p.first), ["Bob"]);
 * await db.close();
 * ```
 */
export class Store<
  M extends AnyModel,
  X extends object = Record<never, never>,
> {
  /** The model this store queries. */
  readonly model: M;
  readonly #definition: ModelDefinition;
  readonly #plan: Plan;
  readonly #keys: readonly string[];
  readonly #decoders: readonly Decoder[];
  readonly #nullable: readonly boolean[];
  readonly #same: readonly Same[];
  /**
   * The read hints on the dataset's current file, set at each query's
   * schema check (a dataset has one session at a time, and closing it ends
   * every query on it).
   */
  #hints: readonly ColumnHint[];
  /**
   * Whether reads carry the NUL flag column: the dataset's engine reads
   * text only up to a NUL and the model has text columns. Set with
   * {@linkcode Store.#hints}.
   */
  #flagged = false;
  /** The session {@linkcode Store.#flagged} was decided for. */
  #flaggedFor: Session | undefined;
  /** Whether the default order is rowid order (see `#rowidDefault`). */
  #rowidOrder = false;
  /** The session {@linkcode Store.#rowidOrder} was decided for. */
  #rowidOrderFor: Session | undefined;
  readonly #reader = (statement: Statement): Instance<M> =>
    this.#read(statement);
  readonly #retrieveAction: string;
  /**
   * Reads a row as an instance with a loop, for the store's first
   * {@linkcode LOOP_ROWS} rows (see {@linkcode loopInstanceReader}).
   */
  #loopRead: InstanceRead;
  /** Rows still to build with the loop; 0 once the reader is generated. */
  #loopRows = LOOP_ROWS;
  /**
   * Reads a row as an instance after the first {@linkcode LOOP_ROWS}: code
   * generated for this store (see {@linkcode instanceReader}).
   */
  #instanceRead: InstanceRead | undefined;
  readonly #cellReader = (statement: Statement, i: number): unknown =>
    this.#cell(statement, i);
  readonly #nulRefuser = (statement: Statement): never =>
    this.#refuseNul(statement);
  /** The `ORDER BY` of each order searched, by its keys. */
  readonly #orders = new Map<string, string>();
  /** Per order, whether a term of it sorts by a comparison form. */
  readonly #comparedOrders = new Map<string, boolean>();
  /** Whether `_datetime_order.ts` is loaded, or the model needs none. */
  #ordersReady = false;
  /** The internals handed to the concern modules; see {@linkcode Store.#core}. */
  #coreObject: StoreCore<Instance<M>> | undefined;

  /**
   * Creates a store.
   * @param model The model class (or a subclass of it).
   */
  constructor(model: M) {
    if (
      typeof model !== "function" || !("definition" in model) ||
      model.definition === undefined
    ) {
      throw new TypeError(
        "Cannot create store: expected a model class declared with dataset.Model()",
      );
    }
    this.model = model;
    this.#definition = model.definition;
    this.#plan = planFor(this.#definition);
    this.#keys = this.#definition.keys;
    this.#decoders = this.#plan.decoders;
    this.#hints = this.#plan.hints;
    this.#same = this.#plan.same;
    this.#nullable = this.#plan.nullable;
    this.#retrieveAction = `Cannot retrieve ${this.#definition.table}`;
    this.#loopRead = loopInstanceReader(
      this.model as unknown as new () => object,
      this.#keys,
      this.#cellReader,
      this.#nulRefuser,
    );
  }

  /**
   * The store's internals for the modules that hold its methods by concern
   * (`_store_core.ts`): made on first use, once per store, so a method
   * that delegates pays a field read per call and allocates nothing. The
   * hot read paths (`search()`, `retrieve()`, the row builder) do not use
   * it.
   */
  get #core(): StoreCore<Instance<M>> {
    return this.#coreObject ??= {
      model: this.model,
      definition: this.#definition,
      plan: this.#plan,
      pagePlans: new Map(),
      hints: () => this.#hints,
      session: () => this.#session(),
      where: (filter) => this.#where(filter),
      select: (filter, options, extra) =>
        this.#select(filter, options as SearchOptions<M> | undefined, extra),
      orderKeys: (orderBy) => this.orderKeys(orderBy as OrderBy<M> | undefined),
      rowidDefault: (session) => this.#rowidDefault(session),
      flags: (session) => this.#flags(session),
      read: this.#reader,
      readFlagged: (statement, flagged) => this.#read(statement, flagged),
      readLoose: (statement) => this.#readLoose(statement),
      refuseNulAmong: (session, columns, filter, action) =>
        this.#refuseNulAmong(session, columns, filter, action),
      columnOf: (key, action) => this.#columnOf(key, action),
      options: (options, allowed, method) =>
        this.#options(options, allowed, method),
      run: (options, method) => this.#run(options, method),
      decodeValue: (column, value, action) =>
        this.#decodeValue(column, value, action),
    };
  }

  /**
   * The quoted SQL name of a property's column, for filter hooks.
   * @param key A property name of the model.
   * @returns The quoted column name.
   */
  protected sqlColumn(key: string): string {
    const column = this.#definition.columns[key];
    if (column === undefined) this.#unknownKey(key, "property");
    return quote(column.bound.name);
  }

  #unknownKey(key: string, what: string): never {
    throw new TypeError(
      `Invalid ${what} ${
        JSON.stringify(key)
      } for ${this.#definition.table}: expected one of ${
        this.#keys.join(", ")
      }`,
    );
  }

  /**
   * The filter hook: compiles one filter entry. The base implementation
   * handles the model's properties and throws `TypeError` for any other
   * key; override it to add keys and call `super` for the rest.
   * @param key The filter key.
   * @param value Its value.
   * @returns The condition.
   */
  protected filterCondition(key: string, value: unknown): Condition {
    const column = Object.hasOwn(this.#definition.columns, key)
      ? this.#definition.columns[key]
      : undefined;
    if (column === undefined) this.#unknownKey(key, "filter key");
    return columnCondition(column, value);
  }

  /**
   * The order hook: the order keys (property names, `-` first for
   * descending) a search uses. The base implementation takes the option,
   * else the model's `orderBy`, else none: the default order, the primary
   * key (rowid order on a read-only file opened immutable for a composite
   * primary key).
   * @param orderBy The `orderBy` option as given.
   * @returns The order keys.
   */
  protected orderKeys(orderBy: OrderBy<M> | undefined): readonly string[] {
    if (orderBy === undefined) return this.#definition.orderBy;
    return typeof orderBy === "string" ? [orderBy] : orderBy as string[];
  }

  #where(filter: unknown): Condition {
    if (filter === undefined) return { sql: "", params: [] };
    if (
      filter === null || typeof filter !== "object" || Array.isArray(filter)
    ) {
      throw new TypeError(
        `Invalid filter for ${this.#definition.table}: expected an object keyed by property name`,
      );
    }
    const parts: string[] = [];
    const params: SQLValue[] = [];
    for (const key of Object.keys(filter)) {
      const condition = this.filterCondition(
        key,
        (filter as Record<string, unknown>)[key],
      );
      parts.push(condition.sql);
      params.push(...condition.params);
    }
    if (Object.hasOwn(filter, or)) {
      const condition = this.#or((filter as { [or]?: unknown })[or]);
      parts.push(condition.sql);
      params.push(...condition.params);
    }
    if (params.length > MAX_LIST) {
      throw new RangeError(
        `Invalid filter for ${this.#definition.table}: it binds ${params.length} values; at most ${MAX_LIST} fit in one query`,
      );
    }
    return { sql: whereSql(parts), params };
  }

  #orderSql(orderBy: OrderBy<M> | undefined): string {
    const { table } = this.#definition;
    const entries = this.orderKeys(orderBy);
    if (!Array.isArray(entries)) {
      throw new TypeError(
        `Invalid orderBy for ${table}: expected a property name or an array of them`,
      );
    }
    // Written once per order: a search pays a lookup, not the parse.
    const cacheKey = orderCacheKey(entries);
    const cached = cacheKey === undefined
      ? undefined
      : this.#orders.get(cacheKey);
    if (cached !== undefined) return cached;
    const order = this.#writeOrderSql(entries);
    if (cacheKey !== undefined && this.#orders.size < 64) {
      this.#orders.set(cacheKey, order);
    }
    return order;
  }

  /**
   * The `ORDER BY` of order keys (the primary key, else the rowid, last);
   * on `session`, with each term in the order its data needs (see
   * `_datetime_order.ts`).
   */
  #writeOrderSql(entries: readonly string[], session?: Session): string {
    const { table, primaryKey, keys, columns } = this.#definition;
    const seen = new Set<string>();
    const terms: OrderTerm[] = [];
    const term = (key: string, descending: boolean): OrderTerm => {
      const compared = session === undefined
        ? undefined
        : datetimeOrder!.orderForm(session, this.#definition, key);
      return {
        column: columns[key]!.bound.name,
        descending,
        ...(compared === undefined ? {} : { compared }),
      };
    };
    for (const entry of entries) {
      const { key, descending } = parseOrderKey(entry, keys, table);
      if (seen.has(key)) continue;
      seen.add(key);
      terms.push(term(key, descending));
    }
    if (primaryKey.length === 0) {
      terms.push({ column: ROWID, descending: false });
    }
    for (const key of primaryKey) {
      if (!seen.has(key)) terms.push(term(key, false));
    }
    return orderBySql(terms);
  }

  /**
   * The order of `orderBy` written per session, when a term of it (an
   * order key or the primary key) is a datetime text column, whose order
   * depends on the forms its data holds; `undefined` for every other order
   * (one text, from {@linkcode Store.#orderSql}). Call after `#orderSql`,
   * which checks the option.
   */
  #comparedOrder(
    orderBy: OrderBy<M> | undefined,
  ): ((session: Session) => string) | undefined {
    if (!hasOrderForms(this.#definition)) return undefined;
    const entries = this.orderKeys(orderBy);
    const cacheKey = orderCacheKey(entries);
    let compared = cacheKey === undefined
      ? undefined
      : this.#comparedOrders.get(cacheKey);
    if (compared === undefined) {
      const { table, primaryKey, keys } = this.#definition;
      compared = [
        ...entries.map((entry) => parseOrderKey(entry, keys, table).key),
        ...primaryKey,
      ].some((key) => comparedInOrder(this.#definition, key));
      if (cacheKey !== undefined && this.#comparedOrders.size < 64) {
        this.#comparedOrders.set(cacheKey, compared);
      }
    }
    return compared
      ? (session) => this.#writeOrderSql(entries, session)
      : undefined;
  }

  /**
   * Whether reads in the default order (no `orderBy` given, none declared
   * by the model or the order hook) read in rowid order on `session`: when
   * the data cannot change (a read-only file opened immutable, or an image
   * of bytes), so the rowid order is deterministic, and the model's primary
   * key is composite, over a rowid table (not `WITHOUT ROWID`), whose key
   * order would make SQLite walk an index or sort. A single-column key
   * keeps its order (a text code's sorted order is what readers expect).
   * Decided once per session.
   */
  #rowidDefault(session: Session): boolean {
    if (session !== this.#rowidOrderFor) {
      const { table, primaryKey } = this.#definition;
      // fixedSchema: read-only and immutable, or an image of bytes.
      this.#rowidOrder = session.fixedSchema &&
        primaryKey.length > 1 &&
        session.value(
            ROWID_ORDER_SQL,
            [table, table, table],
            `Cannot read the schema of ${table}`,
          ) === 1;
      this.#rowidOrderFor = session;
    }
    return this.#rowidOrder;
  }

  /** Whether a query with this `orderBy` option reads in the default order. */
  #defaultOrder(orderBy: OrderBy<M> | undefined): boolean {
    return orderBy === undefined && this.orderKeys(undefined).length === 0;
  }

  /**
   * The query of `search(filter, options)`, with one more condition when
   * given (`within()`'s box), its SQL a function of the column list (with
   * the NUL flag or without) and of the session (whose data may make the
   * default order rowid order, see {@linkcode Store.#rowidDefault}).
   */
  #select(
    filter: unknown,
    options: SearchOptions<M> | undefined,
    extra?: Condition,
  ): {
    sql: (columnList: string, session: Session) => string;
    params: SQLValue[];
  } {
    const table = this.#definition.table;
    if (
      options !== undefined && (options === null || typeof options !== "object")
    ) {
      throw new TypeError(
        `Invalid search options for ${table}: expected an object`,
      );
    }
    for (const name of Object.keys(options ?? {})) {
      if (
        !["limit", "offset", "orderBy"].includes(name) &&
        !RUN_OPTION_NAMES.includes(name)
      ) {
        throw new TypeError(
          `Invalid search option ${
            JSON.stringify(name)
          } for ${table}: expected limit, offset, orderBy, ${
            RUN_OPTION_NAMES.join(", ")
          }`,
        );
      }
    }
    const where = this.#where(filter);
    const order = this.#orderSql(options?.orderBy);
    const ordered = this.#comparedOrder(options?.orderBy);
    const byDefault = this.#defaultOrder(options?.orderBy);
    const params = [...where.params, ...extra?.params ?? []];
    const limit = options?.limit;
    const offset = options?.offset;
    const paged = limit !== undefined || offset !== undefined;
    if (paged) {
      params.push(
        limit === undefined ? -1 : checkCount(limit, "limit", table),
        offset === undefined ? 0 : checkCount(offset, "offset", table),
      );
    }
    const conditions = extra === undefined
      ? where.sql
      : andWhereSql(where.sql, extra.sql);
    return {
      sql: (columnList, session) =>
        selectSql(
          table,
          columnList,
          conditions,
          byDefault && this.#rowidDefault(session)
            ? ROWID_ORDER
            : ordered === undefined
            ? order
            : ordered(session),
          paged,
        ),
      params,
    };
  }

  #session(): Session | Promise<Session> {
    const session = this.model.dataset[SESSION]();
    if (!this.#ordersReady) return this.#loadOrders(session);
    if (session instanceof Promise) {
      return session.then((opened) => this.#checked(opened));
    }
    return this.#checked(session);
  }

  /**
   * {@linkcode Store.#session} until the model's orders can be written: a
   * model with a column ordered by a comparison form (`hasOrderForms`)
   * waits for `_datetime_order.ts` on its first query, which every order
   * written per session ({@linkcode Store.#comparedOrder}) runs after;
   * other models never load it (cold start, issue 15).
   */
  #loadOrders(
    session: Session | Promise<Session>,
  ): Session | Promise<Session> {
    if (datetimeOrder === undefined && hasOrderForms(this.#definition)) {
      return Promise.all([session, loadDatetimeOrder()]).then(([opened]) => {
        this.#ordersReady = true;
        return this.#checked(opened);
      });
    }
    this.#ordersReady = true;
    if (session instanceof Promise) {
      return session.then((opened) => this.#checked(opened));
    }
    return this.#checked(session);
  }

  /**
   * Checks once per connection that the file has the model's table and
   * columns, so a file that does not match fails at first use with a
   * `DataSetError` naming the table and column; takes the read hints the
   * check chose for that file (STRICT ones where SQLite guarantees the
   * storage class).
   */
  #checked(session: Session): Session {
    checkModelTable(session, this.#definition);
    this.#hints = session.checkedModels.get(this.#definition)!;
    return session;
  }

  /**
   * Whether the model's table may hold text with a NUL on this session's
   * data. Data that cannot change (`Session.stableData`) is asked once per
   * process with one scan ({@linkcode nulCensusSql}), so reads of a table
   * without such text (nearly all) pay nothing per row; data that may
   * change is assumed to hold some, and every read checks its rows.
   */
  #holdsNulText(session: Session): boolean {
    const identity = session.stableData;
    if (identity === undefined) return true;
    const sql = this.#plan.censusSql!;
    const key = `${identity}\0${sql}`;
    let holds = nulCensus.get(key);
    if (holds === undefined) {
      holds = this.#recordedNulText(session);
      if (holds === undefined) {
        try {
          holds = session.row(sql, [], "", () => true) ?? false;
        } catch {
          // A damaged page: check every row, so reads fail where it lies.
          return true;
        }
      }
      nulCensus.set(key, holds);
    }
    return holds;
  }

  /**
   * The census {@linkcode Store.#holdsNulText} would take, as the build
   * metadata of a read-only, immutable file records it (see
   * `BuildMetadata.nulText`); `undefined` when the data may change or the
   * record does not name every text column of the model.
   */
  #recordedNulText(session: Session): boolean | undefined {
    if (!session.fixedSchema) return undefined;
    const { table, keys, columns } = this.#definition;
    return recordedNulText(
      session,
      table,
      this.#plan.textColumns.map((i) => columns[keys[i]!]!.bound.name),
    );
  }

  /**
   * Decides, once per session and before a read of rows, whether reads
   * carry the NUL flag ({@linkcode Store.#flagged}).
   * @returns That decision.
   */
  #flags(session: Session): boolean {
    if (session !== this.#flaggedFor) {
      this.#flagged = !session.engine.readsTextWhole &&
        this.#plan.censusSql !== undefined && this.#holdsNulText(session);
      this.#flaggedFor = session;
    }
    return this.#flagged;
  }

  /**
   * Reads column `i` of the current row as the model's property: the
   * kind's decoding of the stored value, or a `DataSetError` (a
   * `RangeError` for an integer beyond 2^53) naming the table, column, row
   * and stored value when the kind cannot read it.
   */
  #cell(statement: Statement, i: number): unknown {
    const value = statement.column(i, this.#hints[i]);
    // Values the kind reads as they are skip the call to its decoder.
    if (typeof value === "string") {
      if (this.#same[i] === Same.STRING) return value;
    } else if (typeof value === "number") {
      const same = this.#same[i];
      if (
        same === Same.NUMBER ||
        (same === Same.INTEGER && Number.isSafeInteger(value))
      ) {
        return value;
      }
    }
    if (value === null) {
      return this.#nullable[i] ? null : this.#refuse(statement, i, value);
    }
    const decoded = this.#decoders[i]!(value);
    return decoded === INVALID ? this.#refuse(statement, i, value) : decoded;
  }

  #refuse(statement: Statement, i: number, value: SQLValue): never {
    const { columns, keys } = this.#definition;
    const key = keys[i]!;
    const column = columns[key]!;
    const kind = kindOf(column);
    const where = this.#cellName(statement, i);
    const range = kind.outOfRange?.(value);
    if (range !== undefined) throw new RangeError(`${where}: ${range}`);
    const what = value === null
      ? "NULL, and the model says NOT NULL"
      : `${describeStored(value)}, ${kind.refused ?? `not ${kind.holds}`}`;
    throw new DataSetError(`${where}: the file holds ${what}`, {
      dataset: this.model.dataset.name,
    });
  }

  /** `Cannot read t.c in the row id = 2`: the cell `i` of the current row. */
  #cellName(statement: Statement, i: number): string {
    const { table, primaryKey, keys } = this.#definition;
    // The row's key, read as stored: the primary key, else the first columns.
    const named = primaryKey.length > 0 ? primaryKey : keys.slice(0, 3);
    const row = named.map((name) =>
      `${name} = ${
        showKey(statement.column(keys.indexOf(name), ColumnHint.ANY))
      }`
    ).join(", ");
    return `Cannot read ${table}.${keys[i]} in the row ${row}`;
  }

  /**
   * Refuses the current row, whose flag column names a text column
   * holding a NUL that the engine would return cut at the NUL.
   */
  #refuseNul(statement: Statement): never {
    const flag = statement.column(this.#keys.length) as number;
    const i = this.#plan.textColumns[flag]!;
    throw new DataSetError(
      `${
        this.#cellName(statement, i)
      }: the file holds text with a NUL character, which node:sqlite cannot read past (it would return the text cut at the NUL); open the dataset with the ffi engine to read it whole`,
      { dataset: this.model.dataset.name },
    );
  }

  /**
   * Before a read of some columns' values outside the model's rows
   * (projections, facets, extremes): where the store's reads carry the NUL
   * flag ({@linkcode Store.#flags}), a text column among `columns` holding
   * a NUL in a row matching `filter` is a `DataSetError`, as in a row.
   */
  #refuseNulAmong(
    session: Session,
    columns: readonly Column<unknown>[],
    filter: unknown,
    action: string,
  ): void {
    if (!this.#flags(session)) return;
    const text = columns.filter((column) => {
      const type = kindOf(column).sqlType;
      return type === "TEXT" || type === "ANY";
    });
    if (text.length === 0) return;
    const where = this.#where(filter);
    const hit = session.row(
      nulAmongSql(
        this.#definition.table,
        text.map((column) => quote(column.bound.name)),
        where.sql,
      ),
      where.params,
      action,
      (statement) => text[Number(statement.column(0))]!,
    );
    if (hit === undefined) return;
    throw new DataSetError(
      `${action}: ${this.#definition.table}.${hit.bound.key} holds text with a NUL character, which node:sqlite cannot read past (it would return the text cut at the NUL); open the dataset with the ffi engine to read it whole`,
      { dataset: this.model.dataset.name },
    );
  }

  /**
   * Builds a model instance from the current row.
   * @param flagged Whether the row carries the NUL flag: the decision of the
   * session the statement runs on. A cursor passes the one it took when its
   * SQL was written, since a reload may switch the store to another file's
   * session while the cursor still reads the old one.
   */
  #read(statement: Statement, flagged = this.#flagged): Instance<M> {
    const generated = this.#instanceRead;
    if (generated !== undefined) {
      return generated(statement, flagged) as Instance<M>;
    }
    const row = this.#loopRead(statement, flagged);
    if (--this.#loopRows === 0) {
      this.#instanceRead = instanceReader(
        this.model as unknown as new () => object,
        this.#keys,
        this.#cellReader,
        this.#nulRefuser,
      );
    }
    return row as Instance<M>;
  }

  #rows(
    sql: (session: Session) => string,
    params: readonly SQLValue[],
    action: string,
    run?: Run,
    few = false,
  ): AsyncGenerator<Instance<M>, void, undefined> {
    // The NUL flag decision of this cursor's session (see #read).
    let flagged = false;
    return cursor({
      session: () => this.#session(),
      sql: (session) => {
        flagged = this.#flags(session);
        return sql(session);
      },
      params,
      action,
      read: (statement) => this.#read(statement, flagged),
      run,
      few,
    });
  }

  /**
   * Yields the rows matching a filter: filtered, then ordered, then
   * paginated. Breaking out early releases the statement.
   *
   * Without an `orderBy` (given or declared by the model), rows come in
   * primary-key order, except on a read-only file opened immutable (the
   * default for a file): there a table with a composite primary key (not
   * `WITHOUT ROWID`) reads in rowid order, as the rows are stored, so a
   * full search reads the table instead of walking its key's index. That
   * order is deterministic for the file, and may differ between two builds
   * of it.
   * @param filter Property names to values or operators.
   * @param options `limit`, `offset`, `orderBy`.
   * @returns The rows, one at a time.
   * @throws {TypeError} For an unknown property, operator or option.
   * @throws {RangeError} For a negative or fractional limit or offset.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_search");
   * class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
   * await db.createAll();
   * const store = new Store(N);
   * await store.createMany([{}, {}, {}, {}]);
   * const ids = [];
   * for await (const row of store.search({ id: { gt: 1 } }, { orderBy: "-id", limit: 2 })) {
   *   ids.push(row.id);
   * }
   * assert.deepEqual(ids, [4, 3]);
   * await db.close();
   * ```
   */
  search(
    filter?: Filter<M> & X,
    options?: SearchOptions<M>,
  ): AsyncGenerator<Instance<M>, void, undefined> {
    const action = `Cannot search ${this.#definition.table}`;
    let query: {
      sql: (columnList: string, session: Session) => string;
      params: SQLValue[];
    };
    let run: Run | undefined;
    try {
      query = this.#select(filter, options);
      run = Run.of(options, "search()", this.#definition.table);
    } catch (error) {
      return cursor<Instance<M>>(undefined, error);
    }
    return this.#rows(
      (session) =>
        query.sql(
          this.#flags(session)
            ? this.#plan.flaggedColumnList!
            : this.#plan.columnList,
          session,
        ),
      query.params,
      action,
      run,
      fewRows(options?.limit),
    );
  }

  /**
   * Counts the rows matching a filter.
   * @param filter Property names to values or operators.
   * @returns The count.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_count");
   * class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
   * await db.createAll();
   * await new Store(N).createMany([{}, {}, {}]);
   * assert.equal(await new Store(N).count({ id: { in: [1, 3, 9] } }), 2);
   * await db.close();
   * ```
   */
  async count(
    filter?: Filter<M> & X,
    options?: RunOptions,
  ): Promise<number> {
    const where = this.#where(filter);
    const run = this.#run(options, "count");
    const sql = countSql(this.#definition.table, where.sql);
    const session = await this.#session();
    return Number(
      session.value(
        sql,
        where.params,
        `Cannot count ${this.#definition.table}`,
        run,
      ),
    );
  }

  /**
   * Answers whether any row matches a filter.
   * @param filter Property names to values or operators.
   * @returns `true` when a row matches.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_exists");
   * class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
   * await db.createAll();
   * assert.equal(await new Store(N).exists(), false);
   * await new Store(N).create({});
   * assert.equal(await new Store(N).exists({ id: 1 }), true);
   * await db.close();
   * ```
   */
  async exists(
    filter?: Filter<M> & X,
    options?: RunOptions,
  ): Promise<boolean> {
    const where = this.#where(filter);
    const run = this.#run(options, "exists");
    const sql = existsSql(this.#definition.table, where.sql);
    const session = await this.#session();
    return session.value(
      sql,
      where.params,
      `Cannot query ${this.#definition.table}`,
      run,
    ) !== undefined;
  }

  /**
   * The first row in order, or `undefined`.
   * @param filter Property names to values or operators.
   * @param options `offset` and `orderBy`.
   * @returns The row or `undefined`.
   * @throws {TypeError} For a `limit`: `first()` reads one row.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_first");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), name: text() }) {}
   * await db.createAll();
   * await new Store(P).createMany([{ name: "b" }, { name: "a" }]);
   * assert.equal((await new Store(P).first({}, { orderBy: "name" }))?.name, "a");
   * assert.equal(await new Store(P).first({ name: "z" }), undefined);
   * await db.close();
   * ```
   */
  async first(
    filter?: Filter<M> & X,
    options?: Omit<SearchOptions<M>, "limit">,
  ): Promise<Instance<M> | undefined> {
    this.#noLimit(options, "first");
    for await (const row of this.search(filter, { ...options, limit: 1 })) {
      return row;
    }
    return undefined;
  }

  /**
   * The only row matching a filter.
   * @param filter Property names to values or operators.
   * @param options `orderBy` and `offset`.
   * @returns The row.
   * @throws {TypeError} For a `limit`: `one()` reads the only row.
   * @throws {ModelNotFoundError} When no row matches.
   * @throws {MultipleModelsFoundError} When more than one row matches.
   *
   * @example
   * ```ts
   * import { DataSet, integer, ModelNotFoundError, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_one");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), name: text() }) {}
   * await db.createAll();
   * await new Store(P).create({ name: "a" });
   * assert.equal((await new Store(P).one({ name: "a" })).id, 1);
   * await assert.rejects(new Store(P).one({ name: "z" }), ModelNotFoundError);
   * await db.close();
   * ```
   */
  async one(
    filter?: Filter<M> & X,
    options?: Omit<SearchOptions<M>, "limit">,
  ): Promise<Instance<M>> {
    this.#noLimit(options, "one");
    const rows: Instance<M>[] = [];
    for await (const row of this.search(filter, { ...options, limit: 2 })) {
      rows.push(row);
    }
    const table = this.#definition.table;
    const dataset = this.model.dataset.name;
    if (rows.length === 0) {
      throw new ModelNotFoundError(
        `Cannot find one ${table}: no row matches ${describeFilter(filter)}`,
        { dataset },
      );
    }
    if (rows.length > 1) {
      throw new MultipleModelsFoundError(
        `Cannot find one ${table}: more than one row matches ${
          describeFilter(filter)
        }`,
        { dataset },
      );
    }
    return rows[0]!;
  }

  /**
   * The run of a method's `RunOptions` argument (checked: only signal,
   * budget and hook), or `undefined` when it sets none.
   */
  #run(options: RunOptions | undefined, method: string): Run | undefined {
    if (options === undefined) return undefined;
    const table = this.#definition.table;
    const what = `${method}() on ${table}`;
    return Run.of(checkRunOptions(options, what), `${method}()`, table);
  }

  /** Refuses a `limit` given to a method that sets its own. */
  #noLimit(options: unknown, method: string): void {
    if (
      options !== null && typeof options === "object" &&
      (options as { limit?: unknown }).limit !== undefined
    ) {
      throw new TypeError(
        `Invalid search option "limit" for ${this.#definition.table}: ${method}() reads ${
          method === "one" ? "the only row" : "one row"
        }; use search() with a limit`,
      );
    }
  }

  /**
   * The row with a primary key: a value, or an object for a composite key.
   * @param id The primary key.
   * @returns The row.
   * @throws {ModelNotFoundError} When no row has the key.
   * @throws {TypeError} When the model has no primary key, or the key is
   * not of the primary key's type (a composite key needs every part).
   *
   * @example
   * ```ts
   * import { DataSet, integer, ModelNotFoundError, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_retrieve");
   * class Rate extends db.Model("rate", {
   *   from: text({ primaryKey: true }),
   *   to: text({ primaryKey: true }),
   *   value: integer(),
   * }) {}
   * await db.createAll();
   * await new Store(Rate).create({ from: "EUR", to: "USD", value: 2 });
   * assert.equal((await new Store(Rate).retrieve({ from: "EUR", to: "USD" })).value, 2);
   * await assert.rejects(new Store(Rate).retrieve({ from: "USD", to: "EUR" }), ModelNotFoundError);
   * await db.close();
   * ```
   */
  retrieve(id: PrimaryKey<M>): Promise<Instance<M>> {
    // Not async: a point lookup is short, and skipping the extra promise
    // turns of an async function is a fair share of its cost.
    try {
      const params = this.#keyParams(id);
      const session = this.#session();
      if (session instanceof Promise) {
        return session.then((opened) => this.#lookup(opened, params));
      }
      return Promise.resolve(this.#lookup(session, params));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The primary key's values as parameters, checked: a number or a string
   * for a single-column key here, every other shape (and the errors) in
   * {@linkcode Store.#keyValues}, compiled only when one comes (cold start,
   * issue 15).
   */
  #keyParams(id: unknown): SQLValue[] {
    const { primaryKey, columns } = this.#definition;
    if (
      primaryKey.length === 1 &&
      (typeof id === "number" || typeof id === "string")
    ) {
      return [encodeValue(columns[primaryKey[0]!]!, id, "key")];
    }
    return this.#keyValues(id);
  }

  /** {@linkcode Store.#keyParams} of every other key and shape. */
  #keyValues(id: unknown): SQLValue[] {
    const { table, primaryKey, columns } = this.#definition;
    if (primaryKey.length === 0) {
      throw new TypeError(`Cannot retrieve ${table}: it has no primary key`);
    }
    let values: unknown[];
    if (primaryKey.length === 1) {
      const key = primaryKey[0]!;
      const value = id !== null && typeof id === "object" &&
          !(id instanceof Uint8Array) && Object.hasOwn(id, key)
        ? (id as Record<string, unknown>)[key]
        : id;
      values = [value];
    } else {
      if (id === null || typeof id !== "object" || id instanceof Uint8Array) {
        throw new TypeError(
          `Invalid key for ${table}: the primary key is composite; expected an object with ${
            primaryKey.join(", ")
          }`,
        );
      }
      values = primaryKey.map((key) => {
        if (!Object.hasOwn(id, key)) {
          throw new TypeError(
            `Invalid key for ${table}: missing ${key}; expected ${
              primaryKey.join(", ")
            }`,
          );
        }
        return (id as Record<string, unknown>)[key];
      });
    }
    return values.map((value, i) => {
      if (value === null || value === undefined) {
        throw new TypeError(
          `Invalid key for ${table}: ${primaryKey[i]} is ${value}`,
        );
      }
      return encodeValue(columns[primaryKey[i]!]!, value, "key");
    });
  }

  #lookup(session: Session, params: SQLValue[]): Instance<M> {
    const { table, primaryKey } = this.#definition;
    const row = session.row(
      this.#flags(session)
        ? this.#plan.flaggedLookupSql!
        : this.#plan.lookupSql!,
      params,
      this.#retrieveAction,
      this.#reader,
    );
    if (row !== undefined) return row;
    throw new ModelNotFoundError(
      `Cannot retrieve ${table}: no row has ${
        primaryKey.map((key, i) => `${key} = ${String(params[i])}`).join(", ")
      }`,
      { dataset: session.dataset },
    );
  }

  #insert(
    values: unknown,
    returning: boolean,
    where: string,
  ): { sql: string; params: SQLValue[]; keys: string[] } {
    const { table, columns } = this.#definition;
    if (
      values === null || typeof values !== "object" || Array.isArray(values) ||
      typeof (values as { then?: unknown }).then === "function"
    ) {
      throw new TypeError(
        `Cannot insert ${table}${where}: expected an object of values, got ${
          values === null
            ? "null"
            : Array.isArray(values)
            ? "an array"
            : typeof values === "object"
            ? "a promise"
            : typeof values
        }`,
      );
    }
    const keys: string[] = [];
    const params: SQLValue[] = [];
    for (const key of Object.keys(values)) {
      const value = (values as Record<string, unknown>)[key];
      if (!Object.hasOwn(columns, key)) this.#unknownKey(key, "property");
      if (value === undefined) continue;
      keys.push(key);
      params.push(encodeValue(columns[key]!, value, `value${where}`));
    }
    const sql = this.#insertSql(keys, returning ? "r" : "n");
    return { sql, params, keys };
  }

  /**
   * The insert of `keys`, cached per model: without RETURNING (`"n"`),
   * returning the row (`"r"`), or the row and the NUL flag (`"f"`).
   */
  #insertSql(keys: readonly string[], returning: "n" | "r" | "f"): string {
    const signature = `${returning}:${keys.join("\0")}`;
    const cache = this.#plan.insertSql;
    let sql = cache.get(signature);
    if (sql === undefined) {
      const { table, columns } = this.#definition;
      sql = insertSql(
        table,
        keys.map((key) => columns[key]!.bound.name),
        returning === "n"
          ? undefined
          : returning === "r"
          ? this.#plan.columnList
          : this.#plan.flaggedColumnList,
      );
      cache.set(signature, sql);
    }
    return sql;
  }

  /**
   * Inserts a row and returns it as stored, defaults and generated key
   * filled. Writable datasets only.
   * @param values The values.
   * @returns The stored row.
   * @throws {ReadOnlyError} On a read-only dataset.
   * @throws {DuplicateModelError} When a unique or primary key exists.
   * @throws {ModelIntegrityError} On a NOT NULL, CHECK or foreign key failure.
   *
   * @example
   * ```ts
   * import { boolean, DataSet, DuplicateModelError, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_create");
   * class P extends db.Model("p", {
   *   id: integer({ primaryKey: true }),
   *   name: text({ unique: true }),
   *   active: boolean({ default: true }),
   * }) {}
   * await db.createAll();
   * const store = new Store(P);
   * const row = await store.create({ name: "a" });
   * assert.deepEqual({ ...row }, { id: 1, name: "a", active: true });
   * await assert.rejects(store.create({ name: "a" }), DuplicateModelError);
   * await db.close();
   * ```
   */
  async create(values: Insert<M>): Promise<Instance<M>> {
    const table = this.#definition.table;
    const action = `Cannot insert ${table}`;
    const query = this.#insert(values, true, "");
    const { params } = query;
    const session = await this.#session();
    session.assertWritable(action);
    const sql = this.#flags(session)
      ? this.#insertSql(query.keys, "f")
      : query.sql;
    const row = session.returning(
      sql,
      params,
      action,
      (statement) => this.#read(statement),
    );
    if (row === undefined) {
      throw new DataSetError(`${action}: the insert returned no row`, {
        dataset: session.dataset,
        sql,
      });
    }
    return row;
  }

  /**
   * Inserts many rows in one transaction, from an iterable or async
   * iterable. Nothing is inserted when any row fails, and the insert is
   * isolated from every other write: an async iterable is read to its end
   * before the first row is written (so hold large sources in a sync
   * iterable, which is written as it is read), and no other write runs
   * while the rows are written.
   * @param values The rows.
   * @returns How many rows were inserted.
   * @throws {ReadOnlyError} On a read-only dataset.
   * @throws {DuplicateModelError} When a unique or primary key exists.
   * @throws {ModelIntegrityError} On a NOT NULL, CHECK or foreign key failure.
   * @throws {DataSetError} When the dataset is closed before the rows are
   * written.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_create_many");
   * class N extends db.Model("n", { id: integer({ primaryKey: true }), v: integer() }) {}
   * await db.createAll();
   * async function* generate() {
   *   for (let v = 0; v < 100; v++) yield { v };
   * }
   * assert.equal(await new Store(N).createMany(generate()), 100);
   * await db.close();
   * ```
   */
  async createMany(
    values: Iterable<Insert<M>> | AsyncIterable<Insert<M>>,
  ): Promise<number> {
    const table = this.#definition.table;
    const action = `Cannot insert ${table}`;
    if (!isIterable(values)) {
      throw new TypeError(
        `${action}: createMany takes an iterable or async iterable of rows`,
      );
    }
    const session = await this.#session();
    session.assertWritable(action);
    let rows: Iterable<unknown>;
    if (Symbol.iterator in values) {
      rows = values;
    } else {
      // No savepoint stays open across an await: a rollback would undo
      // whatever other writes ran meanwhile. Read the source first.
      const buffered: { sql: string; params: SQLValue[] }[] = [];
      for await (const item of values) {
        buffered.push(this.#insert(item, false, ` (row ${buffered.length})`));
      }
      rows = buffered;
    }
    session.check(action, "the write");
    const encode = rows === values
      ? (item: unknown, row: number) =>
        this.#insert(item, false, ` (row ${row})`)
      : (item: unknown) => item as { sql: string; params: SQLValue[] };
    return session.atomic(action, () => {
      let row = 0;
      return session.runEach(
        (function* () {
          for (const item of rows) yield encode(item, row++);
        })(),
        action,
      );
    });
  }

  /**
   * Deletes the rows matching a filter. Writable datasets only.
   * @param filter Property names to values or operators.
   * @returns How many rows were deleted.
   * @throws {ModelNotFoundError} When no row matched.
   *
   * @example
   * ```ts
   * import { DataSet, integer, ModelNotFoundError, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_delete");
   * class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
   * await db.createAll();
   * await new Store(N).createMany([{}, {}, {}]);
   * assert.equal(await new Store(N).delete({ id: { lte: 2 } }), 2);
   * await assert.rejects(new Store(N).delete({ id: 1 }), ModelNotFoundError);
   * await db.close();
   * ```
   */
  async delete(filter?: Filter<M> & X): Promise<number> {
    const table = this.#definition.table;
    const action = `Cannot delete ${table}`;
    const where = this.#where(filter);
    const session = await this.#session();
    session.assertWritable(action);
    const changes = session.run(
      deleteSql(table, where.sql),
      where.params,
      action,
    );
    if (changes === 0) {
      throw new ModelNotFoundError(
        `${action}: no row matches ${describeFilter(filter)}`,
        { dataset: session.dataset },
      );
    }
    return changes;
  }

  /**
   * Full-text search over the model's `search` index: the rows whose
   * indexed text matches, best first (bm25, optionally weighted per
   * column; the primary key breaks ties), combined with the ordinary
   * filter, then paginated. Each row is a model instance carrying its
   * rank, and the highlights and snippet asked for, under the
   * {@linkcode matchInfo} symbol.
   *
   * The text is safe to take from a user as it is: each whitespace-separated
   * term is quoted, so FTS5 operators and punctuation are plain text, and
   * every term must match (`prefix` lets the last one match the words it
   * starts). Text without a searchable term (empty, or only punctuation
   * under a word tokenizer) matches nothing. FTS5 query syntax is read only
   * with `raw: true`.
   * @param text The text to find.
   * @param options `filter`, `limit`, `offset`, `prefix`, `raw`, `weights`,
   * `highlight`, `snippet`.
   * @returns The matching rows, best first.
   * @throws {TypeError} When the model declares no `search` index, or for
   * an unknown option or a text that is not a string.
   * @throws {QueryError} For a malformed `raw` query, naming it.
   *
   * @example Search as a user types
   * ```ts
   * import { DataSet, integer, matchInfo, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_match");
   * class City extends db.Model("city", {
   *   id: integer({ primaryKey: true }),
   *   name: text(),
   *   country: text(),
   * }, { search: { columns: ["name"] } }) {}
   * await db.createAll();
   * const cities = new Store(City);
   * await cities.createMany([
   *   { name: "Saint-Étienne", country: "FR" },
   *   { name: "Saint Paul", country: "US" },
   *   { name: "Paris", country: "FR" },
   * ]);
   * const names = async (rows: AsyncIterable<{ name: string }>) =>
   *   (await Array.fromAsync(rows)).map((row) => row.name);
   * assert.deepEqual(await names(cities.match("saint-etienne")), ["Saint-Étienne"]);
   * assert.deepEqual(await names(cities.match("sain", { prefix: true, filter: { country: "US" } })), ["Saint Paul"]);
   * assert.deepEqual(await names(cities.match('"foo AND bar')), []);
   * const [best] = await Array.fromAsync(cities.match("paris", { snippet: true }));
   * assert.equal(best?.[matchInfo].snippet, "<mark>Paris</mark>");
   * await db.close();
   * ```
   */
  match(
    text: string,
    options?: MatchOptions<Filter<M> & X, keyof Row<M> & string>,
  ): AsyncGenerator<Matched<Instance<M>>, void, undefined> {
    const core = this.#core;
    const matchOptions = options as MatchOptions<unknown>;
    if (storeText !== undefined) {
      return storeText.match(core, text, matchOptions);
    }
    return later(async () =>
      (await loadText()).match(core, text, matchOptions)
    );
  }

  // -------------------------------------------------------------------------
  // Queries (issue 12 §3-§5): or, facets, aggregates, keyset pages,
  // projection, explain, model instances from raw SQL. Their bodies live
  // in the concern modules (`_store_facets.ts`, `_store_pages.ts`,
  // `_store_select.ts`, `_store_text.ts`, `_store_geo.ts`), reached
  // through `#core`; the helpers they share stay here.
  // -------------------------------------------------------------------------

  /** The condition of an `[or]` list: any of the filters. */
  #or(list: unknown): Condition {
    if (!Array.isArray(list)) {
      throw new TypeError(
        `Invalid filter for ${this.#definition.table}: [or] takes an array of filters`,
      );
    }
    if (list.length === 0) return { sql: "0", params: [] };
    const parts: string[] = [];
    const params: SQLValue[] = [];
    for (const item of list) {
      if (item === undefined) {
        throw new TypeError(
          `Invalid filter for ${this.#definition.table}: [or] holds undefined`,
        );
      }
      const where = this.#where(item);
      // A filter without conditions matches every row, and so does the or.
      if (where.sql === "") return { sql: "1", params: [] };
      parts.push(where.sql.slice(" WHERE ".length));
      params.push(...where.params);
    }
    return { sql: parts.map((part) => `(${part})`).join(" OR "), params };
  }

  /** The column of a property named by a query method's argument. */
  #columnOf(key: unknown, action: string): Column<unknown> {
    if (
      typeof key !== "string" || !Object.hasOwn(this.#definition.columns, key)
    ) {
      throw new TypeError(
        `${action}: unknown property ${JSON.stringify(key)}; expected one of ${
          this.#keys.join(", ")
        }`,
      );
    }
    return this.#definition.columns[key]! as Column<unknown>;
  }

  /** Refuses options other than `allowed`. */
  #options(options: unknown, allowed: readonly string[], method: string): void {
    const table = this.#definition.table;
    if (options === undefined) return;
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `Invalid ${method} options for ${table}: expected an object`,
      );
    }
    for (const name of Object.keys(options)) {
      if (!allowed.includes(name)) {
        throw new TypeError(
          `Invalid ${method} option ${
            JSON.stringify(name)
          } for ${table}: expected ${allowed.join(", ")}`,
        );
      }
    }
  }

  /** A stored value of a column as its kind reads it (NULL as null). */
  #decodeValue(
    column: Column<unknown>,
    value: SQLValue,
    action: string,
  ): unknown {
    if (value === null) return null;
    const kind = kindOf(column);
    const decoded = kind.decode(value);
    if (decoded !== INVALID) return decoded;
    const range = kind.outOfRange?.(value);
    if (range !== undefined) throw new RangeError(`${action}: ${range}`);
    throw new DataSetError(
      `${action}: the file holds ${describeStored(value)}, ${
        kind.refused ?? `not ${kind.holds}`
      }`,
      { dataset: this.model.dataset.name },
    );
  }

  /**
   * The values of a property with how many rows hold each, most frequent
   * first; ties by value ascending, as SQLite orders the stored values
   * (NULL first, numbers before text). Values are typed and decoded as the
   * model declares them (a `datetime()` value is a `Date`; one instant
   * written in several forms is one value, and ties go by time).
   * @param key The property.
   * @param filter Which rows to count.
   * @param options `limit`: the most values to return.
   * @returns The values and their counts.
   * @throws {TypeError} For an unknown property or option.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_count_by");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), country: text() }) {}
   * await db.createAll();
   * const store = new Store(P);
   * await store.createMany([{ country: "FR" }, { country: "DE" }, { country: "FR" }, { country: "AT" }]);
   * assert.deepEqual(await store.countBy("country", {}, { limit: 2 }), [
   *   { value: "FR", count: 2 },
   *   { value: "AT", count: 1 },
   * ]);
   * await db.close();
   * ```
   */
  countBy<K extends keyof Row<M> & string>(
    key: K,
    filter?: Filter<M> & X,
    options?: CountByOptions,
  ): Promise<ValueCount<Row<M>[K]>[]> {
    return loadFacets().then((facets) =>
      facets.countBy(this.#core, key, filter, options)
    ) as Promise<ValueCount<Row<M>[K]>[]>;
  }

  /**
   * The distinct values of a property among the rows matching a filter,
   * ascending as SQLite orders the stored values (NULL first), typed and
   * decoded as the model declares them (`datetime()` values by time, one
   * instant written in several forms once).
   * @param key The property.
   * @param filter Which rows to read.
   * @returns The values.
   * @throws {TypeError} For an unknown property.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_distinct");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), country: text() }) {}
   * await db.createAll();
   * await new Store(P).createMany([{ country: "FR" }, { country: "DE" }, { country: "FR" }]);
   * assert.deepEqual(await new Store(P).distinct("country"), ["DE", "FR"]);
   * await db.close();
   * ```
   */
  distinct<K extends keyof Row<M> & string>(
    key: K,
    filter?: Filter<M> & X,
    options?: RunOptions,
  ): Promise<Row<M>[K][]> {
    return loadFacets().then((facets) =>
      facets.distinct(this.#core, key, filter, options)
    ) as Promise<Row<M>[K][]>;
  }

  /**
   * The smallest value of a property among the rows matching a filter
   * (NULLs left out), typed as the model declares it; `undefined` when no
   * row has one. A `datetime()` minimum is a `Date`, compared as a time.
   * @param key The property.
   * @param filter Which rows to read.
   * @returns The smallest value, or `undefined`.
   *
   * @example
   * ```ts
   * import { DataSet, datetime, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_min");
   * class E extends db.Model("e", { id: integer({ primaryKey: true }), at: datetime() }) {}
   * await db.createAll();
   * await new Store(E).createMany([{ at: new Date("2024-05-01") }, { at: new Date("2023-01-01") }]);
   * assert.deepEqual(await new Store(E).min("at"), new Date("2023-01-01"));
   * assert.equal(await new Store(E).min("at", { id: 9 }), undefined);
   * await db.close();
   * ```
   */
  min<K extends keyof Row<M> & string>(
    key: K,
    filter?: Filter<M> & X,
    options?: RunOptions,
  ): Promise<NonNullable<Row<M>[K]> | undefined> {
    return loadFacets().then((facets) =>
      facets.extreme(this.#core, key, filter, false, options)
    ) as Promise<
      NonNullable<Row<M>[K]> | undefined
    >;
  }

  /**
   * The largest value of a property among the rows matching a filter
   * (NULLs left out), typed as the model declares it; `undefined` when no
   * row has one.
   * @param key The property.
   * @param filter Which rows to read.
   * @returns The largest value, or `undefined`.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_max");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), n: integer({ nullable: true }) }) {}
   * await db.createAll();
   * await new Store(P).createMany([{ n: 3 }, { n: null }, { n: 7 }]);
   * assert.equal(await new Store(P).max("n"), 7);
   * await db.close();
   * ```
   */
  max<K extends keyof Row<M> & string>(
    key: K,
    filter?: Filter<M> & X,
    options?: RunOptions,
  ): Promise<NonNullable<Row<M>[K]> | undefined> {
    return loadFacets().then((facets) =>
      facets.extreme(this.#core, key, filter, true, options)
    ) as Promise<
      NonNullable<Row<M>[K]> | undefined
    >;
  }

  /**
   * The sum of a numeric property over the rows matching a filter (NULLs
   * left out; 0 when no row matches), in the property's type: a `bigint()`
   * column sums to a bigint. An `integer()` sum beyond 2^53 is a
   * `RangeError`.
   * @param key A numeric property.
   * @param filter Which rows to sum.
   * @returns The sum.
   * @throws {TypeError} For a property that is not numeric.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_sum");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), n: integer() }) {}
   * await db.createAll();
   * await new Store(P).createMany([{ n: 3 }, { n: 4 }]);
   * assert.equal(await new Store(P).sum("n"), 7);
   * assert.equal(await new Store(P).sum("n", { n: 9 }), 0);
   * await db.close();
   * ```
   */
  sum<K extends NumericKeys<M>>(
    key: K,
    filter?: Filter<M> & X,
    options?: RunOptions,
  ): Promise<NonNullable<Row<M>[K]>> {
    return loadFacets().then((facets) =>
      facets.aggregateOf(this.#core, "sum", key, filter, options)
    ) as Promise<
      NonNullable<Row<M>[K]>
    >;
  }

  /**
   * The mean of a numeric property over the rows matching a filter (NULLs
   * left out), as a number; `undefined` when no row has a value.
   * @param key A numeric property.
   * @param filter Which rows to average.
   * @returns The mean, or `undefined`.
   * @throws {TypeError} For a property that is not numeric.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_avg");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), n: integer() }) {}
   * await db.createAll();
   * await new Store(P).createMany([{ n: 3 }, { n: 4 }]);
   * assert.equal(await new Store(P).avg("n"), 3.5);
   * assert.equal(await new Store(P).avg("n", { n: 9 }), undefined);
   * await db.close();
   * ```
   */
  avg<K extends NumericKeys<M>>(
    key: K,
    filter?: Filter<M> & X,
    options?: RunOptions,
  ): Promise<number | undefined> {
    return loadFacets().then((facets) =>
      facets.aggregateOf(this.#core, "avg", key, filter, options)
    ) as Promise<
      number | undefined
    >;
  }

  /**
   * A page of the rows matching a filter, and the token of the next page:
   * keyset pagination, so a page deep in the order costs what the first
   * does (no `OFFSET`). The order is the `orderBy` option, else the store's
   * default (the model's `orderBy`, else the primary key), always ending in
   * the primary key (the rowid without one), which makes every position
   * unique; NULLs sort as SQLite sorts them, first ascending, last
   * descending. Where `search()` reads the default order in rowid order (a
   * read-only file opened immutable, a composite primary key), pages do
   * too, keyed by the rowid.
   *
   * The token is opaque and URL-safe: the last row's order keys as stored,
   * and a checksum over them and the query's shape (model, order, filter).
   * There is no secret, so a token works in any process serving the same
   * file; one used with another model, order or filter, malformed or
   * altered, is a `TypeError`. The `limit` may change from page to page.
   * @param filter Property names to values or operators.
   * @param options `limit`, `orderBy`, and `after`: the token of the page
   * before.
   * @returns The rows, and `next`: the token of the next page, `undefined`
   * after the last.
   * @throws {TypeError} For a token made for another query, malformed or
   * altered.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_page");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), name: text() }) {}
   * await db.createAll();
   * const store = new Store(P);
   * await store.createMany(["d", "a", "c", "b", "e"].map((name) => ({ name })));
   * const first = await store.page({}, { orderBy: "name", limit: 2 });
   * assert.deepEqual(first.rows.map((p) => p.name), ["a", "b"]);
   * const second = await store.page({}, { orderBy: "name", limit: 2, after: first.next });
   * assert.deepEqual(second.rows.map((p) => p.name), ["c", "d"]);
   * await assert.rejects(store.page({}, { orderBy: "-name", after: first.next }), TypeError);
   * await db.close();
   * ```
   */
  page(
    filter?: Filter<M> & X,
    options?: PageOptions<M>,
  ): Promise<Page<Instance<M>>> {
    // After the first page the module is loaded: no await, as before.
    if (storePages !== undefined) {
      return storePages.page(this.#core, filter, options);
    }
    return loadPages().then((loaded) =>
      loaded.page(this.#core, filter, options)
    );
  }

  /**
   * Yields only some properties of the rows matching a filter, as plain
   * objects typed with exactly those properties (decoded as the model
   * declares them); the other columns are not read.
   * @param keys The properties to read.
   * @param filter Property names to values or operators.
   * @param options `limit`, `offset`, `orderBy`.
   * @returns The plain objects, one at a time.
   * @throws {TypeError} For an unknown or repeated property, or none.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_select");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), name: text(), bio: text() }) {}
   * await db.createAll();
   * await new Store(P).create({ name: "Ada", bio: "a long text" });
   * const rows = await Array.fromAsync(new Store(P).select(["id", "name"]));
   * assert.deepEqual(rows, [{ id: 1, name: "Ada" }]);
   * await db.close();
   * ```
   */
  select<K extends keyof Row<M> & string>(
    keys: readonly K[],
    filter?: Filter<M> & X,
    options?: SearchOptions<M>,
  ): AsyncGenerator<Pick<Row<M>, K>, void, undefined> {
    const core = this.#core;
    const rows = storeSelect !== undefined
      ? storeSelect.select(core, keys, filter, options)
      : later(async () =>
        (await loadSelect()).select(core, keys, filter, options)
      );
    return rows as AsyncGenerator<Pick<Row<M>, K>, void, undefined>;
  }

  /**
   * SQLite's plan for the query `search(filter, options)` runs: the detail
   * of each step of `EXPLAIN QUERY PLAN`, in order. `SCAN` over the table,
   * or `USE TEMP B-TREE FOR ORDER BY`, means no index serves the query;
   * the model options `index`, `indexes` and `unique` declare one.
   * @param filter Property names to values or operators.
   * @param options `limit`, `offset`, `orderBy`.
   * @returns The plan's steps.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_explain");
   * class P extends db.Model("p", {
   *   id: integer({ primaryKey: true }),
   *   name: text({ index: true }),
   *   country: text(),
   * }) {}
   * await db.createAll();
   * const store = new Store(P);
   * assert.match((await store.explain({ name: "Ada" })).join("\n"), /USING INDEX/);
   * assert.match((await store.explain({ country: "FR" })).join("\n"), /SCAN/);
   * await db.close();
   * ```
   */
  async explain(
    filter?: Filter<M> & X,
    options?: SearchOptions<M>,
  ): Promise<string[]> {
    return await (await loadSelect()).explain(this.#core, filter, options);
  }

  /**
   * The model's columns as an SQL fragment for {@linkcode Store.sql}:
   * `"c"."id", "c"."name", ...`, qualified by a table alias when given.
   * @param alias The alias of the model's table in the query.
   * @returns The fragment.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_columns");
   * class P extends db.Model("p", { id: integer({ primaryKey: true }), name: text() }) {}
   * assert.equal(new Store(P).columns("x").text, '"x"."id", "x"."name"');
   * ```
   */
  columns(alias?: string): SQLFragment {
    const { columns, keys, table } = this.#definition;
    if (alias !== undefined && (typeof alias !== "string" || alias === "")) {
      throw new TypeError(
        `Invalid alias for ${table}: expected a non-empty string`,
      );
    }
    const prefix = alias === undefined ? "" : `${quote(alias)}.`;
    return new SQLFragment(
      keys.map((key) => `${prefix}${quote(columns[key]!.bound.name)}`).join(
        ", ",
      ),
      [],
    );
  }

  /**
   * Runs raw SQL that selects the model's columns (in declaration order,
   * {@linkcode Store.columns} writes them) and yields instances of the
   * model, each column decoded by its kind as `search()` decodes it: for
   * joins and subqueries the filter cannot express. Every interpolated
   * value is bound, as in `dataset.sql`; fragments compose.
   * @param strings The template's strings.
   * @param values The interpolated values and fragments.
   * @returns The instances.
   * @throws {QueryError} When the query's columns are not the model's.
   *
   * @example
   * ```ts
   * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_store_sql");
   * class Country extends db.Model("country", { code: text({ primaryKey: true }), name: text() }) {}
   * class City extends db.Model("city", { id: integer({ primaryKey: true }), name: text(), country: text() }) {}
   * await db.createAll();
   * await new Store(Country).create({ code: "FR", name: "France" });
   * await new Store(City).createMany([{ name: "Lyon", country: "FR" }, { name: "Bonn", country: "DE" }]);
   * const cities = new Store(City);
   * const rows = await Array.fromAsync(cities.sql`
   *   SELECT ${cities.columns("c")} FROM city c JOIN country k ON k.code = c.country
   *   WHERE k.name = ${"France"}`);
   * assert.ok(rows[0] instanceof City);
   * assert.deepEqual(rows.map((c) => c.name), ["Lyon"]);
   * await db.close();
   * ```
   *
   * @example With a signal, a time budget or a hook: `sql(options)` is a tag
   * ```ts
   * import { DataSet, integer, Store } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_store_sql_options");
   * class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
   * await db.createAll();
   * const store = new Store(N);
   * await store.createMany([{}, {}]);
   * const signal = AbortSignal.timeout(10_000);
   * const rows = await Array.fromAsync(store.sql({ signal })`SELECT ${store.columns()} FROM n`);
   * assert.equal(rows.length, 2);
   * await db.close();
   * ```
   */
  sql(
    strings: TemplateStringsArray,
    ...values: SQLParameter[]
  ): AsyncGenerator<Instance<M>, void, undefined>;
  /**
   * A tag that runs raw SQL as `store.sql` does, under `options`: a signal,
   * a time budget, a hook (each use of the tag is one query).
   * @param options The signal, budget and hook.
   * @returns The tag.
   * @throws {TypeError} When `options` is not an object.
   */
  sql(
    options: RunOptions,
  ): (
    strings: TemplateStringsArray,
    ...values: SQLParameter[]
  ) => AsyncGenerator<Instance<M>, void, undefined>;
  sql(
    strings: TemplateStringsArray | RunOptions,
    ...values: SQLParameter[]
  ):
    | AsyncGenerator<Instance<M>, void, undefined>
    | ((
      strings: TemplateStringsArray,
      ...values: SQLParameter[]
    ) => AsyncGenerator<Instance<M>, void, undefined>) {
    if (!isTemplate(strings)) {
      const table = this.#definition.table;
      const options = checkRunOptions(strings, `sql on ${table}`);
      return (strings, ...values) => {
        let run: Run | undefined;
        try {
          run = Run.of(options, "sql", table);
        } catch (error) {
          return cursor<Instance<M>>(undefined, error);
        }
        return this.#rawSql(strings, values, run);
      };
    }
    return this.#rawSql(strings, values, undefined);
  }

  /** `store.sql`'s rows, through projection's module (loaded once). */
  #rawSql(
    strings: TemplateStringsArray,
    values: SQLParameter[],
    run: Run | undefined,
  ): AsyncGenerator<Instance<M>, void, undefined> {
    const core = this.#core;
    if (storeSelect !== undefined) {
      return storeSelect.rawSql(core, strings, values, run);
    }
    return later(async () =>
      (await loadSelect()).rawSql(core, strings, values, run)
    );
  }

  /**
   * Yields the rows whose coordinates lie inside a box (edges included),
   * also matching a filter: filtered, then ordered, then paginated, as
   * {@linkcode Store.search} does. The model needs a `geo` option. A box
   * whose `west` is greater than its `east` crosses the antimeridian.
   * @param box The box, in degrees.
   * @param filter Property names to values or operators.
   * @param options `limit`, `offset`, `orderBy`.
   * @returns The rows, one at a time.
   * @throws {TypeError} When the model has no `geo` option, or the box is
   * not four numbers.
   * @throws {RangeError} For a latitude outside -90..90, a longitude
   * outside -180..180, or a `south` above `north`.
   *
   * @example Rows inside a box, one across the antimeridian
   * ```ts
   * import { DataSet, integer, real, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_within");
   * class Place extends db.Model("place", {
   *   id: integer({ primaryKey: true }),
   *   name: text(),
   *   lat: real(),
   *   lon: real(),
   * }, { geo: { lat: "lat", lon: "lon" }, orderBy: "name" }) {}
   * await db.createAll();
   * const places = new Store(Place);
   * await places.createMany([
   *   { name: "Suva", lat: -18.14, lon: 178.44 },
   *   { name: "Apia", lat: -13.83, lon: -171.76 },
   *   { name: "Paris", lat: 48.86, lon: 2.35 },
   * ]);
   * const pacific = { south: -30, north: 0, west: 170, east: -170 };
   * const found = await Array.fromAsync(places.within(pacific));
   * assert.deepEqual(found.map((p) => p.name), ["Apia", "Suva"]);
   * await db.close();
   * ```
   */
  within(
    box: GeoBox,
    filter?: Filter<M> & X,
    options?: SearchOptions<M>,
  ): AsyncGenerator<Instance<M>, void, undefined> {
    const core = this.#core;
    if (storeGeo !== undefined) {
      return storeGeo.within(core, box, filter, options);
    }
    return later(async () =>
      (await loadGeo()).within(core, box, filter, options)
    );
  }

  /**
   * Reads a row of a query the caller wrote: as {@linkcode Store.#read},
   * with the kinds' own read hints (a join may hold what the table's
   * STRICT hints do not promise, a NULL from an outer join).
   */
  #readLoose(statement: Statement): Instance<M> {
    const row = new this.model() as Record<string, unknown>;
    const keys = this.#keys;
    const hints = this.#plan.hints;
    for (let i = 0; i < keys.length; i++) {
      const value = statement.column(i, hints[i]);
      if (value === null) {
        row[keys[i]!] = this.#nullable[i]
          ? null
          : this.#refuse(statement, i, value);
        continue;
      }
      const decoded = this.#decoders[i]!(value);
      row[keys[i]!] = decoded === INVALID
        ? this.#refuse(statement, i, value)
        : decoded;
    }
    return row as Instance<M>;
  }

  /**
   * The rows nearest to a point, nearest first (ties by rowid), each with
   * its great-circle distance: an array of `{ row, distanceKm }`
   * ({@linkcode Nearby}), the row an instance of the model. The model needs
   * a `geo` option. Correct across the antimeridian and at the poles:
   * distances are computed in JavaScript (haversine) on the rows the
   * R*Tree finds inside boxes that grow until `limit` rows lie within
   * their inner radius, so no nearer row is ever missed.
   * @param point The point, in degrees.
   * @param options `limit` (10), `maxKm`, and a `filter`.
   * @returns The rows with their distances, nearest first.
   * @throws {TypeError} When the model has no `geo` option, or the point
   * or an option is not of the right type.
   * @throws {RangeError} For a latitude outside -90..90, a longitude
   * outside -180..180, a negative `maxKm`, or a `limit` that is negative,
   * fractional or above 32,000.
   *
   * @example The nearest rows, with their distances
   * ```ts
   * import { DataSet, integer, real, Store, text } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const db = DataSet.create("doc_nearest");
   * class Place extends db.Model("place", {
   *   id: integer({ primaryKey: true }),
   *   name: text(),
   *   lat: real(),
   *   lon: real(),
   * }, { geo: { lat: "lat", lon: "lon" } }) {}
   * await db.createAll();
   * const places = new Store(Place);
   * await places.createMany([
   *   { name: "London", lat: 51.5072, lon: -0.1276 },
   *   { name: "Paris", lat: 48.8566, lon: 2.3522 },
   *   { name: "Berlin", lat: 52.52, lon: 13.405 },
   * ]);
   * const near = await places.nearest({ lat: 48.85, lon: 2.35 }, { limit: 2 });
   * assert.deepEqual(near.map(({ row }) => row.name), ["Paris", "London"]);
   * assert.ok(Math.abs(near[1]!.distanceKm - 343) < 2);
   * const close = await places.nearest({ lat: 48.85, lon: 2.35 }, { maxKm: 100 });
   * assert.equal(close.length, 1);
   * await db.close();
   * ```
   */
  nearest(
    point: GeoPoint,
    options?: NearestOptions<M, X>,
  ): Promise<Nearby<M>[]> {
    return loadGeo().then((geo) =>
      geo.nearest(this.#core, point, options)
    ) as Promise<Nearby<M>[]>;
  }
}

function describeFilter(filter: unknown): string {
  if (filter === undefined) return "(no filter)";
  try {
    return JSON.stringify(
      filter,
      (_key, value) => typeof value === "bigint" ? `${value}n` : value,
    );
  } catch {
    return "the filter";
  }
}

/** A key value for messages: `2`, `"EUR"`, `NULL`. */
function showKey(value: SQLValue): string {
  if (value === null) return "NULL";
  if (value instanceof Uint8Array) return `a blob of ${value.length} bytes`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** A stored value for messages: `text "12abc"`, `number 0.5`, `NULL`. */
function describeStored(value: SQLValue): string {
  if (value === null) return "NULL";
  if (value instanceof Uint8Array) return `a blob of ${value.length} bytes`;
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 60)}\u2026` : value;
    return `text ${JSON.stringify(shown)}`;
  }
  return `${typeof value === "bigint" ? "integer" : "number"} ${value}`;
}

// ---------------------------------------------------------------------------
// Cold start (issue 15): the concern modules load on first use.
// Importing the runtime and a first `retrieve()` or `search()` never run
// facets, pages, text search, geo or projection, so their modules (and
// the modules only they use) are not part of `mod.ts`'s static graph. Each
// loads once, on the first call that needs it, through a literal
// `import()` cached in a module variable; `page()` answers without an
// await once its module is in.
// ---------------------------------------------------------------------------

let storeFacets: typeof import("./_store_facets.ts") | undefined;
let storePages: typeof import("./_store_pages.ts") | undefined;
let storeSelect: typeof import("./_store_select.ts") | undefined;
let storeText: typeof import("./_store_text.ts") | undefined;
let storeGeo: typeof import("./_store_geo.ts") | undefined;
let datetimeOrder: typeof import("./_datetime_order.ts") | undefined;

async function loadFacets(): Promise<typeof import("./_store_facets.ts")> {
  return storeFacets ??= await import("./_store_facets.ts");
}

async function loadPages(): Promise<typeof import("./_store_pages.ts")> {
  return storePages ??= await import("./_store_pages.ts");
}

async function loadSelect(): Promise<typeof import("./_store_select.ts")> {
  return storeSelect ??= await import("./_store_select.ts");
}

async function loadText(): Promise<typeof import("./_store_text.ts")> {
  return storeText ??= await import("./_store_text.ts");
}

async function loadGeo(): Promise<typeof import("./_store_geo.ts")> {
  return storeGeo ??= await import("./_store_geo.ts");
}

async function loadDatetimeOrder(): Promise<
  typeof import("./_datetime_order.ts")
> {
  return datetimeOrder ??= await import("./_datetime_order.ts");
}
