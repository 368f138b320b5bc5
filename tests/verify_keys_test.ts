// A primary key the model declares but the file does not enforce: verify
// names the values that stand in more than one row, where retrieve() would
// pick one of them and pages would skip some.
import assert from "node:assert/strict";
import { integer, text } from "../mod.ts";
import { verifyDataSet } from "../build.ts";
import { engineTest, openFile, sqliteFile } from "./_helpers.ts";

function declare(db: ReturnType<typeof openFile>) {
  return class Item extends db.Model("item", {
    code: text({ primaryKey: true }),
    n: integer(),
  }) {};
}

engineTest(
  "verifyDataSet reports primary key values in more than one row of a file that does not declare the key",
  async (engine) => {
    const path = await sqliteFile(
      `create table item (code text not null, n integer not null);
       insert into item values ('a', 1), ('a', 2), ('b', 3), ('c', 4), ('c', 5), ('c', 6);`,
    );
    const db = openFile(engine, path);
    await using _ = db;
    declare(db);
    const report = await verifyDataSet(db);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map((p) => [p.table, p.message]), [[
      "item",
      "item: the model's primary key (code) has 2 values standing in more than one row (the file does not declare that key)",
    ]]);
  },
);

engineTest(
  "verifyDataSet passes a file whose undeclared key holds each value once, or that declares the key",
  async (engine) => {
    for (
      const sql of [
        `create table item (code text not null, n integer not null);
         insert into item values ('a', 1), ('b', 2);`,
        `create table item (code text primary key not null, n integer not null);
         insert into item values ('a', 1), ('b', 2);`,
      ]
    ) {
      const db = openFile(engine, await sqliteFile(sql));
      await using _ = db;
      declare(db);
      const report = await verifyDataSet(db);
      assert.deepEqual(report.problems, []);
      assert.equal(report.ok, true);
    }
  },
);
