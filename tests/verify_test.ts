import assert from "node:assert/strict";
import {
  boolean,
  type DataSet,
  integer,
  json,
  real,
  SQLiteBindFactory,
  text,
} from "../mod.ts";
import { buildDataSet, verifyDataSet } from "../build.ts";
import { engineTest, freshDataSet, openFile, tempDir } from "./_helpers.ts";

/** A file written with raw SQL, as if built elsewhere. */
async function fileWith(sql: string): Promise<string> {
  const dir = await tempDir();
  const path = `${dir}/f.sqlite`;
  const writer = freshDataSet("node", { writable: true });
  writer.bind(new SQLiteBindFactory({ paths: { [writer.name]: path } }));
  for (const statement of sql.split(";").filter((s) => s.trim() !== "")) {
    const strings = Object.assign([statement], { raw: [statement] });
    await Array.fromAsync(
      writer.sql(strings as unknown as TemplateStringsArray),
    );
  }
  await writer.close();
  return path;
}

function bound(engine: "ffi" | "node", path: string): DataSet {
  const db = openFile(engine, path);
  return db;
}

engineTest(
  "verifyDataSet passes a file built from the same models",
  async (engine) => {
    const db = freshDataSet(engine);
    class Item extends db.Model("item", {
      id: integer({ primaryKey: true }),
      name: text(),
      on: boolean({ nullable: true }),
      meta: json({ nullable: true }),
    }) {}
    const dir = await tempDir();
    await buildDataSet(
      db,
      `${dir}/i.sqlite`,
      (b) =>
        b.loadRecords(Item, [{ name: "a", on: true, meta: { x: 1 } }]).then(
          () => {},
        ),
    );
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: `${dir}/i.sqlite` } }));
    const report = await verifyDataSet(db);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.tables, { item: 1 });
    await db.close();
  },
);

engineTest(
  "verifyDataSet reports missing tables and columns",
  async (engine) => {
    const path = await fileWith("CREATE TABLE item (id INTEGER PRIMARY KEY)");
    const db = bound(engine, path);
    db.Model("item", { id: integer({ primaryKey: true }), name: text() });
    db.Model("other", { id: integer({ primaryKey: true }) });
    const report = await verifyDataSet(db);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map((p) => p.message), [
      'item: column "name" is missing',
      'table "other" is missing',
    ]);
    await db.close();
  },
);

engineTest(
  "verifyDataSet reports declared types, stored values and NULLs the models cannot read",
  async (engine) => {
    const path = await fileWith(`
    CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, price TEXT, flag INTEGER, data TEXT, n);
    INSERT INTO item VALUES (1, NULL, 'x', 2, '{bad', 'text');
    INSERT INTO item VALUES (2, 'b', 'y', 1, '[]', 3)`);
    const db = bound(engine, path);
    db.Model("item", {
      id: integer({ primaryKey: true }),
      name: text(),
      price: real({ nullable: true }),
      flag: boolean(),
      data: json(),
      n: integer(),
    });
    const report = await verifyDataSet(db);
    assert.deepEqual(report.problems.map((p) => p.message), [
      "item.price: the model says real, the file declares TEXT (TEXT affinity)",
      "item.name: the model says NOT NULL, 1 row holds NULL",
      "item.price: the model says real, 2 rows hold other values than numbers",
      "item.flag: the model says boolean, 1 row holds other values than 0 or 1",
      "item.data: the model says json, 1 row holds other values than valid JSON text",
      "item.n: the model says integer, 1 row holds other values than integers within 2^53",
    ]);
    await db.close();
  },
);
