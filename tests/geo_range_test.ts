/**
 * Coordinates outside -90..90 and -180..180 in a geo model's rows (a
 * longitude written 0..360, a swapped pair): `within()` and `nearest()`
 * search boxes in range, so they would silently miss such a row. They
 * fail with a `DataSetError` naming the row instead, and a build refuses
 * to write such a file. Arguments out of range are `RangeError`s (see
 * `geo_test.ts`); boxes across the antimeridian are checked against an
 * oracle in `geo_property_test.ts`.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import { type DataSet, DataSetError, integer, real, Store } from "../mod.ts";
import { buildDataSet, verifyDataSet } from "../build.ts";
import { engineTest, freshDataSet, openFile, tempDir } from "./_helpers.ts";

function declareSpots(db: DataSet) {
  class Spot extends db.Model("spot", {
    id: integer({ primaryKey: true }),
    lat: real({ nullable: true }),
    lon: real({ nullable: true }),
  }, { geo: { lat: "lat", lon: "lon" } }) {}
  return Spot;
}

/** Rows with a longitude written 0..360: id 1 is the point (0, -170). */
const ROWS = [
  { id: 1, lat: 0, lon: 190 },
  { id: 2, lat: 0, lon: 100 },
  { id: 3, lat: null, lon: 500 },
];

/** Asserts the error names the table, the row and the coordinate. */
function outOfRange(error: Error): boolean {
  assert.ok(error instanceof DataSetError, String(error));
  assert.match(error.message, /spot/);
  assert.match(error.message, /id 1/);
  assert.match(error.message, /longitude 190 is outside -180\.\.180/);
  return true;
}

async function inMemory(engine: EngineName) {
  const db = freshDataSet(engine);
  const Spot = declareSpots(db);
  await db.createAll();
  const store = new Store(Spot);
  await store.createMany(ROWS);
  return { db, store };
}

engineTest(
  "nearest() fails naming a row whose longitude is outside -180..180",
  async (engine) => {
    const { db, store } = await inMemory(engine);
    try {
      await assert.rejects(
        store.nearest({ lat: 0, lon: -170 }, { limit: 1 }),
        outOfRange,
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "within() fails naming a row whose longitude is outside -180..180",
  async (engine) => {
    const { db, store } = await inMemory(engine);
    try {
      await assert.rejects(
        Array.fromAsync(
          store.within({ south: -1, north: 1, west: -171, east: -169 }),
        ),
        outOfRange,
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "a latitude outside -90..90 is named too, and rows in range search as before",
  async (engine) => {
    const db = freshDataSet(engine);
    const Spot = declareSpots(db);
    await db.createAll();
    const store = new Store(Spot);
    await store.createMany([{ id: 1, lat: 10, lon: 10 }]);
    try {
      const near = await store.nearest({ lat: 10, lon: 10 }, { limit: 1 });
      assert.deepEqual(near.map(({ row }) => row.id), [1]);
      await store.create({ id: 2, lat: -91, lon: 0 });
      await assert.rejects(
        store.nearest({ lat: 10, lon: 10 }, { limit: 1 }),
        (error: Error) => {
          assert.ok(error instanceof DataSetError, String(error));
          assert.match(error.message, /id 2/);
          assert.match(error.message, /latitude -91 is outside -90\.\.90/);
          return true;
        },
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "a read-only file holding such a row fails its geo queries naming it",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_geo_range_" });
    const path = `${dir}/spots.sqlite`;
    const writer = openFile(engine, path, { writable: true });
    const Written = declareSpots(writer);
    await writer.createAll();
    await new Store(Written).createMany(ROWS);
    await writer.close();
    const db = openFile(engine, path);
    try {
      const store = new Store(declareSpots(db));
      await assert.rejects(
        store.nearest({ lat: 0, lon: -170 }, { limit: 1 }),
        outOfRange,
      );
      // Other queries read the rows as they are.
      assert.equal(await store.count(), 3);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "buildDataSet refuses a geo row outside the coordinate ranges",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_geo_range_" });
    const db = freshDataSet(engine);
    const Spot = declareSpots(db);
    await assert.rejects(
      buildDataSet(db, `${dir}/spots.sqlite`, async (build) => {
        await build.loadRecords(Spot, ROWS);
      }),
      outOfRange,
    );
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left, []);
  },
);

engineTest(
  "verifyDataSet reports a geo row outside the coordinate ranges",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_geo_range_" });
    const path = `${dir}/spots.sqlite`;
    const writer = openFile(engine, path, { writable: true });
    const Written = declareSpots(writer);
    await writer.createAll();
    await new Store(Written).createMany(ROWS);
    await writer.close();
    const db = openFile(engine, path);
    declareSpots(db);
    try {
      const report = await verifyDataSet(db);
      assert.equal(report.ok, false);
      const messages = report.problems.map((problem) => problem.message);
      assert.ok(
        messages.some((message) =>
          /^spot: the row of spot with id 1 .*longitude 190 is outside -180\.\.180/
            .test(message)
        ),
        messages.join("\n"),
      );
    } finally {
      await db.close();
    }
  },
);
