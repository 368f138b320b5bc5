/**
 * The benchmark workloads through @microcosm/sqlite itself, on either
 * engine, with the same checksums as the baselines in `baselines.ts`.
 *
 * @module
 */
import type { EngineName } from "../src/_engine.ts";
import {
  DataSet,
  integer,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import {
  type BenchResult,
  DEFAULT_COUNTS,
  FILTER_CATEGORY,
  lookupIds,
  RowChecksum,
  type Workload,
} from "./baselines.ts";

let datasets = 0;

/**
 * Declares the benchmark table on a fresh dataset bound to `path`, mapping
 * `mmapSize` bytes when given (the library maps nothing by default).
 */
export function openBench(path: string, engine: EngineName, mmapSize?: number) {
  const name = `bench_${engine}_${++datasets}`;
  const db = DataSet.create(
    name,
    mmapSize === undefined ? { engine } : { engine, mmapSize },
  );
  db.bind(new SQLiteBindFactory({ paths: { [name]: path } }));
  class T extends db.Model("t", {
    id: integer({ primaryKey: true }),
    name: text(),
    category: text({ nullable: true }),
    value: real({ nullable: true }),
  }) {}
  return { db, T, store: new Store(T) };
}

/** One dataset per file and engine, declared once as an application would. */
const declared = new Map<string, ReturnType<typeof openBench>>();

/** The dataset declared once for `path` on `engine` (see `runLibrary`). */
export function declaredBench(
  path: string,
  engine: EngineName,
  mmapSize?: number,
): ReturnType<typeof openBench> {
  const key = `${engine}\0${path}`;
  let bench = declared.get(key);
  if (bench === undefined) {
    bench = openBench(path, engine, mmapSize);
    declared.set(key, bench);
  }
  return bench;
}

/**
 * Runs one workload through the library. Like an application, it declares
 * the model once per file and engine and reuses it; each run opens a fresh
 * connection before the clock starts and closes it after (except `open`,
 * which times declaring, opening and the first query of new datasets).
 */
export async function runLibrary(
  path: string,
  workload: Workload,
  engine: EngineName,
  mmapSize?: number,
): Promise<BenchResult> {
  const acc = new RowChecksum();
  if (workload === "open") {
    const count = DEFAULT_COUNTS.open;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const { db, store } = openBench(path, engine, mmapSize);
      const row = await store.retrieve(1);
      acc.add(row.id, row.name, row.category, row.value ?? 0);
      await db.close();
    }
    return {
      ms: performance.now() - t0,
      rows: acc.rows,
      checksum: acc.checksum,
    };
  }
  const { db, store } = declaredBench(path, engine, mmapSize);
  await db.open();
  try {
    let t0 = performance.now();
    switch (workload) {
      case "scan":
      case "filter": {
        const filter = workload === "filter"
          ? { category: FILTER_CATEGORY }
          : undefined;
        t0 = performance.now();
        for await (const row of store.search(filter)) {
          acc.add(row.id, row.name, row.category, row.value ?? 0);
        }
        break;
      }
      case "lookup": {
        const ids = [...lookupIds(DEFAULT_COUNTS.lookup)];
        t0 = performance.now();
        for (const id of ids) {
          const row = await store.retrieve(id);
          acc.add(row.id, row.name, row.category, row.value ?? 0);
        }
        break;
      }
      case "count": {
        let sum = 0;
        t0 = performance.now();
        for (let i = 0; i < DEFAULT_COUNTS.count; i++) {
          sum += await store.count({ category: FILTER_CATEGORY });
        }
        return {
          ms: performance.now() - t0,
          rows: DEFAULT_COUNTS.count,
          checksum: sum,
        };
      }
    }
    return {
      ms: performance.now() - t0,
      rows: acc.rows,
      checksum: acc.checksum,
    };
  } finally {
    await db.close();
  }
}
