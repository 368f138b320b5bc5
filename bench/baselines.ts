/**
 * Baselines for the @microcosm/sqlite benchmarks: the benchmark workloads
 * run through
 *
 * - the C reference program `bench/reference.c` ({@link runC}),
 * - raw `node:sqlite` (`DatabaseSync`) configured for read-only data
 *   ({@link runNodeSqlite}),
 * - a raw FFI loop over the system libsqlite3 ({@link runFfi}), as an
 *   informative extra, and the same loop shaped as an async API must be
 *   ({@link runFfiStream}): the floor for any library streaming over FFI.
 *
 * Every runner returns a {@link BenchResult} whose `checksum` follows one
 * definition (see {@link RowChecksum}), so any implementation can be checked
 * against the C reference.
 *
 * Workloads (data set: `bench/_data.ts`):
 *
 * | workload | work                                                              | rows          |
 * | -------- | ----------------------------------------------------------------- | ------------- |
 * | `scan`   | `select id, name, category, value from t order by id`             | 1,000,000     |
 * | `lookup` | `count` point queries `... where id = ?`, ids from {@link lookupIds} | `count`    |
 * | `filter` | `... where category = 'cat-7' order by id`                        | 10,000        |
 * | `count`  | `count` times `select count(*) from t where category = ?` ('cat-7') | `count`     |
 * | `open`   | `count` times: open, configure, query `... where id = 1`, close   | `count`       |
 *
 * Default counts: {@link DEFAULT_COUNTS}. Only the workload is timed; for
 * everything except `open`, the connection is opened before the clock
 * starts and closed after it stops.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { DEFAULT_DATA_DIR, ensureBenchData, ROW_COUNT } from "./_data.ts";

/** Names of the benchmark workloads. */
export const WORKLOADS = ["scan", "lookup", "filter", "count", "open"] as const;

/** A benchmark workload name. */
export type Workload = typeof WORKLOADS[number];

/** Default repeat counts of the workloads that take one. */
export const DEFAULT_COUNTS: Readonly<
  { lookup: number; count: number; open: number }
> = {
  lookup: 200_000,
  count: 1_000,
  open: 100,
};

/** Seed of the xorshift32 stream that yields the `lookup` ids. */
export const LOOKUP_SEED = 0x9e3779b9;

/** Category used by the `filter` and `count` workloads. */
export const FILTER_CATEGORY = "cat-7";

/** The column list every row workload reads. */
export const SELECT_COLUMNS = "select id, name, category, value from t";

/** SQL of each workload (the `open` workload runs `OPEN_SQL` per open). */
export const WORKLOAD_SQL: Readonly<
  {
    scan: string;
    lookup: string;
    filter: string;
    count: string;
    open: string;
  }
> = {
  scan: `${SELECT_COLUMNS} order by id`,
  lookup: `${SELECT_COLUMNS} where id = ?`,
  filter: `${SELECT_COLUMNS} where category = '${FILTER_CATEGORY}' order by id`,
  count: "select count(*) from t where category = ?",
  open: `${SELECT_COLUMNS} where id = 1`,
};

/** `PRAGMA mmap_size` used by the read-only configurations. */
export const MMAP_SIZE = 268_435_456;

/** Result of one workload run. */
export interface BenchResult {
  /** Wall-clock milliseconds of the timed workload. */
  ms: number;
  /** Rows read (`count`: number of count queries). */
  rows: number;
  /** See {@link RowChecksum}; `count`: sum of the counts returned. */
  checksum: number;
}

/** Result printed by the C reference program. */
export interface CResult extends BenchResult {
  /** Workload name as echoed by the program. */
  workload: string;
  /** Open configuration the program used. */
  config: string;
}

/**
 * The ids the `lookup` workload queries, in order: xorshift32 (shifts 13,
 * 17, 5 on an unsigned 32-bit state) seeded with {@link LOOKUP_SEED}; each
 * step yields `state % 1_000_000 + 1`. Identical to `run_lookup` in
 * `reference.c`.
 */
export function* lookupIds(count: number): Generator<number> {
  let x = LOOKUP_SEED | 0;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield (x >>> 0) % ROW_COUNT + 1;
  }
}

/**
 * Checksum accumulator of the row workloads:
 *
 * `checksum = Σ id + Σ (length(name) + length(category)) + floor(Σ value)`
 *
 * where lengths are byte lengths (the data is ASCII, so JavaScript string
 * lengths match) and values are summed as doubles in the order the rows are
 * read. Hot loops may inline the same arithmetic instead of calling
 * {@link RowChecksum.add}.
 */
export class RowChecksum {
  /** Sum of the ids read. */
  idSum = 0;
  /** Total length of the `name` and `category` texts read. */
  textBytes = 0;
  /** Sum of the values read, in read order. */
  valueSum = 0;
  /** Number of rows added. */
  rows = 0;

  /** Adds one row. */
  add(id: number, name: string, category: string | null, value: number) {
    this.idSum += id;
    this.textBytes += name.length + (category === null ? 0 : category.length);
    this.valueSum += value;
    this.rows++;
  }

  /** The checksum of the rows added so far. */
  get checksum(): number {
    return this.idSum + this.textBytes + Math.floor(this.valueSum);
  }
}

function resolveCount(workload: Workload, count?: number): number {
  if (count !== undefined) return count;
  return workload === "lookup" || workload === "count" || workload === "open"
    ? DEFAULT_COUNTS[workload]
    : 0;
}

// ---------------------------------------------------------------------------
// node:sqlite

/**
 * How {@link runNodeSqlite} opens the database:
 *
 * - `readonly`: `new DatabaseSync(path, { readOnly: true })`, nothing else.
 * - `readonly-mmap`: `readonly` + `PRAGMA mmap_size`.
 * - `readonly-exclusive`: `readonly-mmap` + `PRAGMA locking_mode=EXCLUSIVE`
 *   (the shared lock is taken once and kept, so statements stop
 *   re-checking the file).
 * - `immutable`: `file:<path>?mode=ro&immutable=1` URI + `readOnly: true` +
 *   `PRAGMA mmap_size`. Deno's `node:sqlite` honours `file:` URIs only when
 *   the process has all permissions (`-A`); otherwise the string is treated
 *   as a plain file name and the open fails.
 */
export type NodeConfig =
  | "readonly"
  | "readonly-mmap"
  | "readonly-exclusive"
  | "immutable";

/** Every {@link NodeConfig}. */
export const NODE_CONFIGS: readonly NodeConfig[] = [
  "readonly",
  "readonly-mmap",
  "readonly-exclusive",
  "immutable",
];

/**
 * Default {@link NodeConfig}: `readonly-exclusive`. It and `immutable`
 * measured the fastest (equal within noise; `lookup` ~4.5x faster than
 * `readonly` because statements stop re-taking the shared lock and
 * re-reading the file header), and `readonly-exclusive` works under any
 * permission set.
 */
export const DEFAULT_NODE_CONFIG: NodeConfig = "readonly-exclusive";

/**
 * How {@link runNodeSqlite} reads rows: `arrays` uses
 * `statement.setReturnArrays(true)` (rows as `[id, name, category, value]`),
 * `objects` the default row objects. `all` collects rows with
 * `statement.all()`, `iterate` streams them with `statement.iterate()`.
 */
export interface NodeReadOptions {
  /** Row shape; default `arrays` (fastest measured). */
  shape?: "arrays" | "objects";
  /** Multi-row read method; default `all` (fastest measured). */
  method?: "all" | "iterate";
}

/** Options of {@link runNodeSqlite}. */
export interface NodeOptions extends NodeReadOptions {
  /** Open configuration; default {@link DEFAULT_NODE_CONFIG}. */
  config?: NodeConfig;
  /** Repeat count for `lookup`, `count` and `open`; default {@link DEFAULT_COUNTS}. */
  count?: number;
}

/** Row-statement methods present at run time but missing from the typings. */
interface StatementExtras {
  setReturnArrays(enabled: boolean): void;
}

type ArrayRow = [number, string, string | null, number];

interface ObjectRow {
  id: number;
  name: string;
  category: string | null;
  value: number;
}

/** Opens `path` with a node:sqlite configuration. */
export function openNodeSqlite(path: string, config: NodeConfig): DatabaseSync {
  let db: DatabaseSync;
  if (config === "immutable") {
    db = new DatabaseSync(`file:${encodeUriPath(path)}?mode=ro&immutable=1`, {
      readOnly: true,
    });
  } else {
    db = new DatabaseSync(path, { readOnly: true });
  }
  if (config !== "readonly") db.exec(`pragma mmap_size = ${MMAP_SIZE}`);
  if (config === "readonly-exclusive") {
    db.exec("pragma locking_mode = exclusive");
  }
  return db;
}

/** Percent-encodes the characters that are special in an SQLite URI path. */
function encodeUriPath(path: string): string {
  return path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

/**
 * Prepares `sql` on `db`, reading rows as arrays (`[id, name, ...]`, by
 * column position) or as the default objects.
 */
export function prepareRows(
  db: DatabaseSync,
  sql: string,
  shape: "arrays" | "objects",
): StatementSync {
  const stmt = db.prepare(sql);
  if (shape === "arrays") {
    (stmt as unknown as StatementExtras).setReturnArrays(true);
  }
  return stmt;
}

/** Reads every row of a bound statement into `acc`. */
function readRows(
  stmt: StatementSync,
  shape: "arrays" | "objects",
  method: "all" | "iterate",
  acc: RowChecksum,
  param?: number,
): void {
  const args = param === undefined ? [] : [param];
  if (shape === "arrays") {
    const rows = method === "all"
      ? stmt.all(...args) as unknown as ArrayRow[]
      : stmt.iterate(...args) as unknown as Iterable<ArrayRow>;
    let idSum = 0, textBytes = 0, valueSum = acc.valueSum, n = 0;
    for (const row of rows) {
      idSum += row[0];
      const category = row[2];
      textBytes += row[1].length + (category === null ? 0 : category.length);
      valueSum += row[3];
      n++;
    }
    acc.idSum += idSum;
    acc.textBytes += textBytes;
    acc.valueSum = valueSum;
    acc.rows += n;
  } else {
    const rows = method === "all"
      ? stmt.all(...args) as unknown as ObjectRow[]
      : stmt.iterate(...args) as unknown as Iterable<ObjectRow>;
    let idSum = 0, textBytes = 0, valueSum = acc.valueSum, n = 0;
    for (const row of rows) {
      idSum += row.id;
      const category = row.category;
      textBytes += row.name.length +
        (category === null ? 0 : category.length);
      valueSum += row.value;
      n++;
    }
    acc.idSum += idSum;
    acc.textBytes += textBytes;
    acc.valueSum = valueSum;
    acc.rows += n;
  }
}

/** Reads the single row of a point query with `get()`. */
function readOne(
  stmt: StatementSync,
  shape: "arrays" | "objects",
  acc: RowChecksum,
  param?: number,
): void {
  const row = param === undefined ? stmt.get() : stmt.get(param);
  if (row === undefined) return;
  if (shape === "arrays") {
    const r = row as unknown as ArrayRow;
    acc.add(r[0], r[1], r[2], r[3]);
  } else {
    const r = row as unknown as ObjectRow;
    acc.add(r.id, r.name, r.category, r.value);
  }
}

/**
 * Runs one workload through raw `node:sqlite`.
 *
 * @param path the `bench.sqlite` file (see `ensureBenchData`).
 * @param workload the workload to run.
 * @param options configuration, row shape and repeat count.
 */
export function runNodeSqlite(
  path: string,
  workload: Workload,
  options: NodeOptions = {},
): BenchResult {
  const config = options.config ?? DEFAULT_NODE_CONFIG;
  const shape = options.shape ?? "arrays";
  const method = options.method ?? "all";
  const count = resolveCount(workload, options.count);
  const acc = new RowChecksum();

  if (workload === "open") {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const db = openNodeSqlite(path, config);
      const stmt = prepareRows(db, WORKLOAD_SQL.open, shape);
      readOne(stmt, shape, acc);
      db.close();
    }
    const ms = performance.now() - t0;
    return { ms, rows: acc.rows, checksum: acc.checksum };
  }

  const db = openNodeSqlite(path, config);
  try {
    let t0: number;
    let countSum = 0;
    switch (workload) {
      case "scan":
      case "filter": {
        t0 = performance.now();
        const stmt = prepareRows(db, WORKLOAD_SQL[workload], shape);
        readRows(stmt, shape, method, acc);
        break;
      }
      case "lookup": {
        t0 = performance.now();
        const stmt = prepareRows(db, WORKLOAD_SQL.lookup, shape);
        for (const id of lookupIds(count)) readOne(stmt, shape, acc, id);
        break;
      }
      case "count": {
        t0 = performance.now();
        const stmt = db.prepare(WORKLOAD_SQL.count);
        (stmt as unknown as StatementExtras).setReturnArrays(true);
        for (let i = 0; i < count; i++) {
          const row = stmt.get(FILTER_CATEGORY) as unknown as [number];
          countSum += row[0];
        }
        const ms = performance.now() - t0;
        return { ms, rows: count, checksum: countSum };
      }
      default:
        throw new Error(`unknown workload: ${workload satisfies never}`);
    }
    const ms = performance.now() - t0;
    return { ms, rows: acc.rows, checksum: acc.checksum };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------
// Raw FFI over the system libsqlite3

const SQLITE_OK = 0;
/** `sqlite3_step`: a row is ready. */
export const SQLITE_ROW = 100;
const SQLITE_DONE = 101;
const SQLITE_OPEN_READONLY = 0x1;
const SQLITE_OPEN_URI = 0x40;
const SQLITE_OPEN_NOMUTEX = 0x8000;

const FFI_SYMBOLS = {
  sqlite3_open_v2: {
    parameters: ["buffer", "buffer", "i32", "pointer"],
    result: "i32",
  },
  sqlite3_close_v2: { parameters: ["pointer"], result: "i32" },
  sqlite3_errmsg: { parameters: ["pointer"], result: "pointer" },
  sqlite3_exec: {
    parameters: ["pointer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  sqlite3_prepare_v3: {
    // db, sql, bytes, flags, **stmt, **tail
    parameters: ["pointer", "buffer", "i32", "u32", "buffer", "pointer"],
    result: "i32",
  },
  sqlite3_step: { parameters: ["pointer"], result: "i32" },
  sqlite3_reset: { parameters: ["pointer"], result: "i32" },
  sqlite3_finalize: { parameters: ["pointer"], result: "i32" },
  sqlite3_bind_int64: {
    parameters: ["pointer", "i32", "i64"],
    result: "i32",
  },
  sqlite3_bind_double: {
    parameters: ["pointer", "i32", "f64"],
    result: "i32",
  },
  sqlite3_bind_text: {
    // stmt, index, text, bytes, destructor
    parameters: ["pointer", "i32", "buffer", "i32", "pointer"],
    result: "i32",
  },
  sqlite3_column_int64: { parameters: ["pointer", "i32"], result: "i64" },
  sqlite3_column_double: { parameters: ["pointer", "i32"], result: "f64" },
  sqlite3_column_text: { parameters: ["pointer", "i32"], result: "pointer" },
  sqlite3_libversion: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The libsqlite3 functions the raw FFI baselines call. */
export type FfiLib = Deno.DynamicLibrary<typeof FFI_SYMBOLS>["symbols"];

/** `SQLITE_TRANSIENT`: SQLite copies a bound text before the call returns. */
export const SQLITE_TRANSIENT: Deno.PointerValue = Deno.UnsafePointer.create(
  0xffff_ffff_ffff_ffffn,
);

/** Library names tried, in order, by {@link runFfi} (after `$SQLITE3_LIB`). */
export const FFI_LIBRARY_CANDIDATES: readonly string[] = [
  "libsqlite3.so.0",
  "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0",
  "libsqlite3.so",
  "libsqlite3.dylib",
  "sqlite3.dll",
];

let ffiLib: FfiLib | undefined;

/**
 * The system libsqlite3 (`$SQLITE3_LIB` first, then
 * {@link FFI_LIBRARY_CANDIDATES}), loaded once.
 */
export function loadFfi(): FfiLib {
  if (ffiLib) return ffiLib;
  const env = Deno.env.get("SQLITE3_LIB");
  const names = env ? [env, ...FFI_LIBRARY_CANDIDATES] : FFI_LIBRARY_CANDIDATES;
  const errors: string[] = [];
  for (const name of names) {
    try {
      ffiLib = Deno.dlopen(name, FFI_SYMBOLS).symbols;
      return ffiLib;
    } catch (e) {
      errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(`cannot load libsqlite3:\n  ${errors.join("\n  ")}`);
}

/** Version of the libsqlite3 the FFI baseline loads. */
export function ffiSqliteVersion(): string {
  const p = loadFfi().sqlite3_libversion();
  return p === null ? "?" : Deno.UnsafePointerView.getCString(p);
}

const encoder = new TextEncoder();

function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${text}\0`);
}

function ffiCheck(
  lib: FfiLib,
  db: Deno.PointerValue,
  rc: number,
  what: string,
) {
  if (rc === SQLITE_OK) return;
  const msg = db === null ? null : lib.sqlite3_errmsg(db);
  throw new Error(
    `${what}: rc=${rc} ${
      msg === null ? "" : Deno.UnsafePointerView.getCString(msg)
    }`,
  );
}

/** What {@link ffiOpen} sets beyond the read-only immutable URI. */
export interface FfiOpenOptions {
  /** `PRAGMA mmap_size` = {@link MMAP_SIZE}; default true. */
  mmap?: boolean;
  /** `SQLITE_OPEN_NOMUTEX`; default true. */
  noMutex?: boolean;
}

/**
 * Opens `path` read-only through an immutable URI. By default like the C
 * reference's default (immutable URI, mmap, NOMUTEX), as {@link runFfi}
 * does. Of its `sqlite3_config` calls, memory statistics off is the
 * library's engine setting, process-wide for the library, which `run.ts`
 * loads first; the single-thread mode is left out (unsafe where workers
 * share the library).
 */
export function ffiOpen(
  lib: FfiLib,
  path: string,
  options: FfiOpenOptions = {},
): Deno.PointerValue {
  const out = new BigUint64Array(1);
  const rc = lib.sqlite3_open_v2(
    cString(`file:${encodeUriPath(path)}?mode=ro&immutable=1`),
    out,
    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
      (options.noMutex === false ? 0 : SQLITE_OPEN_NOMUTEX),
    null,
  );
  const db = Deno.UnsafePointer.create(out[0] ?? 0n);
  if (rc !== SQLITE_OK) {
    const err = new Error(`sqlite3_open_v2(${path}): rc=${rc}`);
    if (db !== null) lib.sqlite3_close_v2(db);
    throw err;
  }
  if (options.mmap === false) return db;
  ffiCheck(
    lib,
    db,
    lib.sqlite3_exec(
      db,
      cString(`pragma mmap_size = ${MMAP_SIZE}`),
      null,
      null,
      null,
    ),
    "pragma mmap_size",
  );
  return db;
}

/**
 * Prepares `sql` on `db` (`sqlite3_prepare_v3`; `flags` 0, the default, is
 * `sqlite3_prepare_v2`, 1 `SQLITE_PREPARE_PERSISTENT`).
 */
export function ffiPrepare(
  lib: FfiLib,
  db: Deno.PointerValue,
  sql: string,
  flags = 0,
): Deno.PointerValue {
  const out = new BigUint64Array(1);
  ffiCheck(
    lib,
    db,
    lib.sqlite3_prepare_v3(db, cString(sql), -1, flags, out, null),
    `prepare ${sql}`,
  );
  return Deno.UnsafePointer.create(out[0] ?? 0n);
}

/** Column `i` of the current row as text (`""` for NULL). */
export function ffiText(
  lib: FfiLib,
  stmt: Deno.PointerValue,
  i: number,
): string {
  const p = lib.sqlite3_column_text(stmt, i);
  return p === null ? "" : Deno.UnsafePointerView.getCString(p);
}

/** Steps a statement to completion, reading every column of every row. */
function ffiReadRows(
  lib: FfiLib,
  db: Deno.PointerValue,
  stmt: Deno.PointerValue,
  acc: RowChecksum,
): void {
  const getCString = Deno.UnsafePointerView.getCString;
  let idSum = 0, textBytes = 0, valueSum = acc.valueSum, n = 0;
  let rc: number;
  while ((rc = lib.sqlite3_step(stmt)) === SQLITE_ROW) {
    idSum += Number(lib.sqlite3_column_int64(stmt, 0));
    const name = lib.sqlite3_column_text(stmt, 1);
    const category = lib.sqlite3_column_text(stmt, 2);
    if (name !== null) textBytes += getCString(name).length;
    if (category !== null) textBytes += getCString(category).length;
    valueSum += lib.sqlite3_column_double(stmt, 3);
    n++;
  }
  if (rc !== SQLITE_DONE) ffiCheck(lib, db, rc, "step");
  acc.idSum += idSum;
  acc.textBytes += textBytes;
  acc.valueSum = valueSum;
  acc.rows += n;
}

/** Options of {@link runFfi}. */
export interface FfiOptions {
  /** Repeat count for `lookup`, `count` and `open`; default {@link DEFAULT_COUNTS}. */
  count?: number;
}

/**
 * Runs one workload through a raw FFI loop over the system libsqlite3
 * (`Deno.dlopen`; needs `--allow-ffi`). Opens like the C reference
 * (immutable URI + mmap + `SQLITE_OPEN_NOMUTEX`) and reads text with
 * `Deno.UnsafePointerView.getCString`. Set `$SQLITE3_LIB` to load another
 * library.
 *
 * @param path the `bench.sqlite` file (see `ensureBenchData`).
 * @param workload the workload to run.
 * @param options repeat count.
 */
export function runFfi(
  path: string,
  workload: Workload,
  options: FfiOptions = {},
): BenchResult {
  const lib = loadFfi();
  const count = resolveCount(workload, options.count);
  const acc = new RowChecksum();

  if (workload === "open") {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const db = ffiOpen(lib, path);
      const stmt = ffiPrepare(lib, db, WORKLOAD_SQL.open);
      ffiReadRows(lib, db, stmt, acc);
      lib.sqlite3_finalize(stmt);
      ffiCheck(lib, db, lib.sqlite3_close_v2(db), "close");
    }
    const ms = performance.now() - t0;
    return { ms, rows: acc.rows, checksum: acc.checksum };
  }

  const db = ffiOpen(lib, path);
  try {
    let t0: number;
    switch (workload) {
      case "scan":
      case "filter": {
        t0 = performance.now();
        const stmt = ffiPrepare(lib, db, WORKLOAD_SQL[workload]);
        ffiReadRows(lib, db, stmt, acc);
        lib.sqlite3_finalize(stmt);
        break;
      }
      case "lookup": {
        t0 = performance.now();
        const stmt = ffiPrepare(lib, db, WORKLOAD_SQL.lookup);
        for (const id of lookupIds(count)) {
          lib.sqlite3_bind_int64(stmt, 1, BigInt(id));
          ffiReadRows(lib, db, stmt, acc);
          lib.sqlite3_reset(stmt);
        }
        lib.sqlite3_finalize(stmt);
        break;
      }
      case "count": {
        t0 = performance.now();
        const stmt = ffiPrepare(lib, db, WORKLOAD_SQL.count);
        const category = encoder.encode(FILTER_CATEGORY);
        let countSum = 0;
        for (let i = 0; i < count; i++) {
          // SQLITE_STATIC (null): `category` outlives the statement.
          lib.sqlite3_bind_text(stmt, 1, category, category.length, null);
          const rc = lib.sqlite3_step(stmt);
          if (rc !== SQLITE_ROW) ffiCheck(lib, db, rc, "count step");
          countSum += Number(lib.sqlite3_column_int64(stmt, 0));
          lib.sqlite3_reset(stmt);
        }
        lib.sqlite3_finalize(stmt);
        const ms = performance.now() - t0;
        return { ms, rows: count, checksum: countSum };
      }
      default:
        throw new Error(`unknown workload: ${workload satisfies never}`);
    }
    const ms = performance.now() - t0;
    return { ms, rows: acc.rows, checksum: acc.checksum };
  } finally {
    lib.sqlite3_close_v2(db);
  }
}

/** One row of the benchmark table as a plain object. */
interface PlainRow {
  id: number;
  name: string;
  category: string | null;
  value: number;
}

/**
 * The raw FFI loop of {@link runFfi} handing each row out as a plain object
 * through an async iterator, one promise per row, as `for await` needs:
 * what any library that streams rows this way over FFI cannot go below.
 * Only for `scan` and `filter`.
 */
class FfiRowStream implements AsyncIterableIterator<PlainRow> {
  readonly #lib: FfiLib;
  readonly #db: Deno.PointerValue;
  readonly #stmt: Deno.PointerValue;

  constructor(lib: FfiLib, db: Deno.PointerValue, stmt: Deno.PointerValue) {
    this.#lib = lib;
    this.#db = db;
    this.#stmt = stmt;
  }

  next(): Promise<IteratorResult<PlainRow>> {
    const lib = this.#lib;
    const stmt = this.#stmt;
    const rc = lib.sqlite3_step(stmt);
    if (rc !== SQLITE_ROW) {
      if (rc !== SQLITE_DONE) ffiCheck(lib, this.#db, rc, "step");
      return Promise.resolve({ value: undefined, done: true });
    }
    const name = lib.sqlite3_column_text(stmt, 1);
    const category = lib.sqlite3_column_text(stmt, 2);
    const value: PlainRow = {
      id: lib.sqlite3_column_double(stmt, 0),
      name: name === null ? "" : Deno.UnsafePointerView.getCString(name),
      category: category === null
        ? null
        : Deno.UnsafePointerView.getCString(category),
      value: lib.sqlite3_column_double(stmt, 3),
    };
    return Promise.resolve({ value, done: false });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The raw FFI loop as an async library has to shape it, with no library:
 * `scan` and `filter` read their rows with `for await` over
 * {@link FfiRowStream}; `lookup` awaits each row, built as a plain object
 * (as `await store.retrieve(id)` does). `null` for other workloads.
 *
 * @param path the `bench.sqlite` file.
 * @param workload the workload to run.
 */
export async function runFfiStream(
  path: string,
  workload: Workload,
): Promise<BenchResult | null> {
  if (workload === "count" || workload === "open") return null;
  const lib = loadFfi();
  const acc = new RowChecksum();
  const ids = workload === "lookup"
    ? [...lookupIds(DEFAULT_COUNTS.lookup)]
    : [];
  const db = ffiOpen(lib, path);
  try {
    const t0 = performance.now();
    const stmt = ffiPrepare(lib, db, WORKLOAD_SQL[workload]);
    const stream = new FfiRowStream(lib, db, stmt);
    if (workload === "lookup") {
      for (const id of ids) {
        lib.sqlite3_bind_int64(stmt, 1, BigInt(id));
        const { value: row } = await stream.next();
        lib.sqlite3_reset(stmt);
        if (row !== undefined) {
          acc.add(row.id, row.name, row.category, row.value);
        }
      }
    } else {
      for await (const row of stream) {
        acc.add(row.id, row.name, row.category, row.value);
      }
    }
    lib.sqlite3_finalize(stmt);
    return {
      ms: performance.now() - t0,
      rows: acc.rows,
      checksum: acc.checksum,
    };
  } finally {
    lib.sqlite3_close_v2(db);
  }
}

// ---------------------------------------------------------------------------
// C reference

/** Open configurations understood by `reference.c` (`--config=`). */
export type CConfig =
  | "plain"
  | "mmap"
  | "exclusive"
  | "immutable"
  | "immutable-exclusive"
  | "immutable-nomutex"
  | "immutable-single";

/** Options of {@link runC}. */
export interface CRunOptions {
  /** Database file; default: `ensureBenchData()` in `bench/.data/`. */
  db?: string;
  /** Repeat count for `lookup`, `count` and `open`; default {@link DEFAULT_COUNTS}. */
  count?: number;
  /**
   * Open configuration; default: the program's fastest, `immutable-single`
   * (immutable URI + mmap + `SQLITE_OPEN_NOMUTEX` + single-thread mode and
   * no memory statistics).
   */
  config?: CConfig;
}

/** Path of the compiled reference program: `bench/.data/reference`. */
export const REFERENCE_BINARY: string = `${DEFAULT_DATA_DIR}reference`;

const REFERENCE_SOURCE = fileURLToPath(
  new URL("./reference.c", import.meta.url),
);

let cUnavailable: string | undefined;

/**
 * Compiles `bench/reference.c` into {@link REFERENCE_BINARY} when the binary
 * is missing or older than the source. Returns the binary path, or `null`
 * (after printing why, once) when gcc is missing or the build fails.
 */
export async function buildReference(): Promise<string | null> {
  if (cUnavailable !== undefined) return null;
  const [src, bin] = await Promise.all([
    Deno.stat(REFERENCE_SOURCE),
    Deno.stat(REFERENCE_BINARY).catch(() => null),
  ]);
  if (bin && (bin.mtime?.getTime() ?? 0) >= (src.mtime?.getTime() ?? 0)) {
    return REFERENCE_BINARY;
  }
  await Deno.mkdir(DEFAULT_DATA_DIR, { recursive: true });
  const tmp = `${REFERENCE_BINARY}.tmp-${Deno.pid}`;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("gcc", {
      args: ["-O2", REFERENCE_SOURCE, "-lsqlite3", "-o", tmp],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    cUnavailable = "gcc not found on PATH; the C reference baseline is skipped";
    console.error(cUnavailable);
    return null;
  }
  if (!output.success) {
    await Deno.remove(tmp).catch(() => {});
    cUnavailable = `gcc failed to build ${REFERENCE_SOURCE} ` +
      `(is libsqlite3-dev installed?); the C reference baseline is skipped:\n` +
      new TextDecoder().decode(output.stderr);
    console.error(cUnavailable);
    return null;
  }
  await Deno.rename(tmp, REFERENCE_BINARY);
  return REFERENCE_BINARY;
}

/**
 * Runs one workload through the C reference program, compiling it first if
 * needed (see {@link buildReference}). Needs `--allow-run`, `--allow-read`
 * and `--allow-write` (for the build).
 *
 * @param workload the workload to run.
 * @param args database, repeat count and open configuration.
 * @returns the program's JSON result, or `null` when gcc (or the SQLite
 *   headers) are missing; a message saying so is printed to stderr.
 */
export async function runC(
  workload: Workload,
  args: CRunOptions = {},
): Promise<CResult | null> {
  const bin = await buildReference();
  if (bin === null) return null;
  const db = args.db ?? await ensureBenchData();
  const argv = [db, workload];
  if (args.count !== undefined) argv.push(String(args.count));
  if (args.config !== undefined) argv.push(`--config=${args.config}`);
  const output = await new Deno.Command(bin, {
    args: argv,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `reference ${argv.join(" ")} failed (code ${output.code}): ${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
  return JSON.parse(stdout) as CResult;
}
