/**
 * Prints the baseline table: every workload through the C reference, raw
 * `node:sqlite` and a raw FFI loop, median of N runs (default 3), with the
 * checksums cross-checked against the C reference.
 *
 * ```sh
 * deno run -A bench/baselines_demo.ts [--runs=3] [--workloads=scan,lookup]
 * ```
 *
 * `-A` is needed: the C reference is compiled and run, FFI loads
 * libsqlite3, and the data set is built on first use (about 5 s).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { ensureBenchData } from "./_data.ts";
import {
  type BenchResult,
  DEFAULT_COUNTS,
  DEFAULT_NODE_CONFIG,
  ffiSqliteVersion,
  runC,
  runFfi,
  runNodeSqlite,
  type Workload,
  WORKLOADS,
} from "./baselines.ts";

/** A baseline implementation as shown in the table. */
interface Baseline {
  name: string;
  run(workload: Workload): Promise<BenchResult | null>;
}

function parseArgs(args: string[]): { runs: number; workloads: Workload[] } {
  let runs = 3;
  let workloads: Workload[] = [...WORKLOADS];
  for (const arg of args) {
    const [key, value] = arg.split("=", 2);
    if (key === "--runs" && value !== undefined && Number(value) > 0) {
      runs = Number(value);
    } else if (key === "--workloads" && value !== undefined) {
      workloads = value.split(",").map((w) => {
        const found = WORKLOADS.find((known) => known === w);
        if (found === undefined) throw new Error(`unknown workload: ${w}`);
        return found;
      });
    } else {
      throw new Error(
        `unknown argument: ${arg}\n` +
          "usage: baselines_demo.ts [--runs=N] [--workloads=scan,lookup,...]",
      );
    }
  }
  return { runs, workloads };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function label(workload: Workload): string {
  switch (workload) {
    case "lookup":
      return `lookup ${DEFAULT_COUNTS.lookup / 1000}k`;
    case "count":
      return `count x${DEFAULT_COUNTS.count}`;
    case "open":
      return `open x${DEFAULT_COUNTS.open}`;
    default:
      return workload;
  }
}

function nodeSqliteVersion(): string {
  const db = new DatabaseSync(":memory:");
  try {
    const row = db.prepare("select sqlite_version() as v").get() as
      | { v: string }
      | undefined;
    return row?.v ?? "?";
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const { runs, workloads } = parseArgs(Deno.args);
  const t0 = performance.now();
  const db = await ensureBenchData();
  console.log(
    `data: ${db} (${(Deno.statSync(db).size / 2 ** 20).toFixed(1)} MiB, ` +
      `ready in ${(performance.now() - t0).toFixed(0)} ms)`,
  );

  const baselines: Baseline[] = [
    { name: "C", run: (w) => runC(w, { db }) },
    {
      name: "node:sqlite",
      run: (w) => Promise.resolve(runNodeSqlite(db, w)),
    },
    { name: "raw FFI", run: (w) => Promise.resolve(runFfi(db, w)) },
  ];
  console.log(
    `C: reference.c, libsqlite3 ${ffiSqliteVersion()}, ` +
      `immutable URI + mmap + NOMUTEX + single-thread`,
  );
  console.log(
    `node:sqlite: SQLite ${nodeSqliteVersion()} (bundled), ` +
      `${DEFAULT_NODE_CONFIG}, arrays + all()/get()`,
  );
  console.log(
    `raw FFI: Deno.dlopen libsqlite3 ${ffiSqliteVersion()}, ` +
      `immutable URI + mmap + NOMUTEX, getCString`,
  );
  console.log(`median of ${runs} runs, ms\n`);

  const header = ["workload", "rows", ...baselines.map((b) => b.name)];
  const table: string[][] = [];
  const problems: string[] = [];
  for (const workload of workloads) {
    const times = baselines.map((): number[] => []);
    const results: (BenchResult | null)[] = baselines.map(() => null);
    // Interleave the baselines so drift affects them alike.
    for (let r = 0; r < runs; r++) {
      for (const [i, baseline] of baselines.entries()) {
        const result = await baseline.run(workload);
        if (result === null) continue;
        times[i]!.push(result.ms);
        results[i] = result;
      }
    }
    const reference = results.find((r) => r !== null) ?? null;
    for (const [i, result] of results.entries()) {
      if (result === null || reference === null) continue;
      if (
        result.rows !== reference.rows || result.checksum !== reference.checksum
      ) {
        problems.push(
          `${workload}: ${baselines[i]!.name} rows=${result.rows} ` +
            `checksum=${result.checksum}, expected rows=${reference.rows} ` +
            `checksum=${reference.checksum}`,
        );
      }
    }
    table.push([
      label(workload),
      String(reference?.rows ?? "-"),
      ...times.map((t) => t.length === 0 ? "n/a" : median(t).toFixed(1)),
    ]);
  }

  const widths = header.map((h, c) =>
    Math.max(h.length, ...table.map((row) => row[c]!.length))
  );
  const line = (cells: string[]) =>
    cells.map((cell, c) =>
      c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)
    ).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));

  if (problems.length > 0) {
    console.error(`\nchecksum mismatches:\n  ${problems.join("\n  ")}`);
    Deno.exitCode = 1;
  } else {
    console.log("\nchecksums: all baselines agree");
  }
}

if (import.meta.main) await main();
