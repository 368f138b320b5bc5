/**
 * Costs of the live-dataset features (issue 14), as ratios in one process,
 * interleaved, min and median:
 *
 * - opening a ~16 MB file pinned `{ path, sha256 }` against unpinned;
 * - point lookups while the file is reloaded every 20 ms against none.
 *
 * Run: `deno run -A bench/live.ts`.
 *
 * @module
 */
import { DataSet, integer, SQLiteBindFactory, Store, text } from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { hashFile } from "../src/_hash.ts";

const ROUNDS = 9;

function stats(times: number[]): { min: number; median: number } {
  const sorted = times.toSorted((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[sorted.length >> 1]! };
}

function report(name: string, base: number[], other: number[]): void {
  const ratios = other.map((t, i) => t / base[i]!);
  const b = stats(base);
  const o = stats(other);
  const r = stats(ratios);
  console.log(
    `${name}: ${o.min.toFixed(2)} / ${b.min.toFixed(2)} ms (min), ratio min ${
      r.min.toFixed(2)
    }× median ${r.median.toFixed(2)}×`,
  );
}

async function time(run: () => unknown): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

// A ~16 MB built file and a second version of it.
const dir = await Deno.makeTempDir({ prefix: "microcosm_live_bench_" });
const Builder = DataSet.create("bench_live_builder");
class Row extends Builder.Model("row", {
  id: integer({ primaryKey: true }),
  version: integer(),
  label: text(),
}) {}
for (const version of [1, 2]) {
  await buildDataSet(
    Builder,
    `${dir}/v${version}.sqlite`,
    (build) =>
      build.loadRecords(
        Row,
        Array.from({ length: 150_000 }, (_, i) => ({
          id: i + 1,
          version,
          label: `row ${i + 1} of version ${version} `.repeat(3),
        })),
      ),
  );
}
const size = (await Deno.stat(`${dir}/v1.sqlite`)).size;
const hash = await hashFile(`${dir}/v1.sqlite`, undefined);

// 1. Opening pinned against unpinned.
{
  let n = 0;
  const openOnce = async (pinned: boolean) => {
    const db = DataSet.create(`bench_live_open_${++n}`);
    const Model = db.Model("row", {
      id: integer({ primaryKey: true }),
      version: integer(),
      label: text(),
    });
    db.bind(
      new SQLiteBindFactory().set(
        db.name,
        pinned
          ? { path: `${dir}/v1.sqlite`, sha256: hash }
          : `${dir}/v1.sqlite`,
      ),
    );
    await new Store(Model).retrieve(1);
    await db.close();
  };
  const plain: number[] = [];
  const pinned: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(await time(() => openOnce(false)));
    pinned.push(await time(() => openOnce(true)));
  }
  report(
    `Open + first lookup, ${(size / 1e6).toFixed(1)} MB, pinned / plain`,
    plain,
    pinned,
  );
}

// 2. Lookups with a reload every 20 ms against none.
{
  const Live = DataSet.create("bench_live_swaps");
  const Model = Live.Model("row", {
    id: integer({ primaryKey: true }),
    version: integer(),
    label: text(),
  });
  Live.bind(new SQLiteBindFactory().set(Live.name, `${dir}/v1.sqlite`));
  const store = new Store(Model);
  const lookups = async (swapping: boolean) => {
    let stop = false;
    let reloads = 0;
    const swapper = (async () => {
      let version = 1;
      while (swapping && !stop) {
        await new Promise((wake) => setTimeout(wake, 20));
        version = 3 - version;
        await Live.reload(`${dir}/v${version}.sqlite`);
        reloads++;
      }
    })();
    const start = performance.now();
    for (let i = 0; i < 20_000; i++) {
      await store.retrieve(1 + (i * 7919) % 150_000);
      if (i % 500 === 0) await new Promise((wake) => setTimeout(wake, 0));
    }
    const elapsed = performance.now() - start;
    stop = true;
    await swapper;
    return { elapsed, reloads };
  };
  const quiet: number[] = [];
  const busy: number[] = [];
  let reloads = 0;
  for (let round = 0; round < ROUNDS; round++) {
    quiet.push((await lookups(false)).elapsed);
    const run = await lookups(true);
    busy.push(run.elapsed);
    reloads += run.reloads;
  }
  report(
    `20,000 lookups, reloading every 20 ms (${reloads} reloads) / none`,
    quiet,
    busy,
  );
  await Live.close();
}

await Deno.remove(dir, { recursive: true });
