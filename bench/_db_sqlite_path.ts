/**
 * Stands in for `jsr:@std/path` when the benchmark imports `@db/sqlite`
 * from a local checkout (see `db_sqlite_map.json`): the one function its
 * `deps.ts` takes from it. Not `node:url`'s `fileURLToPath`: the first
 * `node:` import of a process loads Deno's Node layer (about 5 ms), which
 * the real `@std/path` (plain TypeScript) never costs `@db/sqlite`, so the
 * cold-start baseline would look slower than it is.
 *
 * @module
 */
import { fileUrlPath } from "../src/_paths.ts";

/**
 * The local path of a `file:` URL.
 * @param url A `file:` URL, as text or object.
 * @returns The path.
 */
export function fromFileUrl(url: string | URL): string {
  return fileUrlPath(url instanceof URL ? url : new URL(url));
}
