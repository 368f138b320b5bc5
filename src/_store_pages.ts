/**
 * The keyset pages of a store: the body of `Store.page()`, the plan of
 * each order (its keyset, `ORDER BY` and select list) and the SQL kept per
 * condition (the tokens are in `_page.ts`). `Store` keeps the public
 * method and its documentation, and delegates here through its
 * {@linkcode StoreCore}.
 *
 * @module
 */
import { ColumnHint, type SQLValue, type Statement } from "./_engine.ts";
import type { Session } from "./_session.ts";
import { orderBySql, type OrderTerm, orderTermSql, ROWID } from "./_sql.ts";
import {
  boundFilterSqls,
  keysetSql,
  type KeysetTerm,
  keysetWhereSql,
  oneArmSql,
  pageSql,
} from "./_sql_lazy.ts";
import {
  checksum,
  continueShape,
  decodeToken,
  describeValues,
  encodeToken,
  type TokenShape,
  tokenShape,
} from "./_page.ts";
import type { StoreCore } from "./_store_core.ts";
import { checkCount, orderCacheKey } from "./_rules.ts";
import { orderForm } from "./_datetime_order.ts";
import { hasOrderForms } from "./_kinds.ts";
import type { Condition } from "./filter.ts";
import { type AnyModel, parseOrderKey } from "./model.ts";
import { Run, RUN_OPTION_NAMES } from "./run.ts";
import type { Page, PageOptions } from "./store.ts";

/** The order of a keyset page (see `Store.page()`). */
export interface PagePlan {
  readonly keyset: readonly KeysetTerm[];
  readonly order: string;
  /**
   * The select list: the model's columns, then the order keys that are
   * not among them as stored (the rowid, a datetime compared as an
   * instant).
   */
  readonly columnList: string;
  /** The same with the NUL flag column after the model's columns. */
  readonly flaggedColumnList: string | undefined;
  /**
   * Where each order key is read: a model column's position (its cell as
   * stored), else `-1 - k` for the k-th key selected after the model's
   * columns (and the NUL flag column, where reads carry it).
   */
  readonly keyAt: readonly number[];
  /** The checksum of the table and the order, for the token's shape. */
  readonly shape: string;
  /** The SELECT of each condition paged under this order. */
  readonly sql: Map<string, string>;
  /** The same with the NUL flag column. */
  readonly flaggedSql: Map<string, string>;
  /** What a page derives from its filter's SQL, by that SQL. */
  readonly filters: Map<string, FilterPlan>;
}

/**
 * What the pages of one order derive from a filter's SQL (not its values),
 * kept per SQL text: a page of a filter paged before hashes only its values
 * and writes no SQL.
 */
interface FilterPlan {
  /** The hash of the token shape's text up to the filter's values. */
  readonly prefix: TokenShape;
  /**
   * The `WHERE` of a later page when the keyset is one term with one arm
   * (a position after a value, not NULL, in an order whose NULLs come
   * first or that has none): the text `keysetWhereSql` writes for it.
   */
  readonly oneArm: string | undefined;
  /**
   * With {@linkcode FilterPlan.oneArm}, when the filter is one bound on that
   * term on the side the pages move to (`> ?` or `>= ?` ascending, `< ?` or
   * `<= ?` descending): the `WHERE` of the arm alone. A numeric position
   * past the bound (as a position written by an earlier page of this
   * query is) implies the filter, so SQLite need not test it on each row.
   */
  readonly implied: string | undefined;
  /** Whether the one term is descending. */
  readonly descending: boolean;
}

/** How many filters' SQL texts an order keeps plans for. */
const MAX_FILTER_PLANS = 64;

/** The option names `page()` takes (made once: pages are a hot path). */
const PAGE_OPTIONS: readonly string[] = [
  "limit",
  "orderBy",
  "after",
  ...RUN_OPTION_NAMES,
];

/** The body of `Store.page()`. */
export function page<I>(
  core: StoreCore<I>,
  filter: unknown,
  options: PageOptions<AnyModel> | undefined,
): Promise<Page<I>> {
  // Not async, as retrieve(): on an open dataset the page is read at
  // once, without the promise turns of an async function and its await.
  try {
    const { table } = core.definition;
    core.options(
      options,
      PAGE_OPTIONS,
      "page",
    );
    const run = Run.of(options, "page()", table);
    const limit = options?.limit === undefined
      ? 100
      : checkCount(options.limit, "limit", table);
    if (limit === 0) {
      throw new RangeError(
        `Invalid limit for ${table}: a page holds at least one row`,
      );
    }
    const where = core.where(filter);
    // The session first: its data decides the default order.
    const session = core.session();
    if (session instanceof Promise) {
      return session.then((opened) =>
        readPage(core, opened, where, limit, run, options)
      );
    }
    return Promise.resolve(readPage(core, session, where, limit, run, options));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The page of `Store.page()` on an open session. */
function readPage<I>(
  core: StoreCore<I>,
  session: Session,
  where: Condition,
  limit: number,
  run: Run | undefined,
  options: PageOptions<AnyModel> | undefined,
): Page<I> {
  const { table, keys } = core.definition;
  const plan = pagePlan(core, options?.orderBy, session);
  const { keyset, keyAt } = plan;
  const filterPlan = filterPlanOf(plan, where.sql);
  // The query's shape: the model and order (hashed once per order), the
  // filter's SQL (hashed once per filter SQL) and its values; hashed once
  // for the token read and the token written.
  const shape = continueShape(
    filterPlan.prefix,
    describeValues(where.params),
  );
  // The first page is one query; a later one runs the keyset's
  // conditions in order until the page (and one more row) is full.
  let conditions: { sql: string; params: readonly SQLValue[] }[];
  if (options?.after === undefined) {
    conditions = [{ sql: where.sql, params: where.params }];
  } else {
    const position = decodeToken(
      options.after,
      shape,
      keyset.length,
      `Invalid page token for ${table}`,
    );
    const value = position[0]!;
    conditions = filterPlan.oneArm !== undefined && value !== null
      ? [
        filterPlan.implied !== undefined &&
          implies(value, where.params[0]!, filterPlan.descending)
          ? { sql: filterPlan.implied, params: [value] }
          : { sql: filterPlan.oneArm, params: [value, ...where.params] },
      ]
      : keysetSql(keyset, position).map((arm) => ({
        // The position first, so SQLite seeks on it (see keysetWhereSql).
        sql: keysetWhereSql(where.sql, arm.sql),
        params: [...arm.params, ...where.params],
      }));
  }
  // Rows carry the NUL flag after the model's columns where reads do.
  const flagged = core.flags(session);
  // Order keys not among the model's columns come after them (and the
  // flag): the one at -1 - k is the k-th, at `extra - at`.
  const extra = keys.length + (flagged ? 1 : 0) - 1;
  const selectList = flagged ? plan.flaggedColumnList! : plan.columnList;
  const rows: I[] = [];
  let last: SQLValue[] | undefined;
  let more = false;
  const read = (statement: Statement): void => {
    if (rows.length === limit) {
      more = true;
      return;
    }
    rows.push(core.read(statement));
    if (rows.length === limit) {
      // As stored: a model column's cell is read again by its storage
      // class, whatever its kind decoded it to.
      last = keyAt.map((at) =>
        statement.column(at < 0 ? extra - at : at, ColumnHint.ANY)
      );
    }
  };
  const action = `Cannot page ${table}`;
  // A later page runs one statement per arm: all must read one version,
  // the one the first arm read (a change before the call is no change
  // between its statements: the first arm reads the new file whole).
  let generation: number | undefined;
  for (const condition of conditions) {
    session.all(
      pageSqlOf(core, plan, flagged, selectList, condition.sql),
      [...condition.params, limit + 1 - rows.length],
      action,
      read,
      run,
    );
    generation ??= session.generation;
    if (more) break;
  }
  if (session.generation !== generation) throw session.changed(action);
  return {
    rows,
    next: more && last !== undefined ? encodeToken(last, shape) : undefined,
  };
}

/**
 * The plan of a filter's SQL under an order, made on its first page and
 * kept (up to {@linkcode MAX_FILTER_PLANS} per order).
 */
function filterPlanOf(plan: PagePlan, where: string): FilterPlan {
  let kept = plan.filters.get(where);
  if (kept !== undefined) return kept;
  const { keyset } = plan;
  const only = keyset[0]!;
  // The one arm keysetSql writes for a single term after a value that is
  // not NULL, unless a descending order must also reach its NULLs.
  const one = keyset.length === 1 && !(only.descending && only.nullable);
  const arm = oneArmSql(only);
  // The filter's SQL as the store writes one bound on the term's column.
  const bound = boundFilterSqls(only).includes(where);
  kept = {
    prefix: tokenShape(`${plan.shape}\0${where}\0`),
    oneArm: one ? keysetWhereSql(where, arm) : undefined,
    implied: one && bound ? keysetWhereSql("", arm) : undefined,
    descending: only.descending,
  };
  if (plan.filters.size < MAX_FILTER_PLANS) plan.filters.set(where, kept);
  return kept;
}

/**
 * Whether rows past a position (`>` it ascending, `<` it descending) all
 * lie within a filter's bound on the same term (`>`/`>=` it ascending,
 * `<`/`<=` descending): when both are numbers (compared exactly, as SQLite
 * compares INTEGER and REAL) and the position is on or past the bound.
 * Text is left to SQLite, whose collation JavaScript does not share.
 */
function implies(
  position: SQLValue,
  bound: SQLValue,
  descending: boolean,
): boolean {
  const numbers = (typeof position === "number" ||
    typeof position === "bigint") &&
    (typeof bound === "number" || typeof bound === "bigint");
  if (!numbers) return false;
  return descending ? position <= bound : position >= bound;
}

/**
 * A page's SELECT under a condition, kept per order and condition: the
 * same text each time, so the statement cache finds it without hashing
 * a new text.
 */
function pageSqlOf(
  core: StoreCore,
  plan: PagePlan,
  flagged: boolean,
  selectList: string,
  where: string,
): string {
  const kept = flagged ? plan.flaggedSql : plan.sql;
  let sql = kept.get(where);
  if (sql === undefined) {
    sql = pageSql(core.definition.table, selectList, where, plan.order);
    if (kept.size < 64) kept.set(where, sql);
  }
  return sql;
}

/**
 * The order of a page, derived once per order: its terms (the primary
 * key, else the rowid, last), the `ORDER BY`, and the select list (the
 * model's columns, then the order keys as stored).
 */
function pagePlan(
  core: StoreCore,
  orderBy: unknown,
  session: Session,
): PagePlan {
  const { table, primaryKey, keys, columns } = core.definition;
  const entries = core.orderKeys(orderBy);
  if (!Array.isArray(entries)) {
    throw new TypeError(
      `Invalid orderBy for ${table}: expected a property name or an array of them`,
    );
  }
  // The default order in rowid order where the data makes it so (see
  // #rowidDefault); its key is no list's JSON, which starts `["` or is
  // `[]`, and no single key's, which never starts with `[`.
  const byRowid = orderBy === undefined && entries.length === 0 &&
    core.rowidDefault(session);
  // Datetime text in several forms pages by instant (`_datetime_order.ts`):
  // its plan, keyset and tokens are another order's.
  let instant = false;
  const formOf = (key: string): ((sql: string) => string) | undefined => {
    const form = orderForm(session, core.definition, key);
    if (form !== undefined) instant = true;
    return form;
  };
  if (!byRowid && hasOrderForms(core.definition)) {
    for (const entry of entries) {
      formOf(parseOrderKey(entry, keys, table).key);
    }
    for (const key of primaryKey) formOf(key);
  }
  const ordered = byRowid ? "[rowid]" : orderCacheKey(entries);
  const cacheKey = ordered === undefined
    ? undefined
    : instant
    ? `instant:${ordered}`
    : ordered;
  const cached = cacheKey === undefined
    ? undefined
    : core.pagePlans.get(cacheKey);
  if (cached !== undefined) return cached;
  const seen = new Set<string>();
  const terms: OrderTerm[] = [];
  const keyset: KeysetTerm[] = [];
  const keyAt: number[] = [];
  const extra: string[] = [];
  const add = (key: string | undefined, descending: boolean): void => {
    const column = key === undefined ? ROWID : columns[key]!.bound.name;
    const compared = key === undefined || !instant ? undefined : formOf(key);
    const term: OrderTerm = {
      column,
      descending,
      ...(compared === undefined ? {} : { compared }),
    };
    terms.push(term);
    const sql = orderTermSql(term);
    keyset.push({
      sql,
      descending,
      nullable: key === undefined ? false : columns[key]!.nullable,
    });
    // A model column compared as stored is read where the row has it
    // (selected once); the rowid and a column compared in another form
    // (a datetime's instant) are selected after the model's columns.
    if (key === undefined || compared !== undefined) {
      extra.push(sql);
      keyAt.push(-extra.length);
    } else keyAt.push(keys.indexOf(key));
  };
  for (const entry of entries) {
    const { key, descending } = parseOrderKey(entry, keys, table);
    if (seen.has(key)) continue;
    seen.add(key);
    add(key, descending);
  }
  if (byRowid || primaryKey.length === 0) add(undefined, false);
  else for (const key of primaryKey) if (!seen.has(key)) add(key, false);
  const order = orderBySql(terms);
  const after = extra.length === 0 ? "" : `, ${extra.join(", ")}`;
  const flaggedList = core.plan.flaggedColumnList;
  const plan: PagePlan = {
    keyset,
    order,
    shape: checksum(`${table}\0${order}`),
    columnList: `${core.plan.columnList}${after}`,
    flaggedColumnList: flaggedList === undefined
      ? undefined
      : `${flaggedList}${after}`,
    keyAt,
    sql: new Map(),
    flaggedSql: new Map(),
    filters: new Map(),
  };
  if (cacheKey !== undefined && core.pagePlans.size < 64) {
    core.pagePlans.set(cacheKey, plan);
  }
  return plan;
}
