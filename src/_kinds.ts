/**
 * The kinds table: everything a column kind means, in one entry per kind.
 *
 * Each entry holds the SQL type, the read hint, the encoding (JavaScript to
 * SQL) and decoding (SQL to JavaScript), the loaders' text and JSON
 * conversions, the check `verifyDataSet` runs on stored values, the text a
 * dump writes, how a filter tells a value from an operators object, the
 * `CHECK` of `CREATE TABLE` and the builder `codegen` emits. No other module
 * switches on a kind: they ask {@linkcode kindOf} for the entry.
 *
 * The decoding rule is one for both engines: a stored value is returned only
 * when it is exactly what the kind holds (an integral REAL in an integer
 * column, an INTEGER or REAL in a text column as SQLite's text of it);
 * anything else is {@linkcode INVALID}, which the reader turns into a
 * `DataSetError` naming the table, column, row and stored value.
 *
 * @module
 */
import { ColumnHint, type SQLValue } from "./_engine.ts";
import type { AnyColumn, ColumnKind, DatetimeStorage } from "./columns.ts";
import type { ModelDefinition } from "./model.ts";

/** The largest integer a `number` holds exactly: 2^53 - 1. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** The smallest 64-bit signed integer: -2^63. */
export const INT64_MIN: bigint = -(2n ** 63n);
/** The largest 64-bit signed integer: 2^63 - 1. */
export const INT64_MAX: bigint = 2n ** 63n - 1n;

/** SQLite's type affinities (section 3.1 of its documentation). */
export type Affinity = "INTEGER" | "TEXT" | "BLOB" | "REAL" | "NUMERIC";

/** SQLite's type affinity of a declared column type. */
export function affinity(declared: string): Affinity {
  const type = declared.toUpperCase();
  if (type.includes("INT")) return "INTEGER";
  if (type.includes("CHAR") || type.includes("CLOB") || type.includes("TEXT")) {
    return "TEXT";
  }
  if (type.includes("BLOB") || type === "") return "BLOB";
  if (type.includes("REAL") || type.includes("FLOA") || type.includes("DOUB")) {
    return "REAL";
  }
  return "NUMERIC";
}

/** Stored values a kind reads as they are (see {@linkcode Kind.same}). */
export const Same = {
  /** None: always decode. */
  NONE: 0,
  /** Strings. */
  STRING: 1,
  /** Numbers. */
  NUMBER: 2,
  /** Numbers that are safe integers. */
  INTEGER: 3,
} as const;
/** One of {@linkcode Same}'s values. */
export type Same = typeof Same[keyof typeof Same];

/** What a decoder returns for a stored value its kind cannot read. */
export const INVALID: unique symbol = Symbol("invalid");

/** A loader value a kind refuses, with the reason (for the loaders). */
export class BadValue extends Error {}

/** How an encoder reports a value it refuses. */
export interface EncodeFailure {
  /** A value of the wrong type: `TypeError` "expected ...". */
  type(expected: string): never;
  /** A value out of range: `RangeError` with this detail. */
  range(detail: string): never;
  /** A value that cannot be serialized: `TypeError` with the cause. */
  serialize(detail: string, cause: unknown): never;
}

/** Everything one column kind means. */
export interface Kind {
  /** The declared type `CREATE TABLE` writes. */
  readonly sqlType: string;
  /** The read hint given to the engine. */
  readonly hint: ColumnHint;
  /** JavaScript to SQL, for a non-null value. */
  encode(value: unknown, fail: EncodeFailure): SQLValue;
  /** SQL to JavaScript, for a non-null stored value, or {@linkcode INVALID}. */
  decode(value: SQLValue): unknown;
  /**
   * The stored values {@linkcode Kind.decode} returns as they are, which a
   * reader may return without calling it: {@linkcode Same}.
   */
  readonly same: Same;
  /** Why {@linkcode Kind.decode} refused a value: a `RangeError` or not. */
  readonly outOfRange?: (value: SQLValue) => string | undefined;
  /** A loader's text field to SQL; throws {@linkcode BadValue}. */
  fromText(text: string): SQLValue;
  /** A loader's JSON value (never null) to SQL; throws {@linkcode BadValue}. */
  fromJson(value: unknown): SQLValue;
  /** What the loaders expect, for messages: "an integer". */
  readonly expected: string;
  /**
   * A query-string value (an HTTP filter such as `?born__gte=1900`) to the
   * JavaScript value a filter takes; throws {@linkcode BadValue}.
   */
  fromQuery(text: string): unknown;
  /**
   * The JSON Schema of a value as the HTTP handler writes it (big integers
   * as strings, bytes base64, dates ISO-8601), for its OpenAPI document.
   */
  readonly jsonSchema: Readonly<Record<string, unknown>>;
  /** The declared affinities whose columns this kind reads. */
  readonly affinities: readonly Affinity[];
  /** An SQL condition true for a non-null stored value it cannot read. */
  invalidSql(column: string): string;
  /** What it holds, for `verifyDataSet`'s messages: "integers within 2^53". */
  readonly holds: string;
  /** What a refused stored value is, when "not {@linkcode Kind.holds}" is not it. */
  readonly refused?: string;
  /** A read value as a CSV field's text (never called with null). */
  csvText(value: unknown): string;
  /** A read value as JSON text (never called with null). */
  jsonText(value: unknown): string;
  /**
   * What an object given as a filter value is: `"operators"`, a
   * `"value"` to encode, or `undefined` when it is neither.
   */
  filterShape(value: object): "operators" | "value" | undefined;
  /** Wraps a column or placeholder for filter comparisons. */
  readonly compared?: (sql: string) => string;
  /**
   * Whether the column holds the kind's `null`, where a stored value other
   * than SQL NULL reads as `null` too (the JSON text `null`); absent,
   * `IS NULL`. Filters on `null` use it.
   */
  readonly nullSql?: (sql: string) => string;
  /**
   * What `countBy()` and `distinct()` group the column by, where a stored
   * value other than SQL NULL reads as `null` (one group for `null`).
   */
  readonly grouped?: (sql: string) => string;
  /**
   * What a `null` written to a NOT NULL column of the kind stores (the
   * JSON text `null`); absent, SQL NULL, which the constraint refuses.
   */
  readonly nullStored?: SQLValue;
  /** The `CHECK` constraint `CREATE TABLE` adds, if any. */
  check?(column: string): string;
  /** The builder call `codegen` emits, without options. */
  readonly builder: string;
  /** Whether a sole primary key of this kind is SQLite's rowid. */
  readonly rowid?: boolean;
  /** Whether JSON loaders read its integers exactly from the source text. */
  readonly exactIntegers?: boolean;
}

// ---------------------------------------------------------------------------
// Shared pieces.
// ---------------------------------------------------------------------------

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const REAL_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const INFINITY_TEXT = /^\s*([+-]?)(?:inf|infinity)\s*$/i;
const TRUE_WORDS = new Set(["true", "yes", "1"]);
const FALSE_WORDS = new Set(["false", "no", "0"]);
const BEYOND_53 =
  "the integer is beyond 2^53 (declare the column with bigint())";

/** Whether a text is an integer in decimal, as the loaders accept it. */
export function isIntegerText(text: string): boolean {
  return INTEGER_TEXT.test(text);
}

/**
 * The shape of an object given as a filter value: a plain object holds
 * operators; arrays and bytes are values (the encoder names them when the
 * kind refuses them); any other object is neither.
 */
function objectShape(value: object): "operators" | "value" | undefined {
  if (Array.isArray(value) || value instanceof Uint8Array) return "value";
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null ? "operators" : undefined;
}

/** A non-null value as CSV text by its JavaScript type (rows of no model). */
export function anyCsv(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
  }
  if (value instanceof Uint8Array) return value.toBase64();
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** A non-null value as JSON text: bigints exact, bytes as base64. */
export function anyJson(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return JSON.stringify(value.toBase64());
  if (typeof value === "number" && !Number.isFinite(value)) {
    return Number.isNaN(value) ? "null" : JSON.stringify(String(value));
  }
  return JSON.stringify(value) ?? "null";
}

/** Whether a stored value is an integer beyond ±(2^53 - 1). */
function beyond53(value: SQLValue): boolean {
  return typeof value === "bigint" ||
    (typeof value === "number" && Number.isInteger(value) &&
      !Number.isSafeInteger(value));
}

/**
 * SQLite's text of a REAL, as `CAST(x AS TEXT)` gives it since 3.43: the
 * shortest of 15 or 17 significant digits that reads back as the same
 * number, `.0` after an integral value, and an exponent below 1e-4 or from
 * 1e17. Written here so both engines give the same text (3.40 used 15
 * digits and an exponent from 1e15). Subnormal numbers may differ from
 * SQLite's in the last digits.
 */
export function realText(value: number): string {
  if (value === Infinity) return "Inf";
  if (value === -Infinity) return "-Inf";
  if (value === 0) return "0.0";
  const negative = value < 0;
  const magnitude = Math.abs(value);
  let exponential = magnitude.toExponential(14);
  if (Number(exponential) !== magnitude) {
    exponential = magnitude.toExponential(16);
  }
  const [mantissa, power] = exponential.split("e") as [string, string];
  const digits = mantissa.replace(".", "").replace(/0+$/, "") || "0";
  const e = Number(power);
  let text: string;
  if (e < -4 || e >= 17) {
    const sign = e < 0 ? "-" : "+";
    text = `${digits[0]}.${digits.slice(1) || "0"}e${sign}${
      String(Math.abs(e)).padStart(2, "0")
    }`;
  } else if (e >= 0) {
    const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
    text = `${whole}.${digits.slice(e + 1) || "0"}`;
  } else {
    text = `0.${"0".repeat(-e - 1)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

// ---------------------------------------------------------------------------
// The kinds.
// ---------------------------------------------------------------------------

/**
 * A query-string value read as a loader's text field, then decoded: the
 * value a filter takes (`"true"` becomes `true`, ISO text a `Date`).
 */
function queryValue(kind: Kind, text: string): unknown {
  const value = kind.decode(kind.fromText(text));
  if (value === INVALID) throw new BadValue(`expected ${kind.expected}`);
  return value;
}

const integerKind: Kind = {
  sqlType: "INTEGER",
  hint: ColumnHint.NUMBER,
  same: Same.INTEGER,
  encode(value, fail) {
    if (typeof value === "number") {
      if (!Number.isInteger(value)) return fail.type("an integer");
      if (!Number.isSafeInteger(value)) {
        return fail.range(`${value} is beyond 2^53; use a bigint column`);
      }
      return value;
    }
    if (typeof value === "bigint") {
      if (value >= -MAX_SAFE && value <= MAX_SAFE) return Number(value);
      return fail.range(`${value} is beyond 2^53; use a bigint column`);
    }
    return fail.type("an integer");
  },
  decode(value) {
    return typeof value === "number" && Number.isSafeInteger(value)
      ? value
      : INVALID;
  },
  outOfRange(value) {
    return beyond53(value)
      ? `${value} is beyond 2^53; declare the column with bigint()`
      : undefined;
  },
  fromText(text) {
    if (!INTEGER_TEXT.test(text)) throw new BadValue("expected an integer");
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw new BadValue(BEYOND_53);
    return value;
  },
  fromJson(value) {
    if (typeof value === "string") return integerKind.fromText(value);
    if (typeof value === "number") {
      if (Number.isSafeInteger(value)) return value;
      throw new BadValue(
        Number.isInteger(value) ? BEYOND_53 : "expected an integer",
      );
    }
    if (typeof value === "bigint") throw new BadValue(BEYOND_53);
    throw new BadValue("expected an integer");
  },
  jsonSchema: { type: "integer" },
  fromQuery: (text) => queryValue(integerKind, text),
  expected: "an integer",
  affinities: ["INTEGER", "NUMERIC"],
  invalidSql: (c) => `typeof(${c}) <> 'integer' OR abs(${c}) > ${MAX_SAFE}`,
  holds: "integers within 2^53",
  csvText: anyCsv,
  jsonText: anyJson,
  filterShape: objectShape,
  builder: "integer",
  rowid: true,
};

const realKind: Kind = {
  sqlType: "REAL",
  hint: ColumnHint.NUMBER,
  same: Same.NUMBER,
  encode(value, fail) {
    if (typeof value !== "number") return fail.type("a number");
    if (Number.isNaN(value)) {
      return fail.range("NaN cannot be stored (SQLite turns it into NULL)");
    }
    return value;
  },
  decode(value) {
    if (typeof value === "number") return value;
    return typeof value === "bigint" ? Number(value) : INVALID;
  },
  fromText(text) {
    if (REAL_TEXT.test(text)) return Number(text);
    const infinite = INFINITY_TEXT.exec(text);
    if (infinite !== null) return infinite[1] === "-" ? -Infinity : Infinity;
    throw new BadValue("expected a number");
  },
  fromJson(value) {
    if (typeof value === "string") return realKind.fromText(value);
    if (typeof value === "number") return value;
    if (typeof value === "bigint") return Number(value);
    throw new BadValue("expected a number");
  },
  jsonSchema: {
    oneOf: [{ type: "number" }, { enum: ["Infinity", "-Infinity"] }],
  },
  fromQuery: (text) => queryValue(realKind, text),
  expected: "a number",
  affinities: ["REAL", "NUMERIC", "INTEGER"],
  invalidSql: (c) => `typeof(${c}) NOT IN ('real', 'integer')`,
  holds: "numbers",
  csvText: anyCsv,
  jsonText: anyJson,
  filterShape: objectShape,
  builder: "real",
};

const textKind: Kind = {
  sqlType: "TEXT",
  hint: ColumnHint.TEXT,
  same: Same.STRING,
  encode(value, fail) {
    return typeof value === "string" ? value : fail.type("a string");
  },
  decode(value) {
    if (typeof value === "string") return value;
    // SQLite's text of a number. Both engines read INTEGER and REAL cells
    // as numbers, so an integral number within 2^53 reads as an INTEGER.
    if (typeof value === "number") {
      return Number.isSafeInteger(value) ? String(value) : realText(value);
    }
    return typeof value === "bigint" ? String(value) : INVALID;
  },
  fromText: (text) => text,
  fromJson(value) {
    if (typeof value === "string") return value;
    throw new BadValue("expected a string");
  },
  jsonSchema: { type: "string" },
  fromQuery: (text) => queryValue(textKind, text),
  expected: "a string",
  affinities: ["TEXT"],
  invalidSql: (c) => `typeof(${c}) <> 'text'`,
  holds: "text",
  csvText: anyCsv,
  jsonText: anyJson,
  filterShape: objectShape,
  builder: "text",
};

const blobKind: Kind = {
  sqlType: "BLOB",
  hint: ColumnHint.ANY,
  same: Same.NONE,
  encode(value, fail) {
    return value instanceof Uint8Array ? value : fail.type("a Uint8Array");
  },
  decode(value) {
    return value instanceof Uint8Array ? value : INVALID;
  },
  fromText(text) {
    try {
      return Uint8Array.fromBase64(text.trim());
    } catch {
      throw new BadValue("expected base64");
    }
  },
  fromJson(value) {
    if (typeof value === "string") return blobKind.fromText(value);
    throw new BadValue("expected a base64 string");
  },
  jsonSchema: { type: "string", contentEncoding: "base64" },
  fromQuery: (text) => queryValue(blobKind, text),
  expected: "a base64 string",
  affinities: ["BLOB"],
  invalidSql: (c) => `typeof(${c}) <> 'blob'`,
  holds: "blobs",
  csvText: anyCsv,
  jsonText: anyJson,
  filterShape: objectShape,
  builder: "blob",
};

const booleanKind: Kind = {
  sqlType: "INTEGER",
  hint: ColumnHint.NUMBER,
  same: Same.NONE,
  encode(value, fail) {
    return typeof value === "boolean"
      ? (value ? 1 : 0)
      : fail.type("a boolean");
  },
  decode(value) {
    return value === 1 ? true : value === 0 ? false : INVALID;
  },
  fromText(text) {
    const word = text.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return 1;
    if (FALSE_WORDS.has(word)) return 0;
    throw new BadValue("expected true/false, yes/no or 1/0");
  },
  fromJson(value) {
    if (typeof value === "string") return booleanKind.fromText(value);
    if (value === 0 || value === 1) return value;
    if (typeof value === "boolean") return value ? 1 : 0;
    throw new BadValue("expected a boolean");
  },
  jsonSchema: { type: "boolean" },
  fromQuery: (text) => queryValue(booleanKind, text),
  expected: "a boolean",
  affinities: ["INTEGER", "NUMERIC"],
  invalidSql: (c) => `typeof(${c}) <> 'integer' OR ${c} NOT IN (0, 1)`,
  holds: "0 or 1",
  csvText: anyCsv,
  jsonText: anyJson,
  filterShape: objectShape,
  check: (c) => `${c} IN (0, 1)`,
  builder: "boolean",
};

const jsonKind: Kind = {
  sqlType: "TEXT",
  hint: ColumnHint.TEXT,
  same: Same.NONE,
  encode(value, fail) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      return fail.serialize("cannot serialize to JSON", error);
    }
    return text === undefined ? fail.type("a JSON value") : text;
  },
  decode(value) {
    if (typeof value !== "string") return INVALID;
    try {
      return JSON.parse(value);
    } catch {
      return INVALID;
    }
  },
  fromText(text) {
    try {
      return JSON.stringify(JSON.parse(text));
    } catch {
      throw new BadValue("expected JSON");
    }
  },
  fromJson: (value) => JSON.stringify(value),
  jsonSchema: {},
  fromQuery: (text) => queryValue(jsonKind, text),
  expected: "a JSON value",
  // A declared JSON type has NUMERIC affinity; the stored-value check still
  // finds the numbers it made of numeric text.
  affinities: ["TEXT", "NUMERIC"],
  invalidSql: (c) => `typeof(${c}) <> 'text' OR NOT json_valid(${c})`,
  holds: "valid JSON text",
  refused: "invalid JSON",
  csvText: (value) => JSON.stringify(value),
  jsonText: (value) => JSON.stringify(value),
  // An array is a JSON value to compare with, never operators.
  filterShape: objectShape,
  // SQLite before 3.45 gives json_valid(NULL) = 0, hence the IS NULL.
  check: (c) => `${c} IS NULL OR json_valid(${c})`,
  builder: "json",
  // JavaScript has one null: SQL NULL and the JSON value null (its text,
  // with any JSON whitespace around it) are one value, read as null.
  nullSql: (c) => `(${c} IS NULL OR ${jsonNullText(c)})`,
  grouped: (c) => `CASE WHEN ${jsonNullText(c)} THEN NULL ELSE ${c} END`,
  nullStored: "null",
};

/** Whether a column's text is the JSON value null (never throws). */
function jsonNullText(c: string): string {
  return `trim(${c}, char(32, 9, 10, 13)) = 'null'`;
}

const bigintKind: Kind = {
  sqlType: "INTEGER",
  hint: ColumnHint.ANY,
  same: Same.NONE,
  encode(value, fail) {
    if (typeof value === "bigint") {
      if (value < INT64_MIN || value > INT64_MAX) {
        return fail.range(`${value} does not fit in 64 bits`);
      }
      return value;
    }
    if (typeof value === "number" && Number.isSafeInteger(value)) return value;
    return fail.type("a bigint");
  },
  decode(value) {
    if (typeof value === "bigint") return value;
    if (typeof value === "number" && Number.isInteger(value)) {
      return BigInt(value);
    }
    return INVALID;
  },
  fromText(text) {
    if (!INTEGER_TEXT.test(text)) throw new BadValue("expected an integer");
    const value = BigInt(text.trim());
    if (value > INT64_MAX || value < INT64_MIN) {
      throw new BadValue("the integer does not fit in 64 bits");
    }
    return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value;
  },
  fromJson(value) {
    if (typeof value === "string") return bigintKind.fromText(value);
    if (typeof value === "number") {
      if (Number.isSafeInteger(value)) return value;
      throw new BadValue(
        Number.isInteger(value) ? BEYOND_53 : "expected an integer",
      );
    }
    if (typeof value === "bigint") {
      if (value > INT64_MAX || value < INT64_MIN) {
        throw new BadValue("the integer does not fit in 64 bits");
      }
      return value;
    }
    throw new BadValue("expected an integer");
  },
  jsonSchema: {
    oneOf: [{ type: "integer" }, { type: "string", pattern: "^-?[0-9]+$" }],
  },
  fromQuery: (text) => queryValue(bigintKind, text),
  expected: "an integer",
  affinities: ["INTEGER", "NUMERIC"],
  invalidSql: (c) => `typeof(${c}) <> 'integer'`,
  holds: "integers",
  csvText: anyCsv,
  jsonText: anyJson,
  filterShape: objectShape,
  builder: "bigint",
  exactIntegers: true,
};

/** An `any` value as an SQL literal: how CSV keeps its storage class. */
function sqlLiteralText(value: unknown): string {
  if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`;
  if (value instanceof Uint8Array) return `x'${value.toHex()}'`;
  if (typeof value === "number") {
    return Number.isFinite(value) ? String(value) : anyCsv(value);
  }
  return String(value);
}

const SQL_STRING = /^'((?:[^']|'')*)'$/s;
const SQL_BLOB = /^[xX]'([0-9a-fA-F]*)'$/;

/** Reads an `any` value from the SQL literal {@linkcode sqlLiteralText} wrote. */
function fromSqlLiteral(text: string): SQLValue {
  const string = SQL_STRING.exec(text);
  if (string !== null) return string[1]!.replaceAll("''", "'");
  const blob = SQL_BLOB.exec(text);
  if (blob !== null && blob[1]!.length % 2 === 0) {
    return Uint8Array.fromHex(blob[1]!);
  }
  if (INTEGER_TEXT.test(text)) {
    const value = BigInt(text.trim());
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new BadValue("the integer does not fit in 64 bits");
    }
    return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value;
  }
  return realKind.fromText(text);
}

const anyKind: Kind = {
  // ANY in a STRICT table stores every value as given.
  sqlType: "ANY",
  hint: ColumnHint.ANY,
  same: Same.NONE,
  encode(value, fail) {
    switch (typeof value) {
      case "number":
        if (Number.isNaN(value)) {
          return fail.range("NaN cannot be stored (SQLite turns it into NULL)");
        }
        return value;
      case "string":
        return value;
      case "bigint":
        if (value < INT64_MIN || value > INT64_MAX) {
          return fail.range(`${value} does not fit in 64 bits`);
        }
        return value;
    }
    return value instanceof Uint8Array
      ? value
      : fail.type("a number, bigint, string or Uint8Array");
  },
  decode: (value) => value,
  // CSV has no types: an any() field is an SQL literal ('text', x'0102',
  // 12, 1.5), so every value comes back in its own storage class.
  fromText: fromSqlLiteral,
  fromJson(value) {
    switch (typeof value) {
      case "number":
      case "string":
        return value;
      case "bigint":
        if (value < INT64_MIN || value > INT64_MAX) {
          throw new BadValue("the integer does not fit in 64 bits");
        }
        return value;
    }
    if (value instanceof Uint8Array) return value;
    // A blob is {"base64": "..."} (see jsonText).
    if (
      value !== null && typeof value === "object" &&
      Object.keys(value).length === 1 &&
      typeof (value as { base64?: unknown }).base64 === "string"
    ) {
      return blobKind.fromText((value as { base64: string }).base64);
    }
    throw new BadValue('expected a number, a string or {"base64": ...}');
  },
  // A query string has no storage classes: decimal numbers are numbers
  // (integers beyond 2^53 bigints), anything else is text.
  jsonSchema: {},
  fromQuery: (text) =>
    INTEGER_TEXT.test(text)
      ? bigintKind.fromText(text)
      : REAL_TEXT.test(text)
      ? Number(text)
      : text,
  expected: "a number, a string or a blob",
  affinities: ["BLOB", "TEXT", "INTEGER", "REAL", "NUMERIC"],
  invalidSql: () => "0",
  holds: "any value",
  csvText: sqlLiteralText,
  jsonText: (value) =>
    value instanceof Uint8Array
      ? `{"base64":${JSON.stringify(value.toBase64())}}`
      : anyJson(value),
  filterShape: objectShape,
  builder: "any",
  exactIntegers: true,
};

// ---------------------------------------------------------------------------
// datetime: a Date, stored as ISO-8601 text or Unix epoch seconds or ms.
// ---------------------------------------------------------------------------

/**
 * The date and time forms SQLite's date functions read: a date, optionally
 * `T` or a space and a time (`HH:MM`, `:SS`, fraction), or a time alone
 * (on 2000-01-01, as SQLite reads it); then optionally `Z` or `±HH:MM`.
 */
const DATETIME_TEXT =
  /^\s*(?:(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?|(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))?\s*$/i;

/**
 * {@linkcode DATETIME_TEXT} (the same groups) as SQLite's date functions
 * read a stored text, which the filters and orders of a `datetime()`
 * column compare: no space before it, an upper-case `T`, a `:` in the
 * zone. A stored text SQLite cannot read is refused rather than read as a
 * `Date` that no filter finds and every order puts first.
 */
const STORED_DATETIME_TEXT =
  /^(?:(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?|(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)[ \t\n\v\f\r]*(?:([Zz])|([+-])(\d{2}):(\d{2}))?[ \t\n\v\f\r]*$/;

/**
 * Reads a date-time text in one of SQLite's forms as a `Date`; a text
 * without a zone is UTC, never local time. `undefined` when it is not one.
 * @param stored Read a stored text only in the forms SQLite's date
 * functions read ({@linkcode STORED_DATETIME_TEXT}); input (a loader's
 * field, a query string) is read more leniently.
 */
export function parseDatetime(
  text: string,
  stored = false,
): Date | undefined {
  const m = (stored ? STORED_DATETIME_TEXT : DATETIME_TEXT).exec(text);
  if (m === null) return undefined;
  const dateGiven = m[1] !== undefined;
  // SQLite reads a zone only after a time, and within 14:59 of UTC.
  if (
    m[13] !== undefined && (Number(m[14]) > 14 || Number(m[15]) > 59)
  ) {
    return undefined;
  }
  const zoned = m[12] !== undefined || m[13] !== undefined;
  if (stored && dateGiven && m[4] === undefined && zoned) {
    return undefined;
  }
  const year = dateGiven ? Number(m[1]) : 2000;
  const month = dateGiven ? Number(m[2]) : 1;
  const day = dateGiven ? Number(m[3]) : 1;
  const hour = Number((dateGiven ? m[4] : m[8]) ?? 0);
  const minute = Number((dateGiven ? m[5] : m[9]) ?? 0);
  const second = Number((dateGiven ? m[6] : m[10]) ?? 0);
  const fraction = (dateGiven ? m[7] : m[11]) ?? "";
  const ms = fraction === "" ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
  if (
    month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 ||
    minute > 59 || second > 59
  ) {
    return undefined;
  }
  let time = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC maps years 0-99 to 1900-1999.
  if (year < 100) {
    const date = new Date(time);
    date.setUTCFullYear(year);
    time = date.getTime();
  }
  if (new Date(time).getUTCDate() !== day && dateGiven) return undefined;
  if (m[13] !== undefined) {
    const offset = (Number(m[14]) * 60 + Number(m[15])) * 60_000;
    time += m[13] === "-" ? offset : -offset;
  }
  return new Date(time);
}

/** The ISO text a `datetime` column stores: `2024-01-02T03:04:05.678Z`. */
function isoText(date: Date, fail: EncodeFailure): string {
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) {
    return fail.range(
      `${date.toISOString()} is outside the years 0000-9999 SQLite reads`,
    );
  }
  return date.toISOString();
}

function datetimeKind(storage: DatetimeStorage): Kind {
  const scale = storage === "seconds" ? 1000 : 1;
  const asText = storage === "text";
  const checkDate = (value: unknown, fail: EncodeFailure): Date => {
    if (!(value instanceof Date)) return fail.type("a Date");
    if (Number.isNaN(value.getTime())) {
      return fail.range("the Date is invalid");
    }
    return value;
  };
  const encode = (value: unknown, fail: EncodeFailure): SQLValue => {
    const date = checkDate(value, fail);
    return asText ? isoText(date, fail) : date.getTime() / scale;
  };
  const decode = (value: SQLValue): unknown => {
    if (asText) {
      return typeof value === "string"
        ? parseDatetime(value, true) ?? INVALID
        : INVALID;
    }
    if (typeof value !== "number") return INVALID;
    const date = new Date(Math.round(value * scale));
    return Number.isNaN(date.getTime()) ? INVALID : date;
  };
  const badText = (): never => {
    throw new BadValue(
      asText
        ? "expected a date and time such as 2024-01-02T03:04:05Z"
        : `expected a date and time, or Unix epoch ${storage}`,
    );
  };
  const fromText = (text: string): SQLValue => {
    const date = parseDatetime(text);
    if (date !== undefined) return encode(date, loaderFailure);
    if (!asText && REAL_TEXT.test(text)) return Number(text);
    return badText();
  };
  return {
    // A STRICT table declares only INT(EGER), REAL, TEXT, BLOB or ANY, so
    // the CHECK below marks the column for codegen (an epoch's bound, the
    // range a Date holds, names its unit). ANY keeps an epoch an INTEGER
    // when whole and a REAL when not, as the NUMERIC affinity did.
    sqlType: asText ? "TEXT" : "ANY",
    hint: asText ? ColumnHint.TEXT : ColumnHint.NUMBER,
    same: Same.NONE,
    encode,
    decode,
    fromText,
    fromJson(value) {
      if (typeof value === "string") return fromText(value);
      if (value instanceof Date) return encode(value, loaderFailure);
      if (!asText && typeof value === "number" && Number.isFinite(value)) {
        return value;
      }
      return badText();
    },
    jsonSchema: { type: "string", format: "date-time" },
    fromQuery(text) {
      const value = decode(fromText(text));
      if (value === INVALID) return badText();
      return value;
    },
    expected: asText ? "a date and time" : "a date and time or an epoch",
    affinities: asText
      ? ["TEXT", "NUMERIC", "BLOB"]
      : ["INTEGER", "REAL", "NUMERIC", "BLOB"],
    invalidSql: asText
      ? (c) => `typeof(${c}) <> 'text' OR julianday(${c}) IS NULL`
      : (c) => `typeof(${c}) NOT IN ('integer', 'real')`,
    holds: asText ? "date and time text" : `Unix epoch ${storage}`,
    csvText: (value) => (value as Date).toISOString(),
    jsonText: (value) => JSON.stringify((value as Date).toISOString()),
    filterShape: (value) =>
      value instanceof Date ? "value" : objectShape(value),
    // Text in any of SQLite's forms compares as the instant it names.
    ...(asText ? { compared: (sql: string) => `julianday(${sql})` } : {}),
    check: asText
      ? (c) => `${c} IS NULL OR julianday(${c}) IS NOT NULL`
      : (c) =>
        `${c} BETWEEN -${DATE_LIMIT_MS / scale} AND ${DATE_LIMIT_MS / scale}`,
    builder: "datetime",
  };
}

/** The largest distance from the epoch a `Date` holds, in ms (±8.64e15). */
export const DATE_LIMIT_MS = 8_640_000_000_000_000;

/** Turns an encoder's refusal into a loader's {@linkcode BadValue}. */
const loaderFailure: EncodeFailure = {
  type: (expected) => {
    throw new BadValue(`expected ${expected}`);
  },
  range: (detail) => {
    throw new BadValue(detail);
  },
  serialize: (detail) => {
    throw new BadValue(detail);
  },
};

/**
 * The `datetime()` kinds, one per storage, made on first use rather than
 * at import: `datetimeKind` is the table's largest function, and a function
 * run at import is compiled in every process (Deno's code cache holds only
 * what was compiled before the module ran), about 0.1 ms of a cold start.
 */
let datetimeKinds: Record<DatetimeStorage, Kind> | undefined;

function datetimeKindsMade(): Record<DatetimeStorage, Kind> {
  return datetimeKinds ??= {
    text: datetimeKind("text"),
    seconds: datetimeKind("seconds"),
    milliseconds: datetimeKind("milliseconds"),
  };
}

/** The kinds table. */
const KINDS: Readonly<
  Record<ColumnKind, Kind | ((column: AnyColumn) => Kind)>
> = {
  integer: integerKind,
  real: realKind,
  text: textKind,
  blob: blobKind,
  boolean: booleanKind,
  json: jsonKind,
  bigint: bigintKind,
  any: anyKind,
  datetime: (column) =>
    datetimeKindsMade()[
      (column.options as { storage?: DatetimeStorage }).storage ?? "text"
    ],
};

/** The kinds table's entry of a column. */
export function kindOf(column: AnyColumn): Kind {
  const entry = KINDS[column.kind];
  return typeof entry === "function" ? entry(column) : entry;
}

/**
 * The kind names `codegen` may emit, each a builder exported by the
 * library (made when asked: only `codegen` needs them).
 */
export function builderNames(): readonly string[] {
  return [
    ...new Set(
      Object.values(KINDS).flatMap((entry) =>
        typeof entry === "function"
          ? Object.values(datetimeKindsMade()).map((kind) => kind.builder)
          : [entry.builder]
      ),
    ),
  ].sort();
}

// Orders by a comparison form (`_datetime_order.ts`): whether a model has
// a column that needs one is asked before that module loads, so a model
// without one never loads it (cold start, issue 15).

/** Per model definition, whether some column has a comparison form. */
const formed = new WeakMap<ModelDefinition, boolean>();

/**
 * Whether some column of the model sorts by a comparison form (a datetime
 * stored as text), asked once per definition: pages of other models skip
 * the question per term.
 */
export function hasOrderForms(definition: ModelDefinition): boolean {
  let has = formed.get(definition);
  if (has === undefined) {
    has = definition.keys.some((key) => comparedInOrder(definition, key));
    formed.set(definition, has);
  }
  return has;
}

/**
 * Whether an order on property `key` must follow the kind's comparison
 * form rather than the stored values.
 */
export function comparedInOrder(
  definition: ModelDefinition,
  key: string,
): boolean {
  return kindOf(definition.columns[key]!).compared !== undefined;
}
