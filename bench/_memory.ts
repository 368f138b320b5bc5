/**
 * Measures peak RSS while streaming every row of the bench table, in a
 * process of its own so nothing else inflates it:
 *
 *   deno run -A bench/_memory.ts <bench.sqlite> <ffi|node>
 *
 * Prints JSON: `{ "openMiB", "peakMiB", "growthMiB", "rows" }`.
 *
 * @module
 */
import type { EngineName } from "../src/_engine.ts";
import { openBench } from "./_library.ts";

const [path, engine] = Deno.args as [string, EngineName];
const { db, store } = openBench(path, engine);
await db.open();
await store.retrieve(1);
const mib = (bytes: number) => bytes / 2 ** 20;
const open = Deno.memoryUsage().rss;
let peak = open;
let rows = 0;
for await (const _row of store.search()) {
  if ((++rows & 4095) === 0) peak = Math.max(peak, Deno.memoryUsage().rss);
}
peak = Math.max(peak, Deno.memoryUsage().rss);
await db.close();
console.log(JSON.stringify({
  openMiB: mib(open),
  peakMiB: mib(peak),
  growthMiB: mib(peak - open),
  rows,
}));
