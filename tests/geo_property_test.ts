/**
 * Property-based test of geo lookups: on random points (spread over the
 * globe, crowded near the poles and either side of the antimeridian, with
 * duplicates and the extreme coordinates), `Store.within()` and
 * `Store.nearest()` answer what a brute-force oracle over the same points
 * answers, on both engines.
 *
 * The oracle uses the same haversine function as the store: what is tested
 * is the search (boxes, antimeridian splits, pole caps, 32-bit rounding,
 * the growing radius), not the formula, which `geo_test.ts` checks.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { circleBoxes, EARTH_RADIUS_KM, greatCircleKm } from "../src/_geo.ts";
import { type DataSet, integer, real, Store, text } from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

interface Point {
  lat: number;
  lon: number;
}
interface Place extends Point {
  id: number;
  kind: string;
}

const lat = fc.oneof(
  fc.double({ min: -90, max: 90, noNaN: true }),
  fc.double({ min: 85, max: 90, noNaN: true }),
  fc.double({ min: -90, max: -85, noNaN: true }),
  fc.constantFrom(-90, 90, 0),
);
const lon = fc.oneof(
  fc.double({ min: -180, max: 180, noNaN: true }),
  fc.double({ min: 175, max: 180, noNaN: true }),
  fc.double({ min: -180, max: -175, noNaN: true }),
  fc.constantFrom(-180, 180, 0),
);
const point: fc.Arbitrary<Point> = fc.record({ lat, lon });

/** A point `dlat`, `dlon` degrees from `p`, on the globe. */
function offset(p: Point, dlat: number, dlon: number): Point {
  let lon = p.lon + dlon;
  if (lon > 180) lon -= 360;
  if (lon < -180) lon += 360;
  return { lat: Math.max(-90, Math.min(90, p.lat + dlat)), lon };
}

/**
 * Clusters of points a few degrees around random centres (which crowd the
 * poles and the antimeridian), some points repeated: dense enough that
 * searches end with small circles, which must then reach across.
 */
const points = fc.array(
  fc.record({
    center: point,
    members: fc.array(
      fc.record({
        dlat: fc.double({ min: -3, max: 3, noNaN: true }),
        dlon: fc.double({ min: -3, max: 3, noNaN: true }),
        kind: fc.constantFrom("a", "b"),
        copies: fc.nat(1),
      }),
      { maxLength: 60, size: "medium" },
    ),
  }),
  { maxLength: 12 },
).map((clusters) =>
  clusters.flatMap(({ center, members }) =>
    members.flatMap(({ dlat, dlon, kind, copies }) =>
      Array.from({ length: copies + 1 }, () => ({
        ...offset(center, dlat, dlon),
        kind,
      }))
    )
  )
);

/** A search centre: anywhere, or within a degree of ±180 or a pole. */
const center: fc.Arbitrary<Point> = fc.oneof(
  point,
  fc.record({
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.oneof(
      fc.double({ min: 179, max: 180, noNaN: true }),
      fc.double({ min: -180, max: -179, noNaN: true }),
    ),
  }),
  fc.record({
    lat: fc.oneof(
      fc.double({ min: 89, max: 90, noNaN: true }),
      fc.double({ min: -90, max: -89, noNaN: true }),
    ),
    lon,
  }),
);

function declare(db: DataSet) {
  return db.Model("spot", {
    id: integer({ primaryKey: true }),
    kind: text(),
    lat: real(),
    lon: real(),
  }, { geo: { lat: "lat", lon: "lon" } });
}

async function load(engine: "ffi" | "node", rows: Omit<Place, "id">[]) {
  const db = freshDataSet(engine);
  const Spot = declare(db);
  await db.createAll();
  const store = new Store(Spot);
  await store.createMany(rows);
  const places = rows.map((row, i) => ({ ...row, id: i + 1 }));
  return { db, store, places };
}

engineTest(
  "Store.within() answers what a brute-force oracle answers, poles and antimeridian included",
  async (engine) => {
    const box = fc.record({
      a: lat,
      b: lat,
      west: lon,
      east: lon,
      kind: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(points, box, async (rows, query) => {
        const { db, store, places } = await load(engine, rows);
        try {
          const south = Math.min(query.a, query.b);
          const north = Math.max(query.a, query.b);
          const { west, east, kind } = query;
          const filter = kind === undefined ? undefined : { kind };
          const found = await Array.fromAsync(
            store.within({ south, north, west, east }, filter),
          );
          const expected = places.filter((p) =>
            p.lat >= south && p.lat <= north &&
            (west <= east
              ? p.lon >= west && p.lon <= east
              : p.lon >= west || p.lon <= east) &&
            (kind === undefined || p.kind === kind)
          );
          assert.deepEqual(found.map((p) => p.id), expected.map((p) => p.id));
        } finally {
          await db.close();
        }
      }),
      { numRuns: 100 },
    );
  },
);

engineTest(
  "Store.nearest() answers what a brute-force oracle answers, poles and antimeridian included",
  async (engine) => {
    const query = fc.record({
      center,
      // A search centre near a random row, so that rows crowd around it.
      near: fc.option(
        fc.record({
          index: fc.nat(),
          dlat: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
          dlon: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        }),
        { nil: undefined },
      ),
      limit: fc.oneof(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 30 }),
      ),
      maxKm: fc.option(
        fc.oneof(
          fc.double({ min: 0, max: 25000, noNaN: true }),
          fc.double({ min: 0, max: 500, noNaN: true }),
        ),
        { nil: undefined },
      ),
      kind: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(points, query, async (rows, q) => {
        const { db, store, places } = await load(engine, rows);
        const near = q.near === undefined || places.length === 0
          ? undefined
          : places[q.near.index % places.length]!;
        const from = near === undefined
          ? q.center
          : offset(near, q.near!.dlat, q.near!.dlon);
        try {
          const found = await store.nearest(from, {
            limit: q.limit,
            ...(q.maxKm === undefined ? {} : { maxKm: q.maxKm }),
            ...(q.kind === undefined ? {} : { filter: { kind: q.kind } }),
          });
          const expected = places
            .filter((p) => q.kind === undefined || p.kind === q.kind)
            .map((p) => ({
              id: p.id,
              distanceKm: greatCircleKm(
                from.lat,
                from.lon,
                p.lat,
                p.lon,
              ),
            }))
            .filter((p) => q.maxKm === undefined || p.distanceKm <= q.maxKm)
            .sort((a, b) => a.distanceKm - b.distanceKm || a.id - b.id)
            .slice(0, q.limit);
          assert.deepEqual(
            found.map(({ row, distanceKm }) => ({ id: row.id, distanceKm })),
            expected,
          );
        } finally {
          await db.close();
        }
      }),
      { numRuns: 100 },
    );
  },
);

/** The point `km` from `from` along `bearing` degrees (spherical). */
function destination(from: Point, km: number, bearing: number): Point {
  const rad = Math.PI / 180;
  const d = km / EARTH_RADIUS_KM;
  const phi = from.lat * rad;
  const theta = bearing * rad;
  const lat2 = Math.asin(
    Math.sin(phi) * Math.cos(d) + Math.cos(phi) * Math.sin(d) * Math.cos(theta),
  );
  const lon2 = from.lon * rad +
    Math.atan2(
      Math.sin(theta) * Math.sin(d) * Math.cos(phi),
      Math.cos(d) - Math.sin(phi) * Math.sin(lat2),
    );
  let lon = lon2 / rad;
  while (lon > 180) lon -= 360;
  while (lon < -180) lon += 360;
  return { lat: lat2 / rad, lon };
}

Deno.test("circleBoxes holds every point of its circle, poles and antimeridian included", () => {
  fc.assert(
    fc.property(
      center,
      fc.oneof(
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        fc.double({ min: 0, max: 21000, noNaN: true }),
      ),
      fc.array(fc.double({ min: 0, max: 360, noNaN: true }), {
        minLength: 1,
        maxLength: 32,
      }),
      (from, km, bearings) => {
        const boxes = circleBoxes(from.lat, from.lon, km);
        for (const bearing of bearings) {
          // On the circle, and on the rim of the box where its edge is
          // tangent (bearings 0, 90, 180, 270 from the widest latitude).
          for (const p of [destination(from, km, bearing)]) {
            if (greatCircleKm(from.lat, from.lon, p.lat, p.lon) > km) continue;
            assert.ok(
              boxes.some((b) =>
                p.lat >= b.south && p.lat <= b.north && p.lon >= b.west &&
                p.lon <= b.east
              ),
              `${JSON.stringify(p)} not in ${JSON.stringify(boxes)}`,
            );
          }
        }
      },
    ),
    { numRuns: 2000 },
  );
});
