/**
 * The coordinate ranges of a geo model's rows. `within()` and `nearest()`
 * search boxes within latitudes -90..90 and longitudes -180..180, so a row
 * stored outside them (a longitude written 0..360, a swapped pair) would
 * be missed without a word. Geo queries check the index for such rows
 * first (a few R*Tree probes; once per session where the data cannot
 * change) and fail naming the row; a build checks before it finishes.
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";
import { readRows } from "./_schema.ts";
import type { Session } from "./_session.ts";
import { geoOutOfRangeSql } from "./_sql_lazy.ts";
import { DataSetError } from "./errors.ts";
import type { ModelDefinition } from "./model.ts";

/** Per session whose data cannot change, the definitions found in range. */
const inRange = new WeakMap<Session, WeakSet<ModelDefinition>>();

/**
 * Throws when a row of the model's geo index lies outside the coordinate
 * ranges; nothing for a model without the `geo` option.
 * @param action Starts the error message ("Cannot search spot ...").
 * @throws {DataSetError} Naming the row's key and the coordinate.
 */
export function checkGeoRange(
  session: Session,
  definition: ModelDefinition,
  action: string,
): void {
  const known = inRange.get(session);
  if (known?.has(definition)) return;
  const problem = geoRangeProblem(session, definition, action);
  if (problem !== undefined) {
    throw new DataSetError(`${action}: ${problem}`, {
      dataset: session.dataset,
    });
  }
  if (!session.fixedSchema) return;
  if (known === undefined) inRange.set(session, new WeakSet([definition]));
  else known.add(definition);
}

/**
 * The first row of the model's geo index outside the coordinate ranges,
 * described (its key, the coordinate, what to do), or `undefined` when
 * there is none or the model has no `geo` option. `verifyDataSet` reports
 * it; geo queries throw it.
 */
export function geoRangeProblem(
  session: Session,
  definition: ModelDefinition,
  action: string,
): string | undefined {
  const { table, geo, columns, primaryKey } = definition;
  if (geo === undefined) return undefined;
  const keys = primaryKey.map((key) => columns[key]!.bound.name);
  const [row] = readRows(
    session,
    geoOutOfRangeSql(
      table,
      columns[geo.lat]!.bound.name,
      columns[geo.lon]!.bound.name,
      keys,
    ),
    [],
    action,
  );
  if (row === undefined) return undefined;
  const n = keys.length === 0 ? 1 : keys.length;
  const lat = row[n] as SQLValue;
  const lon = row[n + 1] as SQLValue;
  const names = keys.length === 0 ? ["rowid"] : primaryKey;
  const which = names.map((name, i) => `${name} ${String(row[i])}`).join(
    ", ",
  );
  const latOut = typeof lat === "number" && !(lat >= -90 && lat <= 90);
  const lonOut = typeof lon === "number" && !(lon >= -180 && lon <= 180);
  const what = latOut
    ? `its latitude ${lat} is outside -90..90`
    : lonOut
    ? `its longitude ${lon} is outside -180..180`
    : `its coordinates (lat ${String(lat)}, lon ${
      String(lon)
    }) are not numbers in -90..90 and -180..180`;
  return `the row of ${table} with ${which} cannot be found by within() or nearest(): ${what}. Store latitudes in -90..90 and longitudes in -180..180 (a longitude of 190 is -170)`;
}
