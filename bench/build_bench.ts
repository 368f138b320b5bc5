/**
 * Benchmark (not a test): building a 1M-row table from a CSV file with
 * `buildDataSet` + `loadCsv`, against the `sqlite3` shell in the same run.
 *
 *   deno run -A bench/build_bench.ts [--engine ffi|node]
 *
 * Baselines, each on the same CSV and the same schema (taken from the file
 * our build wrote):
 * - `.import` only: create the table, `.import --csv --skip 1`;
 * - same work: table, `.import`, the indexes, `PRAGMA integrity_check`,
 *   `ANALYZE` (what a build does besides loading; it vacuums only a file with
 *   free pages, which an appending build does not leave).
 *
 * Peak memory is the process's VmHWM (Linux), else the highest sampled RSS.
 * The machine may be shared: run it a few times and read the ratios.
 */
import { parseArgs } from "node:util";
import { DataSet, integer, real, text } from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { ensureCsv, ROW_COUNT } from "./_data.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { engine: { type: "string", default: "ffi" } },
});
const engine = values.engine as "ffi" | "node";

const csv = await ensureCsv();
const dir = await Deno.makeTempDir({ prefix: "microcosm_build_bench_" });

const Bench = DataSet.create("build_bench", { engine });
class T extends Bench.Model("t", {
  id: integer({ primaryKey: true }),
  name: text(),
  category: text({ nullable: true, index: true }),
  value: real({ nullable: true }),
}) {}

function peakRss(): number | undefined {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

// Resets VmHWM (Linux), so the peak is the build's, not the CSV check's.
try {
  Deno.writeTextFileSync("/proc/self/clear_refs", "5");
} catch {
  // Not Linux: the sampled RSS stands in.
}
let sampled = 0;
const sampler = setInterval(() => {
  sampled = Math.max(sampled, Deno.memoryUsage().rss);
}, 20);
const t0 = performance.now();
let loaded = 0;
const result = await buildDataSet(Bench, `${dir}/ours.sqlite`, async (b) => {
  await b.loadCsv(T, csv);
  loaded = performance.now();
});
const ours = performance.now() - t0;
clearInterval(sampler);
const peak = peakRss() ?? sampled;
if (result.rows.t !== ROW_COUNT) throw new Error("wrong row count");

const schema: string[] = [];
for await (
  const row of Bench
    .sql`SELECT type, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name <> 'microcosm_metadata'`
) {
  schema.push(String(row.sql));
}
await Bench.close();
const tables = schema.filter((sql) => sql.startsWith("CREATE TABLE"));
const indexes = schema.filter((sql) => sql.startsWith("CREATE INDEX"));

async function shell(script: string, file: string): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command("sqlite3", {
    args: [file],
    stdin: "piped",
    stdout: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const status = await child.status;
  if (!status.success) throw new Error("sqlite3 failed");
  return performance.now() - start;
}

const importOnly = await shell(
  `${tables.join(";\n")};\n.import --csv --skip 1 ${csv} t\n`,
  `${dir}/import.sqlite`,
);
const sameWork = await shell(
  `${tables.join(";\n")};\n.import --csv --skip 1 ${csv} t\n${
    indexes.join(";\n")
  };\nPRAGMA integrity_check;\nANALYZE;\n`,
  `${dir}/same.sqlite`,
);
await Deno.remove(dir, { recursive: true });

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`engine ${engine}, ${ROW_COUNT.toLocaleString("en")} rows, ${csv}`);
console.log(
  `buildDataSet + loadCsv: ${s(ours)} (load ${s(loaded - t0)}), ${
    Math.round(ROW_COUNT / (ours / 1000)).toLocaleString("en")
  } rows/s, peak memory ${(peak / 2 ** 20).toFixed(0)} MiB`,
);
console.log(
  `sqlite3 .import only:   ${s(importOnly)}  ratio ${
    (ours / importOnly).toFixed(2)
  }x (load only ${((loaded - t0) / importOnly).toFixed(2)}x)`,
);
console.log(
  `sqlite3 same work:      ${s(sameWork)}  ratio ${
    (ours / sameWork).toFixed(2)
  }x`,
);
