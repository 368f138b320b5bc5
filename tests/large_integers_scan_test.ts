/**
 * Integers beyond 2^53 in a streamed query: every row comes from one run
 * of the query, so a non-deterministic order neither repeats nor loses a
 * row, and a file that changes in place mid-scan is an error, never rows
 * of two versions spliced into one result.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { bigint, DataSetError, integer, Store } from "../mod.ts";
import {
  BIG,
  bigIntegerTable,
  engineTest,
  openFile,
  tempDir,
} from "./_helpers.ts";

engineTest(
  "A query in random order with an integer beyond 2^53 returns every row exactly once",
  async (engine) => {
    const { db } = await bigIntegerTable(engine, 400, 200);
    await using _ = db;
    for (let attempt = 0; attempt < 3; attempt++) {
      const rows = await Array.fromAsync(
        db.sql`select id, v from b order by random()`,
      );
      const ids = rows.map((row) => row.id as number).sort((a, b) => a - b);
      assert.deepEqual(ids, Array.from({ length: 400 }, (_, i) => i + 1));
      assert.equal(rows.find((row) => row.id === 201)!.v, BIG);
    }
  },
);

/** A file of 300 rows whose value column holds `tag` and, at row 200, 2^60 + 1. */
function writeFile(path: string, tag: number): void {
  const db = new DatabaseSync(path);
  db.exec("create table b (id integer primary key, tag integer, v integer)");
  db.exec("begin");
  const insert = db.prepare("insert into b (tag, v) values (?, ?)");
  for (let i = 1; i <= 300; i++) insert.run(tag, i === 200 ? BIG : BigInt(i));
  db.exec("commit");
  db.close();
}

engineTest(
  "A file rewritten in place mid-scan before an integer beyond 2^53 fails the scan, never splicing two versions (immutable: false)",
  async (engine) => {
    const dir = await tempDir();
    const path = `${dir}/b.sqlite`;
    writeFile(path, 1);
    writeFile(`${dir}/other.sqlite`, 2);
    const db = openFile(engine, path, { immutable: false });
    await using _ = db;
    class B extends db.Model("b", {
      id: integer({ primaryKey: true }),
      tag: integer(),
      v: bigint(),
    }) {}
    const tags = new Set<number>();
    let rows = 0;
    await assert.rejects(
      (async () => {
        for await (const row of new Store(B).search()) {
          tags.add(row.tag);
          if (++rows === 100) {
            Deno.copyFileSync(`${dir}/other.sqlite`, path);
          }
        }
      })(),
      (error: Error) => {
        assert.ok(error instanceof DataSetError, String(error));
        assert.match(error.message, /the file changed while a query read it/);
        return true;
      },
    );
    // Rows read after the change come from pages read before it (the ffi
    // engine checks the file when SQLite reads from it), never from both.
    assert.deepEqual([...tags], [1]);
    assert.ok(rows >= 100 && rows <= 300, String(rows));
    // The next query reads the new file whole.
    const after = await Array.fromAsync(new Store(B).search());
    assert.equal(after.length, 300);
    assert.deepEqual([...new Set(after.map((row) => row.tag))], [2]);
    assert.equal(after[199]!.v, BIG);
  },
);

engineTest(
  "A file replaced by rename mid-scan before an integer beyond 2^53: the scan reads the old file whole",
  async (engine) => {
    for (const immutable of [true, false]) {
      const dir = await tempDir();
      const path = `${dir}/b.sqlite`;
      writeFile(path, 1);
      writeFile(`${dir}/other.sqlite`, 2);
      const db = openFile(engine, path, { immutable });
      class B extends db.Model("b", {
        id: integer({ primaryKey: true }),
        tag: integer(),
        v: bigint(),
      }) {}
      const rows = [];
      for await (const row of new Store(B).search()) {
        rows.push(row);
        if (rows.length === 100) {
          Deno.renameSync(`${dir}/other.sqlite`, path);
        }
      }
      await db.close();
      assert.equal(rows.length, 300, `immutable: ${immutable}`);
      assert.deepEqual([...new Set(rows.map((row) => row.tag))], [1]);
      assert.deepEqual(
        rows.map((row) => row.id),
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      assert.equal(rows[199]!.v, BIG);
    }
  },
);
