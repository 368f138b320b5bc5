/**
 * A/B of the FFI engine's read path: this tree's library against the one
 * before issue 11's read rule (commit 807b11b, which trusted hints and read
 * no storage class), in one process, interleaved, on the same data in a
 * STRICT table (`bench.sqlite`, as the library builds files) and in a table
 * that is not STRICT (`bench-loose.sqlite`, as files built elsewhere).
 *
 * Workloads: the full scan of 1M rows into model instances, 200k random
 * `retrieve(id)`, and 100 × (declare, open, first lookup, close), which
 * pays the schema check (and its STRICT probe) each time. Each round runs every (library × file) variant
 * once, in an order rotated per round; the figure is CPU time (user +
 * system, so the other processes on a shared machine count less) and wall
 * time, min and median, with the ratio of this tree to 807b11b.
 *
 * ```sh
 * deno run -A bench/strict_ab.ts [--rounds 7] [--base 807b11b] [--files both] [--mmap N]
 * ```
 *
 * `--files strict` or `--files loose` reads one file only: in one process
 * the FFI engine's read method then sees one set of hints, as in an app
 * that serves only files it built (or only files built elsewhere).
 *
 * The base library is extracted with `git archive` into a temp directory.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { DEFAULT_COUNTS, lookupIds, RowChecksum } from "./baselines.ts";
import { ensureBenchData } from "./_data.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "7" },
    base: { type: "string", default: "807b11b" },
    files: { type: "string", default: "both" },
    // Bytes both libraries may memory-map (unset: each library's default,
    // 256 MiB for 807b11b, none for this tree), to tell the read path's
    // cost from the memory map's.
    mmap: { type: "string" },
  },
});
const rounds = Number(args.values.rounds);
const base = args.values.base;
/** `strict`, `loose` or `both`: which files the process reads. */
const files = args.values.files;
const root = new URL("..", import.meta.url).pathname;

/** Extracts the base commit's tree once; returns its mod.ts URL. */
async function baseLibrary(commit: string): Promise<string> {
  const dir = join(Deno.env.get("TMPDIR") ?? "/tmp", `microcosm_${commit}`);
  try {
    await Deno.stat(join(dir, "mod.ts"));
  } catch {
    await Deno.mkdir(dir, { recursive: true });
    const archive = new Deno.Command("git", {
      args: ["archive", commit],
      cwd: root,
      stdout: "piped",
    }).spawn();
    const tar = new Deno.Command("tar", {
      args: ["-x", "-C", dir],
      stdin: "piped",
    }).spawn();
    await archive.stdout.pipeTo(tar.stdin);
    if (!(await archive.status).success || !(await tar.status).success) {
      throw new Error(`Cannot extract ${commit} into ${dir}`);
    }
  }
  return new URL(`file://${join(dir, "mod.ts")}`).href;
}

// deno-lint-ignore no-explicit-any -- two versions of the library's API
type Library = any;

let names = 0;

/** Declares the benchmark model on a dataset of `lib` bound to `path`. */
function open(lib: Library, path: string) {
  const name = `ab_${++names}`;
  const db = lib.DataSet.create(
    name,
    args.values.mmap === undefined
      ? { engine: "ffi" }
      : { engine: "ffi", mmapSize: Number(args.values.mmap) },
  );
  db.bind(new lib.SQLiteBindFactory({ paths: { [name]: path } }));
  class T extends db.Model("t", {
    id: lib.integer({ primaryKey: true }),
    name: lib.text(),
    category: lib.text({ nullable: true }),
    value: lib.real({ nullable: true }),
  }) {}
  return { db, store: new lib.Store(T) };
}

interface Variant {
  label: string;
  lib: Library;
  path: string;
  db: Library;
  store: Library;
}

const ids = [...lookupIds(DEFAULT_COUNTS.lookup)];

type Workload = "scan" | "lookup" | "open";

/** Runs one workload; answers CPU and wall ms and a checksum. */
async function run(
  variant: Variant,
  workload: Workload,
): Promise<{ cpu: number; wall: number; sum: number }> {
  if (workload === "open") {
    const acc = new RowChecksum();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < DEFAULT_COUNTS.open; i++) {
      const { db, store } = open(variant.lib, variant.path);
      const row = await store.retrieve(1);
      acc.add(row.id, row.name, row.category, row.value ?? 0);
      await db.close();
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { cpu: (cpu.user + cpu.system) / 1000, wall, sum: acc.checksum };
  }
  await variant.db.open();
  const acc = new RowChecksum();
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (workload === "scan") {
      for await (const row of variant.store.search()) {
        acc.add(row.id, row.name, row.category, row.value ?? 0);
      }
    } else {
      for (const id of ids) {
        const row = await variant.store.retrieve(id);
        acc.add(row.id, row.name, row.category, row.value ?? 0);
      }
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { cpu: (cpu.user + cpu.system) / 1000, wall, sum: acc.checksum };
  } finally {
    await variant.db.close();
  }
}

const strictPath = await ensureBenchData();
const loosePath = await ensureBenchData(undefined, { strict: false });
const ours = await import(new URL("../mod.ts", import.meta.url).href);
const theirs = await import(await baseLibrary(base));
const variants: Variant[] = [
  { label: `${base} STRICT`, lib: theirs, path: strictPath },
  { label: "ours STRICT", lib: ours, path: strictPath },
  { label: `${base} loose`, lib: theirs, path: loosePath },
  { label: "ours loose", lib: ours, path: loosePath },
].filter((variant) =>
  files === "both" ||
  variant.label.endsWith(files === "strict" ? "STRICT" : "loose")
).map((variant) => ({ ...variant, ...open(variant.lib, variant.path) }));

const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

for (const workload of ["scan", "lookup", "open"] as const) {
  const cpu = new Map<string, number[]>();
  const wall = new Map<string, number[]>();
  const sums = new Set<number>();
  // One warm-up run each, untimed.
  for (const variant of variants) sums.add((await run(variant, workload)).sum);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + round) % variants.length]!;
      const result = await run(variant, workload);
      sums.add(result.sum);
      cpu.set(variant.label, [...cpu.get(variant.label) ?? [], result.cpu]);
      wall.set(variant.label, [...wall.get(variant.label) ?? [], result.wall]);
    }
  }
  if (sums.size !== 1) throw new Error(`checksums differ: ${[...sums]}`);
  console.log(`\n${workload} (${rounds} rounds, ms):`);
  console.log("variant | cpu min | cpu median | wall min | wall median");
  for (const { label } of variants) {
    const c = cpu.get(label)!;
    const w = wall.get(label)!;
    console.log(
      `${label} | ${min(c).toFixed(1)} | ${median(c).toFixed(1)} | ${
        min(w).toFixed(1)
      } | ${median(w).toFixed(1)}`,
    );
  }
  for (const file of ["STRICT", "loose"]) {
    if (!cpu.has(`ours ${file}`)) continue;
    const a = cpu.get(`${base} ${file}`)!;
    const b = cpu.get(`ours ${file}`)!;
    const wa = wall.get(`${base} ${file}`)!;
    const wb = wall.get(`ours ${file}`)!;
    console.log(
      `ours/${base} on ${file}: cpu min ${(min(b) / min(a)).toFixed(3)}×, ` +
        `cpu median ${(median(b) / median(a)).toFixed(3)}×, wall min ${
          (min(wb) / min(wa)).toFixed(3)
        }×, wall median ${(median(wb) / median(wa)).toFixed(3)}×`,
    );
  }
}
