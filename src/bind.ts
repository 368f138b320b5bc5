/**
 * Binding dataset names to files.
 *
 * @module
 */
import type { EngineName } from "./_engine.ts";
import { checkEngineChoice, localPath } from "./_rules.ts";

/** The engine to use: `"auto"` picks FFI when allowed, else `node:sqlite`. */
export type EngineChoice = EngineName | "auto";

/** Options of {@linkcode SQLiteBindFactory}. */
export interface SQLiteBindFactoryOptions {
  /**
   * Explicit paths (or `file:` URLs) by dataset name; they win over
   * everything else. A value may also be the bytes of a database file
   * (a `Uint8Array`, e.g. from `import data from "./x.sqlite" with { type:
   * "bytes" }` or `Deno.readFile`): the dataset is then served read-only
   * from an in-memory copy of the image (see {@linkcode SQLiteBindFactory.set}).
   * @default {{}}
   */
  paths?: Record<string, string | URL | Uint8Array>;
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
   * The SQLite library for the FFI engine, when not the system's. An
   * explicit choice: one that cannot load is an error when a dataset opens,
   * never replaced by another library or engine.
   * @default {undefined}
   */
  library?: string;
}

/**
 * What {@linkcode SQLiteBindFactory.path} answers for a dataset served from
 * bytes: it has no file.
 */
export const BYTES_PATH = ":bytes:";

/** Turns a `file:` URL or path into a path; rejects other URLs. */
function toPath(value: string | URL, name: string): string {
  return localPath(
    value,
    `Cannot bind dataset "${name}"`,
    " (SQLite opens only file: paths; keep datasets in the application, not inside a published package)",
  );
}

/**
 * Maps dataset names to files. Resolution order: paths (or bytes) given in
 * `paths` or with `set()`, then the application's import map through
 * `resolve`, then `defaultPath` (`":memory:"`).
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
  readonly #bytes = new Map<string, Uint8Array>();
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
    this.engine = checkEngineChoice(options.engine ?? "auto", "");
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
   * Sets the path of a dataset, or the bytes of its file; wins over the
   * import map.
   *
   * Bytes serve a dataset whose file is not on a real file system: inside a
   * `deno compile` binary (`--include`d, read with `Deno.readFile`), or
   * imported with `with { type: "bytes" }` (`--unstable-raw-imports`, no
   * read permission needed). The dataset is read-only all the same: every
   * write throws `ReadOnlyError`. Memory: each open connection deserializes
   * its own copy of the whole image (SQLite then reads it without touching
   * the disk), and the factory keeps a reference to the array to reopen
   * after `close()`, so count on about twice the file's size. Prefer a path
   * for large files on a real file system: SQLite then reads only the
   * pages a query needs.
   * @param name The dataset name.
   * @param source A path, `file:` URL, `":memory:"`, or a database image.
   * @returns This factory.
   * @throws {TypeError} When the source is neither a local path nor bytes.
   *
   * @example A path
   * ```ts
   * import { SQLiteBindFactory } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const factory = new SQLiteBindFactory().set("prices", "./prices.sqlite");
   * assert.equal(factory.path("prices"), "./prices.sqlite");
   * ```
   *
   * @example The bytes of a database file
   * ```ts
   * import { DataSet, integer, ReadOnlyError, SQLiteBindFactory, Store, text } from "@microcosm/sqlite";
   * import { buildDataSet } from "@microcosm/sqlite/build";
   * import assert from "node:assert/strict";
   *
   * const Tags = DataSet.create("doc_bytes");
   * class Tag extends Tags.Model("tag", { id: integer({ primaryKey: true }), name: text() }) {}
   *
   * // Any database image will do; here a file built beforehand, read whole.
   * const dir = await Deno.makeTempDir();
   * await buildDataSet(Tags, `${dir}/tags.sqlite`, async () => {
   *   await new Store(Tag).createMany([{ name: "a" }, { name: "b" }]);
   * });
   * const bytes = await Deno.readFile(`${dir}/tags.sqlite`);
   *
   * Tags.bind(new SQLiteBindFactory().set("doc_bytes", bytes));
   * assert.equal(await new Store(Tag).count(), 2);
   * assert.equal(Tags.readOnly, true);
   * await assert.rejects(new Store(Tag).create({ name: "c" }), ReadOnlyError);
   * await Tags.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  set(name: string, source: string | URL | Uint8Array): this {
    if (source instanceof Uint8Array) {
      this.#paths.delete(name);
      this.#bytes.set(name, source);
      return this;
    }
    if (typeof source !== "string" && !(source instanceof URL)) {
      throw new TypeError(
        `Cannot bind dataset "${name}": expected a path, a file: URL or the bytes of a database (Uint8Array), got ${
          source === null
            ? "null"
            : typeof source === "object"
            ? Object.prototype.toString.call(source)
            : typeof source
        }`,
      );
    }
    const path = source === ":memory:" ? source : toPath(source, name);
    this.#bytes.delete(name);
    this.#paths.set(name, path);
    return this;
  }

  /**
   * Answers the database image set for a dataset, if any.
   * @param name The dataset name.
   * @returns The bytes given to `set()` or `paths`, else `undefined`.
   *
   * @example
   * ```ts
   * import { SQLiteBindFactory } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const image = new Uint8Array(512);
   * const factory = new SQLiteBindFactory({ paths: { geo: image } });
   * assert.equal(factory.bytes("geo"), image);
   * assert.equal(factory.path("geo"), ":bytes:");
   * assert.equal(factory.bytes("other"), undefined);
   * ```
   */
  bytes(name: string): Uint8Array | undefined {
    return this.#bytes.get(name);
  }

  /**
   * Answers the path a dataset resolves to.
   * @param name The dataset name.
   * @returns A file system path, `":memory:"`, or `":bytes:"` for a
   * dataset served from bytes.
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
    if (this.#bytes.has(name)) return BYTES_PATH;
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
