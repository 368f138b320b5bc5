/**
 * Larger copies of the benchmark table for the streaming-memory workload
 * (issue 15: RssAnon while streaming 1M, 5M and 10M rows): the rows of
 * `_data.ts`'s generator, `count` of them, in a STRICT table `t` with no
 * secondary index, built once into `bench/.data/bench-<n>m.sqlite`.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import {
  benchRows,
  DEFAULT_DATA_DIR,
  ensureBenchData,
  ROW_COUNT,
} from "./_data.ts";

/**
 * A file whose table `t` holds `count` rows (the usual file for 1M).
 * @param count A multiple of a million.
 * @returns Its path.
 */
export async function ensureRows(count: number): Promise<string> {
  if (count === ROW_COUNT) return await ensureBenchData();
  const path = join(DEFAULT_DATA_DIR, `bench-${count / 1_000_000}m.sqlite`);
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const row = db.prepare("select max(id) as m from t").get() as
        | { m: number }
        | undefined;
      if (row?.m === count) return path;
    } finally {
      db.close();
    }
  } catch {
    // Missing or incomplete: build it.
  }
  console.error(`building ${path} ...`);
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.remove(tmp).catch(() => {});
  const db = new DatabaseSync(tmp);
  try {
    db.exec(`
      pragma journal_mode = off;
      pragma synchronous = off;
      create table t(
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        category TEXT,
        value REAL
      ) STRICT;
    `);
    const insert = db.prepare(
      "insert into t(id, name, category, value) values (?, ?, ?, ?)",
    );
    db.exec("begin");
    for (const row of benchRows(count)) {
      insert.run(row.id, row.name, row.category, row.value);
    }
    db.exec("commit");
    db.exec("analyze");
  } finally {
    db.close();
  }
  await Deno.rename(tmp, path);
  return path;
}
