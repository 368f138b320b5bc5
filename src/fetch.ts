/**
 * Fetching a dataset's file by content hash into a local cache folder.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PinnedFile } from "./_pin.ts";
import { checkSha256, misplacedContent } from "./_rules.ts";
import { DataSetError } from "./errors.ts";

/** A dataset file published at a URL, named by its SHA-256. */
export interface RemoteDataSet {
  /** Where the file is published: an `http:` or `https:` URL. */
  readonly url: string | URL;
  /** The file's plain SHA-256, 64 hex digits (what `sha256sum` prints). */
  readonly sha256: string;
  /**
   * Request headers, e.g. an `Authorization` for a private bucket (a
   * signed URL needs none).
   * @default {undefined}
   */
  readonly headers?: HeadersInit;
}

/** A file in the cache: what {@linkcode fetchDataSet} returns, to bind. */
export interface CachedFile extends PinnedFile {
  /** The cached file's path: `<cacheDir>/<sha256>.sqlite`. */
  readonly path: string;
}

/** Options of {@linkcode fetchDataSet}. */
export interface FetchDataSetOptions {
  /**
   * The cache folder: files are kept there as `<sha256>.sqlite`, written
   * through temporary files (`<sha256>.<random>.part`) in the same folder
   * and renamed into place. Created when missing. Needs `--allow-read` and
   * `--allow-write` on it.
   */
  cacheDir: string | URL;
  /**
   * Aborts the download; the promise rejects with the signal's reason and
   * nothing reaches the cache.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** The first 100 bytes of a SQLite database file start with this. */
const HEADER = new TextEncoder().encode("SQLite format 3\0");

/** Why a download cannot be the file: the words a failure uses. */
function describeHead(head: Uint8Array, response: Response): string {
  const misplaced = misplacedContent(head);
  if (misplaced !== undefined) return `the server sent ${misplaced}`;
  const type = response.headers.get("content-type") ?? "";
  if (/text\/html/i.test(type)) {
    return `the server sent an HTML page (content-type ${type}), not a SQLite database`;
  }
  return "the server sent something that is not a SQLite database (wrong header)";
}

/** The size a database's header says it has, or `undefined`. */
function headerSize(head: Uint8Array): number | undefined {
  if (head.length < 100) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, 100);
  let pageSize = view.getUint16(16);
  if (pageSize === 1) pageSize = 65536;
  const pages = view.getUint32(28);
  // The page count is valid only when the two change counters agree.
  if (view.getUint32(24) !== view.getUint32(92) || pages === 0) {
    return undefined;
  }
  return pageSize * pages;
}

/**
 * Makes sure a dataset file published by content hash is in the local
 * cache folder, and returns the `{ path, sha256 }` to bind it to. A cached
 * copy is used as it is, with no network at all (so a replica starts
 * offline once it has the file); otherwise the file is streamed into a
 * temporary file in the cache folder, its SHA-256 and SQLite header are
 * checked, and it is renamed into place. A wrong hash, a truncated
 * download, an HTML page or a Git LFS pointer never reaches the cache, and
 * the error says which. Two processes fetching the same file at once both
 * end with the one correct copy (each writes its own temporary file; the
 * rename is atomic). Binding the result pins the file, so its SHA-256 is
 * checked again when the dataset opens.
 *
 * Permissions: exactly `--allow-net=<host>` (every host a redirect goes
 * to, too) and `--allow-read=<cacheDir> --allow-write=<cacheDir>`.
 * @param remote The URL, the file's SHA-256 and optional headers.
 * @param options The cache folder and an abort signal.
 * @returns The cached file's path and SHA-256, ready for
 * `SQLiteBindFactory.set` or `DataSet.reload`.
 * @throws {DataSetError} When the file is not cached and cannot be
 * fetched (offline, an HTTP error), or the download is not the file.
 * @throws {TypeError} When the URL is not `http:`/`https:` or the SHA-256
 * is not 64 hex digits.
 *
 * @example Fetch once, then start from the cache with no network
 * ```ts
 * import { DataSet, integer, SQLiteBindFactory, Store } from "@microcosm/sqlite";
 * import { buildDataSet } from "@microcosm/sqlite/build";
 * import { fetchDataSet } from "@microcosm/sqlite/fetch";
 * import assert from "node:assert/strict";
 *
 * // Publish a built file on a local server (object storage in production).
 * const Tiles = DataSet.create("doc_fetch");
 * class Tile extends Tiles.Model("tile", { id: integer({ primaryKey: true }) }) {}
 * const dir = await Deno.makeTempDir();
 * await buildDataSet(Tiles, `${dir}/tiles.sqlite`, (build) => build.loadRecords(Tile, [{ id: 1 }]));
 * const bytes = await Deno.readFile(`${dir}/tiles.sqlite`);
 * const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
 * const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response(bytes));
 * const url = `http://127.0.0.1:${server.addr.port}/${sha256}.sqlite`;
 *
 * const pinned = await fetchDataSet({ url, sha256 }, { cacheDir: `${dir}/cache` });
 * assert.equal(pinned.path, `${dir}/cache/${sha256}.sqlite`);
 * await server.shutdown();
 * // Offline now: the cached copy is used.
 * const again = await fetchDataSet({ url, sha256 }, { cacheDir: `${dir}/cache` });
 * Tiles.bind(new SQLiteBindFactory().set("doc_fetch", again));
 * assert.equal(await new Store(Tile).count(), 1);
 * await Tiles.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function fetchDataSet(
  remote: RemoteDataSet,
  options: FetchDataSetOptions,
): Promise<CachedFile> {
  const action = "Cannot fetch dataset file";
  if (typeof remote !== "object" || remote === null) {
    throw new TypeError(`${action}: expected { url, sha256 }`);
  }
  const sha256 = checkSha256(remote.sha256, action);
  let url: URL;
  try {
    url = new URL(remote.url);
  } catch {
    throw new TypeError(
      `${action}: ${JSON.stringify(String(remote.url))} is not a URL`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `${action}: ${url.href} is not an http: or https: URL (bind a local file as { path, sha256 })`,
    );
  }
  if (options?.cacheDir === undefined) {
    throw new TypeError(`${action}: the cacheDir option is required`);
  }
  const cacheDir = options.cacheDir instanceof URL
    ? fileURLToPath(options.cacheDir)
    : options.cacheDir;
  const path = join(cacheDir, `${sha256}.sqlite`);
  const where = `${action} ${url.href} (sha256 ${sha256})`;
  try {
    if ((await Deno.stat(path)).isFile) return { path, sha256 };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new DataSetError(
        `${where}: cannot read the cache folder ${cacheDir}: ${
          (error as Error).message
        } (grant --allow-read=${cacheDir} --allow-write=${cacheDir})`,
        { cause: error },
      );
    }
  }
  options.signal?.throwIfAborted();
  let response: Response;
  try {
    response = await fetch(url, {
      ...(remote.headers === undefined ? {} : { headers: remote.headers }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new DataSetError(
      `${where}: no cached copy in ${cacheDir}, and the download failed: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DataSetError(
      `${where}: the server answered ${response.status} ${response.statusText} (no cached copy in ${cacheDir})`,
    );
  }
  try {
    await Deno.mkdir(cacheDir, { recursive: true });
  } catch (error) {
    await response.body?.cancel();
    throw new DataSetError(
      `${where}: cannot create the cache folder ${cacheDir}: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  const part = join(cacheDir, `${sha256}.${crypto.randomUUID()}.part`);
  try {
    await download(response, part, sha256, where);
    await Deno.rename(part, path);
  } catch (error) {
    await Deno.remove(part).catch(() => {});
    if (options.signal?.aborted) throw options.signal.reason;
    throw error;
  }
  return { path, sha256 };
}

/**
 * Streams a response into `part` and checks it: length, header, hash;
 * throws a `DataSetError` naming what the download was instead.
 */
async function download(
  response: Response,
  part: string,
  sha256: string,
  where: string,
): Promise<void> {
  const hash = createHash("sha256");
  const head = new Uint8Array(512);
  let size = 0;
  const file = await Deno.open(part, { write: true, createNew: true });
  try {
    if (response.body !== null) {
      for await (const chunk of response.body) {
        if (size < head.length) {
          head.set(chunk.subarray(0, head.length - size), size);
        }
        size += chunk.length;
        hash.update(chunk);
        let written = 0;
        while (written < chunk.length) {
          written += await file.write(chunk.subarray(written));
        }
      }
    }
    await file.sync();
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") {
      throw error;
    }
    throw new DataSetError(
      `${where}: the download broke off after ${size} bytes (truncated): ${
        (error as Error).message
      }`,
      { cause: error },
    );
  } finally {
    file.close();
  }
  const first = head.subarray(0, Math.min(size, head.length));
  const isSqlite = first.length >= HEADER.length &&
    HEADER.every((byte, i) => first[i] === byte);
  if (!isSqlite) {
    throw new DataSetError(`${where}: ${describeHead(first, response)}`);
  }
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (Number.isSafeInteger(declared) && size < declared) {
    throw new DataSetError(
      `${where}: the download is truncated (${size} of the ${declared} bytes the server announced)`,
    );
  }
  const expected = headerSize(first);
  if (expected !== undefined && size < expected) {
    throw new DataSetError(
      `${where}: the download is truncated (${size} bytes; the database header says ${expected})`,
    );
  }
  const actual = hash.digest("hex");
  if (actual !== sha256) {
    throw new DataSetError(
      `${where}: the download's SHA-256 is ${actual}, not the ${sha256} asked for (a different or corrupted file; nothing was cached)`,
    );
  }
}
