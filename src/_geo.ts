/**
 * The arithmetic of geo lookups, in JavaScript because Deno's `node:sqlite`
 * has no SQL math functions: great-circle distances, the boxes that hold a
 * search circle, boxes split at the antimeridian, and coordinates rounded
 * outward to the 32-bit floats an R*Tree stores.
 *
 * Why a growing box finds the true nearest rows: {@linkcode circleBoxes}
 * returns boxes that hold every point within `km` of the centre (the
 * latitude band `lat ± km/R`, and the exact longitude half-width
 * `asin(sin(km/R) / cos(lat))` of a spherical cap, or every longitude when
 * the cap holds a pole). The search keeps, among the candidates in those
 * boxes, the rows whose computed distance is at most `km`: that is every row
 * within `km`. When at least `limit` rows are within `km`, the `limit`-th
 * smallest distance is at most `km` (the box's inner radius), so no row
 * outside the boxes, all farther than `km`, can be among the nearest.
 *
 * @module
 */

/** The mean Earth radius in kilometres (IUGG), the haversine's sphere. */
export const EARTH_RADIUS_KM = 6371.0088;

/** Half the Earth's circumference: no two points are farther apart. */
export const HALF_CIRCUMFERENCE_KM: number = Math.PI * EARTH_RADIUS_KM;

const RAD = Math.PI / 180;

/**
 * The great-circle distance in kilometres between two points in degrees,
 * by the haversine formula on a sphere of {@linkcode EARTH_RADIUS_KM}.
 */
export function greatCircleKm(
  lat1: number,
  lon1: number,
  lat2: number,
  lon2: number,
): number {
  const sinLat = Math.sin((lat2 - lat1) * RAD / 2);
  const sinLon = Math.sin((lon2 - lon1) * RAD / 2);
  const h = sinLat * sinLat +
    Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * sinLon * sinLon;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, h)));
}

/** A box of latitudes and longitudes in degrees, `west <= east`. */
export interface LonLatBox {
  readonly south: number;
  readonly north: number;
  readonly west: number;
  readonly east: number;
}

/**
 * Splits a box whose `west` is greater than its `east` (it crosses the
 * antimeridian) into its two halves; other boxes stay whole.
 */
export function splitBox(box: LonLatBox): LonLatBox[] {
  if (box.west <= box.east) return [box];
  return [
    { south: box.south, north: box.north, west: box.west, east: 180 },
    { south: box.south, north: box.north, west: -180, east: box.east },
  ];
}

// Degrees added on every side of a search box: far more than the rounding
// error of the formulas below (about 1e-13 degrees), far less than a metre.
const MARGIN = 1e-9;

/**
 * Boxes (one, or two split at the antimeridian) holding every point whose
 * great-circle distance to (`lat`, `lon`) is at most `km`.
 */
export function circleBoxes(lat: number, lon: number, km: number): LonLatBox[] {
  const angle = km / EARTH_RADIUS_KM;
  const dLat = angle / RAD + MARGIN;
  const south = lat - dLat;
  const north = lat + dLat;
  // A cap reaching a pole spans every longitude.
  if (north >= 90 || south <= -90 || angle >= Math.PI / 2) {
    return [{
      south: Math.max(-90, south),
      north: Math.min(90, north),
      west: -180,
      east: 180,
    }];
  }
  // The ratio is nudged up so that rounding never narrows the box.
  const ratio = Math.sin(angle) / Math.cos(lat * RAD) * (1 + 1e-9) + 1e-15;
  if (ratio >= 1) return [{ south, north, west: -180, east: 180 }];
  const dLon = Math.asin(ratio) / RAD + MARGIN;
  if (dLon >= 180) return [{ south, north, west: -180, east: 180 }];
  let west = lon - dLon;
  let east = lon + dLon;
  if (west < -180) west += 360;
  if (east > 180) east -= 360;
  return splitBox({ south, north, west, east });
}

const scratch = new DataView(new ArrayBuffer(4));

/** The next 32-bit float after `f` (itself a 32-bit float) toward `to`. */
function nextFloat32(f: number, up: boolean): number {
  if (f === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  scratch.setFloat32(0, f);
  const bits = scratch.getInt32(0);
  scratch.setInt32(0, (f > 0) === up ? bits + 1 : bits - 1);
  return scratch.getFloat32(0);
}

/**
 * The largest 32-bit float at most `x`: a box's lower bound as an R*Tree
 * stores it, rounded outward so that the box only grows.
 */
export function float32Down(x: number): number {
  const f = Math.fround(x);
  return f > x ? nextFloat32(f, false) : f;
}

/** The smallest 32-bit float at least `x` (see {@linkcode float32Down}). */
export function float32Up(x: number): number {
  const f = Math.fround(x);
  return f < x ? nextFloat32(f, true) : f;
}

/**
 * A box's bounds for an R*Tree query, rounded outward to 32-bit floats, in
 * the order the geo SQL binds them: south, north, west, east.
 */
export function boxParams(box: LonLatBox): number[] {
  return [
    float32Down(box.south),
    float32Up(box.north),
    float32Down(box.west),
    float32Up(box.east),
  ];
}
