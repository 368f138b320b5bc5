/**
 * The geo queries of a store: the bodies of `Store.within()` and
 * `Store.nearest()`, and the checks of their arguments (the spherical
 * geometry is in `_geo.ts`). `Store` keeps the public methods and their
 * documentation, and delegates here through its {@linkcode StoreCore}.
 *
 * @module
 */
import { ColumnHint, type SQLValue } from "./_engine.ts";
import { Cursor } from "./_cursor.ts";
import type { Session } from "./_session.ts";
import { andWhereSql } from "./_sql.ts";
import {
  geoCandidatesSql,
  geoConditionSql,
  maxRowidSql,
  rowsByRowidSql,
} from "./_sql_lazy.ts";
import { checkGeoIndex } from "./_introspect.ts";
import { checkGeoRange } from "./_geo_range.ts";
import {
  boxParams,
  circleBoxes,
  EARTH_RADIUS_KM,
  greatCircleKm,
  HALF_CIRCUMFERENCE_KM,
  splitBox,
} from "./_geo.ts";
import type { StoreCore } from "./_store_core.ts";
import { MAX_LIST } from "./filter.ts";
import { checkCount, fewRows } from "./_rules.ts";
import type { AnyModel, ModelDefinition } from "./model.ts";
import { Run, RUN_OPTION_NAMES } from "./run.ts";
import type {
  GeoBox,
  GeoPoint,
  NearestOptions,
  SearchOptions,
} from "./store.ts";

/** The body of `Store.within()`. */
export function within<I>(
  core: StoreCore<I>,
  box: GeoBox,
  filter: unknown,
  options: SearchOptions<AnyModel> | undefined,
): AsyncGenerator<I, void, undefined> {
  const table = core.definition.table;
  const action = `Cannot search ${table} within a box`;
  let query: {
    sql: (columnList: string, session: Session) => string;
    params: SQLValue[];
  };
  let run: Run | undefined;
  try {
    const { lat, lon } = geoColumns(core, "within");
    const { south, west, north, east } = checkBox(box, table);
    const boxes = splitBox({ south, north, west, east });
    query = core.select(filter, options, {
      sql: geoConditionSql(
        table,
        lat,
        lon,
        boxes.length,
        west > east ? "crossing" : "plain",
      ),
      params: [...boxes.flatMap(boxParams), south, north, west, east],
    });
    run = Run.of(options, "within()", table);
  } catch (error) {
    return new Cursor<I>(undefined, error);
  }
  const select = query.sql;
  // The range check and the rows must read one version of the file.
  let generation = 0;
  const settle = (session: Session): Session => {
    generation = session.generation;
    return session;
  };
  return new Cursor({
    session: () => {
      const session = geoSession(core, action);
      return session instanceof Promise
        ? session.then(settle)
        : settle(session);
    },
    begun: (session) => {
      if (session.generation !== generation) throw session.changed(action);
    },
    sql: (session) =>
      select(
        core.flags(session)
          ? core.plan.flaggedColumnList!
          : core.plan.columnList,
        session,
      ),
    params: query.params,
    action,
    read: core.read,
    run,
    few: fewRows(options?.limit),
  });
}

/** The body of `Store.nearest()`. */
export async function nearest<I>(
  core: StoreCore<I>,
  point: GeoPoint,
  options: NearestOptions<AnyModel> | undefined,
): Promise<{ row: I; distanceKm: number }[]> {
  const { table, keys } = core.definition;
  const { lat: latColumn, lon: lonColumn } = geoColumns(core, "nearest");
  const { lat, lon } = checkPoint(point, table);
  const { limit, maxKm, filter } = checkNearestOptions(options, table);
  const where = core.where(filter);
  const run = Run.of(options, "nearest()", table);
  const action = `Cannot find the rows of ${table} nearest to (${lat}, ${lon})`;
  const session = await geoSession(core, action);
  if (limit === 0) return [];
  // The rounds and the rows by rowid must read one version of the file.
  const generation = session.generation;
  let km = initialRadiusKm(session, core.definition, limit, action);
  // The read hints the schema check chose for this file (STRICT ones
  // where SQLite guarantees a number).
  const latHint = core.hints()[keys.indexOf(core.definition.geo!.lat)]!;
  const lonHint = core.hints()[keys.indexOf(core.definition.geo!.lon)]!;
  let found: { rowid: number; distanceKm: number }[];
  for (;;) {
    const radius = Math.min(km, maxKm, HALF_CIRCUMFERENCE_KM);
    const boxes = circleBoxes(lat, lon, radius);
    const sql = geoCandidatesSql(
      table,
      latColumn,
      lonColumn,
      andWhereSql(
        where.sql,
        geoConditionSql(table, latColumn, lonColumn, boxes.length, undefined),
      ),
    );
    const rowids: number[] = [];
    const distances: number[] = [];
    session.all(
      sql,
      [
        ...where.params,
        ...boxes.flatMap(boxParams),
      ],
      action,
      (statement) => {
        const rowLat = statement.column(1, latHint);
        const rowLon = statement.column(2, lonHint);
        if (rowLat === null || rowLon === null) return;
        // A rowid is always an integer.
        rowids.push(
          Number(statement.column(0, ColumnHint.NUMBER_STRICT)),
        );
        distances.push(
          greatCircleKm(lat, lon, Number(rowLat), Number(rowLon)),
        );
      },
      run,
    );
    // Every row within the radius is in the boxes; rows in the boxes'
    // corners may be farther.
    found = [];
    for (let i = 0; i < rowids.length; i++) {
      if (distances[i]! <= radius) {
        found.push({ rowid: rowids[i]!, distanceKm: distances[i]! });
      }
    }
    // Enough rows within the radius: the limit-th distance is at most the
    // radius, so every nearer row is among them.
    if (
      found.length >= limit || radius >= maxKm ||
      radius >= HALF_CIRCUMFERENCE_KM
    ) break;
    km = nextRadiusKm(distances, radius, limit);
  }
  found.sort((a, b) => a.distanceKm - b.distanceKm || a.rowid - b.rowid);
  found.length = Math.min(found.length, limit);
  if (session.generation !== generation) throw session.changed(action);
  if (found.length === 0) return [];
  // Reads carry the NUL flag column after the model's columns where the
  // engine needs it (see #read); the rowid comes last.
  const flagged = core.flags(session);
  const n = keys.length + (flagged ? 1 : 0);
  const rows = new Map<number, I>();
  session.all(
    rowsByRowidSql(
      table,
      flagged ? core.plan.flaggedColumnList! : core.plan.columnList,
      found.length,
    ),
    found.map((item) => item.rowid),
    action,
    (statement) => {
      rows.set(
        Number(statement.column(n, ColumnHint.NUMBER)),
        core.read(statement),
      );
    },
    run,
  );
  if (session.generation !== generation) throw session.changed(action);
  return found.map(({ rowid, distanceKm }) => ({
    row: rows.get(rowid)!,
    distanceKm,
  }));
}

/** The model's geo option, or a `TypeError` naming the method. */
function geoColumns(
  core: StoreCore,
  method: string,
): { lat: string; lon: string } {
  const { table, geo, columns } = core.definition;
  if (geo === undefined) {
    throw new TypeError(
      `Cannot run ${method}() on ${table}: the model declares no geo option ({ geo: { lat, lon } })`,
    );
  }
  return {
    lat: columns[geo.lat]!.bound.name,
    lon: columns[geo.lon]!.bound.name,
  };
}

/**
 * The checked session, its file also checked for the geo index and for
 * rows outside the coordinate ranges (see `_geo_range.ts`).
 */
function geoSession(
  core: StoreCore,
  action: string,
): Session | Promise<Session> {
  const check = (session: Session): Session => {
    checkGeoIndex(session, core.definition);
    checkGeoRange(session, core.definition, action);
    return session;
  };
  const session = core.session();
  return session instanceof Promise ? session.then(check) : check(session);
}

/** Checks a `within()` box: four numbers in range. */
function checkBox(box: unknown, table: string): GeoBox {
  if (box === null || typeof box !== "object" || Array.isArray(box)) {
    throw new TypeError(
      `Invalid box for ${table}: expected { south, west, north, east } in degrees`,
    );
  }
  const { south, west, north, east } = box as Record<string, unknown>;
  checkDegrees(south, "south", 90, `box for ${table}`);
  checkDegrees(north, "north", 90, `box for ${table}`);
  checkDegrees(west, "west", 180, `box for ${table}`);
  checkDegrees(east, "east", 180, `box for ${table}`);
  if ((south as number) > (north as number)) {
    throw new RangeError(
      `Invalid box for ${table}: south ${south} is above north ${north}`,
    );
  }
  return box as GeoBox;
}

/** Checks a `nearest()` point: a latitude and a longitude in range. */
function checkPoint(point: unknown, table: string): GeoPoint {
  if (point === null || typeof point !== "object" || Array.isArray(point)) {
    throw new TypeError(
      `Invalid point for ${table}: expected { lat, lon } in degrees`,
    );
  }
  const { lat, lon } = point as Record<string, unknown>;
  checkDegrees(lat, "lat", 90, `point for ${table}`);
  checkDegrees(lon, "lon", 180, `point for ${table}`);
  return { lat: lat as number, lon: lon as number };
}

function checkDegrees(
  value: unknown,
  name: string,
  bound: number,
  what: string,
): void {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${what}: ${name} must be a number of degrees, got ${
        value === null ? "null" : typeof value
      }`,
    );
  }
  if (!(value >= -bound && value <= bound)) {
    throw new RangeError(
      `Invalid ${what}: ${name} must be between -${bound} and ${bound}, got ${value}`,
    );
  }
}

/** Checks `nearest()`'s options and fills in the defaults. */
function checkNearestOptions(
  options: unknown,
  table: string,
): { limit: number; maxKm: number; filter: unknown } {
  if (options === undefined) {
    return { limit: 10, maxKm: Infinity, filter: undefined };
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Invalid nearest options for ${table}: expected an object`,
    );
  }
  for (const name of Object.keys(options)) {
    if (
      !["limit", "maxKm", "filter"].includes(name) &&
      !RUN_OPTION_NAMES.includes(name)
    ) {
      throw new TypeError(
        `Invalid nearest option ${
          JSON.stringify(name)
        } for ${table}: expected limit, maxKm, filter, ${
          RUN_OPTION_NAMES.join(", ")
        }`,
      );
    }
  }
  const given = options as {
    limit?: unknown;
    maxKm?: unknown;
    filter?: unknown;
  };
  const limit = given.limit === undefined
    ? 10
    : checkCount(given.limit, "limit", table);
  if (limit > MAX_LIST) {
    throw new RangeError(
      `Invalid limit for ${table}: nearest() returns at most ${MAX_LIST} rows, got ${limit}`,
    );
  }
  let maxKm = Infinity;
  if (given.maxKm !== undefined) {
    if (typeof given.maxKm !== "number") {
      throw new TypeError(
        `Invalid maxKm for ${table}: expected a number, got ${typeof given
          .maxKm}`,
      );
    }
    if (!(given.maxKm >= 0)) {
      throw new RangeError(
        `Invalid maxKm for ${table}: expected a distance of 0 or more, got ${given.maxKm}`,
      );
    }
    maxKm = given.maxKm;
  }
  return { limit, maxKm, filter: given.filter };
}

/**
 * Rows per model in the geo index, an estimate (the largest rowid) read
 * once per session: the first search circle is sized for `limit` rows of
 * evenly spread points, and grows when fewer fall in it.
 */
const geoRows = new WeakMap<Session, WeakMap<ModelDefinition, number>>();

function initialRadiusKm(
  session: Session,
  definition: ModelDefinition,
  limit: number,
  action: string,
): number {
  let sizes = geoRows.get(session);
  if (sizes === undefined) {
    sizes = new WeakMap();
    geoRows.set(session, sizes);
  }
  let rows = sizes.get(definition);
  if (rows === undefined) {
    rows = Number(
      session.value(maxRowidSql(definition.table), [], action) ?? 0,
    );
    sizes.set(definition, rows);
  }
  // A cap of angle θ holds the fraction (1 - cos θ) / 2 ≈ θ² / 4 of the
  // sphere: θ = 2 √(limit / rows) holds `limit` evenly spread rows.
  const angle = rows <= limit ? Math.PI : 2 * Math.sqrt(limit / rows);
  return Math.max(1, angle * EARTH_RADIUS_KM);
}

/**
 * The next search radius after a round that found fewer than `limit` rows
 * within `radius`. When the boxes held at least `limit` rows (some in their
 * corners, farther than the radius), the `limit`-th smallest of their
 * distances: a circle of that radius holds those rows, so the next round is
 * the last, and no larger than needed. Otherwise 1.5 times the radius:
 * rounds that find few rows cost little, and a smaller step overshoots less
 * into a dense cluster (doubling read 1.7 times the candidate rows on the
 * benchmark's places), while a larger one rereads less of the box when a
 * filter rejects most rows.
 */
function nextRadiusKm(
  distances: number[],
  radius: number,
  limit: number,
): number {
  if (distances.length < limit) return radius * 1.5;
  distances.sort((a, b) => a - b);
  return distances[limit - 1]!;
}
