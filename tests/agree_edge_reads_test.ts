/**
 * Reads of edge values the two engines used to answer differently, found
 * by the differential test (`agree_engines_test.ts`) and pinned here one
 * by one: the integer -2^63, which node:sqlite handed out as a number in
 * reads made whole; a `sum()` whose integers overflow before a cell that
 * is no integer, which SQLite 3.40 fails where 3.53 sums on; `avg()` of
 * integers, which 3.40 adds as doubles; and raw SQL holding two
 * statements or none, which node:sqlite ran in part or failed as "not an
 * error".
 */
import assert from "node:assert/strict";
import {
  any,
  bigint,
  DataSetError,
  integer,
  QueryError,
  SQLiteError,
  Store,
} from "../mod.ts";
import { engineTest, freshDataSet, openFile, sqliteFile } from "./_helpers.ts";

const INT64_MIN = -(2n ** 63n);

/** A loose file: `v (id, b INTEGER, a ANY)` with `rows` as SQL literals. */
async function looseFile(rows: string[]): Promise<string> {
  return await sqliteFile(
    `CREATE TABLE v (id INTEGER PRIMARY KEY, b INTEGER, a ANY);
     INSERT INTO v VALUES ${rows.join(", ")};`,
  );
}

engineTest(
  "-2^63 reads as a bigint in pages, gets and raw rows",
  async (engine) => {
    const path = await looseFile([
      "(1, -9223372036854775808, -9223372036854775808)",
      "(2, 5, 'x')",
    ]);
    const db = openFile(engine, path);
    class V extends db.Model("v", {
      id: integer({ primaryKey: true }),
      b: bigint(),
      a: any(),
    }) {}
    const store = new Store(V);
    try {
      // A small page is read whole (one all() on node:sqlite).
      const page = await store.page({}, { orderBy: "b", limit: 2 });
      assert.deepEqual(page.rows.map((row) => [row.b, row.a]), [
        [INT64_MIN, INT64_MIN],
        [5n, "x"],
      ]);
      // A point lookup is one get().
      const row = await store.retrieve(1);
      assert.equal(row?.a, INT64_MIN);
      assert.equal(await store.min("b"), INT64_MIN);
      assert.equal(await store.min("a"), INT64_MIN);
      // Raw rows with a small limit are read whole too.
      assert.deepEqual(
        await Array.fromAsync(db.sql`SELECT a FROM v ORDER BY id LIMIT ${1}`),
        [{ a: INT64_MIN }],
      );
      // The statement, read again with bigints, keeps answering right.
      assert.equal((await store.retrieve(2))?.b, 5n);
      assert.equal((await store.retrieve(1))?.b, INT64_MIN);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "-2^63 in an integer() column is refused with its exact value",
  async (engine) => {
    const path = await looseFile(["(1, -9223372036854775808, 0)"]);
    const db = openFile(engine, path);
    class V extends db.Model("v", {
      id: integer({ primaryKey: true }),
      b: integer(),
    }) {}
    const store = new Store(V);
    try {
      await assert.rejects(store.min("b"), {
        name: "RangeError",
        message:
          "Cannot read the minimum b of v: -9223372036854775808 is beyond 2^53; declare the column with bigint()",
      });
      await assert.rejects(store.page({}, { limit: 5 }), {
        name: "RangeError",
        message:
          "Cannot read v.b in the row id = 1: -9223372036854775808 is beyond 2^53; declare the column with bigint()",
      });
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "sum() names a cell that is no integer even after its integers overflow",
  async (engine) => {
    const path = await looseFile([
      "(1, 9223372036854775807, 0)",
      "(2, 1, 0)",
      "(3, 1.5, 0)",
    ]);
    const db = openFile(engine, path);
    class V extends db.Model("v", {
      id: integer({ primaryKey: true }),
      b: bigint(),
    }) {}
    try {
      await assert.rejects(new Store(V).sum("b"), (error: Error) => {
        assert.ok(error instanceof DataSetError, String(error));
        assert.equal(
          error.message,
          "Cannot read the sum of v.b: the file holds number 1.5, not integers",
        );
        return true;
      });
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "sum() of integers that overflow 64 bits fails the same on both engines",
  async (engine) => {
    const path = await looseFile([
      "(1, 9223372036854775807, 0)",
      "(2, 1, 0)",
    ]);
    const db = openFile(engine, path);
    class V extends db.Model("v", {
      id: integer({ primaryKey: true }),
      b: bigint(),
    }) {}
    try {
      await assert.rejects(new Store(V).sum("b"), (error: Error) => {
        assert.ok(error instanceof SQLiteError, String(error));
        assert.equal(error.constructor, SQLiteError);
        assert.equal(
          error.message,
          "Cannot read the sum of v.b: integer overflow",
        );
        return true;
      });
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "avg() of integers is their exact sum divided, on both engines",
  async (engine) => {
    const path = await looseFile([
      "(1, 9223372036854775807, 0)",
      "(2, -9223372036854775808, 0)",
      "(3, 9007199254740991, 0)",
      "(4, 9007199254740991, 0)",
      "(5, 3, 0)",
    ]);
    const db = openFile(engine, path);
    class V extends db.Model("v", {
      id: integer({ primaryKey: true }),
      b: bigint(),
    }) {}
    const store = new Store(V);
    try {
      // SQLite 3.40's avg() added these as doubles: 0, and 0 again where
      // the sum is 18014398509481981 (2^54 - 3), whose double is 2^54 - 4.
      assert.equal(await store.avg("b", { id: { in: [1, 2] } }), -0.5);
      assert.equal(
        await store.avg("b", { id: { in: [1, 2, 3, 4, 5] } }),
        Number(2n ** 63n - 1n - 2n ** 63n + 2n * 9007199254740991n + 3n) / 5,
      );
      assert.equal(await store.avg("b", { id: 99 }), undefined);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "avg() of integers whose sum overflows 64 bits on the way is exact",
  async (engine) => {
    const path = await looseFile([
      "(1, 9223372036854775807, 0)",
      "(2, 1, 0)",
      "(3, -9223372036854775808, 0)",
      "(4, 4611686018427387904, 0)", // 2^62
      "(5, 4611686018427387904, 0)",
      "(6, 4611686018427387904, 0)",
    ]);
    const db = openFile(engine, path);
    class V extends db.Model("v", {
      id: integer({ primaryKey: true }),
      b: bigint(),
    }) {}
    const store = new Store(V);
    try {
      // 2^63 - 1 + 1 overflows: SQLite's sum() fails, on both versions.
      assert.equal(await store.avg("b", { id: { in: [1, 2, 3] } }), 0);
      // 3 * 2^62 overflows, and its low 32 bits are all 0.
      assert.equal(await store.avg("b", { id: { in: [4, 5, 6] } }), 2 ** 62);
      assert.equal(
        await store.avg("b"),
        Number(2n ** 63n - 1n + 1n - 2n ** 63n + 3n * 2n ** 62n) / 6,
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "raw SQL holding a second statement is one QueryError, never half run",
  async (engine) => {
    const db = freshDataSet(engine);
    try {
      for (
        const rows of [
          db.sql`SELECT 1 AS a; SELECT 2 AS a`,
          db.sql`SELECT ${1} AS a; garbage`,
        ]
      ) {
        await assert.rejects(Array.fromAsync(rows), (error: Error) => {
          assert.ok(error instanceof QueryError, String(error));
          assert.equal(
            error.message,
            `Cannot run sql on dataset "${db.name}": Cannot prepare: the SQL holds more than one statement (in the SQL given to dataset.sql)`,
          );
          return true;
        });
      }
      // A trailing semicolon and comments are no second statement (on
      // node:sqlite, the query wrapped as a subquery stays one).
      assert.deepEqual(
        await Array.fromAsync(db.sql`SELECT 1 AS a, 'x;' AS b; -- done
          /* really */ ;`),
        [{ a: 1, b: "x;" }],
      );
      assert.deepEqual(
        await Array.fromAsync(db.sql`SELECT 'x' AS b; -- done`),
        [{ b: "x" }],
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "raw SQL holding no statement is one QueryError",
  async (engine) => {
    const db = freshDataSet(engine);
    try {
      for (const rows of [db.sql` `, db.sql`-- nothing`, db.sql` ; /* */ `]) {
        await assert.rejects(Array.fromAsync(rows), (error: Error) => {
          assert.ok(error instanceof QueryError, String(error));
          assert.equal(
            error.message,
            `Cannot run sql on dataset "${db.name}": Cannot prepare: the SQL holds no statement (in the SQL given to dataset.sql)`,
          );
          return true;
        });
      }
    } finally {
      await db.close();
    }
  },
);
