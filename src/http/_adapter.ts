/**
 * The one place the handler reaches library features that the `core`
 * branch adds (an `AbortSignal` and a time budget on store queries, an
 * `onQuery` hook, `dataset.contentHash()`). Until they land, this module
 * stands in for them: the content hash is computed here, streamed, once
 * per file version (path, size and modification time); signals and
 * budgets are checked between the handler's own steps.
 *
 * TODO(core): pass `signal`/`timeoutMs`/`onQuery` into store queries and
 * dumpers, and read `dataset.contentHash()`, once core phase 1 lands.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { DataSet } from "../dataset.ts";

/** What one request allows its queries: a deadline. */
export interface QueryBudget {
  /** Whether the time budget has run out. */
  expired(): boolean;
}

/**
 * The time budget, checked between a request's queries. TODO(core): make
 * it `AbortSignal.any([request.signal, AbortSignal.timeout(ms)])` and pass
 * it to every store query once they take a signal (reading
 * `request.signal` now would only print Deno's legacy-abort notice, as
 * nothing could stop a query with it); a streamed export already stops
 * when the client goes away, as its body stream is cancelled.
 */
export function budget(_request: Request, timeoutMs: number): QueryBudget {
  const deadline = performance.now() + timeoutMs;
  return { expired: () => performance.now() > deadline };
}

interface Hashed {
  readonly key: string;
  readonly hash: Promise<string | undefined>;
}

const hashes = new WeakMap<DataSet, Hashed>();

/**
 * The SHA-256 of the dataset's file (hex), or `undefined` for an in-memory
 * or bytes dataset, or one whose file is writable (it may change between
 * two requests without a new version).
 */
export async function contentHash(
  dataset: DataSet,
): Promise<string | undefined> {
  const path = dataset.path;
  if (path === ":memory:" || path === ":bytes:" || !dataset.readOnly) {
    return undefined;
  }
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch {
    return undefined;
  }
  const key = `${path}\0${stat.size}\0${stat.mtime?.getTime()}`;
  const known = hashes.get(dataset);
  if (known !== undefined && known.key === key) return known.hash;
  const hash = hashFile(path).catch(() => undefined);
  hashes.set(dataset, { key, hash });
  return hash;
}

async function hashFile(path: string): Promise<string> {
  const digest = createHash("sha256");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) digest.update(chunk);
  return digest.digest("hex");
}
