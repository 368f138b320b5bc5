/**
 * The bundled example's model: the first 36 chemical elements, shipped as
 * `data/elements.sqlite` beside this file.
 */
import { DataSet, integer, real, text } from "@microcosm/sqlite";

/** The periodic table, as far as krypton. */
export const Elements = DataSet.create("elements");

/** A chemical element. */
export class Element extends Elements.Model("element", {
  number: integer({ primaryKey: true }),
  symbol: text({ unique: true }),
  name: text(),
  mass: real(),
  period: integer(),
  group: integer(),
  category: text({ index: true }),
}, { orderBy: "number" }) {
  /** A one-line description. */
  get label(): string {
    return `${this.symbol.padEnd(3)} ${this.name.padEnd(10)} ${
      String(this.number).padStart(2)
    } ${this.mass.toFixed(3).padStart(7)}`;
  }
}
