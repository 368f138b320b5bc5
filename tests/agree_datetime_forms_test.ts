/**
 * A `datetime()` cell reads as a `Date` only in a form SQLite's date
 * functions read, since filters and orders compare the column through
 * them: a text such as `2024-01-02t03:04:05` (lower-case `t`), one with a
 * space before it, `+0200` (no colon), a zone after a date alone or an
 * offset beyond 14:59 was read as a `Date` that no filter found (SQLite
 * reads it as NULL). Such cells are now refused, as every other text that
 * is no date; and every cell that reads as a `Date` is found by a filter
 * on that instant, on both engines.
 */
import assert from "node:assert/strict";
import { DataSetError, datetime, integer, Store } from "../mod.ts";
import { engineTest, openFile, sqliteFile } from "./_helpers.ts";

/** Stored texts SQLite's date functions read as NULL. */
const UNREAD = [
  "2024-01-02t03:04:05",
  " 2024-01-02",
  " 03:04",
  "2024-01-02T03:04:05+0200",
  "2024-01-02Z",
  "2024-01-02 +02:00",
  "2024-01-02T03:04:05+15:00",
  "2024-01-02T03:04:05+02:60",
];

/** Stored texts they read, in several forms. */
const READ = [
  "2024-01-02",
  "2024-01-02 ",
  "2024-01-02T03:04",
  "2024-01-02 03:04:05.5",
  "2024-01-02T03:04:05z",
  "2024-01-02T03:04:05 Z",
  "2024-01-02T03:04:05.123456Z",
  "2024-01-02T03:04:05-14:59",
  "2024-01-02T03:04:05 +02:00",
  "03:04",
];

async function datesFile(texts: string[]): Promise<string> {
  const values = texts.map((text, i) =>
    `(${i + 1}, '${text.replaceAll("'", "''")}')`
  );
  return await sqliteFile(
    `CREATE TABLE v (id INTEGER PRIMARY KEY, at TEXT);
     INSERT INTO v VALUES ${values.join(", ")};`,
  );
}

function declare(db: ReturnType<typeof openFile>) {
  return class V extends db.Model("v", {
    id: integer({ primaryKey: true }),
    at: datetime(),
  }) {};
}

engineTest(
  "a stored text SQLite reads as no date is refused, not read",
  async (engine) => {
    const db = openFile(engine, await datesFile(UNREAD));
    const store = new Store(declare(db));
    try {
      for (const [i, text] of UNREAD.entries()) {
        await assert.rejects(store.retrieve(i + 1), (error: Error) => {
          assert.ok(error instanceof DataSetError, `${text}: ${error}`);
          assert.equal(
            error.message,
            `Cannot read v.at in the row id = ${i + 1}: the file holds text ${
              JSON.stringify(text)
            }, not date and time text`,
          );
          return true;
        });
      }
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "every stored datetime that reads as a Date is found by a filter on it",
  async (engine) => {
    const db = openFile(engine, await datesFile(READ));
    const store = new Store(declare(db));
    try {
      for (const [i, text] of READ.entries()) {
        const row = await store.retrieve(i + 1);
        assert.ok(row.at instanceof Date, text);
        const found = await Array.fromAsync(
          store.search({ id: i + 1, at: { gte: row.at, lte: row.at } }),
        );
        assert.deepEqual(found.map((r) => r.id), [i + 1], text);
      }
    } finally {
      await db.close();
    }
  },
);
