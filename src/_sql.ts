/**
 * Every SQL text the library writes, in one file, so it can be audited for
 * injection in one place. Identifiers are quoted with {@linkcode quote};
 * values are always bound as parameters, never pasted into SQL text.
 *
 * @module
 */
import { kindOf } from "./_kinds.ts";
import { encodeValue, sqlLiteral } from "./columns.ts";
import type { AnyModel } from "./model.ts";

/** Quotes an identifier (table, column, index or savepoint name). */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// ---------------------------------------------------------------------------
// Store queries: select, count, exists, lookup, insert, delete.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Schema: CREATE TABLE / CREATE INDEX / DROP.
// ---------------------------------------------------------------------------

/** The `CREATE TABLE` and `CREATE INDEX` statements of a model. */
export function createTableSql(model: AnyModel): string[] {
  const { table, columns, keys, primaryKey, unique, indexes } =
    model.definition;
  const sqlName = (key: string) => quote(columns[key]!.bound.name);
  const lines: string[] = [];
  const foreign: string[] = [];
  for (const key of keys) {
    const column = columns[key]!;
    const { options } = column;
    const kind = kindOf(column);
    let line = kind.sqlType === ""
      ? sqlName(key)
      : `${sqlName(key)} ${kind.sqlType}`;
    if (!column.nullable) line += " NOT NULL";
    if (primaryKey.length === 1 && primaryKey[0] === key) {
      line += " PRIMARY KEY";
    }
    if (options.unique === true) line += " UNIQUE";
    if (options.default !== undefined) {
      line += ` DEFAULT ${
        sqlLiteral(encodeValue(column, options.default, "default"))
      }`;
    }
    if (kind.check !== undefined) {
      line += ` CHECK (${kind.check(sqlName(key))})`;
    }
    lines.push(line);
    if (options.references !== undefined) {
      const target = options.references().bound;
      foreign.push(
        `FOREIGN KEY (${sqlName(key)}) REFERENCES ${quote(target.table)} (${
          quote(target.name)
        })${options.onDelete ? ` ON DELETE ${options.onDelete}` : ""}`,
      );
    }
  }
  if (primaryKey.length > 1) {
    lines.push(`PRIMARY KEY (${primaryKey.map(sqlName).join(", ")})`);
  }
  for (const group of unique) {
    lines.push(`UNIQUE (${group.map(sqlName).join(", ")})`);
  }
  lines.push(...foreign);
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${quote(table)} (\n  ${lines.join(",\n  ")}\n)`,
  ];
  const indexGroups = [
    ...keys.filter((key) => columns[key]!.options.index === true).map((
      key,
    ) => [key]),
    ...indexes,
  ];
  for (const group of indexGroups) {
    const name = `${table}_${
      group.map((key) => columns[key]!.bound.name).join("_")
    }_idx`;
    statements.push(
      `CREATE INDEX IF NOT EXISTS ${quote(name)} ON ${quote(table)} (${
        group.map(sqlName).join(", ")
      })`,
    );
  }
  return statements;
}

// ---------------------------------------------------------------------------
// Raw SQL: the `sql` template compiler.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Introspection: what an open file holds.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Build and verify.
// ---------------------------------------------------------------------------
