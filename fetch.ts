/**
 * Fetch datasets by content hash: the opt-in network path for files too
 * large to ship with the app, or that change without a deploy. Publish a
 * built file to object storage (S3, R2, GCS, a CDN, a release asset) under
 * its SHA-256; each replica calls {@linkcode fetchDataSet}, which streams it
 * into a local cache folder, checks its hash and header, and returns the
 * `{ path, sha256 }` to bind (with `SQLiteBindFactory.set`) or to swap in
 * (with `DataSet.reload`). Later starts use the cache with no network.
 *
 * This entry point is the only one that touches the network: the runtime
 * (`@microcosm/sqlite`) never does. Permissions: `--allow-net=<host>` and
 * read/write on the cache folder.
 *
 * @example Fetch, bind, and later swap to a new version
 * ```ts ignore
 * import { DataSet, SQLiteBindFactory } from "@microcosm/sqlite";
 * import { fetchDataSet } from "@microcosm/sqlite/fetch";
 *
 * const cacheDir = "/var/cache/prices";
 * const Prices = DataSet.create("prices");
 * Prices.bind(new SQLiteBindFactory({ strict: true }).set(
 *   "prices",
 *   await fetchDataSet({ url: "https://data.example.com/prices/3f9a….sqlite", sha256: "3f9a…" }, { cacheDir }),
 * ));
 * // Later, when a new version is published:
 * await Prices.reload(await fetchDataSet({ url: newUrl, sha256: newSha256 }, { cacheDir }));
 * ```
 *
 * @module
 */
export {
  type CachedFile,
  fetchDataSet,
  type FetchDataSetOptions,
  type RemoteDataSet,
} from "./src/fetch.ts";
export type { PinnedFile } from "./src/_pin.ts";
