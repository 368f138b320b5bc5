// The default order (no `orderBy` given or declared): rowid order on data
// that cannot change (a read-only file opened immutable, an image of
// bytes) for a rowid table whose primary key is not its rowid, so a full
// search reads the table as stored instead of walking its key's index;
// key order everywhere else (writable datasets, `immutable: false`,
// `WITHOUT ROWID` tables), and explicit orders as given.
import assert from "node:assert/strict";
import { type DataSet, integer, Store, text } from "../mod.ts";
import { buildDataSet } from "../build.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  engineTest,
  freshDataSet,
  openFile,
  sqliteFile,
  tempDir,
} from "./_helpers.ts";

/** Rows in the order they are written, which is not their key order. */
const WRITTEN = [
  { a: 2, b: 1, v: "w" },
  { a: 1, b: 2, v: "x" },
  { a: 3, b: 0, v: "y" },
  { a: 1, b: 1, v: "z" },
];
const KEY_ORDER = ["z", "x", "w", "y"];
const WRITTEN_ORDER = ["w", "x", "y", "z"];

function declarePair(db: DataSet, options: { orderBy?: "v" } = {}) {
  return db.Model("pair", {
    a: integer({ primaryKey: true }),
    b: integer({ primaryKey: true }),
    v: text(),
  }, options);
}

/** A built file holding {@linkcode WRITTEN}, written in that order. */
async function pairFile(engine: EngineName): Promise<string> {
  const db = freshDataSet(engine);
  const Pair = declarePair(db);
  const path = `${await tempDir()}/pairs.sqlite`;
  await buildDataSet(db, path, (build) => build.loadRecords(Pair, WRITTEN));
  return path;
}

async function values(rows: AsyncIterable<{ v: string }>): Promise<string[]> {
  return (await Array.fromAsync(rows)).map((row) => row.v);
}

/** Every row, a page of `limit` at a time, in the default order. */
async function paged(store: Store<ReturnType<typeof declarePair>>) {
  const seen: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.page({}, { limit: 1, after });
    seen.push(...page.rows.map((row) => row.v));
    after = page.next;
  } while (after !== undefined);
  return seen;
}

engineTest(
  "On an immutable file, search() with no orderBy reads a composite-key table in rowid order",
  async (engine) => {
    const db = openFile(engine, await pairFile(engine));
    await using _ = db;
    const store = new Store(declarePair(db));
    assert.deepEqual(await values(store.search()), WRITTEN_ORDER);
    assert.deepEqual(await store.explain(), ["SCAN pair"]);
    assert.equal((await store.first())?.v, "w");
    assert.deepEqual(
      await values(store.select(["v"], { a: { gte: 1 } }, { limit: 2 })),
      ["w", "x"],
    );
  },
);

engineTest(
  "page() in the default order walks an immutable file in rowid order, each row once",
  async (engine) => {
    const db = openFile(engine, await pairFile(engine));
    await using _ = db;
    const store = new Store(declarePair(db));
    assert.deepEqual(await paged(store), WRITTEN_ORDER);
    // A token of the rowid order is not one of the key order's.
    const first = await store.page({}, { limit: 1 });
    await assert.rejects(
      store.page({}, { orderBy: ["a", "b"], limit: 1, after: first.next }),
      TypeError,
    );
  },
);

engineTest(
  "A writable dataset and a file opened with immutable: false keep the key order",
  async (engine) => {
    const memory = freshDataSet(engine);
    await using _m = memory;
    const Pair = declarePair(memory);
    await memory.createAll();
    const store = new Store(Pair);
    await store.createMany(WRITTEN);
    assert.deepEqual(await values(store.search()), KEY_ORDER);
    assert.deepEqual(await paged(store), KEY_ORDER);

    const loose = openFile(engine, await pairFile(engine), {
      immutable: false,
    });
    await using _l = loose;
    const looseStore = new Store(declarePair(loose));
    assert.deepEqual(await values(looseStore.search()), KEY_ORDER);
    assert.deepEqual(await paged(looseStore), KEY_ORDER);
  },
);

engineTest(
  "An explicit orderBy and a model's orderBy keep their order on an immutable file",
  async (engine) => {
    const path = await pairFile(engine);
    const db = openFile(engine, path);
    await using _ = db;
    const store = new Store(declarePair(db));
    assert.deepEqual(
      await values(store.search({}, { orderBy: ["a", "b"] })),
      KEY_ORDER,
    );
    assert.deepEqual(
      await values(store.search({}, { orderBy: "-v" })),
      ["z", "y", "x", "w"],
    );
    const ordered = openFile(engine, path);
    await using _o = ordered;
    const byValue = new Store(declarePair(ordered, { orderBy: "v" }));
    const page = await byValue.page({}, { limit: 3 });
    assert.deepEqual(page.rows.map((row) => row.v), ["w", "x", "y"]);
  },
);

engineTest(
  "A WITHOUT ROWID table keeps its key order on an immutable file",
  async (engine) => {
    const path = await sqliteFile(
      `CREATE TABLE pair (a INTEGER, b INTEGER, v TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
       INSERT INTO pair VALUES ${
        WRITTEN.map(({ a, b, v }) => `(${a}, ${b}, '${v}')`).join(", ")
      };`,
    );
    const db = openFile(engine, path);
    await using _ = db;
    const store = new Store(declarePair(db));
    assert.deepEqual(await values(store.search()), KEY_ORDER);
    assert.deepEqual(await paged(store), KEY_ORDER);
  },
);

engineTest(
  "A single-column text key keeps its key order on an immutable file",
  async (engine) => {
    const build = freshDataSet(engine);
    const declare = (db: DataSet) =>
      db.Model("code", { code: text({ primaryKey: true }), v: text() });
    const Code = declare(build);
    const path = `${await tempDir()}/codes.sqlite`;
    await buildDataSet(
      build,
      path,
      (b) =>
        b.loadRecords(
          Code,
          WRITTEN.map(({ v }, i) => ({ code: `${3 - i}`, v })),
        ),
    );
    const db = openFile(engine, path);
    await using _ = db;
    const store = new Store(declare(db));
    assert.deepEqual(await values(store.search()), ["z", "y", "x", "w"]);
  },
);
