/**
 * `within()` checks that no row of the geo index lies outside the
 * coordinate ranges (a statement of its own), then streams the rows in the
 * box. On a file opened `immutable: false` and rewritten in place between
 * the two, the rows came from a version the check never saw: a row stored
 * outside the ranges there was missed without a word. It now fails as
 * `page()` and `nearest()` do. The change is made from the `onQuery` hook,
 * between the two statements, so the test is deterministic.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import {
  type DataSet,
  DataSetError,
  integer,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet, tempDir } from "./_helpers.ts";

function declareSpots(db: DataSet) {
  return class Spot extends db.Model("spot", {
    id: integer({ primaryKey: true }),
    version: text(),
    lat: real(),
    lon: real(),
  }, { geo: { lat: "lat", lon: "lon" } }) {};
}

/** Writes a spots file; `lonOf(i)` gives each row's longitude. */
async function spotsFile(
  engine: EngineName,
  path: string,
  version: string,
  lonOf: (i: number) => number,
): Promise<void> {
  const db = freshDataSet(engine, { writable: true });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const Spot = declareSpots(db);
  await db.createAll();
  await new Store(Spot).createMany(
    Array.from({ length: 5 }, (_, i) => ({
      id: i + 1,
      version,
      lat: 10,
      lon: lonOf(i + 1),
    })),
  );
  await db.close();
}

engineTest(
  "within() fails rather than stream rows its range check did not see",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_within_" });
    const a = `${dir}/a.sqlite`;
    const b = `${dir}/b.sqlite`;
    await spotsFile(engine, a, "a", (i) => i);
    // Version b stores row 5 at longitude 190 (meant: -170), which a box
    // search can never find: the range check exists to say so.
    await spotsFile(engine, b, "b", (i) => i === 5 ? 190 : i);
    let armed = false;
    const statements: string[] = [];
    const db = freshDataSet(engine, {
      immutable: false,
      onQuery: (event) => {
        statements.push(event.sql);
        if (!armed) return;
        armed = false;
        Deno.copyFileSync(b, a);
        const time = new Date(Date.UTC(2001, 0, 1));
        Deno.utimeSync(a, time, time);
      },
    });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: a } }));
    const store = new Store(declareSpots(db));
    const box = { south: 0, north: 20, west: 0, east: 10 };
    try {
      const before = await Array.fromAsync(store.within(box));
      assert.deepEqual(before.map((row) => row.id), [1, 2, 3, 4, 5]);
      statements.length = 0;
      armed = true; // after the range check, before the rows
      await assert.rejects(
        Array.fromAsync(store.within(box)),
        (error: Error) => {
          assert.ok(error instanceof DataSetError, String(error));
          assert.match(
            error.message,
            /^Cannot search spot within a box: the file changed between the statements of one call/,
          );
          return true;
        },
      );
      // The swap came after the range check, which ran first.
      assert.equal(statements.length, 2);
      assert.match(statements[0]!, /NOT \("lat" BETWEEN -90 AND 90/);
      assert.match(statements[1]!, /maxLat >= \?/);
      // The next call checks the new version and names the row.
      await assert.rejects(
        Array.fromAsync(store.within(box)),
        (error: Error) => {
          assert.ok(error instanceof DataSetError, String(error));
          assert.match(error.message, /id 5 cannot be found by within\(\)/);
          assert.match(error.message, /longitude 190 is outside -180\.\.180/);
          return true;
        },
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "within() on a file that did not change streams its rows",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_within_" });
    const a = `${dir}/a.sqlite`;
    await spotsFile(engine, a, "a", (i) => i);
    const db = freshDataSet(engine, { immutable: false });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: a } }));
    const store = new Store(declareSpots(db));
    try {
      for (let round = 0; round < 2; round++) {
        const rows = await Array.fromAsync(
          store.within({ south: 0, north: 20, west: 1.5, east: 3.5 }),
        );
        assert.deepEqual(rows.map((row) => row.id), [2, 3]);
      }
      // Broken out of after a row, the statement is back in the cache.
      for await (
        const _ of store.within({ south: 0, north: 20, west: 0, east: 10 })
      ) break;
      assert.deepEqual(
        await Array.fromAsync(db.sql`SELECT count(*) AS n FROM spot`),
        [{ n: 5 }],
      );
    } finally {
      await db.close();
    }
  },
);
