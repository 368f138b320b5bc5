// A small app: its deno.json maps "datasets:people" to a file beside it.
import { SQLiteBindFactory, Store } from "@microcosm/sqlite";
import { People, Person } from "./models.ts";

People.bind(new SQLiteBindFactory({ resolve: import.meta.resolve }));
const names = [];
for await (const person of new Store(Person).search()) names.push(person.name);
console.log(JSON.stringify({ engine: People.engine, names }));
await People.close();
