// Models of the build fixtures: a shop with categories and products.
import {
  bigint,
  blob,
  boolean,
  DataSet,
  integer,
  json,
  real,
  text,
} from "../../../mod.ts";

/** Declares the shop's models on a dataset (tests use one per engine). */
export function declareShop(db: DataSet) {
  class Category extends db.Model("category", {
    code: text({ primaryKey: true }),
    label: text(),
  }) {}

  class Product extends db.Model("product", {
    id: integer({ primaryKey: true }),
    name: text(),
    category: text({ references: () => Category.columns.code, index: true }),
    price: real({ nullable: true }),
    inStock: boolean({ name: "in_stock", default: true }),
    tags: json<string[]>({ nullable: true }),
    notes: text({ nullable: true }),
    thumbnail: blob({ nullable: true }),
    sku: bigint({ nullable: true }),
  }) {}
  return { Category, Product };
}

export const Shop = DataSet.create("fixture_shop");
export const { Category, Product } = declareShop(Shop);
