/**
 * Small rules the library applies in several places, each written once.
 *
 * @module
 */
import { fileUrlPath } from "./_paths.ts";

/**
 * Folds an identifier the way SQLite compares identifiers: ASCII letters
 * only, so `É` and `é` stay distinct (SQLite keeps them apart too).
 */
export function foldIdentifier(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The engine choices a dataset or factory takes. */
export const ENGINE_CHOICES: readonly ["auto", "ffi", "node"] = [
  "auto",
  "ffi",
  "node",
];

/**
 * Checks an engine choice; `where` ends the message's first part
 * (`Invalid engine "x"<where>: ...`), e.g. ` for dataset "geo"`.
 */
export function checkEngineChoice(
  engine: unknown,
  where: string,
): "auto" | "ffi" | "node" {
  if (!(ENGINE_CHOICES as readonly unknown[]).includes(engine)) {
    throw new TypeError(
      `Invalid engine ${
        JSON.stringify(engine)
      }${where}: expected "auto", "ffi" or "node"`,
    );
  }
  return engine as "auto" | "ffi" | "node";
}

/**
 * Checks a CSV field delimiter: a non-empty string without quotes or line
 * breaks. `action` starts the message: `Cannot load x.csv into "t"`.
 */
export function checkDelimiter(delimiter: unknown, action: string): string {
  if (
    typeof delimiter !== "string" || delimiter.length === 0 ||
    /["\r\n]/.test(delimiter)
  ) {
    throw new TypeError(
      `${action}: invalid delimiter ${
        JSON.stringify(delimiter)
      }: expected a non-empty string without quotes or line breaks`,
    );
  }
  return delimiter;
}

/** Escapes text for use as a literal inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What a dataset name looks like: letters, digits, `_`, `.`, `-`. */
export const DATASET_NAME: RegExp = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Whether a value can be iterated with `for await` (sync or async). */
export function isIterable(
  value: unknown,
): value is Iterable<unknown> | AsyncIterable<unknown> {
  return value !== null && typeof value === "object" &&
    (Symbol.iterator in value || Symbol.asyncIterator in value);
}

/**
 * Turns a local path or a `file:` URL (object or text) into a path. Other
 * URLs, empty strings and strings with NUL are refused with a `TypeError`
 * that starts with `action`; `hint` (e.g. ` (why)`) follows the reason for a
 * URL.
 */
export function localPath(
  value: string | URL,
  action: string,
  hint = " (only paths and file: URLs are read)",
): string {
  // Both cases spelled out rather than /i, the same set of characters in
  // this (non-Unicode) form: a first case-insensitive class costs about
  // 0.15 ms of a cold start.
  if (value instanceof URL || /^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(value)) {
    const url = value instanceof URL ? value : new URL(value);
    if (url.protocol !== "file:") {
      throw new TypeError(
        `${action}: ${url.href} is not a local file${hint}`,
      );
    }
    return fileUrlPath(url);
  }
  if (typeof value !== "string" || value === "" || value.includes("\0")) {
    throw new TypeError(
      `${action}: expected a path, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Checks a count option (`limit`, `offset`): a non-negative safe integer,
 * else a `TypeError` or `RangeError` naming the option and the table.
 */
export function checkCount(
  value: unknown,
  name: string,
  table: string,
): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${name} for ${table}: expected a number, got ${typeof value}`,
    );
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Invalid ${name} for ${table}: expected a non-negative integer, got ${value}`,
    );
  }
  return value;
}

/**
 * The most rows a search may fetch at its first step: a query with a
 * `limit` up to this is read whole at once (`few` in `_cursor.ts`).
 */
const FEW_ROWS = 1000;

/** Whether a search's `limit` (already checked) makes it a few rows. */
export function fewRows(limit: unknown): boolean {
  return typeof limit === "number" && limit <= FEW_ROWS;
}

/**
 * The key under which the SQL of order keys is kept: their JSON when every
 * one is text (so no two lists share a key), a single key as it is, else
 * none (nothing is kept, and the keys are checked again, to throw their
 * `TypeError`).
 */
export function orderCacheKey(entries: readonly unknown[]): string | undefined {
  // No keys (the default order): a constant, whose hash is kept.
  if (entries.length === 0) return "[]";
  // One key (the common case) is its own text, unless it starts as a
  // list's JSON does: no list and no other key then share it.
  if (entries.length === 1) {
    const only = entries[0];
    if (typeof only === "string" && !only.startsWith("[")) return only;
  }
  for (const entry of entries) if (typeof entry !== "string") return undefined;
  return JSON.stringify(entries);
}

// File identity (cold start, issue 15): what opening a file and watching
// it need before `_reload.ts` loads.

/**
 * A file's identity (see `identityOf` in `_reload.ts`), synchronously,
 * taken when a version opens. The identity rules a start needs live here
 * and the reload's in `_reload.ts`, loaded on first use (cold start, issue
 * 15).
 */
export function identityOfSync(path: string): string | undefined {
  try {
    return identityOfInfo(Deno.statSync(path));
  } catch {
    return undefined;
  }
}

/**
 * The same, of a file's information already read (a stat the open made
 * for its own checks, so it stats once).
 */
export function identityOfInfo(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtime?.getTime()}`;
}

/**
 * Checks an interval option: a positive finite number of milliseconds.
 */
export function checkInterval(value: unknown, dataset: string): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `Invalid intervalMs for watching dataset "${dataset}": expected a positive number of milliseconds, got ${
        String(value)
      }`,
    );
  }
  return value;
}

/**
 * Which file this is on disk, whatever its content: its device and inode
 * (a version's identity, which also changes with a write, is
 * `identityOf`'s). Here, not in `_hash.ts` or `_reload.ts`, because opening
 * a file needs it and both load on first use (cold start, issue 15).
 */
export function inodeOf(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}`;
}

// Pinned files (`_pin.ts`): the SHA-256 a binding or a fetch is given, and
// what a file that is not a database often is instead.

const HEX64 = /^[0-9a-f]{64}$/i;

/**
 * Checks a SHA-256 given by the caller: 64 hex digits, any case; returns
 * it in lower case. `action` starts the `TypeError` message.
 */
export function checkSha256(value: unknown, action: string): string {
  if (typeof value !== "string" || !HEX64.test(value)) {
    throw new TypeError(
      `${action}: sha256 must be 64 hex digits (what sha256sum prints), got ${
        typeof value === "string" ? JSON.stringify(value) : typeof value
      }`,
    );
  }
  return value.toLowerCase();
}

/** The start of every Git LFS pointer file. */
const LFS_POINTER = "version https://git-lfs.github.com/spec/";

/**
 * Names what the first bytes of a file that is not a SQLite database are,
 * when they are something often shipped by mistake: a Git LFS pointer (the
 * repository holds the pointer, not the file) or an HTML page (a server's
 * error or login page). `undefined` for anything else.
 */
export function misplacedContent(head: Uint8Array): string | undefined {
  const text = new TextDecoder("latin1").decode(head.subarray(0, 512));
  if (text.startsWith(LFS_POINTER)) {
    const oid = /oid sha256:([0-9a-f]{64})/.exec(text)?.[1];
    return `a Git LFS pointer file${
      oid === undefined ? "" : ` (oid sha256:${oid})`
    }, not the database it points to: fetch the object (\`git lfs pull\`, or LFS in your checkout or deploy step) or bind the dataset by { url, sha256 }`;
  }
  if (/^\s*(<!doctype html|<html|<head|<body|<\?xml|<!--)/i.test(text)) {
    return "an HTML page, not a SQLite database (an error or login page served in place of the file)";
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// The engines agree: what SQLite's tokenizer sees in a caller's SQL text.
// ---------------------------------------------------------------------------
//
// The ffi engine asks SQLite how many parameters a statement takes and
// whether text follows it; node:sqlite answers neither (it binds NULL to
// every parameter it was not given, skips named ones when binding by
// position, and compiles the first statement of several, ignoring the
// rest). These scans follow SQLite's tokenizer (`tokenize.c`) as far as
// those questions go: string literals, quoted identifiers (`"..."`,
// `` `...` ``, `[...]`) and comments hold no parameter and no `;`.

/** Whether the code unit is one SQLite takes into an identifier. */
function idChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || // 0-9
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    code === 0x5f || code === 0x24 || // _ $
    code >= 0x80;
}

/** The index just past the quoted run that starts at `at`, or the end. */
function pastQuoted(sql: string, at: number, close: string): number {
  let i = at + 1;
  for (;;) {
    const end = sql.indexOf(close, i);
    if (end === -1) return sql.length;
    // A doubled quote stands for itself, except in `[...]`.
    if (close !== "]" && sql[end + 1] === close) {
      i = end + 2;
      continue;
    }
    return end + 1;
  }
}

/**
 * The index just past the string literal, quoted identifier or comment
 * that starts at `at` (none holds a parameter or a statement's end), or
 * `at` itself when none starts there.
 */
function pastInert(sql: string, at: number): number {
  switch (sql.charCodeAt(at)) {
    case 0x27: // '
      return pastQuoted(sql, at, "'");
    case 0x22: // "
      return pastQuoted(sql, at, '"');
    case 0x60: // `
      return pastQuoted(sql, at, "`");
    case 0x5b: // [
      return pastQuoted(sql, at, "]");
    case 0x2d: { // --
      if (sql.charCodeAt(at + 1) !== 0x2d) return at;
      const end = sql.indexOf("\n", at + 2);
      return end === -1 ? sql.length : end + 1;
    }
    case 0x2f: { // /*
      if (sql.charCodeAt(at + 1) !== 0x2a) return at;
      const end = sql.indexOf("*/", at + 2);
      return end === -1 ? sql.length : end + 2;
    }
    default:
      return at;
  }
}

/**
 * The number of parameters in `sql`, as `sqlite3_bind_parameter_count`
 * answers for it once prepared.
 */
export function parameterCount(sql: string): number {
  let count = 0;
  let named: Map<string, number> | undefined;
  const length = sql.length;
  let i = 0;
  while (i < length) {
    const past = pastInert(sql, i);
    if (past !== i) {
      i = past;
      continue;
    }
    const code = sql.charCodeAt(i);
    switch (code) {
      case 0x3f: { // ?
        let j = i + 1;
        while (j < length && isDigit(sql.charCodeAt(j))) j++;
        if (j === i + 1) count++;
        else {
          const n = Number(sql.slice(i + 1, j));
          if (n > count) count = n;
        }
        i = j;
        continue;
      }
      case 0x3a: // :
      case 0x40: // @
      case 0x24: { // $
        let j = i + 1;
        for (;;) {
          if (j < length && idChar(sql.charCodeAt(j))) j++;
          else if (code === 0x24 && sql.startsWith("::", j)) j += 2;
          else break;
        }
        if (code === 0x24 && j > i + 1 && sql[j] === "(") {
          // A TCL-style suffix: `$name(...)`.
          const end = sql.indexOf(")", j);
          if (end !== -1) j = end + 1;
        }
        if (j === i + 1) break; // not a parameter (a syntax error)
        const name = sql.slice(i, j);
        named ??= new Map();
        if (!named.has(name)) named.set(name, ++count);
        i = j;
        continue;
      }
      default:
        if (idChar(code)) {
          // A word or a number, whose `$` (a$b) is no parameter.
          i++;
          while (i < length && idChar(sql.charCodeAt(i))) i++;
          continue;
        }
    }
    i++;
  }
  return count;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/**
 * Whether `sql` holds no statement: only whitespace, comments and `;`s,
 * which SQLite compiles to no statement at all. node:sqlite hands out a
 * statement object for such SQL that crashes the process when its text is
 * read, so the node engine asks here first.
 */
export function holdsNoStatement(sql: string): boolean {
  let i = 0;
  const length = sql.length;
  while (i < length) {
    const code = sql.charCodeAt(i);
    if (code === 0x3b || code === 0x20 || (code >= 0x09 && code <= 0x0d)) {
      i++;
    } else if (code === 0x2d || code === 0x2f) {
      // A comment, or the start of a statement.
      const past = pastInert(sql, i);
      if (past === i) return false;
      i = past;
    } else return false;
  }
  return true;
}

/**
 * The text of the one statement `sql` holds, without the `;` that ends it
 * and the comments after it, for SQL that wraps it as a subquery
 * (`SELECT * FROM (...)`): a `;` there, even one followed only by a
 * comment, is a syntax error.
 */
export function statementText(sql: string): string {
  const length = sql.length;
  let i = 0;
  while (i < length) {
    const past = pastInert(sql, i);
    if (past !== i) {
      i = past;
      continue;
    }
    const code = sql.charCodeAt(i);
    switch (code) {
      case 0x3b: // ;
        return sql.slice(0, i);
    }
    i++;
  }
  return sql;
}
