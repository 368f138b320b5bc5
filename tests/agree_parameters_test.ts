/**
 * A `?` (or `?NNN`, `:name`, `@name`, `$name`) typed into raw SQL is never
 * filled: both engines refuse it with the same `QueryError`, where the ffi
 * engine used to throw a `RangeError` and node:sqlite ran it with NULL (or
 * bound the next value to the wrong place). The count the check uses is
 * compared with SQLite's own `sqlite3_bind_parameter_count`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { integer, QueryError, type SQLRow, text } from "../mod.ts";
import { loadFfiEngine } from "../src/_ffi.ts";
import { parameterCount } from "../src/_rules.ts";
import { engineTest, freshDataSet, oneModel } from "./_helpers.ts";

// Loaded once, before any test: the library stays open for the process.
const ffi = loadFfiEngine();

/** SQLite's count for `sql`, read from the ffi engine's bind check. */
function sqliteCount(sql: string): number {
  const db = ffi.open({
    path: ":memory:",
    readOnly: false,
    immutable: false,
    create: true,
  });
  try {
    const statement = db.prepare(sql);
    try {
      statement.bind([]);
      return 0;
    } catch (error) {
      const takes = /takes (\d+) parameters/.exec((error as Error).message);
      if (takes === null) throw error;
      return Number(takes[1]);
    }
  } finally {
    db.close();
  }
}

const UNFILLED =
  /the SQL has (\d+) parameters? and (\d+) values? (was|were) interpolated: write each value as \$\{value\} in the template/;

/** Asserts a QueryError naming `has` parameters and `given` values. */
async function assertUnfilled(
  rows: AsyncIterable<unknown>,
  has: number,
  given: number,
  action: RegExp,
): Promise<void> {
  await assert.rejects(Array.fromAsync(rows), (error: Error) => {
    assert.ok(error instanceof QueryError, `${error.name}: ${error.message}`);
    const match = UNFILLED.exec(error.message);
    assert.ok(match !== null, error.message);
    assert.deepEqual([Number(match[1]), Number(match[2])], [has, given]);
    assert.match(error.message, action);
    assert.match(error.message, /\(in the SQL given to dataset\.sql\)$/);
    assert.equal(error.statusCode, 400);
    return true;
  });
}

engineTest(
  "dataset.sql refuses an unfilled ? with one QueryError",
  async (engine) => {
    const db = freshDataSet(engine);
    const action = new RegExp(`^Cannot run sql on dataset "${db.name}": `);
    try {
      await assertUnfilled(db.sql`SELECT ? AS a`, 1, 0, action);
      // The next value would have gone to the wrong place on node:sqlite.
      await assertUnfilled(db.sql`SELECT ?, ${1} AS a`, 2, 1, action);
      await assertUnfilled(db.sql`SELECT ${1} AS a, ?3 AS b`, 3, 1, action);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "dataset.sql refuses a named parameter node:sqlite would run as NULL",
  async (engine) => {
    const db = freshDataSet(engine);
    const action = new RegExp(`^Cannot run sql on dataset "${db.name}": `);
    try {
      await assertUnfilled(db.sql`SELECT :x AS a`, 1, 0, action);
      await assertUnfilled(db.sql`SELECT @x AS a, ${2} AS b`, 2, 1, action);
      await assertUnfilled(db.sql`SELECT $x AS a, $x AS b`, 1, 0, action);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "store.sql refuses an unfilled ? with one QueryError",
  async (engine) => {
    const { db, store } = await oneModel(engine, "note", {
      id: integer({ primaryKey: true }),
      body: text(),
    });
    try {
      await store.create({ body: "a" });
      await assertUnfilled(
        store.sql`SELECT * FROM note WHERE body = ?`,
        1,
        0,
        /^Cannot run sql for note: /,
      );
      // Filled, the same query answers.
      assert.deepEqual(
        (await Array.fromAsync(
          store.sql`SELECT * FROM note WHERE body = ${"a"}`,
        ))
          .map((row) => row.body),
        ["a"],
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "a ? in a string, a quoted name or a comment is no parameter",
  async (engine) => {
    const db = freshDataSet(engine);
    try {
      const rows: SQLRow[] = await Array.fromAsync(db.sql`
        SELECT '?:x''?' AS "a?", 2 AS [b?], 3 AS \`c?\` /* ? :y */ -- ? @z
        , ${4} AS d, ?1 AS e, a$b FROM (SELECT 5 AS a$b)`);
      assert.deepEqual(rows, [
        { "a?": "?:x'?", "b?": 2, "c?": 3, d: 4, e: 4, a$b: 5 },
      ]);
    } finally {
      await db.close();
    }
  },
);

Deno.test("parameterCount agrees with sqlite3_bind_parameter_count", () => {
  const pieces = fc.constantFrom(
    "?",
    "?2",
    "?10",
    ":a",
    ":a",
    "@a",
    "$a",
    "$a::b",
    "$a(x)",
    ":b1",
    "'?'",
    "'it''s ?'",
    '(SELECT 1 AS "?")',
    "(SELECT 1 AS [?])",
    "(SELECT 1 AS `?`)",
    "/* ? */ 1",
    "x'00'",
    "1e5",
    "0x1F",
    "(SELECT 7 AS a$b)",
    "'ü' || ?",
    "NULL",
  );
  const sql = fc.array(pieces, { minLength: 1, maxLength: 6 }).map((parts) =>
    `SELECT ${parts.map((part, i) => `${part} AS c${i}`).join(", ")}`
  );
  fc.assert(
    fc.property(sql, (text) => {
      assert.equal(parameterCount(text), sqliteCount(text), text);
    }),
    { numRuns: 300 },
  );
  for (
    const text of [
      "SELECT 1 -- ?",
      "SELECT 1 -- ?\n, ?",
      "SELECT /* ? */ ?",
      "SELECT ?5, ?, :a, ?",
      "SELECT :a, ?1, :a, @a",
    ]
  ) {
    assert.equal(parameterCount(text), sqliteCount(text), text);
  }
});
