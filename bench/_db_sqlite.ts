/**
 * Where the `@db/sqlite` baseline comes from: a local checkout of
 * `denodrivers/sqlite3` outside this repository (JSR is unreachable here),
 * imported through `db_sqlite_map.json`, which points its two JSR imports
 * at stand-ins under `bench/`, with `DENO_SQLITE_PATH` naming the system
 * libsqlite3 so it loads that and downloads nothing.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The import map a process importing `@db/sqlite` runs with. */
export const DB_SQLITE_MAP: string = fileURLToPath(
  new URL("./db_sqlite_map.json", import.meta.url),
);

/** The system library `@db/sqlite` is given (as the FFI engine uses). */
export const SYSTEM_SQLITE = "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0";

/**
 * The checkout to import `@db/sqlite` from: `flag` (a `--db-sqlite` value),
 * else `DB_SQLITE_CHECKOUT`; undefined when neither is set.
 * @param flag The command-line value, if any.
 * @returns An absolute path, or undefined.
 * @throws {TypeError} When the path given holds no `mod.ts`.
 */
export function dbSqliteCheckout(flag: string | undefined): string | undefined {
  const given = flag ?? Deno.env.get("DB_SQLITE_CHECKOUT");
  if (given === undefined || given === "") return undefined;
  const path = resolve(given);
  if (!existsSync(`${path}/mod.ts`)) {
    throw new TypeError(
      `Cannot use @db/sqlite from ${path}: no mod.ts there (a checkout of denodrivers/sqlite3 is expected)`,
    );
  }
  return path;
}

/** `deno run` flags for a process that imports `@db/sqlite`. */
export function dbSqliteRunFlags(): string[] {
  return [
    "--no-check",
    `--import-map=${DB_SQLITE_MAP}`,
    "--allow-read",
    "--allow-ffi",
    "--allow-env",
  ];
}

/** The environment that process needs. */
export function dbSqliteEnv(): Record<string, string> {
  return { DENO_SQLITE_PATH: SYSTEM_SQLITE };
}
