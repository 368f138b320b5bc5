import assert from "node:assert/strict";
import {
  boolean,
  datetime,
  integer,
  QueryError,
  type SQLFragment,
  sqlFragment,
  type SQLRow,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";
import type { EngineName } from "../src/_engine.ts";

async function cities(engine: EngineName) {
  const db = freshDataSet(engine);
  class Country extends db.Model("country", {
    code: text({ primaryKey: true }),
    name: text(),
  }) {}
  class City extends db.Model("city", {
    id: integer({ primaryKey: true }),
    name: text(),
    country: text(),
    capital: boolean(),
    founded: datetime({ nullable: true }),
  }) {
    get label(): string {
      return `${this.name} (${this.country})`;
    }
  }
  await db.createAll();
  await new Store(Country).createMany([
    { code: "FR", name: "France" },
    { code: "DE", name: "Germany" },
  ]);
  await new Store(City).createMany([
    {
      name: "Paris",
      country: "FR",
      capital: true,
      founded: new Date("0250-01-01T00:00:00Z"),
    },
    { name: "Lyon", country: "FR", capital: false, founded: null },
    { name: "Bonn", country: "DE", capital: false, founded: null },
  ]);
  return { db, Country, City, cities: new Store(City) };
}

engineTest(
  "dataset.sql<Row> types its rows (a cast) and defaults to SQLRow",
  async (engine) => {
    const { db } = await cities(engine);
    const typed = await Array.fromAsync(
      db.sql<
        { name: string; n: number }
      >`SELECT name, 1 AS n FROM city ORDER BY id LIMIT 1`,
    );
    const check: { name: string; n: number }[] = typed;
    assert.deepEqual(check, [{ name: "Paris", n: 1 }]);
    const plain: SQLRow[] = await Array.fromAsync(db.sql`SELECT 1 AS one`);
    assert.deepEqual(plain, [{ one: 1 }]);
    await db.close();
  },
);

engineTest(
  "Fragments compose an optional WHERE clause with every value bound",
  async (engine) => {
    const { db } = await cities(engine);
    const names = async (country?: string, capital?: boolean) => {
      const conditions: SQLFragment[] = [];
      if (country !== undefined) {
        conditions.push(
          sqlFragment`country = ${country}`,
        );
      }
      if (capital !== undefined) {
        conditions.push(
          sqlFragment`capital = ${capital}`,
        );
      }
      const where = conditions.length === 0
        ? sqlFragment``
        : conditions.slice(1).reduce(
          (all, next) => sqlFragment`${all} AND ${next}`,
          sqlFragment`WHERE ${conditions[0]!}`,
        );
      const rows = db.sql<
        { name: string }
      >`SELECT name FROM city ${where} ORDER BY id`;
      return (await Array.fromAsync(rows)).map((row) => row.name);
    };
    assert.deepEqual(await names(), ["Paris", "Lyon", "Bonn"]);
    assert.deepEqual(await names("FR"), ["Paris", "Lyon"]);
    assert.deepEqual(await names("FR", false), ["Lyon"]);
    // A value is a value, never SQL text.
    assert.deepEqual(await names("FR' OR '1'='1"), []);
    const fragment = sqlFragment`country IN (${["FR", "DE"]}) AND id > ${1}`;
    assert.equal(fragment.text, "country IN (?, ?) AND id > ?");
    assert.deepEqual(fragment.params, ["FR", "DE", 1]);
    // @ts-expect-error: not an SQL value
    assert.throws(() => sqlFragment`x = ${{}}`, TypeError);
    await db.close();
  },
);

engineTest(
  "store.sql yields model instances from a join, decoded by the kinds",
  async (engine) => {
    const { db, City, cities: store } = await cities(engine);
    const rows = await Array.fromAsync(store.sql`
    SELECT ${
      store.columns("c")
    } FROM city c JOIN country k ON k.code = c.country
    WHERE k.name = ${"France"} ORDER BY c.id`);
    assert.equal(rows.length, 2);
    assert.ok(rows[0] instanceof City);
    assert.equal(rows[0].label, "Paris (FR)");
    assert.equal(rows[0].capital, true);
    assert.ok(rows[0].founded instanceof Date);
    assert.equal(rows[1]?.founded, null);
    // Decoded as search() decodes them.
    const searched = await Array.fromAsync(
      store.search({ country: "FR" }, { orderBy: "id" }),
    );
    assert.deepEqual(
      rows.map((row) => ({ ...row })),
      searched.map((row) => ({ ...row })),
    );
    await db.close();
  },
);

engineTest(
  "store.sql refuses a query that does not select the model's columns with a QueryError",
  async (engine) => {
    const { db, cities: store } = await cities(engine);
    await assert.rejects(
      Array.fromAsync(store.sql`SELECT id, name FROM city`),
      (error: Error) =>
        error instanceof QueryError &&
        /expected the model's columns id, name, country, capital, founded/.test(
          error.message,
        ),
    );
    await assert.rejects(
      Array.fromAsync(store.sql`SELECT nope FROM city`),
      QueryError,
    );
    await db.close();
  },
);

engineTest(
  "store.sql refuses a value its kind cannot read, naming the column",
  async (engine) => {
    const { db, cities: store } = await cities(engine);
    await assert.rejects(
      Array.fromAsync(
        store
          .sql`SELECT id, name, country, 'maybe' AS capital, founded FROM city`,
      ),
      /city\.capital/,
    );
    await db.close();
  },
);
