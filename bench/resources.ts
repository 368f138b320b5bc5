/**
 * Statement counts and RSS after many early breaks and many abandoned
 * (never finished, never returned) cursors, on both engines:
 *
 *   deno run -A --v8-flags=--expose-gc bench/resources.ts [count] [engines]
 *
 * `count` defaults to 100,000, `engines` to `ffi,node`. Prints one JSON
 * line per engine and phase:
 * `{ engine, phase, cursors, ms, leased, live, rssMiB, growthMiB }`, where
 * `leased` is statements held by cursors, `live` statements prepared and
 * not finalized, and `growthMiB` the RSS gained since the dataset opened.
 *
 * Phases: early `break`s; cursors dropped after one row in a loop that
 * never yields to the event loop (nothing can be collected until it ends:
 * the count grows with the loop), then after forced collections; the same
 * with the event loop turning every 100 cursors (V8's own collections run
 * the finalizers), then collected.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { EngineName } from "../src/_engine.ts";
import { SQLiteBindFactory, Store } from "../mod.ts";
import { SESSION } from "../src/dataset.ts";
import { declarePeople, PEOPLE } from "../tests/_helpers.ts";
import { DataSet } from "../mod.ts";

const count = Number(Deno.args[0] ?? 100_000);
const engines = (Deno.args[1] ?? "ffi,node").split(",") as EngineName[];
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("Run with --v8-flags=--expose-gc to collect between phases.");
  Deno.exit(2);
}
const mib = (bytes: number) => Math.round(bytes / 2 ** 20 * 10) / 10;
const dir = await Deno.makeTempDir({ prefix: "microcosm_resources_" });

async function collect(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

try {
  for (const engine of engines) {
    const path = `${dir}/people_${engine}.sqlite`;
    const builder = DataSet.create(`build_${engine}`, {
      engine,
      writable: true,
    });
    builder.bind(new SQLiteBindFactory({ paths: { [builder.name]: path } }));
    const Built = declarePeople(builder);
    await builder.createAll();
    await new Store(Built).createMany(PEOPLE.map((p) => ({ ...p })));
    await builder.close();

    const db = DataSet.create(`read_${engine}`, { engine });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    const store = new Store(declarePeople(db));
    const session = await db[SESSION]();
    await Array.fromAsync(store.search());
    await collect();
    const start = Deno.memoryUsage().rss;
    let began = performance.now();
    const report = (phase: string) => {
      const ms = Math.round(performance.now() - began);
      const rss = Deno.memoryUsage().rss;
      console.log(JSON.stringify({
        engine,
        phase,
        cursors: count,
        ms,
        leased: session.leasedStatements,
        live: session.liveStatements,
        rssMiB: mib(rss),
        growthMiB: mib(rss - start),
      }));
      began = performance.now();
    };
    for (let i = 0; i < count; i++) {
      for await (const _person of store.search()) break;
    }
    await collect();
    report("early breaks");
    for (let i = 0; i < count; i++) await store.search().next();
    report("abandoned, before collection");
    await collect();
    report("abandoned, collected");
    // As in a server: the event loop turns between requests, so V8's own
    // collections run the finalizers and the count stays bounded.
    let peak = 0;
    for (let i = 0; i < count; i++) {
      await store.search().next();
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
      peak = Math.max(peak, session.leasedStatements);
    }
    report(`abandoned, event loop turning (peak leased ${peak})`);
    await collect();
    report("abandoned with turns, collected");
    await db.close();
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
