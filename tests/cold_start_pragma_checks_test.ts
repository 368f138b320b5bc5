// Cold start (issue 15, cold5): a model's table checks on a file that
// cannot change name the table in PRAGMA statements, as a quoted
// identifier, so a first retrieve() binds no text. They find what the
// table-valued functions found: the table in any ASCII case, a name with
// quotes in it, generated columns, the hidden columns of a virtual table,
// and whether the table is STRICT.
import assert from "node:assert/strict";
import { DataSetError, integer, real, Store, text } from "../mod.ts";
import { SESSION } from "../src/dataset.ts";
import { engineTest, openFile, sqliteFile } from "./_helpers.ts";

engineTest(
  "A model's table checks find a quoted table name in another ASCII case",
  async (engine) => {
    const db = openFile(
      engine,
      await sqliteFile(
        `CREATE TABLE "Odd ""Name" (id INTEGER PRIMARY KEY, label TEXT NOT NULL) STRICT; INSERT INTO "Odd ""Name" VALUES (7, 'seven');`,
      ),
    );
    const T = db.Model('ODD "name', {
      id: integer({ primaryKey: true }),
      label: text(),
    });
    assert.deepEqual({ ...await new Store(T).retrieve(7) }, {
      id: 7,
      label: "seven",
    });
    // STRICT found: both columns have the storage class they declare.
    const session = await db[SESSION]();
    assert.deepEqual(session.strictIntegers.get(T.definition), [true, false]);
    await db.close();
  },
);

engineTest(
  "A model's table checks give no STRICT hints on a table that is not STRICT",
  async (engine) => {
    const db = openFile(
      engine,
      await sqliteFile(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, size REAL); INSERT INTO t VALUES (1, 2.5);",
      ),
    );
    const T = db.Model("t", {
      id: integer({ primaryKey: true }),
      size: real({ nullable: true }),
    });
    assert.equal((await new Store(T).retrieve(1)).size, 2.5);
    const session = await db[SESSION]();
    assert.equal(session.strictIntegers.get(T.definition), undefined);
    await db.close();
  },
);

engineTest(
  "A model's table checks see generated columns, with no STRICT hint",
  async (engine) => {
    const db = openFile(
      engine,
      await sqliteFile(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, twice INTEGER GENERATED ALWAYS AS (id * 2)) STRICT; INSERT INTO t (id) VALUES (3);",
      ),
    );
    const T = db.Model("t", {
      id: integer({ primaryKey: true }),
      twice: integer(),
    });
    assert.equal((await new Store(T).retrieve(3)).twice, 6);
    const session = await db[SESSION]();
    // A generated column's class is whatever its expression gives.
    assert.deepEqual(session.strictIntegers.get(T.definition), [true, false]);
    await db.close();
  },
);

engineTest(
  "A model's table checks skip a virtual table's hidden columns",
  async (engine) => {
    const db = openFile(
      engine,
      await sqliteFile(
        "CREATE VIRTUAL TABLE notes USING fts5(body); INSERT INTO notes VALUES ('hello');",
      ),
    );
    // FTS5's hidden columns (the table's own name, rank) are no columns.
    const Notes = db.Model("notes", { body: text() });
    assert.equal(await new Store(Notes).count(), 1);
    await db.close();
    const again = openFile(
      engine,
      await sqliteFile("CREATE VIRTUAL TABLE notes USING fts5(body);"),
    );
    const Rank = again.Model("notes", { rank: real() });
    await assert.rejects(
      new Store(Rank).count(),
      (error: unknown) =>
        error instanceof DataSetError &&
        /table "notes" has no column "rank"/.test(error.message),
    );
    await again.close();
  },
);
