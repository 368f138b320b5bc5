/**
 * Cold start (issue 15): the modules a first `retrieve()` never runs load
 * on first use. Each case here runs in a fresh process that opens a file
 * and makes one of those calls first, nothing else before it, so the module
 * is loaded by that very call; the answers and the errors are the ones the
 * statically loaded modules gave. (Which modules `mod.ts` loads statically
 * is pinned in `cold_start_test.ts`.)
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import {
  CAUGHT_JS,
  engineTest,
  openFile,
  runScriptJson,
  tempDir,
} from "./_helpers.ts";
import { integer, real, Store, text } from "../mod.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

/** A read-only file of places, with a search index and a geo index. */
async function placesFile(engine: EngineName): Promise<string> {
  const dir = await tempDir({ prefix: "microcosm_lazy_" });
  const path = `${dir}/places.sqlite`;
  const db = openFile(engine, path, { writable: true });
  class Place extends db.Model("place", {
    id: integer({ primaryKey: true }),
    name: text(),
    country: text(),
    lat: real(),
    lon: real(),
  }, {
    search: { columns: ["name"] },
    geo: { lat: "lat", lon: "lon" },
  }) {}
  await db.createAll();
  await new Store(Place).createMany([
    { name: "Paris", country: "FR", lat: 48.86, lon: 2.35 },
    { name: "Lyon", country: "FR", lat: 45.76, lon: 4.84 },
    { name: "Berlin", country: "DE", lat: 52.52, lon: 13.4 },
  ]);
  await db.close();
  return path;
}

/**
 * Runs `body` (the statements of an async function of `store`, `db` and
 * `events`, the queries the dataset's hook saw) first thing in a fresh
 * process over the places file, and returns what it returns.
 */
async function firstCall(
  engine: EngineName,
  path: string,
  body: string,
  // deno-lint-ignore no-explicit-any -- each case reads its own JSON shape
): Promise<any> {
  return await runScriptJson(
    ["--allow-read", "--allow-ffi", "--allow-env"],
    `
    import * as lib from ${JSON.stringify(MOD)};
    const { DataSet, SQLiteBindFactory, Store, integer, real, text } = lib;
    const events = [];
    const db = DataSet.create("lazy", {
      engine: ${JSON.stringify(engine)},
      onQuery: (event) => events.push(event.sql),
    });
    db.bind(new SQLiteBindFactory({ paths: { lazy: ${
      JSON.stringify(path)
    } } }));
    class Place extends db.Model("place", {
      id: integer({ primaryKey: true }),
      name: text(),
      country: text(),
      lat: real(),
      lon: real(),
    }, {
      search: { columns: ["name"] },
      geo: { lat: "lat", lon: "lon" },
    }) {}
    const store = new Store(Place);
    ${CAUGHT_JS}
    const result = await (async () => { ${body} })();
    await db.close();
    console.log(JSON.stringify(result));
    `,
  );
}

engineTest(
  "the first page() of a process loads pages, and later pages answer without an await",
  async (engine) => {
    const path = await placesFile(engine);
    const result = await firstCall(
      engine,
      path,
      `
      const first = await store.page({}, { orderBy: "name", limit: 2 });
      // The module is in: the next page is read before page() returns.
      const before = events.length;
      const pending = store.page({}, { orderBy: "name", after: first.next });
      const readAtOnce = events.length > before;
      const second = await pending;
      return {
        first: first.rows.map((p) => p.name),
        second: second.rows.map((p) => p.name),
        readAtOnce,
      };
      `,
    );
    assert.deepEqual(result, {
      first: ["Berlin", "Lyon"],
      second: ["Paris"],
      readAtOnce: true,
    });
  },
);

engineTest(
  "the first match() of a process loads text search",
  async (engine) => {
    const path = await placesFile(engine);
    const result = await firstCall(
      engine,
      path,
      `
      const rows = await Array.fromAsync(store.match("lyon", { snippet: true }));
      return rows.map((p) => [p.name, p[lib.matchInfo].snippet]);
      `,
    );
    assert.deepEqual(result, [["Lyon", "<mark>Lyon</mark>"]]);
  },
);

engineTest(
  "the first within() and nearest() of a process load geo",
  async (engine) => {
    const path = await placesFile(engine);
    const within = await firstCall(
      engine,
      path,
      `
      const box = { south: 45, north: 50, west: 0, east: 5 };
      return (await Array.fromAsync(store.within(box, {}, { orderBy: "name" })))
        .map((p) => p.name);
      `,
    );
    assert.deepEqual(within, ["Lyon", "Paris"]);
    const nearest = await firstCall(
      engine,
      path,
      `
      const near = await store.nearest({ lat: 48.85, lon: 2.35 }, { limit: 2 });
      return near.map(({ row }) => row.name);
      `,
    );
    assert.deepEqual(nearest, ["Paris", "Lyon"]);
  },
);

engineTest(
  "the first countBy(), distinct() and aggregate of a process load facets",
  async (engine) => {
    const path = await placesFile(engine);
    const result = await firstCall(
      engine,
      path,
      `
      return {
        countBy: await store.countBy("country"),
        distinct: await store.distinct("country"),
        min: await store.min("lat"),
        max: await store.max("name"),
        sum: await store.sum("id"),
        avg: await store.avg("id"),
      };
      `,
    );
    assert.deepEqual(result, {
      countBy: [{ value: "FR", count: 2 }, { value: "DE", count: 1 }],
      distinct: ["DE", "FR"],
      min: 45.76,
      max: "Paris",
      sum: 6,
      avg: 2,
    });
  },
);

engineTest(
  "the first select(), explain() and store.sql of a process load projection",
  async (engine) => {
    const path = await placesFile(engine);
    const selected = await firstCall(
      engine,
      path,
      `return await Array.fromAsync(store.select(["id", "name"], { country: "DE" }));`,
    );
    assert.deepEqual(selected, [{ id: 3, name: "Berlin" }]);
    const plan = await firstCall(
      engine,
      path,
      `return await store.explain({ id: 2 });`,
    );
    assert.match(plan.join("\n"), /SEARCH place USING INTEGER PRIMARY KEY/);
    const sql = await firstCall(
      engine,
      path,
      `
      const rows = store.sql\`SELECT \${store.columns()} FROM place WHERE id = \${2}\`;
      return (await Array.fromAsync(rows)).map((p) => p.name);
      `,
    );
    assert.deepEqual(sql, ["Lyon"]);
    const tagged = await firstCall(
      engine,
      path,
      `
      const rows = store.sql({ timeoutMs: 5000 })\`SELECT \${store.columns()} FROM place WHERE id = \${1}\`;
      return (await Array.fromAsync(rows)).map((p) => p.name);
      `,
    );
    assert.deepEqual(tagged, ["Paris"]);
  },
);

engineTest(
  "the first contentHash() and pinned open of a process load hashing",
  async (engine) => {
    const path = await placesFile(engine);
    const hash = await firstCall(
      engine,
      path,
      `return await db.contentHash();`,
    );
    assert.match(hash, /^[0-9a-f]{64}$/);
    const pinned = await firstCall(
      engine,
      path,
      `
      const bytes = await Deno.readFile(${JSON.stringify(path)});
      const digest = await crypto.subtle.digest("SHA-256", bytes);
      const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
      const pin = (name, sha256) => {
        const other = DataSet.create(name, { engine: ${
        JSON.stringify(engine)
      } });
        other.bind(new SQLiteBindFactory({ paths: { [name]: { path: ${
        JSON.stringify(path)
      }, sha256 } } }));
        class P extends other.Model("place", { id: integer({ primaryKey: true }), name: text() }) {}
        return { other, store: new Store(P) };
      };
      const wrong = pin("lazy_pin", "0".repeat(64));
      const refused = await caught(wrong.store.retrieve(1));
      const right = pin("lazy_right", sha256);
      const name = (await right.store.retrieve(1)).name;
      await right.other.close();
      return { refused, name };
      `,
    );
    assert.equal(pinned.name, "Paris");
    assert.match(
      pinned.refused,
      /^DataSetError: Cannot open dataset "lazy_pin": the file's SHA-256 is [0-9a-f]{64}, but the binding pins 0{64}/,
    );
  },
);

engineTest(
  "a lazily loaded call's first error still names what was wrong",
  async (engine) => {
    const path = await placesFile(engine);
    const cases = {
      page: `store.page({}, { limit: 0 })`,
      within:
        `Array.fromAsync(store.within({ south: 10, north: 0, west: 0, east: 1 }))`,
      nearest: `store.nearest({ lat: 91, lon: 0 })`,
      countBy: `store.countBy("nope")`,
      select: `Array.fromAsync(store.select([]))`,
      sql: `Array.fromAsync(store.sql\`SELECT id FROM place\`)`,
      match: `Array.fromAsync(store.match("x", { limit: -1 }))`,
    };
    const expected: Record<keyof typeof cases, RegExp> = {
      page:
        /^RangeError: Invalid limit for place: a page holds at least one row$/,
      within: /^RangeError: .*place.*south/,
      nearest:
        /^RangeError: Invalid point for place: lat must be between -90 and 90, got 91$/,
      countBy: /^TypeError: .*nope/,
      select:
        /^TypeError: Cannot select from place: expected a non-empty array of property names$/,
      sql:
        /^QueryError: Cannot run sql for place: the query selects id; expected the model's columns/,
      match: /^RangeError: .*limit/,
    };
    for (const [name, call] of Object.entries(cases)) {
      const message = await firstCall(
        engine,
        path,
        `return await caught(${call});`,
      );
      assert.match(message, expected[name as keyof typeof cases], name);
    }
  },
);

engineTest(
  "breaking out of a process's first lazily loaded generator ends its statement",
  async (engine) => {
    const path = await placesFile(engine);
    const result = await firstCall(
      engine,
      path,
      `
      const names = [];
      const ends = [];
      const onQuery = (event) => ends.push(event.rows);
      for await (const p of store.select(["name"], {}, { orderBy: "name", onQuery })) {
        names.push(p.name);
        break;
      }
      // The hook hears of a statement when it ends: the break ended it.
      const ended = [...ends];
      const all = await Array.fromAsync(store.select(["name"], {}, { orderBy: "name" }));
      return { names, ended, all: all.map((p) => p.name) };
      `,
    );
    assert.deepEqual(result, {
      names: ["Berlin"],
      ended: [1],
      all: ["Berlin", "Lyon", "Paris"],
    });
  },
);

engineTest(
  "a process's first lazily loaded generator ended before it started runs nothing",
  async (engine) => {
    const path = await placesFile(engine);
    const result = await firstCall(
      engine,
      path,
      `
      const box = { south: 45, north: 50, west: 0, east: 5 };
      const rows = store.within(box);
      const returned = await rows.return();
      const next = await rows.next();
      const thrown = store.match("paris");
      const caughtThrow = await caught(thrown.throw(new RangeError("stop")));
      return { returned, next, caughtThrow, queries: events.length, tag: String(rows) };
      `,
    );
    assert.deepEqual(result, {
      returned: { done: true },
      next: { done: true },
      caughtThrow: "RangeError: stop",
      queries: 0,
      tag: "[object AsyncGenerator]",
    });
  },
);
