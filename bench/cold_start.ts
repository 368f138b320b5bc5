/**
 * Cold start (issue 15): a fresh process per sample times the runtime import
 * of a library, then open + the first lookup by key on the 1M-row benchmark
 * file, for the library on each engine, `@db/sqlite` (from a local checkout)
 * and raw `node:sqlite`, interleaved; once with the file's pages in the page
 * cache (warm) and once with them dropped before each sample (cold:
 * `posix_fadvise(POSIX_FADV_DONTNEED)` through `Deno.dlopen` of libc, its
 * effect checked with `fincore`).
 *
 *   deno run -A bench/cold_start.ts [--runs=15] [--db-sqlite=/work/ext/db-sqlite]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { ensureBuiltBenchData } from "./_built_data.ts";
import { ratio, type Stats, stats } from "./_rounds.ts";
import {
  dbSqliteCheckout,
  dbSqliteEnv,
  dbSqliteRunFlags,
} from "./_db_sqlite.ts";

/** What one child reports. */
interface Sample {
  importMs: number;
  openMs: number;
}

/** The subjects timed, in the order of the first round. */
export const COLD_SUBJECTS = [
  "ours-ffi",
  "ours-node",
  "db-sqlite",
  "node-sqlite",
  "before-ffi",
  "before-node",
] as const;
/**
 * One of {@link COLD_SUBJECTS}; `before-ffi` and `before-node` are the
 * engines of another copy of the library (an A/B of a change), timed only
 * when given.
 */
export type ColdSubject = typeof COLD_SUBJECTS[number];

/** Min and median of import, open + first lookup, and both, per subject. */
export interface ColdTimes {
  import: Stats;
  open: Stats;
  total: Stats;
}

/** The whole measurement. */
export interface ColdStartReport {
  warm: Map<ColdSubject, ColdTimes>;
  cold: Map<ColdSubject, ColdTimes>;
  /** What dropping the pages did, as `fincore` saw it. */
  dropCheck: string;
  /** Why a subject is missing, if one is. */
  skipped: string[];
  runs: number;
}

const CHILD = fileURLToPath(new URL("./_cold_child.ts", import.meta.url));
const POSIX_FADV_DONTNEED = 4;

let libc:
  | Deno.DynamicLibrary<{
    open: { parameters: ["buffer", "i32"]; result: "i32" };
    close: { parameters: ["i32"]; result: "i32" };
    fdatasync: { parameters: ["i32"]; result: "i32" };
    posix_fadvise: {
      parameters: ["i32", "i64", "i64", "i32"];
      result: "i32";
    };
  }>
  | undefined;

/**
 * Asks the kernel to drop `path`'s pages from the page cache.
 * @param path A file.
 * @throws {Error} When the file cannot be opened or the call fails.
 */
export function dropPageCache(path: string): void {
  libc ??= Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    fdatasync: { parameters: ["i32"], result: "i32" },
    posix_fadvise: {
      parameters: ["i32", "i64", "i64", "i32"],
      result: "i32",
    },
  });
  const fd = libc.symbols.open(new TextEncoder().encode(`${path}\0`), 0);
  if (fd < 0) throw new Error(`Cannot open ${path} to drop its pages`);
  try {
    // Dirty pages (a file just written or copied) are not dropped.
    libc.symbols.fdatasync(fd);
    const code = libc.symbols.posix_fadvise(fd, 0n, 0n, POSIX_FADV_DONTNEED);
    if (code !== 0) {
      throw new Error(`Cannot drop the pages of ${path}: error ${code}`);
    }
  } finally {
    libc.symbols.close(fd);
  }
}

/** Bytes of `path` in the page cache, by `fincore`; undefined without it. */
async function residentBytes(path: string): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("fincore", {
      args: ["--bytes", "--noheadings", "--output", "RES", path],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    return Number(new TextDecoder().decode(out.stdout).trim());
  } catch {
    return undefined;
  }
}

async function sample(
  subject: ColdSubject,
  path: string,
  dbSqlite: string | undefined,
  before?: string,
): Promise<Sample> {
  const child = subject.startsWith("before-")
    ? `${before}/bench/_cold_child.ts`
    : CHILD;
  const flags = subject === "db-sqlite"
    ? dbSqliteRunFlags()
    : ["--no-check", "--allow-read", "--allow-ffi", "--allow-env"];
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...flags,
      child,
      subject.startsWith("before-")
        ? subject.replace("before-", "ours-")
        : subject,
      path,
      ...(dbSqlite === undefined ? [] : [dbSqlite]),
    ],
    env: subject === "db-sqlite" ? dbSqliteEnv() : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `Cannot time the cold start of ${subject}: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  const result = JSON.parse(text) as Sample & {
    row: { id: number; name: string };
  };
  if (result.row.id !== 1) {
    throw new Error(`${subject} read another first row: ${text}`);
  }
  return result;
}

/**
 * Runs the measurement.
 * @param options The file (default: the benchmark file), runs, and the
 *   `@db/sqlite` checkout (default: `--db-sqlite`/`DB_SQLITE_CHECKOUT`, else
 *   skipped).
 * @returns Min and median per subject, warm and cold.
 */
export async function coldStart(
  options: {
    path?: string;
    runs?: number;
    dbSqlite?: string | undefined;
    before?: string | undefined;
  } = {},
): Promise<ColdStartReport> {
  // The rows of bench.sqlite, as buildDataSet ships them (build metadata).
  const path = options.path ?? await ensureBuiltBenchData();
  const runs = options.runs ?? 15;
  const dbSqlite = options.dbSqlite;
  const skipped: string[] = [];
  const before = options.before;
  const subjects = COLD_SUBJECTS.filter((s) =>
    (s !== "db-sqlite" || dbSqlite !== undefined) &&
    (!s.startsWith("before-") || before !== undefined)
  );
  if (dbSqlite === undefined) {
    skipped.push(
      "@db/sqlite: no checkout given (--db-sqlite=<path> or DB_SQLITE_CHECKOUT)",
    );
  }
  // Deno's caches (compiled modules) filled first, as on a deployed server.
  for (const subject of subjects) {
    await sample(subject, path, dbSqlite, before);
  }

  await sample("node-sqlite", path, dbSqlite);
  const resident = await residentBytes(path);
  dropPageCache(path);
  const after = await residentBytes(path);
  const dropCheck = resident === undefined || after === undefined
    ? "not checked (no fincore)"
    : `fincore: ${
      (resident / 2 ** 20).toFixed(1)
    } MiB of the file resident before, ${
      (after / 2 ** 20).toFixed(1)
    } MiB after dropping${
      after >= resident / 2 ? " (IGNORED: the cold runs were warm)" : ""
    }`;

  const measure = async (cold: boolean) => {
    const samples = new Map(subjects.map((s) => [s, [] as Sample[]]));
    for (let run = 0; run < runs; run++) {
      for (let k = 0; k < subjects.length; k++) {
        const subject = subjects[(k + run) % subjects.length]!;
        if (cold) dropPageCache(path);
        else await sample("node-sqlite", path, dbSqlite); // pages in
        samples.get(subject)!.push(
          await sample(subject, path, dbSqlite, before),
        );
      }
    }
    return new Map(
      [...samples].map(([s, list]) => [s, {
        import: stats(list.map((x) => x.importMs)),
        open: stats(list.map((x) => x.openMs)),
        total: stats(list.map((x) => x.importMs + x.openMs)),
      }]),
    );
  };
  const warm = await measure(false);
  const cold = await measure(true);
  return { warm, cold, dropCheck, skipped, runs };
}

const fmt = (s: Stats) => `${s.min.toFixed(1)} / ${s.median.toFixed(1)}`;

/**
 * The report as Markdown lines: a table per cache state, ratios against
 * `@db/sqlite` with the target (≤ 1.2×).
 * @param report What {@link coldStart} measured.
 * @returns Lines of Markdown.
 */
export function coldStartLines(report: ColdStartReport): string[] {
  const lines: string[] = [];
  for (const state of ["warm", "cold"] as const) {
    const times = report[state];
    const peer = times.get("db-sqlite");
    lines.push(
      ``,
      `Cold start, ${state} page cache (${report.runs} fresh processes each, interleaved; ms, min / median):`,
      ``,
      `| subject | import | open + first retrieve() | total | total vs @db/sqlite (target ≤ 1.2×) |`,
      `|---|---|---|---|---|`,
    );
    for (const [subject, t] of times) {
      const vs = peer === undefined || subject === "db-sqlite"
        ? ""
        : `${ratio(t.total, peer.total)}${
          subject.startsWith("ours")
            ? t.total.median / peer.total.median <= 1.2 &&
                t.total.min / peer.total.min <= 1.2
              ? " met"
              : " MISSED"
            : ""
        }`;
      lines.push(
        `| ${subject} | ${fmt(t.import)} | ${fmt(t.open)} | ${
          fmt(t.total)
        } | ${vs} |`,
      );
    }
  }
  lines.push(``, `Page cache drop: ${report.dropCheck}.`);
  for (const skip of report.skipped) lines.push(``, `Skipped: ${skip}.`);
  return lines;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "15" },
      "db-sqlite": { type: "string" },
      // Another copy of the library (its folder), timed as `before-ffi`.
      before: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new RangeError(`--runs takes a positive integer, got ${values.runs}`);
  }
  const report = await coldStart({
    runs,
    dbSqlite: dbSqliteCheckout(values["db-sqlite"]),
    before: values.before,
  });
  console.log(coldStartLines(report).join("\n"));
}
