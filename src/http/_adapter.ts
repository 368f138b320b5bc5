/**
 * How a request's queries run: the client's signal, what is left of the
 * time budget, and the `onQuery` hook, as the store's `RunOptions`; and
 * the content hash that makes the ETag.
 *
 * @module
 */
import { type DataSet, SESSION } from "../dataset.ts";
import type { Session } from "../_session.ts";
import type { QueryHook, RunOptions } from "../run.ts";

/** What one request allows its queries. */
export interface QueryBudget {
  /** Whether the time budget has run out. */
  expired(): boolean;
  /**
   * The run options of the request's next query: the time left (at least
   * 1 ms: an expired budget is checked before), the hook, and for a query
   * that may run long (`long`: a count, a facet, the client's SQL) the
   * client's signal.
   */
  options(long?: boolean): RunOptions;
}

/** The request's signal, its time budget and the handler's hook. */
export function budget(
  request: Request,
  timeoutMs: number,
  onQuery: QueryHook | undefined,
): QueryBudget {
  const deadline = performance.now() + timeoutMs;
  return {
    expired: () => performance.now() >= deadline,
    // A page, a search, a box or nearby rows read at most a page through
    // an index, within the budget; following the client's signal there
    // cost 5-10 % of the server's CPU per request on bench/http.ts (Deno
    // makes the signal, then aborts it after every response).
    options: (long = false) => ({
      ...(long ? { signal: request.signal } : {}),
      timeoutMs: Math.max(1, deadline - performance.now()),
      ...(onQuery === undefined ? {} : { onQuery }),
    }),
  };
}

/**
 * The dataset's content hash (`dataset.contentHash()`: computed once per
 * opened file, or read from its build metadata), or `undefined` when its
 * data may change under it (writable, `immutable: false`: the hash would
 * have to be computed again for every request), when it is in memory, or
 * when the file was replaced since it was opened (no ETag rather than a
 * wrong one).
 */
export async function contentHash(
  dataset: DataSet,
): Promise<string | undefined> {
  const session = await dataset[SESSION]();
  if (!session.readOnly || !session.fixedSchema) return undefined;
  try {
    return await dataset.contentHash();
  } catch {
    return undefined;
  }
}

/**
 * The version of a dataset's data that a request reads: the session
 * (another one after a reload) and its file's generation (moved by a
 * change in place of a file opened `immutable: false`).
 */
export interface DataVersion {
  readonly session: Session;
  readonly generation: number;
}

/**
 * The version a dataset's next query reads (opening it if closed): at
 * once when it is open, so a request that reads it pays no await.
 */
export function versionOf(
  dataset: DataSet,
): DataVersion | Promise<DataVersion> {
  const session = dataset[SESSION]();
  return session instanceof Promise
    ? session.then((opened) => ({
      session: opened,
      generation: opened.generation,
    }))
    : { session, generation: session.generation };
}

/**
 * Whether the dataset still serves `before`: an answer combined from
 * several queries (a page, its total, its facets; a listing's counts)
 * read one version only if it did from before the first to after the
 * last.
 */
export function stillServes(
  dataset: DataSet,
  before: DataVersion,
): boolean | Promise<boolean> {
  const now = versionOf(dataset);
  return now instanceof Promise
    ? now.then((version) => sameVersion(version, before))
    : sameVersion(now, before);
}

function sameVersion(a: DataVersion, b: DataVersion): boolean {
  return a.session === b.session && a.generation === b.generation;
}
