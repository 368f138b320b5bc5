/**
 * The one generator of row-building code, shared by the store (model
 * instances) and raw SQL (plain rows): a function that stores a row's
 * cells on an object, one assignment per property, so V8 turns them into
 * plain stores instead of a per-property `Object.defineProperty` or a
 * loop whose property stores go megamorphic once several row shapes pass
 * through it. Names enter the generated text only as JSON string literals
 * and positions only as numbers.
 *
 * @module
 */
import type { Statement } from "./_engine.ts";

/** Stores the current row's cells on `row`. */
export type RowBuild = (
  row: Record<string, unknown>,
  statement: Statement,
) => void;

/** A property named so is an own data property, never the prototype. */
const PROTO = "__proto__";

/**
 * The function that stores a row's cells on an object: one assignment per
 * property, its name a JSON string literal and its column position a
 * number (nothing else enters the text), so each row shape is built by
 * code that only ever sees its own properties. A property named
 * `__proto__` is defined, not assigned, so it stays a property. Where code
 * cannot be generated from text (a runtime that forbids it), a loop does
 * the same.
 * @param keys The property names, by column position.
 * @param cell Reads column `i` of the current row as the property's value.
 * @returns The builder.
 */
export function rowBuilder(
  keys: readonly string[],
  cell: (statement: Statement, i: number) => unknown,
): RowBuild {
  try {
    return new Function(
      "cell",
      "define",
      `return (row, statement) => {\n${assignments(keys)}\n};`,
    )(cell, definer(keys));
  } catch {
    return loopRowBuilder(keys, cell);
  }
}

/**
 * The text of one statement per property storing its cell on `row`: its
 * name a JSON string literal, its position a number.
 */
function assignments(keys: readonly string[]): string {
  return keys.map((key, i) =>
    key === PROTO
      ? `define(row, ${i}, cell(statement, ${i}));`
      : `row[${JSON.stringify(key)}] = cell(statement, ${i});`
  ).join("\n");
}

/** Defines the property at position `i` (`__proto__`) as an own property. */
function definer(
  keys: readonly string[],
): (row: Record<string, unknown>, i: number, value: unknown) => void {
  return (row, i, value) =>
    Object.defineProperty(row, keys[i]!, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

/**
 * The same builder as a loop over the properties, with no code generated:
 * what a runtime that forbids generating code uses, and what a store uses
 * for its first rows (a cold start reads one row, and generating the
 * builder costs about 0.08 ms of it). Its property stores go megamorphic
 * once several row shapes pass through it, so long reads use
 * {@linkcode rowBuilder}'s.
 * @param keys The property names, by column position.
 * @param cell Reads column `i` of the current row as the property's value.
 * @returns The builder.
 */
export function loopRowBuilder(
  keys: readonly string[],
  cell: (statement: Statement, i: number) => unknown,
): RowBuild {
  return (row, statement) => {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (key === PROTO) {
        Object.defineProperty(row, key, {
          value: cell(statement, i),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else row[key] = cell(statement, i);
    }
  };
}

/** Reads the current row as a new model instance (see instanceReader). */
export type InstanceRead = (
  statement: Statement,
  flagged: boolean,
) => Record<string, unknown>;

/**
 * The function that reads the current row as a new instance of `model`:
 * made per store, so that the instance's class and the builder are
 * constants of code that only ever sees this model, and a scan calls one
 * function per row where it called a constructor and a builder that every
 * model's reads share (both calls go megamorphic once several models are
 * read, and V8 then inlines neither). Names enter the text only as JSON
 * string literals and positions only as numbers, as in
 * {@linkcode rowBuilder}, which it falls back to where code cannot be
 * generated.
 * @param model The model class, constructed with no argument.
 * @param keys The property names, by column position.
 * @param cell Reads column `i` of the current row as the property's value.
 * @param refuseNul Throws for a row whose NUL flag (the column after the
 * properties) is set; called before any cell is read, when `flagged`.
 * @returns The reader.
 */
export function instanceReader(
  model: new () => object,
  keys: readonly string[],
  cell: (statement: Statement, i: number) => unknown,
  refuseNul: (statement: Statement) => never,
): InstanceRead {
  try {
    return new Function(
      "Model",
      "cell",
      "define",
      "refuseNul",
      `return (statement, flagged) => {
const row = new Model();
if (flagged && statement.column(${keys.length}) !== null) refuseNul(statement);
${assignments(keys)}
return row;
};`,
    )(model, cell, definer(keys), refuseNul);
  } catch {
    return loopInstanceReader(model, keys, cell, refuseNul);
  }
}

/**
 * The same reader with no code generated, through
 * {@linkcode loopRowBuilder}: what a store reads its first rows with (a
 * cold start generates no code), and what {@linkcode instanceReader} falls
 * back to where code cannot be generated.
 * @param model The model class, constructed with no argument.
 * @param keys The property names, by column position.
 * @param cell Reads column `i` of the current row as the property's value.
 * @param refuseNul Throws for a row whose NUL flag is set; called before
 * any cell is read, when `flagged`.
 * @returns The reader.
 */
export function loopInstanceReader(
  model: new () => object,
  keys: readonly string[],
  cell: (statement: Statement, i: number) => unknown,
  refuseNul: (statement: Statement) => never,
): InstanceRead {
  const build = loopRowBuilder(keys, cell);
  return (statement, flagged) => {
    const row = new model() as Record<string, unknown>;
    // Checked before any cell: a cut text could decode (JSON, a date).
    if (flagged && statement.column(keys.length) !== null) {
      refuseNul(statement);
    }
    build(row, statement);
    return row;
  };
}

/** Reads a cell of a raw row as the engine returns it. */
const rawCell = (statement: Statement, i: number): unknown =>
  statement.column(i);

/** Builders of raw rows by the column-name list a statement reports. */
const byList = new WeakMap<readonly string[], RowBuild>();
/** The same by the names' JSON text, for lists of other statements. */
const byNames = new Map<string, RowBuild>();
/** How many column lists {@linkcode byNames} keeps. */
const MAX_NAME_LISTS = 256;

/**
 * The builder of plain rows keyed by result column names (`dataset.sql`),
 * generated once per list of names: kept per list object (a statement's
 * names are one array for its life) and per names (statements of the same
 * query share it), at most {@linkcode MAX_NAME_LISTS} lists of names.
 * @param names The result column names, by position.
 * @returns The builder.
 */
export function rawRowBuilder(names: readonly string[]): RowBuild {
  let build = byList.get(names);
  if (build !== undefined) return build;
  const text = JSON.stringify(names);
  build = byNames.get(text);
  if (build === undefined) {
    build = rowBuilder(names, rawCell);
    if (byNames.size < MAX_NAME_LISTS) byNames.set(text, build);
  }
  byList.set(names, build);
  return build;
}
