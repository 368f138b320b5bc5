// The datetime kind: one kinds-table entry, stored as ISO-8601 text or Unix
// epoch seconds or milliseconds, read in the forms SQLite's date functions
// read, always as UTC.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  DataSetError,
  datetime,
  type Filter,
  integer,
  Store,
  text,
} from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  engineTest,
  oneModel,
  openFile,
  runDeno,
  sqliteFile,
  tempDir,
} from "./_helpers.ts";

const AT = new Date("2024-01-02T03:04:05.678Z");

engineTest(
  "datetime() stores ISO-8601 text by default and reads it back as the same Date",
  async (engine) => {
    const { db, store } = await oneModel(engine, "event", {
      id: integer({ primaryKey: true }),
      at: datetime(),
    });
    await using _ = db;
    const created = await store.create({ at: AT });
    assert.ok(created.at instanceof Date);
    assert.equal(created.at.getTime(), AT.getTime());
    const [row] = await Array.fromAsync(
      db.sql`select at, typeof(at) as t from event`,
    );
    assert.deepEqual({ ...row }, { at: "2024-01-02T03:04:05.678Z", t: "text" });
    // The text is one SQLite's date functions read.
    const [day] = await Array.fromAsync(
      db.sql`select datetime(at) as d from event`,
    );
    assert.equal(day!.d, "2024-01-02 03:04:05");
  },
);

engineTest(
  "datetime() stores Unix epoch seconds or milliseconds when the options say so",
  async (engine) => {
    const { db, store } = await oneModel(engine, "event", {
      id: integer({ primaryKey: true }),
      s: datetime({ storage: "seconds" }),
      ms: datetime({ storage: "milliseconds" }),
    });
    await using _ = db;
    const whole = new Date("2024-01-02T03:04:05Z");
    await store.createMany([{ s: AT, ms: AT }, { s: whole, ms: whole }]);
    const stored = await Array.fromAsync(
      db.sql`select s, typeof(s) as ts, ms, typeof(ms) as tms from event order by id`,
      (row) => ({ ...row }),
    );
    assert.deepEqual(stored, [
      { s: 1704164645.678, ts: "real", ms: 1704164645678, tms: "integer" },
      { s: 1704164645, ts: "integer", ms: 1704164645000, tms: "integer" },
    ]);
    const read = await Array.fromAsync(store.search());
    assert.deepEqual(
      read.map((e) => [e.s.getTime(), e.ms.getTime()]),
      [[AT.getTime(), AT.getTime()], [whole.getTime(), whole.getTime()]],
    );
  },
);

/** A file built elsewhere with date-time text in each form SQLite reads. */
const FORMS: readonly [string, string][] = [
  ["2024-01-02", "2024-01-02T00:00:00.000Z"],
  ["2024-01-02 03:04", "2024-01-02T03:04:00.000Z"],
  ["2024-01-02T03:04", "2024-01-02T03:04:00.000Z"],
  ["2024-01-02 03:04:05", "2024-01-02T03:04:05.000Z"],
  ["2024-01-02T03:04:05.678", "2024-01-02T03:04:05.678Z"],
  ["2024-01-02 03:04:05.1", "2024-01-02T03:04:05.100Z"],
  ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000Z"],
  ["2024-01-02 05:04:05+02:00", "2024-01-02T03:04:05.000Z"],
  ["2024-01-01T22:04:05-05:00", "2024-01-02T03:04:05.000Z"],
  ["03:04", "2000-01-01T03:04:00.000Z"],
  ["03:04:05.5", "2000-01-01T03:04:05.500Z"],
];

/**
 * The file of FORMS in order (ids 1 to 11), then what is no date: an
 * impossible month (12), a word (13), a number in text storage (14).
 */
function formsFile(): Promise<string> {
  const values = [
    ...FORMS.map(([form]) => `'${form}'`),
    "'2024-13-01'",
    "'yesterday'",
    "1704164645",
  ];
  return sqliteFile(
    "create table forms (id integer primary key, at datetime);" +
      values.map((value) => `insert into forms (at) values (${value});`)
        .join(""),
    "forms.sqlite",
  );
}

/** The forms file, read-only, with its model. */
async function openForms(engine: EngineName) {
  const db = openFile(engine, await formsFile());
  class Form extends db.Model("forms", {
    id: integer({ primaryKey: true }),
    at: datetime(),
  }) {}
  return { db, Form, store: new Store(Form) };
}

engineTest(
  "datetime() reads every form SQLite's date functions read, a missing zone as UTC",
  async (engine) => {
    const { db, store } = await openForms(engine);
    await using _ = db;
    for (let i = 0; i < FORMS.length; i++) {
      const [form, iso] = FORMS[i]!;
      assert.equal((await store.retrieve(i + 1)).at.toISOString(), iso, form);
    }
    // What is no date: an impossible month, a word, a number in text storage.
    for (const [id, shown] of [[12, "2024-13-01"], [13, "yesterday"]]) {
      await assert.rejects(
        store.retrieve(id as number),
        (error: Error) =>
          error instanceof DataSetError &&
          error.message.includes(`forms.at in the row id = ${id}`) &&
          error.message.includes(String(shown)),
      );
    }
    await assert.rejects(store.retrieve(14), DataSetError);
  },
);

Deno.test("datetime() never reads text as local time, whatever TZ says", async () => {
  const path = await formsFile();
  const script = `
import { datetime, DataSet, integer, SQLiteBindFactory, Store } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
const db = DataSet.create("tz");
db.bind(new SQLiteBindFactory({ paths: { tz: ${JSON.stringify(path)} } }));
class Form extends db.Model("forms", { id: integer({ primaryKey: true }), at: datetime() }) {}
const row = await new Store(Form).retrieve(4);
console.log(JSON.stringify([row.at.toISOString(), new Date(2024, 0, 2).getTimezoneOffset()]));
await db.close();`;
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/tz.ts`, script);
  const output = await runDeno(
    ["run", "--allow-read", "--allow-ffi", "--allow-env", `${dir}/tz.ts`],
    { env: { TZ: "America/New_York" }, ok: true },
  );
  const [iso, offset] = JSON.parse(output.stdout);
  assert.equal(offset, 300, "the subprocess runs in New York time");
  assert.equal(iso, "2024-01-02T03:04:05.000Z");
});

engineTest(
  "datetime() filters take Dates and compare text in any form as the instant it names",
  async (engine) => {
    const { db, Form, store } = await openForms(engine);
    await using _ = db;
    const ids = async (filter: Filter<typeof Form>) =>
      await Array.fromAsync(
        store.search({ ...filter, id: { lte: FORMS.length } }),
        (row) => row.id,
      );
    const instant = new Date("2024-01-02T03:04:05Z");
    // Four spellings of the same instant, in three zones.
    assert.deepEqual(await ids({ at: instant }), [4, 7, 8, 9]);
    assert.deepEqual(await ids({ at: { in: [instant] } }), [4, 7, 8, 9]);
    assert.deepEqual(await ids({ at: { lt: new Date("2024-01-02") } }), [
      10,
      11,
    ]);
    assert.deepEqual(await ids({ at: { gt: instant } }), [5, 6]);
    // A filter built step by step: Filter<> is mutable.
    const filter: Filter<typeof Form> = {};
    filter.at = { gte: instant };
    filter.id = { ne: 5 };
    assert.deepEqual(
      await Array.fromAsync(store.search(filter), (row) => row.id),
      [4, 6, 7, 8, 9],
    );
  },
);

engineTest(
  "datetime() refuses invalid Dates and other values on write, naming them",
  async (engine) => {
    const { db, store } = await oneModel(engine, "event", {
      id: integer({ primaryKey: true }),
      at: datetime(),
      ms: datetime({ storage: "milliseconds", nullable: true }),
    });
    await using _ = db;
    await assert.rejects(
      store.create({ at: new Date("nope") }),
      (error: Error) =>
        error instanceof RangeError &&
        error.message === "Invalid value for event.at: the Date is invalid",
    );
    await assert.rejects(
      store.create({ ms: new Date(NaN), at: AT }),
      RangeError,
    );
    await assert.rejects(
      store.create({ at: "2024-01-02" as unknown as Date }),
      (error: Error) =>
        error instanceof TypeError &&
        error.message ===
          "Invalid value for event.at: expected a Date, got string",
    );
    await assert.rejects(
      store.count({ at: new Date("nope") }),
      RangeError,
    );
    assert.throws(
      () => datetime({ storage: "minutes" as "seconds" }),
      TypeError,
    );
    assert.throws(
      () => text({ storage: "text" } as never),
      TypeError,
    );
    assert.equal(await store.count(), 0);
  },
);

engineTest(
  "A Date or a class instance as a filter value outside datetime columns is named",
  async (engine) => {
    const { db, store } = await oneModel(engine, "item", {
      id: integer({ primaryKey: true }),
      name: text(),
    });
    await using _ = db;
    await assert.rejects(
      store.count({ name: new Date() as unknown as string }),
      (error: Error) =>
        error instanceof TypeError &&
        error.message ===
          "Invalid filter for item.name: expected a value or an operators object, got a Date object",
    );
    class Point {
      x = 1;
    }
    await assert.rejects(
      store.count({ id: new Point() as unknown as number }),
      (error: Error) =>
        error instanceof TypeError && /got a Point object/.test(error.message),
    );
    await assert.rejects(
      store.count({ id: new Map() as unknown as number }),
      (error: Error) =>
        error instanceof TypeError && /got a Map object/.test(error.message),
    );
    // Plain objects still hold operators, and an empty one says so.
    assert.equal(await store.count({ id: { gte: 0 } }), 0);
    await assert.rejects(
      store.count({ id: {} }),
      /the operators object is empty/,
    );
  },
);

Deno.test("codegen maps DATE, DATETIME and TIMESTAMP columns to datetime(), and verify passes on the file", async () => {
  const dir = await tempDir({ prefix: "microcosm_codegen_dt_" });
  const path = `${dir}/dates.sqlite`;
  const db = new DatabaseSync(path);
  try {
    db.exec(`
      create table log (
        id integer primary key,
        day date not null,
        at datetime,
        stamp timestamp,
        epoch_ms timestamp,
        body json,
        marked text check (marked is null or json_valid(marked)),
        anything,
        loose any
      );
      insert into log values
        (1, '2024-01-02', '2024-01-02 03:04:05', 1704164645, 1704164645678,
         '{"a":1}', '[1]', 1, 'x'),
        (2, '2024-01-03', null, 1704164646.5, null, 'null', null, x'00', 2.5);`);
  } finally {
    db.close();
  }
  const mod = new URL("../mod.ts", import.meta.url).href;
  const cli = new URL("../cli.ts", import.meta.url).href;
  await runDeno([
    "run",
    "-A",
    cli,
    "codegen",
    path,
    "--import",
    mod,
    "--output",
    `${dir}/models.ts`,
  ], { ok: true });
  const code = await Deno.readTextFile(`${dir}/models.ts`);
  assert.match(code, /day: datetime\(\)/);
  assert.match(code, /at: datetime\(\{ nullable: true \}\)/);
  assert.match(
    code,
    /stamp: datetime\(\{ storage: "seconds", nullable: true \}\)/,
  );
  assert.match(
    code,
    /epochMs: datetime\(\{\s*name: "epoch_ms",\s*storage: "milliseconds",\s*nullable: true,?\s*\}\)/,
  );
  assert.match(code, /body: json\(\{ nullable: true \}\)/);
  assert.match(code, /marked: json\(\{ nullable: true \}\)/);
  assert.match(code, /anything: any\(\{ nullable: true \}\)/);
  assert.match(code, /loose: any\(\{ nullable: true \}\)/);
  const verified = await runDeno([
    "run",
    "-A",
    cli,
    "verify",
    `${dir}/models.ts`,
    path,
  ]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /^ok: /m);
});
