/**
 * One call, one version of the file: a call that runs more than one
 * statement (a later page's keyset arms, `nearest()`'s search rounds and
 * its rows, an HTTP answer's rows, total and facets) never combines rows
 * of two versions of a file opened `immutable: false` that is rewritten in
 * place between its statements. The change is made from the `onQuery`
 * hook, which runs between two statements of the call, so the test is
 * deterministic.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import { createHandler } from "../http.ts";
import {
  DataSet,
  DataSetError,
  integer,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet, tempDir } from "./_helpers.ts";

/** Declares the place model: a text to tell versions apart, a group, geo. */
function declarePlaces(db: DataSet) {
  class Place extends db.Model("place", {
    id: integer({ primaryKey: true }),
    version: text(),
    grp: integer(),
    lat: real(),
    lon: real(),
  }, { geo: { lat: "lat", lon: "lon" } }) {}
  class Note extends db.Model("note", {
    id: integer({ primaryKey: true }),
    version: text(),
  }) {}
  return { Place, Note };
}

/** Builds a places file whose rows all carry `version`. */
async function placesFile(
  engine: EngineName,
  path: string,
  version: string,
  count: number,
): Promise<void> {
  const db = freshDataSet(engine, { writable: true });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const { Place, Note } = declarePlaces(db);
  await db.createAll();
  const rows = [];
  for (let i = 1; i <= count; i++) {
    rows.push({ id: i, version, grp: i % 3, lat: i / 10, lon: i / 10 });
  }
  await new Store(Place).createMany(rows);
  await new Store(Note).createMany(rows.map(({ id }) => ({ id, version })));
  await db.close();
}

/**
 * A file `a` (30 rows of version "a") open with `immutable: false`, and a
 * `swap()` that arms a rewrite in place with `b` (`bRows` rows of version
 * "b") after the next statement the dataset reports.
 */
async function changingPlaces(engine: EngineName, bRows = 30) {
  const dir = await tempDir({ prefix: "microcosm_consistent_" });
  const a = `${dir}/a.sqlite`;
  const b = `${dir}/b.sqlite`;
  await placesFile(engine, a, "a", 30);
  await placesFile(engine, b, "b", bRows);
  const a0 = `${dir}/a0.sqlite`;
  Deno.copyFileSync(a, a0);
  let armed = false;
  let always = false;
  let swaps = 0;
  const db = DataSet.create(`consistent_${engine}_${crypto.randomUUID()}`, {
    engine,
    immutable: false,
    onQuery: () => {
      if (!armed && !always) return;
      armed = false;
      swaps++;
      Deno.copyFileSync(swaps % 2 === 1 ? b : a0, a);
      // A modification time no earlier write had, whatever the clock.
      const time = new Date(Date.UTC(2001, 0, 1, 0, 0, swaps));
      Deno.utimeSync(a, time, time);
    },
  });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: a } }));
  const { Place } = declarePlaces(db);
  return {
    db,
    Place,
    store: new Store(Place),
    swap: (): void => {
      armed = true;
    },
    /** Rewrites the file after every statement from now on. */
    swapAlways: (): void => {
      always = true;
    },
  };
}

/** Asserts that `promise` rejects with the change between statements. */
async function assertChanged(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof DataSetError, String(error));
    assert.match(error.message, /file changed between the statements of/);
    assert.match(error.message, /a\.sqlite/);
    return true;
  });
}

engineTest(
  "page() fails rather than splice its keyset arms from two versions",
  async (engine) => {
    const { db, store, swap } = await changingPlaces(engine);
    try {
      const first = await store.page({}, { orderBy: "grp", limit: 2 });
      assert.deepEqual(first.rows.map((row) => row.version), ["a", "a"]);
      // The second page runs two arms: the rest of grp 0, then grp > 0.
      swap();
      await assertChanged(
        store.page({}, { orderBy: "grp", limit: 20, after: first.next! }),
      );
      // The next call reads the new file, whole.
      const again = await store.page({}, { orderBy: "grp", limit: 20 });
      assert.deepEqual(
        new Set(again.rows.map((row) => row.version)),
        new Set(["b"]),
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "nearest() fails rather than read its rows from another version",
  async (engine) => {
    // The new version has fewer rows: the rowids found may not exist.
    const { db, store, swap } = await changingPlaces(engine, 5);
    try {
      const before = await store.nearest({ lat: 3, lon: 3 }, { limit: 3 });
      assert.deepEqual(before.map(({ row }) => row.id), [30, 29, 28]);
      swap();
      await assertChanged(store.nearest({ lat: 3, lon: 3 }, { limit: 3 }));
      const after = await store.nearest({ lat: 3, lon: 3 }, { limit: 3 });
      assert.deepEqual(after.map(({ row }) => [row.id, row.version]), [
        [5, "b"],
        [4, "b"],
        [3, "b"],
      ]);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "an HTTP page's rows, total and facets come from one version",
  async (engine) => {
    const { db, Place, swap } = await changingPlaces(engine, 5);
    try {
      const handler = createHandler(Place);
      const ask = async (): Promise<{
        rows: { version: string }[];
        total: number;
        facets: { values: { count: number }[] }[];
      }> => {
        const response = await handler(
          new Request(
            `http://127.0.0.1/${db.name}/place?_total=1&_facet=version&_size=50`,
          ),
        );
        assert.equal(response.status, 200, await response.clone().text());
        return await response.json();
      };
      const before = await ask();
      assert.equal(before.total, 30);
      swap(); // after the page's rows, before the total
      const answer = await ask();
      const versions = new Set(answer.rows.map((row) => row.version));
      assert.deepEqual(versions, new Set(["b"]));
      assert.equal(answer.rows.length, 5);
      assert.equal(answer.total, 5);
      assert.deepEqual(answer.facets[0]!.values.map((v) => v.count), [5]);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "an HTTP page whose file keeps changing is a 503 naming the dataset",
  async (engine) => {
    const { db, Place, swapAlways } = await changingPlaces(engine, 5);
    try {
      const handler = createHandler(Place);
      const url = `http://127.0.0.1/${db.name}/place?_total=1&_size=50`;
      assert.equal((await handler(new Request(url))).status, 200);
      swapAlways();
      const response = await handler(new Request(url));
      assert.equal(response.status, 503);
      const body = await response.json();
      assert.match(
        JSON.stringify(body),
        new RegExp(`The data of ${db.name} changed while the request`),
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "an HTTP listing counts every table of a dataset in one version",
  async (engine) => {
    const { db, swap } = await changingPlaces(engine, 5);
    try {
      const handler = createHandler(db);
      const counts = async (): Promise<number[]> => {
        const response = await handler(new Request("http://127.0.0.1/"));
        assert.equal(response.status, 200, await response.clone().text());
        const body = await response.json();
        return body.datasets[0].tables.map((t: { rows: number }) => t.rows);
      };
      assert.deepEqual(await counts(), [30, 30]);
      swap(); // after the first table's count, before the second's
      assert.deepEqual(await counts(), [5, 5]);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "an HTTP page's rows, total and facets come from one file across a reload",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_consistent_" });
    const a = `${dir}/a.sqlite`;
    const b = `${dir}/b.sqlite`;
    await placesFile(engine, a, "a", 30);
    await placesFile(engine, b, "b", 5);
    let reloading: Promise<unknown> | undefined;
    let armed = false;
    const db = DataSet.create(`consistent_${engine}_${crypto.randomUUID()}`, {
      engine,
      onQuery: () => {
        if (!armed) return;
        armed = false;
        // After the page's rows, before the total: the next file serves.
        reloading = db.reload(b);
      },
    });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: a } }));
    const { Place } = declarePlaces(db);
    try {
      const handler = createHandler(Place);
      const url =
        `http://127.0.0.1/${db.name}/place?_total=1&_facet=version&_size=50`;
      assert.equal((await handler(new Request(url))).status, 200);
      armed = true;
      const response = await handler(new Request(url));
      await reloading;
      assert.equal(response.status, 200, await response.clone().text());
      const answer: {
        rows: { version: string }[];
        total: number;
        facets: { values: { value: string; count: number }[] }[];
      } = await response.json();
      // Whichever file answered, it answered alone.
      const versions = [...new Set(answer.rows.map((row) => row.version))];
      assert.equal(versions.length, 1);
      assert.equal(answer.rows.length, answer.total);
      assert.deepEqual(answer.facets[0]!.values, [
        { value: versions[0], count: answer.total },
      ]);
    } finally {
      await db.close();
    }
  },
);
