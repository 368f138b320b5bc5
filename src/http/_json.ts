/**
 * The handler's JSON encoding of values, one rule for every response:
 * integers beyond ±(2^53 − 1) as decimal strings (within it, numbers),
 * bytes as base64 strings, dates as ISO-8601 strings, infinite reals as
 * `"Infinity"`/`"-Infinity"`, JSON values of `json()` columns as they
 * are.
 *
 * @module
 */

/** A read value as a JSON-safe value. */
export function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "bigint":
      return value >= -Number.MAX_SAFE_INTEGER &&
          value <= Number.MAX_SAFE_INTEGER
        ? Number(value)
        : value.toString();
    case "number":
      return Number.isFinite(value) ? value : String(value);
  }
  if (value instanceof Uint8Array) return value.toBase64();
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** A row's chosen properties as a JSON-safe object. */
export function rowJson(
  row: object,
  keys: readonly string[],
): Record<string, unknown> {
  const record = row as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = jsonSafe(record[key]);
  return out;
}
