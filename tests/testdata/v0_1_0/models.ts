/**
 * The models of `catalog.sqlite`, the fixture built by version 0.1.0: the
 * build script (`build_catalog.ts`) and the compatibility test
 * (`tests/compat_0_1_0_test.ts`) declare them from here, so the test reads
 * the file with the very models it was built from.
 *
 * @module
 */
import {
  bigint,
  blob,
  boolean,
  type DataSet,
  integer,
  json,
  real,
  text,
} from "../../../mod.ts";

/** Declares the catalog's supplier and product models on `db`. */
export function declareCatalog(db: DataSet) {
  class Supplier extends db.Model("supplier", {
    id: integer({ primaryKey: true }),
    name: text({ unique: true }),
    country: text({ default: "FR" }),
    rating: real({ nullable: true }),
    logo: blob({ nullable: true }),
    active: boolean({ default: true }),
  }) {}
  class Product extends db.Model("product", {
    supplierId: integer({
      name: "supplier_id",
      primaryKey: true,
      references: () => Supplier.columns.id,
      onDelete: "CASCADE",
    }),
    sku: text({ primaryKey: true }),
    title: text({ index: true }),
    price: real(),
    stock: bigint({ default: 0n }),
    inStock: boolean({ name: "in_stock", default: true }),
    attrs: json({ nullable: true }),
    weightGrams: integer({ name: "weight_grams", nullable: true }),
  }, { indexes: [["inStock", "price"]] }) {}
  return { Supplier, Product };
}
