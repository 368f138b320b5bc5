// Type tests: rows, inserts and filters are typed from the declaration.
// They run as ordinary tests, and `deno check` fails if a type drifts.
import assert from "node:assert/strict";
import {
  bigint,
  blob,
  boolean,
  DataSet,
  type Filter,
  type Insert,
  integer,
  json,
  real,
  type Row,
  Store,
  text,
} from "../mod.ts";
import { type Equal, expectType } from "./_helpers.ts";

const Types = DataSet.create("types_test");
class Person extends Types.Model("person", {
  id: integer({ primaryKey: true }),
  name: text(),
  nick: text({ nullable: true }),
  score: integer({ default: 0 }),
  tags: json<string[]>({ default: [] }),
}) {
  get upper(): string {
    return this.name.toUpperCase();
  }
}

Deno.test("Row, Insert and Filter types follow the model declaration", async () => {
  expectType<
    Equal<Row<typeof Person>, {
      id: number;
      name: string;
      nick: string | null;
      score: number;
      tags: string[];
    }>
  >(true);
  expectType<
    Equal<
      Insert<typeof Person>,
      & { name: string }
      & {
        id?: number;
        nick?: string | null;
        score?: number;
        tags?: string[];
      }
    >
  >(true);
  const insert: Insert<typeof Person> = { name: "Ada" };
  // @ts-expect-error: name is required
  const missing: Insert<typeof Person> = { nick: "x" };
  // @ts-expect-error: wrong value type
  const wrong: Filter<typeof Person> = { name: 1 };
  // @ts-expect-error: unknown property
  const typo: Filter<typeof Person> = { nmae: "x" };
  // @ts-expect-error: like only on strings
  const like: Filter<typeof Person> = { score: { like: "1%" } };
  const good: Filter<typeof Person> = {
    nick: null,
    score: { gte: 1, in: [1, 2] },
    name: { like: "A%" },
  };
  await Types.createAll();
  const store = new Store(Person);
  const created = await store.create(insert);
  expectType<Equal<typeof created, Person>>(true);
  assert.equal(created.upper, "ADA");
  assert.equal(await store.count(good), 0);
  assert.ok(missing && wrong && typo && like);
  // @ts-expect-error: orderBy takes property names
  store.search({}, { orderBy: "-nmae" });
  await Types.close();
});

const Shop = DataSet.create("types_shop");
class Product extends Shop.Model("product", {
  sku: text({ primaryKey: true }),
  title: text({ name: "Title" }),
  price: real(),
  stock: integer({ default: 0 }),
  discontinued: boolean({ default: false }),
  released: bigint({ nullable: true }),
  photo: blob({ nullable: true }),
}) {}

Deno.test("Store methods take filters typed from the model: a wrong property or value type does not compile", async () => {
  await using _ = Shop;
  await Shop.createAll();
  const products = new Store(Product);
  await products.create({ sku: "A1", title: "Anvil", price: 9.5 });

  // Property names: the model's, never the SQL column names or typos.
  // @ts-expect-error: "titel" is not a property of Product
  await assert.rejects(products.count({ titel: "Anvil" }), TypeError);
  // @ts-expect-error: the SQL column is "Title", the property is "title"
  await assert.rejects(products.count({ Title: "Anvil" }), TypeError);
  // @ts-expect-error: unknown property in search()
  const cost = products.search({ cost: 1 });
  await assert.rejects(Array.fromAsync(cost), TypeError);
  // @ts-expect-error: unknown property in delete(), which must never widen
  await assert.rejects(products.delete({ skus: "A1" }), TypeError);

  // Value types follow the column kinds.
  // @ts-expect-error: price is a number
  await assert.rejects(products.count({ price: "9.5" }), TypeError);
  // @ts-expect-error: discontinued is a boolean
  await assert.rejects(products.count({ discontinued: 0 }), TypeError);
  // @ts-expect-error: released is a bigint (at run time a safe integer passes)
  assert.equal(await products.count({ released: 2020 }), 0);
  // @ts-expect-error: in takes values of the column's type
  await assert.rejects(products.count({ title: { in: [1] } }), TypeError);
  // @ts-expect-error: operators take the column's type too
  await assert.rejects(products.count({ stock: { gte: "1" } }), TypeError);
  // @ts-expect-error: unknown operator
  const between = products.count({ stock: { between: [1, 2] } });
  await assert.rejects(between, TypeError);
  // @ts-expect-error: like is for text columns
  assert.equal(await products.count({ stock: { like: "1%" } }), 0);
  // @ts-expect-error: create() checks value types
  const badPrice = products.create({ sku: "B", title: "B", price: "1" });
  await assert.rejects(badPrice, TypeError);
  // @ts-expect-error: create() requires the properties without a default
  await assert.rejects(products.create({ sku: "B", title: "B" }));
  const colour = { sku: "C", title: "C", price: 1, colour: "red" };
  // @ts-expect-error: an Insert literal rejects unknown properties
  const extra: Insert<typeof Product> = { ...colour, colour: "red" };
  assert.ok(extra);

  // What does compile: every kind's values and operators, and typed rows.
  const found = await products.first({
    title: { like: "An%" },
    price: { gte: 1, lt: 100 },
    stock: { in: [0, 1] },
    discontinued: false,
    released: null,
    photo: null,
  }, { orderBy: ["-price", "title"] });
  expectType<Equal<typeof found, Product | undefined>>(true);
  assert.ok(found);
  expectType<Equal<typeof found.price, number>>(true);
  expectType<Equal<typeof found.released, bigint | null>>(true);
  expectType<Equal<typeof found.photo, Uint8Array | null>>(true);
  expectType<Equal<typeof found.discontinued, boolean>>(true);
  for await (const product of products.search({ sku: "A1" })) {
    expectType<Equal<typeof product, Product>>(true);
    assert.equal(product.title, "Anvil");
  }
});
