// A file built by version 0.1.0 keeps opening, reading and verifying with
// the models declared today, on both engines, and is never changed by it.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  bigint,
  blob,
  boolean,
  type DataSet,
  integer,
  json,
  readBuildMetadata,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { verifyDataSet } from "../build.ts";
import { engineTest, freshDataSet, sha256 } from "./_helpers.ts";

const FOLDER = fileURLToPath(new URL("./testdata/v0_1_0/", import.meta.url));
const CATALOG = `${FOLDER}catalog.sqlite`;
/** SHA-256 of the committed file: it is never rebuilt or rewritten. */
const CATALOG_SHA256 =
  "204bf0e17abbc9fbf1a80fb76a21c3b016e2fe66963b4252e9c18cc21cad7151";

/** The catalog's models, declared with today's API. */
function declareCatalog(db: DataSet) {
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

function openCatalog(engine: "ffi" | "node") {
  const db = freshDataSet(engine);
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: CATALOG } }));
  return { db, ...declareCatalog(db) };
}

const SUPPLIERS = [
  {
    id: 1,
    name: "Acme",
    country: "FR",
    rating: 4.5,
    logo: new Uint8Array([0, 1, 2, 255]),
    active: true,
  },
  {
    id: 2,
    name: "Zoë & Co",
    country: "IS",
    rating: null,
    logo: null,
    active: false,
  },
  {
    id: 3,
    name: "",
    country: "JP",
    rating: -0.25,
    logo: new Uint8Array(),
    active: true,
  },
];

const PRODUCTS = [
  {
    supplierId: 1,
    sku: "A-1",
    title: "Bolt, M6",
    price: 0.1,
    stock: 9_007_199_254_740_993n,
    inStock: true,
    attrs: { size: "M6", tags: ["zinc", "metric"], nested: { n: 1.5 } },
    weightGrams: 12,
  },
  {
    supplierId: 1,
    sku: "A-2",
    title: 'Nut "hex"',
    price: 0.05,
    stock: 0n,
    inStock: false,
    attrs: null,
    weightGrams: null,
  },
  {
    supplierId: 2,
    sku: "A-1",
    title: "Kaffi ☕",
    price: 1234.5,
    stock: -9_223_372_036_854_775_808n,
    inStock: true,
    attrs: { empty: {}, list: [] },
    weightGrams: -7,
  },
  {
    supplierId: 3,
    sku: "日本-1",
    title: "Line\nbreak\ttab",
    price: 1e-7,
    stock: 9_223_372_036_854_775_807n,
    inStock: true,
    attrs: { nil: null, yes: true },
    weightGrams: 9_007_199_254_740_991,
  },
];

/** A row as a plain object, its blobs as plain `Uint8Array`s. */
function plain(row: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map((
      [key, value],
    ) => [key, value instanceof Uint8Array ? new Uint8Array(value) : value]),
  );
}

engineTest(
  "A file built by 0.1.0 reads every row exactly with today's models",
  async (engine) => {
    const { db, Supplier, Product } = openCatalog(engine);
    try {
      const suppliers = await Array.fromAsync(
        new Store(Supplier).search({}, { orderBy: "id" }),
      );
      assert.deepEqual(suppliers.map(plain), SUPPLIERS);
      const products = await Array.fromAsync(
        new Store(Product).search({}, { orderBy: ["supplierId", "sku"] }),
      );
      assert.deepEqual(products.map(plain), PRODUCTS);
      assert.deepEqual(
        plain(
          await new Store(Product).retrieve({ supplierId: 3, sku: "日本-1" }),
        ),
        PRODUCTS[3],
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "A file built by 0.1.0 passes verifyDataSet with today's models",
  async (engine) => {
    const { db } = openCatalog(engine);
    try {
      const report = await verifyDataSet(db);
      assert.deepEqual(report.problems, []);
      assert.equal(report.ok, true);
      assert.deepEqual(report.tables, { supplier: 3, product: 4 });
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "A file built by 0.1.0 keeps its build metadata readable",
  async (engine) => {
    const { db } = openCatalog(engine);
    try {
      const metadata = await readBuildMetadata(db);
      assert.equal(metadata?.dataset, "catalog");
      assert.equal(metadata?.libraryVersion, "0.1.0");
      assert.equal(metadata?.builtAt, "2026-11-30T00:00:00.000Z");
      assert.deepEqual(metadata?.tables, { supplier: 3, product: 4 });
      assert.deepEqual(metadata?.sources, []);
    } finally {
      await db.close();
    }
  },
);

Deno.test("Reading the 0.1.0 file changes it in no way and creates no file beside it", async () => {
  const before = (await Array.fromAsync(Deno.readDir(FOLDER))).map((e) =>
    e.name
  ).sort();
  for (const engine of ["ffi", "node"] as const) {
    const { db, Product } = openCatalog(engine);
    await new Store(Product).count();
    await verifyDataSet(db);
    await db.close();
  }
  assert.equal(await sha256(CATALOG), CATALOG_SHA256);
  const after = (await Array.fromAsync(Deno.readDir(FOLDER))).map((e) => e.name)
    .sort();
  assert.deepEqual(after, before);
});
