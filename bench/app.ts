/**
 * Issue 15's benchmark: the library as a real application uses it, against
 * `@db/sqlite` (imported from a local checkout, see `_db_sqlite.ts`) and raw
 * `node:sqlite`, with the issue's targets beside each ratio:
 *
 * - Northwind (`_northwind.ts`): a full `search()` of `Order Details`
 *   (composite key) with no `orderBy` vs `@db/sqlite` `iter()`; the rows of
 *   `Orders` and `Order Details` through `dataset.sql` vs `all()`;
 * - the 1M-row scan after ten models over the ten Northwind tables were
 *   queried as an app would, vs the same scan in a process with one model
 *   (fresh processes, alternating);
 * - the 1M scan vs `iter()`, 10k point lookups vs `get()` (also from 50
 *   concurrent tasks), 10k pages of 20 rows from 50 concurrent tasks vs
 *   the same pages one after another;
 * - the node engine vs raw `node:sqlite` (`iterate()`, `get()`, `all()`);
 * - anonymous memory (RssAnon) growth while streaming 1M, 5M and 10M rows,
 *   with file-backed RSS (RssFile) beside it;
 * - cold start (`cold_start.ts`).
 *
 * One library engine per process, as in an application; each process runs
 * its runners interleaved, round after round, and reports min and median.
 *
 *   deno run -A bench/app.ts [--runs=5] [--db-sqlite=/work/ext/db-sqlite]
 *
 * `deno task bench` runs it after `run.ts`'s table, into `bench/RESULTS.md`.
 * Without a checkout (`--db-sqlite` or `DB_SQLITE_CHECKOUT`) the
 * `@db/sqlite` column is skipped, and the report says so.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { EngineName } from "../src/_engine.ts";
import { DataSet, SQLiteBindFactory, Store } from "../mod.ts";
import { ensureBenchData } from "./_data.ts";
import { ensureRows } from "./_big.ts";
import { openBench } from "./_library.ts";
import { declareNorthwind, ensureNorthwind } from "./_northwind.ts";
import {
  type GroupTimes,
  interleave,
  type RoundGroup,
  type Stats,
  stats,
} from "./_rounds.ts";
import { DB_SQLITE_MAP, dbSqliteCheckout, dbSqliteEnv } from "./_db_sqlite.ts";
import { lookupIds, MMAP_SIZE } from "./baselines.ts";
import { coldStart, coldStartLines } from "./cold_start.ts";

/** Point lookups per timing. */
const LOOKUPS = 10_000;
/** Pages per timing, of {@link PAGE_ROWS} rows, over {@link TASKS} tasks. */
const PAGES = 10_000;
const PAGE_ROWS = 20;
/** Concurrent tasks of the concurrent workloads. */
const TASKS = 50;
/** Rows streamed by the memory workload. */
const MEMORY_ROWS = [1_000_000, 5_000_000, 10_000_000];

const SELF = fileURLToPath(import.meta.url);

/** The `@db/sqlite` API this benchmark calls. */
interface DbSqlite {
  Database: new (path: string, options: { readonly: boolean }) => {
    exec(sql: string): unknown;
    prepare(sql: string): {
      iter(...params: unknown[]): IterableIterator<Record<string, unknown>>;
      all(...params: unknown[]): Record<string, unknown>[];
      get(...params: unknown[]): Record<string, unknown> | undefined;
    };
    close(): void;
  };
}

/** Opens a file with `@db/sqlite` the fastest way for read-only data. */
async function openDbSqlite(checkout: string, path: string) {
  const lib = await import(`${checkout}/mod.ts`) as DbSqlite;
  const db = new lib.Database(path, { readonly: true });
  db.exec(`pragma mmap_size = ${MMAP_SIZE}`);
  db.exec("pragma locking_mode = exclusive");
  return db;
}

/** Opens a file with raw `node:sqlite` the fastest way for read-only data. */
function openNode(path: string): DatabaseSync {
  const db = new DatabaseSync(path, { readOnly: true });
  db.exec(`pragma mmap_size = ${MMAP_SIZE}`);
  db.exec("pragma locking_mode = exclusive");
  return db;
}

/** Rows, and sums every reader of the same rows agrees on. */
class Sum {
  rows = 0;
  a = 0;
  b = 0;
  add(a: unknown, b: unknown): void {
    this.rows++;
    this.a += a as number;
    this.b += typeof b === "string" ? b.length : b as number;
  }
  toString(): string {
    return `${this.rows}:${this.a}:${this.b}`;
  }
}

/** The 50 tasks' page walks: task i pages on from id i × 4000 (one run). */
function pageStarts(): number[] {
  const perTask = PAGES / TASKS;
  return Array.from({ length: TASKS }, (_, i) => i * perTask * PAGE_ROWS);
}

// ---------------------------------------------------------------------------
// Child phases: each prints `{ groups: { name: { runner: Stats } } }`.

type Phase = "ffi-t" | "ffi-nw" | "node-t" | "node-nw";

async function tPhase(
  engine: EngineName,
  runs: number,
  checkout: string | undefined,
): Promise<Map<string, GroupTimes>> {
  const path = await ensureBenchData();
  const { db, store } = openBench(path, engine);
  await db.open();
  // The same store with the file mapped as the baselines map it: the
  // lookups' "same map" rows (random rows of a 50 MB file miss the 2 MiB
  // page cache, so unmapped each is a read() the mapped baselines skip).
  const mapped = openBench(path, engine, MMAP_SIZE);
  await mapped.db.open();
  const ids = [...lookupIds(LOOKUPS)];
  const starts = pageStarts();
  const walk = async (start: number, sum: Sum) => {
    let after: string | undefined;
    for (let p = 0; p < PAGES / TASKS; p++) {
      const page = await store.page(
        { id: { gt: start } },
        after === undefined
          ? { limit: PAGE_ROWS }
          : { limit: PAGE_ROWS, after },
      );
      for (const row of page.rows) sum.add(row.id, row.name);
      after = page.next;
    }
  };
  const ours = `ours ${engine}`;
  const lookupsOf = (from: typeof store) => async () => {
    const sum = new Sum();
    for (const id of ids) {
      const row = await from.retrieve(id);
      sum.add(row.id, row.name);
    }
    return `${sum}`;
  };
  const lookupTasksOf = (from: typeof store) => async () => {
    const sums = Array.from({ length: TASKS }, () => new Sum());
    const per = LOOKUPS / TASKS;
    await Promise.all(sums.map(async (sum, t) => {
      for (let i = t * per; i < (t + 1) * per; i++) {
        const row = await from.retrieve(ids[i]!);
        sum.add(row.id, row.name);
      }
    }));
    return totals(sums);
  };
  const groups: RoundGroup<string>[] = [
    {
      name: "scan",
      runners: [[`${ours} search()`, async () => {
        const sum = new Sum();
        for await (const row of store.search()) sum.add(row.id, row.name);
        return `${sum}`;
      }]],
    },
    {
      // The lookups from 50 tasks in the same rounds as the sequential
      // ones, against the same baseline timings: timed in a group of
      // their own, the baseline's second set of timings differed from the
      // first by up to 8 % (the same code), which read as a cost of the
      // 50 tasks that the same connection does not show.
      name: "lookups",
      runners: [
        [`${ours} retrieve()`, lookupsOf(store)],
        [`${ours} retrieve(), mmapSize`, lookupsOf(mapped.store)],
        [`${ours} retrieve(), 50 tasks`, lookupTasksOf(store)],
        [
          `${ours} retrieve(), 50 tasks, mmapSize`,
          lookupTasksOf(mapped.store),
        ],
      ],
    },
    {
      name: "pages",
      runners: [
        [`${ours} page() sequential`, async () => {
          const sums = starts.map(() => new Sum());
          for (let t = 0; t < TASKS; t++) await walk(starts[t]!, sums[t]!);
          return totals(sums);
        }],
        [`${ours} page(), 50 tasks`, async () => {
          const sums = starts.map(() => new Sum());
          await Promise.all(starts.map((start, t) => walk(start, sums[t]!)));
          return totals(sums);
        }],
      ],
    },
  ];
  if (engine === "node") {
    const raw = openNode(path);
    const scan = raw.prepare("select id, name, category, value from t");
    const get = raw.prepare(
      "select id, name, category, value from t where id = ?",
    );
    const page = raw.prepare(
      "select id, name, category, value from t where id > ? order by id limit ?",
    );
    groups[0]!.runners = [...groups[0]!.runners, [
      "node:sqlite iterate()",
      () => {
        const sum = new Sum();
        for (const row of scan.iterate() as Iterable<Row>) {
          sum.add(row.id, row.name);
        }
        return `${sum}`;
      },
    ]];
    groups[1]!.runners = [...groups[1]!.runners, [
      "node:sqlite get()",
      () => {
        const sum = new Sum();
        for (const id of ids) {
          const row = get.get(id) as unknown as Row;
          sum.add(row.id, row.name);
        }
        return `${sum}`;
      },
    ]];
    groups[2]!.runners = [...groups[2]!.runners, [
      "node:sqlite all()",
      () =>
        rawPages(
          starts,
          (from) => page.all(from, PAGE_ROWS) as unknown as Row[],
        ),
    ]];
  } else if (checkout !== undefined) {
    const peer = await openDbSqlite(checkout, path);
    const scan = peer.prepare("select id, name, category, value from t");
    const get = peer.prepare(
      "select id, name, category, value from t where id = ?",
    );
    const page = peer.prepare(
      "select id, name, category, value from t where id > ? order by id limit ?",
    );
    const lookups = () => {
      const sum = new Sum();
      for (const id of ids) {
        const row = get.get(id) as unknown as Row;
        sum.add(row.id, row.name);
      }
      return `${sum}`;
    };
    groups[0]!.runners = [...groups[0]!.runners, ["@db/sqlite iter()", () => {
      const sum = new Sum();
      for (const row of scan.iter() as Iterable<Row>) sum.add(row.id, row.name);
      return `${sum}`;
    }]];
    groups[1]!.runners = [...groups[1]!.runners, ["@db/sqlite get()", lookups]];
    groups[2]!.runners = [...groups[2]!.runners, [
      "@db/sqlite all()",
      () =>
        rawPages(
          starts,
          (from) => page.all(from, PAGE_ROWS) as unknown as Row[],
        ),
    ]];
  }
  return await interleave(groups, {
    rounds: runs,
    warmUp: true,
    rotate: true,
    checksum: (sum) => sum,
  });
}

interface Row {
  id: number;
  name: string;
}

/** Sums of every task, as one checksum. */
function totals(sums: Sum[]): string {
  const all = new Sum();
  for (const sum of sums) {
    all.rows += sum.rows;
    all.a += sum.a;
    all.b += sum.b;
  }
  return `${all}`;
}

/** The same page walks through a raw `id > ? limit ?` query. */
function rawPages(starts: number[], read: (after: number) => Row[]): string {
  const sums = starts.map(() => new Sum());
  for (let t = 0; t < starts.length; t++) {
    let after = starts[t]!;
    for (let p = 0; p < PAGES / TASKS; p++) {
      const rows = read(after);
      for (const row of rows) sums[t]!.add(row.id, row.name);
      after = rows[rows.length - 1]!.id;
    }
  }
  return totals(sums);
}

async function northwindPhase(
  engine: EngineName,
  runs: number,
  checkout: string | undefined,
): Promise<Map<string, GroupTimes>> {
  const path = await ensureNorthwind();
  const db = DataSet.create(`nw_${engine}`, { engine });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const { OrderDetail } = declareNorthwind(db);
  const details = new Store(OrderDetail);
  await db.open();
  const ours = `ours ${engine}`;
  const detailSum = (sum: Sum, row: Record<string, unknown>) =>
    sum.add(row.OrderID, row.Quantity);
  const groups: RoundGroup<string>[] = [
    {
      name: "Order Details search()",
      runners: [[`${ours} search()`, async () => {
        const sum = new Sum();
        for await (const row of details.search()) {
          sum.add(row.OrderID, row.Quantity);
        }
        return `${sum}`;
      }]],
    },
    {
      name: "Order Details sql",
      runners: [[`${ours} dataset.sql`, async () => {
        const sum = new Sum();
        for await (const row of db.sql`SELECT * FROM "Order Details"`) {
          detailSum(sum, row);
        }
        return `${sum}`;
      }]],
    },
    {
      name: "Orders sql",
      runners: [[`${ours} dataset.sql`, async () => {
        const sum = new Sum();
        for await (const row of db.sql`SELECT * FROM "Orders"`) {
          sum.add(row.OrderID, row.ShipName);
        }
        return `${sum}`;
      }]],
    },
  ];
  type Reader = {
    iter?: () => Iterable<Record<string, unknown>>;
    all: () => Record<string, unknown>[];
  };
  let peer: { name: string; details: Reader; ordered: Reader; orders: Reader };
  if (engine === "node") {
    const raw = openNode(path);
    const reader = (stmt: StatementSync): Reader => ({
      iter: () => stmt.iterate() as Iterable<Record<string, unknown>>,
      all: () => stmt.all() as Record<string, unknown>[],
    });
    peer = {
      name: "node:sqlite",
      details: reader(raw.prepare(`SELECT * FROM "Order Details"`)),
      ordered: reader(
        raw.prepare(
          `SELECT * FROM "Order Details" ORDER BY OrderID, ProductID`,
        ),
      ),
      orders: reader(raw.prepare(`SELECT * FROM "Orders"`)),
    };
  } else if (checkout !== undefined) {
    const raw = await openDbSqlite(checkout, path);
    const reader = (sql: string): Reader => {
      const stmt = raw.prepare(sql);
      return { iter: () => stmt.iter(), all: () => stmt.all() };
    };
    peer = {
      name: "@db/sqlite",
      details: reader(`SELECT * FROM "Order Details"`),
      ordered: reader(
        `SELECT * FROM "Order Details" ORDER BY OrderID, ProductID`,
      ),
      orders: reader(`SELECT * FROM "Orders"`),
    };
  } else {
    return await interleave(groups, {
      rounds: runs,
      warmUp: true,
      rotate: true,
      checksum: (s) => s,
    });
  }
  const iterate = engine === "node" ? "iterate()" : "iter()";
  groups[0]!.runners = [
    ...groups[0]!.runners,
    [`${peer.name} ${iterate}`, () => {
      const sum = new Sum();
      for (const row of peer.details.iter!()) detailSum(sum, row);
      return `${sum}`;
    }],
    [`${peer.name} ${iterate} ORDER BY key`, () => {
      const sum = new Sum();
      for (const row of peer.ordered.iter!()) detailSum(sum, row);
      return `${sum}`;
    }],
  ];
  groups[1]!.runners = [...groups[1]!.runners, [`${peer.name} all()`, () => {
    const sum = new Sum();
    for (const row of peer.details.all()) detailSum(sum, row);
    return `${sum}`;
  }]];
  groups[2]!.runners = [...groups[2]!.runners, [`${peer.name} all()`, () => {
    const sum = new Sum();
    for (const row of peer.orders.all()) sum.add(row.OrderID, row.ShipName);
    return `${sum}`;
  }]];
  if (engine === "node") {
    // node:sqlite streams only through iterate(): the baseline for a
    // streaming read on that engine, timed beside all().
    groups[1]!.runners = [...groups[1]!.runners, [
      `${peer.name} ${iterate}`,
      () => {
        const sum = new Sum();
        for (const row of peer.details.iter!()) detailSum(sum, row);
        return `${sum}`;
      },
    ]];
    groups[2]!.runners = [...groups[2]!.runners, [
      `${peer.name} ${iterate}`,
      () => {
        const sum = new Sum();
        for (const row of peer.orders.iter!()) {
          sum.add(row.OrderID, row.ShipName);
        }
        return `${sum}`;
      },
    ]];
  }
  return await interleave(groups, {
    rounds: runs,
    warmUp: true,
    rotate: true,
    checksum: (s) => s,
  });
}

/**
 * One process of the multi-model workload: `models` 1 scans the 1M table
 * through its one model; 10 first declares the ten Northwind models and
 * queries each as an app would (a lookup, a filtered search, a page, a
 * count), then scans. Prints the scan times (after one untimed scan).
 */
async function multiPhase(models: 1 | 10, scans: number): Promise<number[]> {
  const { db, store } = openBench(await ensureBenchData(), "ffi");
  if (models === 10) {
    const nw = DataSet.create("nw_multi", { engine: "ffi" });
    nw.bind(
      new SQLiteBindFactory({ paths: { nw_multi: await ensureNorthwind() } }),
    );
    const m = declareNorthwind(nw);
    await new Store(m.Category).retrieve(1);
    await new Store(m.Customer).page({}, { limit: 20 });
    await new Store(m.Employee).retrieve(2);
    for await (const _ of new Store(m.Order).search({ EmployeeID: 3 })) {
      // An app lists a few hundred orders of one employee.
    }
    for await (const _ of new Store(m.OrderDetail).search({ OrderID: 10300 })) {
      // And the lines of one order.
    }
    for await (const _ of new Store(m.Product).search({ CategoryID: 2 })) {
      // And the products of one category.
    }
    await new Store(m.Region).count();
    await new Store(m.Shipper).retrieve(1);
    for await (const _ of new Store(m.Supplier).search({ Country: "UK" })) {
      // And the suppliers of one country.
    }
    await new Store(m.Territory).page({}, { limit: 20 });
    await nw.close();
  }
  const times: number[] = [];
  for (let i = -1; i < scans; i++) {
    const t0 = performance.now();
    let rows = 0;
    for await (const _row of store.search()) rows++;
    if (i >= 0) times.push(performance.now() - t0);
  }
  await db.close();
  return times;
}

/** /proc/self/status fields, in KiB. */
function status(): { anon: number; file: number } {
  const text = Deno.readTextFileSync("/proc/self/status");
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { anon: field("RssAnon"), file: field("RssFile") };
}

/**
 * One process of the memory workload: streams every row of a file of
 * `count` rows, through the library on `engine` or raw `iterate()`,
 * sampling RssAnon and RssFile every 4096 rows. Prints growth of RssAnon
 * over the value after the first row, and the peak RssFile, in MiB.
 */
async function memoryPhase(
  subject: "ffi" | "node" | "node:sqlite",
  count: number,
): Promise<{ anonGrowthMiB: number; filePeakMiB: number; rows: number }> {
  const path = await ensureRows(count);
  let base: number | undefined;
  let peakAnon = 0;
  let peakFile = 0;
  let rows = 0;
  const sample = () => {
    const now = status();
    base ??= now.anon;
    peakAnon = Math.max(peakAnon, now.anon);
    peakFile = Math.max(peakFile, now.file);
  };
  if (subject === "node:sqlite") {
    const db = new DatabaseSync(path, { readOnly: true });
    const stmt = db.prepare("select id, name, category, value from t");
    for (const _row of stmt.iterate()) {
      if ((rows++ & 4095) === 0) sample();
    }
    db.close();
  } else {
    const { db, store } = openBench(path, subject);
    for await (const _row of store.search()) {
      if ((rows++ & 4095) === 0) sample();
    }
    await db.close();
  }
  sample();
  return {
    anonGrowthMiB: (peakAnon - base!) / 1024,
    filePeakMiB: peakFile / 1024,
    rows,
  };
}

// ---------------------------------------------------------------------------
// The parent: runs the phases and writes the report.

async function child(args: string[], peer: boolean): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-check",
      ...(peer ? [`--import-map=${DB_SQLITE_MAP}`] : []),
      // All: the memory phase reads /proc/self/status.
      "--allow-all",
      SELF,
      ...args,
    ],
    env: peer ? dbSqliteEnv() : {},
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`Cannot run ${args.join(" ")}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

type Times = Record<string, Record<string, Stats>>;

function serialize(times: Map<string, GroupTimes>): Times {
  return Object.fromEntries(
    [...times].map(([group, t]) => [group, Object.fromEntries(t.stats)]),
  );
}

/** Options of {@link appBench}. */
export interface AppBenchOptions {
  /** Interleaved rounds per process. */
  runs: number;
  /** The `@db/sqlite` checkout, or undefined to skip that column. */
  dbSqlite: string | undefined;
}

/**
 * Runs every workload of issue 15 and returns the report.
 * @param options Rounds and the `@db/sqlite` checkout.
 * @returns Markdown lines.
 */
export async function appBench(options: AppBenchOptions): Promise<string[]> {
  const { runs, dbSqlite } = options;
  await ensureBenchData();
  await ensureNorthwind();
  for (const count of MEMORY_ROWS) await ensureRows(count);
  const peerArgs = dbSqlite === undefined ? [] : [`--db-sqlite=${dbSqlite}`];
  const phase = async (name: Phase) =>
    await child(
      [`--phase=${name}`, `--runs=${runs}`, ...peerArgs],
      name.startsWith("ffi") && dbSqlite !== undefined,
    ) as Times;
  const ffiT = await phase("ffi-t");
  const ffiNw = await phase("ffi-nw");
  const nodeT = await phase("node-t");
  const nodeNw = await phase("node-nw");

  // Multi-model: fresh processes, alternating, 3 scans each. A scan's time
  // varies more between processes than within one (the same code on both
  // sides gave ratios of 1.02-1.08 over 6 pairs), so this phase runs twice
  // as many processes as there are rounds, and at least 10 a side.
  const one: number[] = [];
  const ten: number[] = [];
  const multiProcesses = Math.max(runs * 2, 10);
  for (let r = 0; r < multiProcesses; r++) {
    for (const models of r % 2 === 0 ? [1, 10] : [10, 1]) {
      const times = await child(
        ["--phase=multi", `--models=${models}`],
        false,
      ) as number[];
      (models === 1 ? one : ten).push(...times);
    }
  }

  const memory: Record<string, { anonGrowthMiB: number; filePeakMiB: number }> =
    {};
  for (const count of MEMORY_ROWS) {
    for (const subject of ["ffi", "node", "node:sqlite"]) {
      memory[`${subject}/${count}`] = await child(
        ["--phase=memory", `--subject=${subject}`, `--rows=${count}`],
        false,
      ) as { anonGrowthMiB: number; filePeakMiB: number };
    }
  }

  const cold = await coldStart({ runs: Math.max(runs * 3, 10), dbSqlite });

  // Report.
  const lines: string[] = [];
  const fmt = (s: Stats | undefined) =>
    s === undefined ? "n/a" : `${s.min.toFixed(1)} / ${s.median.toFixed(1)}`;
  const against = (
    ours: Stats | undefined,
    base: Stats | undefined,
    target: number,
  ) => {
    if (ours === undefined || base === undefined) return "n/a (skipped)";
    const min = ours.min / base.min;
    const median = ours.median / base.median;
    // Met only when the min and the median both are: on a shared machine
    // one of them alone can fall within the target by noise.
    return `${min.toFixed(2)}× / ${median.toFixed(2)}× (≤ ${target}×: ${
      min <= target && median <= target ? "met" : "MISSED"
    })`;
  };
  const row = (
    label: string,
    ours: Stats | undefined,
    baseName: string,
    base: Stats | undefined,
    target: number,
  ) =>
    lines.push(
      `| ${label} | ${fmt(ours)} | ${baseName} | ${fmt(base)} | ${
        against(ours, base, target)
      } |`,
    );
  // A comparison the issue sets no target for, shown for reference.
  const info = (
    label: string,
    ours: Stats | undefined,
    baseName: string,
    base: Stats | undefined,
    why = "all rows in one array, not streamed; for reference",
  ) =>
    lines.push(
      `| ${label} | ${fmt(ours)} | ${baseName} (${why}) | ${fmt(base)} | ${
        ours === undefined || base === undefined
          ? "n/a (skipped)"
          : `${(ours.min / base.min).toFixed(2)}× / ${
            (ours.median / base.median).toFixed(2)
          }× (no target)`
      } |`,
    );
  // Issue 15's lookup figures compare the libraries "configured at their
  // fastest for read-only files": the library maps only with mmapSize.
  const UNMAPPED =
    "mapped; ours unmapped, the library's default since issue 11: the issue's lookup figures compare each configured at its fastest, the `mmapSize` rows";
  const peer = dbSqlite === undefined ? undefined : "@db/sqlite";
  lines.push(
    `## Issue 15: an application's workloads`,
    ``,
    `Times in ms, min / median of ${runs} interleaved rounds (after one untimed round) in one process ` +
      `per library engine; ratios are ours / baseline, min / median, a target met only when both are within it. ` +
      `Baselines opened read-only with mmap and exclusive locking; the library at its defaults ` +
      `(immutable, no memory map), except the rows marked \`mmapSize\`, whose store maps the file as the baselines do. ${
        peer === undefined
          ? "**@db/sqlite skipped**: no checkout given (`--db-sqlite=<path>` or `DB_SQLITE_CHECKOUT`)."
          : `@db/sqlite 0.13 from the checkout ${dbSqlite}, on the system SQLite (DENO_SQLITE_PATH).`
      } Northwind: 16,000 orders, 595,985 order details (composite key), built by \`buildDataSet\` (STRICT, ANALYZE).`,
    ``,
    `| workload | ours | baseline | baseline time | ratio (target) |`,
    `|---|---|---|---|---|`,
  );
  const g = (times: Times, group: string, runner: string) =>
    times[group]?.[runner];
  row(
    "Order Details, full `search()`, no orderBy (ffi)",
    g(ffiNw, "Order Details search()", "ours ffi search()"),
    "@db/sqlite iter()",
    g(ffiNw, "Order Details search()", "@db/sqlite iter()"),
    1.15,
  );
  row(
    "Order Details, `dataset.sql` rows (ffi)",
    g(ffiNw, "Order Details sql", "ours ffi dataset.sql"),
    "@db/sqlite all()",
    g(ffiNw, "Order Details sql", "@db/sqlite all()"),
    1.2,
  );
  row(
    "Orders, `dataset.sql` rows (ffi)",
    g(ffiNw, "Orders sql", "ours ffi dataset.sql"),
    "@db/sqlite all()",
    g(ffiNw, "Orders sql", "@db/sqlite all()"),
    1.2,
  );
  const oneStats = stats(one);
  const tenStats = stats(ten);
  lines.push(
    `| 1M scan after 10 models were queried (ffi; ${ten.length} scans in ${multiProcesses} fresh processes, alternating with one-model ones) | ${
      fmt(tenStats)
    } | same scan, one model | ${fmt(oneStats)} | ${
      against(tenStats, oneStats, 1.1)
    } |`,
  );
  row(
    "1M scan, `search()` (ffi)",
    g(ffiT, "scan", "ours ffi search()"),
    "@db/sqlite iter()",
    g(ffiT, "scan", "@db/sqlite iter()"),
    0.9,
  );
  info(
    "10k `retrieve(id)` (ffi)",
    g(ffiT, "lookups", "ours ffi retrieve()"),
    "@db/sqlite get()",
    g(ffiT, "lookups", "@db/sqlite get()"),
    UNMAPPED,
  );
  info(
    "10k `retrieve(id)` from 50 tasks (ffi)",
    g(ffiT, "lookups", "ours ffi retrieve(), 50 tasks"),
    "@db/sqlite get()",
    g(ffiT, "lookups", "@db/sqlite get()"),
    UNMAPPED,
  );
  row(
    "10k `retrieve(id)` (ffi, `mmapSize` as the baseline maps)",
    g(ffiT, "lookups", "ours ffi retrieve(), mmapSize"),
    "@db/sqlite get()",
    g(ffiT, "lookups", "@db/sqlite get()"),
    0.95,
  );
  row(
    "10k `retrieve(id)` from 50 tasks (ffi, `mmapSize`)",
    g(ffiT, "lookups", "ours ffi retrieve(), 50 tasks, mmapSize"),
    "@db/sqlite get()",
    g(ffiT, "lookups", "@db/sqlite get()"),
    0.95,
  );
  row(
    "10k pages of 20 from 50 tasks (ffi)",
    g(ffiT, "pages", "ours ffi page(), 50 tasks"),
    "the same pages, sequential",
    g(ffiT, "pages", "ours ffi page() sequential"),
    1.1,
  );
  row(
    "10k pages of 20 from 50 tasks (node)",
    g(nodeT, "pages", "ours node page(), 50 tasks"),
    "the same pages, sequential",
    g(nodeT, "pages", "ours node page() sequential"),
    1.1,
  );
  row(
    "node engine: 1M scan",
    g(nodeT, "scan", "ours node search()"),
    "node:sqlite iterate()",
    g(nodeT, "scan", "node:sqlite iterate()"),
    1.2,
  );
  info(
    "node engine: 10k lookups",
    g(nodeT, "lookups", "ours node retrieve()"),
    "node:sqlite get()",
    g(nodeT, "lookups", "node:sqlite get()"),
    UNMAPPED,
  );
  lines.push(
    "| node engine: 10k lookups, the split of the unmapped gap into the map's share and ours | `bench/lookup_split.ts`, below (one connection per process: unmapped `node:sqlite` connections in one process slow each other) | | | |",
  );
  info(
    "node engine: 10k lookups from 50 tasks",
    g(nodeT, "lookups", "ours node retrieve(), 50 tasks"),
    "node:sqlite get()",
    g(nodeT, "lookups", "node:sqlite get()"),
    UNMAPPED,
  );
  row(
    "node engine: 10k lookups (`mmapSize` as the baseline maps)",
    g(nodeT, "lookups", "ours node retrieve(), mmapSize"),
    "node:sqlite get()",
    g(nodeT, "lookups", "node:sqlite get()"),
    1.2,
  );
  row(
    "node engine: 10k lookups from 50 tasks (`mmapSize`)",
    g(nodeT, "lookups", "ours node retrieve(), 50 tasks, mmapSize"),
    "node:sqlite get()",
    g(nodeT, "lookups", "node:sqlite get()"),
    1.2,
  );
  row(
    "node engine: 10k pages of 20, sequential",
    g(nodeT, "pages", "ours node page() sequential"),
    "node:sqlite all()",
    g(nodeT, "pages", "node:sqlite all()"),
    1.2,
  );
  row(
    "node engine: 10k pages of 20, 50 tasks",
    g(nodeT, "pages", "ours node page(), 50 tasks"),
    "node:sqlite all()",
    g(nodeT, "pages", "node:sqlite all()"),
    1.2,
  );
  row(
    "node engine: Order Details, full `search()`",
    g(nodeNw, "Order Details search()", "ours node search()"),
    "node:sqlite iterate()",
    g(nodeNw, "Order Details search()", "node:sqlite iterate()"),
    1.2,
  );
  // Issue 15 sets its raw-SQL target against @db/sqlite (the rows above);
  // its node-engine targets name iterate() for streamed reads, so a
  // streamed dataset.sql is held to iterate(), and all() is shown beside it.
  row(
    "node engine: Order Details, `dataset.sql`",
    g(nodeNw, "Order Details sql", "ours node dataset.sql"),
    "node:sqlite iterate()",
    g(nodeNw, "Order Details sql", "node:sqlite iterate()"),
    1.2,
  );
  info(
    "node engine: Order Details, `dataset.sql`",
    g(nodeNw, "Order Details sql", "ours node dataset.sql"),
    "node:sqlite all()",
    g(nodeNw, "Order Details sql", "node:sqlite all()"),
  );
  row(
    "node engine: Orders, `dataset.sql`",
    g(nodeNw, "Orders sql", "ours node dataset.sql"),
    "node:sqlite iterate()",
    g(nodeNw, "Orders sql", "node:sqlite iterate()"),
    1.2,
  );
  info(
    "node engine: Orders, `dataset.sql`",
    g(nodeNw, "Orders sql", "ours node dataset.sql"),
    "node:sqlite all()",
    g(nodeNw, "Orders sql", "node:sqlite all()"),
  );
  const ordered = g(
    ffiNw,
    "Order Details search()",
    "@db/sqlite iter() ORDER BY key",
  );
  lines.push(
    ``,
    `For reference: @db/sqlite \`iter()\` of Order Details with \`ORDER BY OrderID, ProductID\` ` +
      `(the store's order) ${
        fmt(ordered)
      } ms; 10k pages through @db/sqlite \`all()\` of ` +
      `\`id > ? ORDER BY id LIMIT 20\` ${
        fmt(g(ffiT, "pages", "@db/sqlite all()"))
      } ms.`,
    ``,
    `Memory while streaming every row (fresh process each; MiB; growth of RssAnon over its value ` +
      `at the first row, target ≤ 16 MiB on the FFI engine and within 1.2× of raw \`iterate()\` on the ` +
      `node engine; peak RssFile, the file pages SQLite reads or maps, beside it):`,
    ``,
    `| rows | ffi RssAnon growth | ffi RssFile | node RssAnon growth | node RssFile | node:sqlite iterate() RssAnon growth | node:sqlite RssFile |`,
    `|---|---|---|---|---|---|---|`,
  );
  for (const count of MEMORY_ROWS) {
    const m = (s: string) => memory[`${s}/${count}`]!;
    const ffi = m("ffi");
    const node = m("node").anonGrowthMiB / m("node:sqlite").anonGrowthMiB;
    lines.push(
      `| ${count / 1e6}M | ${ffi.anonGrowthMiB.toFixed(1)} (${
        ffi.anonGrowthMiB <= 16 ? "met" : "MISSED"
      }) | ${ffi.filePeakMiB.toFixed(1)} | ${
        m("node").anonGrowthMiB.toFixed(1)
      } (${node.toFixed(2)}× raw: ${node <= 1.2 ? "met" : "MISSED"}) | ${
        m("node").filePeakMiB.toFixed(1)
      } | ${m("node:sqlite").anonGrowthMiB.toFixed(1)} | ${
        m("node:sqlite").filePeakMiB.toFixed(1)
      } |`,
    );
  }
  lines.push(...coldStartLines(cold));
  return lines;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "5" },
      "db-sqlite": { type: "string" },
      phase: { type: "string" },
      models: { type: "string" },
      subject: { type: "string" },
      rows: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new RangeError(`--runs takes a positive integer, got ${values.runs}`);
  }
  const checkout = dbSqliteCheckout(values["db-sqlite"]);
  const print = (value: unknown) => console.log(JSON.stringify(value));
  switch (values.phase) {
    case undefined:
      console.log(
        (await appBench({ runs, dbSqlite: checkout })).join("\n"),
      );
      break;
    case "ffi-t":
    case "node-t":
      print(serialize(
        await tPhase(values.phase === "ffi-t" ? "ffi" : "node", runs, checkout),
      ));
      break;
    case "ffi-nw":
    case "node-nw":
      print(serialize(
        await northwindPhase(
          values.phase === "ffi-nw" ? "ffi" : "node",
          runs,
          checkout,
        ),
      ));
      break;
    case "multi":
      print(await multiPhase(values.models === "10" ? 10 : 1, 3));
      break;
    case "memory":
      print(
        await memoryPhase(
          values.subject as "ffi" | "node" | "node:sqlite",
          Number(values.rows),
        ),
      );
      break;
    default:
      throw new TypeError(`Cannot run phase ${values.phase}: unknown`);
  }
}
