/**
 * Datetime text written elsewhere, in several UTC offsets and precisions:
 * `orderBy`, page tokens, `min()` and `max()` follow the instants the
 * texts name, not the order of the texts.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import { type DataSet, datetime, integer, Store } from "../mod.ts";
import { engineTest, openFile, sqliteFile, tempDir } from "./_helpers.ts";

/**
 * The stamps, by id, with the instant each names: in text order they are
 * 3, 5, 6, 4, 2, 1; in time order 1, 6, 4, 3, 5, 2.
 */
const STAMPS: readonly [number, string | null][] = [
  [1, "2024-01-01T10:00:00+02:00"], // 08:00:00Z
  [2, "2024-01-01T09:00:00Z"], // 09:00:00Z
  [3, "2024-01-01 08:30:00"], // 08:30:00Z (no zone: UTC)
  [4, "2024-01-01T08:15:00.5Z"], // 08:15:00.500Z
  [5, "2024-01-01 08:45"], // 08:45:00Z
  [6, "2024-01-01T08:15:00Z"], // 08:15:00Z
  [7, null],
];

/** Ids in time order, NULL first as SQLite orders it. */
const ASCENDING = [7, 1, 6, 4, 3, 5, 2];

async function events(engine: EngineName) {
  const path = await sqliteFile(
    "create table event (id integer primary key, at datetime);" +
      STAMPS.map(([id, at]) =>
        `insert into event values (${id}, ${at === null ? "null" : `'${at}'`});`
      ).join(""),
  );
  const db = openFile(engine, path);
  class Event extends db.Model("event", {
    id: integer({ primaryKey: true }),
    at: datetime({ nullable: true }),
  }) {}
  return { db, store: new Store(Event) };
}

engineTest(
  "orderBy a datetime text column follows the instants, whatever the offsets",
  async (engine) => {
    const { db, store } = await events(engine);
    try {
      const up = await Array.fromAsync(store.search({}, { orderBy: "at" }));
      assert.deepEqual(up.map((row) => row.id), ASCENDING);
      const down = await Array.fromAsync(store.search({}, { orderBy: "-at" }));
      assert.deepEqual(down.map((row) => row.id), [...ASCENDING].reverse());
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "pages ordered by a datetime text column follow the instants",
  async (engine, t) => {
    const { db, store } = await events(engine);
    try {
      for (const orderBy of ["at", "-at"] as const) {
        await t.step(orderBy, async () => {
          const ids: number[] = [];
          let after: string | undefined;
          do {
            const page = await store.page({}, {
              orderBy,
              limit: 2,
              ...(after === undefined ? {} : { after }),
            });
            ids.push(...page.rows.map((row) => row.id));
            after = page.next;
          } while (after !== undefined);
          assert.deepEqual(
            ids,
            orderBy === "at" ? ASCENDING : [...ASCENDING].reverse(),
          );
        });
      }
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "min() and max() of a datetime text column are the earliest and latest instants",
  async (engine) => {
    const { db, store } = await events(engine);
    try {
      assert.equal(
        (await store.min("at") as Date).toISOString(),
        "2024-01-01T08:00:00.000Z",
      );
      assert.equal(
        (await store.max("at") as Date).toISOString(),
        "2024-01-01T09:00:00.000Z",
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "orderBy a datetime column of a library-built file keeps its index",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_datetime_order_" });
    const path = `${dir}/events.sqlite`;
    const declare = (db: DataSet) => {
      class Event extends db.Model("event", {
        id: integer({ primaryKey: true }),
        at: datetime({ index: true }),
      }) {}
      return Event;
    };
    const writer = openFile(engine, path, { writable: true });
    const Written = declare(writer);
    await writer.createAll();
    await new Store(Written).createMany(
      STAMPS.filter(([, at]) => at !== null).map(([id, at]) => ({
        id,
        at: new Date(at!.includes("T") ? at! : `${at!.replace(" ", "T")}Z`),
      })),
    );
    await writer.close();
    const db = openFile(engine, path);
    try {
      const store = new Store(declare(db));
      const plan = (await store.explain({}, { orderBy: "at" })).join("\n");
      assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
      const rows = await Array.fromAsync(store.search({}, { orderBy: "at" }));
      assert.deepEqual(rows.map((row) => row.id), [1, 6, 4, 3, 5, 2]);
    } finally {
      await db.close();
    }
  },
);
