/**
 * Binding dataset names to files.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { EngineName } from "./_engine.ts";

/** The engine to use: `"auto"` picks FFI when allowed, else `node:sqlite`. */
export type EngineChoice = EngineName | "auto";

/** Options of {@linkcode SQLiteBindFactory}. */
export interface SQLiteBindFactoryOptions {
  /**
   * Explicit paths (or `file:` URLs) by dataset name; they win over
   * everything else.
   * @default {{}}
   */
  paths?: Record<string, string | URL>;
  /**
   * The application's `import.meta.resolve`. A dataset named `example` is
   * looked up as `"datasets:example"` (see `prefix`) in the app's import map
   * (`deno.json` `"imports"`); an unmapped key falls through.
   * @default {undefined}
   */
  resolve?: (specifier: string) => string;
  /**
   * The import map key prefix.
   * @default {"datasets:"}
   */
  prefix?: string;
  /**
   * The path of datasets found nowhere else.
   * @default {":memory:"}
   */
  defaultPath?: string;
  /**
   * The engine datasets bound here use unless they say otherwise.
   * @default {"auto"}
   */
  engine?: EngineChoice;
  /**
   * The SQLite library for the FFI engine, when not the system's.
   * @default {undefined}
   */
  library?: string;
}

/** Turns a `file:` URL or path into a path; rejects other URLs. */
export function toPath(value: string | URL, name: string): string {
  if (value instanceof URL || /^[a-z][a-z0-9+.-]+:\/\//i.test(value)) {
    const url = value instanceof URL ? value : new URL(value);
    if (url.protocol !== "file:") {
      throw new TypeError(
        `Cannot bind dataset "${name}": ${url.href} is not a local file (SQLite opens only file: paths; keep datasets in the application, not inside a published package)`,
      );
    }
    return fileURLToPath(url);
  }
  if (typeof value !== "string" || value === "" || value.includes("\0")) {
    throw new TypeError(
      `Cannot bind dataset "${name}": expected a path, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/**
 * Maps dataset names to files. Resolution order: paths given in `paths` or
 * with `set()`, then the application's import map through `resolve`, then
 * `defaultPath` (`":memory:"`).
 *
 * @example Explicit paths and the in-memory default
 * ```ts
 * import { SQLiteBindFactory } from "@microcosm/sqlite";
 * import assert from "node:assert/strict";
 *
 * const factory = new SQLiteBindFactory({ paths: { countries: "/srv/countries.sqlite" } });
 * assert.equal(factory.path("countries"), "/srv/countries.sqlite");
 * assert.equal(factory.path("other"), ":memory:");
 * ```
 *
 * @example The application's import map
 * ```ts ignore
 * // deno.json: { "imports": { "datasets:countries": "./data/countries.sqlite" } }
 * import { Countries } from "./models.ts";
 * import { SQLiteBindFactory } from "@microcosm/sqlite";
 *
 * Countries.bind(new SQLiteBindFactory({ resolve: import.meta.resolve }));
 * ```
 */
export class SQLiteBindFactory {
  static #default: SQLiteBindFactory | undefined;
  readonly #paths = new Map<string, string>();
  readonly #resolve: ((specifier: string) => string) | undefined;
  readonly #prefix: string;
  readonly #defaultPath: string;
  /** The engine datasets bound here use unless they say otherwise. */
  readonly engine: EngineChoice;
  /** The SQLite library for the FFI engine, if set. */
  readonly library: string | undefined;

  /**
   * Creates a factory.
   * @param options Paths, the resolver, defaults.
   */
  constructor(options: SQLiteBindFactoryOptions = {}) {
    for (const [name, path] of Object.entries(options.paths ?? {})) {
      this.set(name, path);
    }
    if (
      options.resolve !== undefined && typeof options.resolve !== "function"
    ) {
      throw new TypeError(
        "Invalid resolve option: expected a function such as import.meta.resolve",
      );
    }
    this.#resolve = options.resolve;
    this.#prefix = options.prefix ?? "datasets:";
    this.#defaultPath = options.defaultPath ?? ":memory:";
    const engine = options.engine ?? "auto";
    if (!["auto", "ffi", "node"].includes(engine)) {
      throw new TypeError(
        `Invalid engine ${
          JSON.stringify(engine)
        }: expected "auto", "ffi" or "node"`,
      );
    }
    this.engine = engine;
    this.library = options.library;
  }

  /**
   * The process-wide factory that datasets use when none is bound.
   *
   * @example
   * ```ts
   * import { SQLiteBindFactory } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * assert.equal(SQLiteBindFactory.default.path("anything"), ":memory:");
   * ```
   */
  static get default(): SQLiteBindFactory {
    return SQLiteBindFactory.#default ??= new SQLiteBindFactory();
  }

  /**
   * Sets the path of a dataset; wins over the import map.
   * @param name The dataset name.
   * @param path A path, `file:` URL, or `":memory:"`.
   * @returns This factory.
   *
   * @example
   * ```ts
   * import { SQLiteBindFactory } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const factory = new SQLiteBindFactory().set("prices", "./prices.sqlite");
   * assert.equal(factory.path("prices"), "./prices.sqlite");
   * ```
   */
  set(name: string, path: string | URL): this {
    this.#paths.set(name, path === ":memory:" ? path : toPath(path, name));
    return this;
  }

  /**
   * Answers the path a dataset resolves to.
   * @param name The dataset name.
   * @returns A file system path or `":memory:"`.
   * @throws {TypeError} When the import map maps the dataset to a non-file URL.
   *
   * @example
   * ```ts
   * import { SQLiteBindFactory } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const factory = new SQLiteBindFactory({
   *   resolve: (key) => key === "datasets:geo" ? "file:///srv/geo.sqlite" : key,
   * });
   * assert.equal(factory.path("geo"), "/srv/geo.sqlite");
   * assert.equal(factory.path("other"), ":memory:");
   * ```
   */
  path(name: string): string {
    const explicit = this.#paths.get(name);
    if (explicit !== undefined) return explicit;
    if (this.#resolve !== undefined) {
      const specifier = this.#prefix + name;
      let resolved: string | undefined;
      try {
        resolved = this.#resolve(specifier);
      } catch {
        // Not in the import map: fall through to the default.
      }
      if (resolved !== undefined && resolved !== specifier) {
        return toPath(resolved, name);
      }
    }
    return this.#defaultPath;
  }
}
