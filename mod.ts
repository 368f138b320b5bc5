/**
 * Ship read-only reference data with a Deno program as static SQLite files,
 * and query it fast: country tables, taxonomies, price lists, geo lookups.
 *
 * - A {@linkcode DataSet} is one named database. Models declared on it give
 *   the table, the columns and the TypeScript row type from one declaration.
 * - A {@linkcode Store} queries one model; results come through async
 *   generators, so nothing loads a whole table unless you collect it.
 * - A {@linkcode SQLiteBindFactory} maps dataset names to files: explicit
 *   paths, else the app's import map (`"datasets:<name>"` in `deno.json`),
 *   else `:memory:`. File datasets open read-only; in-memory ones are
 *   writable, so tests build their data in place. A dataset can also be
 *   served read-only from the bytes of its file (`factory.set(name, bytes)`),
 *   for `deno compile` binaries and `with { type: "bytes" }` imports.
 * - SQLite is reached through FFI (`--allow-ffi`), else Deno's built-in
 *   `node:sqlite`.
 *
 * This entry point is the runtime: what an app that reads datasets needs,
 * down to the dumps for streaming exports and {@linkcode readBuildMetadata}.
 * Building and verifying files (`buildDataSet`, its loaders,
 * `verifyDataSet`) is in `@microcosm/sqlite/build`, so importing the
 * runtime never loads them; the command-line tool is
 * `@microcosm/sqlite/cli`.
 *
 * @example Declare, fill and query an in-memory dataset
 * ```ts
 * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const Geo = DataSet.create("mod_geo");
 * class Country extends Geo.Model("country", {
 *   code: text({ primaryKey: true }),
 *   name: text(),
 *   population: integer({ nullable: true }),
 * }, { orderBy: "name" }) {}
 *
 * await using _db = Geo;
 * await Geo.createAll();
 * const countries = new Store(Country);
 * await countries.createMany([
 *   { code: "FR", name: "France", population: 68_000_000 },
 *   { code: "IS", name: "Iceland", population: 390_000 },
 * ]);
 * const small = await Array.fromAsync(countries.search({ population: { lt: 1_000_000 } }));
 * assert.deepEqual(small.map((c) => c.code), ["IS"]);
 * assert.equal((await countries.retrieve("FR")).name, "France");
 * ```
 *
 * @module
 */
export {
  DataSet,
  type DataSetOptions,
  type SQLParameter,
  type SQLRow,
  type SQLTag,
} from "./src/dataset.ts";
export {
  type BuildMetadata,
  type BuildSource,
  METADATA_TABLE,
  type NulTextRecord,
  readBuildMetadata,
} from "./src/metadata.ts";
export {
  dumpCsv,
  type DumpCsvOptions,
  dumpJsonLines,
  type DumpOptions,
  type DumpSource,
} from "./src/dump.ts";
export {
  type AnyModel,
  type Columns,
  type GeoOption,
  type Insert,
  type InsertOf,
  type ModelClass,
  type ModelDefinition,
  type ModelOptions,
  type OptionalKeys,
  type OrderKey,
  type RequiredKeys,
  type Row,
  type RowOf,
  type ValueOf,
} from "./src/model.ts";
export {
  any,
  type AnyColumn,
  type AnyOptions,
  bigint,
  type BigIntOptions,
  blob,
  type BlobOptions,
  boolean,
  type BooleanOptions,
  type BoundColumn,
  Column,
  type ColumnKind,
  type ColumnOptions,
  datetime,
  type DatetimeOptions,
  type DatetimeStorage,
  type ForeignKeyAction,
  integer,
  type IntegerOptions,
  json,
  type JsonOptions,
  type JsonValue,
  type NullableOf,
  type OptionalOf,
  type PrimaryKeyOf,
  real,
  type RealOptions,
  type StoredValue,
  text,
  type TextOptions,
} from "./src/columns.ts";
export {
  type Filter,
  type GeoBox,
  type GeoPoint,
  type Instance,
  type Nearby,
  type NearestOptions,
  type OrderBy,
  type PrimaryKey,
  type PrimaryKeyNames,
  type SearchOptions,
  Store,
} from "./src/store.ts";
export {
  type Condition,
  type FilterOf,
  type FilterValue,
  type Operators,
} from "./src/filter.ts";
export {
  type EngineChoice,
  SQLiteBindFactory,
  type SQLiteBindFactoryOptions,
} from "./src/bind.ts";
export {
  DataFileError,
  type DataFileErrorOptions,
  DataSetError,
  DuplicateModelError,
  ModelIntegrityError,
  ModelNotFoundError,
  MultipleModelsFoundError,
  QueryError,
  QueryTimeoutError,
  ReadOnlyError,
  SQLiteError,
  type SQLiteErrorOptions,
} from "./src/errors.ts";
export type { EngineName, SQLValue } from "./src/_engine.ts";
export type {
  HighlightOptions,
  Matched,
  MatchInfo,
  MatchOptions,
  SnippetOptions,
} from "./src/match.ts";
export { matchInfo } from "./src/_fts.ts";
export type {
  SearchDefinition,
  SearchIndexOptions,
  SearchTokenizer,
} from "./src/_fts.ts";
// Queries (issue 12 §3-§5): facets, aggregates, pages, or, raw SQL.
export {
  type CountByOptions,
  type NumericKeys,
  type Page,
  type PageOptions,
  type ValueCount,
} from "./src/store.ts";
export { or } from "./src/filter.ts";
export { type SQLFragment, sqlFragment } from "./src/fragment.ts";
// Cancellation, time budgets and query hooks (issue 13's handler).
export type { QueryEvent, QueryHook, RunOptions } from "./src/run.ts";
// Live datasets (issue 14): pinned files, reload and watch.
export type { DataSetSource, PinnedFile } from "./src/bind.ts";
export type { Watch, WatchOptions } from "./src/_reload.ts";
