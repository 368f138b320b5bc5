/**
 * The library's name and version, recorded in the metadata of every built
 * file. A test keeps the version equal to `deno.json`'s.
 *
 * @module
 */

/** The package name. */
export const LIBRARY = "@microcosm/sqlite";
/** The package version. */
export const VERSION = "0.2.0";
