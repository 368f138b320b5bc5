// Reads whose every row is collected at once (pages, nearest rows, facets,
// searches and text matches with a small limit) run their query once, and still fail with SQLite's error when it stops
// part-way: node:sqlite's iterate() ends silently on such an error, so the
// node engine reads these with all(), which throws, instead of streaming
// them and running the rest of the query again to find out.
import assert from "node:assert/strict";
import { DataSetError, integer, json, real, Store, text } from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { SESSION } from "../src/dataset.ts";
import type { Session } from "../src/_session.ts";
import {
  engineTest,
  freshDataSet,
  oneModel,
  openFile,
  preparedDuring,
  tempDir,
} from "./_helpers.ts";

/** The text of the node engine's second run of a streamed query's rest. */
const SECOND_RUN = /^SELECT \* FROM \(\n[\s\S]*\n\) LIMIT -1 OFFSET \?$/;

Deno.test("The node engine runs pages, nearest rows, facets and limited searches, selects, boxes and matches once each", async (t) => {
  const { db, store } = await oneModel("node", "place", {
    id: integer({ primaryKey: true }),
    name: text(),
    lat: real(),
    lon: real(),
  }, { geo: { lat: "lat", lon: "lon" }, search: { columns: ["name"] } });
  await using _ = db;
  await store.createMany(
    Array.from({ length: 50 }, (_, i) => ({
      name: `p${i % 7}`,
      lat: i - 25,
      lon: 2 * i - 50,
    })),
  );
  const reads: [string, () => Promise<unknown>, unknown][] = [
    ["page", async () => (await store.page({}, { limit: 3 })).rows.length, 3],
    [
      "nearest",
      async () =>
        (await store.nearest({ lat: 0, lon: 0 }, { limit: 2 })).length,
      2,
    ],
    ["countBy", async () => (await store.countBy("name")).length, 7],
    [
      "match with a limit",
      async () =>
        (await Array.fromAsync(store.match("p1", { limit: 2 }))).length,
      2,
    ],
    [
      "select with a limit",
      async () =>
        (await Array.fromAsync(store.select(["name"], {}, { limit: 3 })))
          .length,
      3,
    ],
    [
      "within with a limit",
      async () =>
        (await Array.fromAsync(
          store.within({ south: -90, north: 90, west: -180, east: 180 }, {}, {
            limit: 5,
          }),
        )).length,
      5,
    ],
    [
      "search with a limit",
      async () =>
        (await Array.fromAsync(store.search({}, { limit: 4 }))).length,
      4,
    ],
  ];
  for (const [name, read, expected] of reads) {
    await t.step(name, async () => {
      let answer: unknown;
      const prepared = await preparedDuring(async () => {
        answer = await read();
      });
      assert.equal(answer, expected);
      assert.deepEqual(prepared.filter((sql) => SECOND_RUN.test(sql)), []);
    });
  }
});

engineTest(
  "A read collected at once fails with SQLite's error raised part-way",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    const session = await (db[SESSION]() as Promise<Session> | Session);
    assert.throws(
      () =>
        session.all(
          "SELECT json_extract(v, '$') FROM (SELECT '[1]' AS v UNION ALL SELECT '{bad')",
          [],
          "Cannot read",
          (statement) => statement.column(0),
        ),
      /malformed JSON/,
    );
  },
);

engineTest(
  "Store.page() and a limited search() on a file damaged under their rows fail with DataSetError",
  async (engine) => {
    const build = freshDataSet(engine);
    const declare = (db: typeof build) =>
      db.Model("doc", { id: integer({ primaryKey: true }), body: json() });
    const Doc = declare(build);
    const path = `${await tempDir()}/doc.sqlite`;
    await buildDataSet(build, path, async (b) => {
      await b.loadRecords(
        Doc,
        Array.from({ length: 20 }, (_, i) => ({
          id: i + 1,
          body: ["x".repeat(10_000)],
        })),
      );
    });
    // Fill the overflow pages (any page but a b-tree's) with 0xFF: the
    // rows' keys stay readable, their bodies do not.
    const bytes = await Deno.readFile(path);
    const pageSize = new DataView(bytes.buffer).getUint16(16);
    for (let at = pageSize; at < bytes.length; at += pageSize) {
      if (![2, 5, 10, 13].includes(bytes[at]!)) {
        bytes.fill(0xff, at, at + pageSize);
      }
    }
    await Deno.writeFile(path, bytes);
    const db = openFile(engine, path);
    await using _ = db;
    const store = new Store(declare(db));
    await assert.rejects(store.page({}, { limit: 5 }), DataSetError);
    await assert.rejects(
      Array.fromAsync(store.search({}, { limit: 5 })),
      DataSetError,
    );
  },
);

Deno.test("With an onQuery hook, the node engine still runs a page once", async () => {
  const heard: string[] = [];
  const db = freshDataSet("node", {
    onQuery: (event) => void heard.push(event.sql),
  });
  await using _ = db;
  const N = db.Model("n", { id: integer({ primaryKey: true }) });
  await db.createAll();
  const store = new Store(N);
  await store.createMany([{}, {}, {}]);
  const prepared = await preparedDuring(async () => {
    assert.equal((await store.page({}, { limit: 2 })).rows.length, 2);
  });
  assert.ok(heard.length > 0);
  assert.deepEqual(prepared.filter((sql) => SECOND_RUN.test(sql)), []);
});

Deno.test("Under a time budget, the node engine still runs a page once, and the budget still stops it", async () => {
  const db = freshDataSet("node");
  await using _ = db;
  const N = db.Model("n", { id: integer({ primaryKey: true }) });
  await db.createAll();
  const store = new Store(N);
  await store.createMany([{}, {}, {}]);
  const prepared = await preparedDuring(async () => {
    const page = await store.page({}, { limit: 2, timeoutMs: 60_000 });
    assert.equal(page.rows.length, 2);
  });
  assert.deepEqual(prepared.filter((sql) => SECOND_RUN.test(sql)), []);
  // A budget already spent when the rows arrive still fails the read.
  const { QueryTimeoutError } = await import("../mod.ts");
  const realNow = performance.now;
  let calls = 0;
  performance.now = () => realNow.call(performance) + (++calls > 1 ? 1e9 : 0);
  try {
    await assert.rejects(
      store.page({}, { limit: 2, timeoutMs: 1_000 }),
      QueryTimeoutError,
    );
  } finally {
    performance.now = realNow;
  }
});
