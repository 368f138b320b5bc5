/**
 * The one place the handler reaches library features that the `core`
 * branch adds (an `AbortSignal` and a time budget on store queries, an
 * `onQuery` hook, `dataset.contentHash()`). Until they land, this module
 * stands in for them: the content hash is computed here, streamed, once
 * per opened version of the file; the time budget is checked between the
 * handler's own steps.
 *
 * TODO(core): pass `signal`/`timeoutMs`/`onQuery` into store queries and
 * dumpers, and read `dataset.contentHash()`, once core phase 1 lands.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type DataSet, SESSION } from "../dataset.ts";
import type { Session } from "../_session.ts";

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

const hashes = new WeakMap<Session, Promise<string | undefined>>();

/**
 * The SHA-256 of the file the dataset has open (hex), computed once per
 * opened version (per session: reopening after a swap computes it
 * again), or `undefined` when its data may change under it (writable,
 * `immutable: false`) or it is not a file (in memory, bytes).
 */
export async function contentHash(
  dataset: DataSet,
): Promise<string | undefined> {
  const session = await dataset[SESSION]();
  let hash = hashes.get(session);
  if (hash === undefined) {
    hash = session.fixedSchema && session.readOnly &&
        session.path !== ":memory:" && session.path !== ":bytes:"
      ? hashFile(session.path).catch(() => undefined)
      : Promise.resolve(undefined);
    hashes.set(session, hash);
  }
  return hash;
}

async function hashFile(path: string): Promise<string> {
  const digest = createHash("sha256");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) digest.update(chunk);
  return digest.digest("hex");
}
