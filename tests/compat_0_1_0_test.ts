// A file built by version 0.1.0 keeps opening, reading and verifying with
// the models declared today, on both engines, and is never changed by it.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { EngineName } from "../src/_engine.ts";
import { readBuildMetadata, Store } from "../mod.ts";
import { verifyDataSet } from "../build.ts";
import { ENGINES, engineTest, listing, openFile, sha256 } from "./_helpers.ts";
import { declareCatalog } from "./testdata/v0_1_0/models.ts";

const FOLDER = fileURLToPath(new URL("./testdata/v0_1_0/", import.meta.url));
const CATALOG = `${FOLDER}catalog.sqlite`;
/** SHA-256 of the committed file: it is never rebuilt or rewritten. */
const CATALOG_SHA256 =
  "204bf0e17abbc9fbf1a80fb76a21c3b016e2fe66963b4252e9c18cc21cad7151";

/** The 0.1.0 file, read-only, with the catalog's models declared today. */
function openCatalog(engine: EngineName) {
  const db = openFile(engine, CATALOG);
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
    await using _ = db;
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
  },
);

engineTest(
  "A file built by 0.1.0 passes verifyDataSet with today's models",
  async (engine) => {
    const { db } = openCatalog(engine);
    await using _ = db;
    const report = await verifyDataSet(db);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.tables, { supplier: 3, product: 4 });
  },
);

engineTest(
  "A file built by 0.1.0 keeps its build metadata readable",
  async (engine) => {
    const { db } = openCatalog(engine);
    await using _ = db;
    const metadata = await readBuildMetadata(db);
    assert.equal(metadata?.dataset, "catalog");
    assert.equal(metadata?.libraryVersion, "0.1.0");
    assert.equal(metadata?.builtAt, "2026-11-30T00:00:00.000Z");
    assert.deepEqual(metadata?.tables, { supplier: 3, product: 4 });
    assert.deepEqual(metadata?.sources, []);
  },
);

Deno.test("Reading the 0.1.0 file changes it in no way and creates no file beside it", async () => {
  const before = await listing(FOLDER);
  for (const engine of ENGINES) {
    const { db, Product } = openCatalog(engine);
    await new Store(Product).count();
    await verifyDataSet(db);
    await db.close();
  }
  assert.equal(await sha256(CATALOG), CATALOG_SHA256);
  assert.deepEqual(await listing(FOLDER), before);
});
