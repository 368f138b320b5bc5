/**
 * Cold start (issue 15, branch `slim`): the modules a first `retrieve()`
 * never runs that moved out of the static graph (pinned in
 * `cold_start_test.ts`) still answer, and fail, as before when their first
 * use comes first in a fresh process, on both engines.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import { engineTest, openFile, runScriptJson, tempDir } from "./_helpers.ts";
import { integer, Store, text } from "../mod.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

/** A read-only file of one table, `rate(id, name)`, holding `names`. */
async function ratesFile(
  engine: EngineName,
  dir: string,
  file: string,
  names: readonly string[],
  table = "rate",
): Promise<string> {
  const path = `${dir}/${file}`;
  const db = openFile(engine, path, { writable: true });
  class Rate extends db.Model(table, {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  await db.createAll();
  await new Store(Rate).createMany(names.map((name) => ({ name })));
  await db.close();
  return path;
}

/**
 * Runs `body` (statements of an async function of `lib`, `db`, `store` and
 * `caught`) first thing in a fresh process over `path`, with `flags` too,
 * and returns what it returns.
 */
async function firstCall(
  engine: EngineName,
  path: string,
  body: string,
  flags: readonly string[] = [],
  // deno-lint-ignore no-explicit-any -- each case reads its own JSON shape
): Promise<any> {
  return await runScriptJson(
    ["--allow-read", "--allow-ffi", "--allow-env", ...flags],
    `
    import * as lib from ${JSON.stringify(MOD)};
    const { DataSet, SQLiteBindFactory, Store, integer, text } = lib;
    const db = DataSet.create("slim", { engine: ${JSON.stringify(engine)} });
    db.bind(new SQLiteBindFactory({ paths: { slim: ${
      JSON.stringify(path)
    } } }));
    class Rate extends db.Model("rate", {
      id: integer({ primaryKey: true }),
      name: text(),
    }) {}
    const store = new Store(Rate);
    const caught = async (promise) => {
      try {
        await promise;
        return "no error";
      } catch (error) {
        return \`\${error.constructor.name}: \${error.message}\`;
      }
    };
    const result = await (async () => { ${body} })();
    await db.close();
    console.log(JSON.stringify(result));
    `,
  );
}

engineTest(
  "a process's first reload() loads its checks, refusing a file without the model's table",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_slim_" });
    const v1 = await ratesFile(engine, dir, "v1.sqlite", ["one"]);
    const v2 = await ratesFile(engine, dir, "v2.sqlite", ["two"]);
    const other = await ratesFile(engine, dir, "other.sqlite", ["x"], "fee");
    const result = await firstCall(
      engine,
      v1,
      `
      const refused = await caught(db.reload(${JSON.stringify(other)}));
      const before = (await store.retrieve(1)).name;
      await db.reload(${JSON.stringify(v2)});
      return { refused, before, after: (await store.retrieve(1)).name };
      `,
    );
    assert.equal(result.before, "one");
    assert.equal(result.after, "two");
    assert.match(
      result.refused,
      /^DataSetError: Cannot reload dataset "slim": the new file .*other\.sqlite does not pass its checks: .*rate.* \(nothing was serving\)$/,
    );
  },
);

engineTest(
  "a process's first watch() notices a file replaced by rename, and refuses a bad interval",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_slim_" });
    const path = await ratesFile(engine, dir, "rates.sqlite", ["one"]);
    const next = await ratesFile(engine, dir, "next.sqlite", ["two"]);
    const result = await firstCall(
      engine,
      path,
      `
      let badInterval;
      try {
        db.watch({ intervalMs: 0 });
      } catch (error) {
        badInterval = \`\${error.constructor.name}: \${error.message}\`;
      }
      const before = (await store.retrieve(1)).name;
      let reloads = 0;
      using _watch = db.watch({ intervalMs: 10, onReload: () => reloads++ });
      await Deno.rename(${JSON.stringify(next)}, ${JSON.stringify(path)});
      while (reloads === 0) await new Promise((wake) => setTimeout(wake, 10));
      return { badInterval, before, after: (await store.retrieve(1)).name };
      `,
      [`--allow-write=${dir}`],
    );
    assert.deepEqual(result, {
      badInterval:
        'RangeError: Invalid intervalMs for watching dataset "slim": expected a positive number of milliseconds, got 0',
      before: "one",
      after: "two",
    });
  },
);
