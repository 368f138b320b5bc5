/**
 * Builds `catalog.sqlite`, the fixture written by version 0.1.0 of the
 * library (commit 807b11b) that every later version must keep opening and
 * verifying (`tests/compat_0_1_0_test.ts`). The committed file is the one
 * 0.1.0 built; it is never rebuilt. This script is kept to show how it was
 * made, and may be updated to later import paths (its models are declared
 * in `models.ts`, which the test shares):
 *
 *   SOURCE_DATE_EPOCH=1795996800 deno run -A tests/testdata/v0_1_0/build_catalog.ts <out.sqlite>
 *
 * It covers every column kind (integer, real, text, blob, boolean, json,
 * bigint), nullable and default columns, a column whose SQL name differs
 * from its property, a composite primary key, single- and multi-column
 * indexes, a unique constraint and a foreign key.
 */
import { DataSet, Store } from "../../../mod.ts";
import { buildDataSet } from "../../../build.ts";
import { declareCatalog } from "./models.ts";

const out = Deno.args[0];
if (out === undefined) throw new TypeError("usage: build_catalog.ts <out>");

const Catalog = DataSet.create("catalog");
const { Supplier, Product } = declareCatalog(Catalog);

await buildDataSet(Catalog, out, async (build) => {
  await new Store(Supplier).createMany([
    {
      id: 1,
      name: "Acme",
      rating: 4.5,
      logo: new Uint8Array([0, 1, 2, 255]),
    },
    { id: 2, name: "Zoë & Co", country: "IS", rating: null, active: false },
    { id: 3, name: "", country: "JP", rating: -0.25, logo: new Uint8Array() },
  ]);
  await new Store(Product).createMany([
    {
      supplierId: 1,
      sku: "A-1",
      title: "Bolt, M6",
      price: 0.1,
      stock: 9_007_199_254_740_993n,
      attrs: { size: "M6", tags: ["zinc", "metric"], nested: { n: 1.5 } },
      weightGrams: 12,
    },
    {
      supplierId: 1,
      sku: "A-2",
      title: 'Nut "hex"',
      price: 0.05,
      inStock: false,
      attrs: null,
    },
  ]);
  await build.loadRecords(Product, [
    {
      supplierId: 2,
      sku: "A-1",
      title: "Kaffi ☕",
      price: 1234.5,
      stock: -9_223_372_036_854_775_808n,
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
  ]);
});
console.log(`wrote ${out}`);
