/**
 * The facets and aggregates of a store: `countBy()`, `distinct()`,
 * `min()`, `max()`, `sum()`, `avg()`. `Store` keeps the public methods and
 * their documentation, and delegates here through its
 * {@linkcode StoreCore}.
 *
 * @module
 */
import { ColumnHint, EngineError, type SQLValue } from "./_engine.ts";
import { SQLiteError } from "./errors.ts";
import type { Session } from "./_session.ts";
import { kindOf } from "./_kinds.ts";
import { quote } from "./_sql.ts";
import {
  aggregateSql,
  countBySql,
  distinctSql,
  extremeSql,
  integerAverageSql,
} from "./_sql_lazy.ts";
import type { StoreCore } from "./_store_core.ts";
import { checkCount } from "./_rules.ts";
import { Run, RUN_OPTION_NAMES, type RunOptions } from "./run.ts";
import type { CountByOptions, ValueCount } from "./store.ts";
import type { AnyColumn, Column } from "./columns.ts";

/** The option names `countBy()` takes. */
const COUNT_BY_OPTIONS: readonly string[] = ["limit", ...RUN_OPTION_NAMES];

/** The body of `Store.countBy()`. */
export async function countBy(
  core: StoreCore,
  key: unknown,
  filter: unknown,
  options: CountByOptions | undefined,
): Promise<ValueCount<unknown>[]> {
  const table = core.definition.table;
  const action = `Cannot count ${table} by ${String(key)}`;
  const column = core.columnOf(key, action);
  core.options(options, COUNT_BY_OPTIONS, "countBy");
  const run = Run.of(options, "countBy()", table);
  const limit = options?.limit === undefined
    ? -1
    : checkCount(options.limit, "limit", table);
  const where = core.where(filter);
  const raw = quote(column.bound.name);
  const sql = countBySql(
    table,
    raw,
    where.sql,
    groupedOf(column, raw),
  );
  const session = await core.session();
  core.refuseNulAmong(session, [column], filter, action);
  return session.all(
    sql,
    [...where.params, limit],
    action,
    (statement) => ({
      value: core.decodeValue(column, statement.column(0), action),
      count: Number(statement.column(1)),
    }),
    run,
  );
}

/** The body of `Store.distinct()`. */
export async function distinct(
  core: StoreCore,
  key: unknown,
  filter: unknown,
  options: RunOptions | undefined,
): Promise<unknown[]> {
  const table = core.definition.table;
  const action = `Cannot read the distinct ${String(key)} of ${table}`;
  const column = core.columnOf(key, action);
  const where = core.where(filter);
  const run = core.run(options, "distinct");
  const raw = quote(column.bound.name);
  const sql = distinctSql(
    table,
    raw,
    where.sql,
    groupedOf(column, raw),
  );
  const session = await core.session();
  core.refuseNulAmong(session, [column], filter, action);
  return session.all(
    sql,
    where.params,
    action,
    (statement) => core.decodeValue(column, statement.column(0), action),
    run,
  );
}

/** The body of `Store.min()` and `Store.max()`. */
export async function extreme(
  core: StoreCore,
  key: unknown,
  filter: unknown,
  descending: boolean,
  options: RunOptions | undefined,
): Promise<unknown> {
  const table = core.definition.table;
  const action = `Cannot read the ${descending ? "max" : "min"}imum ${
    String(key)
  } of ${table}`;
  const column = core.columnOf(key, action);
  const raw = quote(column.bound.name);
  const where = core.where(filter);
  const run = core.run(options, descending ? "max" : "min");
  const notNull = `${raw} IS NOT NULL`;
  const conditions = where.sql === ""
    ? ` WHERE ${notNull}`
    : `${where.sql} AND (${notNull})`;
  const compared = kindOf(column).compared;
  const sql = extremeSql(
    table,
    raw,
    compared === undefined ? raw : compared(raw),
    conditions,
    descending,
  );
  const session = await core.session();
  core.refuseNulAmong(session, [column], filter, action);
  const value = session.value(sql, where.params, action, run);
  return value === undefined
    ? undefined
    : core.decodeValue(column, value, action);
}

/** The body of `Store.sum()` and `Store.avg()`. */
export async function aggregateOf(
  core: StoreCore,
  aggregate: "sum" | "avg",
  key: unknown,
  filter: unknown,
  options: RunOptions | undefined,
): Promise<unknown> {
  const table = core.definition.table;
  const action = `Cannot read the ${
    aggregate === "sum" ? "sum" : "average"
  } of ${table}.${String(key)}`;
  const column = core.columnOf(key, action);
  if (!["integer", "real", "bigint"].includes(column.kind)) {
    throw new TypeError(
      `${action}: it applies to integer(), real() and bigint() columns, not ${column.kind}()`,
    );
  }
  const where = core.where(filter);
  const run = core.run(options, aggregate);
  const session = await core.session();
  // A STRICT numeric column holds numbers, and a STRICT INTEGER column
  // integers: the check of each cell is skipped where SQLite guarantees.
  const i = core.definition.keys.indexOf(column.bound.key);
  const sure = core.hints()[i] === ColumnHint.NUMBER_STRICT &&
    (column.kind === "real" ||
      session.strictIntegers.get(core.definition)?.[i] === true);
  const check = sure ? "none" : column.kind === "real" ? "number" : "integral";
  const sqlOf = (of: "sum" | "avg") =>
    aggregateSql(table, of, quote(column.bound.name), where.sql, check);
  const read = (of: "sum" | "avg") =>
    session.row(
      sqlOf(of),
      where.params,
      action,
      (statement) => [statement.column(0), statement.column(1)] as const,
      run,
    )!;
  if (aggregate === "avg" && column.kind !== "real") {
    const average = integerAverage(
      session,
      core,
      column,
      where,
      run,
      action,
      check,
    );
    if (average !== OVERFLOWED) return average;
  }
  let answer: readonly [SQLValue, SQLValue];
  try {
    answer = read(aggregate);
  } catch (error) {
    if (aggregate === "sum" && check !== "none" && overflowed(error)) {
      // SQLite 3.40 fails a sum with "integer overflow" as soon as its
      // integers overflow, even when a later cell is no integer; 3.43 and
      // later sum on. The cell a row read would refuse is named first on
      // both engines: avg() reads the same cells and never overflows.
      const generation = session.generation;
      const [, bad] = read("avg");
      if (bad !== null && session.generation === generation) {
        core.decodeValue(column, bad, action);
      }
    }
    throw error;
  }
  const [value, bad] = answer;
  // A cell a row read would refuse is refused here too, not summed.
  if (bad !== null) core.decodeValue(column, bad, action);
  if (aggregate === "avg") return value === null ? undefined : Number(value);
  return core.decodeValue(column, value, action);
}

/** What {@linkcode integerAverage} answers when the sum overflowed. */
const OVERFLOWED = Symbol("overflowed");

/**
 * The average of an integer column: its exact sum divided by the count,
 * the same on every SQLite version, where 3.40's `avg()` adds the
 * integers as doubles. The sum is SQLite's `sum()`, or, when that
 * overflows 64 bits, two sums that cannot (see `integerAverageSql`);
 * `OVERFLOWED` when even those do (past 2^31 rows), where `avg()`
 * answers.
 */
function integerAverage(
  session: Session,
  core: StoreCore,
  column: Column<unknown>,
  where: { sql: string; params: readonly SQLValue[] },
  run: Run | undefined,
  action: string,
  check: "integral" | "none" | "number",
): number | undefined | typeof OVERFLOWED {
  const read = (split: boolean) =>
    session.row(
      integerAverageSql(
        core.definition.table,
        quote(column.bound.name),
        where.sql,
        check === "none" ? "none" : "integral",
        split,
      ),
      where.params,
      action,
      (s) => [s.column(0), s.column(1), s.column(2), s.column(3)] as const,
      run,
    )!;
  let row;
  let split = false;
  try {
    row = read(false);
  } catch (error) {
    if (!overflowed(error)) throw error;
    try {
      split = true;
      row = read(true);
    } catch (again) {
      if (overflowed(again)) return OVERFLOWED;
      throw again;
    }
  }
  const [high, low, count, bad] = row;
  // A cell a row read would refuse is refused here too, not averaged.
  if (bad !== null) core.decodeValue(column, bad, action);
  if (high === null || low === null) return undefined;
  const sum = split
    ? BigInt(high as number | bigint) * 4294967296n +
      BigInt(low as number | bigint)
    : BigInt(high as number | bigint);
  return Number(sum) / Number(count);
}

/** Whether SQLite stopped a `sum()` because its integers overflowed. */
function overflowed(error: unknown): boolean {
  return error instanceof SQLiteError && error.cause instanceof EngineError &&
    error.cause.message === "integer overflow";
}

/**
 * What `countBy()` and `distinct()` group a column by: the values its
 * kind reads as one (`grouped`: SQL NULL and JSON null; `compared`: one
 * instant in several texts), or `undefined` for the stored values.
 */
function groupedOf(column: AnyColumn, raw: string): string | undefined {
  const kind = kindOf(column);
  return (kind.grouped ?? kind.compared)?.(raw);
}
