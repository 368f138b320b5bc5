/**
 * Issue 15's node lookups, split: how much of the library's unmapped gap to
 * a mapped raw `node:sqlite` `get()` is the memory map (SQLite copying each
 * page with `pread` into its page cache instead of reading the mapped
 * file), and how much is the library's own work.
 *
 * Four subjects, 10k random point lookups each (`lookupIds`): the store
 * unmapped (the library's default), the store with `mmapSize`, and raw
 * `node:sqlite` `get()` unmapped and mapped. Each runs in a fresh process
 * of its own, with one connection, alternating: several unmapped
 * connections in one process made their lookups 1.0-1.7x as slow as each
 * other's (the same code on each; not seen on the FFI engine), so the
 * interleaved rounds of `app.ts` mix that effect into the ratio. Per
 * process: one untimed round, then the least of `--rounds` rounds.
 *
 *   deno run -A bench/lookup_split.ts [--processes=7] [--rounds=5] [--engine=node]
 *
 * With `--engine=ffi`, the same for the FFI engine (raw subjects skipped).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { DatabaseSync } from "node:sqlite";
import type { EngineName } from "../src/_engine.ts";
import { ensureBenchData } from "./_data.ts";
import { openBench } from "./_library.ts";
import { lookupIds, MMAP_SIZE } from "./baselines.ts";
import { type Stats, stats } from "./_rounds.ts";

const LOOKUPS = 10_000;
const SUBJECTS = [
  "store, unmapped",
  "store, mmapSize",
  "raw get(), unmapped",
  "raw get(), mapped",
] as const;
type Subject = typeof SUBJECTS[number];

/** One process: the least time of `rounds` rounds of the lookups. */
async function child(
  subject: Subject,
  engine: EngineName,
  rounds: number,
): Promise<number> {
  const path = await ensureBenchData();
  const ids = [...lookupIds(LOOKUPS)];
  let lookups: () => Promise<number> | number;
  if (subject.startsWith("store")) {
    const { db, store } = openBench(
      path,
      engine,
      subject === "store, mmapSize" ? MMAP_SIZE : undefined,
    );
    await db.open();
    lookups = async () => {
      let sum = 0;
      for (const id of ids) sum += (await store.retrieve(id)).id;
      return sum;
    };
  } else {
    const db = new DatabaseSync(path, { readOnly: true });
    db.exec(
      `pragma mmap_size = ${subject === "raw get(), mapped" ? MMAP_SIZE : 0}`,
    );
    db.exec("pragma locking_mode = exclusive");
    const get = db.prepare(
      "select id, name, category, value from t where id = ?",
    );
    lookups = () => {
      let sum = 0;
      for (const id of ids) sum += (get.get(id) as { id: number }).id;
      return sum;
    };
  }
  await lookups();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await lookups();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      processes: { type: "string", default: "7" },
      rounds: { type: "string", default: "5" },
      engine: { type: "string", default: "node" },
      subject: { type: "string" },
    },
  });
  const engine = values.engine as EngineName;
  const rounds = Number(values.rounds);
  if (values.subject !== undefined) {
    console.log(await child(values.subject as Subject, engine, rounds));
  } else {
    await ensureBenchData();
    const subjects = SUBJECTS.filter((s) =>
      engine === "node" || s.startsWith("store")
    );
    const times = new Map<Subject, number[]>(subjects.map((s) => [s, []]));
    const processes = Number(values.processes);
    for (let p = 0; p < processes; p++) {
      // Each pass starts one subject further on.
      for (let k = 0; k < subjects.length; k++) {
        const subject = subjects[(k + p) % subjects.length]!;
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--no-check",
            "--allow-all",
            fileURLToPath(import.meta.url),
            `--subject=${subject}`,
            `--engine=${engine}`,
            `--rounds=${rounds}`,
          ],
          stderr: "inherit",
        }).output();
        if (!out.success) throw new Error(`Cannot time ${subject}`);
        times.get(subject)!.push(
          Number(new TextDecoder().decode(out.stdout)),
        );
      }
    }
    const s = new Map<Subject, Stats>(
      [...times].map(([name, list]) => [name, stats(list)]),
    );
    const fmt = (x: Stats) => `${x.min.toFixed(1)} / ${x.median.toFixed(1)}`;
    const ratio = (a: Subject, b: Subject) => {
      const x = s.get(a);
      const y = s.get(b);
      return x === undefined || y === undefined
        ? "n/a"
        : `${(x.min / y.min).toFixed(2)}× / ${
          (x.median / y.median).toFixed(2)
        }×`;
    };
    console.log(
      `${engine} engine, 10k lookups, ms (min / median over ${processes} fresh processes, each the least of ${rounds} rounds):`,
    );
    for (const [name, x] of s) console.log(`  ${name.padEnd(22)} ${fmt(x)}`);
    if (engine === "node") {
      console.log(
        `  ours (store ÷ raw, both unmapped):  ${
          ratio("store, unmapped", "raw get(), unmapped")
        }`,
      );
      console.log(
        `  ours (store ÷ raw, both mapped):    ${
          ratio("store, mmapSize", "raw get(), mapped")
        }`,
      );
      console.log(
        `  the map (raw unmapped ÷ raw mapped): ${
          ratio("raw get(), unmapped", "raw get(), mapped")
        }`,
      );
      console.log(
        `  together (store unmapped ÷ raw mapped): ${
          ratio("store, unmapped", "raw get(), mapped")
        }`,
      );
    } else {
      console.log(
        `  the map (store unmapped ÷ store mmapSize): ${
          ratio("store, unmapped", "store, mmapSize")
        }`,
      );
    }
  }
}
