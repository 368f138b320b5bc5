// Type tests for issue 12's queries: each answer is typed from the model.
// They run as ordinary tests, and `deno check` fails if a type drifts.
import assert from "node:assert/strict";
import {
  bigint,
  DataSet,
  datetime,
  integer,
  type NumericKeys,
  or,
  type Page,
  real,
  type SQLRow,
  Store,
  text,
  type ValueCount,
} from "../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends
  (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(_value?: T): void {}

const Types = DataSet.create("query_types_test");
class City extends Types.Model("city", {
  id: integer({ primaryKey: true }),
  name: text(),
  country: text({ nullable: true }),
  area: real({ nullable: true }),
  people: bigint(),
  founded: datetime({ nullable: true }),
}) {}
const store = new Store(City);

Deno.test("Facets, aggregates, pages, projections and raw SQL are typed from the model", async () => {
  await Types.createAll();
  await store.create({ name: "a", country: "FR", people: 5n, area: 2 });
  expectType<
    Equal<
      Awaited<ReturnType<typeof store.countBy<"country">>>,
      ValueCount<string | null>[]
    >
  >(true);
  expectType<
    Equal<
      Awaited<ReturnType<typeof store.distinct<"founded">>>,
      (Date | null)[]
    >
  >(true);
  // min and max leave NULL out; an empty answer is undefined.
  expectType<
    Equal<Awaited<ReturnType<typeof store.min<"founded">>>, Date | undefined>
  >(true);
  expectType<Equal<NumericKeys<typeof City>, "id" | "area" | "people">>(true);
  expectType<
    Equal<Awaited<ReturnType<typeof store.sum<"people">>>, bigint>
  >(true);
  expectType<Equal<Awaited<ReturnType<typeof store.sum<"area">>>, number>>(
    true,
  );
  expectType<
    Equal<Awaited<ReturnType<typeof store.page>>, Page<City>>
  >(true);
  const [picked] = await Array.fromAsync(store.select(["id", "country"]));
  expectType<
    Equal<typeof picked, { id: number; country: string | null } | undefined>
  >(true);
  const [raw] = await Array.fromAsync(Types.sql`SELECT 1 AS n`);
  expectType<Equal<typeof raw, SQLRow | undefined>>(true);
  const [typed] = await Array.fromAsync(
    Types.sql<{ n: number }>`SELECT 1 AS n`,
  );
  expectType<Equal<typeof typed, { n: number } | undefined>>(true);
  const [instance] = await Array.fromAsync(
    store.sql`SELECT ${store.columns()} FROM city`,
  );
  expectType<Equal<typeof instance, City | undefined>>(true);
  // An or nests filters of the same model.
  assert.equal(
    await store.count({ [or]: [{ name: "a" }, { country: null }] }),
    1,
  );
  // @ts-expect-error: an or holds filters of the model's properties
  await assert.rejects(store.count({ [or]: [{ nope: 1 }] }), TypeError);
  await Types.close();
});
