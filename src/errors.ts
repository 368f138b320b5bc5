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
