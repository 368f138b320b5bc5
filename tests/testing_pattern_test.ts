// The pattern the README documents for `deno test`: one module-level
// dataset, `await using` per test, and every test starts from empty.
import assert from "node:assert/strict";
import { DataSet, integer, Store, text } from "../mod.ts";

const Inventory = DataSet.create("testing_pattern");
class Item extends Inventory.Model("item", {
  id: integer({ primaryKey: true }),
  name: text(),
}) {}

for (const round of [1, 2, 3]) {
  Deno.test(`await using gives each test a fresh in-memory database (round ${round})`, async () => {
    await using _ = Inventory;
    await Inventory.createAll();
    const items = new Store(Item);
    assert.equal(await items.count(), 0);
    await items.create({ name: `item ${round}` });
    assert.equal(await items.count(), 1);
  });
}
