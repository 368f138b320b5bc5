/**
 * Binding dataset names to files.
 *
 * @module
 */
import type { EngineName } from "./_engine.ts";
import { checkEngineChoice, checkSha256, localPath } from "./_rules.ts";
import type { PinnedFile } from "./_pin.ts";
import { DataSetError } from "./errors.ts";

export type { PinnedFile } from "./_pin.ts";

/**
 * What a dataset can be bound to: a path or `file:` URL, the bytes of a
 * database file, or a file pinned by its SHA-256 (`{ path, sha256 }`,
 * also what `fetchDataSet` from `@microcosm/sqlite/fetch` returns).
 */
export type DataSetSource = string | URL | Uint8Array | PinnedFile;

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
  paths?: Record<string, DataSetSource>;
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
   * Refuse to guess: a dataset with no path, bytes or pinned file given
   * here and no `datasets:<name>` entry in the import map fails to open
   * with a `DataSetError` naming the missing key, instead of opening an
   * empty `:memory:` database whose first query blames the models. The
   * recommended production setting. Cannot be combined with `defaultPath`;
   * bind `":memory:"` explicitly where a dataset should be in memory.
   * @default {false}
   */
  strict?: boolean;
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
  readonly #pins = new Map<string, string>();
  readonly #strict: boolean;
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
    if (options.strict !== undefined && typeof options.strict !== "boolean") {
      throw new TypeError("Invalid strict option: expected a boolean");
    }
    this.#strict = options.strict === true;
    if (this.#strict && options.defaultPath !== undefined) {
      throw new TypeError(
        'Invalid options: strict binding has no default path (bind ":memory:" explicitly per dataset)',
      );
    }
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
  set(name: string, source: DataSetSource): this {
    const resolved = resolveSource(name, source);
    this.#paths.delete(name);
    this.#bytes.delete(name);
    this.#pins.delete(name);
    if (resolved.bytes !== undefined) this.#bytes.set(name, resolved.bytes);
    else this.#paths.set(name, resolved.path);
    if (resolved.sha256 !== undefined) this.#pins.set(name, resolved.sha256);
    return this;
  }

  /**
   * Answers the SHA-256 a dataset's file is pinned to, if any: set with a
   * `{ path, sha256 }` source, checked when the dataset opens.
   * @param name The dataset name.
   * @returns 64 lower-case hex digits, or `undefined` when not pinned.
   *
   * @example
   * ```ts
   * import { SQLiteBindFactory } from "@microcosm/sqlite";
   * import assert from "node:assert/strict";
   *
   * const sha256 = "5a9fa40dbdda1dd8b7c0adbe6b675d6b328c475feb0153aa6f079266d3dffcd2";
   * const factory = new SQLiteBindFactory().set("geo", { path: "./geo.sqlite", sha256 });
   * assert.equal(factory.path("geo"), "./geo.sqlite");
   * assert.equal(factory.sha256("geo"), sha256);
   * assert.equal(factory.sha256("other"), undefined);
   * ```
   */
  sha256(name: string): string | undefined {
    return this.#pins.get(name);
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
   * @throws {DataSetError} With `strict`, when nothing binds the dataset.
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
    return this.#paths.get(name) ?? this.#boundPath(name);
  }

  /**
   * {@linkcode SQLiteBindFactory.path} of a name given no explicit path:
   * compiled only then (cold start, issue 15).
   */
  #boundPath(name: string): string {
    if (this.#bytes.has(name)) return BYTES_PATH;
    const specifier = this.#prefix + name;
    if (this.#resolve !== undefined) {
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
    if (this.#strict) {
      throw new DataSetError(
        `Cannot open dataset "${name}": no file is bound to it and strict binding is on; add "${specifier}" to the import map ("imports" in deno.json, resolved through the factory's resolve option), or give its path, bytes or { path, sha256 } in paths or with set()${
          this.#resolve === undefined
            ? " (this factory has no resolve option, so the import map is not read: pass resolve: import.meta.resolve)"
            : ""
        }`,
        { dataset: name },
      );
    }
    return this.#defaultPath;
  }
}

/** A binding resolved: a path (or `":bytes:"`), maybe bytes, maybe a pin. */
export interface ResolvedSource {
  readonly path: string;
  readonly bytes?: Uint8Array;
  readonly sha256?: string;
}

/**
 * Checks and normalises what a dataset is bound to.
 * @throws {TypeError} When the source is none of the accepted forms.
 */
export function resolveSource(
  name: string,
  source: DataSetSource,
): ResolvedSource {
  if (typeof source === "string" && source !== ":memory:") {
    return { path: toPath(source, name) };
  }
  return resolveOther(name, source);
}

/**
 * {@linkcode resolveSource} of every source but a path string: compiled
 * only when one comes (cold start, issue 15).
 */
function resolveOther(name: string, source: DataSetSource): ResolvedSource {
  if (source instanceof Uint8Array) return { path: BYTES_PATH, bytes: source };
  if (
    typeof source === "object" && source !== null &&
    Object.getPrototypeOf(source) === Object.prototype
  ) {
    if (!("path" in source) || !("sha256" in source)) {
      throw new TypeError(
        `Cannot bind dataset "${name}": a pinned file needs both path and sha256 ({ path, sha256 }); got the keys ${
          JSON.stringify(Object.keys(source))
        }${
          "url" in source
            ? " (a { url, sha256 } source is fetched first: fetchDataSet from @microcosm/sqlite/fetch returns the { path, sha256 } to bind)"
            : ""
        }`,
      );
    }
    const sha256 = checkSha256(
      source.sha256,
      `Cannot bind dataset "${name}"`,
    );
    const path = resolveSource(name, source.path).path;
    if (path === ":memory:") {
      throw new TypeError(
        `Cannot bind dataset "${name}": ":memory:" has no content to pin`,
      );
    }
    return { path, sha256 };
  }
  if (typeof source !== "string" && !(source instanceof URL)) {
    throw new TypeError(
      `Cannot bind dataset "${name}": expected a path, a file: URL, the bytes of a database (Uint8Array) or a pinned file ({ path, sha256 }), got ${
        source === null
          ? "null"
          : typeof source === "object"
          ? Object.prototype.toString.call(source)
          : typeof source
      }`,
    );
  }
  const path = source === ":memory:" ? source : toPath(source, name);
  return { path };
}
