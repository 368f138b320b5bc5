/**
 * The engine over the system SQLite library, called through Deno's FFI
 * (`Deno.dlopen`). Nothing is loaded until {@linkcode loadFfiEngine} runs.
 *
 * Hot paths (`step`, `column`) make as few FFI calls as they can and
 * allocate nothing beyond the value they return. Every cell's storage class
 * is read first (`sqlite3_column_type`), so a read hint never changes the
 * value returned, only the path to it; the STRICT hints skip that read
 * where SQLite guarantees the class (a STRICT table's declared type). Integers are read through
 * `sqlite3_column_double` (exact for every safe integer, and free of the
 * bigint Deno returns for `i64`), and only integers beyond 2^53 take the
 * `sqlite3_column_int64` path; short ASCII text is copied out with `strcpy`
 * and built in JavaScript rather than read with the slower `getCString`.
 *
 * @module
 */
import { absolutePath } from "./_paths.ts";
import {
  ColumnHint,
  type Connection,
  type Engine,
  EngineError,
  FileWatch,
  type OpenRequest,
  ResultCode,
  type SQLValue,
  type Statement,
} from "./_engine.ts";
import { INT64_MAX, INT64_MIN, MAX_SAFE } from "./_kinds.ts";

/**
 * The C functions the engine calls, as `Deno.dlopen` declares them, each
 * parameter named after its C declaration.
 */
const SYMBOLS = {
  sqlite3_libversion: { parameters: [], result: "pointer" },
  sqlite3_config: {
    // Variadic in C; called with one int after the option, which every
    // supported platform but Apple's arm64 passes as it does a fixed one.
    parameters: [
      "i32", // int op
      "i32", // int (the option's one argument)
    ],
    result: "i32",
    optional: true,
  },
  // Pointers where a buffer would do: Deno compiles a buffer parameter's
  // call stub at about 0.1 ms more than a pointer's, on the cold path.
  sqlite3_open_v2: {
    parameters: [
      "pointer", // const char *filename (UTF-8, NUL-terminated)
      "pointer", // sqlite3 **ppDb (written back: outAddress)
      "i32", // int flags
      "pointer", // const char *zVfs (NULL: the default VFS)
    ],
    result: "i32",
  },
  sqlite3_close_v2: {
    parameters: ["pointer"], // sqlite3 *db
    result: "i32",
  },
  sqlite3_errmsg: {
    parameters: ["pointer"], // sqlite3 *db
    result: "pointer",
  },
  sqlite3_errstr: {
    parameters: ["i32"], // int rc
    result: "pointer",
  },
  sqlite3_extended_errcode: {
    parameters: ["pointer"], // sqlite3 *db
    result: "i32",
  },
  sqlite3_prepare_v2: {
    // The SQL goes as a pointer, not a buffer, so the tail pointer SQLite
    // writes back can be compared with the address it was given.
    parameters: [
      "pointer", // sqlite3 *db
      "pointer", // const char *zSql
      "i32", // int nByte
      "pointer", // sqlite3_stmt **ppStmt (written back: outAddress)
      "pointer", // const char **pzTail (written back: tailAddress)
    ],
    result: "i32",
  },
  sqlite3_finalize: {
    parameters: ["pointer"], // sqlite3_stmt *pStmt
    result: "i32",
  },
  sqlite3_reset: {
    parameters: ["pointer"], // sqlite3_stmt *pStmt
    result: "i32",
  },
  sqlite3_step: {
    parameters: ["pointer"], // sqlite3_stmt *pStmt
    result: "i32",
  },
  sqlite3_bind_null: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int i (1-based)
    ],
    result: "i32",
  },
  sqlite3_bind_int: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int i
      "i32", // int value
    ],
    result: "i32",
  },
  sqlite3_bind_int64: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int i
      "i64", // sqlite3_int64 value
    ],
    result: "i32",
  },
  sqlite3_bind_double: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int i
      "f64", // double value
    ],
    result: "i32",
  },
  sqlite3_bind_text: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int i
      "pointer", // const char *zData (UTF-8: scratchAddress, mostly)
      "i32", // int nData (bytes)
      "isize", // void (*xDel)(void*): -1 is SQLITE_TRANSIENT (copy)
    ],
    result: "i32",
  },
  sqlite3_bind_blob: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int i
      "buffer", // const void *zData
      "i32", // int nData
      "isize", // void (*xDel)(void*): -1 is SQLITE_TRANSIENT (copy)
    ],
    result: "i32",
  },
  sqlite3_bind_parameter_count: {
    parameters: ["pointer"], // sqlite3_stmt *pStmt
    result: "i32",
  },
  sqlite3_column_count: {
    parameters: ["pointer"], // sqlite3_stmt *pStmt
    result: "i32",
  },
  sqlite3_column_name: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int N
    ],
    result: "pointer",
  },
  sqlite3_column_type: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int iCol
    ],
    result: "i32",
  },
  sqlite3_column_int64: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int iCol
    ],
    result: "i64",
  },
  sqlite3_column_double: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int iCol
    ],
    result: "f64",
  },
  sqlite3_column_text: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int iCol
    ],
    result: "pointer",
  },
  sqlite3_column_bytes: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int iCol
    ],
    result: "i32",
  },
  sqlite3_column_blob: {
    parameters: [
      "pointer", // sqlite3_stmt *pStmt
      "i32", // int iCol
    ],
    result: "pointer",
  },
  sqlite3_changes: {
    parameters: ["pointer"], // sqlite3 *db
    result: "i32",
  },
  sqlite3_db_status: {
    // Optional: without it, a watched file is checked after every step.
    parameters: [
      "pointer", // sqlite3 *db
      "i32", // int op
      "pointer", // int *pCur (written back: statusAddress)
      "pointer", // int *pHiwtr (written back: statusHighAddress)
      "i32", // int resetFlg
    ],
    result: "i32",
    optional: true,
  },
  sqlite3_progress_handler: {
    // Optional: without it, a time budget is checked between rows only.
    parameters: [
      "pointer", // sqlite3 *db
      "i32", // int nOps (0 removes the handler)
      "function", // int (*xProgress)(void*): nonzero interrupts
      "pointer", // void *pArg: NULL
    ],
    result: "void",
    optional: true,
  },
  sqlite3_exec: {
    parameters: [
      "pointer", // sqlite3 *db
      "pointer", // const char *sql
      "pointer", // int (*callback)(void*, int, char**, char**): NULL
      "pointer", // void *arg: NULL
      "pointer", // char **errmsg (written back: outAddress; sqlite3_free)
    ],
    result: "i32",
  },
  sqlite3_deserialize: {
    parameters: [
      "pointer", // sqlite3 *db
      "buffer", // const char *zSchema ("main")
      "pointer", // unsigned char *pData (from sqlite3_malloc64)
      "i64", // sqlite3_int64 szDb
      "i64", // sqlite3_int64 szBuf
      "u32", // unsigned mFlags
    ],
    result: "i32",
  },
  sqlite3_malloc64: {
    parameters: ["u64"], // sqlite3_uint64 n
    result: "pointer",
  },
  sqlite3_free: {
    parameters: ["pointer"], // void *p
    result: "void",
  },
  // The C library's strcpy, found through SQLite's own dependencies where
  // the platform allows (Linux, macOS). Short text is copied with it into a
  // scratch buffer and built in JavaScript, which costs about half of a
  // `getCString`. Without it, text is read with `getCString` alone.
  strcpy: {
    parameters: [
      "pointer", // char *dst
      "pointer", // const char *src
    ],
    result: "void",
    optional: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * The loaded functions. 64-bit integer parameters take bigints: Deno takes
 * numbers there too, but only through its slow call path (about 6 times
 * slower than converting with `BigInt()` first).
 */
type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

// Open flags.
const OPEN_READONLY = 0x1;
const OPEN_READWRITE = 0x2;
const OPEN_CREATE = 0x4;
const OPEN_URI = 0x40;
const OPEN_NOMUTEX = 0x8000;
const OPEN_EXRESCODE = 0x02000000;

// Deserialize flags.
const DESERIALIZE_FREEONCLOSE = 1;
const DESERIALIZE_READONLY = 4;

// Fundamental datatypes, as sqlite3_column_type returns them.
const SQLITE_INTEGER = 1;
const SQLITE_FLOAT = 2;
const SQLITE_TEXT = 3;
const SQLITE_BLOB = 4;
const SQLITE_NULL = 5;

/** The destructor argument that makes SQLite copy bound text and blobs. */
const SQLITE_TRANSIENT = -1n;

// Reused by every call; none of this allocates per row. The buffers SQLite
// writes to or reads from by pointer are made from an `ArrayBuffer`, whose
// memory lives outside V8's heap and never moves; their addresses are taken
// when a library loads (that needs `--allow-ffi`), in `takeAddresses()`,
// or on first use for those a cold start does not need.
/** Encodes text that is not short ASCII; made on first use. */
let encoder: TextEncoder | undefined;
/** Decodes UTF-8 where a cold start never does; made on first use. */
let decoder: TextDecoder | undefined;

/** The UTF-8 encoder, made on first use. */
function utf8Encoder(): TextEncoder {
  return encoder ??= new TextEncoder();
}

/** The UTF-8 decoder, made on first use. */
function utf8Decoder(): TextDecoder {
  return decoder ??= new TextDecoder("utf-8", { ignoreBOM: true });
}
/** Receives a pointer written by SQLite (`sqlite3 **`, `char **`, ...). */
const pointerOut = new BigUint64Array(new ArrayBuffer(8));
let outAddress: Deno.PointerValue = null;
/** Receives the end of the first statement's SQL (`pzTail`). */
const tailOut = new BigUint64Array(new ArrayBuffer(8));
let tailAddress: Deno.PointerValue = null;
/**
 * Receive the current and highest values of a connection statistic; their
 * addresses are taken by the first connection that reads it.
 */
const statusOut = new Int32Array(new ArrayBuffer(4));
let statusAddress: Deno.PointerValue = null;
const statusHigh = new Int32Array(new ArrayBuffer(4));
let statusHighAddress: Deno.PointerValue = null;
/** `SQLITE_DBSTATUS_CACHE_MISS`: pages read from the file, not the cache. */
const DBSTATUS_CACHE_MISS = 8;
/** A non-null buffer for zero-length blobs (a null one would bind NULL). */
const emptyBytes = new Uint8Array(new ArrayBuffer(1));
/**
 * Text passed to SQLite (file names, SQL, text parameters) is encoded here,
 * followed by a NUL, unless it is large ({@linkcode encodeText}).
 */
let scratch = new Uint8Array(new ArrayBuffer(4096));
let scratchAddress: Deno.PointerValue = null;
const SCRATCH_LIMIT = 1 << 20;

/** Takes the addresses of the buffers a cold start uses, once. */
function takeAddresses(): void {
  if (outAddress !== null) return;
  outAddress = Deno.UnsafePointer.of(pointerOut);
  tailAddress = Deno.UnsafePointer.of(tailOut);
  scratchAddress = Deno.UnsafePointer.of(scratch);
  shortTextAddress = Deno.UnsafePointer.of(shortText);
}

/** Takes the addresses of the statistic's buffers, once. */
function takeStatusAddresses(): void {
  if (statusAddress !== null) return;
  statusAddress = Deno.UnsafePointer.of(statusOut);
  statusHighAddress = Deno.UnsafePointer.of(statusHigh);
}

/**
 * The bytes {@linkcode encodeText} wrote last, NUL included, and their
 * address: the scratch buffer, or for large text a buffer of its own, held
 * here until the next call so nothing collects it while SQLite reads it.
 */
let textBytes: Uint8Array = scratch;
let textAddress: Deno.PointerValue = null;

/**
 * ASCII text of at most this many characters is copied into the scratch
 * buffer by a loop: about 0.01 µs for a short key, where `encodeInto`
 * takes 0.06 (0.2 µs against 0.1 for 200 characters), and a cold start,
 * whose file name and SQL are ASCII, never makes a `TextEncoder`.
 */
const ASCII_COPY = 1024;

/**
 * Encodes `text` as UTF-8 followed by a NUL into {@linkcode textBytes}
 * (the scratch buffer unless the text is large) for one call into SQLite.
 * Nothing is allocated, and no address taken, for text up to a third of
 * the scratch buffer's size.
 * @returns The number of bytes, the NUL left out.
 */
function encodeText(text: string): number {
  const length = text.length;
  if (length > ASCII_COPY) return encodeWide(text);
  const bytes = scratch;
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 0x7f) return encodeWide(text);
    bytes[i] = unit;
  }
  bytes[length] = 0;
  textBytes = bytes;
  textAddress = scratchAddress;
  return length;
}

/**
 * {@linkcode encodeText} for text that is not short ASCII, with
 * `encodeInto`: the scratch buffer grows once to
 * {@linkcode SCRATCH_LIMIT}, and text beyond that is encoded on its own.
 */
function encodeWide(text: string): number {
  if (text.length * 3 >= scratch.length) {
    if (text.length * 3 >= SCRATCH_LIMIT) return encodeApart(text);
    scratch = new Uint8Array(new ArrayBuffer(SCRATCH_LIMIT));
    scratchAddress = Deno.UnsafePointer.of(scratch);
  }
  const length = utf8Encoder().encodeInto(text, scratch).written;
  scratch[length] = 0;
  textBytes = scratch;
  textAddress = scratchAddress;
  return length;
}

/** {@linkcode encodeText} for text too large for the scratch buffer. */
function encodeApart(text: string): number {
  const bytes = utf8Encoder().encode(`${text}\0`);
  textBytes = bytes;
  textAddress = Deno.UnsafePointer.of(bytes);
  return bytes.length - 1;
}

/**
 * How many virtual machine instructions SQLite runs between two calls of
 * the progress handler while a step is bounded: 10,000 instructions take
 * about 0.1 ms, so a bounded step stops well within a millisecond of its
 * deadline, and runs about 0.5% slower (a 2M-row recursive count: 202.1
 * vs 201.2 ms min, 15 interleaved rounds).
 */
const PROGRESS_OPS = 10_000;

/**
 * When the bounded step must stop (`performance.now()`): one for the
 * process, since steps run one at a time on the one JavaScript thread.
 */
let stepDeadline = Infinity;
/** The progress handler, made on first use (it needs `--allow-ffi`). */
let progressHandler:
  | Deno.UnsafeCallback<{
    readonly parameters: readonly ["pointer"];
    readonly result: "i32";
  }>
  | undefined;

function progressPointer(): Deno.PointerObject {
  progressHandler ??= new Deno.UnsafeCallback(
    { parameters: ["pointer"], result: "i32" } as const,
    () => performance.now() >= stepDeadline ? 1 : 0,
  );
  return progressHandler.pointer;
}

const FINALIZED = "Cannot use statement: it was finalized";
const CLOSED = "Cannot use connection: it was closed";

/** Engines already loaded, by the library name they were loaded from. */
const engines = new Map<string, FfiEngine>();
/** Engines already found, by the candidate list that found them. */
const resolutions = new Map<string, FfiEngine>();

/**
 * The library a user chose explicitly, if any: the `library` option, else
 * the environment variable `MICROCOSM_SQLITE_LIBRARY` (only when set and
 * readable without a permission prompt). A choice that does not load is an
 * error, never replaced by another library or engine.
 * @param library The `library` option.
 * @returns The chosen library and where the choice was made, or
 * `undefined` when the defaults apply.
 */
export function chosenLibrary(
  library?: string,
): { library: string; source: string } | undefined {
  if (library) return { library, source: "the library option" };
  const variable = readEnv("MICROCOSM_SQLITE_LIBRARY");
  if (variable) {
    return { library: variable, source: "MICROCOSM_SQLITE_LIBRARY" };
  }
  return undefined;
}

/**
 * Loads SQLite through FFI and returns the engine, once per library.
 *
 * A chosen library ({@linkcode chosenLibrary}) is the only one tried.
 * Otherwise the candidates are, in order: the environment variable
 * `DENO_SQLITE_PATH` (only when set and readable without a permission
 * prompt), then the platform's usual names (`libsqlite3.so.0` and
 * `libsqlite3.so` on Linux, `libsqlite3.dylib` and
 * `/usr/lib/libsqlite3.dylib` on macOS, `sqlite3.dll` and `winsqlite3.dll`
 * on Windows). The first one that loads with every needed symbol wins.
 *
 * @param library A path or library name to load instead of the defaults.
 * @returns The engine.
 * @throws {Deno.errors.NotCapable} When FFI is not allowed.
 * @throws {Error} When no candidate loads; the message lists each candidate
 * and why it failed (including any missing symbol), and names where a
 * chosen library was chosen.
 */
export function loadFfiEngine(library?: string): Engine {
  const chosen = chosenLibrary(library);
  const candidates = chosen ? [chosen.library] : defaultCandidates();
  // A failed candidate is not retried while the same list resolved before.
  const key = candidates.join("\0");
  const resolved = resolutions.get(key);
  if (resolved !== undefined) return resolved;
  const failures: string[] = [];
  for (const candidate of candidates) {
    let engine = engines.get(candidate);
    if (engine === undefined) {
      const result = open(candidate);
      if (typeof result === "string") {
        failures.push(`${candidate} (${result})`);
        continue;
      }
      engine = result;
      engines.set(candidate, engine);
    }
    resolutions.set(key, engine);
    return engine;
  }
  throw loadFailed(failures, chosen);
}

/** The error when no candidate loads: each one, and why. */
function loadFailed(
  failures: string[],
  chosen: { source: string } | undefined,
): Error {
  return new Error(
    `Cannot load SQLite through FFI: tried ${failures.join(", ")}${
      chosen
        ? `, chosen by ${chosen.source} (an explicit choice: no other library or engine is tried)`
        : ""
    }`,
  );
}

/**
 * The symbols every engine binds when its library loads, in declaration
 * order: the ones opening a file and reading rows by key (a cold start)
 * calls. Each other symbol is in {@linkcode LATER}; a test checks that the
 * two lists together hold every symbol once.
 */
const AT_LOAD = [
  "sqlite3_config",
  "sqlite3_open_v2",
  "sqlite3_prepare_v2",
  "sqlite3_reset",
  "sqlite3_step",
  "sqlite3_bind_int",
  "sqlite3_column_type",
  "sqlite3_column_double",
  "sqlite3_column_text",
  "sqlite3_column_bytes",
  "strcpy",
] as const satisfies readonly (keyof typeof SYMBOLS)[];

/**
 * The symbols bound one by one, each the first time it is called, rather
 * than when the library loads: Deno compiles a call stub per symbol, about
 * 0.05 ms each, and opening a file and reading rows by key (a cold start)
 * calls none of these. They are errors, closing, the rarer binds and
 * reads, images, and the two optional functions behind a watched file and a
 * time budget. Every SQLite build has the required ones; should a library
 * lack one, the call that needs it throws an `Error` naming it. An optional
 * one is tested for `null` through {@linkcode boundSymbol}, which binds it.
 */
const LATER = [
  "sqlite3_errmsg",
  "sqlite3_errstr",
  "sqlite3_extended_errcode",
  "sqlite3_finalize",
  "sqlite3_close_v2",
  "sqlite3_bind_null",
  "sqlite3_bind_int64",
  "sqlite3_bind_double",
  "sqlite3_bind_blob",
  "sqlite3_column_int64",
  "sqlite3_column_blob",
  "sqlite3_changes",
  "sqlite3_deserialize",
  "sqlite3_malloc64",
  "sqlite3_free",
  "sqlite3_db_status",
  "sqlite3_progress_handler",
  // Not called by a cold start either: result column names are read on
  // first use, a statement's parameter count is checked by binding past
  // it, and the version is read when asked.
  "sqlite3_column_name",
  "sqlite3_bind_parameter_count",
  "sqlite3_libversion",
  // The open sets the memory map's size with prepare and step.
  "sqlite3_exec",
  // A model's table checks name the table in the SQL, as an identifier:
  // a cold start binds no text.
  "sqlite3_bind_text",
  // A statement's column count is read when asked: a cold start reads
  // rows by position.
  "sqlite3_column_count",
] as const satisfies readonly (keyof typeof SYMBOLS)[];

/** The {@linkcode LATER} symbols bound so far, by library. */
const boundLater = new Map<string, Set<string>>();

/**
 * The later symbols the engine loaded from `library` has bound so far, in
 * the order they were bound (for tests: each binds alone).
 * @param library The engine's `library`.
 * @returns Their names.
 */
export function symbolsBoundLater(library: string): string[] {
  return [...boundLater.get(library) ?? []];
}

/**
 * The symbols every engine binds when its library loads (for tests: a cold
 * start calls only these).
 * @returns Their names, in declaration order.
 */
export function symbolsBoundAtLoad(): string[] {
  return [...AT_LOAD];
}

/**
 * The symbols a library declares (for tests: {@linkcode AT_LOAD} and
 * {@linkcode LATER} together hold each once).
 * @returns The names bound at load, and the names bound later.
 */
export function symbolLists(): {
  declared: string[];
  atLoad: string[];
  later: string[];
} {
  return {
    declared: Object.keys(SYMBOLS),
    atLoad: [...AT_LOAD],
    later: [...LATER],
  };
}

/**
 * The symbols of `names`, each made optional (so a missing one is reported
 * by name, not by `Deno.dlopen`), as `Deno.dlopen` takes them. Each entry
 * is a new object of one shape, copied field by field from a list of
 * names: spreading the table's entries (whose shapes differ) after
 * walking it with `Object.entries` cost about 0.07 ms more at load.
 */
function optionalSymbols(
  names: readonly (keyof typeof SYMBOLS)[],
): Deno.ForeignLibraryInterface {
  const chosen: Deno.ForeignLibraryInterface = {};
  for (const name of names) {
    const { parameters, result } = SYMBOLS[name];
    chosen[name] = { parameters, result, optional: true };
  }
  return chosen;
}

/**
 * Binds a later symbol that is still unbound (and answers what it is
 * bound to), by the stub standing in for it.
 */
const binders = new WeakMap<object, () => unknown>();

/**
 * The symbol `name` of `sym`, bound first when it is a later one not bound
 * yet: the way to test an optional later symbol for `null`.
 */
function boundSymbol<K extends keyof Symbols>(
  sym: Symbols,
  name: K,
): Symbols[K] {
  const value = sym[name];
  const bind = value === null ? undefined : binders.get(value);
  return (bind === undefined ? value : bind()) as Symbols[K];
}

/**
 * Loads one candidate: the engine, or why it could not be loaded.
 *
 * Until bound, each later symbol is a stub that binds it alone
 * ({@linkcode bindLater}) and calls it. The engine's table of symbols is a
 * copy, in one literal with every symbol: Deno's symbols object holds over
 * 20 functions, and V8 keeps such an object as a dictionary, which makes
 * every call on a hot path look its function up by name. An object literal
 * keeps fast properties (binding the later ones only replaces values, and
 * the hot ones are bound at load, so never replaced).
 */
function open(candidate: string): FfiEngine | string {
  let lib: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>;
  try {
    lib = Deno.dlopen(candidate, optionalSymbols(AT_LOAD));
  } catch (error) {
    return describeLoadError(candidate, error);
  }
  const symbols = lib.symbols as Record<string, unknown>;
  const missing = AT_LOAD.filter((name) =>
    symbols[name] == null && !("optional" in SYMBOLS[name])
  );
  if (missing.length > 0) return missingSymbols(lib, missing);
  const bound = new Set<string>();
  boundLater.set(candidate, bound);
  const later: Record<string, unknown> = {};
  for (const name of LATER) {
    const bind = () => bindLater(candidate, sym, bound, name);
    const stub = (...args: unknown[]) =>
      (bind() as (...args: unknown[]) => unknown)(...args);
    binders.set(stub, bind);
    later[name] = stub;
  }
  const sym = { ...lib.symbols, ...later } as unknown as Symbols;
  configure(sym);
  takeAddresses();
  return new FfiEngine(candidate, sym);
}

/** Closes a library that lacks required symbols, and names them. */
function missingSymbols(
  lib: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>,
  missing: string[],
): string {
  lib.close();
  return `missing symbol${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`;
}

/**
 * Binds the later symbol `name` into `sym`, the table of the engine loaded
 * from `candidate`, with one more `Deno.dlopen` of the same library (about
 * 0.06 ms), the first time only.
 * @returns The symbol: `null` for an optional one the library lacks, a
 * function that throws for a required one it lacks.
 */
function bindLater(
  candidate: string,
  sym: Symbols,
  bound: Set<string>,
  name: typeof LATER[number],
): unknown {
  const table = sym as unknown as Record<string, unknown>;
  if (bound.has(name)) return table[name];
  bound.add(name);
  const found = Deno.dlopen(candidate, optionalSymbols([name])).symbols[name];
  table[name] = found ??
    ("optional" in SYMBOLS[name] ? null : () => {
      throw new Error(
        `Cannot call ${name}: the SQLite library ${candidate} does not export it`,
      );
    });
  return table[name];
}

/** `SQLITE_CONFIG_MEMSTATUS`: whether SQLite keeps memory statistics. */
const CONFIG_MEMSTATUS = 9;

/**
 * Turns SQLite's memory statistics off, as the C reference does: with them
 * on, every allocation SQLite makes takes a global mutex to count it, which
 * is about a tenth of the instructions of a point lookup. Nothing here reads
 * the statistics. SQLite accepts this only before its first connection in
 * the process; later it answers SQLITE_MISUSE and nothing changes. Skipped
 * on Apple's arm64, which passes variadic arguments differently.
 */
function configure(sym: Symbols): void {
  if (Deno.build.os === "darwin" && Deno.build.arch === "aarch64") return;
  sym.sqlite3_config?.(CONFIG_MEMSTATUS, 0);
}

/**
 * Shortens Deno's "Could not open library: ...: <reason>" message.
 * @throws The error itself when FFI is not allowed.
 */
function describeLoadError(candidate: string, error: unknown): string {
  if (
    error instanceof Deno.errors.NotCapable ||
    error instanceof Deno.errors.PermissionDenied
  ) {
    throw error;
  }
  let message = error instanceof Error ? error.message : String(error);
  message = message.replace(/^(Could not open library: )+/, "");
  if (message.startsWith(`${candidate}: `)) {
    message = message.slice(candidate.length + 2);
  }
  return message;
}

/** `DENO_SQLITE_PATH` when set, then the platform's usual names. */
function defaultCandidates(): string[] {
  const candidates: string[] = [];
  const shared = readEnv("DENO_SQLITE_PATH");
  if (shared) candidates.push(shared);
  switch (Deno.build.os) {
    case "darwin":
      candidates.push("libsqlite3.dylib", "/usr/lib/libsqlite3.dylib");
      break;
    case "windows":
      candidates.push("sqlite3.dll", "winsqlite3.dll");
      break;
    default:
      candidates.push("libsqlite3.so.0", "libsqlite3.so");
  }
  return candidates;
}

/**
 * Reads an environment variable, or `undefined` if it is not allowed,
 * never prompting for it. Deno prompts only when stdin is a terminal, so
 * without one the variable is read directly (a refusal throws, and is
 * caught); with one, its permission is queried first. The query costs
 * about 0.15 ms of a cold start (Deno compiles its permission code on first
 * use), and a deployed server seldom has a terminal.
 */
function readEnv(variable: string): string | undefined {
  try {
    if (
      Deno.stdin.isTerminal() &&
      Deno.permissions.querySync({ name: "env", variable }).state !== "granted"
    ) {
      return undefined;
    }
    return Deno.env.get(variable);
  } catch {
    return undefined;
  }
}

/** Reads a NUL-terminated C string; `""` for a null pointer. */
function cString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

/** The number of UTF-8 bytes that encode `text` (well-formed text only). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit < 0xdc00) {
      bytes += 2; // 4 bytes for the pair's 2 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** Text of at most this many bytes may be built in JavaScript. */
const SHORT_TEXT = 16;
/**
 * Receives short text copied by `strcpy`: the bytes and their NUL. Made
 * from an `ArrayBuffer` so it lives outside V8's heap.
 */
const shortText = new Uint8Array(new ArrayBuffer(SHORT_TEXT + 1));
/**
 * The address of {@linkcode shortText}, taken when a library loads (it
 * needs `--allow-ffi`). A pointer argument costs less than a buffer one,
 * and an `ArrayBuffer`'s memory never moves.
 */
let shortTextAddress: Deno.PointerValue = null;

/**
 * Decodes `bytes` bytes of UTF-8 at `pointer`, including any embedded NUL.
 *
 * Short ASCII text (most codes, names and keys in reference data) is copied
 * into {@linkcode shortText} with `strcpy` and built with
 * `String.fromCharCode`: two cheap calls instead of one `getCString`, which
 * is a slow call into Deno. SQLite ends every text with a NUL, so `strcpy`
 * copies `bytes + 1` bytes, or fewer when the text holds a NUL of its own:
 * the byte at `bytes` is then left as it was set before the copy (not 0),
 * and the text goes down the general path.
 *
 * Otherwise the common case is one `getCString`; text that has a NUL before
 * its end (or is not well-formed UTF-8) is decoded again from its full
 * length.
 */
function readText(
  sym: Symbols,
  pointer: Deno.PointerObject,
  bytes: number,
): string {
  if (bytes <= SHORT_TEXT && sym.strcpy !== null && shortTextAddress !== null) {
    shortText[bytes] = 1;
    sym.strcpy(shortTextAddress, pointer);
    if (shortText[bytes] === 0) {
      const text = asciiText(shortText, bytes) ?? utf8Text(shortText, bytes);
      if (text !== undefined) return text;
    }
  }
  const text = Deno.UnsafePointerView.getCString(pointer);
  if (text.length === bytes) return text; // ASCII: nothing was cut
  if (!text.includes("\uFFFD") && utf8Length(text) === bytes) return text;
  return utf8Decoder().decode(
    new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(pointer, bytes)),
  );
}

const char = String.fromCharCode;

/**
 * The first `n` bytes of `b` as a string when they are all ASCII, else
 * `undefined`. `n` is at most {@linkcode SHORT_TEXT}. One
 * `String.fromCharCode` call per length, so no intermediate strings. The
 * lengths beyond 8 are {@linkcode asciiLong}'s: V8 compiles a function's
 * baseline code whole once it has run a few times, and the whole table
 * is estimated at 8 KB of it, where a cold start reads text of up to 8
 * bytes only (names of columns and types, short codes).
 */
function asciiText(b: Uint8Array, n: number): string | undefined {
  let bits = 0;
  for (let i = 0; i < n; i++) bits |= b[i]!;
  if (bits > 0x7f) return undefined;
  if (n > 8) return asciiLong(b, n);
  // One case per line, so the table reads as one: keep it unformatted.
  // deno-fmt-ignore
  switch (n) {
    case 0: return "";
    case 1: return char(b[0]!);
    case 2: return char(b[0]!, b[1]!);
    case 3: return char(b[0]!, b[1]!, b[2]!);
    case 4: return char(b[0]!, b[1]!, b[2]!, b[3]!);
    case 5: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!);
    case 6: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!);
    case 7: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!);
    case 8: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!);
    default: return undefined;
  }
}

/** {@linkcode asciiText} of 9 to 16 bytes, already known to be ASCII. */
function asciiLong(b: Uint8Array, n: number): string | undefined {
  // One case per line, so the table reads as one: keep it unformatted.
  // deno-fmt-ignore
  switch (n) {
    case 9: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!);
    case 10: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!);
    case 11: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!);
    case 12: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!, b[11]!);
    case 13: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!, b[11]!, b[12]!);
    case 14: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!, b[11]!, b[12]!, b[13]!);
    case 15: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!, b[11]!, b[12]!, b[13]!, b[14]!);
    case 16: return char(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!, b[11]!, b[12]!, b[13]!, b[14]!, b[15]!);
    default: return undefined;
  }
}

/** Receives the UTF-16 code units of short text ({@linkcode utf8Text}). */
const shortUnits = new Uint16Array(SHORT_TEXT);

/**
 * The first `n` bytes of `b` (at most {@linkcode SHORT_TEXT}) decoded as
 * UTF-8, or `undefined` when they are not well-formed UTF-8 (overlong
 * forms, surrogates, code points beyond U+10FFFF, cut sequences), which
 * the general path then decodes. Short non-ASCII text (names with an
 * accent) is so built without a `getCString`, the slow call into Deno.
 */
function utf8Text(b: Uint8Array, n: number): string | undefined {
  const u = shortUnits;
  let k = 0;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      u[k++] = c;
      i++;
    } else if (c >= 0xc2 && c < 0xe0) {
      if (i + 1 >= n) return undefined;
      const c1 = b[i + 1]!;
      if ((c1 & 0xc0) !== 0x80) return undefined;
      u[k++] = ((c & 0x1f) << 6) | (c1 & 0x3f);
      i += 2;
    } else if (c >= 0xe0 && c < 0xf0) {
      if (i + 2 >= n) return undefined;
      const c1 = b[i + 1]!;
      const c2 = b[i + 2]!;
      if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80) return undefined;
      const code = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
      // Overlong forms and UTF-16 surrogates are not well-formed.
      if (code < 0x800 || (code >= 0xd800 && code < 0xe000)) {
        return undefined;
      }
      u[k++] = code;
      i += 3;
    } else {
      // Four-byte sequences (astral characters) take the general path.
      return undefined;
    }
  }
  return fromUnits(u, k);
}

/** The first `n` code units of `u` (at most 15) as a string. */
function fromUnits(u: Uint16Array, n: number): string | undefined {
  // One case per line, so the table reads as one: keep it unformatted.
  // deno-fmt-ignore
  switch (n) {
    case 1: return char(u[0]!);
    case 2: return char(u[0]!, u[1]!);
    case 3: return char(u[0]!, u[1]!, u[2]!);
    case 4: return char(u[0]!, u[1]!, u[2]!, u[3]!);
    case 5: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!);
    case 6: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!);
    case 7: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!);
    case 8: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!);
    case 9: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!, u[8]!);
    case 10: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!, u[8]!, u[9]!);
    case 11: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!, u[8]!, u[9]!, u[10]!);
    case 12: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!, u[8]!, u[9]!, u[10]!, u[11]!);
    case 13: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!, u[8]!, u[9]!, u[10]!, u[11]!, u[12]!);
    case 14: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!, u[8]!, u[9]!, u[10]!, u[11]!, u[12]!, u[13]!);
    case 15: return char(u[0]!, u[1]!, u[2]!, u[3]!, u[4]!, u[5]!, u[6]!, u[7]!, u[8]!, u[9]!, u[10]!, u[11]!, u[12]!, u[13]!, u[14]!);
    default: return undefined;
  }
}

/** Narrows a 64-bit integer to a number when it is safe. */
function narrow(value: number | bigint): number | bigint {
  if (typeof value === "number") return value;
  return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value;
}

/**
 * Builds an {@linkcode EngineError} from the connection's last error,
 * falling back to the generic text of `rc` when SQLite did not record it.
 */
function engineError(
  sym: Symbols,
  db: Deno.PointerValue,
  rc: number,
  prefix = "",
): EngineError {
  let code = rc;
  let message: string;
  const extended = db === null ? rc : sym.sqlite3_extended_errcode(db);
  if (db !== null && (extended & 0xff) === (rc & 0xff)) {
    code = extended;
    message = cString(sym.sqlite3_errmsg(db));
  } else {
    message = cString(sym.sqlite3_errstr(rc));
  }
  return new EngineError(prefix + message, code);
}

/**
 * The error of a statement SQLite refused, or failed to run: read first,
 * then the statement (if any) is finalized.
 */
function refused(
  sym: Symbols,
  db: Deno.PointerObject,
  handle: Deno.PointerObject | null,
  rc: number,
): EngineError {
  const error = engineError(sym, db, rc);
  if (handle !== null) sym.sqlite3_finalize(handle);
  return error;
}

/**
 * The error of a failed `sqlite3_open_v2` (7, `SQLITE_NOMEM`, when it
 * made no handle), read before the handle it may still have made closes.
 */
function openFailed(
  sym: Symbols,
  db: Deno.PointerObject | null,
  rc: number,
): EngineError {
  const error = engineError(sym, db, rc === 0 ? 7 : rc);
  if (db !== null) sym.sqlite3_close_v2(db);
  return error;
}

/** The error for SQL that holds no statement (empty, or only comments). */
function noStatement(): EngineError {
  return new EngineError(
    "Cannot prepare: the SQL holds no statement",
    ResultCode.ERROR,
  );
}

/** The open flags of a file opened for writing (building). */
function writableFlags(request: OpenRequest): number {
  return OPEN_READWRITE | (request.create ? OPEN_CREATE : 0);
}

/**
 * Percent-encodes an absolute path into a `file:` URI without a query.
 * `encodeURI` leaves `?` and `#` as they are, so they are replaced after
 * it, by plain strings: V8 compiles a regular expression on its first use,
 * about 0.13 ms of a cold start. An empty authority keeps a path starting
 * with "//" from being read as a host name.
 */
function fileUri(path: string): string {
  let absolute = absolutePath(path);
  if (Deno.build.os === "windows") {
    absolute = absolute.replaceAll("\\", "/");
    if (/^[A-Za-z]:/.test(absolute)) absolute = `/${absolute}`;
  }
  const encoded = encodeURI(absolute).replaceAll("?", "%3F")
    .replaceAll("#", "%23");
  return `file://${encoded}`;
}

/** Encodes a string as a NUL-terminated C string. */
function cStringBytes(text: string): Uint8Array {
  return utf8Encoder().encode(`${text}\0`);
}

/** SQLite loaded through FFI. */
class FfiEngine implements Engine {
  /** Always `"ffi"`. */
  readonly name = "ffi" as const;
  /** Always `true`: nothing restricts `ATTACH` here. */
  readonly attaches = true;
  /** `true`: text is read by its byte length, NULs included. */
  readonly readsTextWhole = true;
  /** Always `true`: files open with `immutable=1`. */
  readonly opensImmutable = true;
  /** The library name or path the engine was loaded from. */
  readonly library: string;
  readonly #sym: Symbols;
  #version: string | undefined;

  constructor(library: string, sym: Symbols) {
    this.library = library;
    this.#sym = sym;
  }

  /**
   * The SQLite version of the loaded library, e.g. `"3.40.1"`, read on
   * first use (only reports and errors name it).
   */
  get version(): string {
    return this.#version ??= cString(this.#sym.sqlite3_libversion());
  }

  /**
   * Opens a file by its `file:` URI (read-only ones with `mode=ro`, and
   * `immutable=1` when asked), or an in-memory database. A file's memory
   * map size is set even when 0: a library built with
   * `SQLITE_DEFAULT_MMAP_SIZE` would map files otherwise. A file that may
   * change is watched from here on: SQLite reads nothing before the first
   * statement, which checks the file against this first look.
   */
  open(request: OpenRequest): Connection {
    if (request.path === ":memory:") {
      const memory = this.#openHandle(
        ":memory:",
        OPEN_READWRITE | OPEN_CREATE | OPEN_NOMUTEX | OPEN_EXRESCODE,
      );
      return new FfiConnection(this.#sym, memory, undefined, true);
    }
    const { path, readOnly, immutable } = request;
    const db = this.#openHandle(
      readOnly
        ? `${fileUri(path)}?mode=ro${immutable ? "&immutable=1" : ""}`
        : fileUri(path),
      (readOnly ? OPEN_READONLY : writableFlags(request)) | OPEN_URI |
        OPEN_NOMUTEX | OPEN_EXRESCODE,
    );
    const mmapSize = request.mmapSize ?? 0;
    let watch: FileWatch | undefined;
    let mmapPragma: Deno.PointerObject;
    try {
      mmapPragma = this.#setMmapSize(db, mmapSize);
      if (readOnly && !immutable) watch = new FileWatch(path);
    } catch (error) {
      this.#sym.sqlite3_close_v2(db);
      throw error;
    }
    return new FfiConnection(this.#sym, db, watch, mmapSize === 0, mmapPragma);
  }

  /**
   * Runs `PRAGMA mmap_size` with the functions a first query calls anyway
   * (prepare, step, reset) rather than `sqlite3_exec`, which a cold start
   * then never binds; the statement stays with the connection, finalized
   * when it closes, so `sqlite3_finalize` is not bound either.
   * @returns The statement, reset.
   * @throws {EngineError} When SQLite refuses it.
   */
  #setMmapSize(db: Deno.PointerObject, mmapSize: number): Deno.PointerObject {
    const sym = this.#sym;
    const length = encodeText(`PRAGMA mmap_size=${mmapSize}`);
    pointerOut[0] = 0n;
    const rc = sym.sqlite3_prepare_v2(
      db,
      textAddress,
      length,
      outAddress,
      null,
    );
    const handle = Deno.UnsafePointer.create(pointerOut[0]);
    if (rc !== 0 || handle === null) {
      throw refused(sym, db, handle, rc === 0 ? ResultCode.ERROR : rc);
    }
    let step = sym.sqlite3_step(handle);
    while (step === 100) step = sym.sqlite3_step(handle);
    sym.sqlite3_reset(handle);
    if (step !== 101) throw refused(sym, db, handle, step);
    return handle;
  }

  /**
   * Opens a read-only in-memory copy of a database image
   * (`SQLITE_DESERIALIZE_READONLY`: every write fails with
   * `SQLITE_READONLY`, whatever the SQL).
   */
  deserialize(bytes: Uint8Array): Connection {
    const sym = this.#sym;
    const db = this.#openHandle(
      ":memory:",
      OPEN_READWRITE | OPEN_CREATE | OPEN_NOMUTEX | OPEN_EXRESCODE,
    );
    const size = bytes.length;
    // sqlite3_malloc64(0) returns NULL, so an empty image gets one byte.
    const buffer = sym.sqlite3_malloc64(BigInt(Math.max(size, 1)));
    if (buffer === null) {
      sym.sqlite3_close_v2(db);
      throw new EngineError(
        "Cannot deserialize: out of memory",
        7, // SQLITE_NOMEM
      );
    }
    if (size > 0) {
      new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(buffer, size))
        .set(bytes);
    }
    const flags = DESERIALIZE_FREEONCLOSE | DESERIALIZE_READONLY;
    // With FREEONCLOSE, SQLite owns the buffer from here on, even when the
    // call fails.
    const rc = sym.sqlite3_deserialize(
      db,
      cStringBytes("main"),
      buffer,
      BigInt(size),
      BigInt(Math.max(size, 1)),
      flags,
    );
    if (rc !== 0) {
      const error = engineError(sym, db, rc, "Cannot deserialize: ");
      sym.sqlite3_close_v2(db);
      throw error;
    }
    return new FfiConnection(sym, db, undefined, false);
  }

  /**
   * Opens a handle with `sqlite3_open_v2`; throws on failure. No
   * `sqlite3_extended_result_codes`: errors take their extended code from
   * `sqlite3_extended_errcode`, which never masks it, and only SQLITE_ROW
   * and SQLITE_DONE are compared as returned.
   */
  #openHandle(filename: string, flags: number): Deno.PointerObject {
    const sym = this.#sym;
    pointerOut[0] = 0n;
    encodeText(filename);
    const rc = sym.sqlite3_open_v2(textAddress, outAddress, flags, null);
    const db = Deno.UnsafePointer.create(pointerOut[0]);
    if (rc !== 0 || db === null) throw openFailed(sym, db, rc);
    return db;
  }
}

/** A connection opened through FFI. */
class FfiConnection implements Connection {
  readonly #sym: Symbols;
  #db: Deno.PointerObject | null;
  readonly #statements = new Set<FfiStatement>();
  readonly #watch: FileWatch | undefined;
  readonly #countsReads: boolean;
  /** The `PRAGMA mmap_size` run at open, finalized at close. */
  readonly #mmapPragma: Deno.PointerObject | null;

  /**
   * @param watch The file watch, when the file may change.
   * @param countsReads Whether SQLite's cache misses count every page read
   * from the file: not when pages are memory-mapped.
   * @param mmapPragma The statement that set the memory map's size, if any.
   *
   * Only a watched file's steps read the statistic, so only its connection
   * binds the function.
   */
  constructor(
    sym: Symbols,
    db: Deno.PointerObject,
    watch: FileWatch | undefined,
    countsReads: boolean,
    mmapPragma: Deno.PointerObject | null = null,
  ) {
    this.#sym = sym;
    this.#db = db;
    this.#mmapPragma = mmapPragma;
    this.#watch = watch;
    this.#countsReads = countsReads && watch !== undefined &&
      boundSymbol(sym, "sqlite3_db_status") !== null;
    if (this.#countsReads) takeStatusAddresses();
  }

  #live(): Deno.PointerObject {
    const db = this.#db;
    if (db === null) throw new Error(CLOSED);
    return db;
  }

  /**
   * Compiles one statement. SQL holding a second statement is refused
   * rather than having the rest silently ignored; trailing comments and
   * whitespace are fine.
   */
  prepare(sql: string): FfiStatement {
    const db = this.#live();
    const sym = this.#sym;
    const length = encodeText(sql);
    if (length === 0) throw noStatement();
    pointerOut[0] = 0n;
    tailOut[0] = 0n;
    // The length counts the NUL, so SQLite reads the text where it is
    // rather than copying it first.
    const rc = sym.sqlite3_prepare_v2(
      db,
      textAddress,
      length + 1,
      outAddress,
      tailAddress,
    );
    const handle = Deno.UnsafePointer.create(pointerOut[0]);
    if (rc !== 0) throw refused(sym, db, handle, rc);
    if (handle === null) throw noStatement();
    // Addresses fit in a double exactly (user space is below 2^53).
    const used = Number(tailOut[0] ?? 0n) -
      Number(Deno.UnsafePointer.value(textAddress));
    if (used >= 0 && used < length) this.#refuseRest(db, handle, used, length);
    const statement = new FfiStatement(
      sym,
      db,
      handle,
      sql,
      this.#statements,
      this.#watch,
      this.#countsReads,
    );
    this.#statements.add(statement);
    return statement;
  }

  /**
   * Refuses SQL whose first statement, prepared as `handle` from the text
   * {@linkcode encodeText} holds, is followed by another at byte `used`
   * (trailing comments and whitespace are fine); `handle` is finalized.
   */
  #refuseRest(
    db: Deno.PointerObject,
    handle: Deno.PointerObject,
    used: number,
    length: number,
  ): void {
    const sym = this.#sym;
    const rest = utf8Decoder().decode(textBytes.subarray(used, length));
    if (!/\S/.test(rest)) return;
    // Something follows: a second statement unless it is only comments.
    pointerOut[0] = 0n;
    const rc = sym.sqlite3_prepare_v2(
      db,
      Deno.UnsafePointer.offset(textAddress!, used),
      length + 1 - used,
      outAddress,
      null,
    );
    const next = Deno.UnsafePointer.create(pointerOut[0]);
    if (next !== null) sym.sqlite3_finalize(next);
    if (rc !== 0 || next !== null) {
      sym.sqlite3_finalize(handle);
      throw new EngineError(
        "Cannot prepare: the SQL holds more than one statement",
        ResultCode.ERROR,
      );
    }
  }

  exec(sql: string): void {
    const db = this.#live();
    const sym = this.#sym;
    pointerOut[0] = 0n;
    encodeText(sql);
    const rc = sym.sqlite3_exec(db, textAddress, null, null, outAddress);
    if (rc === 0) return;
    const messagePointer = Deno.UnsafePointer.create(pointerOut[0]);
    const extended = sym.sqlite3_extended_errcode(db);
    const code = (extended & 0xff) === (rc & 0xff) ? extended : rc;
    let message: string;
    if (messagePointer !== null) {
      message = Deno.UnsafePointerView.getCString(messagePointer);
      sym.sqlite3_free(messagePointer);
    } else {
      message = cString(sym.sqlite3_errstr(rc));
    }
    throw new EngineError(message, code);
  }

  changes(): number {
    return this.#sym.sqlite3_changes(this.#live());
  }

  get liveStatements(): number {
    return this.#statements.size;
  }

  get generation(): number {
    return this.#watch?.generation ?? 0;
  }

  /**
   * Bounds the steps run from now on: past `deadline` the progress
   * handler interrupts the running step (`SQLITE_INTERRUPT`); `Infinity`
   * removes the handler, so unbounded steps pay nothing.
   */
  setStepDeadline(deadline: number): void {
    const install = boundSymbol(this.#sym, "sqlite3_progress_handler");
    if (install === null) return;
    const db = this.#live();
    if (deadline === Infinity) {
      stepDeadline = Infinity;
      install(db, 0, null, null);
      return;
    }
    stepDeadline = deadline;
    install(db, PROGRESS_OPS, progressPointer(), null);
  }

  close(): void {
    const db = this.#db;
    if (db === null) return;
    for (const statement of [...this.#statements]) statement.finalize();
    if (this.#mmapPragma !== null) this.#sym.sqlite3_finalize(this.#mmapPragma);
    this.#db = null;
    this.#sym.sqlite3_close_v2(db);
    this.#watch?.close();
  }
}

/** `SQLITE_RANGE`: a parameter index beyond the statement's. */
const SQLITE_RANGE = 25;

/** A statement prepared through FFI. */
export class FfiStatement implements Statement {
  /** The SQL text. */
  readonly sql: string;
  /** The number of result columns, once asked: `-1` until then. */
  #columnCount = -1;
  #columnNames: readonly string[] | undefined;
  readonly #sym: Symbols;
  readonly #db: Deno.PointerObject;
  #handle: Deno.PointerObject | null;
  readonly #owner: Set<FfiStatement>;
  /**
   * The number of parameters, once known: `-1` until the first bind, which
   * checks that it is the number given by binding around it.
   */
  #parameters = -1;
  /** Whether the statement stepped since its last reset. */
  #stepped = false;
  /** The file watch of a connection whose file may change, if any. */
  readonly #watch: FileWatch | undefined;
  /** Whether the statement runs under the watch (begun, not yet ended). */
  #watching = false;
  /** Whether cache misses tell which steps read from the watched file. */
  readonly #countsReads: boolean;

  /** Wraps a prepared handle; only {@linkcode FfiConnection} makes these. */
  constructor(
    sym: Symbols,
    db: Deno.PointerObject,
    handle: Deno.PointerObject,
    sql: string,
    owner: Set<FfiStatement>,
    watch: FileWatch | undefined,
    countsReads: boolean,
  ) {
    this.#sym = sym;
    this.#db = db;
    this.#handle = handle;
    this.sql = sql;
    this.#owner = owner;
    this.#watch = watch;
    this.#countsReads = countsReads;
  }

  /**
   * The number of result columns, read on first use (a cold start reads
   * rows by position and never asks).
   */
  get columnCount(): number {
    if (this.#columnCount === -1) {
      this.#columnCount = this.#sym.sqlite3_column_count(this.#live());
    }
    return this.#columnCount;
  }

  /**
   * The result column names, in order, read on first use (a cold start
   * reads rows by position and never asks).
   */
  get columnNames(): readonly string[] {
    if (this.#columnNames !== undefined) return this.#columnNames;
    const handle = this.#live();
    const names: string[] = [];
    for (let i = 0; i < this.columnCount; i++) {
      names.push(cString(this.#sym.sqlite3_column_name(handle, i)));
    }
    return this.#columnNames = names;
  }

  /**
   * The number of parameters when it is `given`, checked once per
   * statement with the binding function already loaded: binding index
   * `given` succeeds and binding `given + 1` answers `SQLITE_RANGE` only
   * when the statement takes exactly `given` (every parameter is bound
   * again right after). Otherwise the count, from
   * `sqlite3_bind_parameter_count`, for the error.
   */
  #countParameters(handle: Deno.PointerObject, given: number): number {
    const sym = this.#sym;
    if (
      (given === 0 || sym.sqlite3_bind_int(handle, given, 0) === 0) &&
      sym.sqlite3_bind_int(handle, given + 1, 0) === SQLITE_RANGE
    ) {
      return given;
    }
    return sym.sqlite3_bind_parameter_count(handle);
  }

  /** `true` once finalized (by `finalize()` or by closing the connection). */
  get finalized(): boolean {
    return this.#handle === null;
  }

  #live(): Deno.PointerObject {
    const handle = this.#handle;
    if (handle === null) throw new Error(FINALIZED);
    return handle;
  }

  /**
   * Resets the statement and binds every positional parameter: `null` and
   * `undefined` as NULL, safe integers and bigints as INTEGER, other numbers
   * as REAL, booleans as 0 or 1, strings as TEXT and `Uint8Array`s as BLOB.
   * 32-bit integers (most keys) and strings bind here; every other value in
   * {@linkcode FfiStatement.#bindOther}, compiled only when one comes. Every
   * parameter is bound, so no old binding survives.
   * @throws {RangeError} When the count differs from the statement's, or a
   * bigint does not fit in 64 bits.
   * @throws {TypeError} For any other kind of value.
   */
  bind(params: readonly SQLValue[]): void {
    const handle = this.#live();
    const sym = this.#sym;
    if (this.#stepped) this.reset();
    let count = this.#parameters;
    if (count === -1) {
      count = this.#parameters = this.#countParameters(handle, params.length);
    }
    if (params.length !== count) {
      throw new RangeError(
        `Cannot bind: the statement takes ${count} parameters, got ${params.length}`,
      );
    }
    for (let i = 0; i < count; i++) {
      const value = params[i];
      let rc: number;
      // `value | 0` also turns -0, which Deno refuses as an i32, into 0.
      if (typeof value === "number" && (value | 0) === value) {
        rc = sym.sqlite3_bind_int(handle, i + 1, value | 0);
      } else if (typeof value === "string") {
        // SQLite copies the text (SQLITE_TRANSIENT) before returning.
        const length = encodeText(value);
        rc = sym.sqlite3_bind_text(
          handle,
          i + 1,
          textAddress,
          length,
          SQLITE_TRANSIENT,
        );
      } else rc = this.#bindOther(handle, i, value);
      if (rc !== 0) throw engineError(sym, this.#db, rc);
    }
  }

  /**
   * Binds a parameter other than a 32-bit integer or a string at index `i`.
   * @returns SQLite's result code.
   */
  #bindOther(handle: Deno.PointerObject, i: number, value: unknown): number {
    const sym = this.#sym;
    const at = i + 1;
    switch (typeof value) {
      case "number":
        return Number.isSafeInteger(value)
          ? sym.sqlite3_bind_int64(handle, at, BigInt(value))
          : sym.sqlite3_bind_double(handle, at, value);
      case "bigint":
        if (value < INT64_MIN || value > INT64_MAX) {
          throw new RangeError(
            `Cannot bind the parameter at index ${i}: ${value} does not fit in a 64-bit integer`,
          );
        }
        return sym.sqlite3_bind_int64(handle, at, value);
      case "boolean":
        return sym.sqlite3_bind_int64(handle, at, value ? 1n : 0n);
      case "undefined":
        return sym.sqlite3_bind_null(handle, at);
    }
    if (value === null) return sym.sqlite3_bind_null(handle, at);
    if (value instanceof Uint8Array) {
      return sym.sqlite3_bind_blob(
        handle,
        at,
        value.length === 0 ? emptyBytes : value,
        value.length,
        SQLITE_TRANSIENT,
      );
    }
    throw new TypeError(
      `Cannot bind the parameter at index ${i}: ${
        describe(value)
      } is not a SQLite value`,
    );
  }

  /**
   * Steps once: `true` when a row is ready, `false` when done. On failure
   * the statement is reset (so nothing stays locked) and an
   * {@linkcode EngineError} is thrown.
   */
  step(): boolean {
    const handle = this.#live();
    if (this.#watch !== undefined) return this.#watchedStep(handle);
    this.#stepped = true;
    const rc = this.#sym.sqlite3_step(handle);
    if (rc === 100) return true;
    if (rc === 101) return false;
    const error = engineError(this.#sym, this.#db, rc);
    this.#sym.sqlite3_reset(handle);
    throw error;
  }

  /**
   * A step on a connection whose file may change: the file is checked
   * before the first step (a change while nothing ran drops the page
   * cache) and after every step (a change fails the statement).
   */
  #watchedStep(handle: Deno.PointerObject): boolean {
    const sym = this.#sym;
    const watch = this.#watch!;
    if (!this.#watching) {
      if (watch.begin()) {
        // Drops the page cache: the file changed while nothing ran.
        encodeText("PRAGMA shrink_memory");
        sym.sqlite3_exec(this.#db, textAddress, null, null, null);
      }
      this.#watching = true;
    }
    this.#stepped = true;
    const rc = sym.sqlite3_step(handle);
    try {
      if (rc !== 100 && rc !== 101) {
        const error = engineError(sym, this.#db, rc);
        watch.check(); // a change explains the failure better
        throw error;
      }
      // Only a step that read pages from the file can have read a changed
      // one: the others built their row from pages already checked. The
      // end of a query is always checked, so a change during it fails it.
      if (rc === 101 || !this.#countsReads) watch.check();
      else {
        sym.sqlite3_db_status!(
          this.#db,
          DBSTATUS_CACHE_MISS,
          statusAddress,
          statusHighAddress,
          0,
        );
        watch.checkAfter(statusOut[0]!);
      }
      return rc === 100;
    } catch (error) {
      sym.sqlite3_reset(handle);
      this.#stepped = false;
      this.#unwatch();
      throw error;
    }
  }

  /** Ends the statement's run under the watch. */
  #unwatch(): void {
    this.#watching = false;
    this.#watch!.end();
  }

  /** Steps to the first row (the FFI engine has no cheaper way). */
  stepOne(): boolean {
    return this.step();
  }

  /**
   * Reads column `index` of the current row by its storage class. Integers
   * come as `number` within ±(2^53 - 1), else as `bigint`; text is decoded as
   * UTF-8 in full, embedded NULs included; blobs are copied. A `hint` takes
   * a path with fewer calls for the class it names; the value is the same
   * whatever the hint (a TEXT cell under the NUMBER hint is its text, an
   * INTEGER under the TEXT hint its number). The STRICT hints take the
   * one-call paths, for columns whose storage class SQLite guarantees.
   *
   * The hinted paths are small methods, so V8 inlines them here; the rare
   * cases they meet are methods of their own, which keeps them small.
   */
  column(index: number, hint: ColumnHint = ColumnHint.ANY): SQLValue {
    const handle = this.#handle;
    if (handle === null) throw new Error(FINALIZED);
    if (hint === ColumnHint.NUMBER_STRICT) {
      return this.#numberSure(handle, index);
    }
    if (hint === ColumnHint.TEXT_STRICT) return this.#text(handle, index);
    if (hint === ColumnHint.TEXT) return this.#textHinted(handle, index);
    if (hint === ColumnHint.NUMBER) return this.#numberHinted(handle, index);
    return this.#typed(
      handle,
      index,
      this.#sym.sqlite3_column_type(handle, index),
    );
  }

  /**
   * A cell certain to be a number or NULL (a STRICT table's INTEGER or REAL
   * column): one call for any non-zero number, as NULL alone also reads 0.0.
   */
  #numberSure(handle: Deno.PointerObject, index: number): SQLValue {
    const value = this.#sym.sqlite3_column_double(handle, index);
    if (value === 0) return this.#zero(handle, index);
    if (value <= MAX_SAFE && value >= -MAX_SAFE) return value;
    return this.#large(
      handle,
      index,
      this.#sym.sqlite3_column_type(handle, index),
      value,
    );
  }

  /** A zero or NULL cell of a column certain to hold numbers. */
  #zero(handle: Deno.PointerObject, index: number): SQLValue {
    return this.#sym.sqlite3_column_type(handle, index) === SQLITE_NULL
      ? null
      : 0;
  }

  /** A cell expected to be a number: two calls when it is one. */
  #numberHinted(handle: Deno.PointerObject, index: number): SQLValue {
    const sym = this.#sym;
    const type = sym.sqlite3_column_type(handle, index);
    if (type !== SQLITE_INTEGER && type !== SQLITE_FLOAT) {
      return this.#typed(handle, index, type);
    }
    const value = sym.sqlite3_column_double(handle, index);
    if (value <= MAX_SAFE && value >= -MAX_SAFE) return value;
    return this.#large(handle, index, type, value);
  }

  /** A cell expected to be text: three calls (and a copy) when it is. */
  #textHinted(handle: Deno.PointerObject, index: number): SQLValue {
    const sym = this.#sym;
    const type = sym.sqlite3_column_type(handle, index);
    if (type !== SQLITE_TEXT) return this.#typed(handle, index, type);
    const pointer = sym.sqlite3_column_text(handle, index);
    if (pointer === null) return "";
    return readText(sym, pointer, sym.sqlite3_column_bytes(handle, index));
  }

  /** An INTEGER or REAL cell: one call unless it is beyond ±(2^53 - 1). */
  #number(handle: Deno.PointerObject, index: number, type: number): SQLValue {
    const value = this.#sym.sqlite3_column_double(handle, index);
    if (value <= MAX_SAFE && value >= -MAX_SAFE) return value;
    return this.#large(handle, index, type, value);
  }

  /**
   * A number beyond ±(2^53 - 1): read exactly as 64 bits for an INTEGER
   * (whose double rounds to at least 2^53 in magnitude), as it is for REAL.
   */
  #large(
    handle: Deno.PointerObject,
    index: number,
    type: number,
    value: number,
  ): SQLValue {
    return type === SQLITE_INTEGER
      ? narrow(this.#sym.sqlite3_column_int64(handle, index))
      : value;
  }

  /** A cell as text, or NULL: the only cell whose text pointer is NULL. */
  #text(handle: Deno.PointerObject, index: number): string | null {
    const sym = this.#sym;
    const pointer = sym.sqlite3_column_text(handle, index);
    if (pointer === null) return null;
    return readText(sym, pointer, sym.sqlite3_column_bytes(handle, index));
  }

  /** A cell by its storage class. */
  #typed(handle: Deno.PointerObject, index: number, type: number): SQLValue {
    switch (type) {
      case SQLITE_INTEGER:
      case SQLITE_FLOAT:
        return this.#number(handle, index, type);
      case SQLITE_TEXT:
        return this.#text(handle, index) ?? "";
      case SQLITE_BLOB:
        return this.#blob(handle, index);
      default:
        return null;
    }
  }

  /** A BLOB cell, copied. */
  #blob(handle: Deno.PointerObject, index: number): Uint8Array {
    const sym = this.#sym;
    const pointer = sym.sqlite3_column_blob(handle, index);
    const size = sym.sqlite3_column_bytes(handle, index);
    const bytes = new Uint8Array(size);
    if (size > 0 && pointer !== null) {
      Deno.UnsafePointerView.copyInto(pointer, bytes);
    }
    return bytes;
  }

  /** Resets the statement so it can run again; bindings are kept. */
  reset(): void {
    // The return code repeats the last step's error, already reported.
    this.#sym.sqlite3_reset(this.#live());
    this.#stepped = false;
    if (this.#watching) this.#unwatch();
  }

  /** Releases the statement; idempotent. */
  finalize(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#handle = null;
    this.#owner.delete(this);
    this.#sym.sqlite3_finalize(handle);
    if (this.#watching) this.#unwatch();
  }
}

/** Names a value's type for error messages. */
function describe(value: unknown): string {
  if (typeof value !== "object" || value === null) return typeof value;
  const name = (value as { constructor?: { name?: string } }).constructor
    ?.name;
  return name ? `object (${name})` : "object";
}
