// After its first rows, a store reads each row with one function generated
// for it (`instanceReader` in `src/_row_builder.ts`): the model's class, the
// NUL flag check and the property stores in one body, so that a scan calls
// code that only ever sees its own model however many models the process
// reads (issue 15's multi-model scan). Rows read so must be the rows the
// first ones are: instances of the model (its subclass, constructor
// included), every property its own, a NUL the node engine cannot read
// refused before any cell, and each model's rows its own when many
// models' reads interleave.
import assert from "node:assert/strict";
import { DataSetError, integer, real, Store, text } from "../mod.ts";
import type { Statement } from "../src/_engine.ts";
import { instanceReader } from "../src/_row_builder.ts";
import { engineTest, freshDataSet, openFile, sqliteFile } from "./_helpers.ts";

/** More rows than a store builds before it generates its reader (8). */
const ROWS = 30;

engineTest(
  "Rows read after a store's first ones are instances of its model, its constructor run for each",
  async (engine) => {
    const db = freshDataSet(engine);
    let constructed = 0;
    class Item extends db.Model("item", {
      id: integer({ primaryKey: true }),
      name: text(),
      price: real({ nullable: true }),
    }) {
      constructor() {
        super();
        constructed++;
      }
      get label(): string {
        return `${this.name} (${this.price ?? "no price"})`;
      }
    }
    try {
      await db.createAll();
      const store = new Store(Item);
      await store.createMany(
        Array.from({ length: ROWS }, (_, i) => ({
          name: `item ${i}`,
          price: i % 4 === 0 ? null : i / 2,
        })),
      );
      constructed = 0;
      const rows = await Array.fromAsync(store.search());
      assert.equal(constructed, ROWS);
      assert.equal(rows.length, ROWS);
      for (const [i, row] of rows.entries()) {
        assert.ok(row instanceof Item, `row ${i}`);
        assert.deepEqual(Object.keys(row), ["id", "name", "price"]);
        assert.equal(row.id, i + 1);
        assert.equal(
          row.label,
          `item ${i} (${i % 4 === 0 ? "no price" : i / 2})`,
        );
      }
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Rows of many models read in turn are each their own model's",
  async (engine) => {
    const db = freshDataSet(engine);
    // Eleven models of different shapes over eleven tables, read in turn
    // row by row, each past its first rows.
    const models = Array.from({ length: 11 }, (_, m) =>
      db.Model(`t${m}`, {
        id: integer({ primaryKey: true }),
        ...Object.fromEntries(
          Array.from(
            { length: 1 + (m % 4) },
            (_, c) => [`m${m}c${c}`, c % 2 === 0 ? text() : integer()],
          ),
        ),
      }));
    try {
      await db.createAll();
      const stores = models.map((model) => new Store(model));
      const value = (m: number, c: number, i: number) =>
        c % 2 === 0 ? `${m}/${c}/${i}` : m * 1000 + c * 100 + i;
      for (const [m, store] of stores.entries()) {
        await store.createMany(
          Array.from({ length: ROWS }, (_, i) =>
            Object.fromEntries(
              Array.from(
                { length: 1 + (m % 4) },
                (_, c) => [`m${m}c${c}`, value(m, c, i)],
              ),
            )) as never,
        );
      }
      const cursors = stores.map((store) =>
        store.search()[Symbol.asyncIterator]()
      );
      for (let i = 0; i < ROWS; i++) {
        for (const [m, cursor] of cursors.entries()) {
          const { value: row, done } = await cursor.next();
          assert.equal(done, false);
          assert.ok(row instanceof models[m]!, `model ${m}, row ${i}`);
          const expected: Record<string, unknown> = { id: i + 1 };
          for (let c = 0; c < 1 + (m % 4); c++) {
            expected[`m${m}c${c}`] = value(m, c, i);
          }
          assert.deepEqual({ ...row }, expected, `model ${m}, row ${i}`);
        }
      }
      for (const cursor of cursors) {
        assert.equal((await cursor.next()).done, true);
      }
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Text with a NUL past a store's first rows reads whole on ffi and is refused on node",
  async (engine) => {
    // Row 20 (past the first 8) holds a NUL.
    const path = await sqliteFile(`
      CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
      INSERT INTO note SELECT i, CASE WHEN i = 20 THEN 'cut' || char(0) || 'here'
        ELSE 'note ' || i END FROM n;
    `);
    const db = openFile(engine, path);
    class Note extends db.Model("note", {
      id: integer({ primaryKey: true }),
      body: text(),
    }) {}
    try {
      const store = new Store(Note);
      const read: string[] = [];
      const all = async () => {
        for await (const note of store.search()) read.push(note.body);
      };
      if (engine === "ffi") {
        await all();
        assert.equal(read.length, ROWS);
        assert.equal(read[19], "cut\0here");
      } else {
        await assert.rejects(
          all,
          (error: unknown) =>
            error instanceof DataSetError &&
            /note\.body in the row id = 20: the file holds text with a NUL character/
              .test(error.message),
        );
        assert.equal(read.length, 19);
      }
    } finally {
      await db.close();
    }
  },
);

/** A statement whose current row holds `cells`, for the reader alone. */
function rowOf(cells: readonly unknown[]): Statement {
  return { column: (i: number) => cells[i] } as unknown as Statement;
}

Deno.test("A generated reader and its fallback without code generation read the same instance, hostile names included", () => {
  const keys = [
    "id",
    "__proto__",
    '"]; throw 1; //',
    "constructor",
    "a\u2028b",
  ];
  const cells = [7, { polluted: true }, "x", "c", "d", null];
  const cell = (statement: Statement, i: number) => statement.column(i);
  const refuse = (): never => {
    throw new RangeError("refused");
  };
  class Model {}
  const generated = instanceReader(Model, keys, cell, refuse);
  const Original = globalThis.Function;
  let fallback;
  globalThis.Function = function () {
    throw new EvalError("code generation is forbidden here");
  } as unknown as FunctionConstructor;
  try {
    fallback = instanceReader(Model, keys, cell, refuse);
  } finally {
    globalThis.Function = Original;
  }
  for (const read of [generated, fallback]) {
    const row = read(rowOf(cells), false);
    assert.equal(Object.getPrototypeOf(row), Model.prototype);
    assert.deepEqual(Object.keys(row), keys);
    assert.deepEqual(
      keys.map((key) => Object.getOwnPropertyDescriptor(row, key)?.value),
      cells.slice(0, keys.length),
    );
    // The NUL flag (the cell after the properties) is checked when asked.
    assert.throws(
      () => read(rowOf([...cells.slice(0, keys.length), 1]), true),
      RangeError,
    );
    assert.doesNotThrow(() => read(rowOf(cells), true));
  }
});
