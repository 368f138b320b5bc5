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

/**
 * A list of SQL values as the JSON text of their tagged values: the shape
 * of a filter's values, for a checksum, and a token's position.
 */
export function describeValues(values: readonly SQLValue[]): string {
  if (values.length === 0) return "[]"; // a query without a filter
  // One number (a filter on a key; an integer key, a rowid: most pages)
  // as JSON.stringify would write its tagged value: a number's text needs
  // no escaping.
  const only = values[0];
  if (values.length === 1 && typeof only === "number") {
    return `[["n","${only}"]]`;
  }
  return JSON.stringify(values.map(tag));
}

function base64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

function fromBase64url(text: string): Uint8Array {
  // Throws SyntaxError for characters outside the alphabet.
  return Uint8Array.fromBase64(text, { alphabet: "base64url" });
}

/** The base64url alphabet, by 6-bit value. */
const B64URL =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The bits of the bytes a group of 0-4 characters holds, by its length. */
const BYTES: readonly number[] = [0, 0, 0xff0000, 0xffff00, 0xffffff];
/** The base64url alphabet's char codes, by 6-bit value. */
const B64URL_CODES: Uint8Array = Uint8Array.from(
  B64URL,
  (c) => c.charCodeAt(0),
);
/** Each base64url character's 6-bit value, by char code; -1 outside it. */
const B64URL_VALUES: Int8Array = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) values[B64URL.charCodeAt(i)] = i;
  return values;
})();

/** The base-36 digits. */
const B36 = "0123456789abcdefghijklmnopqrstuvwxyz";
/** Every two-digit group, `00` to `zz`, by its value (36^2 of them). */
const B36_PAIRS: readonly string[] = Array.from(
  { length: 36 * 36 },
  (_, i) => B36[(i / 36) | 0]! + B36[i % 36]!,
);
/** Powers of 36 for {@linkcode base36}: 36^2 and 36^4. */
const B36_2 = 1296;
const B36_4 = 1679616;

/** A group of four digits, with its leading zeros. */
function four(group: number): string {
  return B36_PAIRS[(group / B36_2) | 0]! + B36_PAIRS[group % B36_2]!;
}

/** A group below 36^4, without leading zeros. */
function leading(group: number): string {
  if (group < 36) return B36[group]!;
  if (group < B36_2) return B36_PAIRS[group]!;
  const high = (group / B36_2) | 0;
  return (high < 36 ? B36[high]! : B36_PAIRS[high]!) +
    B36_PAIRS[group % B36_2]!;
}

/**
 * `value.toString(36)` for a safe non-negative integer, in groups of four
 * digits from a table of digit pairs: a fraction of the time
 * `toString(36)` takes (and `%` on a double beyond 32 bits is a call).
 * The quotients are exact: below 2^33, doubles are 2^-20 apart, and a true
 * quotient is an integer or at least 1/36^4 (more than 2^-21) below the
 * next one, so rounding never reaches it.
 */
export function base36(value: number): string {
  if (value < B36_4) return leading(value);
  const rest = Math.floor(value / B36_4);
  const low = value - rest * B36_4;
  if (rest < B36_4) return leading(rest) + four(low);
  const high = Math.floor(rest / B36_4);
  const middle = rest - high * B36_4; // rest < 2^33: exact
  return leading(high) + four(middle) + four(low);
}

/**
 * The checksum of a query's shape, hashed once for the tokens of a page
 * (the one it reads and the one it writes): {@linkcode checksum} continues
 * from it over a payload.
 */
export interface TokenShape {
  readonly h1: number;
  readonly h2: number;
}

/** The hash of the empty text: where every hash starts. */
const SEED: TokenShape = { h1: 0xdeadbeef, h2: 0x41c6ce57 };

/** The hash of a text, before its finishing steps (see checksum). */
export function tokenShape(text: string): TokenShape {
  return continueShape(SEED, text);
}

/**
 * The hash of a text that starts with the text hashed to `shape` and goes
 * on with `text`: `continueShape(tokenShape(a), b)` is `tokenShape(a + b)`,
 * so a page hashes the part of its shape that its filter's values do not
 * change once.
 */
export function continueShape(shape: TokenShape, text: string): TokenShape {
  let { h1, h2 } = shape;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return { h1, h2 };
}

/** The checksum of a shape and a payload: `checksum(shape, payload)`. */
function finish(shape: TokenShape, more: string | undefined): string {
  let { h1, h2 } = shape;
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
  return digits(h1, h2);
}

/** The checksum's digits of a hash: cyrb53's finishing steps, in base 36. */
function digits(h1: number, h2: number): string {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return base36(4294967296 * (2097151 & h2) + (h1 >>> 0));
}

/**
 * A 53-bit checksum of a text (cyrb53: two 32-bit multiplicative hashes).
 * Not cryptographic, and not meant to be: it detects accidents and casual
 * edits, which is all a token without a secret can promise. With `more`,
 * the checksum of `${text}\0${more}`.
 */
export function checksum(text: string, more?: string): string {
  return finish(tokenShape(text), more);
}

/** A shape given as text, hashed; one already hashed, as it is. */
function prepared(shape: string | TokenShape): TokenShape {
  return typeof shape === "string" ? tokenShape(shape) : shape;
}

/**
 * Writes the token of a position under a query shape: base64url (no
 * padding) of the JSON text's UTF-8 bytes, and the checksum of the shape
 * and that text. Printable ASCII JSON (every token whose keys are numbers
 * or ASCII text; JSON escapes control characters) is its own UTF-8 bytes:
 * it is encoded here three characters at a time, each character of the
 * payload hashed as it is written (a fraction of the time of `btoa`, its
 * rewriting to the URL alphabet and a second pass to hash it). Any other
 * text takes `toBase64`; the token is the same either way.
 */
export function encodeToken(
  values: readonly SQLValue[],
  shape: string | TokenShape,
): string {
  const text = describeValues(values);
  const hash = prepared(shape);
  // finish(hash, payload): the `\0` first, then each payload character.
  let h1 = Math.imul(hash.h1, 2654435761);
  let h2 = Math.imul(hash.h2, 1597334677);
  const n = text.length;
  let payload = "";
  for (let i = 0; i < n; i += 3) {
    const left = n - i;
    const a = text.charCodeAt(i);
    const b = left > 1 ? text.charCodeAt(i + 1) : 32;
    const c = left > 2 ? text.charCodeAt(i + 2) : 32;
    if (
      ((a - 32) | (b - 32) | (c - 32) | (126 - a) | (126 - b) | (126 - c)) < 0
    ) {
      const utf8 = base64url(UTF8.encode(text));
      return `${utf8}.${finish(hash, utf8)}`;
    }
    // One character more than the bytes it holds (4 for 3).
    const bits = (a << 16) | (left > 1 ? b << 8 : 0) | (left > 2 ? c : 0);
    const chars = left > 2 ? 4 : left + 1;
    for (let k = 0; k < chars; k++) {
      const six = (bits >> (18 - 6 * k)) & 63;
      const code = B64URL_CODES[six]!;
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
      payload += B64URL[six]!;
    }
  }
  return `${payload}.${digits(h1, h2)}`;
}

/**
 * Reads a token under a query shape: the position's values, or a
 * `TypeError` that starts with `action` and says what is wrong.
 */
export function decodeToken(
  token: unknown,
  shape: string | TokenShape,
  count: number,
  action: string,
): SQLValue[] {
  if (typeof token !== "string") {
    throw new TypeError(
      `${action}: expected a page token string from page().next, got ${typeof token}`,
    );
  }
  const dot = token.lastIndexOf(".");
  const sum = token.slice(dot + 1);
  if (dot < 1 || !/^[0-9a-z]+$/.test(sum)) {
    throw new TypeError(`${action}: the page token is malformed`);
  }
  // One pass over the payload: its alphabet checked, each character
  // hashed as finish(hash, payload) hashes it (after the `\0`), and its
  // bytes read four characters at a time, as their own text while they
  // are ASCII (the bits after the last whole byte dropped, as `atob` and
  // `fromBase64` drop them).
  const hash = prepared(shape);
  let h1 = Math.imul(hash.h1, 2654435761);
  let h2 = Math.imul(hash.h2, 1597334677);
  let ascii: string | undefined = "";
  for (let i = 0; i < dot; i += 4) {
    const chars = dot - i < 4 ? dot - i : 4;
    let bits = 0;
    for (let k = 0; k < chars; k++) {
      const code = token.charCodeAt(i + k);
      const six = code < 128 ? B64URL_VALUES[code]! : -1;
      if (six < 0) {
        throw new TypeError(`${action}: the page token is malformed`);
      }
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
      bits |= six << (18 - 6 * k);
    }
    if (ascii === undefined) continue;
    // Four characters hold three bytes, three two, two one; one holds
    // none (4n + 1 characters are no base64: fromBase64 names the error).
    if (chars === 1 || (bits & 0x808080 & BYTES[chars]!) !== 0) {
      ascii = undefined;
    } else {
      ascii += chars === 4
        ? String.fromCharCode(bits >> 16, (bits >> 8) & 255, bits & 255)
        : chars === 3
        ? String.fromCharCode(bits >> 16, (bits >> 8) & 255)
        : String.fromCharCode(bits >> 16);
    }
  }
  if (digits(h1, h2) !== sum) {
    throw new TypeError(
      `${action}: the page token was made for another model, order or filter, or was altered`,
    );
  }
  try {
    // Bytes that are not all ASCII are read as strict UTF-8.
    const text = ascii ??
      STRICT_UTF8.decode(fromBase64url(token.slice(0, dot)));
    if (count === 1) {
      const only = oneNumber(text);
      if (only !== undefined) return [only];
    }
    const items = JSON.parse(text);
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

/** The JSON text of one tagged number, up to its digits: `[["n","`. */
const ONE_NUMBER = '[["n","';
/** The same of one tagged bigint. */
const ONE_INTEGER = '[["i","';
/** What ends both. */
const ONE_END = '"]]';

/**
 * The value of a token's JSON text holding one number or bigint (an
 * integer key, a rowid: most pages), read without `JSON.parse`; or
 * `undefined` when the text is anything else, for the general path. The
 * digits are taken only where `untag` takes them (a number's own text,
 * an integer's digits), and such text holds no character JSON escapes,
 * so the value is the one the general path reads.
 */
function oneNumber(text: string): number | bigint | undefined {
  if (!text.endsWith(ONE_END)) return undefined;
  const digits = text.slice(ONE_NUMBER.length, -ONE_END.length);
  if (text.startsWith(ONE_NUMBER)) {
    const value = Number(digits);
    return !Number.isNaN(value) && String(value) === digits ? value : undefined;
  }
  if (text.startsWith(ONE_INTEGER) && /^-?\d+$/.test(digits)) {
    return BigInt(digits);
  }
  return undefined;
}
