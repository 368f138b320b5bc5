/**
 * Stands in for `jsr:@denosaurs/plug` when the benchmark imports
 * `@db/sqlite` from a local checkout (see `db_sqlite_map.json`). The
 * benchmark always sets `DENO_SQLITE_PATH` to the system libsqlite3, so
 * `@db/sqlite` opens that with `Deno.dlopen` and never calls this, which
 * would otherwise download a build: it refuses instead.
 *
 * @module
 */

/**
 * Never downloads: throws, naming the variable that avoids it.
 * @returns Never.
 */
export function dlopen(): never {
  throw new Error(
    "Cannot load @db/sqlite's own build here: set DENO_SQLITE_PATH to the system libsqlite3",
  );
}
