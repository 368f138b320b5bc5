// Errors a user meets early: whose fault a failed query is, options a
// method would ignore, and keys of the wrong type.
import assert from "node:assert/strict";
import {
  type AnyModel,
  bigint,
  DataSet,
  DataSetError,
  integer,
  type PrimaryKey,
  QueryError,
  SQLiteBindFactory,
  SQLiteError,
  type SQLValue,
  Store,
  text,
} from "../mod.ts";
import {
  declarePeople,
  engineTest,
  type Equal,
  expectType,
  freshDataSet,
  peopleFile,
  peopleInMemory,
} from "./_helpers.ts";

engineTest(
  "A mistake in the caller's raw sql is a QueryError (400) naming it, not a fault of the file",
  async (engine) => {
    const { db } = await peopleInMemory(engine);
    await using _ = db;
    const cases: [AsyncGenerator<unknown, void>, RegExp][] = [
      [db.sql`select * from persn`, /no such table: persn/],
      [db.sql`select frist from person`, /no such column: frist/],
      [db.sql`selec 1`, /syntax error/],
      [db.sql`select nosuchfunction(1)`, /no such function/],
      [
        db.sql`insert into person (id, first, last) values ('x', 'a', 'b')`,
        /datatype mismatch/,
      ],
    ];
    for (const [query, words] of cases) {
      await assert.rejects(Array.fromAsync(query), (error: Error) => {
        assert.ok(error instanceof QueryError, String(error));
        assert.ok(error instanceof SQLiteError);
        assert.ok(!(error instanceof DataSetError));
        assert.equal(error.statusCode, 400);
        assert.match(error.message, words);
        assert.match(error.message, /^Cannot run sql on dataset "/);
        assert.doesNotMatch(error.message, /does not match the models/);
        assert.equal(error.dataset, db.name);
        assert.ok(error.sql !== undefined);
        return true;
      });
    }
    // The dataset still answers.
    assert.deepEqual(await Array.fromAsync(db.sql`select 1 as one`), [{
      one: 1,
    }]);
  },
);

engineTest(
  "A Store query on a file that lacks the model's table still blames the file",
  async (engine) => {
    const path = await peopleFile(engine);
    const db = freshDataSet(engine);
    await using _ = db;
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    class Missing extends db.Model("place", {
      id: integer({ primaryKey: true }),
    }) {}
    await assert.rejects(new Store(Missing).count(), (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.ok(!(error instanceof QueryError));
      assert.equal(error.statusCode, 500);
      assert.match(error.message, /no such table "place"/);
      return true;
    });
  },
);

engineTest(
  "Constraint failures in raw sql keep their own classes",
  async (engine) => {
    const { db } = await peopleInMemory(engine);
    await using _ = db;
    await assert.rejects(
      Array.fromAsync(
        db.sql`insert into person (id, first, last) values (1, 'A', 'B')`,
      ),
      (error: Error) => error.name === "DuplicateModelError",
    );
  },
);

engineTest(
  "first() and one() refuse a limit they would ignore",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    const check = (method: string) => (error: Error) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.match(error.message, /"limit"/);
      assert.match(error.message, /person/);
      assert.match(error.message, new RegExp(`${method}\\(\\)`));
      return true;
    };
    // @ts-expect-error: first() takes no limit
    await assert.rejects(store.first({}, { limit: 3 }), check("first"));
    await assert.rejects(
      // @ts-expect-error: one() takes no limit
      store.one({ last: "Adams" }, { limit: 1 }),
      check("one"),
    );
    // A limit hidden in a wider options object is refused at run time too.
    const options: { limit?: number; offset?: number } = { limit: 2 };
    await assert.rejects(store.first({}, options), check("first"));
    // offset and orderBy still work, and an undefined limit is no limit.
    const second = await store.first({}, { offset: 1, orderBy: "first" });
    assert.equal(second?.first, "John");
    const wide: { limit?: number | undefined; offset?: number } = {
      limit: undefined,
    };
    assert.equal((await store.one({ last: "Adams" }, wide)).first, "John");
  },
);

Deno.test("retrieve() takes keys typed from the model's primary key", () => {
  const db = DataSet.create("store_errors_key_types");
  class Person extends db.Model("person", {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  class Rate extends db.Model("rate", {
    from: text({ primaryKey: true }),
    to: text({ primaryKey: true }),
    value: integer(),
  }) {}
  class Big extends db.Model("big", {
    id: bigint({ primaryKey: true }),
  }) {}
  class Log extends db.Model("log", { line: text() }) {}
  expectType<Equal<PrimaryKey<typeof Person>, number | { id: number }>>(true);
  expectType<Equal<PrimaryKey<typeof Rate>, { from: string; to: string }>>(
    true,
  );
  expectType<Equal<PrimaryKey<typeof Big>, bigint | { id: bigint }>>(true);
  expectType<Equal<PrimaryKey<typeof Log>, never>>(true);
  // Code generic over any model still compiles: its key is unknown.
  expectType<
    Equal<PrimaryKey<AnyModel>, SQLValue | boolean | Record<string, unknown>>
  >(true);
  const anyStore: Store<AnyModel> = new Store<AnyModel>(Person);
  assert.ok(typeof anyStore.retrieve === "function");
});

engineTest(
  "retrieve() refuses keys of the wrong type at run time, naming the key",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    const Person = declarePeople(db);
    class Rate extends db.Model("rate", {
      from: text({ primaryKey: true }),
      to: text({ primaryKey: true }),
    }) {}
    class Log extends db.Model("log", { line: text() }) {}
    await db.createAll();
    const people = new Store(Person);
    await people.create({ first: "Ada", last: "Lovelace" });
    assert.equal((await people.retrieve(1)).first, "Ada");
    assert.equal((await people.retrieve({ id: 1 })).first, "Ada");
    const wrong: unknown[] = [
      "1",
      true,
      1.5,
      null,
      undefined,
      {},
      { ID: 1 },
      [1],
      new Uint8Array(1),
    ];
    for (const key of wrong) {
      await assert.rejects(
        people.retrieve(key as never),
        (error: Error) =>
          error instanceof TypeError && /person/.test(error.message),
        `key ${String(key)}`,
      );
    }
    const rates = new Store(Rate);
    for (const key of ["EUR", { from: "EUR" }, { from: "EUR", to: 1 }]) {
      await assert.rejects(
        rates.retrieve(key as never),
        (error: Error) =>
          error instanceof TypeError && /rate/.test(error.message),
      );
    }
    await assert.rejects(
      // @ts-expect-error: a model without a primary key has no key type
      new Store(Log).retrieve(1),
      /Cannot retrieve log: it has no primary key/,
    );
  },
);
