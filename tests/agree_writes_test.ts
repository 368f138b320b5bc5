/**
 * The engines write alike: the same rows of edge values (text with lone
 * surrogates, integers around 2^53, -0, infinities, bigints at and beyond
 * the 64-bit ends, JSON, blobs, datetimes in every storage; and, in one
 * run in three, a value its column cannot store: beyond 2^53 or 64 bits,
 * NaN, an invalid date) written through a store on each engine give the same stored
 * values, byte for byte as the `sqlite3` tool quotes them, or the same
 * error class and message. Text with a NUL is left out: the node engine
 * refuses to write it (documented in the README).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  bigint,
  blob,
  boolean,
  DataSet,
  datetime,
  integer,
  json,
  type JsonValue,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import { tempDir } from "./_helpers.ts";

let files = 0;

/** Writes `rows` into a new file on `engine`; its path. */
async function written(engine: EngineName, rows: object[]): Promise<string> {
  const path = `${await tempDir({ prefix: "microcosm_agree_w_" })}/w.sqlite`;
  const db = DataSet.create(`agree_write_${engine}_${++files}`, {
    engine,
    writable: true,
  });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  class Item extends db.Model("item", {
    id: integer({ primaryKey: true }),
    name: text(),
    n: integer({ nullable: true }),
    big: bigint({ nullable: true }),
    x: real({ nullable: true }),
    flag: boolean({ nullable: true }),
    doc: json<JsonValue>({ nullable: true }),
    data: blob({ nullable: true }),
    at: datetime({ nullable: true }),
    s: datetime({ storage: "seconds", nullable: true }),
    ms: datetime({ storage: "milliseconds", nullable: true }),
  }) {}
  try {
    await db.createAll();
    await new Store(Item).createMany(rows as never);
  } finally {
    await db.close();
  }
  return path;
}

/** The stored values as the `sqlite3` tool quotes them, with their types. */
function stored(path: string): string {
  const columns = ["id", "name", "n", "big", "x", "flag", "doc", "data", "at"]
    .concat(["s", "ms"]);
  const output = new Deno.Command("sqlite3", {
    args: [
      path,
      `SELECT ${
        columns.map((c) => `quote(${c}), typeof(${c})`).join(", ")
      } FROM item ORDER BY id`,
    ],
  }).outputSync();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

/** The file's stored values, or the write's error without the dataset name. */
async function outcome(engine: EngineName, rows: object[]): Promise<string> {
  try {
    return stored(await written(engine, rows));
  } catch (error) {
    return `${(error as Error).constructor.name}: ${
      (error as Error).message.replace(/agree_write_\w+?_\d+/g, "<dataset>")
    }`;
  }
}

const date = fc.date({
  min: new Date("0000-01-01T00:00:00Z"),
  max: new Date("9999-12-31T23:59:59.999Z"),
  noInvalidDate: true,
});
const row = fc.record({
  name: fc.string({ unit: "binary", maxLength: 8 }).filter((s) =>
    !s.includes("\0")
  ),
  n: fc.option(
    fc.oneof(fc.integer(), fc.constantFrom(2 ** 53 - 1, -(2 ** 53 - 1), -0)),
    { nil: null },
  ),
  big: fc.option(
    fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n)),
    ),
    { nil: null },
  ),
  x: fc.option(
    fc.oneof(
      fc.double({ noNaN: true }),
      fc.constantFrom(-0, 2 ** 53 + 2, 1e308, 5e-324, Infinity, -Infinity),
    ),
    { nil: null },
  ),
  flag: fc.option(fc.boolean(), { nil: null }),
  doc: fc.option(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>, {
    nil: null,
  }),
  data: fc.option(fc.uint8Array({ maxLength: 5 }), { nil: null }),
  at: fc.option(date, { nil: null }),
  s: fc.option(date, { nil: null }),
  ms: fc.option(date, { nil: null }),
});
/** A value no column of its kind stores, put into one row in three runs. */
const poison = fc.option(
  fc.constantFrom<[string, unknown]>(
    ["n", 2 ** 53],
    ["n", 1.5],
    ["n", NaN],
    ["big", 2n ** 63n],
    ["big", -(2n ** 63n) - 1n],
    ["x", NaN],
    ["at", new Date(NaN)],
    ["s", new Date(8.64e15)],
    ["ms", new Date(-8.64e15)],
  ),
  { nil: undefined, freq: 2 },
);

Deno.test("the engines write the same values, or fail the same way", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(row, { minLength: 1, maxLength: 4 }),
      poison,
      async (rows, bad) => {
        if (bad !== undefined) {
          rows[rows.length - 1] = {
            ...rows[rows.length - 1]!,
            [bad[0]]: bad[1],
          };
        }
        const ffi = await outcome("ffi", rows);
        assert.equal(await outcome("node", rows), ffi);
      },
    ),
    { numRuns: Number(Deno.env.get("AGREE_RUNS") ?? 15) },
  );
});
