// Files built by the library declare their tables STRICT, and the store
// reads a STRICT table's columns with the engine's trusted hints where
// SQLite guarantees the storage class; every read rule of issue 11 §2 holds
// on STRICT and non-STRICT files alike, on both engines.
import assert from "node:assert/strict";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import {
  boolean,
  type DataSet,
  DataSetError,
  dumpCsv,
  integer,
  json,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { verifyDataSet } from "../build.ts";
import { ColumnHint, type SQLValue } from "../src/_engine.ts";
import { loadFfiEngine } from "../src/_ffi.ts";
import { generateModels } from "../src/cli/codegen.ts";
import { SESSION } from "../src/dataset.ts";
import {
  AT,
  declareEveryKind,
  engineTest,
  freshDataSet,
  tempDir,
} from "./_helpers.ts";

/** Zeros, extremes and a NULL in every column. */
const ROWS = [
  {
    t: "",
    i: 0,
    r: 0,
    b: 0n,
    yes: false,
    j: 0,
    bytes: new Uint8Array(),
    at: new Date(0),
    s: new Date(0),
    ms: new Date(0),
    v: 0,
  },
  {
    t: "é✓😀 x",
    i: -Number.MAX_SAFE_INTEGER,
    r: -0.5,
    b: -(2n ** 63n),
    yes: true,
    j: { a: [1, "two", null] },
    bytes: new Uint8Array([0, 1, 255]),
    at: AT,
    s: AT,
    ms: AT,
    v: "12",
  },
  {
    t: "12",
    i: Number.MAX_SAFE_INTEGER,
    r: 1e308,
    b: 2n ** 63n - 1n,
    yes: true,
    j: "",
    bytes: new Uint8Array([7]),
    at: new Date("9999-12-31T23:59:59.999Z"),
    s: new Date(-1000),
    ms: new Date(-1),
    v: new Uint8Array([1, 2]),
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

/** Writes the ROWS into a new file through the library; returns its path. */
async function buildValues(engine: "ffi" | "node"): Promise<string> {
  const dir = await tempDir({ prefix: "microcosm_strict_" });
  const path = `${dir}/value.sqlite`;
  const db = freshDataSet(engine, { writable: true });
  await using _ = db;
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const Value = declareEveryKind(db);
  await db.createAll();
  await new Store(Value).createMany(ROWS);
  return path;
}

/**
 * Copies the `value` table of a file into a new non-STRICT file, as a file
 * built elsewhere would hold it (no declared type where any() has none).
 */
function copyLoose(from: string, to: string): void {
  const source = new DatabaseSync(from, { readOnly: true });
  const target = new DatabaseSync(to);
  try {
    target.exec(`create table value (id INTEGER PRIMARY KEY, t TEXT,
      i INTEGER, r REAL, b INTEGER, yes INTEGER, j TEXT, bytes BLOB,
      at DATETIME, s TIMESTAMP, ms TIMESTAMP, v)`);
    const read = source.prepare("select * from value order by id");
    read.setReadBigInts(true);
    const insert = target.prepare(
      "insert into value values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    for (const row of read.iterate()) {
      insert.run(...Object.values(row) as SQLInputValue[]);
    }
  } finally {
    source.close();
    target.close();
  }
}

function open(engine: "ffi" | "node", path: string) {
  const db = freshDataSet(engine);
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const Value = declareEveryKind(db);
  return { db, Value, store: new Store(Value) };
}

/** The read hints the store took for a model on its dataset's file. */
async function hintsOf(db: DataSet, definition: object): Promise<unknown> {
  return (await db[SESSION]()).checkedModels.get(definition);
}

const { NUMBER, TEXT, ANY, NUMBER_STRICT, TEXT_STRICT } = ColumnHint;

engineTest(
  "Every kind builds into a STRICT table that reads, dumps and verifies",
  async (engine) => {
    const path = await buildValues(engine);
    const { db, store } = open(engine, path);
    await using _ = db;
    const strict = await Array.fromAsync(
      db.sql`select "strict" as s from pragma_table_list where name = 'value'`,
      (row) => row.s,
    );
    assert.deepEqual(strict, [1]);
    const read = await Array.fromAsync(store.search(), (row) => ({ ...row }));
    assert.deepEqual(read, ROWS.map((row, i) => ({ id: i + 1, ...row })));
    const csv = await new Response(dumpCsv(store)).text();
    assert.equal(csv.trim().split("\n").length, ROWS.length + 1);
    const report = await verifyDataSet(db);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
  },
);

engineTest(
  "createAll declares STRICT tables, and a STRICT table refuses a wrong storage class",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    const Value = declareEveryKind(db);
    await db.createAll();
    await new Store(Value).createMany(ROWS);
    const [row] = await Array.fromAsync(
      db.sql`select sql from sqlite_schema where name = 'value'`,
      (row) => String(row.sql),
    );
    assert.match(row!, /\)\s*STRICT$/);
    assert.match(row!, /"v" ANY/);
    await assert.rejects(
      Array.fromAsync(db.sql`update value set i = '12abc' where id = 1`),
      /cannot store TEXT value in INTEGER column value\.i/,
    );
  },
);

engineTest(
  "A read-only STRICT file takes trusted hints; a non-STRICT copy the checked ones",
  async (engine) => {
    const path = await buildValues(engine);
    const loose = path.replace(/value\.sqlite$/, "loose.sqlite");
    copyLoose(path, loose);
    const strict = open(engine, path);
    await using _ = strict.db;
    const other = open(engine, loose);
    await using _other = other.db;
    const a = await Array.fromAsync(strict.store.search(), (r) => ({ ...r }));
    const b = await Array.fromAsync(other.store.search(), (r) => ({ ...r }));
    // A trusted read equals a checked read for every kind.
    assert.deepEqual(a, b);
    assert.deepEqual(a, ROWS.map((row, i) => ({ id: i + 1, ...row })));
    // id, t, i, r, b, yes, j, bytes, at, s, ms, v
    assert.deepEqual(await hintsOf(strict.db, strict.Value.definition), [
      NUMBER_STRICT,
      TEXT_STRICT,
      NUMBER_STRICT,
      NUMBER_STRICT,
      ANY,
      NUMBER_STRICT,
      TEXT_STRICT,
      ANY,
      TEXT_STRICT,
      NUMBER,
      NUMBER,
      ANY,
    ]);
    assert.deepEqual(await hintsOf(other.db, other.Value.definition), [
      NUMBER,
      TEXT,
      NUMBER,
      NUMBER,
      ANY,
      NUMBER,
      TEXT,
      ANY,
      TEXT,
      NUMBER,
      NUMBER,
      ANY,
    ]);
  },
);

/**
 * A STRICT file built elsewhere: `n` with NULLs, zeros, wide integers and
 * odd text; `m` with one NULL per row, in the column of the row's id.
 */
async function strictFileElsewhere(): Promise<string> {
  const dir = await tempDir({ prefix: "microcosm_strict_nulls_" });
  const path = `${dir}/n.sqlite`;
  const db = new DatabaseSync(path);
  try {
    db.exec(`create table n (id INTEGER PRIMARY KEY, i INT, r REAL, t TEXT,
        flag INTEGER, doc TEXT) STRICT;
      insert into n values
        (1, 0, 0.0, '', 0, '{}'),
        (2, NULL, NULL, NULL, NULL, NULL),
        (3, -5, 1e300, 'é✓', 1, '[1]'),
        (4, 9007199254740993, 2.5, '42', 2, 'not json');
      create table m (id INTEGER PRIMARY KEY, i INT, r REAL, t TEXT,
        flag INTEGER, doc TEXT) STRICT;
      insert into m values (1, NULL, 0.0, '', 0, '1'),
        (2, 0, NULL, '', 0, '1'), (3, 0, 0.0, NULL, 0, '1'),
        (4, 0, 0.0, '', NULL, '1'), (5, 0, 0.0, '', 0, NULL),
        (6, 0, 0.0, '', 0, '1');`);
  } finally {
    db.close();
  }
  return path;
}

engineTest(
  "A STRICT file with NULLs reads per the rule: null where nullable, else an error",
  async (engine) => {
    const path = await strictFileElsewhere();
    const db = freshDataSet(engine);
    await using _ = db;
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    class Loose extends db.Model("n", {
      id: integer({ primaryKey: true }),
      i: integer({ nullable: true }),
      r: real({ nullable: true }),
      t: text({ nullable: true }),
      flag: boolean({ nullable: true }),
      doc: json({ nullable: true }),
    }) {}
    class Tight extends db.Model("m", {
      id: integer({ primaryKey: true }),
      i: integer(),
      r: real(),
      t: text(),
      flag: boolean(),
      doc: json(),
    }) {}
    const loose = new Store(Loose);
    assert.deepEqual({ ...await loose.retrieve(1) }, {
      id: 1,
      i: 0,
      r: 0,
      t: "",
      flag: false,
      doc: {},
    });
    assert.deepEqual({ ...await loose.retrieve(2) }, {
      id: 2,
      i: null,
      r: null,
      t: null,
      flag: null,
      doc: null,
    });
    assert.deepEqual({ ...await loose.retrieve(3) }, {
      id: 3,
      i: -5,
      r: 1e300,
      t: "é✓",
      flag: true,
      doc: [1],
    });
    await assert.rejects(loose.retrieve(4), RangeError);
    assert.deepEqual(await hintsOf(db, Loose.definition), [
      NUMBER_STRICT,
      NUMBER_STRICT,
      NUMBER_STRICT,
      TEXT_STRICT,
      NUMBER_STRICT,
      TEXT_STRICT,
    ]);
    const tight = new Store(Tight);
    const columns = ["i", "r", "t", "flag", "doc"];
    for (const [index, column] of columns.entries()) {
      await assert.rejects(
        tight.retrieve(index + 1),
        (error: Error) =>
          error instanceof DataSetError &&
          error.message.includes(`m.${column} in the row id = ${index + 1}`) &&
          /NULL, and the model says NOT NULL/.test(error.message),
      );
    }
    assert.deepEqual({ ...await tight.retrieve(6) }, {
      id: 6,
      i: 0,
      r: 0,
      t: "",
      flag: false,
      doc: 1,
    });
  },
);

engineTest(
  "A non-STRICT file with wrong storage classes reads per the rule, before and after a STRICT one",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_strict_swap_" });
    const path = `${dir}/w.sqlite`;
    const write = (strict: boolean, i: string, t: string) => {
      const db = new DatabaseSync(`${path}.new`);
      try {
        db.exec(
          `create table w (id INTEGER PRIMARY KEY, i INTEGER, t TEXT)${
            strict ? " STRICT" : ""
          }; insert into w values (1, ${i}, ${t});`,
        );
      } finally {
        db.close();
      }
      Deno.renameSync(`${path}.new`, path);
    };
    const db = freshDataSet(engine);
    await using _ = db;
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    class W extends db.Model("w", {
      id: integer({ primaryKey: true }),
      i: integer({ nullable: true }),
      t: text({ nullable: true }),
    }) {}
    const store = new Store(W);
    write(true, "12", "'x'");
    assert.deepEqual({ ...await store.retrieve(1) }, { id: 1, i: 12, t: "x" });
    await db.close();
    // The same store on a non-STRICT file holding TEXT where the model
    // says integer: an error, never 12 (the trust was the old file's).
    write(false, "'12abc'", "42");
    await assert.rejects(
      store.retrieve(1),
      (error: Error) =>
        error instanceof DataSetError && /w\.i/.test(error.message) &&
        /12abc/.test(error.message),
    );
    assert.deepEqual(await hintsOf(db, W.definition), [NUMBER, NUMBER, TEXT]);
    await db.close();
    write(false, "NULL", "x'00'");
    await assert.rejects(
      store.retrieve(1),
      (error: Error) =>
        error instanceof DataSetError && /w\.t/.test(error.message),
    );
    await db.close();
    write(false, "7", "42");
    assert.deepEqual({ ...await store.retrieve(1) }, { id: 1, i: 7, t: "42" });
  },
);

Deno.test("The FFI engine's STRICT hints read what the checked hints read", () => {
  const engine = loadFfiEngine();
  const db = engine.open({
    path: ":memory:",
    readOnly: false,
    immutable: false,
    create: true,
  });
  try {
    db.exec(`create table x (n INTEGER, r REAL, t TEXT) STRICT;
      insert into x values (0, 0.0, ''), (NULL, NULL, NULL), (-1, -0.5, 'é'),
        (9007199254740991, 1e308, 'a' || char(0) || 'b'),
        (9007199254740993, -1e-300, '12'),
        (-9223372036854775808, 9007199254740993.0, ' ');`);
    const statement = db.prepare("select n, r, t from x order by rowid");
    const pairs: [number, ColumnHint, ColumnHint][] = [
      [0, NUMBER, NUMBER_STRICT],
      [1, NUMBER, NUMBER_STRICT],
      [2, TEXT, TEXT_STRICT],
    ];
    let rows = 0;
    statement.bind([]);
    while (statement.step()) {
      rows++;
      for (const [index, checked, trusted] of pairs) {
        const want: SQLValue = statement.column(index, checked);
        assert.deepEqual(statement.column(index, trusted), want);
        assert.deepEqual(statement.column(index, ANY), want);
      }
    }
    assert.equal(rows, 6);
    statement.finalize();
  } finally {
    db.close();
  }
});

Deno.test("codegen on a STRICT file gives the models it was built from, and they verify", async () => {
  const path = await buildValues("node");
  const dir = path.replace(/\/value\.sqlite$/, "");
  const db = freshDataSet("node");
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  let code: string;
  try {
    code = await generateModels(db, {
      datasetName: "strict_codegen",
      importFrom: new URL("../mod.ts", import.meta.url).href,
      fileName: "value.sqlite",
    });
  } finally {
    await db.close();
  }
  for (
    const line of [
      /id: integer\(\{ primaryKey: true \}\)/,
      /t: text\(\{ nullable: true \}\)/,
      /i: integer\(\{ nullable: true \}\)/,
      /r: real\(\{ nullable: true \}\)/,
      /b: bigint\(\{ nullable: true \}\)/,
      /yes: boolean\(\{ nullable: true \}\)/,
      /j: json\(\{ nullable: true \}\)/,
      /bytes: blob\(\{ nullable: true \}\)/,
      /at: datetime\(\{ nullable: true \}\)/,
      /s: datetime\(\{ storage: "seconds", nullable: true \}\)/,
      /ms: datetime\(\{ storage: "milliseconds", nullable: true \}\)/,
      /v: any\(\{ nullable: true \}\)/,
    ]
  ) {
    assert.match(code, line);
  }
  await Deno.writeTextFile(`${dir}/models.ts`, code);
  const generated = await import(`file://${dir}/models.ts`);
  const dataset = Object.values(generated).find((value) =>
    typeof value === "object" && value !== null && "models" in value
  ) as DataSet;
  dataset.bind(
    new SQLiteBindFactory({ paths: { [dataset.name]: path } }),
  );
  try {
    const report = await verifyDataSet(dataset);
    assert.deepEqual(report.problems, []);
  } finally {
    await dataset.close();
  }
});
