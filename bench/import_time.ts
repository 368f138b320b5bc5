/**
 * How long importing the runtime entry point (`mod.ts`) takes, in fresh
 * processes, for two copies of the library side by side:
 *
 *   deno run -A bench/import_time.ts --before /tmp/import-base [--after .] [--runs 40]
 *
 * `--before` is a copy of the baseline outside this tree (for example
 * `mkdir /tmp/import-base && git archive <commit> | tar -x -C
 * /tmp/import-base`), `--after` this copy (default: the folder above
 * `bench/`). Each run starts one `deno run` per copy, alternating which goes
 * first, so load on the machine falls on both alike. Each process times
 * `await import(mod.ts)` with `performance.now()` and prints it; a floor
 * process that imports an empty module shows what any dynamic import
 * costs. One unreported warm-up run per copy fills Deno's caches (compiled
 * modules, V8 code cache) first, as a deployed server would have them.
 *
 * Prints the min and median per copy in milliseconds and the after/before
 * ratios.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runScript } from "../tests/_helpers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    before: { type: "string" },
    after: { type: "string" },
    runs: { type: "string", default: "40" },
  },
});
if (values.before === undefined) {
  throw new TypeError(
    "Cannot measure: --before <folder of the baseline copy> is required",
  );
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  throw new RangeError(`Cannot measure: --runs must be a positive integer`);
}
const after = resolve(
  values.after ?? new URL("..", import.meta.url).pathname,
);
const before = resolve(values.before);

const empty = await Deno.makeTempFile({ suffix: ".ts" });
await Deno.writeTextFile(empty, "export const nothing = 0;\n");

/** The milliseconds one fresh process takes to import `url`. */
async function importOnce(url: string): Promise<number> {
  const script = `const start = performance.now();
await import(${JSON.stringify(url)});
console.log(performance.now() - start);`;
  const output = await runScript(
    ["--no-check", "--no-prompt", "--allow-read"],
    script,
  );
  if (output.code !== 0) {
    throw new Error(`Cannot import ${url}: ${output.stderr}`);
  }
  return Number(output.stdout.trim());
}

const targets: Record<string, string> = {
  floor: pathToFileURL(empty).href,
  before: pathToFileURL(`${before}/mod.ts`).href,
  after: pathToFileURL(`${after}/mod.ts`).href,
};
const times: Record<string, number[]> = { floor: [], before: [], after: [] };

for (const url of Object.values(targets)) await importOnce(url);
for (let run = 0; run < runs; run++) {
  const order = run % 2 === 0
    ? ["floor", "before", "after"]
    : ["after", "before", "floor"];
  for (const name of order) times[name]!.push(await importOnce(targets[name]!));
}
await Deno.remove(empty);

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const summary = Object.fromEntries(
  Object.entries(times).map((
    [name, values],
  ) => [name, { min: Math.min(...values), median: median(values) }]),
);
console.log(`import of mod.ts, ${runs} fresh processes per copy, interleaved`);
console.log(`  before: ${before}\n  after:  ${after}`);
for (const [name, { min, median }] of Object.entries(summary)) {
  console.log(
    `${name.padEnd(7)} min ${min.toFixed(1).padStart(6)} ms   median ${
      median.toFixed(1).padStart(6)
    } ms`,
  );
}
const ratio = (key: "min" | "median"): string =>
  (summary.after![key] / summary.before![key]).toFixed(2);
console.log(`after/before: min ${ratio("min")}, median ${ratio("median")}`);
