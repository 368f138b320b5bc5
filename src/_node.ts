/**
 * The engine over Deno's built-in `node:sqlite`, used where FFI is not
 * allowed. It never relies on `file:` URIs: Deno takes them as relative file
 * names unless every permission is granted, so immutability is approximated
 * with `PRAGMA locking_mode=EXCLUSIVE`.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  type Connection,
  type Engine,
  EngineError,
  type OpenRequest,
  type SQLValue,
  type Statement,
} from "./_engine.ts";
import { MAX_SAFE as MAX_SAFE_NUMBER } from "./_kinds.ts";

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

class NodeEngine implements Engine {
  readonly name = "node" as const;
  readonly version: string;
  readonly #sqlite: NodeSqlite;

  constructor(sqlite: NodeSqlite) {
    this.#sqlite = sqlite;
    const db = new sqlite.DatabaseSync(":memory:");
    try {
      const row = db.prepare("select sqlite_version() as v").get() as
        | { v: string }
        | undefined;
      this.version = row?.v ?? "unknown";
    } finally {
      db.close();
    }
  }

  open(request: OpenRequest): Connection {
    try {
      const db = new this.#sqlite.DatabaseSync(request.path, {
        readOnly: request.readOnly,
        enableForeignKeyConstraints: false,
      });
      if (request.readOnly && request.immutable) {
        // Holds the shared lock after the first read instead of taking it
        // for every statement: the speed of immutable=1 without a URI.
        db.exec("PRAGMA locking_mode=EXCLUSIVE");
      }
      return new NodeConnection(db);
    } catch (error) {
      throw translate(error);
    }
  }

  deserialize(bytes: Uint8Array, readOnly: boolean): Connection {
    const db = new this.#sqlite.DatabaseSync(":memory:");
    try {
      (db as DatabaseSync & { deserialize(b: Uint8Array): void }).deserialize(
        bytes,
      );
      if (readOnly) db.exec("PRAGMA query_only = ON");
    } catch (error) {
      db.close();
      throw translate(error);
    }
    return new NodeConnection(db);
  }
}

class NodeConnection implements Connection {
  readonly #db: DatabaseSync;
  readonly #statements = new Set<NodeStatement>();
  #closed = false;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #check(): void {
    if (this.#closed) throw new Error("Cannot use connection: it was closed");
  }

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
    );
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

  lastInsertRowid(): number | bigint {
    this.#check();
    const row = this.#db.prepare("select last_insert_rowid() as n").get() as {
      n: number;
    };
    return row.n;
  }

  inTransaction(): boolean {
    this.#check();
    return this.#db.isTransaction;
  }

  serialize(): Uint8Array {
    this.#check();
    return (this.#db as DatabaseSync & { serialize(): Uint8Array })
      .serialize();
  }

  get liveStatements(): number {
    return this.#statements.size;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const statement of [...this.#statements]) statement.finalize();
    this.#db.close();
  }
}

const READ_QUERY = /^\s*(select|with|values)\b/i;
const STORING_QUERY = /^\s*(insert|replace|update)\b/i;
const MAX_SAFE = BigInt(MAX_SAFE_NUMBER);
const NO_ROWS: unknown[][] = [];

/** Whether node:sqlite refused an integer beyond 2^53 as a number. */
function tooLarge(error: unknown): boolean {
  return (error as { code?: unknown })?.code === "ERR_OUT_OF_RANGE";
}

/**
 * A statement over `StatementSync`, which has no step API. Deno's
 * `iterate()` ends silently when SQLite reports an error mid-way (a
 * constraint, malformed JSON, an integer beyond 2^53 read as a number), so:
 * - statements without result columns run with `run()`, which throws;
 * - other writes (`RETURNING`, pragmas) run with `all()`, which throws;
 * - single-row reads (`stepOne`) run with `get()`, which throws;
 * - queries stream with `iterate()`, and when it reports the end, the rest
 *   of the query after the rows already read runs once with `all()`: it
 *   returns nothing after a real end, and throws SQLite's error after a
 *   silent one.
 *
 * Queries read integers as numbers, which is fastest; the first integer
 * beyond 2^53 switches the statement to bigints for good and reruns the
 * read, skipping the rows already returned, so no value is ever rounded.
 * Writes read bigints from the start: they must never run twice.
 */
class NodeStatement implements Statement {
  readonly sql: string;
  readonly columnNames: readonly string[];
  #stmt: StatementSync | undefined;
  #tail: StatementSync | undefined;
  readonly #db: DatabaseSync;
  readonly #owner: Set<NodeStatement>;
  readonly #streams: boolean;
  /** Whether the statement stores the values it binds (insert, update). */
  readonly #stores: boolean;
  #bigints = false;
  #params: SQLValue[] = [];
  #rows: Iterator<unknown[]> | undefined;
  #buffer: unknown[][] | undefined;
  #index = 0;
  #read = 0;
  #row: unknown[] | undefined;

  constructor(
    sql: string,
    stmt: StatementSync,
    db: DatabaseSync,
    owner: Set<NodeStatement>,
  ) {
    this.sql = sql;
    this.#stmt = stmt;
    this.#db = db;
    this.#owner = owner;
    arrays(stmt);
    this.columnNames = stmt.columns().map((column) => column.name);
    this.#stores = STORING_QUERY.test(sql);
    this.#streams = this.columnNames.length > 0 && READ_QUERY.test(sql);
    // A write must never run twice, so one that returns rows reads
    // integers as bigints from the start instead of retrying.
    if (!this.#streams) this.#useBigInts(stmt);
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

  #useBigInts(stmt: StatementSync): void {
    this.#bigints = true;
    stmt.setReadBigInts(true);
    this.#tail?.setReadBigInts(true);
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

  stepOne(): boolean {
    const stmt = this.#check();
    if (!this.#streams) return this.step();
    if (this.#rows !== undefined) this.reset();
    let row: unknown;
    try {
      try {
        const params = this.#params;
        row = params.length === 1
          ? stmt.get(params[0] as never)
          : stmt.get(...(params as never[]));
      } catch (error) {
        if (this.#bigints || !tooLarge(error)) throw error;
        this.#useBigInts(stmt);
        row = stmt.get(...(this.#params as never[]));
      }
    } catch (error) {
      throw translate(error);
    }
    this.#buffer = NO_ROWS;
    this.#row = row as unknown[] | undefined;
    return row !== undefined;
  }

  step(): boolean {
    const stmt = this.#check();
    try {
      if (this.#buffer === undefined && this.#rows === undefined) {
        this.#index = 0;
        this.#read = 0;
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
          this.#read++;
          this.#row = result.value;
          return true;
        }
        this.#rows = undefined;
        const rest = this.#rest(stmt);
        if (rest === undefined) return this.step();
        this.#buffer = rest;
        this.#index = 0;
      }
      const buffer = this.#buffer!;
      if (this.#index < buffer.length) {
        this.#row = buffer[this.#index++];
        return true;
      }
    } catch (error) {
      this.reset();
      throw translate(error);
    }
    this.#row = undefined;
    return false;
  }

  /**
   * The rows after those read: none after a real end, SQLite's error as an
   * exception after a silent one, or `undefined` when the silent end was an
   * integer beyond 2^53: the iteration then restarts with bigints, past the
   * rows already read.
   */
  #rest(stmt: StatementSync): unknown[][] | undefined {
    if (this.#tail === undefined) {
      this.#tail = this.#db.prepare(
        `SELECT * FROM (\n${
          this.sql.replace(/;\s*$/, "")
        }\n) LIMIT -1 OFFSET ?`,
      );
      arrays(this.#tail);
      if (this.#bigints) this.#tail.setReadBigInts(true);
    }
    try {
      return this.#tail.all(
        ...(this.#params as never[]),
        this.#read,
      ) as unknown as unknown[][];
    } catch (error) {
      if (this.#bigints || !tooLarge(error)) throw error;
      this.#useBigInts(stmt);
      const rows = stmt.iterate(...(this.#params as never[])) as Iterator<
        unknown[]
      >;
      for (let i = 0; i < this.#read; i++) rows.next();
      this.#rows = rows;
      return undefined;
    }
  }

  column(index: number): SQLValue {
    const value = this.#row?.[index];
    if (typeof value === "bigint") {
      return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value;
    }
    return (value ?? null) as SQLValue;
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
