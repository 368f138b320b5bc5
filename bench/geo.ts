/**
 * Nearest-20 through the store against the same hand-written SQL on raw
 * `node:sqlite` (`DatabaseSync`) and on a raw FFI loop over the system
 * libsqlite3, on the 1M-row synthetic places table (`_places.ts`) with its
 * geo index, in one process, interleaved; prints min and median per
 * variant and their ratios to the faster raw baseline.
 *
 * Every variant runs the same search: R*Tree boxes around the point
 * (`circleBoxes`, one box or two across the antimeridian) growing until 20
 * rows lie within the searched radius, haversine distances in JavaScript
 * (there is no SQL math on node:sqlite), then the 20 rows read by rowid.
 * The baselines write that SQL by hand and read columns by position, on
 * connections that map the file; the store runs with the library's default
 * (no map) and with the same map (`mmapSize`).
 *
 * ```sh
 * deno run -A bench/geo.ts [--rounds 15] [--points 200]
 * ```
 *
 * The file is built once into `bench/.data/places-geo-v1.sqlite` with
 * `buildDataSet` (about a minute) and reused while complete.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import {
  DataSet,
  integer,
  readBuildMetadata,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import {
  boxParams,
  circleBoxes,
  EARTH_RADIUS_KM,
  greatCircleKm,
  HALF_CIRCUMFERENCE_KM,
} from "../src/_geo.ts";
import { DEFAULT_DATA_DIR } from "./_data.ts";
import { PLACE_COUNT, placeRows } from "./_places.ts";
import { DEFAULT_NODE_CONFIG, MMAP_SIZE, openNodeSqlite } from "./baselines.ts";

const FILE = "places-geo-v1.sqlite";
const LIMIT = 20;

function declarePlaces(db: DataSet) {
  return db.Model("place", {
    id: integer({ primaryKey: true }),
    name: text(),
    altNames: text(),
    country: text(),
    population: integer(),
    lat: real(),
    lon: real(),
    featureClass: text(),
  }, { geo: { lat: "lat", lon: "lon" } });
}

/** Builds the places file once; answers its path. */
async function ensurePlaces(): Promise<string> {
  await Deno.mkdir(DEFAULT_DATA_DIR, { recursive: true });
  const path = join(DEFAULT_DATA_DIR, FILE);
  const probe = DataSet.create("geo_probe");
  declarePlaces(probe);
  probe.bind(new SQLiteBindFactory({ paths: { geo_probe: path } }));
  try {
    await Deno.stat(path);
    const meta = await readBuildMetadata(probe);
    if (meta?.tables.place === PLACE_COUNT) return path;
  } catch {
    // Missing or incomplete: build it.
  } finally {
    await probe.close();
  }
  console.error(`building ${path} ...`);
  const db = DataSet.create("places_geo");
  const Place = declarePlaces(db);
  await buildDataSet(db, path, async (b) => {
    await b.loadRecords(Place, placeRows());
  });
  await db.close();
  return path;
}

/** Search points: spread over the globe, some at the poles and ±180. */
function searchPoints(count: number): { lat: number; lon: number }[] {
  let state = 0x1234567;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const points = [
    { lat: 89.9, lon: 10 },
    { lat: -89.7, lon: -60 },
    { lat: 10.2, lon: -179.95 },
    { lat: -20.1, lon: 179.95 },
  ];
  while (points.length < count) {
    points.push({ lat: next() * 150 - 75, lon: next() * 360 - 180 });
  }
  return points;
}

// The search the store runs, for the baselines: the same first radius
// (from the table's largest rowid) and the same growth.
function firstRadius(rows: number): number {
  const angle = rows <= LIMIT ? Math.PI : 2 * Math.sqrt(LIMIT / rows);
  return Math.max(1, angle * EARTH_RADIUS_KM);
}
function nextRadius(distances: number[], radius: number): number {
  if (distances.length < LIMIT) return radius * 1.5;
  distances.sort((a, b) => a - b);
  return distances[LIMIT - 1]!;
}

const PROBE =
  "SELECT id FROM place_geo WHERE maxLat >= ? AND minLat <= ? AND maxLon >= ? AND minLon <= ?";
const CANDIDATES = [1, 2].map((boxes) =>
  `SELECT rowid, lat, lon FROM place WHERE rowid IN (${
    Array(boxes).fill(PROBE).join(" UNION ALL ")
  })`
);
const ROWS =
  `SELECT id, name, altNames, country, population, lat, lon, featureClass, rowid FROM place WHERE rowid IN (${
    Array(LIMIT).fill("?").join(", ")
  })`;

interface Found {
  rowid: number;
  distanceKm: number;
}

/**
 * The growing search over a candidate query: `candidates(sqlIndex, params,
 * push)` runs one box query; answers the nearest LIMIT rowids.
 */
function search(
  lat: number,
  lon: number,
  rows: number,
  candidates: (
    boxes: number,
    params: number[],
    push: (rowid: number, lat: number, lon: number) => void,
  ) => void,
): Found[] {
  let km = firstRadius(rows);
  let found: Found[];
  for (;;) {
    const radius = Math.min(km, HALF_CIRCUMFERENCE_KM);
    const boxes = circleBoxes(lat, lon, radius);
    found = [];
    const distances: number[] = [];
    candidates(boxes.length, boxes.flatMap(boxParams), (rowid, la, lo) => {
      const distanceKm = greatCircleKm(lat, lon, la, lo);
      distances.push(distanceKm);
      if (distanceKm <= radius) found.push({ rowid, distanceKm });
    });
    if (found.length >= LIMIT || radius >= HALF_CIRCUMFERENCE_KM) break;
    km = nextRadius(distances, radius);
  }
  found.sort((a, b) => a.distanceKm - b.distanceKm || a.rowid - b.rowid);
  found.length = Math.min(found.length, LIMIT);
  return found;
}

/** Sums ids and distances so every variant can be checked against the others. */
class Checksum {
  ids = 0;
  km = 0;
  add(id: number, km: number): void {
    this.ids += id;
    this.km += km;
  }
  toString(): string {
    return `${this.ids}/${this.km.toFixed(6)}`;
  }
}

type Runner = (points: readonly { lat: number; lon: number }[]) => Promise<
  string
>;

function storeRunner(
  path: string,
  engine: "ffi" | "node",
  mmapSize = 0,
): Runner {
  const name = `geo_bench_${engine}_${mmapSize}`;
  const db = DataSet.create(name, { engine, mmapSize });
  db.bind(new SQLiteBindFactory({ paths: { [name]: path } }));
  const store = new Store(declarePlaces(db));
  return async (points) => {
    const sum = new Checksum();
    for (const point of points) {
      for (
        const { row, distanceKm } of await store.nearest(point, {
          limit: LIMIT,
        })
      ) {
        sum.add(row.id, distanceKm);
      }
    }
    return sum.toString();
  };
}

/** A statement method present at run time but missing from the typings. */
interface ReturnArrays {
  setReturnArrays(enabled: boolean): void;
}

function nodeRunner(db: DatabaseSync): Runner {
  const rows = Number(
    (db.prepare("SELECT max(rowid) AS n FROM place").get() as { n: number }).n,
  );
  const candidates = CANDIDATES.map((sql) => {
    const statement = db.prepare(sql);
    (statement as unknown as ReturnArrays).setReturnArrays(true);
    return statement;
  });
  const byRowid = db.prepare(ROWS);
  (byRowid as unknown as ReturnArrays).setReturnArrays(true);
  return (points) => {
    const sum = new Checksum();
    for (const { lat, lon } of points) {
      const found = search(lat, lon, rows, (boxes, params, push) => {
        for (
          const row of candidates[boxes - 1]!.all(...params) as unknown as [
            number,
            number,
            number,
          ][]
        ) push(row[0], row[1], row[2]);
      });
      const distance = new Map(found.map((f) => [f.rowid, f.distanceKm]));
      const ids = found.map((f) => f.rowid);
      while (ids.length < LIMIT) ids.push(0);
      const read = byRowid.all(...ids) as unknown as unknown[][];
      const rowsById = new Map<number, unknown[]>();
      for (const row of read) rowsById.set(row[8] as number, row);
      for (const f of found) {
        const row = rowsById.get(f.rowid)!;
        sum.add(row[0] as number, distance.get(f.rowid)!);
      }
    }
    return Promise.resolve(sum.toString());
  };
}

// -- raw FFI ---------------------------------------------------------------

const FFI_SYMBOLS = {
  sqlite3_open_v2: {
    parameters: [
      "buffer", // const char *filename
      "buffer", // sqlite3 **ppDb
      "i32", // int flags
      "pointer", // const char *zVfs
    ],
    result: "i32",
  },
  sqlite3_close_v2: { parameters: ["pointer"], result: "i32" },
  sqlite3_exec: {
    parameters: ["pointer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  sqlite3_prepare_v2: {
    parameters: ["pointer", "buffer", "i32", "buffer", "pointer"],
    result: "i32",
  },
  sqlite3_step: { parameters: ["pointer"], result: "i32" },
  sqlite3_reset: { parameters: ["pointer"], result: "i32" },
  sqlite3_finalize: { parameters: ["pointer"], result: "i32" },
  sqlite3_bind_double: {
    parameters: ["pointer", "i32", "f64"],
    result: "i32",
  },
  sqlite3_bind_int64: { parameters: ["pointer", "i32", "i64"], result: "i32" },
  sqlite3_column_int64: { parameters: ["pointer", "i32"], result: "i64" },
  sqlite3_column_double: { parameters: ["pointer", "i32"], result: "f64" },
  sqlite3_column_text: { parameters: ["pointer", "i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

const SQLITE_ROW = 100;

function ffiRunner(path: string): { run: Runner; close: () => void } {
  const lib = Deno.dlopen(
    Deno.env.get("SQLITE3_LIB") ?? "libsqlite3.so.0",
    FFI_SYMBOLS,
  );
  const s = lib.symbols;
  const c = (text: string) => new TextEncoder().encode(`${text}\0`);
  const out = new BigUint64Array(1);
  if (
    s.sqlite3_open_v2(
      c(`file:${path}?mode=ro&immutable=1`),
      out,
      0x1 | 0x40 | 0x8000,
      null,
    ) !== 0
  ) throw new Error(`cannot open ${path}`);
  const db = Deno.UnsafePointer.create(out[0]!);
  s.sqlite3_exec(db, c(`pragma mmap_size = ${MMAP_SIZE}`), null, null, null);
  const prepare = (sql: string) => {
    if (s.sqlite3_prepare_v2(db, c(sql), -1, out, null) !== 0) {
      throw new Error(`cannot prepare ${sql}`);
    }
    return Deno.UnsafePointer.create(out[0]!);
  };
  const maxRowid = prepare("SELECT max(rowid) FROM place");
  s.sqlite3_step(maxRowid);
  const rows = Number(s.sqlite3_column_int64(maxRowid, 0));
  s.sqlite3_finalize(maxRowid);
  const candidates = CANDIDATES.map(prepare);
  const byRowid = prepare(ROWS);
  const getCString = Deno.UnsafePointerView.getCString;
  const run: Runner = (points) => {
    const sum = new Checksum();
    for (const { lat, lon } of points) {
      const found = search(lat, lon, rows, (boxes, params, push) => {
        const statement = candidates[boxes - 1]!;
        try {
          for (let i = 0; i < params.length; i++) {
            s.sqlite3_bind_double(statement, i + 1, params[i]!);
          }
          while (s.sqlite3_step(statement) === SQLITE_ROW) {
            push(
              Number(s.sqlite3_column_int64(statement, 0)),
              s.sqlite3_column_double(statement, 1),
              s.sqlite3_column_double(statement, 2),
            );
          }
        } finally {
          s.sqlite3_reset(statement);
        }
      });
      for (let i = 0; i < LIMIT; i++) {
        s.sqlite3_bind_int64(byRowid, i + 1, BigInt(found[i]?.rowid ?? 0));
      }
      const rowsById = new Map<number, { id: number; name: string }>();
      try {
        while (s.sqlite3_step(byRowid) === SQLITE_ROW) {
          const text = (i: number) => {
            const p = s.sqlite3_column_text(byRowid, i);
            return p === null ? "" : getCString(p);
          };
          const row = {
            id: Number(s.sqlite3_column_int64(byRowid, 0)),
            name: text(1),
            altNames: text(2),
            country: text(3),
            population: Number(s.sqlite3_column_int64(byRowid, 4)),
            lat: s.sqlite3_column_double(byRowid, 5),
            lon: s.sqlite3_column_double(byRowid, 6),
            featureClass: text(7),
          };
          rowsById.set(Number(s.sqlite3_column_int64(byRowid, 8)), row);
        }
      } finally {
        s.sqlite3_reset(byRowid);
      }
      for (const f of found) sum.add(rowsById.get(f.rowid)!.id, f.distanceKm);
    }
    return Promise.resolve(sum.toString());
  };
  return {
    run,
    close: () => {
      for (const statement of [...candidates, byRowid]) {
        s.sqlite3_finalize(statement);
      }
      s.sqlite3_close_v2(db);
      lib.close();
    },
  };
}

// -- main ------------------------------------------------------------------

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "15" },
    points: { type: "string", default: "200" },
  },
});
const rounds = Number(values.rounds);
const points = searchPoints(Number(values.points));
const path = await ensurePlaces();

const node = openNodeSqlite(path, DEFAULT_NODE_CONFIG);
const ffi = ffiRunner(path);
const variants: [string, Runner][] = [
  ["store (ffi)", storeRunner(path, "ffi")],
  // The baselines map the file (mmap_size 256 MiB); the library does not
  // unless asked (a mapped file truncated under the process kills it).
  ["store (ffi, mmapSize)", storeRunner(path, "ffi", MMAP_SIZE)],
  ["store (node)", storeRunner(path, "node")],
  ["raw node:sqlite", nodeRunner(node)],
  ["raw ffi", ffi.run],
];
const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
const sums = new Map<string, string>();
// One warm-up round, then rounds interleaved so drift hits every variant.
for (let round = 0; round <= rounds; round++) {
  for (const [name, run] of variants) {
    const t0 = performance.now();
    const sum = await run(points);
    const ms = performance.now() - t0;
    if (round > 0) times.get(name)!.push(ms);
    sums.set(name, sum);
  }
}
node.close();
ffi.close();

const checks = new Set(sums.values());
if (checks.size !== 1) {
  throw new Error(
    `the variants disagree: ${JSON.stringify(Object.fromEntries(sums))}`,
  );
}
const stats = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]! };
};
const raw = ["raw node:sqlite", "raw ffi"].map((name) =>
  stats(times.get(name)!)
);
const bestMin = Math.min(...raw.map((r) => r.min));
const bestMedian = Math.min(...raw.map((r) => r.median));
console.log(
  `nearest-${LIMIT}, ${points.length} points per run, ${rounds} rounds, ${
    PLACE_COUNT.toLocaleString("en")
  } places (checksum ${[...checks][0]})`,
);
console.log(
  "| variant | min ms | median ms | min / best raw | median / best raw |",
);
console.log("|---|---:|---:|---:|---:|");
for (const [name] of variants) {
  const { min, median } = stats(times.get(name)!);
  console.log(
    `| ${name} | ${min.toFixed(1)} | ${median.toFixed(1)} | ${
      (min / bestMin).toFixed(2)
    }× | ${(median / bestMedian).toFixed(2)}× |`,
  );
}
