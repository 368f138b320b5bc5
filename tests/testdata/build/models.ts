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

export const Shop = DataSet.create("fixture_shop");

export class Category extends Shop.Model("category", {
  code: text({ primaryKey: true }),
  label: text(),
}) {}

export class Product extends Shop.Model("product", {
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
