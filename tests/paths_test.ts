/**
 * Paths are taken literally on both engines, whatever characters they
 * hold, up to the longest path SQLite opens, with a clear error beyond.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DataSetError, SQLiteBindFactory } from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  engineTest,
  freshDataSet,
  listing,
  runDeno,
  sha256,
  tempDir,
} from "./_helpers.ts";

const FIXTURE = new URL("./testdata/app/people.sqlite", import.meta.url);

const NAMES = [
  "a?b.sqlite",
  "a#b.sqlite",
  "100%25 %41.sqlite",
  "with space .sqlite",
  "é 漢字 🙂.sqlite",
  "x?mode=rwc&immutable=0#frag.sqlite",
  "file:people.sqlite",
  "'quoted\" name.sqlite",
];

/** Counts the tables of the file at `path` through a dataset. */
async function tables(
  engine: EngineName,
  path: string,
  options: { immutable?: boolean; writable?: boolean } = {},
): Promise<number> {
  const db = freshDataSet(engine, options);
  db.bind(new SQLiteBindFactory().set(db.name, path));
  await using _ = db;
  const [row] = await Array.fromAsync(
    db.sql`select count(*) as n from sqlite_schema where type = 'table'`,
  );
  return row!.n as number;
}

engineTest(
  "Paths with ?, #, %, spaces, quotes, non-ASCII or file: in them open literally",
  async (engine) => {
    for (const name of NAMES) {
      const dir = await tempDir();
      const path = join(dir, name);
      await Deno.copyFile(FIXTURE, path);
      const hash = await sha256(path);
      for (const immutable of [true, false]) {
        assert.equal(await tables(engine, path, { immutable }), 1, name);
      }
      assert.deepEqual(await listing(dir), [name]);
      assert.equal(await sha256(path), hash);
    }
  },
);

engineTest(
  "A writable dataset creates the file of exactly the name given",
  async (engine) => {
    for (const name of NAMES) {
      const dir = await tempDir();
      const path = join(dir, name);
      const db = freshDataSet(engine, { writable: true });
      db.bind(new SQLiteBindFactory().set(db.name, path));
      await Array.fromAsync(db.sql`create table t (x)`);
      await db.close();
      assert.deepEqual(await listing(dir), [name]);
      assert.equal(await tables(engine, path), 1, name);
    }
  },
);

engineTest(
  "A relative path starting with file: is a file name, even with every permission granted",
  async (engine) => {
    const dir = await tempDir();
    await Deno.copyFile(FIXTURE, join(dir, "file:people.sqlite"));
    // Deno's node:sqlite reads "file:" names as URIs only with -A.
    const mod = new URL("../mod.ts", import.meta.url).href;
    const script = join(dir, "open.ts");
    await Deno.writeTextFile(
      script,
      `import { DataSet, SQLiteBindFactory } from ${JSON.stringify(mod)};
const db = DataSet.create("relative", { engine: ${JSON.stringify(engine)} });
db.bind(new SQLiteBindFactory().set("relative", "file:people.sqlite"));
const rows = await Array.fromAsync(db.sql\`select count(*) as n from person\`);
console.log(JSON.stringify(rows));
await db.close();`,
    );
    const run = await runDeno(["run", "-A", script], { cwd: dir, ok: true });
    assert.deepEqual(JSON.parse(run.stdout), [{ n: 3 }]);
  },
);

/** A path of exactly `bytes` bytes under `root`, in folders of 200 bytes. */
async function pathOf(root: string, bytes: number): Promise<string> {
  let dir = root;
  while (bytes - (dir.length + 1) > 250) {
    dir = join(dir, "d".repeat(200));
  }
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, "f".repeat(bytes - dir.length - 1 - 7) + ".sqlite");
  assert.equal(new TextEncoder().encode(path).length, bytes);
  return path;
}

engineTest(
  "A path of 504 bytes opens; a longer one is a DataSetError saying the limit",
  async (engine) => {
    const root = await tempDir();
    const longest = await pathOf(root, 504);
    await Deno.copyFile(FIXTURE, longest);
    assert.equal(await tables(engine, longest), 1);
    const tooLong = await pathOf(root, 505);
    await Deno.copyFile(FIXTURE, tooLong);
    for (const options of [{}, { writable: true }]) {
      await assert.rejects(tables(engine, tooLong, options), (error: Error) => {
        assert.ok(error instanceof DataSetError, String(error));
        assert.match(
          error.message,
          /the path is 505 bytes long as an absolute path, longer than the 504 bytes SQLite opens/,
        );
        return true;
      });
    }
  },
);
