/**
 * Filters: objects keyed by property name, compiled to SQL conditions with
 * every value bound as a parameter.
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";
import { kindOf } from "./_kinds.ts";
import { type AnyColumn, encodeValue, quote } from "./columns.ts";
import type { Columns, RowOf } from "./model.ts";
import { containsSql, endsWithSql, startsWithSql } from "./_sql.ts";

/**
 * A condition in SQL with its parameters. Store subclasses return these from
 * their filter hook; the SQL text must come from code, never from input.
 */
export interface Condition {
  /** SQL text with `?` placeholders. */
  readonly sql: string;
  /** The values of the placeholders, in order. */
  readonly params: readonly SQLValue[];
}

/** The operators a filter value may use. */
export interface Operators<T> {
  /** Equal (`null`: `IS NULL`). */
  eq?: T | null;
  /** Not equal; rows holding `null` match (`null`: `IS NOT NULL`). */
  ne?: T | null;
  /** Less than. Comparisons never match `null`. */
  lt?: T;
  /** Less than or equal. */
  lte?: T;
  /** Greater than. */
  gt?: T;
  /** Greater than or equal. */
  gte?: T;
  /** One of the values. */
  in?: readonly (T | null)[];
  /** None of the values; rows holding `null` match unless it is listed. */
  notIn?: readonly (T | null)[];
  /** SQL `LIKE` pattern (`%`, `_`; case-insensitive for ASCII). */
  like?: T extends string ? string : never;
  /**
   * Starts with the text: exact and case-sensitive, no pattern characters
   * (`%`, `_`, `*` match themselves); uses an index on the column.
   */
  startsWith?: T extends string ? string : never;
  /** Contains the text: exact and case-sensitive, no pattern characters. */
  contains?: T extends string ? string : never;
  /** Ends with the text: exact and case-sensitive, no pattern characters. */
  endsWith?: T extends string ? string : never;
}

/** The names of the filter operators. */
export const OPERATORS: readonly (keyof Operators<unknown>)[] = [
  "eq",
  "ne",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "notIn",
  "like",
  "startsWith",
  "contains",
  "endsWith",
];

/** What a filter accepts for one value type: the value, or operators. */
export type FilterValue<V> = V | Operators<NonNullable<V>>;

/**
 * A filter over a set of columns. Mutable, so a filter can be built step by
 * step: `const filter: Filter<typeof Person> = {}; filter.last = "Adams";`.
 */
export type FilterOf<C extends Columns> =
  & {
    -readonly [K in keyof C]?: FilterValue<RowOf<C>[K]>;
  }
  & {
    /** Any of these filters (see {@linkcode or}). */
    [or]?: readonly FilterOf<C>[];
  };

/**
 * The filter key of an `or`: `{ [or]: [filterA, filterB] }` matches the
 * rows that match any of the filters (and every other key beside it). A
 * symbol, because a property may take any name that has no NUL (`$or`
 * included), and no string key is free of that clash; `Object.keys` never
 * lists a symbol, so no property can be mistaken for it.
 *
 * @example
 * ```ts
 * import { DataSet, integer, or, Store, text } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_or");
 * class P extends db.Model("p", { id: integer({ primaryKey: true }), name: text() }) {}
 * await db.createAll();
 * const store = new Store(P);
 * await store.createMany([{ name: "Ada" }, { name: "Bob" }, { name: "Cy" }]);
 * const rows = await Array.fromAsync(
 *   store.search({ [or]: [{ name: "Ada" }, { name: { startsWith: "C" } }] }),
 * );
 * assert.deepEqual(rows.map((p) => p.name), ["Ada", "Cy"]);
 * await db.close();
 * ```
 */
export const or: unique symbol = Symbol("microcosm.or");

/** The most values one filter binds (SQLite allows 32766 parameters). */
export const MAX_LIST = 32000;
/** The longest `like` pattern SQLite accepts, in UTF-8 bytes. */
const MAX_LIKE_BYTES = 50000;

/**
 * Whether a filter value is an operators object. The kind decides which
 * objects are its values (a `Date` for a datetime column); any other object
 * that is not a plain object is refused here, naming what it is.
 */
function isOperatorObject(value: unknown, column: AnyColumn): boolean {
  if (value === null || typeof value !== "object") return false;
  const shape = kindOf(column).filterShape(value);
  if (shape !== undefined) return shape === "operators";
  const { table, key } = column.bound;
  throw new TypeError(
    `Invalid filter for ${table}.${key}: expected a value or an operators object, got ${
      describeObject(value)
    }`,
  );
}

/** Names an object that is neither a value nor plain operators. */
function describeObject(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor
    ?.name;
  return typeof name === "string" && name !== "" && name !== "Object"
    ? `a ${name} object`
    : "an object with a prototype";
}

/**
 * Compiles the condition of one column.
 * @param column The column.
 * @param value A value, `null`, or an operators object.
 * @returns The condition.
 */
export function columnCondition(column: AnyColumn, value: unknown): Condition {
  const { table, key, name } = column.bound;
  const raw = quote(name);
  // Comparisons go through the kind's wrapper (julianday() for datetime
  // text), on the column and on each placeholder alike.
  const { compared, nullSql } = kindOf(column);
  const id = compared === undefined ? raw : compared(raw);
  const slot = compared === undefined ? "?" : compared("?");
  // `null` is SQL NULL, or what else the kind reads as null (JSON null).
  const isNull = nullSql === undefined ? `${raw} IS NULL` : nullSql(raw);
  const notNull = nullSql === undefined
    ? `${raw} IS NOT NULL`
    : `NOT ${nullSql(raw)}`;
  const where = `filter value`;
  if (value === undefined) {
    throw new TypeError(
      `Invalid filter for ${table}.${key}: the value is undefined (use null for IS NULL)`,
    );
  }
  if (value === null) return { sql: isNull, params: [] };
  if (!isOperatorObject(value, column)) {
    return {
      sql: `${id} = ${slot}`,
      params: [encodeValue(column, value, where)],
    };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) {
    throw new TypeError(
      `Invalid filter for ${table}.${key}: the operators object is empty; expected one of ${
        OPERATORS.join(", ")
      }`,
    );
  }
  const parts: string[] = [];
  const params: SQLValue[] = [];
  for (const [operator, operand] of entries) {
    if (!(OPERATORS as readonly string[]).includes(operator)) {
      throw new TypeError(
        `Invalid filter for ${table}.${key}: unknown operator ${
          JSON.stringify(operator)
        }; expected one of ${OPERATORS.join(", ")}`,
      );
    }
    if (operand === undefined) {
      throw new TypeError(
        `Invalid filter for ${table}.${key}: the value of ${operator} is undefined`,
      );
    }
    switch (operator) {
      case "eq":
      case "ne":
        if (operand === null) {
          parts.push(operator === "eq" ? isNull : notNull);
        } else {
          // IS NOT: a null row is "not equal" to a value, as in JavaScript.
          parts.push(`${id} ${operator === "eq" ? "=" : "IS NOT"} ${slot}`);
          params.push(encodeValue(column, operand, where));
        }
        break;
      case "lt":
      case "lte":
      case "gt":
      case "gte": {
        if (operand === null) {
          throw new TypeError(
            `Invalid filter for ${table}.${key}: ${operator} cannot compare with null`,
          );
        }
        const sign = { lt: "<", lte: "<=", gt: ">", gte: ">=" }[operator];
        parts.push(`${id} ${sign} ${slot}`);
        params.push(encodeValue(column, operand, where));
        break;
      }
      case "in":
      case "notIn": {
        if (!Array.isArray(operand)) {
          throw new TypeError(
            `Invalid filter for ${table}.${key}: ${operator} takes an array`,
          );
        }
        if (operand.length > MAX_LIST) {
          throw new RangeError(
            `Invalid filter for ${table}.${key}: ${operator} takes at most ${MAX_LIST} values, got ${operand.length}`,
          );
        }
        const values = operand.filter((item) => item !== null);
        const hasNull = values.length !== operand.length;
        const list = values.map((item) => encodeValue(column, item, where));
        const inList = list.length === 0
          ? "0"
          : `${id} IN (${list.map(() => slot).join(", ")})`;
        if (operator === "in") {
          parts.push(hasNull ? `(${inList} OR ${isNull})` : inList);
        } else {
          parts.push(
            list.length === 0
              ? (hasNull ? notNull : "1")
              : `(${id} NOT IN (${list.map(() => slot).join(", ")})${
                hasNull ? ` AND ${notNull}` : ` OR ${isNull}`
              })`,
          );
        }
        params.push(...list);
        break;
      }
      case "like":
        if (typeof operand !== "string") {
          throw new TypeError(
            `Invalid filter for ${table}.${key}: like takes a string pattern`,
          );
        }
        if (
          operand.length * 3 > MAX_LIKE_BYTES &&
          new TextEncoder().encode(operand).length > MAX_LIKE_BYTES
        ) {
          throw new RangeError(
            `Invalid filter for ${table}.${key}: the like pattern is longer than SQLite's limit of ${MAX_LIKE_BYTES} bytes`,
          );
        }
        parts.push(`${raw} LIKE ?`);
        params.push(operand);
        break;
      case "startsWith":
      case "contains":
      case "endsWith": {
        if (typeof operand !== "string") {
          throw new TypeError(
            `Invalid filter for ${table}.${key}: ${operator} takes a string, got ${typeof operand}`,
          );
        }
        if (column.kind !== "text") {
          throw new TypeError(
            `Invalid filter for ${table}.${key}: ${operator} applies to text() columns, not ${column.kind}()`,
          );
        }
        const condition = operator === "startsWith"
          ? startsWithSql(raw, operand)
          : operator === "contains"
          ? containsSql(raw, operand)
          : endsWithSql(raw, operand);
        parts.push(condition.sql);
        params.push(...condition.params);
        break;
      }
    }
  }
  return { sql: parts.join(" AND "), params };
}
