/**
 * The demo: opens the shipped example dataset read-only through the app's
 * import map ("datasets:countries" in deno.json) and prints a few queries.
 *
 *   deno task demo
 */
import { SQLiteBindFactory, Store } from "@microcosm/sqlite";
import { Countries, Country, Currency } from "./models.ts";

Countries.bind(new SQLiteBindFactory({ resolve: import.meta.resolve }));
await using _ = Countries;

const countries = new Store(Country);
console.log(`dataset "${Countries.name}" at ${Countries.path}`);

console.log("\nEuropean countries, largest population first:");
for await (
  const country of countries.search({ continent: "Europe" }, {
    orderBy: "-population",
  })
) {
  console.log(
    `  ${country.code}  ${country.name.padEnd(14)} ${
      country.population.toLocaleString("en").padStart(13)
    } people, ${country.density.toFixed(1).padStart(6)} per km²`,
  );
}

const euro = await countries.count({ currency: "EUR" });
console.log(`\nCountries paying in euros: ${euro}`);

const japan = await countries.retrieve("JP");
const yen = await new Store(Currency).retrieve(japan.currency);
console.log(
  `${japan.name}'s capital is ${japan.capital}; it pays in ${yen.name}.`,
);

console.log("\nPopulation by continent (raw SQL):");
for await (
  const row of Countries.sql`
    select continent, count(*) as countries, sum(population) as people
    from country group by continent order by people desc`
) {
  console.log(
    `  ${String(row.continent).padEnd(14)} ${
      String(row.countries).padStart(2)
    } ${row.countries === 1 ? "country  " : "countries"} ${
      Number(row.people).toLocaleString("en").padStart(14)
    } people`,
  );
}
console.log(`\nengine: ${Countries.engine}`);
