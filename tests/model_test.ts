import assert from "node:assert/strict";
import {
  bigint,
  blob,
  boolean,
  DataSet,
  integer,
  json,
  real,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

engineTest(
  "Columns map property names to differently spelled SQL columns",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Person extends db.Model("person", {
      id: integer({ primaryKey: true, name: "PersonID" }),
      firstName: text({ name: "FirstName" }),
    }, { orderBy: "-firstName" }) {}
    await db.createAll();
    const store = new Store(Person);
    await store.createMany([{ firstName: "Ada" }, { firstName: "Bob" }]);
    const columns = await Array.fromAsync(
      db.sql`select name from pragma_table_info('person') order by cid`,
    );
    assert.deepEqual(columns.map((c) => c.name), ["PersonID", "FirstName"]);
    const rows = await Array.fromAsync(
      store.search({ firstName: { like: "%" } }),
    );
    assert.deepEqual(rows.map((row) => ({ ...row })), [
      { id: 2, firstName: "Bob" },
      { id: 1, firstName: "Ada" },
    ]);
    assert.equal((await store.retrieve(1)).firstName, "Ada");
  },
);

engineTest(
  "Every column kind round-trips its JavaScript value",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Thing extends db.Model("thing", {
      id: integer({ primaryKey: true }),
      r: real(),
      t: text(),
      b: blob(),
      flag: boolean(),
      doc: json<{ a: number[] }>(),
      big: bigint(),
      maybe: text({ nullable: true }),
    }) {}
    await db.createAll();
    const values = {
      r: -1.5,
      t: "héllo ✓ 😀",
      b: new Uint8Array([0, 255, 0, 7]),
      flag: false,
      doc: { a: [1, 2] },
      big: -(2n ** 62n),
      maybe: null,
    };
    const created = await new Store(Thing).create(values);
    const read = await new Store(Thing).retrieve(created.id);
    assert.deepEqual({ ...read }, { id: 1, ...values });
    assert.equal(typeof read.big, "bigint");
    const byFlag = await new Store(Thing).count({
      flag: false,
      big: -(2n ** 62n),
    });
    assert.equal(byFlag, 1);
  },
);

engineTest(
  "Integers beyond 2^53 are exact as bigint and an error as integer",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class N extends db.Model("n", {
      id: integer({ primaryKey: true }),
      exact: bigint({ nullable: true }),
      loose: integer({ nullable: true }),
    }) {}
    await db.createAll();
    const store = new Store(N);
    await store.create({ exact: 2n ** 53n + 1n });
    assert.equal((await store.retrieve(1)).exact, 2n ** 53n + 1n);
    await assert.rejects(store.create({ loose: 2 ** 53 + 2 }), RangeError);
    for await (const _ of db.sql`update n set loose = ${2n ** 53n + 1n}`);
    await assert.rejects(
      store.retrieve(1),
      (error: Error) =>
        error instanceof RangeError && /n\.loose/.test(error.message),
    );
  },
);

engineTest(
  "Wrong value types for a column throw TypeError before SQL runs",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class T extends db.Model("t", {
      id: integer({ primaryKey: true }),
      n: integer(),
      flag: boolean(),
    }) {}
    await db.createAll();
    const store = new Store(T);
    // @ts-expect-error: n is a number
    await assert.rejects(store.create({ n: "1", flag: true }), TypeError);
    await assert.rejects(store.create({ n: 1.5, flag: true }), TypeError);
    // @ts-expect-error: flag is a boolean
    await assert.rejects(store.create({ n: 1, flag: 1 }), TypeError);
    assert.equal(await store.count(), 0);
  },
);

Deno.test("Model declarations reject bad tables, columns and references", () => {
  const db = DataSet.create("model_bad_declarations");
  assert.throws(() => db.Model("sqlite_x", { id: integer() }), TypeError);
  assert.throws(() => db.Model("empty", {}), TypeError);
  assert.throws(
    () => db.Model("twice", { a: text({ name: "x" }), b: text({ name: "X" }) }),
    /SQL column "X"/,
  );
  assert.throws(
    () =>
      db.Model("badorder", { a: text() }, {
        // @ts-expect-error: unknown property
        orderBy: "b",
      }),
    TypeError,
  );
  assert.throws(
    () =>
      db.Model("badunique", { a: text() }, {
        // @ts-expect-error: unknown property
        unique: [["a", "b"]],
      }),
    TypeError,
  );
  const shared = text();
  db.Model("one", { a: shared });
  assert.throws(() => db.Model("two", { a: shared }), /already used/);
});

engineTest(
  "Rows are instances of the declared subclass with its methods",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Box extends db.Model("box", {
      id: integer({ primaryKey: true }),
      w: real(),
      h: real(),
    }) {
      area(): number {
        return this.w * this.h;
      }
    }
    await db.createAll();
    await new Store(Box).create({ w: 2, h: 3 });
    const [box] = await Array.fromAsync(new Store(Box).search());
    assert.ok(box instanceof Box);
    assert.equal(box.area(), 6);
  },
);

engineTest(
  "Invalid JSON in a json column is a clear error naming the column",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class D extends db.Model("d", {
      id: integer({ primaryKey: true }),
      doc: json(),
    }) {}
    // A file built elsewhere: the library's own tables refuse invalid JSON
    // with CHECK (json_valid(doc)), so this one is made without it.
    for await (
      const _ of db
        .sql`create table d (id integer primary key, doc text not null)`
    );
    for await (const _ of db.sql`insert into d (doc) values ('{not json')`);
    await assert.rejects(
      new Store(D).retrieve(1),
      (error: Error) =>
        /d\.doc/.test(error.message) && /id = 1/.test(error.message),
    );
  },
);
