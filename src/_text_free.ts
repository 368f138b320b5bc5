/**
 * Which result columns of a caller's query can never hold text, so the NUL
 * flag of an engine that reads text only up to a NUL (`node:sqlite`) need
 * not look at them: a column that reads a STRICT table's INT, INTEGER,
 * REAL or BLOB column holds no text, as SQLite enforces. The flag's
 * `instr` on such a column converted every number to text first, which
 * cost as much as reading the rows (Northwind `Orders`: 13.6 ms for the
 * rows, 14 ms more for the flag over all 14 columns).
 *
 * SQLite's column metadata names the leftmost SELECT of a compound
 * (`UNION`, `INTERSECT`, `EXCEPT`) as the origin of all its rows when the
 * compound is the query itself, so a query whose text holds one of those
 * words trusts no origin. A compound inside it (a subquery, a view, a
 * common table expression) has no origin in SQLite 3.53, which Deno's
 * `node:sqlite` embeds (`tests/nul_flag_columns_test.ts` holds this).
 *
 * @module
 */
import type { Session } from "./_session.ts";
import { TEXT_FREE_COLUMNS } from "./_sql_lazy.ts";

/** A word that may make a compound SELECT. */
const COMPOUND = /\b(?:union|intersect|except)\b/i;

/** Per session whose schema is fixed: each table's text-free columns. */
const known = new WeakMap<Session, Map<string, ReadonlySet<string>>>();

const NONE: ReadonlySet<number> = new Set();

/**
 * The positions of the result columns of `sql` that can never hold text;
 * none when the engine reports no column origins or the query may be a
 * compound.
 * @param session The session the query runs on.
 * @param sql The caller's query.
 * @param action The action, for errors.
 * @returns The positions.
 */
export function textFreeColumns(
  session: Session,
  sql: string,
  action: string,
): ReadonlySet<number> {
  if (COMPOUND.test(sql)) return NONE;
  const statement = session.acquire(sql, action, "caller");
  const origins = statement.columnOrigins;
  session.release(statement);
  if (origins === undefined || !origins.some((o) => o?.database === "main")) {
    return NONE;
  }
  let tables = session.fixedSchema ? known.get(session) : undefined;
  if (tables === undefined) {
    tables = new Map();
    if (session.fixedSchema) known.set(session, tables);
  }
  const free = new Set<number>();
  origins.forEach((origin, i) => {
    if (origin === null || origin.database !== "main") return;
    let columns = tables.get(origin.table);
    if (columns === undefined) {
      columns = tableTextFree(session, origin.table, action);
      tables.set(origin.table, columns);
    }
    if (columns.has(origin.column)) free.add(i);
  });
  return free;
}

/**
 * The columns of `table` in `main` that can never hold text; none when
 * SQLite cannot answer (the check then looks at every column, as before).
 */
function tableTextFree(
  session: Session,
  table: string,
  action: string,
): ReadonlySet<string> {
  try {
    return new Set(
      session.all(
        TEXT_FREE_COLUMNS,
        [table, table],
        action,
        (row) => String(row.column(0)),
      ),
    );
  } catch {
    return new Set();
  }
}
