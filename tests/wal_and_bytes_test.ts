/**
 * Nothing beside the shipped file, and read-only for every source: a
 * WAL-mode file whose `-wal` holds frames is refused rather than read
 * without them (old rows), opening never creates `-wal` or `-shm` files,
 * and a dataset served from bytes cannot be made writable by raw SQL.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  DataSet,
  DataSetError,
  integer,
  ReadOnlyError,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  engineTest,
  listing,
  openFile,
  tempDir,
  watchUnchanged,
} from "./_helpers.ts";

/**
 * A WAL-mode file `data.sqlite` with one row written to the database and,
 * with `pending`, a second row committed to its `-wal` file only (copied
 * while the writer still held it, as a replica arrives).
 */
async function walFile(pending: boolean): Promise<string> {
  const source = await tempDir();
  const writer = new DatabaseSync(`${source}/data.sqlite`);
  writer.exec("PRAGMA journal_mode=WAL");
  writer.exec("PRAGMA wal_autocheckpoint=0");
  writer.exec("create table item (id integer primary key, name text)");
  writer.exec("insert into item (name) values ('old')");
  writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  if (pending) writer.exec("insert into item (name) values ('new')");
  const target = await tempDir();
  Deno.copyFileSync(`${source}/data.sqlite`, `${target}/data.sqlite`);
  if (pending) {
    Deno.copyFileSync(`${source}/data.sqlite-wal`, `${target}/data.sqlite-wal`);
  }
  writer.close();
  return `${target}/data.sqlite`;
}

function openItems(
  engine: EngineName,
  path: string,
  options: { immutable?: boolean } = {},
) {
  const db = openFile(engine, path, options);
  class Item extends db.Model("item", {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  return { db, store: new Store(Item) };
}

/** Opens, expects a DataSetError, and checks nothing changed on disk. */
async function assertRefused(
  engine: EngineName,
  path: string,
  options: { immutable?: boolean },
  patterns: RegExp[],
): Promise<void> {
  const assertUnchanged = await watchUnchanged(path);
  const { db, store } = openItems(engine, path, options);
  await using _ = db;
  await assert.rejects(store.count(), (error: Error) => {
    assert.ok(error instanceof DataSetError, String(error));
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
  await assertUnchanged();
}

engineTest(
  "A WAL-mode file whose -wal holds frames is a DataSetError saying how to checkpoint, never old rows",
  async (engine) => {
    const path = await walFile(true);
    await assertRefused(engine, path, {}, [
      /WAL journal mode/,
      /sqlite3 .* "PRAGMA journal_mode=DELETE"/,
      ...(engine === "ffi" ? [/-wal file holds changes not yet written/] : []),
    ]);
  },
);

engineTest(
  "A WAL-mode file opened with immutable: false is refused, creating no -wal or -shm file",
  async (engine) => {
    const path = await walFile(false);
    await assertRefused(engine, path, { immutable: false }, [
      /WAL journal mode/,
      /PRAGMA journal_mode=DELETE/,
    ]);
  },
);

Deno.test("A WAL-mode file with no frames pending reads immutable through the ffi engine", async () => {
  const path = await walFile(false);
  const dir = path.slice(0, path.lastIndexOf("/"));
  const { db, store } = openItems("ffi", path);
  await using _ = db;
  assert.equal(await store.count(), 1);
  await db.close();
  assert.deepEqual(await listing(dir), ["data.sqlite"]);
});

engineTest(
  "A dataset served from bytes stays read-only after raw SQL tries to switch query_only off",
  async (engine) => {
    const path = await walFile(false);
    const bytes = await Deno.readFile(path);
    const db = DataSet.create(`bytes_query_only_${engine}`, { engine });
    db.bind(new SQLiteBindFactory().set(db.name, bytes));
    await using _ = db;
    // Refused outright on one engine, harmless on the other.
    await Array.fromAsync(db.sql`PRAGMA query_only = 0`).catch(() => {});
    await Array.fromAsync(db.sql`PRAGMA main.QUERY_ONLY=off`).catch(() => {});
    await assert.rejects(
      Array.fromAsync(db.sql`insert into item (name) values ('x')`),
      ReadOnlyError,
    );
    assert.deepEqual(
      await Array.fromAsync(db.sql`select count(*) as n from item`),
      [{ n: 1 }],
    );
  },
);
