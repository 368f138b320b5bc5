/**
 * A synthetic, deterministic places table for the query benchmarks (text
 * search, nearby, facets, pages): names made of syllables (some with
 * diacritics and hyphens, as real place names have), alternate names, a
 * skewed country distribution, populations spread over six orders of
 * magnitude, and coordinates clustered around centres, with some near the
 * poles and either side of the antimeridian.
 *
 * The rows live here, their columns ({@link placeColumns}), and
 * {@link ensurePlacesFile}, which builds them once into `bench/.data/` with
 * `buildDataSet`; each benchmark declares its own model over the columns
 * (its table name, indexes, search or geo options).
 *
 * @module
 */
import { join } from "node:path";
import {
  type AnyModel,
  DataSet,
  integer,
  readBuildMetadata,
  real,
  SQLiteBindFactory,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { DEFAULT_DATA_DIR } from "./_data.ts";
import { type FfiLib, ffiText } from "./baselines.ts";

/** Rows in the default places table. */
export const PLACE_COUNT = 1_000_000;

/** One place. */
export interface PlaceRow {
  /** 1..count. */
  id: number;
  /** A name of one or two words. */
  name: string;
  /** Two alternate spellings, comma-separated. */
  altNames: string;
  /** An ISO-3166-like two-letter code; a few countries hold most rows. */
  country: string;
  /** 1 to about 10 million. */
  population: number;
  /** Degrees, -90..90. */
  lat: number;
  /** Degrees, -180..180. */
  lon: number;
  /** A GeoNames-like feature class: P (populated), A, H, L, T. */
  featureClass: string;
}

/**
 * The columns of a {@link PlaceRow}, for `db.Model(table, placeColumns())`.
 * @param options `index`: index `name` and `country` (default false).
 * @returns Fresh column declarations.
 */
export function placeColumns(options: { index?: boolean } = {}) {
  const index = options.index ? { index: true } : {};
  return {
    id: integer({ primaryKey: true }),
    name: text(index),
    altNames: text(),
    country: text(index),
    population: integer(),
    lat: real(),
    lon: real(),
    featureClass: text(),
  };
}

/**
 * The current row of an FFI statement selecting the {@link placeColumns} in
 * their order, read by position as the raw FFI baselines read rows.
 * @param lib The loaded libsqlite3.
 * @param stmt A statement on a row.
 * @returns The row as an object.
 */
export function ffiPlace(lib: FfiLib, stmt: Deno.PointerValue): PlaceRow {
  return {
    id: Number(lib.sqlite3_column_int64(stmt, 0)),
    name: ffiText(lib, stmt, 1),
    altNames: ffiText(lib, stmt, 2),
    country: ffiText(lib, stmt, 3),
    population: Number(lib.sqlite3_column_int64(stmt, 4)),
    lat: lib.sqlite3_column_double(stmt, 5),
    lon: lib.sqlite3_column_double(stmt, 6),
    featureClass: ffiText(lib, stmt, 7),
  };
}

const SYLLABLES = [
  "ba",
  "be",
  "bo",
  "ca",
  "cha",
  "da",
  "de",
  "do",
  "el",
  "en",
  "fa",
  "fe",
  "ga",
  "gu",
  "ha",
  "hi",
  "jo",
  "ka",
  "ki",
  "la",
  "le",
  "li",
  "lo",
  "ma",
  "me",
  "mi",
  "mo",
  "na",
  "ne",
  "ni",
  "no",
  "pa",
  "pe",
  "po",
  "qua",
  "ra",
  "re",
  "ri",
  "ro",
  "sa",
  "se",
  "si",
  "so",
  "ta",
  "te",
  "ti",
  "to",
  "va",
  "ve",
  "vi",
  "wa",
  "ya",
  "za",
  "zé",
  "mü",
  "ñu",
  "çe",
  "ø",
];
const PREFIXES = ["Saint", "San", "Port", "Bad", "Nova", "Alt", "Neu", "Los"];
const CLASSES = ["P", "P", "P", "P", "A", "H", "L", "T"];

/** xorshift32: the same stream on every machine. */
function random(seed: number): () => number {
  let x = seed | 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Two-letter codes AA..ZZ, in a fixed order. */
const COUNTRIES = Array.from(
  { length: 26 * 26 },
  (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)),
);

/** Cluster centres: cities spread over the globe, a few at the extremes. */
function centres(next: () => number): { lat: number; lon: number }[] {
  const list = [
    { lat: 89.5, lon: 0 },
    { lat: -89.5, lon: 120 },
    { lat: 10, lon: 179.9 },
    { lat: -20, lon: -179.9 },
  ];
  while (list.length < 500) {
    list.push({ lat: next() * 140 - 70, lon: next() * 360 - 180 });
  }
  return list;
}

/**
 * Yields `count` places, the same ones on every run.
 * @param count How many rows.
 * @returns The rows, by id.
 */
export function* placeRows(count: number = PLACE_COUNT): Generator<PlaceRow> {
  const next = random(0x9e3779b9);
  const around = centres(next);
  const word = () => {
    let text = "";
    const n = 2 + Math.floor(next() * 2);
    for (let i = 0; i < n; i++) {
      text += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    }
    return capitalise(text);
  };
  for (let id = 1; id <= count; id++) {
    const r = next();
    const base = word();
    const name = r < 0.1
      ? `${PREFIXES[Math.floor(next() * PREFIXES.length)]}-${base}`
      : r < 0.3
      ? `${base} ${word()}`
      : base;
    // A Zipf-like skew: the first countries hold most places.
    const country = COUNTRIES[Math.floor(COUNTRIES.length * next() ** 3)]!;
    const centre = around[Math.floor(next() * around.length)]!;
    let lat = centre.lat + (next() - 0.5) * 2;
    let lon = centre.lon + (next() - 0.5) * 2;
    lat = Math.max(-90, Math.min(90, lat));
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    yield {
      id,
      name,
      altNames: `${name.toLowerCase()},${base.toUpperCase()}`,
      country,
      population: Math.floor(10 ** (next() * 7)),
      lat: Math.round(lat * 1e5) / 1e5,
      lon: Math.round(lon * 1e5) / 1e5,
      featureClass: CLASSES[Math.floor(next() * CLASSES.length)]!,
    };
  }
}

let datasets = 0;

/**
 * Builds the places table into `bench/.data/<file>` with `buildDataSet`
 * (loading {@link placeRows} into the model `declare` makes) unless that
 * file's build record already counts every row, so an interrupted build is
 * built again; answers the file's path.
 * @param file The file name inside `bench/.data/`.
 * @param declare Declares the benchmark's places model on a dataset.
 * @returns The path of the complete file.
 */
export async function ensurePlacesFile(
  file: string,
  declare: (db: DataSet) => AnyModel,
): Promise<string> {
  await Deno.mkdir(DEFAULT_DATA_DIR, { recursive: true });
  const path = join(DEFAULT_DATA_DIR, file);
  const stem = `places_${++datasets}`;
  const probe = DataSet.create(`${stem}_probe`);
  const table = declare(probe).tableName;
  probe.bind(new SQLiteBindFactory({ paths: { [probe.name]: path } }));
  try {
    await Deno.stat(path);
    const meta = await readBuildMetadata(probe);
    if (meta?.tables[table] === PLACE_COUNT) return path;
  } catch {
    // Missing or incomplete: build it.
  } finally {
    await probe.close();
  }
  console.error(`building ${path} ...`);
  const db = DataSet.create(`${stem}_build`);
  const model = declare(db);
  const started = performance.now();
  await buildDataSet(db, path, (b) => b.loadRecords(model, placeRows()));
  await db.close();
  console.error(
    `built ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return path;
}
