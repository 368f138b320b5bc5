/**
 * The engine over Deno's built-in `node:sqlite`, used where FFI is not
 * allowed. It never relies on `file:` URIs: Deno takes them as relative file
 * names unless every permission is granted, so immutability is approximated
 * with `PRAGMA locking_mode=EXCLUSIVE`, and every path is opened absolute,
 * so one that starts with `file:` is a file name like any other.
 *
 * @module
 */
import { absolutePath } from "./_paths.ts";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  type ColumnOrigin,
  type Connection,
  type Engine,
  EngineError,
  FileWatch,
  type OpenRequest,
  ResultCode,
  type SQLValue,
  type Statement,
} from "./_engine.ts";
import { MAX_SAFE as MAX_SAFE_NUMBER } from "./_kinds.ts";
import { holdsNoStatement, statementText } from "./_rules.ts";

/** The error of SQL that holds no statement, as the ffi engine words it. */
const NO_STATEMENT = "Cannot prepare: the SQL holds no statement";

/** -2^63 as a number: what node:sqlite hands out for it in a read with numbers. */
const INT64_MIN_NUMBER = -(2 ** 63);

type NodeSqlite = typeof import("node:sqlite");

let engine: Engine | undefined;

/**
 * Loads `node:sqlite` on first use and returns the engine.
 * @returns The engine.
 */
export async function loadNodeEngine(): Promise<Engine> {
  if (engine === undefined) {
    const sqlite: NodeSqlite = await import("node:sqlite");
    engine = new NodeEngine(sqlite);
  }
  return engine;
}

/** Turns a `node:sqlite` error into an {@linkcode EngineError}. */
function translate(error: unknown): unknown {
  if (error instanceof Error && "errcode" in error) {
    const code = (error as Error & { errcode: number }).errcode;
    return new EngineError(error.message, code, { cause: error });
  }
  return error;
}

/** `SQLITE_PRAGMA`, the authorizer's action code for a PRAGMA. */
const AUTH_PRAGMA = 19;
/** The authorizer's answers: allow, or fail the statement. */
const AUTH_OK = 0;
const AUTH_DENY = 1;

/** A `node:sqlite` connection with the authorizer Deno's build has. */
type Authorized = DatabaseSync & {
  setAuthorizer(
    callback: (
      action: number,
      first: string | null,
      second: string | null,
    ) => number,
  ): void;
  deserialize(bytes: Uint8Array): void;
};

class NodeEngine implements Engine {
  readonly name = "node" as const;
  readonly version: string;
  readonly attaches: boolean;
  /** `false`: without URIs, immutability is an exclusive lock. */
  readonly opensImmutable = false;
  /** `false`: node:sqlite returns text only up to its first NUL. */
  readonly readsTextWhole = false;
  readonly #sqlite: NodeSqlite;

  constructor(sqlite: NodeSqlite) {
    this.#sqlite = sqlite;
    const db = new sqlite.DatabaseSync(":memory:");
    try {
      const row = db.prepare("select sqlite_version() as v").get() as
        | { v: string }
        | undefined;
      this.version = row?.v ?? "unknown";
      // Deno refuses ATTACH unless every permission is granted.
      try {
        db.exec("ATTACH ':memory:' AS probe");
        this.attaches = true;
      } catch {
        this.attaches = false;
      }
    } finally {
      db.close();
    }
  }

  open(request: OpenRequest): Connection {
    const memory = request.path === ":memory:";
    // Absolute, so a name starting with "file:" is never read as a URI.
    const path = memory ? request.path : absolutePath(request.path);
    let db: DatabaseSync;
    try {
      db = new this.#sqlite.DatabaseSync(path, {
        readOnly: request.readOnly,
        enableForeignKeyConstraints: false,
      });
    } catch (error) {
      throw translate(error);
    }
    let watch: FileWatch | undefined;
    try {
      if (request.readOnly && request.immutable) {
        // Holds the shared lock after the first read instead of taking it
        // for every statement: the speed of immutable=1 without a URI.
        db.exec("PRAGMA locking_mode=EXCLUSIVE");
      }
      if (!memory) {
        // Set even when 0, so no build default maps the file.
        db.exec(`PRAGMA mmap_size=${request.mmapSize ?? 0}`);
        // SQLite reads nothing before the first statement, which checks
        // the file against this first look.
        if (request.readOnly && !request.immutable) {
          watch = new FileWatch(path);
        }
      }
    } catch (error) {
      db.close();
      throw translate(error);
    }
    return new NodeConnection(db, watch);
  }

  /**
   * Opens a read-only in-memory copy of a database image. `node:sqlite`
   * cannot deserialize read-only, so writes are refused by
   * `PRAGMA query_only`, and an authorizer refuses any PRAGMA that would
   * switch it off.
   */
  deserialize(bytes: Uint8Array): Connection {
    const db = new this.#sqlite.DatabaseSync(":memory:") as Authorized;
    try {
      db.deserialize(bytes);
      db.exec("PRAGMA query_only = ON");
      db.setAuthorizer((action, name, value) =>
        action === AUTH_PRAGMA && value !== null &&
          name?.toLowerCase() === "query_only"
          ? AUTH_DENY
          : AUTH_OK
      );
    } catch (error) {
      db.close();
      throw translate(error);
    }
    return new NodeConnection(db, undefined);
  }
}

class NodeConnection implements Connection {
  readonly #db: DatabaseSync;
  readonly #statements = new Set<NodeStatement>();
  readonly #watch: FileWatch | undefined;
  #closed = false;

  constructor(db: DatabaseSync, watch: FileWatch | undefined) {
    this.#db = db;
    this.#watch = watch;
  }

  #check(): void {
    if (this.#closed) throw new Error("Cannot use connection: it was closed");
  }

  /**
   * Compiles one statement. As on the ffi engine, SQL holding no statement
   * or a second one is refused: node:sqlite compiles the first and ignores
   * the rest, and answers "not an error" for none.
   */
  prepare(sql: string): Statement {
    this.#check();
    let stmt: StatementSync;
    try {
      stmt = this.#db.prepare(sql);
    } catch (error) {
      throw translate(error);
    }
    const statement = new NodeStatement(
      sql,
      stmt,
      this.#db,
      this.#statements,
      this.#watch,
    );
    // Only a statement without result columns may be none at all (whose
    // `sourceSQL` must not be read: it crashes the process).
    if (statement.columnNames.length === 0 && holdsNoStatement(sql)) {
      throw new EngineError(NO_STATEMENT, ResultCode.ERROR);
    }
    // The text SQLite compiled, up to the end of the first statement: what
    // follows may be comments, not another statement.
    const used = stmt.sourceSQL.length;
    if (used < sql.length && !holdsNoStatement(sql.slice(used))) {
      throw new EngineError(
        "Cannot prepare: the SQL holds more than one statement",
        ResultCode.ERROR,
      );
    }
    this.#statements.add(statement);
    return statement;
  }

  exec(sql: string): void {
    this.#check();
    try {
      this.#db.exec(sql);
    } catch (error) {
      throw translate(error);
    }
  }

  changes(): number {
    this.#check();
    const row = this.#db.prepare("select changes() as n").get() as {
      n: number;
    };
    return row.n;
  }

  get liveStatements(): number {
    return this.#statements.size;
  }

  get generation(): number {
    return this.#watch?.generation ?? 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const statement of [...this.#statements]) statement.finalize();
    this.#db.close();
    this.#watch?.close();
  }
}

const READ_QUERY = /^\s*(select|with|values)\b/i;
const STORING_QUERY = /^\s*(insert|replace|update)\b/i;
const MAX_SAFE = BigInt(MAX_SAFE_NUMBER);
const NO_ROWS: unknown[][] = [];

/**
 * A statement over `StatementSync`, which has no step API. Deno's
 * `iterate()` ends silently when SQLite reports an error mid-way (a
 * constraint, malformed JSON, a damaged page), so:
 * - statements without result columns run with `run()`, which throws;
 * - other writes (`RETURNING`, pragmas) run with `all()`, which throws;
 * - single-row reads (`stepOne`) run with `get()`, which throws;
 * - queries stream with `iterate()`, and when it reports the end, the rest
 *   of the query after the rows already read runs once with `all()`: it
 *   returns nothing after a real end, and throws SQLite's error after a
 *   silent one;
 * - queries whose every row the caller collects at once (`prefetch`, from
 *   `Session.all`: pages, nearest rows, facets) run once with `all()`,
 *   which throws, so they need no second run.
 *
 * Streams always read integers as bigints (and hand them out as numbers
 * when they fit in 2^53), so no value is rounded and no stream ever runs
 * again from part-way for a large integer: a query's rows all come from
 * one run. Reading them so costs about 4 % of `iterate()`'s own time.
 * Reads made whole in one call (`prefetch`, `stepOne`) read integers as
 * numbers, which spares a bigint per integer cell and its conversion
 * (about 3 % of a 20-row page): `node:sqlite` then throws before handing
 * out any row when an integer does not fit in 2^53, and the read runs
 * again, whole, with bigints; the statement keeps bigints from then on.
 */
class NodeStatement implements Statement {
  readonly sql: string;
  readonly columnNames: readonly string[];
  readonly columnOrigins: readonly (ColumnOrigin | null)[];
  #stmt: StatementSync | undefined;
  #tail: StatementSync | undefined;
  readonly #db: DatabaseSync;
  readonly #owner: Set<NodeStatement>;
  readonly #streams: boolean;
  readonly #watch: FileWatch | undefined;
  /** Whether the statement runs under the watch (begun, not yet ended). */
  #watching = false;
  /** Whether the statement stores the values it binds (insert, update). */
  readonly #stores: boolean;
  #params: SQLValue[] = [];
  #rows: Iterator<unknown[]> | undefined;
  #buffer: unknown[][] | undefined;
  #index = 0;
  #read = 0;
  #row: unknown[] | undefined;
  /** Whether `#stmt` reads integers as bigints now (see the class doc). */
  #bigInts = true;
  /** Whether a whole read met an integer beyond 2^53: bigints from then on. */
  #large = false;

  constructor(
    sql: string,
    stmt: StatementSync,
    db: DatabaseSync,
    owner: Set<NodeStatement>,
    watch: FileWatch | undefined,
  ) {
    this.sql = sql;
    this.#stmt = stmt;
    this.#db = db;
    this.#owner = owner;
    this.#watch = watch;
    arrays(stmt);
    stmt.setReadBigInts(true);
    const columns = stmt.columns();
    this.columnNames = columns.map((column) => column.name);
    this.columnOrigins = columns.map(({ database, table, column }) =>
      database === null || table === null || column === null
        ? null
        : { database, table, column }
    );
    this.#stores = STORING_QUERY.test(sql);
    this.#streams = this.columnNames.length > 0 && READ_QUERY.test(sql);
  }

  /** The number of result columns. */
  get columnCount(): number {
    return this.columnNames.length;
  }

  get finalized(): boolean {
    return this.#stmt === undefined;
  }

  #check(): StatementSync {
    const stmt = this.#stmt;
    if (stmt === undefined) {
      throw new Error("Cannot use statement: it was finalized");
    }
    return stmt;
  }

  /**
   * node:sqlite binds every number as REAL, so `1` would be stored as
   * `1.0` in a column without a numeric affinity (and read back from a TEXT
   * column as "1.0"). Safe integers go as bigints, which it binds as
   * INTEGER, as the ffi engine does.
   */
  bind(params: readonly SQLValue[]): void {
    this.reset();
    this.#check();
    let bound = params as SQLValue[];
    for (let i = 0; i < params.length; i++) {
      const value = params[i];
      if (typeof value === "number" && Number.isSafeInteger(value)) {
        if (bound === params) bound = [...params];
        bound[i] = BigInt(value);
      } else if (
        typeof value === "string" && this.#stores && value.includes("\0")
      ) {
        // node:sqlite reads text only up to its first NUL: a write of such
        // text would read back shortened, so it is refused.
        throw new RangeError(
          `Cannot bind the parameter at index ${i}: text with a NUL character cannot be read back whole through node:sqlite (it stops at the NUL); use the ffi engine`,
        );
      }
    }
    this.#params = bound;
  }

  /**
   * Starts a run under the watch of a file that may change: a change
   * while nothing ran drops the page cache first.
   */
  #begin(): void {
    if (this.#watch === undefined || this.#watching) return;
    if (this.#watch.begin()) this.#db.exec("PRAGMA shrink_memory");
    this.#watching = true;
  }

  stepOne(): boolean {
    const stmt = this.#check();
    if (!this.#streams) return this.step();
    if (this.#rows !== undefined) this.reset();
    let row: unknown;
    try {
      this.#begin();
      const params = this.#params;
      row = this.#whole(
        stmt,
        () =>
          params.length === 1
            ? stmt.get(params[0] as never)
            : stmt.get(...(params as never[])),
      );
      this.#watch?.check();
    } catch (error) {
      throw this.#failure(error);
    }
    this.#buffer = NO_ROWS;
    this.#row = row as unknown[] | undefined;
    return row !== undefined;
  }

  /**
   * Reads every row of the run now with `all()`, which throws SQLite's
   * error where `iterate()` would end silently: the rows are then stepped
   * through from the buffer, and the query never runs a second time.
   */
  prefetch(): void {
    const stmt = this.#check();
    if (
      !this.#streams || this.#rows !== undefined || this.#buffer !== undefined
    ) return;
    try {
      this.#begin();
      this.#index = 0;
      this.#read = 0;
      const params = this.#params as never[];
      this.#buffer = this.#whole(stmt, () => stmt.all(...params)) as never;
      this.#watch?.check();
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /**
   * A read made whole in one call (`get()`, `all()`): with integers as
   * numbers, and once more with bigints when one does not fit in 2^53
   * (node:sqlite refuses to round it, before it hands out any row).
   */
  #whole<T>(stmt: StatementSync, read: () => T): T {
    if (this.#large) {
      this.#readBigInts(stmt, true);
      return read();
    }
    this.#readBigInts(stmt, false);
    try {
      return read();
    } catch (error) {
      if ((error as { code?: unknown })?.code !== "ERR_OUT_OF_RANGE") {
        throw error;
      }
      this.#large = true;
      this.#readBigInts(stmt, true);
      return read();
    }
  }

  /** Switches how `stmt` reads integers, when it reads them otherwise. */
  #readBigInts(stmt: StatementSync, on: boolean): void {
    if (this.#bigInts === on) return;
    stmt.setReadBigInts(on);
    this.#bigInts = on;
  }

  step(): boolean {
    const stmt = this.#check();
    try {
      if (this.#buffer === undefined && this.#rows === undefined) {
        this.#begin();
        this.#index = 0;
        this.#read = 0;
        // Streams read bigints (see the class doc); writes and pragmas too.
        this.#readBigInts(stmt, true);
        if (this.columnNames.length === 0) {
          stmt.run(...(this.#params as never[]));
          this.#buffer = [];
        } else if (!this.#streams) {
          this.#buffer = stmt.all(...(this.#params as never[])) as never;
        } else {
          this.#rows = stmt.iterate(...(this.#params as never[])) as never;
        }
      }
      if (this.#rows !== undefined) {
        const result = this.#rows.next();
        if (!result.done) {
          this.#watch?.check();
          this.#read++;
          this.#row = result.value;
          return true;
        }
        this.#rows = undefined;
        this.#buffer = this.#rest();
        this.#index = 0;
      }
      this.#watch?.check();
      const buffer = this.#buffer!;
      if (this.#index < buffer.length) {
        this.#row = buffer[this.#index++];
        return true;
      }
    } catch (error) {
      throw this.#failure(error);
    }
    this.#row = undefined;
    return false;
  }

  /**
   * The rows after those read: none after a real end, SQLite's error as an
   * exception after a silent one. The same statement over the same data
   * fails at the same row, and a file that may change is watched, so the
   * rows it returns in between (none, or what a non-deterministic order
   * moved there) are never read from a changed file.
   */
  #rest(): unknown[][] {
    if (this.#tail === undefined) {
      this.#tail = this.#db.prepare(
        `SELECT * FROM (\n${statementText(this.sql)}\n) LIMIT -1 OFFSET ?`,
      );
      arrays(this.#tail);
      this.#tail.setReadBigInts(true);
    }
    return this.#tail.all(
      ...(this.#params as never[]),
      this.#read,
    ) as unknown as unknown[][];
  }

  /**
   * Resets after a failure and returns the error to throw: the file's
   * change when a watched file changed (it explains the failure better).
   */
  #failure(error: unknown): unknown {
    if (this.#watching) {
      try {
        this.#watch!.check();
      } catch (changed) {
        error = changed;
      }
    }
    this.reset();
    return translate(error);
  }

  column(index: number): SQLValue {
    const value = this.#row?.[index];
    if (typeof value === "bigint") {
      return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value;
    }
    // A whole read with numbers hands out the integer -2^63 as a number
    // (node:sqlite's range check misses it; the ffi engine gives a bigint):
    // that read is made again with bigints.
    if (value === INT64_MIN_NUMBER && !this.#bigInts) {
      return this.#rereadBigInts(index);
    }
    return (value ?? null) as SQLValue;
  }

  /**
   * Reads the current run again with bigints (the same statement over the
   * same, watched, data gives the same rows), and whole reads of this
   * statement take bigints from now on; answers column `index` again.
   */
  #rereadBigInts(index: number): SQLValue {
    const stmt = this.#check();
    this.#large = true;
    this.#readBigInts(stmt, true);
    const params = this.#params as never[];
    try {
      if (this.#buffer === NO_ROWS) {
        this.#row = stmt.get(...params) as unknown[] | undefined;
      } else {
        const buffer = stmt.all(...params) as unknown as unknown[][];
        this.#buffer = buffer;
        this.#row = buffer[this.#index - 1];
      }
      this.#watch?.check();
    } catch (error) {
      throw this.#failure(error);
    }
    return this.column(index);
  }

  reset(): void {
    if (this.#rows !== undefined) {
      try {
        this.#rows.return?.();
      } catch {
        // The iterator was already finished or failed; nothing to release.
      }
      this.#rows = undefined;
    }
    this.#buffer = undefined;
    this.#row = undefined;
    if (this.#watching) {
      this.#watching = false;
      this.#watch!.end();
    }
  }

  finalize(): void {
    if (this.#stmt === undefined) return;
    this.reset();
    this.#stmt = undefined;
    this.#tail = undefined;
    this.#owner.delete(this);
  }
}

/**
 * Rows as arrays: present in Deno's node:sqlite, missing from its type
 * declarations.
 */
function arrays(stmt: StatementSync): void {
  (stmt as StatementSync & { setReturnArrays(on: boolean): void })
    .setReturnArrays(true);
}
