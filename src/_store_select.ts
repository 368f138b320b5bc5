/**
 * The projections and raw SQL of a store: the bodies of `Store.select()`,
 * `Store.explain()`, `Store.columns()` and `Store.sql`. `Store` keeps the
 * public methods and their documentation, and delegates here through its
 * {@linkcode StoreCore}.
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";
import { kindOf } from "./_kinds.ts";
import { Cursor } from "./_cursor.ts";
import type { Session } from "./_session.ts";
import { columnListSql, compileTemplate, nulFlagSql, quote } from "./_sql.ts";
import { explainSql } from "./_sql_lazy.ts";
import type { StoreCore } from "./_store_core.ts";
import { fewRows, foldIdentifier } from "./_rules.ts";
import type { Column } from "./columns.ts";
import type { SQLParameter } from "./dataset.ts";
import { checkNulFlag, nulChecked, withTextFree } from "./dataset.ts";
import { DataSetError, QueryError } from "./errors.ts";
import type { AnyModel } from "./model.ts";
import { Run } from "./run.ts";
import type { SearchOptions } from "./store.ts";

/** The body of `Store.select()`. */
export function select(
  core: StoreCore,
  keys: readonly string[],
  filter: unknown,
  options: SearchOptions<AnyModel> | undefined,
): AsyncGenerator<Record<string, unknown>, void, undefined> {
  const table = core.definition.table;
  const action = `Cannot select from ${table}`;
  let query: {
    sql: (columnList: string, session: Session) => string;
    params: SQLValue[];
  };
  let selected: Column<unknown>[];
  let run: Run | undefined;
  try {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new TypeError(
        `${action}: expected a non-empty array of property names`,
      );
    }
    if (new Set(keys).size !== keys.length) {
      throw new TypeError(`${action}: a property is named twice`);
    }
    selected = keys.map((key) => core.columnOf(key, action));
    query = core.select(filter, options);
    run = Run.of(options, "select()", table);
  } catch (error) {
    return new Cursor<Record<string, unknown>>(undefined, error);
  }
  const hints = selected.map((column) => kindOf(column).hint);
  const list = columnListSql(selected.map((column) => column.bound.name));
  // Where reads carry the NUL flag (#flags), each row carries it over the
  // selected text columns: a check before the stream would miss a NUL
  // written while it runs.
  const text = selected.flatMap((column, i) => {
    const type = kindOf(column).sqlType;
    return type === "TEXT" || type === "ANY" ? [i] : [];
  });
  let flagged = false;
  return new Cursor({
    session: () => core.session(),
    sql: (session) => {
      flagged = text.length > 0 && core.flags(session);
      return query.sql(
        flagged
          ? `${list}, ${
            nulFlagSql(text.map((i) => quote(selected[i]!.bound.name)))
          }`
          : list,
        session,
      );
    },
    params: query.params,
    action,
    run,
    few: fewRows(options?.limit),
    read: (statement) => {
      if (flagged) {
        const flag = statement.column(selected.length);
        if (flag !== null) {
          throw new DataSetError(
            `${action}: ${table}.${
              selected[text[flag as number]!]!.bound.key
            } holds text with a NUL character, which node:sqlite cannot read past (it would return the text cut at the NUL); open the dataset with the ffi engine to read it whole`,
            { dataset: core.model.dataset.name },
          );
        }
      }
      const row: Record<string, unknown> = {};
      for (let i = 0; i < selected.length; i++) {
        const column = selected[i]!;
        const value = statement.column(i, hints[i]);
        if (value === null && !column.nullable) {
          throw new DataSetError(
            `${action}: ${column.bound.key} is NULL, and the model says NOT NULL`,
            { dataset: core.model.dataset.name },
          );
        }
        // defineProperty: a property named __proto__ stays a property.
        Object.defineProperty(row, keys[i]!, {
          value: core.decodeValue(column, value, action),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return row as Record<string, unknown>;
    },
  });
}

/** The body of `Store.explain()`. */
export async function explain(
  core: StoreCore,
  filter: unknown,
  options: SearchOptions<AnyModel> | undefined,
): Promise<string[]> {
  const query = core.select(filter, options);
  const session = await core.session();
  return session.all(
    explainSql(query.sql(core.plan.columnList, session)),
    query.params,
    `Cannot explain a search of ${core.definition.table}`,
    (statement) => String(statement.column(3)),
  );
}

/** The body of `Store.sql` (a template, with a run or none). */
export function rawSql<I>(
  core: StoreCore<I>,
  strings: TemplateStringsArray,
  values: SQLParameter[],
  run: Run | undefined,
): AsyncGenerator<I, void, undefined> {
  const { table, columns, keys } = core.definition;
  const action = `Cannot run sql for ${table}`;
  let compiled: { text: string; params: SQLValue[] };
  try {
    compiled = compileTemplate(strings, values);
  } catch (error) {
    return new Cursor<I>(undefined, error);
  }
  const expected = keys.map((key) => columns[key]!.bound.name);
  let checked = false;
  // On an engine that reads text only up to a NUL, the query's names and
  // a flag column after them (as dataset.sql does), else undefined.
  let flagged: readonly string[] | undefined;
  let rows = 0;
  return new Cursor({
    session: () => withTextFree(core.session()),
    sql: (session) => {
      if (session.engine.readsTextWhole) return compiled.text;
      const plan = nulChecked(session, compiled.text, action);
      flagged = plan?.names;
      return plan?.sql ?? compiled.text;
    },
    params: compiled.params,
    action,
    origin: "caller",
    run,
    read: (statement) => {
      rows++;
      if (flagged !== undefined) {
        checkNulFlag(
          statement,
          flagged,
          rows,
          action,
          core.model.dataset.name,
          compiled.text,
        );
      }
      if (!checked) {
        const names = flagged ?? statement.columnNames;
        if (
          names.length !== expected.length ||
          names.some((name, i) =>
            foldIdentifier(name) !== foldIdentifier(expected[i]!)
          )
        ) {
          throw new QueryError(
            `${action}: the query selects ${
              names.join(", ")
            }; expected the model's columns ${
              expected.join(", ")
            } (write them with store.columns())`,
            { dataset: core.model.dataset.name, sql: compiled.text },
          );
        }
        checked = true;
      }
      return core.readLoose(statement);
    },
  });
}
