// How the library runs statements: the session's one runner, its
// savepoints, the bound on statements held at once, and the read plan
// shared by every store of a model.
import assert from "node:assert/strict";
import { DataSet, integer, SQLiteError, Store, text } from "../mod.ts";
import { SESSION } from "../src/dataset.ts";
import { MAX_LEASED } from "../src/_session.ts";
import {
  engineTest,
  freshDataSet,
  PEOPLE,
  peopleInMemory,
} from "./_helpers.ts";

engineTest(
  "Iterators started and dropped in a loop that never yields stop at MAX_LEASED statements with an error, and close() finishes",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    const session = await db[SESSION]();
    assert.ok(MAX_LEASED >= 1000, "servers with many queries never meet it");
    let started = 0;
    let error: unknown;
    let last: AsyncGenerator<unknown, void> | undefined;
    let refused: AsyncGenerator<unknown, void> | undefined;
    // The loop: each iterator steps once and is dropped; awaiting
    // only resolved promises never lets a finalizer run.
    for (let i = 0; i < MAX_LEASED + 100; i++) {
      const cursor = store.search();
      try {
        await cursor.next();
        last = cursor;
        started++;
      } catch (caught) {
        error = caught;
        refused = cursor;
        break;
      }
    }
    assert.equal(started, MAX_LEASED);
    assert.ok(error instanceof SQLiteError, String(error));
    assert.match(
      error.message,
      new RegExp(`already runs ${MAX_LEASED} queries at once`),
    );
    assert.match(error.message, /return\(\)/);
    // The refused iterator is done, as a generator that threw.
    assert.deepEqual(await refused!.next(), { value: undefined, done: true });
    assert.equal(session.leasedStatements, MAX_LEASED);
    assert.ok(
      session.liveStatements <= MAX_LEASED + 8,
      `${session.liveStatements} live statements`,
    );
    // Every kind of query meets the same clear error, and prepares nothing.
    await assert.rejects(store.count(), /queries at once/);
    await assert.rejects(Array.fromAsync(db.sql`select 1`), /queries at once/);
    assert.ok(session.liveStatements <= MAX_LEASED + 8);
    // An iterator given back frees its place.
    await last!.return();
    assert.equal(await store.count(), PEOPLE.length);
    await db.close();
    assert.equal(session.closed, true);
    assert.equal(session.liveStatements, 0);
    // The next use opens a fresh connection that runs queries again.
    assert.deepEqual(await Array.fromAsync(db.sql`select 1 as one`), [{
      one: 1,
    }]);
    await db.close();
  },
);

Deno.test("new Store(M) derives the model's read plan once per model definition", () => {
  const db = DataSet.create("statements_plan");
  class P extends db.Model("p", {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  let reads = 0;
  for (const column of Object.values(P.columns)) {
    const kind = column.kind;
    Object.defineProperty(column, "kind", {
      get: () => {
        reads++;
        return kind;
      },
    });
  }
  new Store(P);
  const once = reads;
  assert.ok(once > 0);
  for (let i = 0; i < 100; i++) new Store(P);
  class Sub extends P {}
  new Store(Sub);
  assert.equal(reads, once);
});

engineTest(
  "session.atomic() commits its writes together, rolls back only its own on a throw, and nests",
  async (engine) => {
    await using db = freshDataSet(engine);
    class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
    await db.createAll();
    const session = await db[SESSION]();
    const insert = (id: number) =>
      session.run("INSERT INTO n (id) VALUES (?)", [id], "Cannot insert n");
    const ids = async () =>
      (await Array.fromAsync(new Store(N).search())).map((n) => n.id);
    insert(1);
    assert.throws(
      () =>
        session.atomic("Cannot insert n", () => {
          insert(2);
          session.atomic("Cannot insert n", () => insert(3));
          insert(1); // duplicate key: everything since the savepoint goes
        }),
      /UNIQUE|PRIMARY KEY/,
    );
    assert.deepEqual(await ids(), [1]);
    assert.equal(
      session.atomic("Cannot insert n", () => {
        insert(4);
        assert.throws(() =>
          session.atomic("Cannot insert n", () => {
            insert(5);
            throw new Error("inner");
          }), /inner/);
        return "done";
      }),
      "done",
    );
    assert.deepEqual(await ids(), [1, 4]);
    assert.equal(session.leasedStatements, 0);
  },
);

engineTest(
  "A session's slice is set per session and refuses a non-positive length",
  async (engine) => {
    await using db = freshDataSet(engine);
    const session = await db[SESSION]();
    assert.equal(session.sliceMs, 5);
    assert.throws(() => session.setSliceMs(0), RangeError);
    assert.throws(() => session.setSliceMs(Number.NaN), RangeError);
    session.setSliceMs(Infinity);
    assert.equal(session.sliceMs, Infinity);
    await using other = freshDataSet(engine);
    assert.equal((await other[SESSION]()).sliceMs, 5);
  },
);
