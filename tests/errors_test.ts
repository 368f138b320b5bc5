import assert from "node:assert/strict";
import {
  DataFileError,
  DataSetError,
  DuplicateModelError,
  ModelIntegrityError,
  ModelNotFoundError,
  MultipleModelsFoundError,
  ReadOnlyError,
  SQLiteError,
} from "../mod.ts";

Deno.test("Errors form the documented hierarchy with HTTP status hints", () => {
  const cases: [
    SQLiteError,
    abstract new (...args: never[]) => Error,
    number,
  ][] = [
    [new SQLiteError("x"), Error, 500],
    [new DataSetError("x"), SQLiteError, 500],
    [new ReadOnlyError("x"), SQLiteError, 403],
    [new ModelIntegrityError("x"), SQLiteError, 500],
    [new DuplicateModelError("x"), ModelIntegrityError, 409],
    [new MultipleModelsFoundError("x"), ModelIntegrityError, 500],
    [new ModelNotFoundError("x"), SQLiteError, 404],
    [new DataFileError("x", { file: "f", line: 1 }), SQLiteError, 422],
  ];
  for (const [error, parent, status] of cases) {
    assert.ok(error instanceof parent, error.name);
    assert.ok(error instanceof Error);
    assert.equal(error.statusCode, status, error.name);
    assert.equal(error.name, error.constructor.name);
  }
});

Deno.test("SQLiteError keeps the cause, dataset and SQL", () => {
  const cause = new Error("driver");
  const error = new DuplicateModelError("Cannot insert", {
    cause,
    dataset: "d",
    sql: "insert",
  });
  assert.equal(error.cause, cause);
  assert.equal(error.dataset, "d");
  assert.equal(error.sql, "insert");
});
