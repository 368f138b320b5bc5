/**
 * SQL fragments: pieces of raw SQL with their bound values, composed into
 * `dataset.sql` and `store.sql` templates (an optional `WHERE` clause, a
 * model's column list) without pasting any value into the text.
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";
import { compileTemplate } from "./_sql.ts";
import type { SQLParameter } from "./dataset.ts";

/**
 * A piece of SQL text and the values its `?` bind, made by
 * {@linkcode sqlFragment} or `Store.columns()`. Interpolated into a
 * `dataset.sql`, `store.sql` or another fragment, its text is inserted and
 * its values bound in place.
 */
export class SQLFragment {
  /** The SQL text, with a `?` per value. */
  readonly text: string;
  /** The values, in order. */
  readonly params: readonly SQLValue[];

  /**
   * @internal Use {@linkcode sqlFragment}.
   * @param text The SQL text.
   * @param params Its values.
   */
  constructor(text: string, params: readonly SQLValue[]) {
    this.text = text;
    this.params = Object.freeze([...params]);
  }
}

/**
 * Makes an SQL fragment: a tagged template like `dataset.sql` whose values
 * are bound, not pasted, kept for interpolation into a query. An empty
 * fragment (`` sqlFragment`` ``) inserts nothing, which makes a clause
 * optional.
 * @param strings The template's strings.
 * @param values The interpolated values (arrays become lists) and fragments.
 * @returns The fragment.
 * @throws {TypeError} For a value that is not an SQL value.
 *
 * @example
 * ```ts
 * import { DataSet, sqlFragment } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_fragment");
 * const search = async (min?: number) => {
 *   const where = min === undefined ? sqlFragment`` : sqlFragment`WHERE value >= ${min}`;
 *   const rows = db.sql<{ value: number }>`
 *     SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 5) ${where} ORDER BY value`;
 *   return (await Array.fromAsync(rows)).map((row) => row.value);
 * };
 * assert.deepEqual(await search(), [1, 5]);
 * assert.deepEqual(await search(3), [5]);
 * await db.close();
 * ```
 */
export function sqlFragment(
  strings: TemplateStringsArray,
  ...values: SQLParameter[]
): SQLFragment {
  const { text, params } = compileTemplate(strings, values);
  return new SQLFragment(text, params);
}
