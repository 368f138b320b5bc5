/**
 * Keyset page tokens: the order keys of a page's last row, as stored,
 * in an opaque, URL-safe text with a checksum over the token and the
 * query's shape (model, order, filter). No secret: any process serving the
 * same file reads any other's tokens; the checksum catches a token used
 * with another query or altered by hand, not a forger.
 *
 * Format: `base64url(JSON of tagged values)` `.` `checksum` (base36).
 *
 * @module
 */
import type { SQLValue } from "./_engine.ts";

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const UTF8 = new TextEncoder();

/** A stored value as JSON: `null`, or a tag and its text. */
type Tagged = null | [string, string];

function tag(value: SQLValue): Tagged {
  if (value === null) return null;
  if (typeof value === "string") return ["s", value];
  if (typeof value === "number") return ["n", String(value)];
  if (typeof value === "bigint") return ["i", String(value)];
  return ["b", base64url(value)];
}

function untag(item: unknown): SQLValue {
  if (item === null) return null;
  if (
    !Array.isArray(item) || item.length !== 2 || typeof item[1] !== "string"
  ) {
    throw new SyntaxError("not a tagged value");
  }
  const [kind, text] = item as [unknown, string];
  switch (kind) {
    case "s":
      return text;
    case "n": {
      const value = Number(text);
      if (Number.isNaN(value) || String(value) !== text) {
        throw new SyntaxError("not a number");
      }
      return value;
    }
    case "i":
      if (!/^-?\d+$/.test(text)) throw new SyntaxError("not an integer");
      return BigInt(text);
    case "b":
      return fromBase64url(text);
  }
  throw new SyntaxError("unknown tag");
}

/** The shape of a list of SQL values, for a checksum. */
export function describeValues(values: readonly SQLValue[]): string {
  if (values.length === 0) return "[]"; // a query without a filter
  return JSON.stringify(values.map(tag));
}

function base64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

function fromBase64url(text: string): Uint8Array {
  // Throws SyntaxError for characters outside the alphabet.
  return Uint8Array.fromBase64(text, { alphabet: "base64url" });
}

/**
 * A character outside printable ASCII: JSON text without one (JSON
 * escapes control characters) is its own Latin-1 and UTF-8 bytes.
 */
const NOT_PRINTABLE = /[^ -~]/;

/**
 * The base64url text (no padding) of a JSON text's UTF-8 bytes. ASCII text
 * (every token whose keys are numbers or ASCII text) takes `btoa`, which
 * costs a fraction of encoding the bytes and `toBase64`; the text is the
 * same either way.
 */
function textToBase64url(text: string): string {
  if (NOT_PRINTABLE.test(text)) return base64url(UTF8.encode(text));
  const padded = btoa(text).replaceAll("+", "-").replaceAll("/", "_");
  const end = padded.endsWith("==")
    ? padded.length - 2
    : padded.endsWith("=")
    ? padded.length - 1
    : padded.length;
  return padded.slice(0, end);
}

/**
 * The text whose UTF-8 bytes a base64url text (checked to hold only that
 * alphabet) encodes, or a `SyntaxError`/`TypeError` when it does not.
 * Bytes that are all ASCII are their own text: `atob` reads them (it
 * accepts what `fromBase64` accepts, but for a length of 4n + 1, left to
 * `fromBase64` for its error) in a fraction of the time.
 */
function textFromBase64url(payload: string): string {
  if (payload.length % 4 !== 1) {
    const binary = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
    let bits = 0;
    for (let i = 0; i < binary.length; i++) bits |= binary.charCodeAt(i);
    if (bits < 0x80) return binary;
  }
  return STRICT_UTF8.decode(fromBase64url(payload));
}

/** Powers of 36 for {@linkcode base36}: 36^4. */
const B36_4 = 1679616;

/**
 * `value.toString(36)` for a safe non-negative integer, in three groups of
 * four digits: small integers print in a fraction of the time a 53-bit
 * number does.
 */
function base36(value: number): string {
  const low = value % B36_4;
  const rest = (value - low) / B36_4;
  const middle = rest % B36_4;
  const high = (rest - middle) / B36_4;
  const four = (digits: number) => (B36_4 + digits).toString(36).slice(1);
  if (high > 0) return high.toString(36) + four(middle) + four(low);
  if (middle > 0) return middle.toString(36) + four(low);
  return low.toString(36);
}

/**
 * A 53-bit checksum of a text (cyrb53: two 32-bit multiplicative hashes).
 * Not cryptographic, and not meant to be: it detects accidents and casual
 * edits, which is all a token without a secret can promise. With `more`,
 * the checksum of `${text}\0${more}`.
 */
export function checksum(text: string, more?: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  if (more !== undefined) {
    // As if `${text}\0${more}` were hashed, without building that text.
    h1 = Math.imul(h1, 2654435761);
    h2 = Math.imul(h2, 1597334677);
    for (let i = 0; i < more.length; i++) {
      const c = more.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return base36(4294967296 * (2097151 & h2) + (h1 >>> 0));
}

/** Writes the token of a position under a query shape. */
export function encodeToken(
  values: readonly SQLValue[],
  shape: string,
): string {
  // One number (an integer key, a rowid: most pages) is written as
  // JSON.stringify would write its tagged value: a number's text needs no
  // escaping.
  const only = values[0];
  const json = values.length === 1 && typeof only === "number"
    ? `[["n","${only}"]]`
    : JSON.stringify(values.map(tag));
  const payload = textToBase64url(json);
  return `${payload}.${checksum(shape, payload)}`;
}

/**
 * Reads a token under a query shape: the position's values, or a
 * `TypeError` that starts with `action` and says what is wrong.
 */
export function decodeToken(
  token: unknown,
  shape: string,
  count: number,
  action: string,
): SQLValue[] {
  if (typeof token !== "string") {
    throw new TypeError(
      `${action}: expected a page token string from page().next, got ${typeof token}`,
    );
  }
  const dot = token.lastIndexOf(".");
  const payload = token.slice(0, dot);
  const sum = token.slice(dot + 1);
  if (
    dot < 1 || !/^[A-Za-z0-9_-]+$/.test(payload) || !/^[0-9a-z]+$/.test(sum)
  ) {
    throw new TypeError(`${action}: the page token is malformed`);
  }
  if (checksum(shape, payload) !== sum) {
    throw new TypeError(
      `${action}: the page token was made for another model, order or filter, or was altered`,
    );
  }
  try {
    const items = JSON.parse(textFromBase64url(payload));
    if (!Array.isArray(items) || items.length !== count) {
      throw new SyntaxError("wrong length");
    }
    return items.map(untag);
  } catch (error) {
    throw new TypeError(`${action}: the page token is malformed`, {
      cause: error,
    });
  }
}
