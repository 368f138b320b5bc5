/**
 * Benchmark data set shared by every benchmark and baseline.
 *
 * The data set is a single SQLite file `bench.sqlite` holding
 *
 * ```sql
 * create table t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT, value REAL) STRICT;
 * create index t_category on t(category);
 * ```
 *
 * STRICT, as the library builds its tables (so the FFI engine reads the
 * columns without asking each cell's storage class). The same rows in a
 * table that is not STRICT, as a file built elsewhere holds them, are in
 * `bench-loose.sqlite` ({@link ensureBenchData} with `strict: false`).
 *
 * with {@link ROW_COUNT} rows (about 48.7 MiB on disk, 4 KiB pages):
 *
 * - `id`: 1..1,000,000
 * - `name`: `name-<id>` (ASCII)
 * - `category`: `cat-<id % 100>` (ASCII; 10,000 rows per category)
 * - `value`: {@link valueSequence}, a seeded xorshift32 stream scaled to
 *   `[0, 1000)`; never produced by `Math.random`, so every build is
 *   byte-identical in content.
 *
 * The same rows can also be written as an RFC 4180 CSV file (`bench.csv`)
 * by {@link ensureCsv}.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** Number of rows in table `t`. */
export const ROW_COUNT = 1_000_000;

/** Number of distinct categories (`cat-0` .. `cat-99`). */
export const CATEGORY_COUNT = 100;

/**
 * `PRAGMA user_version` of a complete data file. It is written as the last
 * step of a build, so a file carrying it (and holding {@link ROW_COUNT} rows)
 * is complete. Bump it whenever the generated content changes.
 */
export const DATA_VERSION = 20_260_002;

/** Seed of the xorshift32 stream that produces the `value` column. */
export const VALUE_SEED = 0x2545f491;

/** File name of the SQLite data file inside the data directory. */
export const DB_FILE = "bench.sqlite";

/** File name of the same data in a table that is not STRICT. */
export const LOOSE_DB_FILE = "bench-loose.sqlite";

/** File name of the CSV data file inside the data directory. */
export const CSV_FILE = "bench.csv";

/** Default data directory: `bench/.data/` next to this module. */
export const DEFAULT_DATA_DIR: string = fileURLToPath(
  new URL("./.data/", import.meta.url),
);

/** One row of table `t`. */
export interface BenchRow {
  /** Primary key, 1..{@link ROW_COUNT}. */
  id: number;
  /** `name-<id>`. */
  name: string;
  /** `cat-<id % 100>`. */
  category: string;
  /** Deterministic pseudo-random real in `[0, 1000)`. */
  value: number;
}

/**
 * Generates the `value` column: a xorshift32 (13, 17, 5) stream seeded with
 * {@link VALUE_SEED}; the value of row `i` is the `i`-th output divided by
 * 2^32 and multiplied by 1000.
 */
export function* valueSequence(count: number = ROW_COUNT): Generator<number> {
  let x = VALUE_SEED | 0;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield (x >>> 0) / 4294967296 * 1000;
  }
}

/** Generates every row of table `t` in id order. */
export function* benchRows(count: number = ROW_COUNT): Generator<BenchRow> {
  let id = 0;
  for (const value of valueSequence(count)) {
    id++;
    yield {
      id,
      name: `name-${id}`,
      category: `cat-${id % CATEGORY_COUNT}`,
      value,
    };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** True when `path` is a complete data file of the current version. */
function isComplete(path: string): boolean {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const version = db.prepare("pragma user_version").get() as
      | { user_version: number }
      | undefined;
    if (version?.user_version !== DATA_VERSION) return false;
    const stats = db.prepare("select count(*) as n, max(id) as m from t")
      .get() as { n: number; m: number } | undefined;
    return stats?.n === ROW_COUNT && stats.m === ROW_COUNT;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/**
 * Ensures `dir/bench.sqlite` exists and is complete, building it when it is
 * missing, incomplete or of another {@link DATA_VERSION}. The build (about
 * 3 s) writes a temporary file in one transaction with a prepared insert,
 * creates the index, runs `ANALYZE` and `VACUUM`, stamps `user_version` and
 * renames the file into place, so a half-written file is never visible.
 *
 * @param dir directory to hold the file; created if missing. Defaults to
 *   `bench/.data/`.
 * @param options `strict: false` for the same rows in a table that is not
 *   STRICT (`bench-loose.sqlite`), as a file built elsewhere holds them.
 * @returns the path of the SQLite file.
 */
export async function ensureBenchData(
  dir: string = DEFAULT_DATA_DIR,
  options: { strict?: boolean } = {},
): Promise<string> {
  const strict = options.strict ?? true;
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, strict ? DB_FILE : LOOSE_DB_FILE);
  if ((await exists(path)) && isComplete(path)) return path;

  const tmp = `${path}.tmp-${Deno.pid}`;
  await removeIfExists(tmp);
  const db = new DatabaseSync(tmp);
  try {
    db.exec(`
      pragma page_size = 4096;
      pragma journal_mode = off;
      pragma synchronous = off;
      create table t(
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        category TEXT,
        value REAL
      )${strict ? " STRICT" : ""};
    `);
    const insert = db.prepare(
      "insert into t(id, name, category, value) values (?, ?, ?, ?)",
    );
    db.exec("begin");
    for (const row of benchRows()) {
      insert.run(row.id, row.name, row.category, row.value);
    }
    db.exec("commit");
    db.exec(`
      create index t_category on t(category);
      analyze;
    `);
    db.exec("vacuum");
    db.exec(`pragma user_version = ${DATA_VERSION}`);
  } catch (e) {
    db.close();
    await removeIfExists(tmp);
    throw e;
  }
  db.close();
  await Deno.rename(tmp, path);
  return path;
}

/** Exact byte size of the CSV produced by {@link ensureCsv}. */
function expectedCsvSize(): number {
  let size = "id,name,category,value\r\n".length;
  for (const row of benchRows()) size += csvLine(row).length;
  return size;
}

/** Quotes a CSV field when RFC 4180 requires it. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(row: BenchRow): string {
  // Every field is ASCII, so string length equals byte length.
  return `${row.id},${csvField(row.name)},${csvField(row.category)},${
    String(row.value)
  }\r\n`;
}

/**
 * Ensures `dir/bench.csv` exists: RFC 4180 (CRLF line ends, header
 * `id,name,category,value`, fields quoted only when needed, which never
 * happens for this data) holding the same {@link ROW_COUNT} rows as
 * `bench.sqlite`, in id order. `value` is written with JavaScript's shortest
 * round-trip formatting, so parsing it back yields the exact stored double.
 * Written to a temporary name and renamed; an existing file of the exact
 * expected size is reused.
 *
 * @param dir directory to hold the file; created if missing. Defaults to
 *   `bench/.data/`.
 * @returns the path of the CSV file.
 */
export async function ensureCsv(
  dir: string = DEFAULT_DATA_DIR,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, CSV_FILE);
  if (await exists(path)) {
    const { size } = await Deno.stat(path);
    if (size === expectedCsvSize()) return path;
  }

  const tmp = `${path}.tmp-${Deno.pid}`;
  const file = await Deno.open(tmp, {
    write: true,
    create: true,
    truncate: true,
  });
  try {
    const encoder = new TextEncoder();
    let chunk = "id,name,category,value\r\n";
    for (const row of benchRows()) {
      chunk += csvLine(row);
      if (chunk.length >= 1 << 20) {
        await writeAll(file, encoder.encode(chunk));
        chunk = "";
      }
    }
    await writeAll(file, encoder.encode(chunk));
  } catch (e) {
    file.close();
    await removeIfExists(tmp);
    throw e;
  }
  file.close();
  await Deno.rename(tmp, path);
  return path;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await file.write(bytes.subarray(offset));
  }
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? DEFAULT_DATA_DIR;
  const t0 = performance.now();
  const db = await ensureBenchData(dir);
  const t1 = performance.now();
  const csv = await ensureCsv(dir);
  const t2 = performance.now();
  console.log(
    `${db}: ${(Deno.statSync(db).size / 2 ** 20).toFixed(1)} MiB (${
      (t1 - t0).toFixed(0)
    } ms)`,
  );
  console.log(
    `${csv}: ${(Deno.statSync(csv).size / 2 ** 20).toFixed(1)} MiB (${
      (t2 - t1).toFixed(0)
    } ms)`,
  );
}
