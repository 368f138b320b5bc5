/**
 * What a page token is bound to: the table, the order and the filter (the
 * query's shape). A token used with another table, order or filter is a
 * `TypeError`, never a page of another query; a token is a position in
 * its table's order, so another store, model or dataset over a table of
 * the same name and order reads the rows after that position (replicas,
 * a reload, the next version of a file: the reason tokens carry no
 * dataset).
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import { type DataSet, integer, Store, text } from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

function declareTowns(db: DataSet) {
  class Town extends db.Model("town", {
    id: integer({ primaryKey: true }),
    name: text(),
    region: text(),
  }) {}
  class River extends db.Model("river", {
    id: integer({ primaryKey: true }),
    name: text(),
    region: text(),
  }) {}
  return { Town, River };
}

const ROWS = [
  { id: 1, name: "Arles", region: "south" },
  { id: 2, name: "Brest", region: "west" },
  { id: 3, name: "Caen", region: "west" },
  { id: 4, name: "Dax", region: "south" },
  { id: 5, name: "Evian", region: "east" },
];

async function towns(engine: EngineName, rows = ROWS) {
  const db = freshDataSet(engine);
  const { Town, River } = declareTowns(db);
  await db.createAll();
  await new Store(Town).createMany(rows);
  await new Store(River).createMany(rows);
  return { db, Town, River, store: new Store(Town) };
}

/** Asserts a rejection is the token's TypeError naming the mismatch. */
function foreign(error: Error): boolean {
  assert.ok(error instanceof TypeError, String(error));
  assert.match(
    error.message,
    /page token was made for another model, order or filter/,
  );
  return true;
}

engineTest(
  "a page token used with another order, filter or table is a TypeError",
  async (engine, t) => {
    const { db, River, store } = await towns(engine);
    try {
      const first = await store.page({ region: "west" }, {
        orderBy: "name",
        limit: 1,
      });
      const after = first.next!;
      await t.step("another order", async () => {
        await assert.rejects(
          store.page({ region: "west" }, { orderBy: "-name", after }),
          foreign,
        );
        await assert.rejects(
          store.page({ region: "west" }, { orderBy: "region", after }),
          foreign,
        );
      });
      await t.step("another filter or value", async () => {
        await assert.rejects(
          store.page({ region: "south" }, { orderBy: "name", after }),
          foreign,
        );
        await assert.rejects(
          store.page({}, { orderBy: "name", after }),
          foreign,
        );
      });
      await t.step("another table", async () => {
        await assert.rejects(
          new Store(River).page({ region: "west" }, { orderBy: "name", after }),
          foreign,
        );
      });
      await t.step("the same query, another limit or store", async () => {
        const next = await new Store(store.model).page({ region: "west" }, {
          orderBy: ["name", "id"],
          limit: 5,
          after,
        });
        assert.deepEqual(next.rows.map((row) => row.name), ["Caen"]);
      });
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "a page token is a position: another dataset's table of the same name reads on from it",
  async (engine) => {
    const a = await towns(engine);
    // Another version of the data: Brest is gone, Bayonne is new.
    const b = await towns(engine, [
      ...ROWS.filter((row) => row.name !== "Brest"),
      { id: 6, name: "Bayonne", region: "south" },
    ]);
    try {
      const first = await a.store.page({}, { orderBy: "name", limit: 2 });
      assert.deepEqual(first.rows.map((row) => row.name), ["Arles", "Brest"]);
      const next = await b.store.page({}, {
        orderBy: "name",
        limit: 10,
        after: first.next!,
      });
      assert.deepEqual(next.rows.map((row) => row.name), [
        "Caen",
        "Dax",
        "Evian",
      ]);
    } finally {
      await a.db.close();
      await b.db.close();
    }
  },
);
