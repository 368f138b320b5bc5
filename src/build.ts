/**
 * Building dataset files atomically, from stores, records, CSV and JSON
 * Lines files.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { checkGeoRange } from "./_geo_range.ts";
import type { Session } from "./_session.ts";
import { hashFile, placeholderHash, writeRecordedHash } from "./_hash.ts";
import { LIBRARY, VERSION } from "./_version.ts";
import { readRows } from "./_schema.ts";
import {
  countRows,
  foreignKeys,
  type ForeignKeySchema,
} from "./_introspect.ts";
import {
  ANALYZE,
  BUILD_PRAGMAS,
  createMetadataSql,
  createSearchTableSql,
  createTableSql,
  FOREIGN_KEY_CHECK,
  FOREIGN_KEY_CHECK_COUNT,
  FREELIST_COUNT,
  insertMetadataSql,
  INTEGRITY_CHECK,
  modelGeoIndexSql,
  nulColumnsSql,
  optimizeSearchSql,
  rebuildSearchSql,
  searchTriggersSql,
  transactionSql,
  VACUUM,
  valueByRowidSql,
} from "./_sql_build.ts";
import { DataSet, REDIRECT, SESSION } from "./dataset.ts";
import { DataSetError, ModelIntegrityError, SQLiteError } from "./errors.ts";
import {
  type FileLoad,
  loadCsvFile,
  type LoadCsvOptions,
  loadJsonArrayFile,
  loadJsonLinesFile,
  type LoadOptions,
  loadRecordIterable,
} from "./load.ts";
import {
  type BuildMetadata,
  type BuildSource,
  METADATA_TABLE,
  type NulTextRecord,
} from "./metadata.ts";
import type { AnyModel } from "./model.ts";
import { kindOf } from "./_kinds.ts";
import { quote } from "./columns.ts";
import { escapeRegExp, foldIdentifier, localPath } from "./_rules.ts";

// The metadata's home is ./metadata.ts (the runtime reads it without
// loading the build); these names stay importable from here.
export {
  type BuildMetadata,
  type BuildSource,
  METADATA_TABLE,
  type NulTextRecord,
  readBuildMetadata,
} from "./metadata.ts";

/** What a build callback receives. */
export interface BuildContext {
  /** The dataset being built; its stores write to the new file. */
  readonly dataset: DataSet;
  /** The temporary file being written (renamed over the target at the end). */
  readonly path: string;
  /**
   * Streams an RFC 4180 CSV file into a model's table, applying the
   * model's column types (see the README for the conversions). Header
   * names map to property names or SQL column names. The file's SHA-256
   * goes into the build metadata.
   * @param model A model of the dataset being built.
   * @param file The CSV file.
   * @param options Delimiter, column names for a file without header, progress.
   * @returns The rows inserted.
   * @throws {DataFileError} On a bad value, naming file, line, column and
   * value; or when the file cannot be read (line 0).
   */
  loadCsv(
    model: AnyModel,
    file: string | URL,
    options?: LoadCsvOptions,
  ): Promise<number>;
  /**
   * Streams a JSON Lines file (one object per line) into a model's table,
   * applying the model's column types. Keys map to property names or SQL
   * column names; a missing key or `null` is an empty value.
   * @param model A model of the dataset being built.
   * @param file The JSON Lines file.
   * @param options Progress.
   * @returns The rows inserted.
   * @throws {DataFileError} On a bad line or value, or when the file cannot
   * be read (line 0).
   */
  loadJsonLines(
    model: AnyModel,
    file: string | URL,
    options?: LoadOptions,
  ): Promise<number>;
  /**
   * Streams a JSON file holding one array of objects (`[{...}, {...}]`,
   * the form most data packages ship) into a model's table, as
   * `loadJsonLines` does each line: memory holds one chunk of the file and
   * one object, whatever its size. Errors name the line an object starts
   * on.
   * @param model A model of the dataset being built.
   * @param file The JSON file.
   * @param options Progress.
   * @returns The rows inserted.
   * @throws {DataFileError} On bad JSON, a value that is not an object, or
   * a bad value; or when the file cannot be read (line 0).
   */
  loadJson(
    model: AnyModel,
    file: string | URL,
    options?: LoadOptions,
  ): Promise<number>;
  /**
   * Streams records from an iterable or async iterable into a model's
   * table, converted as JSON Lines values are: typed values, or text as in
   * a CSV file (`"42"`, `"yes"`).
   * @param model A model of the dataset being built.
   * @param records Objects keyed by property or SQL column names.
   * @param options Progress.
   * @returns The rows inserted.
   * @throws {DataFileError} On a bad record, naming its position.
   */
  loadRecords(
    model: AnyModel,
    records: Iterable<object> | AsyncIterable<object>,
    options?: LoadOptions,
  ): Promise<number>;
}

/** What a build produced. */
export interface BuildResult {
  /** The file written. */
  readonly path: string;
  /** Rows per table. */
  readonly rows: Readonly<Record<string, number>>;
  /** The metadata recorded in the file. */
  readonly metadata: BuildMetadata;
  /**
   * What the build did that is probably not what was meant, e.g. a
   * declared table that no loader loaded and no store wrote to, left
   * empty. The build still succeeded. (The CLI's summary marks a table
   * given no file the same way.)
   */
  readonly warnings: readonly string[];
}

const TEMP_SUFFIX = ".building";
const SIDE_FILES = ["-journal", "-wal", "-shm"];
/** How many foreign key violations a failed build lists. */
const LISTED_VIOLATIONS = 20;

/**
 * Removes the temporary files of earlier builds of the same target that
 * were killed: those no live build holds a lock on.
 */
async function removeStrayTemps(folder: string, base: string): Promise<void> {
  const pattern = new RegExp(
    `^\\.${escapeRegExp(base)}\\.[0-9a-f]{8}${
      escapeRegExp(TEMP_SUFFIX)
    }(-journal|-wal|-shm)?$`,
  );
  const mains: string[] = [];
  const sides: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const match = pattern.exec(entry.name);
    if (match === null || !entry.isFile) continue;
    (match[1] === undefined ? mains : sides).push(entry.name);
  }
  for (const name of mains) {
    const path = join(folder, name);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true });
    } catch {
      continue;
    }
    try {
      // A live build holds an exclusive lock on its temporary file.
      if (!(await file.tryLock(true))) continue;
      await Deno.remove(path).catch(() => {});
      for (const side of SIDE_FILES) {
        await Deno.remove(path + side).catch(() => {});
      }
    } finally {
      file.close();
    }
  }
  for (const name of sides) {
    const main = name.replace(/-(journal|wal|shm)$/, "");
    if (mains.includes(main)) continue;
    await Deno.remove(join(folder, name)).catch(() => {});
  }
}

function buildTime(): string {
  try {
    const state = Deno.permissions.querySync({
      name: "env",
      variable: "SOURCE_DATE_EPOCH",
    }).state;
    const epoch = state === "granted"
      ? Deno.env.get("SOURCE_DATE_EPOCH")
      : undefined;
    if (epoch !== undefined && /^\d+$/.test(epoch)) {
      return new Date(Number(epoch) * 1000).toISOString();
    }
  } catch {
    // No env access: the clock.
  }
  return new Date().toISOString();
}

/** Lists the rows whose foreign keys point nowhere, or `undefined`. */
function foreignKeyViolations(
  session: Session,
  action: string,
): string | undefined {
  const total = Number(session.value(FOREIGN_KEY_CHECK_COUNT, [], action));
  if (total === 0) return undefined;
  const keysOf = new Map<string, Map<number, ForeignKeySchema>>();
  const listed = readRows(
    session,
    FOREIGN_KEY_CHECK,
    [LISTED_VIOLATIONS],
    action,
  ).map(([child, rowid, parent, fkid]) => {
    const table = String(child);
    let keys = keysOf.get(table);
    if (keys === undefined) {
      keys = foreignKeys(session, table, action);
      keysOf.set(table, keys);
    }
    const key = keys.get(Number(fkid)) ??
      { columns: [], table: String(parent), to: [] };
    const id = rowid ?? null;
    const values = id === null
      ? []
      : key.columns.map((from) =>
        session.value(valueByRowidSql(table, from), [id], action)
      );
    const shown = key.columns.map((from, i) =>
      `${from} = ${
        typeof values[i] === "string"
          ? JSON.stringify(values[i])
          : String(values[i])
      }`
    ).join(", ");
    const to = key.to.some((column) => column !== null)
      ? ` (${key.to.map((column) => column ?? "?").join(", ")})`
      : "";
    return `${table} rowid ${rowid} (${shown}) -> ${parent}${to}`;
  });
  return `${total} row${total === 1 ? "" : "s"} reference${
    total === 1 ? "s" : ""
  } missing rows: ${listed.join("; ")}${
    total > listed.length ? `; and ${total - listed.length} more` : ""
  }`;
}

/**
 * Builds a dataset file atomically. A temporary file in the target's
 * folder gets the tables and indexes of every model; the callback fills
 * them through stores or the context's loaders (CSV, JSON Lines, records);
 * then foreign keys are checked once (a violation fails the build with a
 * list of the offending rows), `PRAGMA integrity_check` runs, a
 * {@linkcode BuildMetadata} record is written to
 * {@linkcode METADATA_TABLE}, `ANALYZE` runs (and `VACUUM`, when the fill
 * left free pages behind), the file is synced to disk, and one rename
 * replaces the target.
 *
 * A failure, an exception in the callback or a killed process leaves the
 * previous file byte for byte intact. The temporary file is removed on
 * failure, and the next build of the same target removes the ones killed
 * processes left (a live build keeps a lock on its own).
 *
 * While the callback runs, the dataset's stores write to the new file;
 * foreign keys are not enforced row by row, so tables load in any order.
 * A declared table that no loader loaded and no store wrote to is left
 * empty and named in the result's `warnings` (a warning rather than an
 * error: an empty table may be meant).
 * @param dataset The dataset whose models define the tables.
 * @param outPath The file to write; its folder must exist.
 * @param fill Writes the rows; its result (or what its promise resolves to) is
 * ignored.
 * @returns The path, the row counts and the metadata.
 * @throws {ModelIntegrityError} When a foreign key points nowhere.
 * @throws {DataSetError} When another build of the same dataset is running
 * in this process: builds of one dataset run one at a time, since the
 * dataset points at the file being built.
 * @throws {DataFileError} When a loaded file holds a bad value.
 * @throws {DataSetError} When the target's folder does not exist or cannot
 * be written, or the target is a directory.
 * @throws {TypeError} When a model declares the metadata table.
 *
 * @example Rows from stores
 * ```ts
 * import { DataSet, integer, SQLiteBindFactory, Store, text } from "@microcosm/sqlite";
 * import { buildDataSet } from "@microcosm/sqlite/build";
 * import assert from "node:assert/strict";
 *
 * const Tags = DataSet.create("doc_build");
 * class Tag extends Tags.Model("tag", { id: integer({ primaryKey: true }), name: text() }) {}
 * const dir = await Deno.makeTempDir();
 * const result = await buildDataSet(Tags, `${dir}/tags.sqlite`, async () => {
 *   await new Store(Tag).createMany([{ name: "a" }, { name: "b" }]);
 * });
 * assert.deepEqual(result.rows, { tag: 2 });
 *
 * Tags.bind(new SQLiteBindFactory({ paths: { doc_build: result.path } }));
 * assert.equal(await new Store(Tag).count(), 2);
 * await Tags.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example Rows from a CSV file
 * ```ts
 * import { boolean, DataSet, integer, SQLiteBindFactory, Store, text } from "@microcosm/sqlite";
 * import { buildDataSet } from "@microcosm/sqlite/build";
 * import assert from "node:assert/strict";
 *
 * const Shop = DataSet.create("doc_build_csv");
 * class Item extends Shop.Model("item", {
 *   id: integer({ primaryKey: true }),
 *   name: text(),
 *   inStock: boolean({ name: "in_stock" }),
 * }) {}
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/items.csv`, "id,name,in_stock\r\n1,bolt,yes\r\n2,\"nut, M6\",no\r\n");
 * const { metadata } = await buildDataSet(Shop, `${dir}/shop.sqlite`, async (build) => {
 *   await build.loadCsv(Item, `${dir}/items.csv`);
 * });
 * assert.equal(metadata.sources[0]!.file, "items.csv");
 *
 * Shop.bind(new SQLiteBindFactory({ paths: { doc_build_csv: `${dir}/shop.sqlite` } }));
 * assert.deepEqual((await new Store(Item).retrieve(2)).inStock, false);
 * await Shop.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example Rows from a JSON array, and a table left without a source
 * ```ts
 * import { DataSet, integer, text } from "@microcosm/sqlite";
import { buildDataSet } from "@microcosm/sqlite/build";
 * import assert from "node:assert/strict";
 *
 * const Geo = DataSet.create("doc_build_json");
 * class City extends Geo.Model("city", { id: integer({ primaryKey: true }), name: text() }) {}
 * Geo.Model("river", { id: integer({ primaryKey: true }) });
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/cities.json`, '[{"id": 1, "name": "Lyon"}, {"id": 2, "name": "Nice"}]');
 * const result = await buildDataSet(Geo, `${dir}/geo.sqlite`, async (build) => {
 *   await build.loadJson(City, `${dir}/cities.json`);
 * });
 * assert.deepEqual(result.rows, { city: 2, river: 0 });
 * assert.match(result.warnings[0]!, /table "river" is empty/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function buildDataSet(
  dataset: DataSet,
  outPath: string | URL,
  fill: (context: BuildContext) => unknown,
): Promise<BuildResult> {
  if (!(dataset instanceof DataSet)) {
    throw new TypeError(
      "Cannot build: expected a DataSet (from a models module importing this copy of @microcosm/sqlite)",
    );
  }
  if (typeof fill !== "function") {
    throw new TypeError(
      `Cannot build dataset "${dataset.name}": expected a fill function`,
    );
  }
  const models = dataset.models;
  for (const model of models) {
    if (foldIdentifier(model.tableName) === METADATA_TABLE) {
      throw new TypeError(
        `Cannot build dataset "${dataset.name}": the table name "${model.tableName}" is reserved for the build metadata`,
      );
    }
  }
  const target = resolve(
    localPath(outPath, `Cannot build dataset "${dataset.name}"`),
  );
  const folder = dirname(target);
  const action = `Cannot build dataset "${dataset.name}" into ${target}`;
  // A build points the dataset at its temporary file: a second build at
  // the same time would write into the first one's file, or close it.
  if (building.has(dataset)) {
    throw new DataSetError(
      `${action}: another build of this dataset is running in this process; builds of one dataset run one at a time (await the first)`,
      { dataset: dataset.name },
    );
  }
  building.add(dataset);
  try {
    return await buildInto(dataset, models, target, folder, action, fill);
  } finally {
    building.delete(dataset);
  }
}

/** The datasets being built in this process. */
const building = new WeakSet<DataSet>();

/** The build itself, once it is the only one of its dataset. */
async function buildInto(
  dataset: DataSet,
  models: readonly AnyModel[],
  target: string,
  folder: string,
  action: string,
  fill: (context: BuildContext) => unknown,
): Promise<BuildResult> {
  const temp = join(
    folder,
    `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}${TEMP_SUFFIX}`,
  );
  let lock: Deno.FsFile;
  try {
    const existing = await Deno.stat(target).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    });
    if (existing?.isDirectory) {
      throw new DataSetError(`${action}: the target is a directory`, {
        dataset: dataset.name,
      });
    }
    await removeStrayTemps(folder, basename(target));
    // The lock tells later builds this temporary file is not a stray.
    lock = await Deno.open(temp, { read: true, write: true, createNew: true });
  } catch (error) {
    throw fileSystemError(error, action, dataset.name, folder);
  }
  let done = false;
  try {
    await lock.lock(true);
    await dataset[REDIRECT](temp);
    const session = await dataset[SESSION]();
    // The temporary file is discarded on failure: no need for a journal on
    // disk or syncs before the final one.
    session.exec(BUILD_PRAGMAS, action);
    // Tables now; indexes after the rows, which builds them in one sort
    // instead of row by row.
    const schema = models.flatMap((model) => createTableSql(model));
    const indexes = schema.filter((sql) => sql.startsWith("CREATE INDEX"));
    session.exec(
      transactionSql(schema.filter((sql) => !indexes.includes(sql))),
      action,
    );

    const sources: BuildSource[] = [];
    /** The tables `loadRecords` loaded (files are in `sources`). */
    const loadedRecords = new Set<string>();
    const modelOf = (model: AnyModel, what: string): AnyModel => {
      if (
        typeof model !== "function" ||
        !models.some((m) => m.definition === model.definition)
      ) {
        throw new TypeError(
          `Cannot ${what}: the model is not declared on dataset "${dataset.name}"`,
        );
      }
      return model;
    };
    /** Loads one source file and records its hash and counts. */
    const loadFile = async (
      loader:
        | typeof loadCsvFile
        | typeof loadJsonLinesFile
        | typeof loadJsonArrayFile,
      model: AnyModel,
      file: string | URL,
      options: LoadCsvOptions | undefined,
    ): Promise<number> => {
      const path = localPath(
        file,
        `Cannot load a file into dataset "${dataset.name}"`,
      );
      const load: FileLoad = await loader(
        await dataset[SESSION](),
        modelOf(model, `load ${path}`),
        path,
        path,
        options,
      );
      sources.push({
        table: model.tableName,
        file: relative(folder, resolve(path)).split(sep).join("/"),
        sha256: load.sha256,
        bytes: load.bytes,
        rows: load.rows,
      });
      return load.rows;
    };
    const context: BuildContext = {
      dataset,
      path: temp,
      loadCsv: (model, file, options) =>
        loadFile(loadCsvFile, model, file, options),
      loadJsonLines: (model, file, options) =>
        loadFile(loadJsonLinesFile, model, file, options),
      loadJson: (model, file, options) =>
        loadFile(loadJsonArrayFile, model, file, options),
      loadRecords: async (model, records, options) => {
        const rows = await loadRecordIterable(
          await dataset[SESSION](),
          modelOf(model, "load records"),
          records,
          options,
        );
        loadedRecords.add(model.tableName);
        return rows;
      },
    };
    await fill(context);

    const final = await dataset[SESSION]();
    final.exec(transactionSql(indexes), action);
    // Search indexes are filled in one pass after the rows, merged into one
    // segment, and only then given the triggers that follow later writes.
    for (const model of models) {
      const search = model.definition.search;
      if (search === undefined) continue;
      final.exec(
        transactionSql([
          createSearchTableSql(model.tableName, search),
          rebuildSearchSql(search),
          optimizeSearchSql(search),
          ...searchTriggersSql(model.tableName, search),
        ]),
        action,
      );
    }
    // Geo indexes after the rows too: filled in one pass, then kept in sync.
    final.exec(transactionSql(models.flatMap(modelGeoIndexSql)), action);
    // No row that within() and nearest() could never find.
    for (const model of models) {
      checkGeoRange(final, model.definition, action);
    }
    const broken = foreignKeyViolations(final, action);
    if (broken !== undefined) {
      throw new ModelIntegrityError(`${action}: ${broken}`, {
        dataset: dataset.name,
      });
    }
    const problems = readRows(final, INTEGRITY_CHECK, [], action)
      .map(([message]) => String(message))
      .filter((message) => message !== "ok");
    if (problems.length > 0) {
      throw new DataSetError(
        `${action}: the integrity check failed: ${problems.join("; ")}`,
        { dataset: dataset.name },
      );
    }
    const rows: Record<string, number> = {};
    const warnings: string[] = [];
    for (const model of models) {
      const table = model.tableName;
      rows[table] = countRows(final, table, action);
      const loaded = loadedRecords.has(table) ||
        sources.some((source) => source.table === table);
      if (rows[table] === 0 && !loaded) {
        warnings.push(
          `table "${table}" is empty: no source was loaded into it and the fill wrote no row`,
        );
      }
    }
    // The file's content hash goes where this placeholder is, once the
    // file is finished (see _hash.ts for why it is not simply written).
    const placeholder = placeholderHash();
    let metadata: BuildMetadata = {
      dataset: dataset.name,
      builtAt: buildTime(),
      library: LIBRARY,
      libraryVersion: VERSION,
      sqliteVersion: final.engine.version,
      tables: rows,
      sources,
      sha256: placeholder,
      nulText: nulTextCensus(final, models, action),
    };
    final.exec(createMetadataSql(METADATA_TABLE), action);
    for (const [key, value] of Object.entries(metadata)) {
      final.run(
        insertMetadataSql(METADATA_TABLE),
        [key, JSON.stringify(value)],
        action,
      );
    }
    final.exec(ANALYZE, action);
    // VACUUM rewrites the whole file (about 1 s per 50 MB here) and gains
    // nothing when no page is free: rows appended in one pass and indexes
    // built after them leave none. A fill that deleted or rewrote rows does.
    // VACUUM needs ATTACH, which an engine may refuse (Deno's node:sqlite,
    // unless every permission is granted): the file then keeps its free pages.
    if (
      final.engine.attaches &&
      Number(final.value(FREELIST_COUNT, [], action)) > 0
    ) {
      final.exec(VACUUM, action);
    }
    await dataset[REDIRECT](undefined);
    const offsets: number[] = [];
    const sha256 = await hashFile(
      temp,
      placeholder,
      undefined,
      (offset) => offsets.push(offset),
    );
    await writeRecordedHash(temp, offsets, sha256);
    metadata = { ...metadata, sha256 };
    await lock.sync();
    try {
      await Deno.rename(temp, target);
    } catch (error) {
      throw fileSystemError(error, action, dataset.name, folder);
    }
    done = true;
    await syncFolder(folder);
    return { path: target, rows, metadata, warnings };
  } finally {
    if (!done) {
      await dataset[REDIRECT](undefined);
      await Deno.remove(temp).catch(() => {});
      for (const suffix of SIDE_FILES) {
        await Deno.remove(temp + suffix).catch(() => {});
      }
    }
    lock.close();
  }
}

/**
 * The NUL census of every model table ({@linkcode BuildMetadata.nulText}):
 * its columns that can hold text, and those holding text with a NUL, in
 * one scan of each table that has such columns.
 */
export function nulTextCensus(
  session: Session,
  models: readonly AnyModel[],
  action: string,
): Record<string, NulTextRecord> {
  const census: Record<string, NulTextRecord> = {};
  for (const model of models) {
    const { keys, columns } = model.definition;
    const names = keys.flatMap((key) => {
      const column = columns[key]!;
      const type = kindOf(column).sqlType;
      return type === "TEXT" || type === "ANY" ? [column.bound.name] : [];
    });
    census[model.tableName] = {
      columns: names,
      holding: holdingNul(session, model.tableName, names, action),
    };
  }
  return census;
}

/** Those of `columns` (SQL names) of `table` holding text with a NUL. */
export function holdingNul(
  session: Session,
  table: string,
  columns: readonly string[],
  action: string,
): string[] {
  if (columns.length === 0) return [];
  const [row] = readRows(
    session,
    nulColumnsSql(table, columns.map(quote)),
    [],
    action,
  );
  return columns.filter((_, i) => Number(row?.[i]) === 1);
}

/**
 * A file-system failure of the build's own work (not of the fill) as a
 * `DataSetError` saying what was wrong with the target's folder.
 */
function fileSystemError(
  error: unknown,
  action: string,
  dataset: string,
  folder: string,
): unknown {
  if (!(error instanceof Error) || error instanceof SQLiteError) return error;
  const reason = error instanceof Deno.errors.NotFound && !exists(folder)
    ? `the folder does not exist: ${folder}`
    : error instanceof Deno.errors.NotCapable
    ? `access to ${folder} is not granted (run Deno with --allow-read and --allow-write for it)`
    : error instanceof Deno.errors.PermissionDenied
    ? `the operating system denies writing in ${folder}`
    : error.message;
  return new DataSetError(`${action}: ${reason}`, { dataset, cause: error });
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Makes a rename durable where the platform allows syncing a folder. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await Deno.open(folder, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // Not every platform can open or sync a folder.
  }
}
