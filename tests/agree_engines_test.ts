/**
 * The engines agree: a differential property test. Each run builds one
 * file from random rows of edge values: a STRICT table written by the
 * library (on the ffi engine, which stores text with NUL whole), with a
 * full-text index and a geo index, and a loose table written by the
 * `sqlite3` command-line tool (integers around 2^53 and 2^63, -0.0,
 * infinities, text in numeric columns, NUL in text, a lone surrogate as
 * SQLite stores it, long text, empty blobs, datetimes in several forms).
 * Then the same public reads run on both engines over the same file (the
 * store's reads, raw SQL, full-text and geo queries, the dumpers, the HTTP
 * handler), and their rows, or their errors' classes and messages, must be
 * the same; within each engine, the paths that read whole rows must agree.
 *
 * Five runs keep it to a few hundred milliseconds in the gate;
 * `AGREE_RUNS=500` runs more. Where the engines legitimately differ, the
 * difference is stated here and in the README: node:sqlite reads text only up to a NUL, so a read of
 * such text is a `DataSetError` there; and `sum()`/`avg()` of `real()`
 * values is not compared (SQLite 3.43 and later, node:sqlite's 3.53, add
 * with compensation, the system's 3.40 in order: the last digits differ).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  any,
  bigint,
  blob,
  boolean,
  DataSet,
  datetime,
  dumpCsv,
  dumpJsonLines,
  integer,
  json,
  type JsonValue,
  matchInfo,
  real,
  sqlFragment,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import { createHandler } from "../http.ts";
import { ENGINES, tempDir } from "./_helpers.ts";

/** Declares the model of the library's STRICT table. */
function declareItem(db: DataSet) {
  return class Item extends db.Model("item", {
    id: integer({ primaryKey: true }),
    name: text(),
    n: integer({ nullable: true }),
    big: bigint({ nullable: true }),
    x: real({ nullable: true }),
    flag: boolean({ nullable: true }),
    doc: json<JsonValue>({ nullable: true }),
    data: blob({ nullable: true }),
    at: datetime({ nullable: true }),
    lat: real(),
    lon: real(),
  }, { search: { columns: ["name"] }, geo: { lat: "lat", lon: "lon" } }) {};
}

/** Declares the two models over the file's two tables. */
function declare(db: DataSet) {
  const Item = declareItem(db);
  class Loose extends db.Model("loose", {
    id: integer({ primaryKey: true }),
    t: text({ nullable: true }),
    i: integer({ nullable: true }),
    r: real({ nullable: true }),
    at: datetime({ nullable: true }),
    a: any({ nullable: true }),
  }) {}
  return { Item, Loose };
}

const WORDS = ["alpha", "beta", "gamma", "Éclair", "über", "zeta"];
const name = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(fc.constantFrom(...WORDS), {
      minLength: 1,
      maxLength: 3,
    }).map((w) => w.join(" ")),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "nul\0inside",
      "lone \ud800 surrogate",
      "emoji 😀 beta",
      "x".repeat(3000),
    ),
  },
);
const int = fc.oneof(
  fc.constantFrom(0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31),
  fc.integer({ min: -1000, max: 1000 }),
);
const big = fc.oneof(
  fc.constantFrom(0n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -1n),
  fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
);
const dbl = fc.oneof(
  fc.constantFrom(-0, 0, Infinity, -Infinity, 1e308, 5e-324, 0.1, 2 ** 53 + 2),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
);
const jsonValue = fc.oneof(
  fc.constantFrom<JsonValue>(null, [], {}, "s", 0, [1, "a"], { k: { n: 1 } }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
);
const bytes = fc.oneof(
  fc.constant(new Uint8Array()),
  fc.uint8Array({ maxLength: 8 }),
);
const instant = fc.date({
  min: new Date("1900-01-01T00:00:00Z"),
  max: new Date("2200-01-01T00:00:00Z"),
  noInvalidDate: true,
});
const nullable = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.option(arbitrary, { nil: null, freq: 4 });

const item = fc.record({
  name,
  n: nullable(int),
  big: nullable(big),
  x: nullable(dbl),
  flag: nullable(fc.boolean()),
  doc: nullable(jsonValue),
  data: nullable(bytes),
  at: nullable(instant),
  lat: fc.double({ min: -89, max: 89, noNaN: true }),
  lon: fc.double({ min: -179, max: 179, noNaN: true }),
});

/** Cells of the loose table, as SQL the `sqlite3` tool reads. */
const LOOSE = {
  t: [
    "'plain'",
    "''",
    "'a' || char(0) || 'b'",
    "CAST(x'eda080' AS TEXT)", // a lone surrogate as CESU-8 bytes
    "'ü😀'",
    "printf('%.*c', 3000, 'y')",
    "NULL",
    "12",
    "x'00ff'",
  ],
  i: [
    "0",
    "9007199254740991",
    "1.0",
    "NULL",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "'12'",
    "'twelve'",
    "1.5",
  ],
  r: [
    "-0.0",
    "9e999",
    "-9e999",
    "1e308",
    "0.1",
    "0.0/0", // NaN: SQLite stores NULL
    "3",
    "'abc'",
  ],
  at: [
    "'2024-01-02T03:04:05.678Z'",
    "'2024-01-02 03:04:05'",
    "'2024-01-02'",
    "'2024-01-02T03:04:05+02:00'",
    "NULL",
    "1704164645",
    "'2024-02-30T00:00:00Z'",
    "'not a date'",
    "'2024-01-02t03:04:05'",
    "' 2024-01-02'",
    "'2024-01-02T03:04:05+0200'",
  ],
};
const ALL_LOOSE = [...LOOSE.t, ...LOOSE.i, ...LOOSE.r, ...LOOSE.at];
/**
 * A cell: most often one its column's kind reads (the first `readable`
 * literals), so that whole-row reads often succeed, else any literal.
 */
const cell = (literals: string[], readable: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...literals.slice(0, readable)) },
    { weight: 1, arbitrary: fc.constantFrom(...literals) },
  );
const looseRow = fc.record({
  t: cell(LOOSE.t, 7),
  i: cell(LOOSE.i, 4),
  r: cell(LOOSE.r, 7),
  at: cell(LOOSE.at, 5),
  a: fc.constantFrom(...ALL_LOOSE),
});

type ItemRow = typeof item extends fc.Arbitrary<infer T> ? T : never;
type LooseRow = typeof looseRow extends fc.Arbitrary<infer T> ? T : never;

let files = 0;

/** Builds the file: the library's STRICT table, then the tool's loose one. */
async function buildFile(items: ItemRow[], loose: LooseRow[]): Promise<string> {
  const path = `${await tempDir({ prefix: "microcosm_agree_" })}/agree.sqlite`;
  const db = DataSet.create(`agree_build_${++files}`, {
    engine: "ffi",
    writable: true,
  });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const Item = declareItem(db);
  await db.createAll();
  await new Store(Item).createMany(items);
  await db.close();
  const sql = [
    "CREATE TABLE loose (id INTEGER PRIMARY KEY, t TEXT, i INTEGER, r REAL, at TEXT, a);",
    ...loose.map((row) =>
      `INSERT INTO loose (t, i, r, at, a) VALUES (${row.t}, ${row.i}, ${row.r}, ${row.at}, ${row.a});`
    ),
  ].join("\n");
  const tool = await new Deno.Command("sqlite3", {
    args: [path],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = tool.stdin.getWriter();
  await writer.write(new TextEncoder().encode(sql));
  await writer.close();
  const output = await tool.output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return path;
}

/**
 * A read's answer in a form `deepStrictEqual` compares across engines:
 * model instances as plain objects (their classes differ per dataset),
 * errors as their class and message with the dataset's name taken out.
 */
function plain(value: unknown, dataset: string): unknown {
  if (value instanceof Error) {
    return {
      error: value.constructor.name,
      message: value.message.replaceAll(dataset, "<dataset>"),
    };
  }
  if (Array.isArray(value)) return value.map((v) => plain(v, dataset));
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (value instanceof Date) return { date: value.getTime() };
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      out[key] = plain((value as Record<string, unknown>)[key], dataset);
    }
    const info = (value as { [matchInfo]?: { rank: number } })[matchInfo];
    if (info !== undefined) out["[rank]"] = info.rank;
    return out;
  }
  return value;
}

/** Every page of a keyset chain: the ids in order, and the tokens. */
async function chain(
  // deno-lint-ignore no-explicit-any -- a store of either model
  store: Store<any>,
  orderBy: string[],
  limit: number,
): Promise<unknown[]> {
  const pages: unknown[] = [];
  let after: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await store.page({}, {
      orderBy: orderBy as never,
      limit,
      ...(after === undefined ? {} : { after }),
    });
    pages.push(page.rows.map((row: { id: number }) => row.id), page.next);
    if (page.next === undefined) return pages;
    after = page.next;
  }
  throw new Error("the chain did not end");
}

/**
 * Within one engine, the paths that read whole rows agree: where a full
 * `search()` reads the rows, a chain of `page()`s, `store.sql` over the
 * model's columns, `retrieve()` of each key and `search()` with a `limit`
 * (a few rows, read at once) give the same rows.
 */
async function pathsAgree(
  label: string,
  // deno-lint-ignore no-explicit-any -- a store of either model
  store: Store<any>,
  dataset: string,
): Promise<void> {
  let all: unknown[];
  try {
    all = await Array.fromAsync(store.search());
  } catch {
    return; // a cell no read takes: each path fails on its own rows
  }
  const expected = plain(all, dataset);
  const paged: unknown[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.page({}, {
      limit: 2,
      ...(after === undefined ? {} : { after }),
    });
    paged.push(...page.rows);
    if (page.next === undefined) break;
    after = page.next;
  }
  assert.deepStrictEqual(plain(paged, dataset), expected, `${label} pages`);
  const table = label === "item" ? "item" : "loose";
  const viaSql = await Array.fromAsync(
    store.sql`SELECT ${store.columns()} FROM ${
      sqlFragmentOf(table)
    } ORDER BY id`,
  );
  assert.deepStrictEqual(plain(viaSql, dataset), expected, `${label} sql`);
  const one: unknown[] = [];
  for (const row of all as { id: number }[]) {
    one.push(await store.retrieve(row.id));
  }
  assert.deepStrictEqual(plain(one, dataset), expected, `${label} retrieve`);
  const few = await Array.fromAsync(
    store.search({}, { limit: all.length + 1 }),
  );
  assert.deepStrictEqual(plain(few, dataset), expected, `${label} few`);
}

/** The table's name as SQL (a fixed name, never input). */
function sqlFragmentOf(table: "item" | "loose") {
  return table === "item" ? sqlFragment`item` : sqlFragment`loose`;
}

/** The same public reads, run on one engine: name -> answer or error. */
async function readAll(
  engine: EngineName,
  path: string,
  items: ItemRow[],
): Promise<Map<string, unknown>> {
  const db = DataSet.create(`agree_${engine}_${files}`, { engine });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const { Item, Loose } = declare(db);
  // deno-lint-ignore no-explicit-any -- every read of every column, by name
  const item: Store<any> = new Store(Item);
  // deno-lint-ignore no-explicit-any -- as above
  const loose: Store<any> = new Store(Loose);
  const answers = new Map<string, unknown>();
  const read = async (what: string, body: () => Promise<unknown>) => {
    let answer: unknown;
    try {
      answer = await body();
    } catch (error) {
      answer = error;
    }
    answers.set(what, plain(answer, db.name));
  };
  try {
    for (const [label, store] of [["item", item], ["loose", loose]] as const) {
      const keys = label === "item"
        ? ["name", "n", "big", "x", "flag", "doc", "data", "at"]
        : ["t", "i", "r", "at", "a"];
      await read(`${label}.search`, () => Array.fromAsync(store.search()));
      await pathsAgree(label, store, db.name);
      for (let id = 0; id <= items.length + 1; id++) {
        await read(`${label}.retrieve(${id})`, () => store.retrieve(id));
      }
      for (const key of keys) {
        await read(`${label}.min(${key})`, () => store.min(key));
        await read(`${label}.max(${key})`, () => store.max(key));
        await read(`${label}.countBy(${key})`, () => store.countBy(key));
        await read(`${label}.distinct(${key})`, () => store.distinct(key));
        await read(`${label}.page(${key})`, () => chain(store, [key], 2));
        await read(
          `${label}.page(-${key})`,
          () => chain(store, [`-${key}`], 3),
        );
        await read(
          `${label}.search(${key} desc)`,
          () => Array.fromAsync(store.search({}, { orderBy: [`-${key}`] })),
        );
        if (key !== "x" && key !== "r") {
          // real() sums differ in their last digits (see the module doc).
          await read(`${label}.sum(${key})`, () => store.sum(key as never));
          await read(`${label}.avg(${key})`, () => store.avg(key as never));
        }
      }
    }
    await read(
      "item.search(filter)",
      () =>
        Array.fromAsync(
          item.search({ n: { gt: 0 }, name: { like: "%a%" } }, {
            orderBy: ["-at"],
            limit: 5,
          }),
        ),
    );
    // deno-lint-ignore no-explicit-any -- a store of either model
    const filters: [string, Store<any>, Record<string, unknown>][] = [
      ["big >= 2^53", item, { big: { gte: 2n ** 53n } }],
      ["big = -2^63", item, { big: -(2n ** 63n) }],
      ["x = -0", item, { x: -0 }],
      ["x < 0", item, { x: { lt: 0 } }],
      ["x in", item, { x: { in: [Infinity, -Infinity, 0.1] } }],
      ["at before 2000", item, {
        at: { lt: new Date("2000-01-01T00:00:00Z") },
      }],
      ["doc null", item, { doc: null }],
      ["data empty", item, { data: new Uint8Array() }],
      ["name like", item, { name: { like: "%É%" } }],
      ["loose at", loose, { at: { gte: new Date("2024-01-02T00:00:00Z") } }],
      ["loose i", loose, { i: 1 }],
      ["loose r", loose, { r: { gt: 1e300 } }],
      ["loose t", loose, { t: { ne: "plain" } }],
    ];
    for (const [what, store, filter] of filters) {
      await read(`filter ${what}`, () => Array.fromAsync(store.search(filter)));
      await read(`count ${what}`, () => store.count(filter));
    }
    await read(
      "item.select",
      () =>
        Array.fromAsync(
          item.select(["name", "big", "at"], {}, { orderBy: ["big"] }),
        ),
    );
    await read(
      "dataset.sql",
      () => Array.fromAsync(db.sql`SELECT * FROM item ORDER BY id`),
    );
    await read(
      "dataset.sql loose",
      () =>
        Array.fromAsync(
          db.sql`SELECT *, typeof(i) AS ti, -r AS neg, hex(t) AS h FROM loose ORDER BY id`,
        ),
    );
    await read(
      "dataset.sql few",
      () => Array.fromAsync(db.sql`SELECT a FROM loose ORDER BY id LIMIT ${3}`),
    );
    // The caller's mistakes: one class and one message on both.
    for (
      const [what, rows] of [
        ["unfilled ?", db.sql`SELECT * FROM item WHERE id = ?`],
        ["two statements", db.sql`SELECT 1 AS a; SELECT 2 AS a`],
        ["no statement", db.sql` -- nothing`],
        ["no such column", db.sql`SELECT nope FROM loose`],
        ["malformed JSON", db.sql`SELECT json_extract(t, '$') FROM loose`],
        ["trailing comment", db.sql`SELECT t FROM loose; -- done`],
        ["raw match", item.match("beta AND", { raw: true })],
        ["raw match column", item.match("nope: beta", { raw: true })],
      ] as const
    ) {
      await read(`mistake: ${what}`, () => Array.fromAsync(rows));
    }
    for (const word of ["beta", "eclair", "UBER", "zet"]) {
      await read(
        `match(${word})`,
        () => Array.fromAsync(item.match(word, { prefix: word === "zet" })),
      );
    }
    await read(
      "within",
      () =>
        Array.fromAsync(
          item.within({ south: -45, north: 45, west: -90, east: 90 }),
        ),
    );
    await read(
      "within (antimeridian)",
      () =>
        Array.fromAsync(
          item.within({ south: -89, north: 89, west: 170, east: -170 }),
        ),
    );
    await read(
      "nearest",
      () => item.nearest({ lat: 10, lon: 10 }, { limit: 3 }),
    );
    for (const [label, store] of [["item", item], ["loose", loose]] as const) {
      await read(
        `dumpCsv(${label})`,
        () => new Response(dumpCsv(store)).text(),
      );
      await read(
        `dumpJsonLines(${label})`,
        () => new Response(dumpJsonLines(store)).text(),
      );
    }
    // The HTTP handler over both models: status, type and body.
    // A 500's error, told to onError, is compared as the answer's.
    let internal: unknown;
    const handler = createHandler(db, {
      onError: (error) => {
        internal = error;
      },
    });
    for (
      const query of [
        "",
        "/item?_size=2&_total=1&_facet=flag",
        "/item/1",
        "/item?_search=beta",
        "/item?_within=-45,-90,45,90",
        "/item?_near=10,10&_size=2",
        "/item?_format=csv",
        "/loose?_size=3",
        "/loose?_format=jsonl",
        "?_sql=SELECT%20*%20FROM%20loose%20ORDER%20BY%20id",
      ]
    ) {
      await read(`http ${query}`, async () => {
        const url = `http://127.0.0.1/${query === "" ? "" : db.name}${query}`;
        internal = undefined;
        const response = await handler(new Request(url));
        if (internal !== undefined) throw internal;
        return {
          status: response.status,
          type: response.headers.get("content-type"),
          body: (await response.text()).replaceAll(db.name, "<dataset>"),
        };
      });
    }
    await read(
      "dumpJsonLines(sql)",
      () =>
        new Response(dumpJsonLines(db.sql`SELECT * FROM loose ORDER BY id`))
          .text(),
    );
  } finally {
    await db.close();
  }
  return answers;
}

/** A node:sqlite answer that is the documented refusal of text with NUL. */
function nulRefusal(answer: unknown): boolean {
  const error = answer as { error?: string; message?: string };
  return error?.error === "DataSetError" &&
    /NUL character/.test(error.message ?? "");
}

Deno.test("the engines give the same answers over the same file", async () => {
  assert.deepEqual(ENGINES, ["ffi", "node"]);
  await fc.assert(
    fc.asyncProperty(
      fc.array(item, { minLength: 1, maxLength: 6 }),
      fc.array(looseRow, { minLength: 1, maxLength: 6 }),
      async (items, looseRows) => {
        const path = await buildFile(items, looseRows);
        const ffi = await readAll("ffi", path, items);
        const node = await readAll("node", path, items);
        assert.deepEqual([...node.keys()], [...ffi.keys()]);
        for (const [what, answer] of ffi) {
          const other = node.get(what);
          if (nulRefusal(other) && !nulRefusal(answer)) continue;
          assert.deepStrictEqual(other, answer, `${what} differs`);
        }
      },
    ),
    { numRuns: Number(Deno.env.get("AGREE_RUNS") ?? 5) },
  );
});
