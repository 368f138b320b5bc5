/**
 * A file opened `immutable: false` and rewritten in place while nothing
 * ran is read whole by the next call: the calls that fail when the file
 * changes between their statements (a later `page()`, `nearest()`,
 * `within()`) answer from the new version then. A later page failed with
 * "the file changed between the statements of one call", since it took
 * the version before its first statement, which accepted the change.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import {
  type DataSet,
  integer,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet, tempDir } from "./_helpers.ts";

function declarePlaces(db: DataSet) {
  return class Place extends db.Model("place", {
    id: integer({ primaryKey: true }),
    version: text(),
    grp: integer(),
    lat: real(),
    lon: real(),
  }, { geo: { lat: "lat", lon: "lon" } }) {};
}

async function placesFile(
  engine: EngineName,
  path: string,
  version: string,
): Promise<void> {
  const db = freshDataSet(engine, { writable: true });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const Place = declarePlaces(db);
  await db.createAll();
  await new Store(Place).createMany(
    Array.from({ length: 30 }, (_, i) => ({
      version,
      grp: i % 3,
      lat: i / 10,
      lon: i / 10,
    })),
  );
  await db.close();
}

engineTest(
  "a call after a change in place reads the new version, whole",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_before_call_" });
    const files = { a: `${dir}/a.sqlite`, b: `${dir}/b.sqlite` };
    await placesFile(engine, files.a, "a");
    await placesFile(engine, files.b, "b");
    const path = `${dir}/served.sqlite`;
    Deno.copyFileSync(files.a, path);
    let changes = 0;
    const rewrite = (from: string): void => {
      Deno.copyFileSync(from, path);
      const time = new Date(Date.UTC(2001, 0, 1, 0, 0, ++changes));
      Deno.utimeSync(path, time, time);
    };
    const db = freshDataSet(engine, { immutable: false });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    const store = new Store(declarePlaces(db));
    try {
      const first = await store.page({}, { orderBy: "grp", limit: 2 });
      rewrite(files.b);
      // Two arms (the rest of grp 0, then grp > 0), both on version b.
      const later = await store.page({}, {
        orderBy: "grp",
        limit: 20,
        after: first.next!,
      });
      assert.equal(later.rows.length, 20);
      assert.deepEqual(
        new Set(later.rows.map((row) => row.version)),
        new Set(["b"]),
      );
      rewrite(files.a);
      const near = await store.nearest({ lat: 1, lon: 1 }, { limit: 2 });
      assert.deepEqual(near.map(({ row }) => row.version), ["a", "a"]);
      rewrite(files.b);
      const box = await Array.fromAsync(
        store.within({ south: 0, north: 2, west: 0, east: 2 }),
      );
      assert.equal(box.length, 21);
      assert.deepEqual(new Set(box.map((row) => row.version)), new Set(["b"]));
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "verifyDataSet reports one version of a file that may change, or fails",
  async (engine) => {
    const { verifyDataSet } = await import("../build.ts");
    const dir = await tempDir({ prefix: "microcosm_before_call_" });
    const files = { a: `${dir}/a.sqlite`, b: `${dir}/b.sqlite` };
    await placesFile(engine, files.a, "a");
    await placesFile(engine, files.b, "b");
    const path = `${dir}/served.sqlite`;
    Deno.copyFileSync(files.a, path);
    let changes = 0;
    let armed = false;
    const rewrite = (from: string): void => {
      Deno.copyFileSync(from, path);
      const time = new Date(Date.UTC(2001, 0, 1, 0, 0, ++changes));
      Deno.utimeSync(path, time, time);
    };
    const db = freshDataSet(engine, {
      immutable: false,
      onQuery: () => {
        if (!armed) return;
        armed = false;
        rewrite(changes % 2 ? files.a : files.b);
      },
    });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    declarePlaces(db);
    try {
      assert.equal((await verifyDataSet(db)).ok, true);
      // Changed before the call: the report is the new file's.
      rewrite(files.b);
      assert.deepEqual((await verifyDataSet(db)).tables, { place: 30 });
      // Changed after its first statement: no report of two versions.
      armed = true;
      await assert.rejects(verifyDataSet(db), {
        name: "DataSetError",
        message: new RegExp(
          `^Cannot verify dataset "${db.name}": the file changed between the statements of one call`,
        ),
      });
    } finally {
      await db.close();
    }
  },
);
