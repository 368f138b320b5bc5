// Review of the merged read paths (issues 10-12): wrong answers and
// crashes found where branches written in parallel met, each pinned on
// both engines.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { DataSetError, integer, Store, text } from "../mod.ts";
import { engineTest, openFile, sqliteFile } from "./_helpers.ts";

engineTest(
  "Store reads a STRICT table recreated non-STRICT under immutable: false by its stored values",
  async (engine) => {
    const path = await sqliteFile(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL) STRICT;" +
        "INSERT INTO t VALUES (1, 5);",
    );
    const db = openFile(engine, path, { immutable: false });
    try {
      class T extends db.Model("t", {
        id: integer({ primaryKey: true }),
        n: integer(),
      }) {}
      const store = new Store(T);
      assert.deepEqual((await store.one({ id: 1 })).n, 5);
      // Another process rewrites the table, as immutable: false allows.
      const writer = new DatabaseSync(path);
      try {
        writer.exec(
          "DROP TABLE t; CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);" +
            "INSERT INTO t VALUES (1, '12abc');",
        );
      } finally {
        writer.close();
      }
      await assert.rejects(store.one({ id: 1 }), DataSetError);
      await assert.rejects(store.search().next(), DataSetError);
    } finally {
      await db.close();
    }
  },
);
