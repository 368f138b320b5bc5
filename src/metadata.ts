/**
 * The build metadata a built file holds, and reading it: runtime code, kept
 * apart from the build so that importing the library does not load it.
 *
 * @module
 */
import { findTable, readRows } from "./_schema.ts";
import { selectMetadataSql } from "./_sql.ts";
import { type DataSet, SESSION } from "./dataset.ts";
import { DataSetError } from "./errors.ts";

/**
 * The table every built file holds its {@linkcode BuildMetadata} in: one
 * row per field, `key` the field name and `value` its JSON. Models may not
 * declare a table of this name.
 */
export const METADATA_TABLE = "microcosm_metadata";

/** A source file loaded into a build, as recorded in its metadata. */
export interface BuildSource {
  /** The table it was loaded into. */
  readonly table: string;
  /** Its path relative to the built file's folder, with `/` separators. */
  readonly file: string;
  /** SHA-256 of its bytes, hex. */
  readonly sha256: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** The rows it gave. */
  readonly rows: number;
}

/** What a built file records about its build, in {@linkcode METADATA_TABLE}. */
export interface BuildMetadata {
  /** The dataset name. */
  readonly dataset: string;
  /**
   * When the build ran, ISO 8601 in UTC (`SOURCE_DATE_EPOCH` when set and
   * readable, for reproducible files).
   */
  readonly builtAt: string;
  /** The library that built the file. */
  readonly library: string;
  /** Its version. */
  readonly libraryVersion: string;
  /** The SQLite version that wrote the file. */
  readonly sqliteVersion: string;
  /** Rows per model table. */
  readonly tables: Readonly<Record<string, number>>;
  /** The files loaded, in load order. */
  readonly sources: readonly BuildSource[];
  /**
   * The file's content hash, as `dataset.contentHash()` answers it: the
   * SHA-256 of the file with these 64 hex digits read as `0`s. Absent from
   * files built before this field existed.
   */
  readonly sha256?: string;
}

/**
 * Reads the {@linkcode BuildMetadata} of a dataset's file, or `undefined`
 * when the file was not built by {@linkcode buildDataSet}.
 * @param dataset A dataset bound to a built file.
 * @returns The metadata, or `undefined`.
 * @throws {DataSetError} When the file cannot be opened.
 *
 * @example
 * ```ts
 * import { DataSet, integer, readBuildMetadata, SQLiteBindFactory } from "@microcosm/sqlite";
 * import { buildDataSet } from "@microcosm/sqlite/build";
 * import assert from "node:assert/strict";
 *
 * const Numbers = DataSet.create("doc_metadata");
 * class N extends Numbers.Model("n", { id: integer({ primaryKey: true }) }) {}
 * const dir = await Deno.makeTempDir();
 * await buildDataSet(Numbers, `${dir}/n.sqlite`, (build) => build.loadRecords(N, [{ id: 1 }]));
 * Numbers.bind(new SQLiteBindFactory({ paths: { doc_metadata: `${dir}/n.sqlite` } }));
 * const metadata = await readBuildMetadata(Numbers);
 * assert.deepEqual(metadata?.tables, { n: 1 });
 * await Numbers.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readBuildMetadata(
  dataset: DataSet,
): Promise<BuildMetadata | undefined> {
  const session = await dataset[SESSION]();
  const action = `Cannot read the build metadata of dataset "${dataset.name}"`;
  const table = findTable(session, METADATA_TABLE, action);
  if (table === undefined) return undefined;
  const fields: Record<string, unknown> = {};
  for (
    const [key, value] of readRows(
      session,
      selectMetadataSql(table.name),
      [],
      action,
    )
  ) {
    try {
      fields[String(key)] = JSON.parse(String(value));
    } catch (error) {
      throw new DataSetError(
        `${action}: the value of ${JSON.stringify(key)} is not JSON`,
        { dataset: dataset.name, cause: error },
      );
    }
  }
  return fields as unknown as BuildMetadata;
}
