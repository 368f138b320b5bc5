// Type tests: rows, inserts and filters are typed from the declaration.
// They run as ordinary tests, and `deno check` fails if a type drifts.
import assert from "node:assert/strict";
import {
  DataSet,
  type Filter,
  type Insert,
  integer,
  json,
  type Row,
  Store,
  text,
} from "../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends
  (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(_value?: T): void {}

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
