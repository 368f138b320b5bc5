// The small rules of src/_rules.ts, as users meet them.
import assert from "node:assert/strict";
import { integer, SQLiteBindFactory, Store, text } from "../mod.ts";
import { buildDataSet, verifyDataSet } from "../build.ts";
import { engineTest, freshDataSet, tempDir } from "./_helpers.ts";

engineTest(
  "Columns É and é are distinct, as SQLite folds only ASCII letters",
  async (engine) => {
    const db = freshDataSet(engine);
    class Accent extends db.Model("accent", {
      id: integer({ primaryKey: true }),
      upper: text({ name: "É" }),
      lower: text({ name: "é" }),
    }) {}
    const path = `${await tempDir()}/accent.sqlite`;
    await buildDataSet(db, path, async (build) => {
      await build.loadRecords(Accent, [{ id: 1, "É": "upper", "é": "lower" }]);
    });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    assert.deepEqual({ ...await new Store(Accent).retrieve(1) }, {
      id: 1,
      upper: "upper",
      lower: "lower",
    });
    assert.equal((await verifyDataSet(db)).ok, true);
    await db.close();
  },
);

Deno.test(
  "Tables É and é are distinct; ASCII case still folds",
  () => {
    const db = freshDataSet("node");
    db.Model("É", { id: integer({ primaryKey: true }) });
    db.Model("é", { id: integer({ primaryKey: true }) });
    db.Model("Ab", { id: integer({ primaryKey: true }) });
    assert.throws(
      () => db.Model("aB", { id: integer({ primaryKey: true }) }),
      /already declared/,
    );
    assert.throws(
      () => db.Model("SQLITE_x", { id: integer({ primaryKey: true }) }),
      /reserved by SQLite/,
    );
  },
);

Deno.test("Two properties whose SQL names differ only in ASCII case are refused", () => {
  const db = freshDataSet("node");
  assert.throws(
    () =>
      db.Model("t", {
        a: text({ name: "Name" }),
        b: text({ name: "nAME" }),
      }),
    /two properties map to the SQL column "nAME"/,
  );
});
