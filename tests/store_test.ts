import assert from "node:assert/strict";
import { SESSION } from "../src/dataset.ts";
import {
  DuplicateModelError,
  integer,
  ModelIntegrityError,
  ModelNotFoundError,
  MultipleModelsFoundError,
  SQLiteError,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet, peopleInMemory } from "./_helpers.ts";

engineTest(
  "Store.search() yields model instances with getters",
  async (engine) => {
    const { db, Person, store } = await peopleInMemory(engine);
    await using _ = db;
    const rows = await Array.fromAsync(store.search({ last: "Washington" }));
    assert.ok(rows.every((row) => row instanceof Person));
    assert.deepEqual(rows.map((row) => row.fullName), [
      "George Washington",
      "Martha Washington",
    ]);
  },
);

engineTest(
  "Store.search() orders by the model's orderBy, then the key",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    const rows = await Array.fromAsync(store.search());
    assert.deepEqual(rows.map((row) => row.last), [
      "Adams",
      "Jefferson",
      "Known",
      "Washington",
      "Washington",
    ]);
    assert.deepEqual(rows.slice(3).map((row) => row.first), [
      "George",
      "Martha",
    ]);
  },
);

engineTest(
  "Store.search() orders by the primary key without a model order",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Item extends db.Model("item", {
      code: text({ primaryKey: true }),
      n: integer(),
    }) {}
    await db.createAll();
    const store = new Store(Item);
    await store.createMany([{ code: "c", n: 1 }, { code: "a", n: 1 }, {
      code: "b",
      n: 2,
    }]);
    const rows = await Array.fromAsync(store.search());
    assert.deepEqual(rows.map((row) => row.code), ["a", "b", "c"]);
    const byN = await Array.fromAsync(store.search({}, { orderBy: "-n" }));
    assert.deepEqual(byN.map((row) => row.code), ["b", "a", "c"]);
  },
);

engineTest(
  "Store.search() applies orderBy, offset and limit after filtering",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    const rows = await Array.fromAsync(
      store.search({ born: { ne: null } }, {
        orderBy: ["-born"],
        offset: 1,
        limit: 2,
      }),
    );
    assert.deepEqual(rows.map((row) => row.born), [1735, 1732]);
    assert.deepEqual(
      await Array.fromAsync(store.search({}, { limit: 0 })),
      [],
    );
  },
);

engineTest("Store filters support every operator", async (engine) => {
  const { db, store } = await peopleInMemory(engine);
  await using _ = db;
  const firsts = async (filter: Parameters<typeof store.search>[0]) =>
    (await Array.fromAsync(store.search(filter, { orderBy: "id" }))).map((
      row,
    ) => row.first);
  assert.deepEqual(await firsts({ born: null }), ["Nobody"]);
  assert.deepEqual(await firsts({ born: { eq: 1735 } }), ["John"]);
  assert.deepEqual(await firsts({ born: { ne: 1735 } }), [
    "George",
    "Thomas",
    "Martha",
    "Nobody",
  ]);
  assert.deepEqual(await firsts({ born: { ne: null } }), [
    "George",
    "John",
    "Thomas",
    "Martha",
  ]);
  assert.deepEqual(await firsts({ born: { gte: 1732, lt: 1743 } }), [
    "George",
    "John",
  ]);
  assert.deepEqual(await firsts({ born: { lte: 1732, gt: 1731 } }), [
    "George",
  ]);
  assert.deepEqual(await firsts({ last: { in: ["Adams", "Known"] } }), [
    "John",
    "Nobody",
  ]);
  assert.deepEqual(await firsts({ born: { in: [] } }), []);
  assert.deepEqual(await firsts({ born: { notIn: [1732, 1735, 1743] } }), [
    "Martha",
    "Nobody",
  ]);
  assert.deepEqual(await firsts({ born: { in: [1731, null] } }), [
    "Martha",
    "Nobody",
  ]);
  assert.deepEqual(await firsts({ last: { like: "wash%" } }), [
    "George",
    "Martha",
  ]);
  assert.deepEqual(await firsts({ active: false }), ["Martha"]);
});

engineTest(
  "Store filters throw TypeError naming valid keys for an unknown property",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    // @ts-expect-error: a typo in a filter key is a compile error too
    const search = store.search({ lst: "Adams" });
    await assert.rejects(
      search.next(),
      (error: Error) =>
        error instanceof TypeError && /"lst"/.test(error.message) &&
        /id, first, last, born, active, tags/.test(error.message),
    );
  },
);

engineTest(
  "Store filters throw TypeError for an unknown operator, and delete() never widens",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    await assert.rejects(
      // @ts-expect-error: an unknown operator is a compile error too
      store.count({ born: { greaterThan: 1 } }),
      (error: Error) =>
        error instanceof TypeError && /greaterThan/.test(error.message) &&
        /eq, ne, lt, lte, gt, gte, in, notIn, like/.test(error.message),
    );
    await assert.rejects(
      // @ts-expect-error: unknown key
      store.delete({ frist: "John" }),
      TypeError,
    );
    await assert.rejects(
      store.delete({ first: undefined as unknown as string }),
      TypeError,
    );
    assert.equal(await store.count(), 5);
  },
);

engineTest(
  "Store filters reject a wrong value type before SQL runs",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    await assert.rejects(
      // @ts-expect-error: born is a number
      store.count({ born: "1732" }),
      (error: Error) =>
        error instanceof TypeError && /person\.born/.test(error.message),
    );
  },
);

engineTest(
  "Store.count() and exists() ignore pagination and match filters",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    assert.equal(await store.count(), 5);
    assert.equal(await store.count({ last: "Washington" }), 2);
    assert.equal(await store.exists({ last: "Adams" }), true);
    assert.equal(await store.exists({ last: "Lincoln" }), false);
  },
);

engineTest(
  "Store.first() returns the first row in order or undefined",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    assert.equal((await store.first())?.first, "John");
    assert.equal(
      (await store.first({}, { orderBy: "-born" }))?.first,
      "Thomas",
    );
    assert.equal(await store.first({ last: "Lincoln" }), undefined);
  },
);

engineTest(
  "Store.one() throws ModelNotFoundError and MultipleModelsFoundError",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    assert.equal((await store.one({ last: "Adams" })).first, "John");
    await assert.rejects(store.one({ last: "Lincoln" }), ModelNotFoundError);
    await assert.rejects(
      store.one({ last: "Washington" }),
      (error: Error) =>
        error instanceof MultipleModelsFoundError &&
        error instanceof ModelIntegrityError,
    );
  },
);

engineTest(
  "Store.retrieve() finds by primary key or throws ModelNotFoundError",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    assert.equal((await store.retrieve(3)).first, "Thomas");
    assert.equal((await store.retrieve({ id: 2 })).first, "John");
    await assert.rejects(
      store.retrieve(99),
      (error: Error) =>
        error instanceof ModelNotFoundError && error.statusCode === 404 &&
        /id = 99/.test(error.message),
    );
    // @ts-expect-error: the key is typed from the model (a number here)
    await assert.rejects(store.retrieve("3"), TypeError);
  },
);

engineTest(
  "Store.retrieve() takes an object for a composite key",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Rate extends db.Model("rate", {
      from: text({ primaryKey: true }),
      to: text({ primaryKey: true }),
      value: integer(),
    }) {}
    await db.createAll();
    const store = new Store(Rate);
    await store.createMany([
      { from: "EUR", to: "USD", value: 1 },
      { from: "USD", to: "EUR", value: 2 },
    ]);
    assert.equal((await store.retrieve({ from: "USD", to: "EUR" })).value, 2);
    await assert.rejects(
      store.create({ from: "USD", to: "EUR", value: 3 }),
      DuplicateModelError,
    );
    // @ts-expect-error: a composite key is an object
    await assert.rejects(store.retrieve("USD"), TypeError);
    // @ts-expect-error: a composite key needs every part
    await assert.rejects(store.retrieve({ from: "USD" }), /missing to/);
  },
);

engineTest(
  "Store.create() returns the stored row with defaults and id",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    const row = await store.create({ first: "Abe", last: "Lincoln" });
    assert.equal(row.id, 6);
    assert.equal(row.active, true);
    assert.deepEqual(row.tags, []);
    assert.equal(row.born, null);
    assert.equal(row.fullName, "Abe Lincoln");
  },
);

engineTest(
  "Store.create() maps constraint failures onto the error hierarchy",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    await assert.rejects(
      store.create({ first: "John", last: "Adams" }),
      (error: Error) =>
        error instanceof DuplicateModelError && error.statusCode === 409 &&
        error.cause instanceof Error && error instanceof SQLiteError,
    );
    await assert.rejects(
      store.create({ first: "X", last: null as unknown as string }),
      (error: Error) =>
        error instanceof ModelIntegrityError &&
        !(error instanceof DuplicateModelError) &&
        /NOT NULL/.test(error.message),
    );
    await assert.rejects(
      // @ts-expect-error: unknown property
      store.create({ first: "X", last: "Y", middle: "Z" }),
      TypeError,
    );
  },
);

engineTest(
  "Store.createMany() inserts in one transaction and rolls back on failure",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    await assert.rejects(
      store.createMany([
        { first: "A", last: "B" },
        { first: "C", last: "D" },
        { first: "John", last: "Adams" },
      ]),
      (error: Error) =>
        error instanceof DuplicateModelError && /row 2/.test(error.message),
    );
    assert.equal(await store.count(), 5);
    assert.equal(await store.createMany([{ first: "A", last: "B" }]), 1);
    assert.equal(await store.count(), 6);
  },
);

engineTest("Store.createMany() streams an async iterable", async (engine) => {
  const db = freshDataSet(engine);
  await using _ = db;
  class N extends db.Model("n", {
    id: integer({ primaryKey: true }),
    v: integer(),
  }) {}
  await db.createAll();
  let produced = 0;
  async function* rows() {
    for (let v = 0; v < 1000; v++) {
      produced++;
      yield { v };
    }
  }
  assert.equal(await new Store(N).createMany(rows()), 1000);
  assert.equal(produced, 1000);
  assert.equal(await new Store(N).count({ v: { gte: 500 } }), 500);
});

engineTest(
  "Store.delete() returns the count and throws ModelNotFoundError on none",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    assert.equal(await store.delete({ last: "Washington" }), 2);
    assert.equal(await store.count(), 3);
    await assert.rejects(
      store.delete({ last: "Washington" }),
      ModelNotFoundError,
    );
  },
);

engineTest(
  "Breaking out of search() early releases the statement",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    const session = await db[SESSION]();
    for await (const _row of store.search()) break;
    const cached = session.cachedStatements;
    for (let i = 0; i < 200; i++) {
      for await (const _row of store.search()) break;
    }
    assert.equal(session.cachedStatements, cached);
    // The released statement serves the next query from the start.
    assert.equal((await Array.fromAsync(store.search())).length, 5);
  },
);

engineTest("Interleaved iterators never share a statement", async (engine) => {
  const { db, store } = await peopleInMemory(engine);
  await using _ = db;
  const a = store.search();
  const b = store.search();
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) {
    seen.push((await a.next()).value!.first, (await b.next()).value!.first);
  }
  assert.deepEqual(seen, [
    "John",
    "John",
    "Thomas",
    "Thomas",
    "Nobody",
    "Nobody",
    "George",
    "George",
    "Martha",
    "Martha",
  ]);
  assert.equal((await a.next()).done, true);
  assert.equal((await b.next()).done, true);
});

engineTest(
  "A long scan hands control back to the event loop",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
    await db.createAll();
    await new Store(N).createMany(Array.from({ length: 2000 }, () => ({})));
    let fired = false;
    let rowsWhenFired = -1;
    const timer = setTimeout(() => {
      fired = true;
    }, 0);
    let rows = 0;
    for await (const _row of new Store(N).search()) {
      rows++;
      if (fired && rowsWhenFired < 0) rowsWhenFired = rows;
      // Busy work: 2000 rows of 50 µs each is far longer than one slice.
      const until = performance.now() + 0.05;
      while (performance.now() < until);
    }
    clearTimeout(timer);
    assert.equal(rows, 2000);
    assert.ok(
      rowsWhenFired > 0 && rowsWhenFired < 2000,
      `the timer fired at row ${rowsWhenFired}`,
    );
  },
);

engineTest(
  "Subclassed stores extend filtering and ordering through hooks",
  async (engine) => {
    const { db, Person } = await peopleInMemory(engine);
    await using _ = db;
    class PersonStore extends Store<typeof Person, { excludeFirst?: string }> {
      constructor() {
        super(Person);
      }
      protected override filterCondition(key: string, value: unknown) {
        if (key === "excludeFirst") {
          return {
            sql: `${this.sqlColumn("first")} <> ?`,
            params: [String(value)],
          };
        }
        return super.filterCondition(key, value);
      }
      protected override orderKeys(
        orderBy: Parameters<Store<typeof Person>["search"]>[1] extends infer O
          ? O extends { orderBy?: infer B } ? B : never
          : never,
      ) {
        return orderBy === undefined ? ["-born"] : super.orderKeys(orderBy);
      }
    }
    const store = new PersonStore();
    const rows = await Array.fromAsync(
      store.search({ excludeFirst: "George", born: { ne: null } }),
    );
    assert.deepEqual(rows.map((row) => row.first), [
      "Thomas",
      "John",
      "Martha",
    ]);
  },
);
