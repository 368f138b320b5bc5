/**
 * What an open file holds: its tables (virtual ones included), their
 * columns (declared type, nullability, default, primary-key position),
 * indexes and foreign keys. The one place that reads a file's schema, in
 * two files: this one holds what a store's first query runs (finding a
 * table, checking a model's table and columns, reading rows as arrays),
 * `_introspect.ts` the rest, which `verifyDataSet`, the build's checks, the
 * CLI's `inspect` and `codegen` and geo lookups use, so that a runtime
 * import does not load it.
 *
 * Every function is synchronous over an open session and maps engine
 * errors onto the library's classes.
 *
 * @module
 */
import { ColumnHint, type SQLValue } from "./_engine.ts";
import { kindOf } from "./_kinds.ts";
import type { Session } from "./_session.ts";
import { foldIdentifier } from "./_rules.ts";
import {
  FIND_TABLE,
  TABLE_COLUMNS,
  tableListPragma,
  tableXinfoPragma,
} from "./_sql.ts";
import { DataSetError } from "./errors.ts";
import type { ModelDefinition } from "./model.ts";

/** A column as the file declares it. */
export interface ColumnSchema {
  /** The SQL name. */
  name: string;
  /** The declared type, `""` when none. */
  type: string;
  /** Whether it is declared NOT NULL. */
  notNull: boolean;
  /** Its 1-based position in the primary key, 0 when not in it. */
  primaryKey: number;
  /** The default's SQL text, `null` when none. */
  default: string | null;
}

/** A column with whether it is generated (`GENERATED ALWAYS AS`). */
interface FileColumn extends ColumnSchema {
  generated: boolean;
}

/** Runs a query to its end and answers its rows as arrays of values. */
export function readRows(
  session: Session,
  sql: string,
  params: readonly SQLValue[],
  action: string,
): SQLValue[][] {
  return session.all(sql, params, action, (statement) => {
    const width = statement.columnCount;
    const row: SQLValue[] = new Array(width);
    for (let i = 0; i < width; i++) row[i] = statement.column(i);
    return row;
  });
}

/**
 * A table or view by name in any ASCII case (SQLite's rule), as the file
 * spells it, or `undefined`.
 */
export function findTable(
  session: Session,
  name: string,
  action: string,
): { name: string; type: "table" | "view" } | undefined {
  const [row] = readRows(session, FIND_TABLE, [name], action);
  if (row === undefined) return undefined;
  return { name: String(row[0]), type: row[1] === "view" ? "view" : "table" };
}

/** The columns of a table or view; empty when there is none of that name. */
export function tableColumns(
  session: Session,
  table: string,
  action: string,
): ColumnSchema[] {
  return fileColumns(session, table, action).map((
    { generated: _, ...column },
  ) => column);
}

/** {@linkcode tableColumns}, with whether each column is generated. */
function fileColumns(
  session: Session,
  table: string,
  action: string,
): FileColumn[] {
  return readRows(session, TABLE_COLUMNS, [table], action).map(fileColumn);
}

/** A row of {@linkcode TABLE_COLUMNS} as a column. */
function fileColumn(
  [name, type, notNull, pk, dflt, hidden]: readonly SQLValue[],
): FileColumn {
  return {
    name: String(name),
    type: String(type ?? ""),
    notNull: notNull === 1,
    primaryKey: Number(pk),
    default: dflt === null ? null : String(dflt),
    generated: hidden !== 0,
  };
}

/**
 * The columns of a table and whether it is STRICT, as two PRAGMA
 * statements naming the table as a quoted identifier
 * ({@linkcode tableXinfoPragma}, then {@linkcode tableListPragma} when it
 * has columns): no text to bind, and no table-valued function to set up,
 * on a cold start (issue 15).
 */
function pragmaColumnsStrict(
  session: Session,
  table: string,
  action: string,
): { columns: FileColumn[]; strict: SQLValue | undefined } {
  // Read by position, as TABLE_COLUMNS orders them (name, type, notnull,
  // pk, dflt_value, hidden), so the column count is never asked.
  const columns: FileColumn[] = [];
  const rows = session.all(tableXinfoPragma(table), [], action, (s) => [
    s.column(1),
    s.column(2),
    s.column(3),
    s.column(5),
    s.column(4),
    s.column(6),
  ]);
  for (const row of rows) if (row[5] !== 1) columns.push(fileColumn(row));
  let strict: SQLValue | undefined;
  if (columns.length === 0) return { columns, strict };
  // schema, name, type, ncol, wr, strict: the least of the tables'.
  for (
    const [type, flag] of session.all(
      tableListPragma(table),
      [],
      action,
      (s) => [s.column(2), s.column(5)],
    )
  ) {
    if (type === "table" && strict !== 0) strict = Number(flag);
  }
  return { columns, strict };
}

/**
 * Checks once per connection that the file has a model's table and
 * columns, so a file that does not match fails at first use with a
 * `DataSetError` naming the table and column.
 * @returns The session, checked.
 */
export function checkModelTable(
  session: Session,
  definition: ModelDefinition,
): Session {
  if (session.checkedModels.has(definition)) return session;
  const { table, keys, columns } = definition;
  const action = `Cannot use ${table}`;
  // Where the read hints need whether the table is STRICT, one statement
  // answers that with the columns.
  const both = session.fixedSchema
    ? pragmaColumnsStrict(session, table, action)
    : undefined;
  const declared = both?.columns ?? fileColumns(session, table, action);
  const found = new Set(
    declared.map((column) => foldIdentifier(column.name)),
  );
  if (found.size === 0) throw modelMismatch(session, definition);
  for (const key of keys) {
    const name = columns[key]!.bound.name;
    if (!found.has(foldIdentifier(name))) {
      throw modelMismatch(session, definition, key);
    }
  }
  session.checkedModels.set(
    definition,
    readHints(session, definition, declared, both?.strict),
  );
  return session;
}

/**
 * The `DataSetError` of a file without the model's table, or without the
 * column of its property `key`: out of {@linkcode checkModelTable},
 * compiled only on that failure (cold start, issue 15).
 */
function modelMismatch(
  session: Session,
  definition: ModelDefinition,
  key?: string,
): DataSetError {
  const { table, columns } = definition;
  const mismatch =
    `Cannot use ${table}: dataset "${session.dataset}" does not match the model (${session.path})`;
  if (key === undefined) {
    return new DataSetError(`${mismatch}: no such table "${table}"`, {
      dataset: session.dataset,
    });
  }
  const name = columns[key]!.bound.name;
  return new DataSetError(
    `${mismatch}: table "${table}" has no column "${name}"${
      name === key ? "" : ` (property ${key})`
    }`,
    { dataset: session.dataset },
  );
}

/**
 * The read hints of a model's columns on a session's file: each kind's
 * hint, made a STRICT one where SQLite guarantees the storage class it
 * names, so the FFI engine skips asking for it. That is where the table is
 * STRICT and the column, not generated, is declared INTEGER, INT or REAL
 * (numbers) or TEXT (text). Only on a session whose schema cannot change
 * (`Session.fixedSchema`): a writable one may recreate the table through
 * raw SQL after this check, and another process may recreate it in a file
 * opened with `immutable: false`. `strict` is what the table check read
 * with the columns on such a session ({@linkcode pragmaColumnsStrict}).
 */
function readHints(
  session: Session,
  definition: ModelDefinition,
  declaredColumns: readonly FileColumn[],
  strict: SQLValue | undefined,
): readonly ColumnHint[] {
  const { keys, columns } = definition;
  const hints = keys.map((key) => kindOf(columns[key]!).hint);
  if (!session.fixedSchema || strict !== 1) return hints;
  const declared = new Map<string, string>();
  for (const column of declaredColumns) {
    if (!column.generated) {
      declared.set(foldIdentifier(column.name), column.type.toUpperCase());
    }
  }
  session.strictIntegers.set(
    definition,
    keys.map((key) => {
      const type = declared.get(foldIdentifier(columns[key]!.bound.name));
      return type === "INTEGER" || type === "INT";
    }),
  );
  return keys.map((key, i) => {
    const hint = hints[i]!;
    const type = declared.get(foldIdentifier(columns[key]!.bound.name));
    if (
      hint === ColumnHint.NUMBER &&
      (type === "INTEGER" || type === "INT" || type === "REAL")
    ) {
      return ColumnHint.NUMBER_STRICT;
    }
    if (hint === ColumnHint.TEXT && type === "TEXT") {
      return ColumnHint.TEXT_STRICT;
    }
    return hint;
  });
}
