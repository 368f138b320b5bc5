/**
 * The split of `Store` by concern (`src/_store_*.ts`): the public surface
 * stays what it was, and the methods whose bodies moved out still go
 * through a subclass's filter and order hooks.
 */
import assert from "node:assert/strict";
import { type Condition, integer, type OrderBy, Store, text } from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

/** Every public member of `Store.prototype`, as the API documents it. */
const STORE_METHODS = [
  "avg",
  "columns",
  "constructor",
  "count",
  "countBy",
  "create",
  "createMany",
  "delete",
  "distinct",
  "exists",
  "explain",
  "filterCondition",
  "first",
  "match",
  "max",
  "min",
  "nearest",
  "one",
  "orderKeys",
  "page",
  "retrieve",
  "search",
  "select",
  "sqlColumn",
  "sql",
  "sum",
  "within",
];

engineTest(
  "Store keeps its public methods and shows no internals after every kind of query",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Place extends db.Model("place", {
      id: integer({ primaryKey: true }),
      name: text(),
      lat: integer(),
      lon: integer(),
    }, { geo: { lat: "lat", lon: "lon" }, search: { columns: ["name"] } }) {}
    await db.createAll();
    const store = new Store(Place);
    await store.createMany([
      { name: "Lyon", lat: 45, lon: 4 },
      { name: "Paris", lat: 48, lon: 2 },
    ]);
    // One call of each concern, so the internals they use exist.
    assert.deepEqual(await store.countBy("name"), [
      { value: "Lyon", count: 1 },
      { value: "Paris", count: 1 },
    ]);
    assert.equal((await store.page({}, { limit: 1 })).rows.length, 1);
    assert.equal((await Array.fromAsync(store.match("paris"))).length, 1);
    assert.equal(
      (await Array.fromAsync(
        store.within({ south: 40, west: 0, north: 50, east: 10 }),
      )).length,
      2,
    );
    assert.equal(
      (await store.nearest({ lat: 48, lon: 2 }))[0]?.row.name,
      "Paris",
    );
    assert.deepEqual(await Array.fromAsync(store.select(["name"], { id: 1 })), [
      { name: "Lyon" },
    ]);
    assert.deepEqual(
      Object.getOwnPropertyNames(Store.prototype).sort(),
      [...STORE_METHODS].sort(),
    );
    assert.deepEqual(Object.keys(store), ["model"]);
  },
);

engineTest(
  "the facets, pages and projections moved out of Store still use a subclass's hooks",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Person extends db.Model("person", {
      id: integer({ primaryKey: true }),
      first: text(),
      born: integer(),
    }) {}
    // Filters on `notFirst`, and orders by `born` descending by default.
    class PersonStore extends Store<typeof Person, { notFirst?: string }> {
      constructor() {
        super(Person);
      }
      protected override filterCondition(
        key: string,
        value: unknown,
      ): Condition {
        if (key === "notFirst") {
          return {
            sql: `${this.sqlColumn("first")} <> ?`,
            params: [String(value)],
          };
        }
        return super.filterCondition(key, value);
      }
      protected override orderKeys(
        orderBy: OrderBy<typeof Person> | undefined,
      ): readonly string[] {
        return orderBy === undefined ? ["-born"] : super.orderKeys(orderBy);
      }
    }
    await db.createAll();
    const store = new PersonStore();
    await store.createMany([
      { first: "Ada", born: 1815 },
      { first: "Bob", born: 1850 },
      { first: "Cy", born: 1900 },
    ]);
    const notAda = { notFirst: "Ada" };
    assert.deepEqual(await store.countBy("first", notAda), [
      { value: "Bob", count: 1 },
      { value: "Cy", count: 1 },
    ]);
    assert.deepEqual(await store.distinct("first", notAda), ["Bob", "Cy"]);
    assert.equal(await store.min("born", notAda), 1850);
    assert.equal(await store.sum("born", notAda), 3750);
    const first = await store.page(notAda, { limit: 1 });
    assert.deepEqual(first.rows.map((p) => p.first), ["Cy"]);
    const second = await store.page(notAda, { limit: 1, after: first.next });
    assert.deepEqual(second.rows.map((p) => p.first), ["Bob"]);
    assert.equal(second.next, undefined);
    assert.deepEqual(
      await Array.fromAsync(store.select(["first"], notAda)),
      [{ first: "Cy" }, { first: "Bob" }],
    );
  },
);
