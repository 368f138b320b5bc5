/**
 * Cold start (issue 15): the FFI engine binds at load only the C functions
 * a first `retrieve()` calls, and each other one alone on its first call;
 * the buffers SQLite writes to are passed by pointer. The binding is
 * FFI-only (the node engine binds no symbols: `node:sqlite` is built in);
 * what goes through the pointers is checked on both engines.
 */
import assert from "node:assert/strict";
import { DataSet, integer, Store, text } from "../mod.ts";
import {
  engineTest,
  openFile,
  peopleFile,
  runScriptJson,
  tempDir,
} from "./_helpers.ts";

Deno.test("the FFI engine binds each rarely used symbol alone on its first call, and none at a cold start", async () => {
  const path = await peopleFile("ffi");
  const ffi = new URL("../src/_ffi.ts", import.meta.url).href;
  const mod = new URL("../mod.ts", import.meta.url).href;
  const result = await runScriptJson(
    ["--allow-read", "--allow-ffi", "--allow-env"],
    `
    import { loadFfiEngine, symbolsBoundLater } from ${JSON.stringify(ffi)};
    import { DataSet, integer, QueryError, SQLiteBindFactory, Store, text } from ${
      JSON.stringify(mod)
    };
    const paths = { fixed: ${JSON.stringify(path)}, watched: ${
      JSON.stringify(path)
    } };
    const factory = new SQLiteBindFactory({ paths });
    const declare = (db) =>
      class Person extends db.Model("person", {
        id: integer({ primaryKey: true }),
        first: text(),
      }) {};
    const fixed = DataSet.create("fixed", { engine: "ffi" });
    fixed.bind(factory);
    const Person = declare(fixed);
    const first = (await new Store(Person).retrieve(1)).first;
    const library = loadFfiEngine().library;
    const coldStart = symbolsBoundLater(library);
    let message = "";
    try {
      for await (const _ of fixed.sql\`SELECT nope FROM person\`);
    } catch (error) {
      message = error instanceof QueryError ? error.message : String(error);
    }
    const afterError = symbolsBoundLater(library);
    // A file that may change reads SQLite's cache statistics.
    const watched = DataSet.create("watched", { engine: "ffi", immutable: false });
    watched.bind(factory);
    const count = await new Store(declare(watched)).count();
    const afterWatched = symbolsBoundLater(library);
    // A time budget installs a progress handler.
    const rows = [];
    for await (const row of fixed.sql({ timeoutMs: 5000 })\`SELECT 1 AS one\`) {
      rows.push(row.one);
    }
    const afterBudget = symbolsBoundLater(library);
    await fixed.close();
    await watched.close();
    console.log(JSON.stringify({
      first, coldStart, message, afterError, count, afterWatched, rows,
      afterBudget,
    }));
    `,
  );
  assert.equal(result.first, "George");
  assert.deepEqual(result.coldStart, []);
  assert.match(result.message, /no such column: nope/);
  // The error needed its message, not the whole set of later symbols.
  assert.ok(result.afterError.includes("sqlite3_errmsg"), result.afterError);
  for (const unused of ["sqlite3_deserialize", "sqlite3_bind_blob"]) {
    assert.ok(!result.afterError.includes(unused), result.afterError);
  }
  assert.ok(!result.afterError.includes("sqlite3_db_status"));
  assert.ok(result.count > 0);
  assert.ok(result.afterWatched.includes("sqlite3_db_status"));
  assert.ok(!result.afterWatched.includes("sqlite3_progress_handler"));
  assert.deepEqual(result.rows, [1]);
  assert.ok(result.afterBudget.includes("sqlite3_progress_handler"));
});

engineTest(
  "text parameters of every size bind whole through the scratch buffer and beyond it",
  async (engine) => {
    const db = DataSet.create(`lazy_symbols_text_${engine}`, { engine });
    class Note extends db.Model("note", {
      id: integer({ primaryKey: true }),
      body: text(),
    }) {}
    await db.createAll();
    const store = new Store(Note);
    // Empty, within the 4 KiB scratch, past it (the scratch grows to 1 MiB)
    // and past 1 MiB (encoded on its own), each with non-ASCII text.
    const bodies = [
      "",
      "é".repeat(100),
      "ü".repeat(3000),
      `x${"€".repeat(400_000)}y`,
      "short again",
    ];
    for (const body of bodies) await store.create({ body });
    for (const [index, body] of bodies.entries()) {
      const row = await store.retrieve(index + 1);
      assert.equal(row.body, body);
      // The same text as a filter value finds its row.
      const found = [];
      for await (
        const match of db.sql<{ id: number }>`
        SELECT id FROM note WHERE body = ${body}`
      ) {
        found.push(match.id);
      }
      assert.deepEqual(found, [index + 1]);
    }
    await db.close();
  },
);

engineTest(
  "a failing exec keeps SQLite's message",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_lazy_symbols_" });
    const path = `${dir}/exec.sqlite`;
    const first = openFile(engine, path, { writable: true });
    first.Model("other", { id: integer({ primaryKey: true }) });
    await first.createAll();
    for await (const _ of first.sql`CREATE INDEX item ON other(id)`);
    await first.close();
    // createAll runs its statements through sqlite3_exec, whose error
    // message SQLite writes back through a pointer.
    const second = openFile(engine, path, { writable: true });
    second.Model("item", { id: integer({ primaryKey: true }) });
    await assert.rejects(
      () => second.createAll(),
      /there is already an index named item/,
    );
    await second.close();
  },
);
