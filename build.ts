/**
 * The build-time API of `@microcosm/sqlite`: write a dataset file
 * atomically from stores, records, CSV and JSON Lines files
 * ({@linkcode buildDataSet}), and check a file against its models
 * ({@linkcode verifyDataSet}).
 *
 * A running app imports the runtime (`@microcosm/sqlite`: datasets,
 * models, stores, binding, errors, dumps, `readBuildMetadata`); build
 * scripts, tests and CI import this entry point too. Keeping them apart
 * means the runtime never loads the loaders, the CSV parser or
 * `node:crypto` (for the sources' hashes).
 *
 * @example Build a file, then verify it against its models
 * ```ts
 * import { DataSet, integer, SQLiteBindFactory, Store, text } from "@microcosm/sqlite";
 * import { buildDataSet, verifyDataSet } from "@microcosm/sqlite/build";
 * import assert from "node:assert/strict";
 *
 * const Tags = DataSet.create("doc_build_entry");
 * class Tag extends Tags.Model("tag", { id: integer({ primaryKey: true }), name: text() }) {}
 * const dir = await Deno.makeTempDir();
 * const built = await buildDataSet(Tags, `${dir}/tags.sqlite`, (build) =>
 *   build.loadRecords(Tag, [{ id: 1, name: "a" }, { id: 2, name: "b" }]));
 * assert.deepEqual(built.rows, { tag: 2 });
 *
 * Tags.bind(new SQLiteBindFactory({ paths: { doc_build_entry: built.path } }));
 * assert.equal((await verifyDataSet(Tags)).ok, true);
 * assert.equal((await new Store(Tag).retrieve(2)).name, "b");
 * await Tags.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export {
  type BuildContext,
  buildDataSet,
  type BuildResult,
} from "./src/build.ts";
export {
  type LoadCsvOptions,
  type LoadOptions,
  type LoadProgress,
} from "./src/load.ts";
export {
  verifyDataSet,
  type VerifyProblem,
  type VerifyReport,
} from "./src/verify.ts";
export type { FeatureNeed, SQLiteFeature } from "./src/_capabilities.ts";
export type { EngineSupport } from "./src/_capability_report.ts";
