import assert from "node:assert/strict";
import {
  bigint,
  type DataSet,
  datetime,
  integer,
  real,
  Store,
  text,
  type ValueCount,
} from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

function declarePlaces(db: DataSet) {
  class Place extends db.Model("place", {
    id: integer({ primaryKey: true }),
    name: text({ index: true }),
    country: text({ nullable: true }),
    population: integer({ nullable: true }),
    area: real({ nullable: true }),
    big: bigint({ nullable: true }),
    founded: datetime({ nullable: true }),
  }) {}
  return Place;
}

async function places(engine: "ffi" | "node") {
  const db = freshDataSet(engine);
  const Place = declarePlaces(db);
  await db.createAll();
  const store = new Store(Place);
  await store.createMany([
    {
      name: "a",
      country: "FR",
      population: 10,
      area: 1.5,
      big: 1n,
      founded: new Date("1900-01-01T00:00:00Z"),
    },
    {
      name: "b",
      country: "DE",
      population: 20,
      area: 2.5,
      big: 2n,
      founded: new Date("1850-06-01T00:00:00Z"),
    },
    {
      name: "c",
      country: "FR",
      population: null,
      area: null,
      big: null,
      founded: null,
    },
    {
      name: "d",
      country: null,
      population: 5,
      area: 0.5,
      big: 9007199254740993n,
      founded: new Date("2001-01-01T00:00:00Z"),
    },
    {
      name: "e",
      country: "AT",
      population: 7,
      area: 3,
      big: 4n,
      founded: null,
    },
    {
      name: "f",
      country: "DE",
      population: 1,
      area: 1,
      big: 5n,
      founded: null,
    },
  ]);
  return { db, Place, store };
}

engineTest(
  "Store.countBy() answers values with counts, most frequent first, ties by value",
  async (engine) => {
    const { db, store } = await places(engine);
    const counts: ValueCount<string | null>[] = await store.countBy("country");
    assert.deepEqual(
      counts,
      [
        { value: "DE", count: 2 },
        { value: "FR", count: 2 },
        { value: null, count: 1 },
        { value: "AT", count: 1 },
      ].sort((x, y) =>
        y.count - x.count ||
        (x.value === null
          ? -1
          : y.value === null
          ? 1
          : x.value < y.value
          ? -1
          : 1)
      ),
    );
    assert.deepEqual(await store.countBy("country", {}, { limit: 1 }), [
      { value: "DE", count: 2 },
    ]);
    assert.deepEqual(
      await store.countBy("country", { population: { gte: 10 } }),
      [{ value: "DE", count: 1 }, { value: "FR", count: 1 }],
    );
    await db.close();
  },
);

engineTest(
  "Store.countBy() decodes values by kind: datetime values are Dates",
  async (engine) => {
    const { db, store } = await places(engine);
    const counts = await store.countBy("founded", { founded: { ne: null } });
    assert.ok(counts.every((entry) => entry.value instanceof Date));
    assert.deepEqual(counts.map((entry) => entry.value?.getUTCFullYear()), [
      1850,
      1900,
      2001,
    ]);
    await db.close();
  },
);

engineTest(
  "Store.countBy() refuses an unknown property and a bad limit",
  async (engine) => {
    const { db, store } = await places(engine);
    await assert.rejects(
      // @ts-expect-error: not a property
      store.countBy("nope"),
      (error: Error) =>
        error instanceof TypeError && /"nope"/.test(error.message),
    );
    await assert.rejects(store.countBy("name", {}, { limit: -1 }), RangeError);
    await assert.rejects(
      // @ts-expect-error: not an option
      store.countBy("name", {}, { top: 1 }),
      TypeError,
    );
    await db.close();
  },
);

engineTest(
  "Store.distinct() answers the distinct values ascending, NULL first",
  async (engine) => {
    const { db, store } = await places(engine);
    const values: (string | null)[] = await store.distinct("country");
    assert.deepEqual(values, [null, "AT", "DE", "FR"]);
    assert.deepEqual(
      await store.distinct("country", { name: { in: ["a", "c"] } }),
      ["FR"],
    );
    await db.close();
  },
);

engineTest(
  "Store.min() and max() answer typed values, NULLs left out, undefined for none",
  async (engine) => {
    const { db, store } = await places(engine);
    const youngest: Date | undefined = await store.max("founded");
    assert.deepEqual(youngest, new Date("2001-01-01T00:00:00Z"));
    assert.deepEqual(
      await store.min("founded"),
      new Date("1850-06-01T00:00:00Z"),
    );
    assert.equal(await store.min("population"), 1);
    assert.equal(await store.max("population", { country: "FR" }), 10);
    assert.equal(await store.min("name"), "a");
    assert.equal(await store.max("big"), 9007199254740993n);
    assert.equal(await store.min("population", { name: "c" }), undefined);
    await db.close();
  },
);

engineTest(
  "Store.sum() and avg() answer in the property's type",
  async (engine) => {
    const { db, store } = await places(engine);
    const total: number = await store.sum("population");
    assert.equal(total, 43);
    assert.equal(await store.sum("area"), 8.5);
    const big: bigint = await store.sum("big");
    assert.equal(big, 9007199254741005n);
    assert.equal(await store.sum("population", { name: "zzz" }), 0);
    assert.equal(await store.avg("population"), 43 / 5);
    assert.equal(await store.avg("population", { name: "c" }), undefined);
    await assert.rejects(
      // @ts-expect-error: not numeric
      store.sum("name"),
      (error: Error) =>
        error instanceof TypeError && /text\(\)/.test(error.message),
    );
    await db.close();
  },
);
