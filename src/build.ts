/**
 * Building dataset files atomically.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type DataSet, REDIRECT, SESSION } from "./dataset.ts";
import { ModelIntegrityError } from "./errors.ts";

/** What a build callback receives. */
export interface BuildContext {
  /** The dataset being built; its stores write to the new file. */
  readonly dataset: DataSet;
  /** The temporary file being written (renamed over the target at the end). */
  readonly path: string;
}

/** What a build produced. */
export interface BuildResult {
  /** The file written. */
  readonly path: string;
  /** Rows per table. */
  readonly rows: Readonly<Record<string, number>>;
}

/**
 * Builds a dataset file atomically: a temporary file beside the target gets
 * the tables of every model, the rows the callback writes through stores,
 * a foreign key check, `ANALYZE` and `VACUUM`; then one rename replaces the
 * target. On any failure the target is untouched and the temporary file is
 * removed. While the callback runs, the dataset's stores write to the new
 * file.
 * @param dataset The dataset whose models define the tables.
 * @param outPath The file to write.
 * @param fill Writes the rows.
 * @returns The path and the row counts.
 * @throws {ModelIntegrityError} When a foreign key points nowhere.
 *
 * @example
 * ```ts
 * import { buildDataSet, DataSet, integer, SQLiteBindFactory, Store, text } from "@microcosm/sqlite";
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
 * ```
 */
export async function buildDataSet(
  dataset: DataSet,
  outPath: string | URL,
  fill: (context: BuildContext) => void | Promise<void>,
): Promise<BuildResult> {
  const target = resolve(
    outPath instanceof URL ? fileURLToPath(outPath) : outPath,
  );
  const temp = join(
    dirname(target),
    `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}.building`,
  );
  const action = `Cannot build dataset "${dataset.name}" into ${target}`;
  await dataset[REDIRECT](temp);
  let done = false;
  try {
    await dataset.createAll();
    await fill({ dataset, path: temp });
    const session = await dataset[SESSION]();
    const broken: string[] = [];
    for await (
      const row of dataset
        .sql`SELECT "table", rowid, parent FROM pragma_foreign_key_check`
    ) {
      if (broken.length < 20) {
        broken.push(`${row.table} rowid ${row.rowid} -> ${row.parent}`);
      }
    }
    if (broken.length > 0) {
      throw new ModelIntegrityError(
        `${action}: foreign keys point nowhere: ${broken.join("; ")}`,
        { dataset: dataset.name },
      );
    }
    const rows: Record<string, number> = {};
    for (const model of dataset.models) {
      rows[model.tableName] = Number(
        session.value(
          `SELECT count(*) FROM "${model.tableName.replaceAll('"', '""')}"`,
          [],
          action,
        ),
      );
    }
    session.exec("ANALYZE", action);
    session.exec("VACUUM", action);
    await dataset[REDIRECT](undefined);
    const file = await Deno.open(temp, { read: true, write: true });
    try {
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, target);
    done = true;
    return { path: target, rows };
  } finally {
    if (!done) {
      await dataset[REDIRECT](undefined);
      for (const suffix of ["", "-journal", "-wal", "-shm"]) {
        await Deno.remove(temp + suffix).catch(() => {});
      }
    }
  }
}
