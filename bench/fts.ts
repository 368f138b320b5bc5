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
import { DataSet, SQLiteBindFactory, Store } from "../mod.ts";
import {
  ensurePlacesFile,
  ffiPlace,
  placeColumns,
  placeRows,
} from "./_places.ts";
import { fastest, interleave, ratio, type Runner } from "./_rounds.ts";
import {
  ffiOpen,
  ffiPrepare,
  loadFfi,
  openNodeSqlite,
  SQLITE_ROW,
} from "./baselines.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "7" } },
});
const ROUNDS = Number(values.rounds);

function declare(db: DataSet) {
  class Place extends db.Model("places", placeColumns(), {
    search: { columns: ["name", "altNames"] },
  }) {}
  return Place;
}

const PATH = await ensurePlacesFile("fts-places.sqlite", declare);

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
  const db = openNodeSqlite(PATH, "readonly");
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

function ffiRunner() {
  const lib = loadFfi();
  const encoder = new TextEncoder();
  const db = ffiOpen(lib, PATH, { mmap: false, noMutex: false });
  // SQLITE_PREPARE_PERSISTENT
  const prepare = (sql: string) => ffiPrepare(lib, db, sql, 1);
  const plain = prepare(HAND_SQL);
  const country = prepare(HAND_SQL_COUNTRY);
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
      while (lib.sqlite3_step(stmt) === SQLITE_ROW) {
        const row = ffiPlace(lib, stmt);
        // Read, as the store reads it, though only the ids are summed.
        const _rank = lib.sqlite3_column_double(stmt, 8);
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

console.log(
  `full-text search, ${ROUNDS} rounds, interleaved; ms per batch (min / median)`,
);
console.log(
  "| workload | queries | rows | checksum | " +
    runners.map(([name]) => name).join(" | ") +
    " | store ffi / best raw (min, median) |",
);
console.log(`|---|---|---|---|${runners.map(() => "---|").join("")}---|`);
for (const w of WORKLOADS) {
  // A warm-up round, then the timed ones, the runners in turn.
  const group = {
    name: w.name,
    runners: runners.map(([name, run]): Runner<Check> => [name, async () => {
      const check = new Check();
      await run(w, check);
      return check;
    }]),
  };
  const { stats, checksum } = (await interleave([group], {
    rounds: ROUNDS,
    warmUp: true,
    checksum: (check) => `${check.rows}:${check.ids}`,
  })).get(w.name)!;
  const [ours, , ...raw] = [...stats.values()];
  console.log(
    `| ${w.name} | ${w.texts.length} | ${checksum!.split(":")[0]} | ${
      checksum!.split(":")[1]
    } | ${
      [...stats.values()].map((s) =>
        `${s.min.toFixed(1)} / ${s.median.toFixed(1)}`
      ).join(" | ")
    } | ${ratio(ours!, fastest(raw))} |`,
  );
}
