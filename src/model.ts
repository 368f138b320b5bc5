/**
 * Models: one declaration gives the table, its columns and constraints, and
 * the TypeScript type of a row. Declared with `dataset.Model(...)`.
 *
 * @module
 */
import {
  type AnyColumn,
  checkIdentifier,
  type Column,
  encodeValue,
} from "./columns.ts";
import type { DataSet } from "./dataset.ts";
import { foldIdentifier } from "./_rules.ts";
import {
  checkSearchOptions,
  type SearchDefinition,
  type SearchIndexOptions,
} from "./_fts.ts";

/** The columns of a model, keyed by property name. */
export type Columns = Record<string, AnyColumn>;

/** The value type of a column, `null` included when it is nullable. */
export type ValueOf<C> = C extends Column<infer T, infer N, boolean, boolean>
  ? (N extends true ? T | null : T)
  : never;

/** The plain row shape of a set of columns. */
export type RowOf<C extends Columns> = {
  -readonly [K in keyof C]: ValueOf<C[K]>;
};

/** The properties an insert may leave out. */
export type OptionalKeys<C extends Columns> = {
  [K in keyof C]: C[K] extends Column<unknown, boolean, true, boolean> ? K
    : never;
}[keyof C];
/** The properties an insert must give. */
export type RequiredKeys<C extends Columns> = Exclude<keyof C, OptionalKeys<C>>;

/** The values an insert takes for a set of columns. */
export type InsertOf<C extends Columns> =
  & { [K in RequiredKeys<C>]: ValueOf<C[K]> }
  & { [K in OptionalKeys<C>]?: ValueOf<C[K]> };

/** A property name of a model, or one prefixed with `-` for descending. */
export type OrderKey<K extends string> = K | `-${K}`;

/** Options of `dataset.Model(...)`. */
export interface ModelOptions<C extends Columns> {
  /**
   * Unique constraints over several columns, by property name.
   * @default {[]}
   */
  unique?: readonly (readonly (keyof C & string)[])[];
  /**
   * Indexes over several columns, by property name.
   * @default {[]}
   */
  indexes?: readonly (readonly (keyof C & string)[])[];
  /**
   * The default order of `Store.search()`; the primary key breaks ties.
   * @default {the primary key}
   */
  orderBy?: OrderKey<keyof C & string> | readonly OrderKey<keyof C & string>[];
  /**
   * A full-text search index (SQLite FTS5) over some text columns, queried
   * with `Store.match()`; see {@linkcode SearchIndexOptions}.
   * @default {no index}
   */
  search?: SearchIndexOptions<keyof C & string>;
  /**
   * A geo index: the properties holding each row's latitude and longitude
   * in degrees (`real` or `integer` columns; rows where either is `null`
   * are left out of the index). `createAll()` and `buildDataSet` then
   * create an R*Tree named `<table>_geo`, kept in sync on writes by
   * triggers, and `Store.within()` and `Store.nearest()` query it.
   * @default {undefined}
   */
  geo?: GeoOption<keyof C & string>;
}

/** The `geo` option of a model: its latitude and longitude properties. */
export interface GeoOption<K extends string = string> {
  /** The property holding the latitude, in degrees (-90 to 90). */
  readonly lat: K;
  /** The property holding the longitude, in degrees (-180 to 180). */
  readonly lon: K;
}

/** What the library knows about a model, derived once from its declaration. */
export interface ModelDefinition {
  /** The table name. */
  readonly table: string;
  /** The columns, keyed by property name, in declaration order. */
  readonly columns: Readonly<Record<string, AnyColumn>>;
  /** The property names, in declaration order. */
  readonly keys: readonly string[];
  /** The primary key's property names (empty: the table's rowid). */
  readonly primaryKey: readonly string[];
  /** Unique constraints, by property name. */
  readonly unique: readonly (readonly string[])[];
  /** Indexes, by property name. */
  readonly indexes: readonly (readonly string[])[];
  /** The default order, as property names with an optional `-`. */
  readonly orderBy: readonly string[];
  /** The full-text search index, `undefined` when none is declared. */
  readonly search?: SearchDefinition;
  /** The geo index's latitude and longitude properties, if declared. */
  readonly geo?: GeoOption | undefined;
}

/**
 * The class a model declaration returns; extend it to add getters and
 * methods. Its instances are rows.
 */
export interface ModelClass<C extends Columns = Columns> {
  /** Makes a row object (not stored) from values. */
  new (values?: Partial<RowOf<C>>): RowOf<C>;
  /** The table name. */
  readonly tableName: string;
  /** The columns by property name, for references: `Person.columns.id`. */
  readonly columns: Readonly<C>;
  /** The dataset the model is declared on. */
  readonly dataset: DataSet;
  /** The derived definition. */
  readonly definition: ModelDefinition;
}

/**
 * The plain data shape of a model's rows.
 *
 * @example
 * ```ts
 * import { DataSet, integer, text, type Row } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_row");
 * class Person extends db.Model("person", {
 *   id: integer({ primaryKey: true }),
 *   name: text(),
 * }) {}
 * const row: Row<typeof Person> = { id: 1, name: "Ada" };
 * assert.equal(row.name, "Ada");
 * ```
 */
export type Row<M extends { readonly columns: Columns }> = RowOf<M["columns"]>;

/**
 * The values `Store.create()` takes: defaulted, nullable and integer
 * primary key columns are optional.
 *
 * @example
 * ```ts
 * import { DataSet, integer, text, type Insert } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_insert");
 * class Person extends db.Model("person", {
 *   id: integer({ primaryKey: true }),
 *   name: text(),
 *   nick: text({ nullable: true }),
 * }) {}
 * const values: Insert<typeof Person> = { name: "Ada" };
 * assert.equal(values.name, "Ada");
 * ```
 */
export type Insert<M extends { readonly columns: Columns }> = InsertOf<
  M["columns"]
>;

/**
 * Any model class, subclasses with their own constructors included: what
 * stores and helpers accept.
 */
export interface AnyModel {
  /** Makes a row object; subclasses may declare their own parameters. */
  // deno-lint-ignore no-explicit-any -- subclasses may declare any constructor
  new (...args: any[]): object;
  /** The table name. */
  readonly tableName: string;
  /** The columns by property name. */
  readonly columns: Columns;
  /** The dataset the model is declared on. */
  readonly dataset: DataSet;
  /** The derived definition. */
  readonly definition: ModelDefinition;
}

const TABLE_NAME = /^[^\0]+$/;

/** Parses `"-born"` into its key and direction. */
export function parseOrderKey(
  entry: unknown,
  keys: readonly string[],
  table: string,
): { key: string; descending: boolean } {
  if (typeof entry !== "string") {
    throw new TypeError(
      `Invalid orderBy for ${table}: expected property names, got ${typeof entry}`,
    );
  }
  const descending = entry.startsWith("-");
  const key = descending ? entry.slice(1) : entry;
  if (!Object.hasOwn(Object.fromEntries(keys.map((k) => [k, 1])), key)) {
    throw new TypeError(
      `Invalid orderBy for ${table}: unknown property ${
        JSON.stringify(key)
      }; expected one of ${keys.join(", ")}`,
    );
  }
  return { key, descending };
}

/**
 * Declares a model on a dataset. Used by `DataSet.prototype.Model`.
 * @internal
 */
export function declareModel<C extends Columns>(
  dataset: DataSet,
  table: string,
  columns: C,
  options: ModelOptions<C>,
): ModelClass<C> {
  if (
    typeof table !== "string" || !TABLE_NAME.test(table) ||
    foldIdentifier(table).startsWith("sqlite_")
  ) {
    throw invalidTable(table);
  }
  const keys = Object.keys(columns);
  if (keys.length === 0) throw invalidColumns(table, columns, keys);
  const sqlNames = new Set<string>();
  for (const key of keys) {
    checkIdentifier(key, "property");
    const column = columns[key];
    if (!(column instanceof Object) || !("kind" in column)) {
      throw invalidColumns(table, columns, [key]);
    }
    column.bind(table, key);
    const name = foldIdentifier(column.bound.name);
    if (sqlNames.has(name)) throw invalidColumns(table, columns, [key]);
    sqlNames.add(name);
  }
  const primaryKey = keys.filter((key) =>
    columns[key]!.options.primaryKey === true
  );
  if (
    sqlNames.has("rowid") &&
    (primaryKey.length === 0 || options.geo !== undefined)
  ) {
    throw rowidHidden(table, primaryKey);
  }
  const orderBy = options.orderBy === undefined
    ? []
    : typeof options.orderBy === "string"
    ? [options.orderBy]
    : [...options.orderBy];
  for (const entry of orderBy) parseOrderKey(entry, keys, table);

  // Options a plain model does not give are not checked (their checks are
  // not even compiled on a cold start, issue 15).
  const definition: ModelDefinition = Object.freeze({
    table,
    columns: Object.freeze({ ...columns }),
    keys: Object.freeze(keys),
    primaryKey: Object.freeze(primaryKey),
    unique: options.unique === undefined || options.unique === null
      ? []
      : checkGroups(options.unique, "unique", table, keys),
    indexes: options.indexes === undefined || options.indexes === null
      ? []
      : checkGroups(options.indexes, "indexes", table, keys),
    orderBy: Object.freeze(orderBy),
    ...(options.search === undefined
      ? {}
      : { search: checkSearchOptions(options.search, table, columns) }),
    geo: options.geo === undefined
      ? undefined
      : checkGeo(options.geo, columns, table),
  });
  for (const key of keys) {
    const column = columns[key]!;
    if (column.options.default !== undefined) {
      encodeValue(column, column.options.default, "default");
    }
  }

  const frozenColumns = Object.freeze({ ...columns });
  const Model = class {
    static readonly tableName: string = table;
    static readonly columns: Readonly<C> = frozenColumns;
    static readonly dataset: DataSet = dataset;
    static readonly definition: ModelDefinition = definition;

    constructor(values?: Partial<RowOf<C>>) {
      if (values !== undefined) Object.assign(this, values);
    }
  };
  Object.defineProperty(Model, "name", { value: table });
  return Model as unknown as ModelClass<C>;
}

/** The error of a table name that is not a string, or is SQLite's. */
function invalidTable(table: unknown): TypeError {
  return new TypeError(
    `Invalid table name ${JSON.stringify(table)}: ${
      typeof table === "string" && TABLE_NAME.test(table)
        ? 'names starting with "sqlite_" are reserved by SQLite'
        : "expected a non-empty string without NUL characters"
    }`,
  );
}

/**
 * The error of a model with no columns (`keys` empty), or of its property
 * `keys[0]`: not a column, or a second property on the same SQL column.
 */
function invalidColumns(
  table: string,
  columns: Columns,
  keys: readonly string[],
): TypeError {
  const key = keys[0];
  if (key === undefined) {
    return new TypeError(`Cannot declare model ${table}: it has no columns`);
  }
  const column = columns[key];
  if (!(column instanceof Object) || !("kind" in column)) {
    return new TypeError(
      `Cannot declare ${table}.${key}: expected a column from integer(), text(), ...`,
    );
  }
  return new TypeError(
    `Cannot declare model ${table}: two properties map to the SQL column ${
      JSON.stringify(column.bound.name)
    }`,
  );
}

/**
 * The error of a column named `rowid` where the store needs the table's
 * rowid, which it hides: rows would tie in order and pages skip them
 * (no primary key), or the geo index would key the wrong rows.
 */
function rowidHidden(table: string, primaryKey: readonly string[]): TypeError {
  return new TypeError(
    `Cannot declare model ${table}: its column "rowid" hides the table's rowid, which ${
      primaryKey.length === 0
        ? "orders and pages rows without a primary key; declare a primary key"
        : "keys the geo index"
    }`,
  );
}

/** Checks a model's `unique` or `indexes` option: arrays of properties. */
function checkGroups(
  groups: readonly (readonly string[])[],
  what: string,
  table: string,
  keys: readonly string[],
): readonly (readonly string[])[] {
  return groups.map((group) => {
    if (!Array.isArray(group) || group.length === 0) {
      throw new TypeError(
        `Invalid ${what} for ${table}: expected arrays of property names`,
      );
    }
    for (const key of group) {
      if (!keys.includes(key)) {
        throw new TypeError(
          `Invalid ${what} for ${table}: unknown property ${
            JSON.stringify(key)
          }; expected one of ${keys.join(", ")}`,
        );
      }
    }
    return [...group];
  });
}

/** Checks a model's `geo` option: two distinct number properties. */
function checkGeo(
  geo: unknown,
  columns: Columns,
  table: string,
): GeoOption | undefined {
  if (geo === undefined) return undefined;
  const invalid = `Invalid geo option for ${table}`;
  if (geo === null || typeof geo !== "object" || Array.isArray(geo)) {
    throw new TypeError(
      `${invalid}: expected { lat: "<property>", lon: "<property>" }`,
    );
  }
  for (const name of Object.keys(geo)) {
    if (name !== "lat" && name !== "lon") {
      throw new TypeError(
        `${invalid}: unknown field ${
          JSON.stringify(name)
        }; expected lat and lon`,
      );
    }
  }
  const { lat, lon } = geo as { lat?: unknown; lon?: unknown };
  for (const [field, key] of [["lat", lat], ["lon", lon]] as const) {
    if (typeof key !== "string" || !Object.hasOwn(columns, key)) {
      throw new TypeError(
        `${invalid}: ${field} must name a property; expected one of ${
          Object.keys(columns).join(", ")
        }, got ${JSON.stringify(key)}`,
      );
    }
    const kind = columns[key]!.kind;
    if (kind !== "real" && kind !== "integer") {
      throw new TypeError(
        `${invalid}: ${field} property ${key} is a ${kind} column; expected a real or integer column`,
      );
    }
  }
  if (lat === lon) {
    throw new TypeError(
      `${invalid}: lat and lon both name ${JSON.stringify(lat)}`,
    );
  }
  return Object.freeze({ lat: lat as string, lon: lon as string });
}
