/**
 * One cold-start sample, in a process of its own (started by
 * `cold_start.ts`): times the runtime import of a library, then opening the
 * benchmark file and reading its first row by key, and prints
 * `{ "importMs", "openMs", "row" }` as JSON.
 *
 *   deno run --allow-read --allow-ffi --allow-env bench/_cold_child.ts <ours-ffi|ours-node|db-sqlite|node-sqlite> <bench.sqlite> [db-sqlite checkout]
 *
 * This file imports nothing statically, so what is timed is the library's
 * own import graph (Deno's module cache warm, as on a deployed server).
 *
 * @module
 */
const [subject, path, dbSqlite] = Deno.args as [string, string, string?];
const LOOKUP = "select id, name, category, value from t where id = ?";

let importMs: number;
let openMs: number;
let row: unknown;
const t0 = performance.now();
switch (subject) {
  case "ours-ffi":
  case "ours-node": {
    const lib = await import("../mod.ts");
    const t1 = performance.now();
    const db = lib.DataSet.create("cold", {
      engine: subject === "ours-ffi" ? "ffi" : "node",
    });
    db.bind(new lib.SQLiteBindFactory({ paths: { cold: path } }));
    class T extends db.Model("t", {
      id: lib.integer({ primaryKey: true }),
      name: lib.text(),
      category: lib.text({ nullable: true }),
      value: lib.real({ nullable: true }),
    }) {}
    const found = await new lib.Store(T).retrieve(1);
    const t2 = performance.now();
    row = { ...found };
    importMs = t1 - t0;
    openMs = t2 - t1;
    await db.close();
    break;
  }
  case "db-sqlite": {
    if (dbSqlite === undefined) throw new TypeError("no @db/sqlite checkout");
    const lib = await import(`${dbSqlite}/mod.ts`);
    const t1 = performance.now();
    const db = new lib.Database(path, { readonly: true });
    row = db.prepare(LOOKUP).get(1);
    const t2 = performance.now();
    importMs = t1 - t0;
    openMs = t2 - t1;
    db.close();
    break;
  }
  case "node-sqlite": {
    const lib = await import("node:sqlite");
    const t1 = performance.now();
    const db = new lib.DatabaseSync(path, { readOnly: true });
    row = { ...db.prepare(LOOKUP).get(1) };
    const t2 = performance.now();
    importMs = t1 - t0;
    openMs = t2 - t1;
    db.close();
    break;
  }
  default:
    throw new TypeError(`Cannot time ${subject}: unknown subject`);
}
console.log(JSON.stringify({ importMs, openMs, row }));
