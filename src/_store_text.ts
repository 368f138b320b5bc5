/**
 * The text search of a store: the body of `Store.match()`, over the
 * model's FTS5 index (the plan and SQL are in `match.ts` and `_fts.ts`).
 * `Store` keeps the public method and its documentation, and delegates
 * here through its {@linkcode StoreCore}.
 *
 * @module
 */
import { ColumnHint, type SQLValue } from "./_engine.ts";
import { Cursor } from "./_cursor.ts";
import type { Session } from "./_session.ts";
import { matchSql } from "./_sql_lazy.ts";
import type { StoreCore } from "./_store_core.ts";
import { fewRows } from "./_rules.ts";
import {
  cachedSql,
  type Matched,
  matchInfo,
  type MatchOptions,
  type MatchPlan,
  planMatch,
  rawQueryError,
} from "./match.ts";
import { Run } from "./run.ts";

/** The body of `Store.match()`. */
export function match<I>(
  core: StoreCore<I>,
  text: string,
  options: MatchOptions<unknown> | undefined,
): AsyncGenerator<Matched<I>, void, undefined> {
  const { table, search, columns, keys } = core.definition;
  let sql: (session: Session) => string;
  // The NUL flag decision of the cursor's session (see #read).
  let flagged = false;
  let params: SQLValue[];
  let plan: MatchPlan;
  let run: Run | undefined;
  try {
    if (search === undefined) {
      throw new TypeError(
        `Cannot search the text of ${table}: the model declares no search index; add { search: { columns: [...] } } to its options`,
      );
    }
    plan = planMatch(table, search, text, options);
    run = Run.of(options, "match()", table);
    const where = core.where(plan.filter);
    const shape = plan.shape;
    const names = keys.map((key) => columns[key]!.bound.name);
    // Rows carry the NUL flag where the store's reads do (#flags).
    sql = (session) => {
      flagged = core.flags(session);
      return cachedSql(
        core.definition,
        shape,
        `${flagged ? "nul:" : ""}${where.sql}`,
        () =>
          matchSql(
            table,
            names,
            search,
            where.sql,
            shape,
            flagged ? core.plan.textColumns : undefined,
          ),
      );
    };
    params = [
      ...plan.before,
      plan.query ?? "",
      ...where.params,
      ...plan.page,
    ];
  } catch (error) {
    return new Cursor<Matched<I>>(undefined, error);
  }
  if (plan.query === undefined) return (async function* () {})();
  const n = keys.length;
  const highlighted = plan.shape.highlight ? search.keys : undefined;
  const snippet = plan.shape.snippet;
  const cursor = new Cursor<Matched<I>>({
    session: () => core.session(),
    sql,
    params,
    action: `Cannot search the text of ${table}`,
    run,
    few: fewRows(options?.limit),
    read: (statement) => {
      const row = core.readFlagged(statement, flagged) as Record<
        PropertyKey,
        unknown
      >;
      let i = flagged ? n + 1 : n;
      const info: {
        rank: number;
        highlights?: Record<string, string | null>;
        snippet?: string;
      } = { rank: statement.column(i++, ColumnHint.NUMBER) as number };
      if (highlighted !== undefined) {
        const highlights: Record<string, string | null> = {};
        for (const key of highlighted) {
          highlights[key] = statement.column(i++, ColumnHint.TEXT) as
            | string
            | null;
        }
        info.highlights = highlights;
      }
      if (snippet) {
        info.snippet = String(statement.column(i, ColumnHint.TEXT) ?? "");
      }
      row[matchInfo] = info;
      return row as Matched<I>;
    },
  });
  if (!plan.raw) return cursor;
  const query = plan.query;
  return (async function* () {
    try {
      yield* cursor;
    } catch (error) {
      throw rawQueryError(error, table, query);
    }
  })();
}
