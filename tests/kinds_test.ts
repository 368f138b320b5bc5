// The kinds table's read rule (issue 11 §2): one rule for both engines, a
// stored value read only when it is what the column kind holds, otherwise
// an error naming the table, column, row and stored value.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  any,
  bigint,
  blob,
  boolean,
  type Column,
  DataSetError,
  integer,
  json,
  real,
  Store,
  text,
} from "../mod.ts";
import { realText } from "../src/_kinds.ts";
import {
  engineTest,
  freshDataSet,
  openFile as shipped,
  sqliteFile,
} from "./_helpers.ts";

/** The stored values: an SQL literal each, in a column without a type. */
const STORED: readonly [string, string][] = [
  ["INTEGER 42", "42"],
  ["integral REAL 3.0", "3.0"],
  ["REAL 0.5", "0.5"],
  ["numeric TEXT '12'", "'12'"],
  ["TEXT '12abc'", "'12abc'"],
  ["TEXT 'no'", "'no'"],
  ["BLOB x'0102'", "x'0102'"],
  ["NULL", "NULL"],
  ["INTEGER 2^53+1", "9007199254740993"],
  ["INTEGER -2^63", "-9223372036854775808"],
  ["INTEGER 0", "0"],
  ["INTEGER 1", "1"],
  ["invalid JSON", `'{"a":'`],
  ["valid JSON", `'{"a":1}'`],
  ["REAL 1e20", "1e20"],
];

/** What a kind reads: a value, or E (DataSetError), or R (RangeError). */
const E = Symbol("DataSetError");
const R = Symbol("RangeError");
type Outcome = unknown;

const bytes = new Uint8Array([1, 2]);
const EXPECTED: Record<string, readonly Outcome[]> = {
  //        42,   3.0,  0.5,   '12', '12abc', 'no', blob, NULL, 2^53+1, -2^63, 0, 1, bad JSON, JSON, 1e20
  integer: [42, 3, E, E, E, E, E, null, R, R, 0, 1, E, E, R],
  real: [
    42,
    3,
    0.5,
    E,
    E,
    E,
    E,
    null,
    2 ** 53,
    -(2 ** 63),
    0,
    1,
    E,
    E,
    1e20,
  ],
  bigint: [
    42n,
    3n,
    E,
    E,
    E,
    E,
    E,
    null,
    2n ** 53n + 1n,
    -(2n ** 63n),
    0n,
    1n,
    E,
    E,
    10n ** 20n,
  ],
  text: [
    "42",
    // An integral REAL reads as the integer's text: both engines read
    // INTEGER and REAL cells as numbers, and agree on this.
    "3",
    "0.5",
    "12",
    "12abc",
    "no",
    E,
    null,
    "9007199254740993",
    "-9223372036854775808",
    "0",
    "1",
    '{"a":',
    '{"a":1}',
    "1.0e+20",
  ],
  boolean: [E, E, E, E, E, E, E, null, E, E, false, true, E, E, E],
  json: [E, E, E, 12, E, E, E, null, E, E, E, E, E, { a: 1 }, E],
  blob: [E, E, E, E, E, E, bytes, null, E, E, E, E, E, E, E],
  any: [
    42,
    3,
    0.5,
    "12",
    "12abc",
    "no",
    bytes,
    null,
    2n ** 53n + 1n,
    -(2n ** 63n),
    0,
    1,
    '{"a":',
    '{"a":1}',
    1e20,
  ],
};

const BUILDERS: Record<string, () => Column<unknown, boolean, boolean>> = {
  integer: () => integer({ nullable: true }),
  real: () => real({ nullable: true }),
  bigint: () => bigint({ nullable: true }),
  text: () => text({ nullable: true }),
  boolean: () => boolean({ nullable: true }),
  json: () => json({ nullable: true }),
  blob: () => blob({ nullable: true }),
  any: () => any({ nullable: true }),
};

/** A file built elsewhere holding every stored value, one per row. */
function cellsFile(): Promise<string> {
  return sqliteFile(
    "create table cells (id integer primary key, v);" +
      STORED.map(([, literal], i) =>
        `insert into cells values (${i + 1}, ${literal});`
      ).join(""),
    "cells.sqlite",
  );
}

engineTest(
  "Every stored value × every column kind reads the same on both engines, or fails naming it",
  async (engine) => {
    const path = await cellsFile();
    for (const [kind, outcomes] of Object.entries(EXPECTED)) {
      const db = shipped(engine, path);
      await using _ = db;
      class Cell extends db.Model("cells", {
        id: integer({ primaryKey: true }),
        v: BUILDERS[kind]!(),
      }) {}
      const store = new Store(Cell);
      for (let i = 0; i < STORED.length; i++) {
        const [label] = STORED[i]!;
        const expected = outcomes[i];
        const read = store.retrieve(i + 1);
        const where = `${kind}() over ${label}`;
        if (expected === E || expected === R) {
          const refused = expected === E ? DataSetError : RangeError;
          await assert.rejects(read, (error: Error) => {
            assert.ok(error instanceof refused, `${where}: ${error}`);
            assert.match(error.message, /cells\.v/, where);
            assert.match(error.message, new RegExp(`id = ${i + 1}\\b`), where);
            return true;
          }, where);
        } else {
          assert.deepEqual((await read).v, expected, where);
        }
      }
    }
  },
);

engineTest(
  "A refused stored value is named in the error: its type and value",
  async (engine) => {
    const path = await cellsFile();
    const db = shipped(engine, path);
    await using _ = db;
    class Cell extends db.Model("cells", {
      id: integer({ primaryKey: true }),
      v: boolean({ nullable: true }),
    }) {}
    const store = new Store(Cell);
    await assert.rejects(
      store.retrieve(6),
      (error: Error) =>
        error instanceof DataSetError &&
        error.message ===
          'Cannot read cells.v in the row id = 6: the file holds text "no", not 0 or 1',
    );
    await assert.rejects(
      store.retrieve(3),
      (error: Error) =>
        error instanceof DataSetError && /number 0\.5/.test(error.message),
    );
    // A scan stops at the first refused row, with the same error.
    await assert.rejects(
      Array.fromAsync(store.search()),
      (error: Error) =>
        error instanceof DataSetError && /id = 1\b/.test(error.message),
    );
  },
);

engineTest(
  "NULL in a column the model declares NOT NULL is a DataSetError",
  async (engine) => {
    const path = await cellsFile();
    for (const kind of Object.keys(BUILDERS)) {
      const db = shipped(engine, path);
      await using _ = db;
      const column = BUILDERS[kind]!();
      // The same builder without nullable: true.
      const strict = new (column.constructor as typeof Column)(column.kind);
      class Cell extends db.Model("cells", {
        id: integer({ primaryKey: true }),
        v: strict,
      }) {}
      await assert.rejects(
        new Store(Cell).retrieve(8),
        (error: Error) =>
          error instanceof DataSetError &&
          /cells\.v in the row id = 8: the file holds NULL/.test(
            error.message,
          ),
        kind,
      );
    }
  },
);

engineTest(
  "Untyped and ANY columns read through any() exactly as stored",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Cell extends db.Model("cell", {
      id: integer({ primaryKey: true }),
      v: any({ nullable: true }),
    }) {}
    await db.createAll();
    const store = new Store(Cell);
    const values = [1, 1.5, "x", "12", new Uint8Array([0]), null, 2n ** 60n];
    await store.createMany(values.map((v) => ({ v })));
    const read = await Array.fromAsync(store.search(), (cell) => cell.v);
    assert.deepEqual(read, values);
    // The column has no declared type: SQLite keeps "12" as text.
    const types = await Array.fromAsync(
      db.sql`select typeof(v) as t from cell order by id`,
      (row) => row.t,
    );
    assert.deepEqual(types, [
      "integer",
      "real",
      "text",
      "text",
      "blob",
      "null",
      "integer",
    ]);
  },
);

Deno.test("realText writes a REAL as SQLite 3.53's CAST(x AS TEXT) does", () => {
  const db = new DatabaseSync(":memory:");
  try {
    const cast = db.prepare("select cast(? as text) as t");
    const values = [
      0.5,
      1.0,
      -1.5,
      0.1,
      0.1 + 0.2,
      2 / 3,
      1e15,
      1e16,
      1e17,
      1.5e16,
      1e20,
      1e-4,
      1e-5,
      1.5e-7,
      123456789.123456789,
      123456789012345.6,
      12345678901234567890,
      1.7976931348623157e308,
      Infinity,
      -Infinity,
      -0,
    ];
    for (const value of values) {
      assert.equal(realText(value), cast.get(value)!.t, String(value));
    }
  } finally {
    db.close();
  }
});
