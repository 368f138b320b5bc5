/**
 * The benchmark rows of `bench/_data.ts` (table `t`, 1M rows) in a file
 * built by the library (`buildDataSet`), as a shipped dataset is: with its
 * build metadata, content hash and NUL census. Cold start reads this file:
 * what an app opens is what the library built.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { benchRows, DEFAULT_DATA_DIR, ROW_COUNT } from "./_data.ts";
import { DataSet, integer, real, text } from "../mod.ts";
import { buildDataSet } from "../build.ts";

/** File name of the library-built copy inside the data directory. */
export const BUILT_DB_FILE = "bench-built.sqlite";

/**
 * Declares table `t` on `dataset` as `bench/_cold_child.ts` reads it.
 * @param dataset The dataset to declare it on.
 * @returns The model.
 */
export function declareBenchTable(dataset: DataSet) {
  return dataset.Model("t", {
    id: integer({ primaryKey: true }),
    name: text(),
    category: text({ nullable: true }),
    value: real({ nullable: true }),
  });
}

/** Whether `path` is a complete built file recording its NUL census. */
function isComplete(path: string): boolean {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const census = db.prepare(
      "select 1 as ok from microcosm_metadata where key = 'nulText'",
    ).get();
    const rows = db.prepare("select count(*) as n from t").get() as
      | { n: number }
      | undefined;
    return census !== undefined && rows?.n === ROW_COUNT;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/**
 * Ensures `dir/bench-built.sqlite` holds the benchmark rows as
 * `buildDataSet` writes them (atomically: a file there is whole), building
 * it when missing or built before the NUL census was recorded.
 * @param dir The data directory (default `bench/.data/`).
 * @returns The file's path.
 */
export async function ensureBuiltBenchData(
  dir: string = DEFAULT_DATA_DIR,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, BUILT_DB_FILE);
  if (isComplete(path)) return path;
  const dataset = DataSet.create("bench_built", { engine: "ffi" });
  const T = declareBenchTable(dataset);
  try {
    await buildDataSet(
      dataset,
      path,
      (build) => build.loadRecords(T, benchRows()),
    );
  } finally {
    await dataset.close();
  }
  return path;
}
