// Rebuilds the committed fixture files: deno run -A tests/testdata/build_fixtures.ts
import { DataSet, integer, SQLiteBindFactory, Store, text } from "../../mod.ts";

const path = new URL("./app/people.sqlite", import.meta.url);
await Deno.remove(path).catch(() => {});
const Build = DataSet.create("build_people", { writable: true });
Build.bind(new SQLiteBindFactory({ paths: { build_people: path } }));
class Person extends Build.Model("person", {
  id: integer({ primaryKey: true }),
  name: text(),
}) {}
await Build.createAll();
await new Store(Person).createMany([
  { name: "Grace" },
  { name: "Ada" },
  { name: "Linus" },
]);
await Build.close();
console.log(`wrote ${path.pathname}`);
