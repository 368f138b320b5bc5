// page() is not an async function (an open dataset's page is read at
// once): it still answers a promise in every case, rejected and never
// thrown for bad arguments, and reads the same pages whether the dataset
// was open or opens on that first call.
import assert from "node:assert/strict";
import { integer, Store, text } from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import { engineTest, openFile, sqliteFile } from "./_helpers.ts";

async function names(): Promise<string> {
  return await sqliteFile(`
    CREATE TABLE name (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    INSERT INTO name VALUES (1, 'e'), (2, 'b'), (3, 'd'), (4, 'a'), (5, 'c');
  `);
}

function open(engine: EngineName, path: string) {
  const db = openFile(engine, path);
  class Name extends db.Model("name", {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  return { db, store: new Store(Name) };
}

engineTest(
  "page() reads the same pages on its dataset's first call as once it is open",
  async (engine) => {
    const path = await names();
    const { db, store } = open(engine, path);
    try {
      // The first call opens the dataset.
      const first = store.page({}, { orderBy: "name", limit: 2 });
      assert.ok(first instanceof Promise);
      const page = await first;
      assert.deepEqual(page.rows.map((row) => row.name), ["a", "b"]);
      // Open now: the same page, and the pages after it.
      const pending = store.page({}, { orderBy: "name", limit: 2 });
      assert.ok(pending instanceof Promise);
      assert.deepEqual(await pending, page);
      const second = await store.page({}, {
        orderBy: "name",
        limit: 2,
        after: page.next,
      });
      assert.deepEqual(second.rows.map((row) => row.name), ["c", "d"]);
      const last = await store.page({}, {
        orderBy: "name",
        limit: 2,
        after: second.next,
      });
      assert.deepEqual(last.rows.map((row) => row.name), ["e"]);
      assert.equal(last.next, undefined);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "page() rejects bad arguments and tokens, never throwing synchronously",
  async (engine) => {
    const path = await names();
    for (const opened of [false, true]) {
      const { db, store } = open(engine, path);
      try {
        if (opened) await db.open();
        const calls: [() => Promise<unknown>, ErrorConstructor][] = [
          [() => store.page({}, { limit: 0 }), RangeError],
          [() => store.page({}, { limit: -1 }), RangeError],
          [() => store.page({}, { nope: 1 } as never), TypeError],
          [() => store.page({ nope: 1 } as never), TypeError],
          [() => store.page({}, { orderBy: "nope" as never }), TypeError],
          [() => store.page({}, { after: "x.y" }), TypeError],
          [() => store.page({}, { after: 7 as never }), TypeError],
        ];
        for (const [call, type] of calls) {
          let promise: Promise<unknown> | undefined;
          assert.doesNotThrow(() => {
            promise = call();
          });
          await assert.rejects(promise!, type);
        }
      } finally {
        await db.close();
      }
    }
  },
);

engineTest(
  "page() on a closed dataset reopens it, as other reads do",
  async (engine) => {
    const path = await names();
    const { db, store } = open(engine, path);
    try {
      await db.open();
      await db.close();
      const page = await store.page({}, { limit: 3 });
      assert.deepEqual(page.rows.map((row) => row.id), [1, 2, 3]);
    } finally {
      await db.close();
    }
  },
);
