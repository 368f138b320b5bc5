/**
 * Swapping a dataset's file while it serves: the checks a new version
 * passes before anything switches, and the watch that notices a file
 * replaced by rename. `DataSet.reload` and `DataSet.watch` use them.
 *
 * @module
 */
import { kindOf } from "./_kinds.ts";
import { identityOfInfo } from "./_rules.ts";
import { checkModelTable, findTable } from "./_schema.ts";
import type { Session } from "./_session.ts";
import { METADATA_TABLE, metadataFields } from "./metadata.ts";
import type { AnyModel, ModelDefinition } from "./model.ts";

/**
 * Keeps a store's reads right on both versions while they serve side by
 * side. A store takes the read hints of the session its latest query
 * started on, and iterators on the old session keep reading with them; a
 * STRICT hint (one call, no type check) read on a file that is not STRICT
 * would turn a cell of another storage class into a wrong value instead of
 * an error. So where the two versions' hints for a model differ, the new
 * session takes the kinds' plain hints, right on any file.
 */
function sameHints(
  fresh: Session,
  serving: Session | undefined,
  definition: ModelDefinition,
): void {
  const before = serving?.checkedModels.get(definition);
  const after = fresh.checkedModels.get(definition);
  if (before === undefined || after === undefined) return;
  if (before.every((hint, i) => hint === after[i])) return;
  fresh.checkedModels.set(
    definition,
    definition.keys.map((key) => kindOf(definition.columns[key]!).hint),
  );
}

/**
 * Checks a newly opened version of a dataset before it replaces `serving`:
 * every model's table and columns (the check stores run at first use, run
 * now for all), and the build metadata: readable, present when the serving
 * file has it, and counting rows for every model table it was built with.
 * @throws {DataSetError} From the model checks.
 * @throws {Error} With the reason, for the metadata.
 */
export function checkNewVersion(
  fresh: Session,
  models: readonly AnyModel[],
  serving: Session | undefined,
): void {
  for (const model of models) {
    checkModelTable(fresh, model.definition);
    sameHints(fresh, serving, model.definition);
  }
  const action = `Cannot reload dataset "${fresh.dataset}"`;
  const metadata = metadataFields(fresh, action);
  if (metadata === undefined) {
    if (serving !== undefined && !serving.closed) {
      const before = findTable(serving, METADATA_TABLE, action);
      if (before !== undefined) {
        throw new Error(
          `the new file has no build metadata (${METADATA_TABLE}), while the file serving now has: it was not built by buildDataSet`,
        );
      }
    }
    return;
  }
  const tables = metadata.tables;
  if (tables !== undefined) {
    if (typeof tables !== "object" || tables === null) {
      throw new Error("its build metadata's tables field is not an object");
    }
    for (const model of models) {
      if (!Object.hasOwn(tables, model.tableName)) {
        throw new Error(
          `its build metadata records no table "${model.tableName}": the file was built from other models`,
        );
      }
    }
  }
}

/** How `DataSet.watch` watches the bound file. */
export interface WatchOptions {
  /**
   * How often to check the file's identity (device, inode, size and
   * modification time), in milliseconds. Checks run on a timer, never on
   * the query path; the timer does not keep the process alive.
   * @default {1000}
   */
  intervalMs?: number;
  /**
   * Called after the watch reloaded the dataset.
   * @default {undefined}
   */
  onReload?: () => void;
  /**
   * Called with the error when a reload the watch started fails (the old
   * file keeps serving; the watch tries again once the file changes
   * again).
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
}

/** A running watch: stop it, or let `using` stop it. */
export interface Watch extends Disposable {
  /** Stops watching; idempotent. */
  stop(): void;
}

/**
 * A file's identity, the way a rename changes it: device, inode, size and
 * modification time; `undefined` when it cannot be read.
 */
export async function identityOf(path: string): Promise<string | undefined> {
  try {
    return identityOfInfo(await Deno.stat(path));
  } catch {
    return undefined;
  }
}
