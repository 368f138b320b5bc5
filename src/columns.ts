/**
 * Column builders. Each call declares one column of a model: its SQL type,
 * nullability, default, key and index flags, and the TypeScript type of its
 * value.
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";
import { type EncodeFailure, kindOf } from "./_kinds.ts";

/** The kinds of column the library stores and reads. */
export type ColumnKind =
  | "integer"
  | "real"
  | "text"
  | "blob"
  | "boolean"
  | "json"
  | "bigint"
  | "datetime"
  | "any";

/**
 * How a {@linkcode datetime} column stores its dates: ISO-8601 text, or
 * Unix epoch seconds or milliseconds.
 */
export type DatetimeStorage = "text" | "seconds" | "milliseconds";

/** What a foreign key does when the referenced row is deleted or updated. */
export type ForeignKeyAction =
  | "NO ACTION"
  | "RESTRICT"
  | "SET NULL"
  | "SET DEFAULT"
  | "CASCADE";

/** A JSON value, as stored by {@linkcode json} columns. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Options every column builder takes. */
export interface ColumnOptions<T> {
  /**
   * The SQL column name, when it differs from the property name. Filters,
   * ordering and rows always use the property name.
   * @default {the property name}
   */
  name?: string;
  /**
   * Whether the column accepts `null`.
   * @default {false}
   */
  nullable?: boolean;
  /**
   * The value SQLite stores when an insert leaves the column out.
   * @default {undefined}
   */
  default?: T;
  /**
   * Whether the column is (part of) the primary key. Several columns with
   * `primaryKey: true` make a composite key.
   * @default {false}
   */
  primaryKey?: boolean;
  /**
   * Whether the column's values are unique.
   * @default {false}
   */
  unique?: boolean;
  /**
   * Whether to create an index on the column.
   * @default {false}
   */
  index?: boolean;
  /**
   * The column this one references, as a function so models may refer to
   * each other in any order: `references: () => Person.columns.id`.
   * @default {undefined}
   */
  references?: () => Column<unknown, boolean, boolean, boolean>;
  /**
   * What happens to this row when the referenced row is deleted.
   * @default {"NO ACTION"}
   */
  onDelete?: ForeignKeyAction;
}

/** Options of {@linkcode integer}. */
export interface IntegerOptions extends ColumnOptions<number> {}
/** Options of {@linkcode real}. */
export interface RealOptions extends ColumnOptions<number> {}
/** Options of {@linkcode text}. */
export interface TextOptions extends ColumnOptions<string> {}
/** Options of {@linkcode blob}. */
export interface BlobOptions extends ColumnOptions<Uint8Array> {}
/** Options of {@linkcode boolean}. */
export interface BooleanOptions extends ColumnOptions<boolean> {}
/** Options of {@linkcode json}. */
export interface JsonOptions<T extends JsonValue = JsonValue>
  extends ColumnOptions<T> {}
/** Options of {@linkcode bigint}. */
export interface BigIntOptions extends ColumnOptions<bigint> {}
/** Options of {@linkcode datetime}. */
export interface DatetimeOptions extends ColumnOptions<Date> {
  /**
   * How dates are stored: ISO-8601 text (`2024-01-02T03:04:05.678Z`), or
   * Unix epoch `"seconds"` (fractional below a second) or `"milliseconds"`.
   * @default {"text"}
   */
  storage?: DatetimeStorage;
}
/** A value as SQLite stores it, as an {@linkcode any} column reads it. */
export type StoredValue = null | number | bigint | string | Uint8Array;
/** Options of {@linkcode any}. */
export interface AnyOptions extends ColumnOptions<StoredValue> {}

/** `true` when the options make the column nullable. */
export type NullableOf<O> = O extends { nullable: true } ? true : false;

/**
 * `true` when an insert may leave the column out: it is nullable, has a
 * default, or is an integer primary key (SQLite assigns it).
 */
export type OptionalOf<O, T> = O extends { nullable: true } ? true
  : O extends { default: unknown } ? true
  : O extends { primaryKey: true } ? (T extends number ? true : false)
  : false;

/** `true` when the options make the column (part of) the primary key. */
export type PrimaryKeyOf<O> = O extends { primaryKey: true } ? true : false;

/** The column a model property maps to, as the model resolved it. */
export interface BoundColumn {
  /** The model's table name. */
  readonly table: string;
  /** The property name. */
  readonly key: string;
  /** The SQL column name. */
  readonly name: string;
}

const VALID_ACTIONS: readonly ForeignKeyAction[] = [
  "NO ACTION",
  "RESTRICT",
  "SET NULL",
  "SET DEFAULT",
  "CASCADE",
];

/**
 * One declared column. `T` is the value type, `N` whether it is nullable,
 * `O` whether inserts may leave it out, `K` whether it is part of the
 * primary key. Made by the column builders; models bind it to a table and
 * property when declared.
 *
 * @example
 * ```ts
 * import { text } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const column = text({ nullable: true, name: "LastName" });
 * assert.equal(column.kind, "text");
 * assert.equal(column.nullable, true);
 * ```
 */
export class Column<
  T,
  N extends boolean = false,
  O extends boolean = false,
  K extends boolean = false,
> {
  /** Type only: the value type. Never set at run time. */
  declare readonly __type: T;
  /** Type only: whether the column is nullable. Never set at run time. */
  declare readonly __nullable: N;
  /** Type only: whether inserts may leave it out. Never set at run time. */
  declare readonly __optional: O;
  /** Type only: whether it is part of the primary key. Never set at run time. */
  declare readonly __primaryKey: K;
  /** The kind of value. */
  readonly kind: ColumnKind;
  /** The options as given. */
  readonly options: Readonly<ColumnOptions<T>>;
  #bound: BoundColumn | undefined;

  /**
   * Creates a column; prefer the builders ({@linkcode integer}, ...).
   * @param kind The kind of value.
   * @param options The options.
   */
  constructor(kind: ColumnKind, options: ColumnOptions<T> = {}) {
    this.kind = kind;
    this.options = { ...options };
    if (options.name !== undefined) checkIdentifier(options.name, "column");
    if (
      options.onDelete !== undefined &&
      !VALID_ACTIONS.includes(options.onDelete)
    ) {
      throw new TypeError(
        `Cannot declare column: onDelete must be one of ${
          VALID_ACTIONS.join(", ")
        }, got ${JSON.stringify(options.onDelete)}`,
      );
    }
    const storage = (options as DatetimeOptions).storage;
    if (
      storage !== undefined &&
      (kind !== "datetime" ||
        !["text", "seconds", "milliseconds"].includes(storage))
    ) {
      throw new TypeError(
        `Cannot declare column: storage must be "text", "seconds" or "milliseconds" on a datetime column, got ${
          JSON.stringify(storage)
        }`,
      );
    }
    if (options.default !== undefined) {
      encodeValue(this, options.default, "default");
    }
  }

  /** Whether the column accepts `null`. */
  get nullable(): boolean {
    return this.options.nullable === true;
  }

  /** The table, property and SQL name, once a model declared the column. */
  get bound(): BoundColumn {
    if (this.#bound === undefined) {
      throw new TypeError(
        "Cannot use column: it is not declared on a model yet",
      );
    }
    return this.#bound;
  }

  /** @internal Called once by the model declaration. */
  bind(table: string, key: string): void {
    if (this.#bound !== undefined) {
      throw new TypeError(
        `Cannot declare ${table}.${key}: the column object is already used by ${this.#bound.table}.${this.#bound.key}`,
      );
    }
    this.#bound = { table, key, name: this.options.name ?? key };
  }
}

/** Any column. */
// deno-lint-ignore no-explicit-any -- the widest column, for constraints
export type AnyColumn = Column<any, boolean, boolean, boolean>;

const IDENTIFIER = /^[^\0]+$/;

/** Checks a table or column name: not empty, no NUL. */
export function checkIdentifier(name: string, what: string): void {
  if (typeof name !== "string" || !IDENTIFIER.test(name)) {
    throw new TypeError(
      `Invalid ${what} name ${
        JSON.stringify(name)
      }: expected a non-empty string without NUL characters`,
    );
  }
}

/** Quotes an identifier for SQL text. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Uint8Array) return "Uint8Array";
  if (value instanceof Date) return "Date";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * What a `null` written to the column stores when that is not SQL NULL: a
 * NOT NULL column's kind's own null (the JSON text `null`), else
 * `undefined`.
 * @param column The column.
 * @returns The value to bind, or `undefined` for SQL NULL.
 */
export function storedNull(column: AnyColumn): SQLValue | undefined {
  return column.nullable ? undefined : kindOf(column).nullStored;
}

/**
 * Converts a JavaScript value into what SQLite stores for the column, or
 * throws `TypeError`/`RangeError` naming the column.
 * @param column The column.
 * @param value The value.
 * @param where Where the value came from, for the message.
 * @returns The value to bind.
 */
export function encodeValue(
  column: AnyColumn,
  value: unknown,
  where: string,
): SQLValue {
  if (value === null) return storedNull(column) ?? null;
  const label = () => {
    try {
      const bound = column.bound;
      return `${bound.table}.${bound.key}`;
    } catch {
      return `a ${column.kind} column`;
    }
  };
  const fail: EncodeFailure = {
    type(expected) {
      throw new TypeError(
        `Invalid ${where} for ${label()}: expected ${expected}, got ${
          describe(value)
        }`,
      );
    },
    range(detail) {
      throw new RangeError(`Invalid ${where} for ${label()}: ${detail}`);
    },
    serialize(detail, cause) {
      throw new TypeError(`Invalid ${where} for ${label()}: ${detail}`, {
        cause,
      });
    },
  };
  return kindOf(column).encode(value, fail);
}

/** Renders a default value as an SQL literal for `CREATE TABLE`. */
export function sqlLiteral(value: SQLValue): string {
  if (value === null) return "NULL";
  if (typeof value === "number") {
    if (value === Infinity) return "9e999";
    if (value === -Infinity) return "-9e999";
    return String(value);
  }
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`;
  let hex = "";
  for (const byte of value) hex += byte.toString(16).padStart(2, "0");
  return `X'${hex}'`;
}

/**
 * An `INTEGER` column read as `number`. Values beyond 2^53 raise
 * `RangeError` when read; use {@linkcode bigint} for those.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { DataSet, integer, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_integer");
 * class Item extends db.Model("item", { id: integer({ primaryKey: true }) }) {}
 * await db.createAll();
 * assert.equal((await new Store(Item).create({})).id, 1);
 * await db.close();
 * ```
 */
export function integer<const O extends IntegerOptions = Record<never, never>>(
  options?: O,
): Column<number, NullableOf<O>, OptionalOf<O, number>, PrimaryKeyOf<O>> {
  return new Column("integer", options);
}

/**
 * A `REAL` column read as `number`. `NaN` cannot be stored.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { DataSet, integer, real, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_real");
 * class Price extends db.Model("price", {
 *   id: integer({ primaryKey: true }),
 *   amount: real({ default: 0 }),
 * }) {}
 * await db.createAll();
 * assert.equal((await new Store(Price).create({ amount: 2.5 })).amount, 2.5);
 * await db.close();
 * ```
 */
export function real<const O extends RealOptions = Record<never, never>>(
  options?: O,
): Column<number, NullableOf<O>, OptionalOf<O, never>, PrimaryKeyOf<O>> {
  return new Column("real", options);
}

/**
 * A `TEXT` column read as `string`.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { DataSet, text, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_text");
 * class Tag extends db.Model("tag", { name: text({ primaryKey: true }) }) {}
 * await db.createAll();
 * await new Store(Tag).create({ name: "blue" });
 * assert.equal((await new Store(Tag).retrieve("blue")).name, "blue");
 * await db.close();
 * ```
 */
export function text<const O extends TextOptions = Record<never, never>>(
  options?: O,
): Column<string, NullableOf<O>, OptionalOf<O, never>, PrimaryKeyOf<O>> {
  return new Column("text", options);
}

/**
 * A `BLOB` column read as `Uint8Array`.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { DataSet, blob, integer, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_blob");
 * class File extends db.Model("file", {
 *   id: integer({ primaryKey: true }),
 *   data: blob(),
 * }) {}
 * await db.createAll();
 * const file = await new Store(File).create({ data: new Uint8Array([0, 1]) });
 * assert.deepEqual(file.data, new Uint8Array([0, 1]));
 * await db.close();
 * ```
 */
export function blob<const O extends BlobOptions = Record<never, never>>(
  options?: O,
): Column<Uint8Array, NullableOf<O>, OptionalOf<O, never>, PrimaryKeyOf<O>> {
  return new Column("blob", options);
}

/**
 * A boolean column, stored as `INTEGER` 0 or 1.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { boolean, DataSet, integer, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_boolean");
 * class Flag extends db.Model("flag", {
 *   id: integer({ primaryKey: true }),
 *   on: boolean({ default: true }),
 * }) {}
 * await db.createAll();
 * assert.equal((await new Store(Flag).create({})).on, true);
 * await db.close();
 * ```
 */
export function boolean<const O extends BooleanOptions = Record<never, never>>(
  options?: O,
): Column<boolean, NullableOf<O>, OptionalOf<O, never>, PrimaryKeyOf<O>> {
  return new Column("boolean", options);
}

/**
 * A JSON column, stored as `TEXT` and parsed when read. Give the value type
 * as a type argument: `json<string[]>({ default: [] })`.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { DataSet, integer, json, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_json");
 * class Doc extends db.Model("doc", {
 *   id: integer({ primaryKey: true }),
 *   body: json<{ tags: string[] }>(),
 * }) {}
 * await db.createAll();
 * const doc = await new Store(Doc).create({ body: { tags: ["a"] } });
 * assert.deepEqual(doc.body, { tags: ["a"] });
 * await db.close();
 * ```
 */
export function json<T extends JsonValue = JsonValue>(
  options: JsonOptions<T> & { nullable: true },
): Column<T, true, true>;
/**
 * A JSON column with a default: inserts may leave it out.
 * @param options The column options.
 * @returns The column.
 */
export function json<T extends JsonValue = JsonValue>(
  options: JsonOptions<T> & { default: T },
): Column<T, false, true>;
/**
 * A JSON column, required on insert.
 * @param options The column options.
 * @returns The column.
 */
export function json<T extends JsonValue = JsonValue>(
  options?: JsonOptions<T>,
): Column<T, false, false>;
export function json<T extends JsonValue = JsonValue>(
  options?: JsonOptions<T>,
): Column<T, boolean, boolean> {
  return new Column<T, boolean, boolean>("json", options);
}

/**
 * An `INTEGER` column read as `bigint`, exact over the full 64-bit range.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { bigint, DataSet, integer, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_bigint");
 * class Counter extends db.Model("counter", {
 *   id: integer({ primaryKey: true }),
 *   total: bigint(),
 * }) {}
 * await db.createAll();
 * const counter = await new Store(Counter).create({ total: 2n ** 60n });
 * assert.equal(counter.total, 2n ** 60n);
 * await db.close();
 * ```
 */
export function bigint<const O extends BigIntOptions = Record<never, never>>(
  options?: O,
): Column<bigint, NullableOf<O>, OptionalOf<O, never>, PrimaryKeyOf<O>> {
  return new Column("bigint", options);
}

/**
 * A date-and-time column read as `Date`. Stored as ISO-8601 text
 * (`2024-01-02T03:04:05.678Z`, the default) or as Unix epoch seconds or
 * milliseconds (`storage` option). Text is read in the forms SQLite's date
 * functions read: `T` or a space between date and time, the date alone,
 * seconds and fraction optional, `Z` or `±HH:MM` after it; a text without a
 * zone is UTC, never local time. Invalid `Date`s are refused on write.
 * Filters take `Date`s, and compare text in any of those forms as the
 * instants they name.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { datetime, DataSet, integer, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_datetime");
 * class Event extends db.Model("event", {
 *   id: integer({ primaryKey: true }),
 *   at: datetime(),
 *   seen: datetime({ storage: "milliseconds", nullable: true }),
 * }) {}
 * await db.createAll();
 * const store = new Store(Event);
 * await store.create({ at: new Date("2024-01-02T03:04:05Z"), seen: null });
 * const found = await store.one({ at: { gte: new Date("2024-01-01") } });
 * assert.equal(found.at.toISOString(), "2024-01-02T03:04:05.000Z");
 * await db.close();
 * ```
 */
export function datetime<
  const O extends DatetimeOptions = Record<never, never>,
>(
  options?: O,
): Column<Date, NullableOf<O>, OptionalOf<O, never>> {
  return new Column("datetime", options);
}

/**
 * A column of any stored value, read as it is stored: `number`, `bigint`
 * beyond 2^53, `string`, `Uint8Array` or `null`. For columns declared
 * without a type or as `ANY`; `codegen` uses it for those.
 *
 * @param options The column options.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { any, DataSet, integer, Store } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_any");
 * class Cell extends db.Model("cell", {
 *   id: integer({ primaryKey: true }),
 *   value: any({ nullable: true }),
 * }) {}
 * await db.createAll();
 * const store = new Store(Cell);
 * await store.createMany([{ value: 1.5 }, { value: "x" }, { value: null }]);
 * const values = await Array.fromAsync(store.search(), (cell) => cell.value);
 * assert.deepEqual(values, [1.5, "x", null]);
 * await db.close();
 * ```
 */
export function any<const O extends AnyOptions = Record<never, never>>(
  options?: O,
): Column<StoredValue, NullableOf<O>, OptionalOf<O, never>> {
  return new Column("any", options);
}
