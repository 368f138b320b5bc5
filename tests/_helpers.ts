import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
// The CLI, the builder and the shop fixture are imported where a helper
// needs them, so a test module that uses none of them does not load them.
import type { BuildContext } from "../build.ts";
import type { declareShop } from "./testdata/build/models.ts";
import type { ByteSource } from "../src/_csv.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  any,
  bigint,
  blob,
  boolean,
  type Columns,
  DataFileError,
  DataSet,
  type DataSetOptions,
  datetime,
  integer,
  json,
  type JsonValue,
  type ModelOptions,
  ReadOnlyError,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";

/** Both engines: every behaviour test runs on each. */
export const ENGINES: readonly EngineName[] = ["ffi", "node"];

let counter = 0;

/** A dataset with a name no other test uses. */
export function freshDataSet(
  engine: EngineName,
  options: DataSetOptions = {},
): DataSet {
  return DataSet.create(`test_${engine}_${++counter}`, { engine, ...options });
}

/**
 * A fresh in-memory dataset with one model over `table`, its table
 * created, and a store of that model.
 */
export async function oneModel<C extends Columns>(
  engine: EngineName,
  table: string,
  columns: C,
  options: ModelOptions<C> = {},
) {
  const db = freshDataSet(engine);
  const Model = db.Model(table, columns, options);
  await db.createAll();
  return { db, Model, store: new Store(Model) };
}

/**
 * Registers one test per engine, named `<name> [<engine>]`; `t` is there for
 * table-driven `t.step`s.
 */
export function engineTest(
  name: string,
  fn: (engine: EngineName, t: Deno.TestContext) => Promise<void>,
): void {
  for (const engine of ENGINES) {
    Deno.test(`${name} [${engine}]`, (t) => fn(engine, t));
  }
}

/**
 * A dataset over the file at `path`, with no model declared: read-only
 * unless `options` make it writable.
 */
export function openFile(
  engine: EngineName,
  path: string,
  options: DataSetOptions = {},
): DataSet {
  const db = freshDataSet(engine, options);
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  return db;
}

/**
 * Writes a database file with raw SQL through `node:sqlite`, as another tool
 * would, in a fresh temp folder, and returns its path.
 */
export async function sqliteFile(
  sql: string,
  name = "shipped.sqlite",
): Promise<string> {
  const path = `${await tempDir({ prefix: "microcosm_shipped_" })}/${name}`;
  const db = new DatabaseSync(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
  return path;
}

/**
 * Declares the people model the tests share (integer, text, boolean and json
 * columns, a unique pair, a default order, a getter) on a dataset.
 */
export function declarePeople(db: DataSet) {
  class Person extends db.Model("person", {
    id: integer({ primaryKey: true }),
    first: text(),
    last: text(),
    born: integer({ nullable: true }),
    active: boolean({ default: true }),
    tags: json<string[]>({ default: [] }),
  }, { unique: [["first", "last"]], orderBy: ["last", "first"] }) {
    get fullName(): string {
      return `${this.first} ${this.last}`;
    }
  }
  return Person;
}

/**
 * Declares `value`, a model with one nullable column of every kind (and
 * each datetime storage), on a dataset.
 */
export function declareEveryKind(db: DataSet) {
  return class Value extends db.Model("value", {
    id: integer({ primaryKey: true }),
    t: text({ nullable: true }),
    i: integer({ nullable: true }),
    r: real({ nullable: true }),
    b: bigint({ nullable: true }),
    yes: boolean({ nullable: true }),
    j: json<JsonValue>({ nullable: true }),
    bytes: blob({ nullable: true }),
    at: datetime({ nullable: true }),
    s: datetime({ storage: "seconds", nullable: true }),
    ms: datetime({ storage: "milliseconds", nullable: true }),
    v: any({ nullable: true }),
  }) {};
}

/** An instant with milliseconds, for datetime columns. */
export const AT: Date = new Date("2024-01-02T03:04:05.678Z");

/** 2^60 + 1: an integer beyond 2^53, which a JavaScript number rounds. */
export const BIG = 2n ** 60n + 1n;

/**
 * An in-memory dataset whose bigint table `b` holds `length` rows, the value
 * at index `i` being `BIG` at index `at` and `BigInt(i)` elsewhere.
 */
export async function bigIntegerTable(
  engine: EngineName,
  length: number,
  at: number,
) {
  const db = freshDataSet(engine);
  class B extends db.Model("b", {
    id: integer({ primaryKey: true }),
    v: bigint(),
  }) {}
  await db.createAll();
  await new Store(B).createMany(
    Array.from({ length }, (_, i) => ({ v: i === at ? BIG : BigInt(i) })),
  );
  return { db, B };
}

/** Rows for the people model. */
export const PEOPLE = [
  { first: "George", last: "Washington", born: 1732 },
  { first: "John", last: "Adams", born: 1735 },
  { first: "Thomas", last: "Jefferson", born: 1743 },
  { first: "Martha", last: "Washington", born: 1731, active: false },
  { first: "Nobody", last: "Known", born: null },
] as const;

/** A people dataset in memory, filled. */
export async function peopleInMemory(engine: EngineName) {
  const db = freshDataSet(engine);
  const Person = declarePeople(db);
  await db.createAll();
  const store = new Store(Person);
  await store.createMany(PEOPLE.map((p) => ({ ...p })));
  return { db, Person, store };
}

/**
 * Builds a people file in a temp folder through a writable dataset and
 * returns its path.
 */
export async function peopleFile(engine: EngineName): Promise<string> {
  const dir = await tempDir({ prefix: "microcosm_test_" });
  const path = `${dir}/people.sqlite`;
  const db = openFile(engine, path, { writable: true });
  const Person = declarePeople(db);
  await db.createAll();
  await new Store(Person).createMany(PEOPLE.map((p) => ({ ...p })));
  await db.close();
  return path;
}

/** A read-only dataset over a file, with the people model. */
export function openPeopleFile(
  engine: EngineName,
  path: string,
  options: DataSetOptions = {},
) {
  const db = openFile(engine, path, options);
  const Person = declarePeople(db);
  return { db, Person, store: new Store(Person) };
}

/**
 * Asserts that every write path of a read-only people dataset throws
 * `ReadOnlyError`: stores, table creation, and raw SQL.
 */
export async function assertWritesRefused(
  db: DataSet,
  store: Store<ReturnType<typeof declarePeople>>,
): Promise<void> {
  await assert.rejects(
    store.create({ first: "A", last: "B" }),
    (error: Error) =>
      error instanceof ReadOnlyError && error.statusCode === 403,
  );
  await assert.rejects(
    store.createMany([{ first: "A", last: "B" }]),
    ReadOnlyError,
  );
  await assert.rejects(store.delete({ last: "Adams" }), ReadOnlyError);
  await assert.rejects(db.createAll(), ReadOnlyError);
  await assert.rejects(db.dropAll(), ReadOnlyError);
  await assert.rejects(
    Array.fromAsync(db.sql`delete from person`),
    ReadOnlyError,
  );
  await assert.rejects(
    Array.fromAsync(db.sql`insert into person (first, last) values ('x', 'y')`),
    ReadOnlyError,
  );
}

/** A source of `text`'s UTF-8 bytes, read as a file is, in any chunk size. */
export function textSource(text: string): ByteSource {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return {
    read(buffer: Uint8Array): Promise<number | null> {
      if (at >= bytes.length) return Promise.resolve(null);
      const n = Math.min(buffer.length, bytes.length - at);
      buffer.set(bytes.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

/** The names in a folder, sorted. */
export async function listing(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (entry) => entry.name))
    .sort();
}

/**
 * Notes the bytes of the file at `path` (when there is one) and the names
 * in its folder; the function it returns asserts that neither changed: the
 * file keeps its bytes and no file appeared beside it or went.
 */
export async function watchUnchanged(
  path: string,
): Promise<() => Promise<void>> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const before = await listing(dir);
  const hash = await Deno.stat(path).then(
    (stat) => stat.isFile ? sha256(path) : undefined,
    () => undefined,
  );
  return async () => {
    assert.deepEqual(await listing(dir), before);
    if (hash !== undefined) assert.equal(await sha256(path), hash);
  };
}

/** `true` when the types `A` and `B` are the same, else `false`. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends
  (<T>() => T extends B ? 1 : 2) ? true : false;

/** Compiles only when `T` is `true`: `expectType<Equal<A, B>>()`. */
export function expectType<T extends true>(_value?: T): void {}

/** SHA-256 of a file, hex. */
export async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

let tempRoot: string | undefined;

/** One folder per test module holding every temporary file it makes. */
function root(): string {
  if (tempRoot === undefined) {
    const made = Deno.makeTempDirSync({ prefix: "microcosm_tests_" });
    tempRoot = made;
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(made, { recursive: true });
      } catch {
        // Already gone.
      }
    });
  }
  return tempRoot;
}

/** A fresh temporary folder, removed when the test module ends. */
export function tempDir(options: Deno.MakeTempOptions = {}): Promise<string> {
  return Deno.makeTempDir({ ...options, dir: root() });
}

/** A fresh temporary file, removed when the test module ends. */
export function tempFile(options: Deno.MakeTempOptions = {}): Promise<string> {
  return Deno.makeTempFile({ ...options, dir: root() });
}

/**
 * Runs `script` through `deno run <flags> -` (the script on stdin, without
 * colours) and returns its exit code, signal and output.
 */
export function runScript(
  flags: readonly string[],
  script: string,
  options: { clearEnv?: boolean } = {},
): Promise<DenoRun> {
  return runDeno(["run", ...flags, "-"], { ...options, stdin: script });
}

/**
 * Runs `script` through `deno run <flags> -` (the script on stdin), asserts
 * that it exits 0, and returns what it printed, parsed as JSON.
 */
export async function runScriptJson(
  flags: readonly string[],
  script: string,
  options: { clearEnv?: boolean } = {},
  // deno-lint-ignore no-explicit-any -- each test reads its own JSON shape
): Promise<any> {
  const run = await runScript(flags, script, options);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/**
 * Script text for {@linkcode runScriptJson} that defines `caught(promise)`:
 * `"no error"`, or the class and message of what the promise rejected with.
 */
export const CAUGHT_JS = `const caught = async (promise) => {
      try {
        await promise;
        return "no error";
      } catch (error) {
        return \`\${error.constructor.name}: \${error.message}\`;
      }
    };`;

/**
 * The modules the file at `root` loads through static imports, by
 * specifier, as `deno info` reports its graph: what importing it loads
 * before any dynamic `import()` runs.
 */
export async function staticGraph(root: string): Promise<Set<string>> {
  const run = await runDeno(["info", "--json", root], { ok: true });
  const info = JSON.parse(run.stdout) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const walk = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code !== undefined && dep.isDynamic !== true) {
        walk(dep.code.specifier);
      }
    }
  };
  walk(info.roots[0]!);
  return seen;
}

/** A stream that appends what is written to it, decoded, to `sink`. */
function collect(sink: (text: string) => void): WritableStream<Uint8Array> {
  const decoder = new TextDecoder();
  return new WritableStream({
    write(chunk) {
      sink(decoder.decode(chunk));
    },
  });
}

/**
 * Runs the command-line tool in-process without a progress bar, capturing
 * its stderr, and its stdout too unless `stdout` is given.
 */
export async function runCliWith(
  args: readonly string[],
  options: { stdout?: WritableStream<Uint8Array> } = {},
): Promise<DenoRun> {
  const { main } = await import("../cli.ts");
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: options.stdout ?? collect((text) => stdout += text),
    stderr: collect((text) => stderr += text),
    progress: false,
  });
  return { code, signal: null, stdout, stderr };
}

/** Runs the command-line tool in-process, capturing its output. */
export function runCli(...args: string[]): Promise<DenoRun> {
  return runCliWith(args);
}

/**
 * Builds the shop fixture (`category.csv`, `product.csv`) with the
 * command-line tool into a fresh folder, on `engine` or the default one, and
 * asserts that the build succeeded.
 */
export async function builtShop(
  engine?: EngineName,
): Promise<{ dir: string; path: string; result: DenoRun }> {
  const dir = await tempDir({ prefix: "shop_" });
  const path = `${dir}/shop.sqlite`;
  const result = await runCli(
    "build",
    buildFixture("models.ts"),
    path,
    `category=${buildFixture("category.csv")}`,
    `product=${buildFixture("product.csv")}`,
    ...(engine === undefined ? [] : ["--engine", engine]),
  );
  assert.equal(result.code, 0, result.stderr);
  return { dir, path, result };
}

/** What a build of the shop fill given to `shopBuilt` or `shopLoadError` does. */
export type ShopFill = (
  context: BuildContext,
  models: ReturnType<typeof declareShop>,
) => Promise<unknown>;

/**
 * Builds a file of the shop fixture's models on one engine with `fill`, in
 * a fresh folder, and opens it read-only: the dataset, its models, the
 * file's path and folder, and the build's result.
 */
export async function shopBuilt(engine: EngineName, fill: ShopFill) {
  const { buildDataSet } = await import("../build.ts");
  const { declareShop } = await import("./testdata/build/models.ts");
  const db = freshDataSet(engine);
  const models = declareShop(db);
  const dir = await tempDir({ prefix: "microcosm_load_" });
  const path = `${dir}/shop.sqlite`;
  const result = await buildDataSet(db, path, async (context) => {
    await fill(context, models);
  });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  return { db, ...models, path, dir, result };
}

/**
 * Runs `fill` in a build of the shop fixture's models into a fresh folder,
 * asserts that it fails and leaves nothing behind, and returns its
 * `DataFileError`.
 */
export async function shopLoadError(
  engine: EngineName,
  fill: ShopFill,
): Promise<DataFileError> {
  const { buildDataSet } = await import("../build.ts");
  const { declareShop } = await import("./testdata/build/models.ts");
  const db = freshDataSet(engine);
  const models = declareShop(db);
  const dir = await tempDir({ prefix: "microcosm_load_" });
  try {
    await buildDataSet(db, `${dir}/x.sqlite`, async (context) => {
      await fill(context, models);
    });
  } catch (error) {
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing left behind");
    if (error instanceof DataFileError) return error;
    throw error;
  } finally {
    await db.close();
  }
  throw new Error("the load did not fail");
}

/** The path of a build fixture: `tests/testdata/build/<name>`. */
export function buildFixture(name: string): string {
  return fileURLToPath(new URL(`./testdata/build/${name}`, import.meta.url));
}

/**
 * What a `deno` subprocess (or the tool run in-process) printed, its exit
 * code, and the signal that killed it, if one did.
 */
export interface DenoRun {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** How `runDeno` runs `deno`. */
export interface RunDenoOptions {
  /** The working directory. */
  cwd?: string;
  /** Assert that the process exited 0. */
  ok?: boolean;
  /** Variables added to the environment (`NO_COLOR=1` always is). */
  env?: Record<string, string>;
  /** Start from an empty environment instead of this process's. */
  clearEnv?: boolean;
  /** Text written to the process's stdin, which is then closed. */
  stdin?: string;
}

/**
 * Runs `deno <args>` and returns its exit code, signal and output; with
 * `ok`, asserts first that it exited 0.
 */
export async function runDeno(
  args: readonly string[],
  options: RunDenoOptions = {},
): Promise<DenoRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: options.stdin === undefined ? "inherit" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
    clearEnv: options.clearEnv ?? false,
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const run = {
    code: output.code,
    signal: output.signal,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  if (options.ok) assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  return run;
}

/** The SQL texts node:sqlite prepares while `body` runs. */
export async function preparedDuring(
  body: () => Promise<unknown>,
): Promise<string[]> {
  const prepare = DatabaseSync.prototype.prepare;
  const seen: string[] = [];
  DatabaseSync.prototype.prepare = function (this: DatabaseSync, sql) {
    seen.push(sql);
    return prepare.call(this, sql);
  };
  try {
    await body();
  } finally {
    DatabaseSync.prototype.prepare = prepare;
  }
  return seen;
}
