/**
 * Quickstart: declare a model, fill an in-memory dataset, query it. Needs no
 * permission at all:
 *
 *   deno run examples/quickstart.ts
 *
 * In an app the same models are bound to a shipped, read-only file instead
 * (see import_map.ts and bundled/main.ts).
 */
import { DataSet, integer, real, Store, text } from "@microcosm/sqlite";

// 1. Declare: one dataset (one SQLite database), models on it. The
//    declaration gives the table, the columns and the row type.
const Catalog = DataSet.create("quickstart");

class Planet extends Catalog.Model("planet", {
  name: text({ primaryKey: true }),
  moons: integer(),
  radiusKm: real({ name: "radius_km" }),
  discoveredBy: text({ nullable: true }),
}, { orderBy: "radiusKm" }) {
  get giant(): boolean {
    return this.radiusKm > 20_000;
  }
}

// 2. Fill: an unbound dataset is ":memory:" and writable.
await using _ = Catalog;
await Catalog.createAll();
const planets = new Store(Planet);
await planets.createMany([
  { name: "Mercury", moons: 0, radiusKm: 2_440 },
  { name: "Venus", moons: 0, radiusKm: 6_052 },
  { name: "Earth", moons: 1, radiusKm: 6_371 },
  { name: "Mars", moons: 2, radiusKm: 3_390 },
  { name: "Jupiter", moons: 95, radiusKm: 69_911 },
  { name: "Saturn", moons: 146, radiusKm: 58_232 },
  { name: "Uranus", moons: 28, radiusKm: 25_362, discoveredBy: "Herschel" },
  { name: "Neptune", moons: 16, radiusKm: 24_622, discoveredBy: "Galle" },
]);

// 3. Query: filters are objects keyed by property name; results stream.
for await (const planet of planets.search({ moons: { gte: 10 } })) {
  console.log(`${planet.name}: ${planet.moons} moons, giant: ${planet.giant}`);
}
console.log("without moons:", await planets.count({ moons: 0 }));
console.log(
  "largest:",
  (await planets.first({}, { orderBy: "-radiusKm" }))?.name,
);
console.log(
  "discovered by telescope:",
  (await Array.fromAsync(planets.search({ discoveredBy: { ne: null } })))
    .map((p) => p.name).join(", "),
);
console.log("Earth's radius:", (await planets.retrieve("Earth")).radiusKm);

// Raw SQL for aggregates; every interpolation is a bound parameter.
for await (
  const row of Catalog.sql`
    select count(*) as n, sum(moons) as moons from planet where radius_km < ${10_000}`
) {
  console.log(`rocky planets: ${row.n}, with ${row.moons} moons`);
}
