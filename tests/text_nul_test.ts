// Text with an embedded NUL (issue 11 §2): node:sqlite reads text only up
// to the first NUL, so the node engine refuses to write such text rather
// than store a value it would read back shortened; FFI round-trips it.
import assert from "node:assert/strict";
import { integer, text } from "../mod.ts";
import { engineTest, oneModel } from "./_helpers.ts";

engineTest(
  "Text with an embedded NUL round-trips through FFI and is refused on write through node:sqlite",
  async (engine) => {
    const { db, store } = await oneModel(engine, "z", {
      id: integer({ primaryKey: true }),
      s: text(),
    });
    await using _ = db;
    const writes = [
      () => store.create({ s: "a\0b" }),
      () => store.createMany([{ s: "fine" }, { s: "\0" }]),
      async () => {
        for await (const _ of db.sql`insert into z (s) values (${"x\0"})`);
      },
    ];
    if (engine === "ffi") {
      for (const write of writes) await write();
      assert.deepEqual(
        await Array.fromAsync(store.search(), (row) => row.s),
        ["a\0b", "fine", "\0", "x\0"],
      );
      return;
    }
    for (const write of writes) {
      await assert.rejects(
        write(),
        (error: Error) =>
          error instanceof RangeError &&
          /NUL character/.test(error.message) &&
          /node:sqlite/.test(error.message),
      );
    }
    // Nothing was written, and filters (reads) still take such text.
    assert.equal(await store.count(), 0);
    assert.equal(await store.count({ s: "a\0b" }), 0);
  },
);
