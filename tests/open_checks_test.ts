// A model's checks when a file opens (its table's columns, and whether the
// table is STRICT for the read hints) run as PRAGMA statements on a file
// that cannot change, and still find what the table-valued functions found.
import assert from "node:assert/strict";
import {
  DataSetError,
  integer,
  type QueryEvent,
  real,
  Store,
  text,
} from "../mod.ts";
import {
  TABLE_COLUMNS,
  tableListPragma,
  tableXinfoPragma,
} from "../src/_sql.ts";
import { SESSION } from "../src/dataset.ts";
import type { EngineName } from "../src/_engine.ts";
import { engineTest, openFile, sqliteFile } from "./_helpers.ts";

const STRICT_TABLE =
  "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, size REAL) STRICT; INSERT INTO t VALUES (1, 'a', 1.5);";

/** A read-only dataset over a file of `sql`, and every statement it runs. */
async function opened(engine: EngineName, sql: string) {
  const seen: string[] = [];
  const db = openFile(engine, await sqliteFile(sql), {
    onQuery: (event: QueryEvent) => void seen.push(event.sql),
  });
  return { db, seen };
}

engineTest(
  "A model's table checks on an immutable file run as two PRAGMA statements",
  async (engine) => {
    const seen: string[] = [];
    const db = openFile(engine, await sqliteFile(STRICT_TABLE), {
      onQuery: (event: QueryEvent) => void seen.push(event.sql),
    });
    const T = db.Model("t", {
      id: integer({ primaryKey: true }),
      name: text(),
      size: real({ nullable: true }),
    });
    assert.deepEqual({ ...await new Store(T).retrieve(1) }, {
      id: 1,
      name: "a",
      size: 1.5,
    });
    // The columns and the STRICT flag come from the PRAGMA statements,
    // which bind nothing (cold start, issue 15).
    const checks = seen.filter((sql) =>
      /pragma_table_xinfo|pragma_table_list|^PRAGMA table_/.test(sql)
    );
    assert.deepEqual(checks, [tableXinfoPragma("t"), tableListPragma("t")]);
    assert.ok(!seen.some((sql) => sql.includes("pragma_table_list")));
    assert.ok(!seen.includes(TABLE_COLUMNS));
    await db.close();
  },
);

engineTest(
  "The one-statement check still reads a STRICT table's hints",
  async (engine) => {
    const db = openFile(engine, await sqliteFile(STRICT_TABLE));
    const T = db.Model("t", {
      id: integer({ primaryKey: true }),
      name: text(),
      size: real({ nullable: true }),
    });
    await new Store(T).retrieve(1);
    const session = await db[SESSION]();
    // INTEGER id: a STRICT table guarantees integers there.
    assert.deepEqual(session.strictIntegers.get(T.definition), [
      true,
      false,
      false,
    ]);
    await db.close();
  },
);

engineTest(
  "The one-statement check still names a missing table or column",
  async (engine) => {
    const { db } = await opened(engine, STRICT_TABLE);
    const Missing = db.Model("nothing", { id: integer({ primaryKey: true }) });
    await assert.rejects(
      new Store(Missing).retrieve(1),
      (error: unknown) =>
        error instanceof DataSetError &&
        /no such table "nothing"/.test(error.message),
    );
    await db.close();
    const again = await opened(engine, STRICT_TABLE);
    const Wrong = again.db.Model("t", {
      id: integer({ primaryKey: true }),
      colour: text(),
    });
    await assert.rejects(
      new Store(Wrong).retrieve(1),
      (error: unknown) =>
        error instanceof DataSetError &&
        /table "t" has no column "colour"/.test(error.message),
    );
    await again.db.close();
  },
);

engineTest(
  "A file opened with immutable: false reads its columns alone, no STRICT hints",
  async (engine) => {
    const seen: string[] = [];
    const db = openFile(engine, await sqliteFile(STRICT_TABLE), {
      immutable: false,
      onQuery: (event: QueryEvent) => void seen.push(event.sql),
    });
    const T = db.Model("t", {
      id: integer({ primaryKey: true }),
      name: text(),
    });
    assert.equal((await new Store(T).retrieve(1)).name, "a");
    assert.ok(seen.includes(TABLE_COLUMNS), seen.join("\n"));
    assert.ok(!seen.some((sql) => sql.includes("pragma_table_list")));
    await db.close();
  },
);
