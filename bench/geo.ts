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
 * The baselines write that SQL by hand and read columns by position, once
 * on connections that map the file and once on connections that do not;
 * the store runs with the library's default (no map) and with the same map
 * (`mmapSize`). Each variant's ratio is given against the faster mapped
 * baseline and against the faster baseline mapped as it is (the library's
 * default, unmapped for a documented safety reason, against the unmapped
 * baselines).
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
import { DatabaseSync } from "node:sqlite";
import { DataSet, SQLiteBindFactory, Store } from "../mod.ts";
import {
  boxParams,
  circleBoxes,
  EARTH_RADIUS_KM,
  greatCircleKm,
  HALF_CIRCUMFERENCE_KM,
} from "../src/_geo.ts";
import {
  ensurePlacesFile,
  ffiPlace,
  PLACE_COUNT,
  placeColumns,
} from "./_places.ts";
import { fastest, interleave, ratio, type Runner } from "./_rounds.ts";
import {
  DEFAULT_NODE_CONFIG,
  ffiOpen,
  ffiPrepare,
  loadFfi,
  MMAP_SIZE,
  openNodeSqlite,
  prepareRows,
  SQLITE_ROW,
} from "./baselines.ts";

const FILE = "places-geo-v1.sqlite";
const LIMIT = 20;

function declarePlaces(db: DataSet) {
  return db.Model("place", placeColumns(), {
    geo: { lat: "lat", lon: "lon" },
  });
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

type Search = (points: readonly { lat: number; lon: number }[]) => Promise<
  string
>;

function storeRunner(
  path: string,
  engine: "ffi" | "node",
  mmapSize = 0,
): Search {
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

function nodeRunner(db: DatabaseSync): Search {
  const rows = Number(
    (db.prepare("SELECT max(rowid) AS n FROM place").get() as { n: number }).n,
  );
  const candidates = CANDIDATES.map((sql) => prepareRows(db, sql, "arrays"));
  const byRowid = prepareRows(db, ROWS, "arrays");
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

function ffiRunner(
  path: string,
  mmap: boolean,
): { run: Search; close: () => void } {
  const s = loadFfi();
  const db = ffiOpen(s, path, { mmap });
  const prepare = (sql: string) => ffiPrepare(s, db, sql);
  const maxRowid = prepare("SELECT max(rowid) FROM place");
  s.sqlite3_step(maxRowid);
  const rows = Number(s.sqlite3_column_int64(maxRowid, 0));
  s.sqlite3_finalize(maxRowid);
  const candidates = CANDIDATES.map(prepare);
  const byRowid = prepare(ROWS);
  const run: Search = (points) => {
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
          const row = ffiPlace(s, byRowid);
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
const path = await ensurePlacesFile(FILE, declarePlaces);

const node = openNodeSqlite(path, DEFAULT_NODE_CONFIG);
const ffi = ffiRunner(path, true);
// The same baselines without the map, as the library opens a file by
// default: node:sqlite read-only with the exclusive lock the node engine
// takes, the FFI loop on the immutable URI.
const nodeUnmapped = new DatabaseSync(path, { readOnly: true });
nodeUnmapped.exec("PRAGMA locking_mode = EXCLUSIVE");
const ffiUnmapped = ffiRunner(path, false);
const variant = (name: string, run: Search): Runner<string> => [
  name,
  () => run(points),
];
// The mapped baselines map the file (mmap_size 256 MiB); the library does
// not unless asked (a mapped file truncated under the process kills it),
// so its default is compared with the unmapped ones.
const MAPPED = new Set([
  "store (ffi, mmapSize)",
  "raw node:sqlite",
  "raw ffi",
]);
const variants = [
  variant("store (ffi)", storeRunner(path, "ffi")),
  variant("store (ffi, mmapSize)", storeRunner(path, "ffi", MMAP_SIZE)),
  variant("store (node)", storeRunner(path, "node")),
  variant("raw node:sqlite", nodeRunner(node)),
  variant("raw ffi", ffi.run),
  variant("raw node:sqlite (no map)", nodeRunner(nodeUnmapped)),
  variant("raw ffi (no map)", ffiUnmapped.run),
];
// One warm-up round, then rounds interleaved so drift hits every variant.
const { stats, checksum } = (await interleave(
  [{ name: "nearest", runners: variants }],
  { rounds, warmUp: true, checksum: (sum) => sum },
)).get("nearest")!;
node.close();
ffi.close();
nodeUnmapped.close();
ffiUnmapped.close();

const best = fastest(
  ["raw node:sqlite", "raw ffi"].map((name) => stats.get(name)!),
);
const bestUnmapped = fastest(
  ["raw node:sqlite (no map)", "raw ffi (no map)"].map((name) =>
    stats.get(name)!
  ),
);
console.log(
  `nearest-${LIMIT}, ${points.length} points per run, ${rounds} rounds, ${
    PLACE_COUNT.toLocaleString("en")
  } places (checksum ${checksum})`,
);
console.log(
  "| variant | map | min ms | median ms | min / best raw | median / best raw | min / best raw, same map | median / best raw, same map |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
for (const [name, s] of stats) {
  const mapped = MAPPED.has(name);
  console.log(
    `| ${name} | ${mapped ? "256 MiB" : "none"} | ${s.min.toFixed(1)} | ${
      s.median.toFixed(1)
    } | ${ratio(s, best, " | ")} | ${
      ratio(s, mapped ? best : bestUnmapped, " | ")
    } |`,
  );
}
console.log(
  `\n"best raw" is the faster of the mapped baselines (raw node:sqlite, raw ffi), which map the file as the library does only with mmapSize set (unmapped by default: a mapped file truncated under the process kills it); "same map" compares each variant with the faster baseline mapped as it is (the library's default against the unmapped baselines).`,
);
