/**
 * How many parameters SQLite sees in a caller's SQL, counted the way
 * `sqlite3_bind_parameter_count` counts them, without preparing it: the
 * ffi engine asks SQLite, but `node:sqlite` has no such call and binds
 * NULL to every parameter it was not given (and skips named ones when
 * binding by position), so a `?` typed into `dataset.sql` would run as
 * NULL there and fail on the other engine. Raw SQL checks its count here,
 * the same way on both engines.
 *
 * The scan follows SQLite's tokenizer (`tokenize.c`) as far as parameters
 * go: string literals, quoted identifiers (`"..."`, `` `...` ``,
 * `[...]`) and comments hold none; `?` takes the next number, `?NNN` the
 * number NNN; `:name`, `@name` and `$name` take the next number on their
 * first use and the same one after. The count is the highest number.
 *
 * @module
 */
import { EngineError, ResultCode } from "./_engine.ts";

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
 * The number of parameters in `sql`, as `sqlite3_bind_parameter_count`
 * answers for it once prepared.
 */
export function parameterCount(sql: string): number {
  let count = 0;
  let named: Map<string, number> | undefined;
  const length = sql.length;
  let i = 0;
  while (i < length) {
    const code = sql.charCodeAt(i);
    switch (code) {
      case 0x27: // '
        i = pastQuoted(sql, i, "'");
        continue;
      case 0x22: // "
        i = pastQuoted(sql, i, '"');
        continue;
      case 0x60: // `
        i = pastQuoted(sql, i, "`");
        continue;
      case 0x5b: // [
        i = pastQuoted(sql, i, "]");
        continue;
      case 0x2d: // -
        if (sql.charCodeAt(i + 1) === 0x2d) {
          const end = sql.indexOf("\n", i + 2);
          i = end === -1 ? length : end + 1;
          continue;
        }
        break;
      case 0x2f: // /
        if (sql.charCodeAt(i + 1) === 0x2a) {
          const end = sql.indexOf("*/", i + 2);
          i = end === -1 ? length : end + 2;
          continue;
        }
        break;
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

/** Per prepared statement of the caller's SQL, its parameter count. */
const counts = new WeakMap<object, number>();

/**
 * The engine error of caller's SQL whose parameters are not the values
 * given: an unfilled `?` (or `:name`, `@name`, `$name`) typed into the
 * text, which the session maps to a `QueryError` on both engines.
 * @param statement The prepared statement (its count is kept with it).
 * @param given How many values the template interpolated.
 * @returns `undefined` when the counts agree.
 */
export function parameterMismatch(
  statement: { readonly sql: string },
  given: number,
): EngineError | undefined {
  let count = counts.get(statement);
  if (count === undefined) {
    count = parameterCount(statement.sql);
    counts.set(statement, count);
  }
  if (count === given) return undefined;
  return new EngineError(
    `the SQL has ${count} parameter${
      count === 1 ? "" : "s"
    } and ${given} value${
      given === 1 ? " was" : "s were"
    } interpolated: write each value as \${value} in the template; a ?, ?NNN, :name, @name or $name in the text is never filled`,
    ResultCode.RANGE,
  );
}
