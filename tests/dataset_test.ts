import assert from "node:assert/strict";
import { DataSet, integer, ModelIntegrityError, Store, text } from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

Deno.test("DataSet.create() rejects invalid and duplicate names with TypeError", () => {
  for (const name of ["", "1abc", "has space", "semi;colon", "quo'te"]) {
    assert.throws(() => DataSet.create(name), TypeError, name);
  }
  DataSet.create("dataset_test_unique");
  assert.throws(
    () => DataSet.create("dataset_test_unique"),
    (error: Error) =>
      error instanceof TypeError && /already exists/.test(error.message),
  );
  assert.equal(DataSet.create("a.b-c_1").name, "a.b-c_1");
});

Deno.test("DataSet.create() rejects an unknown engine", () => {
  assert.throws(
    // @ts-expect-error: not an engine
    () => DataSet.create("dataset_bad_engine", { engine: "sqlite" }),
    TypeError,
  );
});

Deno.test("DataSet.models lists the declared models", () => {
  const db = DataSet.create("dataset_models");
  const A = db.Model("a", { id: integer({ primaryKey: true }) });
  const B = db.Model("b", { id: integer({ primaryKey: true }) });
  assert.deepEqual(db.models, [A, B]);
  assert.throws(() => db.Model("A", { id: integer() }), TypeError);
});

engineTest("DataSet.engine reports the engine in use", async (engine) => {
  const db = freshDataSet(engine);
  assert.equal(db.engine, undefined);
  await db.open();
  assert.equal(db.engine, engine);
  await db.close();
});

engineTest(
  "DataSet.close() is idempotent and the next use reopens",
  async (engine) => {
    const db = freshDataSet(engine);
    class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
    await db.createAll();
    await new Store(N).create({});
    await db.close();
    await db.close();
    // In memory: reopening gives a fresh, empty database.
    await db.createAll();
    assert.equal(await new Store(N).count(), 0);
    await db.close();
  },
);

engineTest(
  "await using closes the dataset at the end of the scope",
  async (engine) => {
    const db = freshDataSet(engine);
    class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
    {
      await using scoped = db;
      await scoped.createAll();
      await new Store(N).create({});
      assert.equal(await new Store(N).count(), 1);
    }
    await assert.rejects(new Store(N).count(), /no such table/);
    await db.close();
  },
);

engineTest(
  "DataSet.createAll() creates indexes, unique constraints and foreign keys",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Country extends db.Model("country", {
      code: text({ primaryKey: true }),
      name: text({ unique: true }),
    }) {}
    class City extends db.Model("city", {
      id: integer({ primaryKey: true }),
      name: text({ index: true }),
      country: text({ references: () => Country.columns.code }),
      population: integer({ nullable: true }),
    }, { indexes: [["country", "population"]] }) {}
    await db.createAll();
    await db.createAll(); // idempotent
    const indexes = await Array.fromAsync(
      db.sql`select name from sqlite_schema where type = 'index' and tbl_name = 'city' and sql is not null order by name`,
    );
    assert.deepEqual(indexes.map((row) => row.name), [
      "city_country_population_idx",
      "city_name_idx",
    ]);
    const foreign = await Array.fromAsync(
      db.sql`select "table", "from", "to" from pragma_foreign_key_list('city')`,
    );
    assert.deepEqual(foreign, [{
      table: "country",
      from: "country",
      to: "code",
    }]);
    await new Store(Country).create({ code: "FR", name: "France" });
    await new Store(City).create({ name: "Paris", country: "FR" });
    await assert.rejects(
      new Store(City).create({ name: "Nowhere", country: "XX" }),
      (error: Error) =>
        error instanceof ModelIntegrityError &&
        /FOREIGN KEY/.test(error.message),
    );
    await db.dropAll();
    const tables = await Array.fromAsync(
      db.sql`select name from sqlite_schema where type = 'table'`,
    );
    assert.deepEqual(tables, []);
  },
);

engineTest(
  "dataset.sql binds every interpolation as a parameter",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class T extends db.Model("t", {
      id: integer({ primaryKey: true }),
      name: text(),
    }) {}
    await db.createAll();
    await new Store(T).createMany([{ name: "a" }, { name: "b" }, {
      name: "c",
    }]);
    const hostile = "a' OR '1'='1";
    assert.deepEqual(
      await Array.fromAsync(db.sql`select id from t where name = ${hostile}`),
      [],
    );
    assert.deepEqual(
      await Array.fromAsync(
        db.sql`select count(*) as n, group_concat(name, '') as names from t where name in (${[
          "a",
          "c",
        ]})`,
      ),
      [{ n: 2, names: "ac" }],
    );
    assert.deepEqual(
      await Array.fromAsync(
        db.sql`select ${true} as yes, ${null} as absent, ${2n ** 60n} as big`,
      ),
      [{ yes: 1, absent: null, big: 2n ** 60n }],
    );
    await assert.rejects(
      Array.fromAsync(db.sql`select ${{} as unknown as string}`),
      TypeError,
    );
  },
);

engineTest(
  "dataset.sql yields rows one at a time and releases on break",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    const seen: number[] = [];
    for await (
      const row of db
        .sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000000) select i from n`
    ) {
      seen.push(row.i as number);
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, [1, 2, 3]);
  },
);

engineTest(
  "dataset.sql surfaces SQLite errors raised mid-query",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    await assert.rejects(
      Array.fromAsync(
        db.sql`select json_extract(v, '$') from (select '[1]' as v union all select '{bad')`,
      ),
      /malformed JSON/,
    );
  },
);
