/**
 * The example dataset's models: declared once, used by the build script,
 * the demo and the tests.
 */
import { DataSet, integer, real, text } from "@microcosm/sqlite";

/** Countries and their currencies, shipped as `examples/data/countries.sqlite`. */
export const Countries = DataSet.create("countries");

/** A currency. */
export class Currency extends Countries.Model("currency", {
  code: text({ primaryKey: true }),
  name: text(),
}) {}

/** A country. */
export class Country extends Countries.Model("country", {
  code: text({ primaryKey: true }),
  name: text({ unique: true }),
  continent: text({ index: true }),
  capital: text({ nullable: true }),
  population: integer(),
  areaKm2: real({ name: "area_km2" }),
  currency: text({ references: () => Currency.columns.code }),
}, { orderBy: "name" }) {
  /** People per square kilometre. */
  get density(): number {
    return this.population / this.areaKm2;
  }
}
