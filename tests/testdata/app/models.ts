import { DataSet, integer, text } from "@microcosm/sqlite";

/** The fixture app's dataset, bound to a file through its deno.json. */
export const People = DataSet.create("people");

/** One person. */
export class Person extends People.Model("person", {
  id: integer({ primaryKey: true }),
  name: text(),
}, { orderBy: "name" }) {}
