/**
 * Orders on datetime text: text written in several forms (UTC offsets,
 * a space for the `T`, more or fewer digits of a second, as files built
 * elsewhere hold) does not sort as the instants it names, so an order on
 * such a column goes through the kind's comparison form (`julianday()`),
 * as filters, `min()`, `max()`, `countBy()` and `distinct()` do. Where the
 * data cannot change and every value is in the one form the library
 * writes (`Date.toISOString()`), the stored order is already the
 * instants' order, and the column's own order (and an index on it) is
 * kept; that is asked once per session and column, with one scan.
 *
 * Whether a model has such a column at all (`hasOrderForms` in
 * `_kinds.ts`) is asked before this module loads: it loads on the first
 * query of such a model (cold start, issue 15).
 *
 * @module
 */
import { kindOf } from "./_kinds.ts";
import type { Session } from "./_session.ts";
import { canonicalDatetimeSql } from "./_sql_lazy.ts";
import type { ModelDefinition } from "./model.ts";

/** Per session, per table and column: whether every value is canonical. */
const canonical = new WeakMap<Session, Map<string, boolean>>();

/**
 * The comparison form an order on property `key` goes through on
 * `session`, or `undefined` when the stored values sort right: a kind
 * without one, or data that cannot change whose every value is canonical.
 */
export function orderForm(
  session: Session,
  definition: ModelDefinition,
  key: string,
): ((sql: string) => string) | undefined {
  const column = definition.columns[key]!;
  const compared = kindOf(column).compared;
  if (compared === undefined) return undefined;
  // Data that may change may gain a text in another form at any time;
  // fixedSchema: read-only and immutable, or an image of bytes.
  if (!session.fixedSchema) return compared;
  let known = canonical.get(session);
  if (known === undefined) {
    known = new Map();
    canonical.set(session, known);
  }
  const name = column.bound.name;
  const id = `${definition.table}\0${name}`;
  let sure = known.get(id);
  if (sure === undefined) {
    sure = session.value(
      canonicalDatetimeSql(definition.table, name),
      [],
      `Cannot read the order of ${definition.table}.${key}`,
    ) === 1;
    known.set(id, sure);
  }
  return sure ? undefined : compared;
}
