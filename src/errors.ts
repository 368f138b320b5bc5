/**
 * The error hierarchy. Every error the library raises on purpose extends
 * {@linkcode SQLiteError}; bad arguments raise the built-in `TypeError` or
 * `RangeError` before any SQL runs.
 *
 * @module
 */

/** Options shared by every {@linkcode SQLiteError}. */
export interface SQLiteErrorOptions extends ErrorOptions {
  /**
   * The dataset the error concerns.
   * @default {undefined}
   */
  dataset?: string;
  /**
   * The SQL statement that failed.
   * @default {undefined}
   */
  sql?: string;
}

/**
 * The base of every error the library raises on purpose. Carries an HTTP
 * status hint and keeps the driver's error as `cause`.
 *
 * @example Catch any library error
 * ```ts
 * import { SQLiteError, ModelNotFoundError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const error = new ModelNotFoundError("Cannot find person: no row matches");
 * assert.ok(error instanceof SQLiteError);
 * assert.equal(error.statusCode, 404);
 * ```
 */
export class SQLiteError extends Error {
  /** An HTTP status code that suits the error. */
  readonly statusCode: number = 500;
  /** The dataset the error concerns, when known. */
  readonly dataset: string | undefined;
  /** The SQL statement that failed, when one did. */
  readonly sql: string | undefined;

  /**
   * Creates an error.
   * @param message What was tried and what went wrong.
   * @param options The dataset, the SQL and the `cause`.
   */
  constructor(message: string, options: SQLiteErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = new.target.name;
    this.dataset = options.dataset;
    this.sql = options.sql;
  }
}

/**
 * A dataset is missing, corrupt, not configured, or does not match its
 * models.
 *
 * @example
 * ```ts
 * import { DataSetError, SQLiteError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const error = new DataSetError("Cannot open dataset \"x\": file does not exist");
 * assert.ok(error instanceof SQLiteError);
 * assert.equal(error.statusCode, 500);
 * ```
 */
export class DataSetError extends SQLiteError {}

/**
 * The caller's raw SQL (`dataset.sql`) is wrong: a syntax error, or a
 * table, column or function the file does not have. A mistake in the
 * request, not a server fault, so its status is 400; a `Store` query on a
 * file that lacks the model's table is a {@linkcode DataSetError} instead.
 *
 * @example
 * ```ts
 * import { DataSet, QueryError, SQLiteError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const db = DataSet.create("doc_query_error");
 * await assert.rejects(Array.fromAsync(db.sql`select * from cuntries`), (error) => {
 *   assert.ok(error instanceof QueryError && error instanceof SQLiteError);
 *   assert.equal(error.statusCode, 400);
 *   assert.match(error.message, /no such table: cuntries/);
 *   return true;
 * });
 * await db.close();
 * ```
 */
export class QueryError extends SQLiteError {
  /** An HTTP status code that suits the error. */
  override readonly statusCode: number = 400;
}

/**
 * A write was attempted on a read-only dataset.
 *
 * @example
 * ```ts
 * import { ReadOnlyError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ReadOnlyError("Cannot write").statusCode, 403);
 * ```
 */
export class ReadOnlyError extends SQLiteError {
  /** An HTTP status code that suits the error. */
  override readonly statusCode: number = 403;
}

/**
 * A NOT NULL, CHECK or FOREIGN KEY constraint failed.
 *
 * @example
 * ```ts
 * import { ModelIntegrityError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ModelIntegrityError("Cannot insert").statusCode, 500);
 * ```
 */
export class ModelIntegrityError extends SQLiteError {}

/**
 * A UNIQUE or PRIMARY KEY constraint failed.
 *
 * @example
 * ```ts
 * import { DuplicateModelError, ModelIntegrityError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const error = new DuplicateModelError("Cannot insert person: duplicate");
 * assert.ok(error instanceof ModelIntegrityError);
 * assert.equal(error.statusCode, 409);
 * ```
 */
export class DuplicateModelError extends ModelIntegrityError {
  /** An HTTP status code that suits the error. */
  override readonly statusCode: number = 409;
}

/**
 * `Store.one()` found more than one row.
 *
 * @example
 * ```ts
 * import { MultipleModelsFoundError, ModelIntegrityError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const error = new MultipleModelsFoundError("Cannot get one person: 2 rows match");
 * assert.ok(error instanceof ModelIntegrityError);
 * assert.equal(error.statusCode, 500);
 * ```
 */
export class MultipleModelsFoundError extends ModelIntegrityError {}

/**
 * No row matched where one was required.
 *
 * @example
 * ```ts
 * import { ModelNotFoundError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ModelNotFoundError("Cannot find").statusCode, 404);
 * ```
 */
export class ModelNotFoundError extends SQLiteError {
  /** An HTTP status code that suits the error. */
  override readonly statusCode: number = 404;
}

/** Where in a data file a bad value sits. */
export interface DataFileErrorOptions extends SQLiteErrorOptions {
  /** The file, as given to the loader. */
  file: string;
  /**
   * The 1-based line the record starts on (JSON Lines: the line; records
   * from an iterable: the record's 1-based position).
   */
  line: number;
  /**
   * The column (CSV header or JSON key) holding the bad value.
   * @default {undefined}
   */
  column?: string;
  /**
   * The bad value as read.
   * @default {undefined}
   */
  value?: string;
}

/**
 * A data file being loaded into a build holds a bad record: a value the
 * column's type refuses, an empty field in a NOT NULL column, a malformed
 * line, or an unknown column. The message names the file, line, column and
 * value, also kept as properties.
 *
 * @example
 * ```ts
 * import { DataFileError, SQLiteError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const error = new DataFileError(
 *   'Cannot load people.csv into "person": line 3, column "born": expected an integer, got "abc"',
 *   { file: "people.csv", line: 3, column: "born", value: "abc" },
 * );
 * assert.ok(error instanceof SQLiteError);
 * assert.equal(error.statusCode, 422);
 * assert.equal(error.line, 3);
 * ```
 */
export class DataFileError extends SQLiteError {
  /** An HTTP status code that suits the error. */
  override readonly statusCode: number = 422;
  /** The file, as given to the loader. */
  readonly file: string;
  /** The 1-based line (or record number) of the bad record. */
  readonly line: number;
  /** The column holding the bad value, when one does. */
  readonly column: string | undefined;
  /** The bad value as read, when one is. */
  readonly value: string | undefined;

  /**
   * Creates an error.
   * @param message What was tried and what went wrong, with the place.
   * @param options The file, line, column and value.
   */
  constructor(message: string, options: DataFileErrorOptions) {
    super(message, options);
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.value = options.value;
  }
}

/**
 * A query ran past its time budget (the `timeoutMs` of its
 * `RunOptions`) and was stopped. Status 503: the server is too
 * busy or the query too heavy for the budget, not a mistake in it.
 *
 * @example
 * ```ts
 * import { QueryTimeoutError, SQLiteError } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const error = new QueryTimeoutError(
 *   "Cannot search person: the query ran past its time budget of 50 ms",
 *   { timeoutMs: 50 },
 * );
 * assert.ok(error instanceof SQLiteError);
 * assert.equal(error.statusCode, 503);
 * assert.equal(error.timeoutMs, 50);
 * ```
 */
export class QueryTimeoutError extends SQLiteError {
  /** An HTTP status code that suits the error. */
  override readonly statusCode: number = 503;
  /** The time budget the query ran past, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * Creates an error.
   * @param message What was stopped, naming the budget.
   * @param options The budget, the dataset and the SQL.
   */
  constructor(
    message: string,
    options: SQLiteErrorOptions & { timeoutMs: number },
  ) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}
