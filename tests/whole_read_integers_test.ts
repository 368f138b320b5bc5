// On node, reads made whole in one call (pages, lookups, searches with a
// small limit) read integers as numbers and run again with bigints when
// one does not fit in 2^53; streams always read bigints, also on a
// statement a whole read left reading numbers. Every read must give each
// integer exactly, wherever the large one lies.
import assert from "node:assert/strict";
import { StatementSync } from "node:sqlite";
import { Store } from "../mod.ts";
import { BIG, bigIntegerTable, engineTest } from "./_helpers.ts";

/** The values a table from `bigIntegerTable(engine, length, at)` holds. */
function expected(length: number, at: number): bigint[] {
  return Array.from({ length }, (_, i) => i === at ? BIG : BigInt(i));
}

engineTest(
  "a page, a lookup and a limited search read an integer beyond 2^53 exactly",
  async (engine) => {
    const { db, B } = await bigIntegerTable(engine, 40, 25);
    const store = new Store(B);
    try {
      // Before the large value: numbers, read once.
      const first = await store.page({}, { limit: 10 });
      assert.deepEqual(first.rows.map((row) => row.v), expected(10, 25));
      // Across it: read again with bigints.
      const page = await store.page({}, { limit: 40 });
      assert.deepEqual(page.rows.map((row) => row.v), expected(40, 25));
      const after = await store.page({}, { limit: 20, after: first.next });
      assert.deepEqual(
        after.rows.map((row) => row.v),
        expected(30, 25).slice(10),
      );
      assert.equal((await store.retrieve(1)).v, 0n);
      assert.equal((await store.retrieve(26)).v, BIG);
      assert.equal((await store.retrieve(27)).v, 26n);
      const some = await Array.fromAsync(store.search({}, { limit: 30 }));
      assert.deepEqual(some.map((row) => row.v), expected(30, 25));
      assert.equal(await store.max("v"), BIG);
    } finally {
      await db.close();
    }
  },
);

/**
 * The rows node's check after a stream found (`#rest()` in `_node.ts`:
 * the query run again after the rows already read), while `body` runs:
 * none after a stream that read to its real end.
 */
async function rowsFoundAfterStreams(
  body: () => Promise<void>,
): Promise<number> {
  const all = StatementSync.prototype.all;
  let found = 0;
  StatementSync.prototype.all = function (
    this: StatementSync,
    ...params: never[]
  ) {
    const rows = Reflect.apply(all, this, params) as ReturnType<typeof all>;
    if (/\) LIMIT -1 OFFSET \?$/.test(this.sourceSQL)) found += rows.length;
    return rows;
  };
  try {
    await body();
  } finally {
    StatementSync.prototype.all = all;
  }
  return found;
}

engineTest(
  "a stream after a whole read of the same query reads an integer beyond 2^53 exactly",
  async (engine) => {
    // 1,500 rows, the large value at 1,200: a search with a limit of at
    // most 1,000 is read whole, one above streams, with the same SQL.
    const { db, B } = await bigIntegerTable(engine, 1500, 1200);
    const store = new Store(B);
    try {
      const whole = await Array.fromAsync(store.search({}, { limit: 1000 }));
      assert.deepEqual(whole.map((row) => row.v), expected(1000, 1200));
      let streamed: { v: bigint }[] = [];
      // Read in one run: not ended at the large value (a stream reading
      // numbers would stop there) and finished by the check after it.
      const found = await rowsFoundAfterStreams(async () => {
        streamed = await Array.fromAsync(store.search({}, { limit: 1500 }));
      });
      assert.equal(found, 0);
      assert.deepEqual(streamed.map((row) => row.v), expected(1500, 1200));
      // And read whole again after the stream.
      const again = await Array.fromAsync(
        store.search({}, { limit: 5, offset: 1198 }),
      );
      assert.deepEqual(
        again.map((row) => row.v),
        expected(1203, 1200).slice(1198),
      );
    } finally {
      await db.close();
    }
  },
);
