/**
 * Testing with in-memory datasets: the app's own models (models.ts, bound to
 * a shipped file in production) are left unbound in tests, so they open
 * `:memory:`, writable and private. Each test fills exactly the rows it
 * needs; `await using` closes the dataset at the end, which empties it.
 * Needs no permission:
 *
 *   deno test examples/testing_test.ts
 */
import assert from "node:assert/strict";
import { ModelNotFoundError, Store } from "@microcosm/sqlite";
import { Countries, Country, Currency } from "./models.ts";

/** Code under test: it takes stores and never knows where the data lives. */
async function describeCountry(
  countries: Store<typeof Country>,
  currencies: Store<typeof Currency>,
  code: string,
): Promise<string> {
  const country = await countries.retrieve(code);
  const currency = await currencies.retrieve(country.currency);
  return `${country.name} pays in ${currency.name}`;
}

/** Creates the tables and the few rows a test needs. */
async function fixture(): Promise<{
  countries: Store<typeof Country>;
  currencies: Store<typeof Currency>;
}> {
  await Countries.createAll();
  const currencies = new Store(Currency);
  const countries = new Store(Country);
  await currencies.createMany([{ code: "EUR", name: "Euro" }]);
  await countries.createMany([
    {
      code: "FR",
      name: "France",
      continent: "Europe",
      capital: "Paris",
      population: 68_000_000,
      areaKm2: 551_695,
      currency: "EUR",
    },
    {
      code: "IS",
      name: "Iceland",
      continent: "Europe",
      capital: null,
      population: 390_000,
      areaKm2: 103_000,
      currency: "EUR",
    },
  ]);
  return { countries, currencies };
}

Deno.test("an unbound dataset opens in memory, writable", async () => {
  await using _ = Countries;
  assert.equal(Countries.path, ":memory:");
  assert.equal(Countries.readOnly, false);
});

Deno.test("describeCountry joins a country to its currency", async () => {
  await using _ = Countries;
  const { countries, currencies } = await fixture();
  assert.equal(
    await describeCountry(countries, currencies, "FR"),
    "France pays in Euro",
  );
});

Deno.test("describeCountry throws ModelNotFoundError for an unknown code", async () => {
  await using _ = Countries;
  const { countries, currencies } = await fixture();
  await assert.rejects(
    describeCountry(countries, currencies, "ZZ"),
    ModelNotFoundError,
  );
});

Deno.test("every test starts from an empty database", async () => {
  await using _ = Countries;
  await Countries.createAll();
  assert.equal(await new Store(Country).count(), 0);
});

Deno.test("getters on the model work on rows from the store", async () => {
  await using _ = Countries;
  const { countries } = await fixture();
  const iceland = await countries.retrieve("IS");
  assert.ok(Math.abs(iceland.density - 390_000 / 103_000) < 1e-9);
});
