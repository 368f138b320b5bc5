/**
 * The build metadata a built file holds, and reading it: runtime code, kept
 * apart from the build so that importing the library does not load it.
 *
 * @module
 */
import { findTable, readRows } from "./_schema.ts";
import { metadataFieldSql, selectMetadataSql } from "./_sql.ts";
import type { Session } from "./_session.ts";
import { foldIdentifier } from "./_rules.ts";
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
  /**
   * Per model table: the columns that can hold text (`TEXT` or `ANY`, by
   * the models the build ran with), and those among them that hold text
   * with a NUL character, found once the rows were in. `node:sqlite`
   * returns text cut at a NUL, so a store on that engine reads whether it
   * must check rows for one from here, instead of scanning the table, when
   * the file is read-only and immutable and the record names every text
   * column of the store's model. Absent from files built before this field
   * existed (they are scanned once per process); `verifyDataSet` checks it.
   */
  readonly nulText?: Readonly<Record<string, NulTextRecord>>;
}

/** The NUL census of one table, as {@linkcode BuildMetadata.nulText} holds it. */
export interface NulTextRecord {
  /** The columns that can hold text, by their SQL names. */
  readonly columns: readonly string[];
  /** Those among them holding text with a NUL character somewhere. */
  readonly holding: readonly string[];
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
  try {
    return metadataFields(session, action) as BuildMetadata | undefined;
  } catch (error) {
    if (!(error instanceof MetadataNotJson)) throw error;
    throw new DataSetError(`${action}: ${error.message}`, {
      dataset: dataset.name,
      cause: error.cause,
    });
  }
}

/** A build metadata field whose value is not JSON. */
class MetadataNotJson extends Error {}

/**
 * The build metadata of a session's file as raw fields, or `undefined`
 * when the file has none.
 * @throws {MetadataNotJson} Naming a field whose value is not JSON.
 */
export function metadataFields(
  session: Session,
  action: string,
): Record<string, unknown> | undefined {
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
      throw new MetadataNotJson(
        `the value of ${JSON.stringify(key)} is not JSON`,
        { cause: error },
      );
    }
  }
  return fields;
}

/** The field of {@linkcode BuildMetadata.nulText}. */
export const NUL_TEXT_FIELD = "nulText";

/**
 * {@linkcode BuildMetadata.nulText} from its JSON text, or `undefined`
 * when it does not have that shape (every table an object of two arrays of
 * column names, `holding` among `columns`).
 */
export function parseNulText(
  json: unknown,
): Readonly<Record<string, NulTextRecord>> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(String(json));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  const names = (list: unknown): list is string[] =>
    Array.isArray(list) && list.every((name) => typeof name === "string");
  for (const record of Object.values(value) as unknown[]) {
    if (record === null || typeof record !== "object") return undefined;
    const { columns, holding } = record as Record<string, unknown>;
    if (!names(columns) || !names(holding)) return undefined;
    const checked = new Set(columns.map(foldIdentifier));
    if (!holding.every((name) => checked.has(foldIdentifier(name)))) {
      return undefined;
    }
  }
  return value as Record<string, NulTextRecord>;
}

/**
 * The recorded {@linkcode BuildMetadata.nulText} of a session's file:
 * `null` when there is none or it is malformed. Read once per session.
 */
const nulTextRecords = new WeakMap<
  Session,
  Readonly<Record<string, NulTextRecord>> | null
>();

function recordedNulTexts(
  session: Session,
): Readonly<Record<string, NulTextRecord>> | null {
  let records = nulTextRecords.get(session);
  if (records !== undefined) return records;
  records = null;
  try {
    const table = findTable(session, METADATA_TABLE, "");
    if (table !== undefined) {
      const value = session.value(
        metadataFieldSql(table.name),
        [NUL_TEXT_FIELD],
        "",
      );
      if (value !== undefined) records = parseNulText(value) ?? null;
    }
  } catch {
    // An unreadable record is no record: the store scans instead.
  }
  nulTextRecords.set(session, records);
  return records;
}

/**
 * Whether a table holds text with a NUL in one of `columns` (SQL names),
 * as the build metadata of the session's file records it; `undefined`
 * when the file records no census of that table or of one of those
 * columns. Only meaningful for a file that cannot change (the caller's
 * check).
 */
export function recordedNulText(
  session: Session,
  table: string,
  columns: readonly string[],
): boolean | undefined {
  const records = recordedNulTexts(session);
  if (records === null) return undefined;
  const folded = foldIdentifier(table);
  const entry = Object.entries(records).find(([name]) =>
    foldIdentifier(name) === folded
  );
  if (entry === undefined) return undefined;
  const checked = new Set(entry[1].columns.map(foldIdentifier));
  const holding = new Set(entry[1].holding.map(foldIdentifier));
  let holds = false;
  for (const column of columns) {
    const name = foldIdentifier(column);
    if (!checked.has(name)) return undefined;
    if (holding.has(name)) holds = true;
  }
  return holds;
}
