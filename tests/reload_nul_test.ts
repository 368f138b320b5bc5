// A cursor keeps reading the file it started on after a reload switches the
// store to another file: its rows are read with that file's NUL-text rule.
import assert from "node:assert/strict";
import {
  DataSetError,
  integer,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet, sqliteFile } from "./_helpers.ts";

const SCHEMA =
  "CREATE TABLE item (id INTEGER PRIMARY KEY, label TEXT NOT NULL);";

engineTest(
  "A search started before a reload reads a NUL text of the old file by the old file's rule",
  async (engine) => {
    // The old file holds a NUL in its second row; the new one holds none.
    const old = await sqliteFile(
      `${SCHEMA} INSERT INTO item VALUES (1, 'a'), (2, 'b' || char(0) || 'c');`,
    );
    const fresh = await sqliteFile(
      `${SCHEMA} INSERT INTO item VALUES (1, 'x'), (2, 'y');`,
    );
    const db = freshDataSet(engine);
    const Item = db.Model("item", {
      id: integer({ primaryKey: true }),
      label: text(),
    });
    db.bind(new SQLiteBindFactory().set(db.name, old));
    const store = new Store(Item);
    const rows = store.search();
    assert.equal((await rows.next()).value?.label, "a");
    await db.reload(fresh);
    // A query on the new file: the store now reads that file's way.
    assert.equal((await store.retrieve(2)).label, "y");
    if (engine === "ffi") {
      // FFI reads text whole: the old row arrives as stored.
      assert.equal((await rows.next()).value?.label, "b\0c");
    } else {
      // node:sqlite would cut it at the NUL: the old file's rule refuses it.
      await assert.rejects(rows.next(), DataSetError);
    }
    await rows.return();
    await db.close();
  },
);
