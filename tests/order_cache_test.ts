/**
 * The store keeps the SQL of each order it has run; an order that only
 * looks like one kept (an object that prints as a property name, names
 * joined by a NUL) is still checked, and refused.
 */
import assert from "node:assert/strict";
import { integer, text } from "../mod.ts";
import { engineTest, oneModel } from "./_helpers.ts";

function model(engine: "ffi" | "node") {
  return oneModel(engine, "t", {
    id: integer({ primaryKey: true }),
    a: text(),
    b: text(),
  });
}

/** Order keys that are not valid, yet print as valid ones. */
const LOOKALIKES: [string, unknown][] = [
  ["an object printing as a", [{ toString: () => "a" }]],
  ["a String object", [new String("a")]],
  ["a and b joined by a NUL", ["a\0b"]],
];

engineTest(
  "Store.search() refuses an orderBy that looks like one it ran",
  async (engine) => {
    const { db, store } = await model(engine);
    await using _ = db;
    await Array.fromAsync(store.search({}, { orderBy: "a" }));
    await Array.fromAsync(store.search({}, { orderBy: ["a", "b"] }));
    for (const [label, orderBy] of LOOKALIKES) {
      await assert.rejects(
        // deno-lint-ignore no-explicit-any -- the point is a bad argument
        Array.fromAsync(store.search({}, { orderBy: orderBy as any })),
        TypeError,
        label,
      );
    }
  },
);

engineTest(
  "Store.page() refuses an orderBy that looks like one it ran",
  async (engine) => {
    const { db, store } = await model(engine);
    await using _ = db;
    await store.page({}, { orderBy: "a" });
    await store.page({}, { orderBy: ["a", "b"] });
    for (const [label, orderBy] of LOOKALIKES) {
      await assert.rejects(
        // deno-lint-ignore no-explicit-any -- the point is a bad argument
        store.page({}, { orderBy: orderBy as any }),
        TypeError,
        label,
      );
    }
  },
);
