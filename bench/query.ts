/**
 * Benchmark (not a test) of issue 12's queries on the synthetic places
 * table (`bench/_places.ts`, 1M rows, built once into
 * `bench/.data/places-query.sqlite` with `buildDataSet`):
 *
 * - `countBy`: `store.countBy("country", {}, { limit: 10 })`, the ten
 *   most frequent countries (GROUP BY over the country index);
 * - `page 1` / `page 10000`: `store.page({}, { limit: 20 })` in the
 *   default order (the primary key), first page and the page 10,000 pages
 *   deep (its token found by paging there before the clock starts);
 * - `name page 1` / `name page 10000`: the same ordered by the indexed
 *   `name` (a row-value keyset on the index).
 *
 * Each is timed through the store on the FFI engine, against the same
 * hand-written SQL on raw `node:sqlite` (`DatabaseSync`) and on a raw FFI
 * loop over the system libsqlite3 (prepared once, reset, bind, step, build
 * the row objects), in one process, interleaved round by round; min and
 * median per call, and the ratio of the store on FFI to the faster raw
 * baseline. The store on the node engine runs the same rounds in a second
 * process (`--engine node`), as an application runs one engine: with both
 * engines' statements through the same store code, V8 makes its call
 * sites polymorphic, which cost the FFI store's 20-row page about 1.5 µs
 * (12.3 µs vs 10.8 µs, measured interleaved, min over 15 rounds).
 *
 * ```sh
 * deno run -A bench/query.ts [--rounds 9] [--engine ffi|node] [--json]
 * ```
 *
 * @module
 */
import type { StatementSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { DataSet, SQLiteBindFactory, Store } from "../mod.ts";
import {
  ensurePlacesFile,
  ffiPlace,
  PLACE_COUNT,
  placeColumns,
} from "./_places.ts";
import {
  fastest,
  interleave,
  ratio,
  type Runner,
  type Stats,
} from "./_rounds.ts";
import {
  ffiOpen,
  ffiPrepare,
  ffiText as textAt,
  loadFfi,
  openNodeSqlite,
  SQLITE_ROW,
  SQLITE_TRANSIENT,
} from "./baselines.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "9" },
    engine: { type: "string", default: "ffi" },
    json: { type: "boolean", default: false },
  },
});
const ROUNDS = Number(args.values.rounds);
const ENGINE = args.values.engine === "node" ? "node" : "ffi";
/** The store column of this process. */
const OURS = `store ${ENGINE}`;
const PAGE = 20;
const DEEP = 10_000;

function declarePlaces(db: DataSet) {
  class Place extends db.Model("place", placeColumns({ index: true })) {}
  return Place;
}

const path = await ensurePlacesFile("places-query.sqlite", declarePlaces);

// ---------------------------------------------------------------------------
// The store, on each engine.
// ---------------------------------------------------------------------------

function openStore(engine: "ffi" | "node") {
  const db = DataSet.create(`places_query_${engine}`, { engine });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  return { db, store: new Store(declarePlaces(db)) };
}

const opened = openStore(ENGINE);

/** The token of the page `depth` pages deep (found by paging there). */
async function tokenAt(
  orderBy: "id" | "name" | "country",
  depth: number,
): Promise<
  { token: string; last: { id: number; name: string; country: string } }
> {
  const { store } = opened;
  let after: string | undefined;
  let last = { id: 0, name: "", country: "" };
  for (let i = 0; i < depth; i++) {
    const page = await store.page({}, { orderBy, limit: PAGE, after });
    after = page.next!;
    last = page.rows[page.rows.length - 1]!;
  }
  return { token: after!, last };
}

const deepId = await tokenAt("id", DEEP - 1);
const deepName = await tokenAt("name", DEEP - 1);
const deepCountry = await tokenAt("country", DEEP - 1);

// ---------------------------------------------------------------------------
// The same SQL, by hand.
// ---------------------------------------------------------------------------

const COLUMNS =
  "id, name, altNames, country, population, lat, lon, featureClass";
// A deep page by a key that may tie is two queries, as the store runs
// it: the rows tying on the key after the last id, then the rows after
// the key (one row-value condition would walk every tie first).
const SQL = {
  countBy:
    "SELECT country, count(*) AS n FROM place GROUP BY country ORDER BY n DESC, country LIMIT 10",
  idFirst: `SELECT ${COLUMNS} FROM place ORDER BY id LIMIT ?`,
  idDeep: `SELECT ${COLUMNS} FROM place WHERE id > ? ORDER BY id LIMIT ?`,
  nameFirst: `SELECT ${COLUMNS} FROM place ORDER BY name, id LIMIT ?`,
  nameTies:
    `SELECT ${COLUMNS} FROM place WHERE name = ? AND id > ? ORDER BY name, id LIMIT ?`,
  nameRest:
    `SELECT ${COLUMNS} FROM place WHERE name > ? ORDER BY name, id LIMIT ?`,
  countryFirst: `SELECT ${COLUMNS} FROM place ORDER BY country, id LIMIT ?`,
  countryTies:
    `SELECT ${COLUMNS} FROM place WHERE country = ? AND id > ? ORDER BY country, id LIMIT ?`,
  countryRest:
    `SELECT ${COLUMNS} FROM place WHERE country > ? ORDER BY country, id LIMIT ?`,
};

const node = openNodeSqlite(path, "readonly");
const nodeStatements = Object.fromEntries(
  Object.entries(SQL).map(([name, sql]) => [name, node.prepare(sql)]),
) as Record<keyof typeof SQL, StatementSync>;

const lib = loadFfi();
const encoder = new TextEncoder();
const ffiDb = ffiOpen(lib, path, { mmap: false });
const ffiStatements = Object.fromEntries(
  Object.entries(SQL).map((
    [name, sql],
  ) => [name, ffiPrepare(lib, ffiDb, sql)]),
) as Record<keyof typeof SQL, Deno.PointerValue>;

function ffiText(stmt: Deno.PointerValue, i: number): string {
  // As bench/baselines.ts reads text (the data holds no NUL).
  return textAt(lib, stmt, i);
}

function ffiRows(
  name: keyof typeof SQL,
  bind?: (stmt: Deno.PointerValue) => void,
): unknown[] {
  const stmt = ffiStatements[name];
  lib.sqlite3_reset(stmt);
  bind?.(stmt);
  const rows: unknown[] = [];
  if (name === "countBy") {
    while (lib.sqlite3_step(stmt) === SQLITE_ROW) {
      rows.push({
        value: ffiText(stmt, 0),
        count: Number(lib.sqlite3_column_int64(stmt, 1)),
      });
    }
    return rows;
  }
  while (lib.sqlite3_step(stmt) === SQLITE_ROW) {
    rows.push(ffiPlace(lib, stmt));
  }
  return rows;
}

function bindText(stmt: Deno.PointerValue, i: number, value: string): void {
  const bytes = encoder.encode(value);
  lib.sqlite3_bind_text(stmt, i, bytes, bytes.length, SQLITE_TRANSIENT);
}

// ---------------------------------------------------------------------------
// Workloads: each runner answers the rows (checked equal before timing).
// ---------------------------------------------------------------------------

type Call = () => Promise<unknown[]> | unknown[];
interface Workload {
  name: string;
  calls: number;
  runners: Record<string, Call>;
}

const store = opened.store;
const workloads: Workload[] = [
  {
    name: "countBy",
    calls: 5,
    runners: {
      [OURS]: () => store.countBy("country", {}, { limit: 10 }),
      "raw node": () =>
        (nodeStatements.countBy.all() as { country: string; n: number }[])
          .map((row) => ({ value: row.country, count: row.n })),
      "raw ffi": () => ffiRows("countBy"),
    },
  },
  ...([
    ["page 1", "id", undefined],
    [`page ${DEEP}`, "id", deepId],
    ["name page 1", "name", undefined],
    [`name page ${DEEP}`, "name", deepName],
    ["country page 1", "country", undefined],
    [`country page ${DEEP}`, "country", deepCountry],
  ] as const).map(([name, orderBy, deep]): Workload => {
    // The hand-written queries: each a statement and its parameters
    // (the limit is bound last), run in turn until the page is full.
    const queries: [keyof typeof SQL, (string | number)[]][] =
      deep === undefined
        ? [[`${orderBy}First`, []]]
        : orderBy === "id"
        ? [["idDeep", [deep.last.id]]]
        : [
          [`${orderBy}Ties`, [deep.last[orderBy], deep.last.id]],
          [`${orderBy}Rest`, [deep.last[orderBy]]],
        ];
    const paged = async () =>
      (await store.page({}, {
        orderBy,
        limit: PAGE,
        after: deep?.token,
      })).rows;
    return {
      name,
      calls: 2000,
      runners: {
        [OURS]: paged,
        "raw node": () => {
          const rows: unknown[] = [];
          for (const [statement, params] of queries) {
            rows.push(
              ...nodeStatements[statement].all(
                ...params,
                PAGE - rows.length,
              ),
            );
            if (rows.length === PAGE) break;
          }
          return rows;
        },
        "raw ffi": () => {
          const rows: unknown[] = [];
          for (const [statement, params] of queries) {
            rows.push(...ffiRows(statement, (stmt) => {
              params.forEach((value, i) =>
                typeof value === "string"
                  ? bindText(stmt, i + 1, value)
                  : lib.sqlite3_bind_int64(stmt, i + 1, BigInt(value))
              );
              lib.sqlite3_bind_int64(
                stmt,
                params.length + 1,
                BigInt(PAGE - rows.length),
              );
            }));
            if (rows.length === PAGE) break;
          }
          return rows;
        },
      },
    };
  }),
];

// The same rows from every runner; a digest of them is printed.
let digest = 0x811c9dc5;
for (const workload of workloads) {
  const results = await Promise.all(
    Object.values(workload.runners).map(async (run) =>
      JSON.stringify((await run()).map((row) => ({ ...row as object })))
    ),
  );
  if (new Set(results).size !== 1) {
    throw new Error(`${workload.name}: the runners disagree`);
  }
  for (const char of results[0]!) {
    digest = Math.imul(digest ^ char.charCodeAt(0), 0x01000193);
  }
}

// Rotate the order each round, so no runner always goes first.
const times = await interleave(
  workloads.map((w) => ({
    name: w.name,
    calls: w.calls,
    runners: Object.entries(w.runners) as Runner<unknown>[],
  })),
  { rounds: ROUNDS, rotate: true },
);

await opened.db.close();
node.close();

if (args.values.json) {
  // The second process's answer: its store and raw node:sqlite cells.
  console.log(JSON.stringify(Object.fromEntries(
    workloads.map((w) => {
      const cells = times.get(w.name)!.stats;
      return [w.name, { store: cells.get(OURS), raw: cells.get("raw node") }];
    }),
  )));
  Deno.exit(0);
}

/** The node engine's cells, from a second process. */
async function nodeProcess(): Promise<
  Record<string, { store: Stats; raw: Stats }>
> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--rounds",
      String(ROUNDS),
      "--engine",
      "node",
      "--json",
    ],
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error("the node engine's process failed");
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!);
}
const nodeCells = await nodeProcess();

const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
const cellText = ({ min, median }: Stats) => `${us(min)} / ${us(median)}`;
console.log(
  `places: ${
    PLACE_COUNT.toLocaleString("en")
  } rows, ${ROUNDS} rounds, limit ${PAGE}; per call, min / median (rows digest ${
    (digest >>> 0).toString(16)
  }); store node from a second process, its ratio against raw node:sqlite timed there`,
);
console.log(
  "| workload | store ffi | raw node | raw ffi | store ffi ÷ faster raw (min, median) | store node | store node ÷ raw node (min, median) |",
);
console.log("|---|---|---|---|---|---|---|");
const firstPage = new Map<string, Stats>();
for (const workload of workloads) {
  const cell = (runner: string) => times.get(workload.name)!.stats.get(runner)!;
  const ours = cell("store ffi");
  const faster = fastest([cell("raw node"), cell("raw ffi")]);
  const theirs = nodeCells[workload.name]!;
  console.log(
    `| ${workload.name} | ${
      ["store ffi", "raw node", "raw ffi"].map((r) => cellText(cell(r)))
        .join(" | ")
    } | ${ratio(ours, faster)} | ${cellText(theirs.store)} | ${
      ratio(theirs.store, theirs.raw)
    } |`,
  );
  if (workload.name.endsWith("page 1")) {
    firstPage.set(workload.name.replace(" 1", ""), ours);
  } else if (workload.name.includes("page")) {
    const base = firstPage.get(workload.name.replace(` ${DEEP}`, ""))!;
    console.log(
      `|   ↳ store ffi, depth ${DEEP} ÷ depth 1 (min, median) | ${
        ratio(ours, base)
      } | | | | | |`,
    );
  }
}
console.log(
  `\nThe raw baselines fetch exactly ${PAGE} rows and stop; the store fetches one more row to know whether a next page exists, and writes the next page's token (order keys, checksum) from the last row.`,
);
