/**
 * Cold start (issue 15, fewer bytes): the SQL, schema reads, capability
 * reports and FTS5 declaration parsing that no first query runs live in
 * modules a runtime import does not load (`_sql_build.ts`,
 * `_sql_lazy.ts`, `_introspect.ts`, `_capability_report.ts`,
 * `_fts_declaration.ts`). `createAll()` and `dropAll()` load the DDL on
 * first use: each case here runs first thing in a fresh process, and
 * answers as the statically loaded SQL did.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { EngineName } from "../src/_engine.ts";
import {
  CAUGHT_JS,
  engineTest,
  peopleFile,
  runScriptJson,
  staticGraph,
} from "./_helpers.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

/** Modules of the library a runtime import loads, static imports only. */
async function staticModules(root: string): Promise<string[]> {
  const base = new URL("..", import.meta.url).href;
  return [...await staticGraph(root)].filter((s) => s.startsWith(base)).map((
    s,
  ) => s.slice(base.length));
}

Deno.test("a runtime import loads none of the SQL, schema reads and reports of tools and lazy features", async () => {
  const loaded = await staticModules(
    fileURLToPath(new URL("../mod.ts", import.meta.url)),
  );
  assert.ok(loaded.includes("src/_sql.ts"), `the walk found: ${loaded}`);
  for (
    const module of [
      "src/_sql_build.ts",
      "src/_sql_lazy.ts",
      "src/_introspect.ts",
      "src/_capability_report.ts",
      "src/_fts_declaration.ts",
    ]
  ) {
    assert.ok(!loaded.includes(module), `${module} is loaded statically`);
  }
});

Deno.test("the build entry point still loads the build SQL and schema reads", async () => {
  const loaded = await staticModules(
    fileURLToPath(new URL("../build.ts", import.meta.url)),
  );
  for (
    const module of [
      "src/_sql_build.ts",
      "src/_introspect.ts",
      "src/_capability_report.ts",
      "src/_fts_declaration.ts",
    ]
  ) {
    assert.ok(loaded.includes(module), `${module} is not loaded: ${loaded}`);
  }
});

/** Runs `body` first thing in a fresh process; answers what it returns. */
// deno-lint-ignore no-explicit-any -- each case reads its own JSON shape
function fresh(engine: EngineName, body: string): Promise<any> {
  return runScriptJson(
    ["--allow-read", "--allow-ffi", "--allow-env"],
    `
    import * as lib from ${JSON.stringify(MOD)};
    const { DataSet, SQLiteBindFactory, Store, integer, real, text } = lib;
    const engine = ${JSON.stringify(engine)};
    ${CAUGHT_JS}
    const result = await (async () => { ${body} })();
    console.log(JSON.stringify(result));
    `,
  );
}

engineTest(
  "the first createAll() and dropAll() of a process load the DDL, search and geo indexes included",
  async (engine) => {
    const result = await fresh(
      engine,
      `
      const db = DataSet.create("bytes_ddl", { engine });
      class Place extends db.Model("place", {
        id: integer({ primaryKey: true }),
        name: text({ index: true }),
        lat: real(),
        lon: real(),
      }, {
        search: { columns: ["name"] },
        geo: { lat: "lat", lon: "lon" },
      }) {}
      await db.createAll();
      const store = new Store(Place);
      await store.createMany([
        { name: "Paris", lat: 48.86, lon: 2.35 },
        { name: "Lyon", lat: 45.76, lon: 4.84 },
      ]);
      const matched = (await Array.fromAsync(store.match("lyon")))
        .map((p) => p.name);
      const box = { south: 48, north: 49, west: 2, east: 3 };
      const within = (await Array.fromAsync(store.within(box)))
        .map((p) => p.name);
      const tables = (await Array.fromAsync(
        db.sql\`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'place_%' ORDER BY name\`,
      )).map((r) => r.name);
      await db.dropAll();
      const left = await Array.fromAsync(
        db.sql\`SELECT name FROM sqlite_schema WHERE type = 'table'\`,
      );
      const after = await caught(store.count());
      await db.close();
      return { matched, within, tables, left, after };
      `,
    );
    assert.deepEqual(result.matched, ["Lyon"]);
    assert.deepEqual(result.within, ["Paris"]);
    assert.deepEqual(result.tables, ["place"]);
    assert.deepEqual(result.left, []);
    assert.equal(
      result.after,
      `DataSetError: Cannot count place: dataset "bytes_ddl" has no table "place" (no such table: the file does not match the models)`,
    );
  },
);

engineTest(
  "the first createAll() and dropAll() of a process on a read-only file refuse as before",
  async (engine) => {
    const path = await peopleFile(engine);
    const result = await fresh(
      engine,
      `
      const db = DataSet.create("bytes_ro", { engine });
      db.bind(new SQLiteBindFactory({ paths: { bytes_ro: ${
        JSON.stringify(path)
      } } }));
      class Person extends db.Model("person", {
        id: integer({ primaryKey: true }),
      }) {}
      const created = await caught(db.createAll());
      const dropped = await caught(db.dropAll());
      const count = await new Store(Person).count();
      await db.close();
      return { created, dropped, count };
      `,
    );
    assert.equal(
      result.created,
      `ReadOnlyError: Cannot create the tables of dataset "bytes_ro": dataset "bytes_ro" is read-only (${path})`,
    );
    assert.equal(
      result.dropped,
      `ReadOnlyError: Cannot drop the tables of dataset "bytes_ro": dataset "bytes_ro" is read-only (${path})`,
    );
    assert.ok(result.count > 0);
  },
);
