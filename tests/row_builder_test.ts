/**
 * Rows are built by a function generated from the model's property names
 * (as JSON string literals): names that would break or inject code if
 * pasted into it read as any other property.
 */
import assert from "node:assert/strict";
import { integer, text } from "../mod.ts";
import { engineTest, oneModel } from "./_helpers.ts";

const HOSTILE = [
  '"]; throw new Error("injected"); //',
  "']; globalThis.pwned = 1; //",
  "a\\",
  "line\nbreak",
  "para\u2028graph",
  "${1 + 1}",
  "*/ x /*",
  "constructor",
  "toString",
  "1",
];

async function readBack(
  engine: "ffi" | "node",
  names: readonly string[],
): Promise<void> {
  const columns: Record<string, ReturnType<typeof text>> = {};
  names.forEach((name, i) => columns[name] = text({ name: `c${i}` }));
  const { db, store } = await oneModel(engine, "t", {
    id: integer({ primaryKey: true }),
    ...columns,
  });
  await using _ = db;
  const values = Object.fromEntries(names.map((name, i) => [name, `v${i}`]));
  await store.create(values as never);
  const [row] = await Array.fromAsync(store.search());
  const page = await store.page({}, { limit: 1 });
  for (const found of [row, page.rows[0], await store.retrieve(1)]) {
    const read = found as unknown as Record<string, unknown>;
    assert.equal(read.id, 1);
    for (const [i, name] of names.entries()) {
      assert.ok(Object.hasOwn(read, name), JSON.stringify(name));
      assert.equal(read[name], `v${i}`, JSON.stringify(name));
    }
  }
  assert.equal((globalThis as Record<string, unknown>).pwned, undefined);
}

engineTest(
  "Property names that are code read as plain properties",
  async (engine, t) => {
    await readBack(engine, HOSTILE);
    for (const name of HOSTILE) {
      await t.step(JSON.stringify(name), () => readBack(engine, [name]));
    }
  },
);
