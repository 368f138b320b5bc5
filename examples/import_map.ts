/**
 * Binding through the import map: the app's deno.json maps each dataset name
 * to its file under the key "datasets:<name>" (this repository's deno.json
 * has "datasets:countries": "./examples/data/countries.sqlite"), and the app
 * passes its own import.meta.resolve once. No path appears in the code.
 *
 *   deno run --allow-read=examples/data examples/import_map.ts
 */
import { SQLiteBindFactory, Store } from "@microcosm/sqlite";
import { Countries, Country } from "./models.ts";

const factory = new SQLiteBindFactory({ resolve: import.meta.resolve });
Countries.bind(factory);
await using _ = Countries;

// The file the import map gives, relative to the deno.json that maps it.
console.log(
  "datasets:countries ->",
  factory.path("countries").split("/").slice(-3).join("/"),
);
console.log("read-only:", Countries.readOnly);
const countries = new Store(Country);
const euro = await Array.fromAsync(countries.search({ currency: "EUR" }));
console.log("euro countries:", euro.map((c) => c.code).join(", "));
// A dataset name missing from the import map falls through to ":memory:".
console.log("unmapped ->", factory.path("not_in_the_import_map"));
