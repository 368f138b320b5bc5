// Issue 11 §4: dumping and loading round-trip every value of every kind
// exactly, in CSV and in JSON Lines.
import assert from "node:assert/strict";
import {
  type DataSet,
  dumpCsv,
  dumpJsonLines,
  integer,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import {
  AT,
  declareEveryKind,
  engineTest,
  freshDataSet,
  tempDir,
} from "./_helpers.ts";

/** Edge values of every kind; each column also gets a NULL (the last row). */
const ROWS = [
  {
    t: "",
    i: 0,
    r: 0.5,
    b: 2n ** 63n - 1n,
    yes: true,
    j: "",
    bytes: new Uint8Array(),
    at: AT,
    s: AT,
    ms: AT,
    v: "",
  },
  {
    t: ' a "quoted", comma\nand line ',
    i: -1,
    r: Infinity,
    b: -(2n ** 63n),
    yes: false,
    j: { nested: [1, "two", null, true] },
    bytes: new Uint8Array([0, 1, 255]),
    at: new Date(0),
    s: new Date(-1000),
    ms: new Date(1),
    v: 1.5,
  },
  {
    t: "é✓😀",
    i: Number.MAX_SAFE_INTEGER,
    r: -Infinity,
    b: 0n,
    yes: true,
    j: [],
    bytes: new Uint8Array([44, 34, 10]),
    at: new Date("9999-12-31T23:59:59.999Z"),
    s: new Date("2001-09-09T01:46:40Z"),
    ms: new Date(-1),
    v: 'it\'s, "x"',
  },
  {
    t: "null",
    i: -Number.MAX_SAFE_INTEGER,
    r: 1e-300,
    b: 2n ** 53n + 1n,
    yes: false,
    j: "a string",
    bytes: new Uint8Array([0]),
    at: AT,
    s: AT,
    ms: AT,
    v: new Uint8Array([1, 2]),
  },
  {
    t: "12",
    i: 12,
    r: 12,
    b: 12n,
    yes: true,
    j: 12,
    bytes: new Uint8Array([1]),
    at: AT,
    s: AT,
    ms: AT,
    v: 2n ** 60n,
  },
  {
    t: "x",
    i: 1,
    r: 1,
    b: 1n,
    yes: true,
    j: { a: "" },
    bytes: new Uint8Array([2]),
    at: AT,
    s: AT,
    ms: AT,
    v: "12",
  },
  {
    t: null,
    i: null,
    r: null,
    b: null,
    yes: null,
    j: null,
    bytes: null,
    at: null,
    s: null,
    ms: null,
    v: null,
  },
];

async function roundTrip(
  engine: "ffi" | "node",
  format: "csv" | "jsonl",
): Promise<void> {
  const source = freshDataSet(engine);
  await using _ = source;
  const Source = declareEveryKind(source);
  await source.createAll();
  const store = new Store(Source);
  await store.createMany(ROWS);
  const before = await Array.fromAsync(store.search(), (row) => ({ ...row }));

  const dir = await tempDir({ prefix: "microcosm_round_trip_" });
  const file = `${dir}/value.${format}`;
  const stream = format === "csv" ? dumpCsv(store) : dumpJsonLines(store);
  await Deno.writeFile(file, stream);

  const target = freshDataSet(engine);
  await using _target = target;
  const Target = declareEveryKind(target);
  await buildDataSet(target, `${dir}/value.sqlite`, async (build) => {
    if (format === "csv") await build.loadCsv(Target, file);
    else await build.loadJsonLines(Target, file);
  });
  target.bind(
    new SQLiteBindFactory({ paths: { [target.name]: `${dir}/value.sqlite` } }),
  );
  const after = await Array.fromAsync(
    new Store(Target).search(),
    (row) => ({ ...row }),
  );
  assert.deepEqual(after, before);
  // The JSON column's stored text and the any() column's storage classes
  // are the same too.
  const stored = (db: DataSet) =>
    Array.fromAsync(
      db.sql`select j, typeof(v) as v from value order by id`,
      (row) => ({ ...row }),
    );
  assert.deepEqual(await stored(target), await stored(source));
}

engineTest(
  "dumpCsv then loadCsv round-trips every value of every kind, empty text and NULL apart",
  (engine) => roundTrip(engine, "csv"),
);

engineTest(
  "dumpJsonLines then loadJsonLines round-trips every value of every kind",
  (engine) => roundTrip(engine, "jsonl"),
);

engineTest(
  'A quoted empty CSV field ("") loads as an empty text; an empty field as NULL',
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_quoted_empty_" });
    await Deno.writeTextFile(
      `${dir}/t.csv`,
      'id,t,label\n1,"",""\n2,,x\n3,"""",","\n4,"","\n"\n',
    );
    const db = freshDataSet(engine);
    await using _ = db;
    class T extends db.Model("t", {
      id: integer({ primaryKey: true }),
      t: text({ nullable: true }),
      label: text(),
    }) {}
    await buildDataSet(db, `${dir}/t.sqlite`, async (build) => {
      await build.loadCsv(T, `${dir}/t.csv`);
    });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: `${dir}/t.sqlite` } }));
    const rows = await Array.fromAsync(
      new Store(T).search(),
      (row) => [row.t, row.label],
    );
    assert.deepEqual(rows, [["", ""], [null, "x"], ['"', ","], ["", "\n"]]);
  },
);
