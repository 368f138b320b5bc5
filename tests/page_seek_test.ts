// A page after a keyset position seeks to the position, even when the
// filter bounds the same column: the rows between the filter's bound and
// the position are never read. Shown without timing: those rows' pages are
// damaged, so a page that walked them would fail.
import assert from "node:assert/strict";
import { integer, Store, text } from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import { engineTest, openFile, sqliteFile } from "./_helpers.ts";

const ROWS = 3000;

/** A row's text: a marker the damage finds in the file, and padding. */
const marker = (id: number) => `row-${String(id).padStart(6, "0")}-`;

function open(engine: EngineName, path: string) {
  const db = openFile(engine, path);
  class Row extends db.Model("row", {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  return { db, store: new Store(Row) };
}

/**
 * Fills every page holding a row with an id in `[from, to]` with 0xFF
 * (table leaves only: the interior pages hold no text).
 */
async function damageRows(path: string, from: number, to: number) {
  const bytes = await Deno.readFile(path);
  const pageSize = new DataView(bytes.buffer).getUint16(16);
  const latin1 = new TextDecoder("latin1").decode(bytes);
  const pages = new Set<number>();
  for (let id = from; id <= to; id++) {
    const at = latin1.indexOf(marker(id));
    assert.ok(at > 0, `row ${id} is in the file`);
    pages.add(Math.floor(at / pageSize));
  }
  assert.ok(!pages.has(0), "the schema page stays whole");
  for (const page of pages) {
    bytes.fill(0xff, page * pageSize, (page + 1) * pageSize);
  }
  await Deno.writeFile(path, bytes);
}

engineTest(
  "page() after a position seeks to it, not to the filter's bound on the same column",
  async (engine) => {
    const path = await sqliteFile(`
      CREATE TABLE "row" (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
      INSERT INTO "row" SELECT i, 'row-' || printf('%06d', i) || '-' || hex(zeroblob(60)) FROM n;
    `);
    const filter = { id: { gt: 10 } };
    // The token of the position after row 2500, from the intact file.
    const intact = open(engine, path);
    const first = await intact.store.page(filter, { limit: 2490 });
    assert.equal(first.rows.at(-1)?.id, 2500);
    await intact.db.close();

    await damageRows(path, 500, 1500);
    const { db, store } = open(engine, path);
    try {
      // The damage is real: reading through it fails.
      await assert.rejects(
        store.page(filter, { limit: 1000 }),
        /malformed/,
      );
      const next = await store.page(filter, { limit: 20, after: first.next });
      assert.deepEqual(
        next.rows.map((row) => row.id),
        Array.from({ length: 20 }, (_, i) => 2501 + i),
      );
      assert.equal(next.rows[0]!.name.slice(0, 11), marker(2501));
      // And the page after that, from its own token.
      const third = await store.page(filter, { limit: 5, after: next.next });
      assert.deepEqual(third.rows.map((row) => row.id), [
        2521,
        2522,
        2523,
        2524,
        2525,
      ]);
    } finally {
      await db.close();
    }
  },
);
