// Raw SQL on the node engine carries a NUL flag column, which looks only at
// the result columns that can hold text: a column reading a STRICT table's
// INT, INTEGER, REAL or BLOB column is skipped (SQLite enforces its type).
// These tests hold the refusal of a cut text wherever SQLite's column
// metadata could mislead that skip: compounds, views over compounds and
// tables that are not STRICT.
import assert from "node:assert/strict";
import { DataSetError } from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import { RAW_SQL } from "../src/dataset.ts";
import {
  engineTest,
  openFile,
  preparedDuring,
  sqliteFile,
} from "./_helpers.ts";

const SCHEMA = `
CREATE TABLE t(
  id INTEGER PRIMARY KEY, n INTEGER, r REAL, b BLOB, s TEXT
) STRICT;
INSERT INTO t(id, n, r, b, s) VALUES
  (1, 1152921504606846977, 1.5, x'00ff00', 'plain'),
  (2, 7, NULL, NULL, 'a' || char(0) || 'b');
CREATE TABLE loose(n INTEGER);
INSERT INTO loose VALUES (5), ('x' || char(0) || 'y');
`;

/** A view whose first arm reads a STRICT integer, its second a text. */
const MIXED_VIEW =
  "CREATE VIEW mixed AS SELECT n FROM t UNION ALL SELECT 'v' || char(0) || 'w';";

/** The rows of `sql`, or the node engine's refusal naming `column`. */
async function readOrRefuse(
  engine: EngineName,
  sql: string,
  column: string,
  whole: (rows: Record<string, unknown>[]) => void,
  schema = SCHEMA,
): Promise<void> {
  const db = openFile(engine, await sqliteFile(schema));
  await using _ = db;
  const rows = () => Array.fromAsync(db[RAW_SQL](sql));
  if (engine === "node") {
    await assert.rejects(
      rows,
      (error: unknown) =>
        error instanceof DataSetError &&
        /NUL character/.test(error.message) &&
        error.message.includes(`"${column}"`),
    );
  } else {
    whole(await rows());
  }
}

engineTest(
  "dataset.sql refuses a cut text beside columns that hold none",
  async (engine) => {
    await readOrRefuse(engine, "SELECT id, n, r, b, s FROM t", "s", (rows) => {
      assert.equal(rows[1]!.s, "a\0b");
    });
  },
);

engineTest(
  "dataset.sql reads numbers and blobs of STRICT columns whole with no text among them",
  async (engine) => {
    const db = openFile(engine, await sqliteFile(SCHEMA));
    await using _ = db;
    const rows = await Array.fromAsync(db.sql`SELECT id, n, r, b FROM t`);
    assert.deepEqual(rows, [
      { id: 1, n: 2n ** 60n + 1n, r: 1.5, b: new Uint8Array([0, 255, 0]) },
      { id: 2, n: 7, r: null, b: null },
    ]);
  },
);

engineTest(
  "dataset.sql refuses a cut text in a compound whose first arm reads a STRICT integer",
  async (engine) => {
    await readOrRefuse(
      engine,
      "SELECT n FROM t UNION ALL SELECT 'x' || char(0) || 'y'",
      "n",
      (rows) => assert.equal(rows[2]!.n, "x\0y"),
    );
  },
);

engineTest(
  "dataset.sql refuses a cut text from a view over a compound",
  async (engine) => {
    await readOrRefuse(
      engine,
      "SELECT n FROM mixed",
      "n",
      (rows) => assert.equal(rows[2]!.n, "v\0w"),
      SCHEMA + MIXED_VIEW,
    );
  },
);

engineTest(
  "dataset.sql refuses a cut text in an INTEGER column of a table that is not STRICT",
  async (engine) => {
    await readOrRefuse(
      engine,
      "SELECT n FROM loose",
      "n",
      (rows) => assert.equal(rows[1]!.n, "x\0y"),
    );
  },
);

Deno.test("The node engine's NUL flag of dataset.sql looks only at result columns that can hold text", async () => {
  const db = openFile("node", await sqliteFile(SCHEMA));
  await using _ = db;
  await db.open();
  const numbers = await preparedDuring(() =>
    Array.fromAsync(db.sql`SELECT id, n, r, b FROM t WHERE id = 1`)
  );
  assert.equal(numbers.filter((sql) => sql.includes("instr(")).length, 0);
  const mixed = await preparedDuring(() =>
    Array.fromAsync(db.sql`SELECT n, s FROM t WHERE id = 1`)
  );
  // The flagged query, and the node engine's check run of its rest.
  const flagged = mixed.filter((sql) => sql.includes("instr("));
  assert.notEqual(flagged.length, 0);
  for (const sql of flagged) {
    assert.match(
      sql,
      /CASE WHEN instr\("s", char\(0\)\) > 0 AND typeof\("s"\) = 'text' THEN 1 END/,
    );
    assert.doesNotMatch(sql, /instr\("n"/);
  }
});
