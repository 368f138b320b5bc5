/**
 * Streaming CSV and JSON Lines readers over a byte source. Internal: the
 * loaders of `src/load.ts` use them.
 *
 * CSV parsing is Papa Parse's core parser (`npm:papaparse`), fed one chunk
 * at a time: the partial last record of a chunk is carried over to the
 * next, so memory holds one chunk and one record whatever the file size.
 * Papa Parse was chosen over `csv-parse` for speed: on a 1M-row file it
 * parses in a quarter of the time, which keeps a build within twice the
 * `sqlite3` shell's `.import`.
 *
 * @module
 */
/** The bytes a reader pulls at a time. */
const CHUNK_BYTES = 1 << 16;

/** A source of bytes: an open file or anything with `read`. */
export interface ByteSource {
  read(buffer: Uint8Array): Promise<number | null>;
}

/** A batch of records and the 1-based line each starts on. */
export interface Batch<T> {
  /** The records. */
  readonly records: T[];
  /** The line each record starts on. */
  readonly lines: number[];
}

/** A problem in the text itself (not in a value), with its line. */
export class SyntaxProblem extends Error {
  /** The 1-based line. */
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

interface PapaError {
  code: string;
  message: string;
  row: number;
}
interface PapaResult {
  data: string[][];
  errors: PapaError[];
  meta: { cursor: number };
}
interface PapaParser {
  parse(input: string, baseIndex: number, ignoreLastRow: boolean): PapaResult;
}
type ParserClass = new (config: Record<string, unknown>) => PapaParser;
let parserClass: Promise<ParserClass> | undefined;

/**
 * Papa Parse's parser, imported on first use: importing the library (or
 * reading datasets) never loads it.
 */
function loadParser(): Promise<ParserClass> {
  parserClass ??= import("papaparse").then((module) =>
    (module.default as { Parser: ParserClass }).Parser
  );
  return parserClass;
}

/**
 * Reads decoded text chunks from a byte source, calling `onBytes` with
 * every raw chunk (for hashing and progress). The UTF-8 byte-order mark is
 * dropped.
 */
async function* textChunks(
  source: ByteSource,
  onBytes: (bytes: Uint8Array) => void,
  chunkBytes: number,
): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const buffer = new Uint8Array(chunkBytes);
  for (;;) {
    let filled = 0;
    while (filled < buffer.length) {
      const n = await source.read(buffer.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    if (filled === 0) break;
    const bytes = buffer.subarray(0, filled);
    onBytes(bytes);
    yield decodeOrThrow(decoder, bytes, true);
    if (filled < buffer.length) break;
  }
  const rest = decodeOrThrow(decoder, undefined, false);
  if (rest !== "") yield rest;
}

function decodeOrThrow(
  decoder: TextDecoder,
  bytes: Uint8Array | undefined,
  stream: boolean,
): string {
  try {
    return decoder.decode(bytes, { stream });
  } catch (error) {
    throw new SyntaxProblem(
      `the file is not valid UTF-8 (${(error as Error).message})`,
      0,
    );
  }
}

/**
 * What a quoted empty field (`""`) reads as, so loaders can tell it from an
 * empty field: an empty text, where an empty field is NULL. A lone UTF-16
 * surrogate, which no UTF-8 input can hold.
 */
export const QUOTED_EMPTY = "\uD800";

/**
 * Replaces each quoted empty field of `input` (which starts at a record) by
 * {@linkcode QUOTED_EMPTY}, unquoted. Only quotes are visited: outside
 * quotes, a `"` at a field's start followed by `"` and the field's end is
 * one. A `""` at the end of a chunk that is not the last stays, to be seen
 * again with the rest of its record.
 */
function markQuotedEmpty(
  input: string,
  delimiter: string,
  last: boolean,
): string {
  if (!input.includes('""')) return input;
  const boundary = (at: number, before: boolean): boolean => {
    if (before ? at === 0 : at === input.length) return before || last;
    const c = input.charCodeAt(before ? at - 1 : at);
    if (c === 10 || c === 13) return true;
    return before
      ? input.startsWith(delimiter, at - delimiter.length)
      : input.startsWith(delimiter, at);
  };
  let out = "";
  let from = 0;
  let quoted = false;
  for (let i = input.indexOf('"'); i !== -1; i = input.indexOf('"', i + 1)) {
    if (
      !quoted && input.charCodeAt(i + 1) === 34 && boundary(i, true) &&
      boundary(i + 2, false)
    ) {
      out += input.slice(from, i) + QUOTED_EMPTY;
      from = i + 2;
      i++;
      continue;
    }
    quoted = !quoted;
  }
  return from === 0 ? input : out + input.slice(from);
}

/** The line ending of a CSV text: the first one outside quotes. */
function detectNewline(text: string): "\r\n" | "\n" | "\r" | undefined {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (!quoted && c === 13) {
      if (i + 1 === text.length) return undefined;
      return text.charCodeAt(i + 1) === 10 ? "\r\n" : "\r";
    } else if (!quoted && c === 10) return "\n";
  }
  return undefined;
}

function countOf(text: string, char: string): number {
  let count = 0;
  for (
    let at = text.indexOf(char);
    at !== -1;
    at = text.indexOf(char, at + 1)
  ) {
    count++;
  }
  return count;
}

/**
 * Streams the records of an RFC 4180 CSV text (quotes, doubled quotes,
 * embedded line breaks, CRLF or LF, an optional byte-order mark) in
 * batches. Blank lines are skipped.
 */
export async function* csvRecords(
  source: ByteSource,
  delimiter: string,
  onBytes: (bytes: Uint8Array) => void,
  chunkBytes: number = CHUNK_BYTES,
): AsyncGenerator<Batch<string[]>, void, undefined> {
  const Parser = await loadParser();
  let parser: PapaParser | undefined;
  let newline = "\n";
  let pending = "";
  let line = 1;
  const parse = (text: string, last: boolean): Batch<string[]> => {
    const input = markQuotedEmpty(text, delimiter, last);
    const result = parser!.parse(input, 0, !last);
    const records: string[][] = [];
    const lines: number[] = [];
    const hasQuotes = input.includes('"');
    const rows = result.data;
    const breakChar = newline === "\r" ? "\r" : "\n";
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const error = result.errors.find((e) => e.row === r);
      if (error !== undefined) {
        throw new SyntaxProblem(
          error.code === "MissingQuotes"
            ? "a quoted field is never closed"
            : "a quote inside a quoted field is not doubled",
          line,
        );
      }
      const blank = row.length === 1 && row[0] === "";
      if (!blank) {
        records.push(row);
        lines.push(line);
      }
      line++;
      if (hasQuotes) {
        for (const field of row) {
          if (field.length > 0) line += countOf(field, breakChar);
        }
      }
    }
    // Errors past the last record belong to the carried-over partial
    // record, parsed again with the next chunk; only the end reports them.
    const stray = result.errors.find((e) => e.row >= rows.length);
    if (last && stray !== undefined) {
      throw new SyntaxProblem("a quoted field is never closed", line);
    }
    pending = input.slice(result.meta.cursor);
    return { records, lines };
  };
  for await (const text of textChunks(source, onBytes, chunkBytes)) {
    const input = pending + text;
    if (parser === undefined) {
      const found = detectNewline(input);
      if (found === undefined) {
        pending = input;
        continue;
      }
      newline = found;
      parser = new Parser({ delimiter, newline, quoteChar: '"' });
    }
    const batch = parse(input, false);
    if (batch.records.length > 0) yield batch;
  }
  parser ??= new Parser({ delimiter, newline, quoteChar: '"' });
  if (pending !== "") {
    const input = pending.endsWith(newline)
      ? pending.slice(0, -newline.length)
      : pending;
    const batch = parse(input, true);
    if (batch.records.length > 0) yield batch;
  }
}

/** A `JSON.parse` reviver that may read the source text of numbers. */
export type Reviver = (
  this: unknown,
  key: string,
  value: unknown,
  context?: { source?: string },
) => unknown;

/**
 * Streams the lines of a JSON Lines text, parsed, in batches. Blank lines
 * are skipped; CRLF is accepted.
 */
export async function* jsonLines(
  source: ByteSource,
  onBytes: (bytes: Uint8Array) => void,
  reviver?: Reviver,
  chunkBytes: number = CHUNK_BYTES,
): AsyncGenerator<Batch<unknown>, void, undefined> {
  let pending = "";
  let line = 1;
  const parseLine = (text: string, records: unknown[], lines: number[]) => {
    const body = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (body.trim() !== "") {
      try {
        records.push(
          JSON.parse(body, reviver as Parameters<typeof JSON.parse>[1]),
        );
      } catch (error) {
        throw new SyntaxProblem(
          `invalid JSON (${(error as Error).message})`,
          line,
        );
      }
      lines.push(line);
    }
    line++;
  };
  for await (const text of textChunks(source, onBytes, chunkBytes)) {
    const input = pending + text;
    const records: unknown[] = [];
    const lines: number[] = [];
    let start = 0;
    for (
      let end = input.indexOf("\n");
      end !== -1;
      end = input.indexOf("\n", start)
    ) {
      parseLine(input.slice(start, end), records, lines);
      start = end + 1;
    }
    pending = input.slice(start);
    if (records.length > 0) yield { records, lines };
  }
  if (pending !== "") {
    const records: unknown[] = [];
    const lines: number[] = [];
    parseLine(pending, records, lines);
    if (records.length > 0) yield { records, lines };
  }
}

/**
 * Where the array scanner is: before `[`, before the first element or `]`,
 * before a further element, inside an element, or after `]`.
 */
type ArrayState = "before" | "first" | "next" | "value" | "done";

/**
 * Streams the elements of a JSON text holding one array, parsed, in
 * batches, with the line each element starts on. Memory holds one chunk
 * of the text and one element, whatever the file size: the scanner only
 * finds where each element ends (tracking strings and nesting), and
 * `JSON.parse` reads the element.
 */
export async function* jsonArray(
  source: ByteSource,
  onBytes: (bytes: Uint8Array) => void,
  reviver?: Reviver,
  chunkBytes: number = CHUNK_BYTES,
): AsyncGenerator<Batch<unknown>, void, undefined> {
  let state = "before" as ArrayState;
  let line = 1;
  let pending = "";
  let valueLine = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  const parse = (text: string, records: unknown[], lines: number[]) => {
    try {
      records.push(
        JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]),
      );
    } catch (error) {
      throw new SyntaxProblem(
        `invalid JSON (${(error as Error).message})`,
        valueLine,
      );
    }
    lines.push(valueLine);
  };
  for await (const text of textChunks(source, onBytes, chunkBytes)) {
    const records: unknown[] = [];
    const lines: number[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (state === "value") {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) inString = false;
          else if (c === 0x0a) line++;
          continue;
        }
        if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) depth++;
        else if ((c === 0x7d || c === 0x5d) && depth > 0) depth--;
        else if (c === 0x0a) line++;
        else if (depth === 0 && (c === 0x2c || c === 0x5d || c === 0x7d)) {
          // A comma or bracket outside any nesting ends the value.
          pending += text.slice(start, c === 0x7d ? i + 1 : i);
          parse(pending, records, lines);
          pending = "";
          state = c === 0x2c ? "next" : "done";
        }
        continue;
      }
      if (c === 0x20 || c === 0x09 || c === 0x0d) continue;
      if (c === 0x0a) {
        line++;
        continue;
      }
      if (state === "before") {
        if (c !== 0x5b) {
          throw new SyntaxProblem(
            "expected a JSON array of objects, starting with [",
            line,
          );
        }
        state = "first";
      } else if (state === "done") {
        throw new SyntaxProblem(
          "invalid JSON (text after the closing ] of the array)",
          line,
        );
      } else if (c === 0x5d && state === "first") {
        state = "done";
      } else if (c === 0x2c || c === 0x5d) {
        throw new SyntaxProblem(
          `invalid JSON (expected an element, got ${JSON.stringify(text[i])})`,
          line,
        );
      } else {
        state = "value";
        start = i;
        valueLine = line;
        depth = 0;
        i--;
      }
    }
    if (state === "value") pending += text.slice(start);
    if (records.length > 0) yield { records, lines };
  }
  if (state === "before") {
    throw new SyntaxProblem(
      "expected a JSON array of objects, got an empty file",
      line,
    );
  }
  if (state !== "done") {
    throw new SyntaxProblem(
      "the JSON array is never closed (the file ends inside it)",
      line,
    );
  }
}
