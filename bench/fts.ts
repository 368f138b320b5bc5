/**
 * Benchmark (not a test): full-text search through `Store.match()` against
 * the same hand-written SQL on raw `node:sqlite` and on a raw FFI loop over
 * the system libsqlite3, in one process, interleaved.
 *
 *   deno run -A bench/fts.ts [--rounds 7]
 *
 * The data: the shared synthetic places table (`_places.ts`, 1M rows) with
 * a search index over `name` and `altNames`, built once with `buildDataSet`
 * into `bench/.data/fts-places.sqlite`.
 *
 * Workloads, each a batch of queries, 20 best rows each, every column of
 * the model and the rank read into an object per row:
 * - `word`: 200 different whole words (a few rows each);
 * - `common`: `saint`, in about 1.4% of the rows (ranking ~14,000 matches),
 *   20 times;
 * - `prefix`: 100 three-letter prefixes, autocomplete style (`"bak"*`);
 * - `filtered`: the `word` queries with `country = 'AA'` as well.
 *
 * Times are per batch; min and median over the rounds; ratios against the
 * faster raw baseline.
 */
import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  DataSet,
  integer,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { placeRows } from "./_places.ts";
import { FFI_LIBRARY_CANDIDATES } from "./baselines.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "7" } },
});
const ROUNDS = Number(values.rounds);

const PATH = fileURLToPath(
  new URL("./.data/fts-places.sqlite", import.meta.url),
);

function declare(db: DataSet) {
  class Place extends db.Model("places", {
    id: integer({ primaryKey: true }),
    name: text(),
    altNames: text(),
    country: text(),
    population: integer(),
    lat: real(),
    lon: real(),
    featureClass: text(),
  }, { search: { columns: ["name", "altNames"] } }) {}
  return Place;
}

if (!existsSync(PATH)) {
  await Deno.mkdir(new URL("./.data/", import.meta.url), { recursive: true });
  const db = DataSet.create("fts_places");
  const Place = declare(db);
  const t0 = performance.now();
  await buildDataSet(db, PATH, (b) => b.loadRecords(Place, placeRows()));
  console.log(
    `built ${PATH} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

// The queries: whole words and prefixes taken from the rows themselves.
const words: string[] = [];
const prefixes: string[] = [];
for (const row of placeRows(5000)) {
  const word = row.name.split(/[ -]/).at(-1)!.toLowerCase();
  if (words.length < 200 && !words.includes(word)) words.push(word);
  const prefix = word.slice(0, 3);
  if (prefixes.length < 100 && !prefixes.includes(prefix)) {
    prefixes.push(prefix);
  }
}
const LIMIT = 20;

interface Workload {
  name: string;
  /** The text given to `Store.match()`. */
  texts: string[];
  prefix: boolean;
  country?: string;
}
const WORKLOADS: Workload[] = [
  { name: "word", texts: words, prefix: false },
  { name: "common", texts: Array(20).fill("saint"), prefix: false },
  { name: "prefix", texts: prefixes, prefix: true },
  { name: "filtered", texts: words, prefix: false, country: "AA" },
];
/** The FTS5 query `Store.match()` writes for a plain text. */
const ftsQuery = (text: string, prefix: boolean) =>
  `"${text.replaceAll('"', '""')}"${prefix ? "*" : ""}`;

// The hand-written SQL: what one writes for "the 20 best rows".
const COLUMNS =
  `p.id, p.name, p.altNames, p.country, p.population, p.lat, p.lon, p.featureClass`;
const HAND_SQL =
  `SELECT ${COLUMNS}, places_fts.rank FROM places_fts JOIN places p ON p.id = places_fts.rowid WHERE places_fts MATCH ? ORDER BY places_fts.rank, p.id LIMIT ${LIMIT}`;
const HAND_SQL_COUNTRY =
  `SELECT ${COLUMNS}, places_fts.rank FROM places_fts JOIN places p ON p.id = places_fts.rowid WHERE places_fts MATCH ? AND p.country = ? ORDER BY places_fts.rank, p.id LIMIT ${LIMIT}`;

/** A checksum of the rows read, so every runner is seen to agree. */
class Check {
  rows = 0;
  ids = 0;
  add(id: number) {
    this.rows++;
    this.ids = (this.ids + id * (this.rows % 7 + 1)) % 1_000_000_007;
  }
}

// --- the store ------------------------------------------------------------

function storeRunner(engine: "ffi" | "node") {
  const db = DataSet.create(`fts_bench_${engine}`, { engine });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: PATH } }));
  const store = new Store(declare(db));
  return async (w: Workload, check: Check) => {
    for (const text of w.texts) {
      const rows = store.match(text, {
        limit: LIMIT,
        prefix: w.prefix,
        ...(w.country === undefined ? {} : { filter: { country: w.country } }),
      });
      for await (const row of rows) check.add(row.id);
    }
  };
}

// --- raw node:sqlite ------------------------------------------------------

function nodeRunner() {
  const db = new DatabaseSync(PATH, { readOnly: true });
  const plain = db.prepare(HAND_SQL);
  const country = db.prepare(HAND_SQL_COUNTRY);
  return (w: Workload, check: Check) => {
    for (const text of w.texts) {
      const query = ftsQuery(text, w.prefix);
      const rows = w.country === undefined
        ? plain.all(query)
        : country.all(query, w.country);
      for (const row of rows) check.add(row.id as number);
    }
    return Promise.resolve();
  };
}

// --- raw FFI --------------------------------------------------------------

const SYMBOLS = {
  sqlite3_open_v2: {
    parameters: ["buffer", "buffer", "i32", "pointer"], // name, **db, flags, vfs
    result: "i32",
  },
  sqlite3_prepare_v3: {
    // db, sql, bytes, flags, **stmt, **tail
    parameters: ["pointer", "buffer", "i32", "u32", "buffer", "pointer"],
    result: "i32",
  },
  sqlite3_bind_text: {
    // stmt, index, text, bytes, destructor
    parameters: ["pointer", "i32", "buffer", "i32", "pointer"],
    result: "i32",
  },
  sqlite3_step: { parameters: ["pointer"], result: "i32" },
  sqlite3_reset: { parameters: ["pointer"], result: "i32" },
  sqlite3_column_int64: { parameters: ["pointer", "i32"], result: "i64" },
  sqlite3_column_double: { parameters: ["pointer", "i32"], result: "f64" },
  sqlite3_column_text: { parameters: ["pointer", "i32"], result: "pointer" },
  sqlite3_errmsg: { parameters: ["pointer"], result: "pointer" },
} as const;

function ffiRunner() {
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | undefined;
  for (const name of FFI_LIBRARY_CANDIDATES) {
    try {
      lib = Deno.dlopen(name, SYMBOLS).symbols;
      break;
    } catch {
      // the next candidate
    }
  }
  if (lib === undefined) throw new Error("cannot load libsqlite3");
  const encoder = new TextEncoder();
  const out = new BigUint64Array(1);
  // SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
  if (
    lib.sqlite3_open_v2(
      encoder.encode(`file:${encodeURI(PATH)}?mode=ro&immutable=1\0`),
      out,
      0x01 | 0x40,
      null,
    ) !== 0
  ) throw new Error("cannot open");
  const db = Deno.UnsafePointer.create(out[0]!);
  const prepare = (sql: string) => {
    // SQLITE_PREPARE_PERSISTENT
    if (
      lib.sqlite3_prepare_v3(
        db,
        encoder.encode(`${sql}\0`),
        -1,
        1,
        out,
        null,
      ) !==
        0
    ) {
      throw new Error(
        Deno.UnsafePointerView.getCString(lib.sqlite3_errmsg(db)!),
      );
    }
    return Deno.UnsafePointer.create(out[0]!);
  };
  const plain = prepare(HAND_SQL);
  const country = prepare(HAND_SQL_COUNTRY);
  const textAt = (stmt: Deno.PointerValue, i: number) => {
    const p = lib.sqlite3_column_text(stmt, i);
    return p === null ? "" : Deno.UnsafePointerView.getCString(p);
  };
  return (w: Workload, check: Check) => {
    const stmt = w.country === undefined ? plain : country;
    for (const text of w.texts) {
      const query = encoder.encode(ftsQuery(text, w.prefix));
      // SQLITE_STATIC (null): the buffers outlive the step loop.
      lib.sqlite3_bind_text(stmt, 1, query, query.length, null);
      if (w.country !== undefined) {
        const code = encoder.encode(w.country);
        lib.sqlite3_bind_text(stmt, 2, code, code.length, null);
      }
      while (lib.sqlite3_step(stmt) === 100) {
        const row = {
          id: Number(lib.sqlite3_column_int64(stmt, 0)),
          name: textAt(stmt, 1),
          altNames: textAt(stmt, 2),
          country: textAt(stmt, 3),
          population: Number(lib.sqlite3_column_int64(stmt, 4)),
          lat: lib.sqlite3_column_double(stmt, 5),
          lon: lib.sqlite3_column_double(stmt, 6),
          featureClass: textAt(stmt, 7),
          rank: lib.sqlite3_column_double(stmt, 8),
        };
        check.add(row.id);
      }
      lib.sqlite3_reset(stmt);
    }
    return Promise.resolve();
  };
}

// --- the run --------------------------------------------------------------

const runners: [string, (w: Workload, check: Check) => Promise<void>][] = [
  ["store (ffi)", storeRunner("ffi")],
  ["store (node)", storeRunner("node")],
  ["raw node:sqlite", nodeRunner()],
  ["raw FFI loop", ffiRunner()],
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

console.log(
  `full-text search, ${ROUNDS} rounds, interleaved; ms per batch (min / median)`,
);
console.log(
  "| workload | queries | rows | " +
    runners.map(([name]) => name).join(" | ") +
    " | store ffi / best raw (min, median) |",
);
console.log(`|---|---|---|${runners.map(() => "---|").join("")}---|`);
for (const w of WORKLOADS) {
  const times = runners.map(() => [] as number[]);
  let reference: string | undefined;
  // A warm-up round, then the timed ones, the runners in turn.
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [i, [name, run]] of runners.entries()) {
      const check = new Check();
      const t0 = performance.now();
      await run(w, check);
      const ms = performance.now() - t0;
      const sum = `${check.rows}:${check.ids}`;
      reference ??= sum;
      if (sum !== reference) {
        throw new Error(
          `${name} read other rows on ${w.name}: ${sum} vs ${reference}`,
        );
      }
      if (round > 0) times[i]!.push(ms);
    }
  }
  const mins = times.map((t) => Math.min(...t));
  const medians = times.map(median);
  const bestRawMin = Math.min(mins[2]!, mins[3]!);
  const bestRawMedian = Math.min(medians[2]!, medians[3]!);
  console.log(
    `| ${w.name} | ${w.texts.length} | ${reference!.split(":")[0]} | ${
      mins.map((m, i) => `${m.toFixed(1)} / ${medians[i]!.toFixed(1)}`).join(
        " | ",
      )
    } | ${(mins[0]! / bestRawMin).toFixed(2)}× / ${
      (medians[0]! / bestRawMedian).toFixed(2)
    }× |`,
  );
}
