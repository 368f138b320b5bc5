/**
 * Building dataset files atomically, from stores, records, CSV and JSON
 * Lines files.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { SQLValue } from "./_engine.ts";
import type { Session } from "./_session.ts";
import { LIBRARY, VERSION } from "./_version.ts";
import { quote } from "./columns.ts";
import { createTableSql, DataSet, REDIRECT, SESSION } from "./dataset.ts";
import { DataSetError, ModelIntegrityError } from "./errors.ts";
import {
  type FileLoad,
  loadCsvFile,
  type LoadCsvOptions,
  loadJsonLinesFile,
  type LoadOptions,
  loadRecordIterable,
} from "./load.ts";
import {
  type BuildMetadata,
  type BuildSource,
  METADATA_TABLE,
} from "./metadata.ts";
import type { AnyModel } from "./model.ts";

// The metadata's home is ./metadata.ts (the runtime reads it without
// loading the build); these names stay importable from here.
export {
  type BuildMetadata,
  type BuildSource,
  METADATA_TABLE,
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
   * @throws {DataFileError} On a bad value, naming file, line, column and value.
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
   * @throws {DataFileError} On a bad line or value.
   */
  loadJsonLines(
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
}

const TEMP_SUFFIX = ".building";
const SIDE_FILES = ["-journal", "-wal", "-shm"];
/** How many foreign key violations a failed build lists. */
const LISTED_VIOLATIONS = 20;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

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

function toPath(file: string | URL): string {
  return file instanceof URL ? fileURLToPath(file) : file;
}

/** Lists the rows whose foreign keys point nowhere, or `undefined`. */
async function foreignKeyViolations(
  dataset: DataSet,
  session: Session,
  action: string,
): Promise<string | undefined> {
  const listed: string[] = [];
  let total = 0;
  for await (
    const row of dataset
      .sql`SELECT "table" AS child, rowid, parent, fkid FROM pragma_foreign_key_check`
  ) {
    total++;
    if (listed.length >= LISTED_VIOLATIONS) continue;
    const child = String(row.child);
    const keys: { from: string; to: string | null }[] = [];
    for await (
      const key of dataset
        .sql`SELECT "from", "to" FROM pragma_foreign_key_list(${child}) WHERE id = ${
        row.fkid ?? null
      } ORDER BY seq`
    ) {
      keys.push({ from: String(key.from), to: key.to as string | null });
    }
    const values = row.rowid === null ? [] : keys.map((key) =>
      session.value(
        `SELECT ${quote(key.from)} FROM ${quote(child)} WHERE rowid = ?`,
        [row.rowid as SQLValue],
        action,
      )
    );
    const shown = keys.map((key, i) =>
      `${key.from} = ${
        typeof values[i] === "string"
          ? JSON.stringify(values[i])
          : String(values[i])
      }`
    ).join(", ");
    const to = keys.some((key) => key.to !== null)
      ? ` (${keys.map((key) => key.to ?? "?").join(", ")})`
      : "";
    listed.push(
      `${child} rowid ${row.rowid} (${shown}) -> ${row.parent}${to}`,
    );
  }
  if (total === 0) return undefined;
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
 * @param dataset The dataset whose models define the tables.
 * @param outPath The file to write; its folder must exist.
 * @param fill Writes the rows; its result (or what its promise resolves to) is
 * ignored.
 * @returns The path, the row counts and the metadata.
 * @throws {ModelIntegrityError} When a foreign key points nowhere.
 * @throws {DataFileError} When a loaded file holds a bad value.
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
    if (model.tableName.toLowerCase() === METADATA_TABLE) {
      throw new TypeError(
        `Cannot build dataset "${dataset.name}": the table name "${model.tableName}" is reserved for the build metadata`,
      );
    }
  }
  const target = resolve(toPath(outPath));
  const folder = dirname(target);
  const action = `Cannot build dataset "${dataset.name}" into ${target}`;
  await removeStrayTemps(folder, basename(target));
  const temp = join(
    folder,
    `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}${TEMP_SUFFIX}`,
  );
  // The lock tells later builds this temporary file is not a stray.
  const lock = await Deno.open(temp, {
    read: true,
    write: true,
    createNew: true,
  });
  let done = false;
  try {
    await lock.lock(true);
    await dataset[REDIRECT](temp);
    const session = await dataset[SESSION]();
    // The temporary file is discarded on failure: no need for a journal on
    // disk or syncs before the final one.
    session.exec(
      "PRAGMA foreign_keys=OFF; PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; PRAGMA cache_size=-2000; PRAGMA mmap_size=0",
      action,
    );
    // Tables now; indexes after the rows, which builds them in one sort
    // instead of row by row.
    const schema = models.flatMap((model) => createTableSql(model));
    const indexes = schema.filter((sql) => sql.startsWith("CREATE INDEX"));
    session.exec(
      ["BEGIN", ...schema.filter((sql) => !indexes.includes(sql)), "COMMIT"]
        .join(";\n"),
      action,
    );

    const sources: BuildSource[] = [];
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
      loader: typeof loadCsvFile | typeof loadJsonLinesFile,
      model: AnyModel,
      file: string | URL,
      options: LoadCsvOptions | undefined,
    ): Promise<number> => {
      const path = toPath(file);
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
      loadRecords: async (model, records, options) =>
        await loadRecordIterable(
          await dataset[SESSION](),
          modelOf(model, "load records"),
          records,
          options,
        ),
    };
    await fill(context);

    const final = await dataset[SESSION]();
    final.exec(["BEGIN", ...indexes, "COMMIT"].join(";\n"), action);
    const broken = await foreignKeyViolations(dataset, final, action);
    if (broken !== undefined) {
      throw new ModelIntegrityError(`${action}: ${broken}`, {
        dataset: dataset.name,
      });
    }
    const problems: string[] = [];
    for await (const row of dataset.sql`PRAGMA integrity_check`) {
      const message = String(Object.values(row)[0]);
      if (message !== "ok") problems.push(message);
    }
    if (problems.length > 0) {
      throw new DataSetError(
        `${action}: the integrity check failed: ${problems.join("; ")}`,
        { dataset: dataset.name },
      );
    }
    const rows: Record<string, number> = {};
    for (const model of models) {
      rows[model.tableName] = Number(
        final.value(
          `SELECT count(*) FROM ${quote(model.tableName)}`,
          [],
          action,
        ),
      );
    }
    const metadata: BuildMetadata = {
      dataset: dataset.name,
      builtAt: buildTime(),
      library: LIBRARY,
      libraryVersion: VERSION,
      sqliteVersion: final.engine.version,
      tables: rows,
      sources,
    };
    final.exec(
      `CREATE TABLE ${
        quote(METADATA_TABLE)
      } (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      action,
    );
    for (const [key, value] of Object.entries(metadata)) {
      final.run(
        `INSERT INTO ${quote(METADATA_TABLE)} (key, value) VALUES (?, ?)`,
        [key, JSON.stringify(value)],
        action,
      );
    }
    final.exec("ANALYZE", action);
    // VACUUM rewrites the whole file (about 1 s per 50 MB here) and gains
    // nothing when no page is free: rows appended in one pass and indexes
    // built after them leave none. A fill that deleted or rewrote rows does.
    if (Number(final.value("PRAGMA freelist_count", [], action)) > 0) {
      try {
        final.exec("VACUUM", action);
      } catch (error) {
        // Deno's node:sqlite refuses ATTACH (which VACUUM uses) unless every
        // permission is granted; the file then keeps its free pages.
        if (!/too many attached databases/.test(String(error))) throw error;
      }
    }
    await dataset[REDIRECT](undefined);
    await lock.sync();
    await Deno.rename(temp, target);
    done = true;
    await syncFolder(folder);
    return { path: target, rows, metadata };
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
