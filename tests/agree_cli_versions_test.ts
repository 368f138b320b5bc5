/**
 * `inspect` and `verify` run many statements and hash the whole file: a
 * file rewritten while they run used to give a report mixing two versions
 * (the SHA-256 of one, the content hash and counts of the other, which
 * reads as a damaged file). They now read the file again when it changed
 * while they read it, and fail with a clear message when it keeps
 * changing. The change is made at a fixed point of the run, so the tests
 * are deterministic: `inspect` from its `Deno.stat` of the file (between
 * the content hash and the SHA-256), `verify` from the models' `onQuery`.
 */
import assert from "node:assert/strict";
import { ENGINES, runCli, sha256, sqliteFile, tempDir } from "./_helpers.ts";

/** A raw file with `rows` items, and a copy of it elsewhere. */
async function itemsFile(rows: number): Promise<string> {
  const values = Array.from(
    { length: rows },
    (_, i) => `(${i + 1}, 'item ${i + 1}')`,
  );
  return await sqliteFile(
    `CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT;
     INSERT INTO item VALUES ${values.join(", ")};`,
  );
}

let swaps = 0;

/** Rewrites `path` in place with the bytes of `from`. */
function rewrite(path: string, from: string): void {
  Deno.copyFileSync(from, path);
  swaps++;
  // A modification time no earlier write had, whatever the clock.
  const time = new Date(Date.UTC(2001, 0, 1, 0, 0, swaps));
  Deno.utimeSync(path, time, time);
}

/**
 * Runs `body` with `Deno.stat` of `path` calling `onStat` first (the
 * command's reads otherwise untouched).
 */
async function withStatHook<T>(
  path: string,
  onStat: () => void,
  body: () => Promise<T>,
): Promise<T> {
  const stat = Deno.stat;
  Deno.stat = (target: string | URL) => {
    if (String(target) === path) onStat();
    return stat(target);
  };
  try {
    return await body();
  } finally {
    Deno.stat = stat;
  }
}

for (const engine of ENGINES) {
  Deno.test(`inspect reports one version of a file rewritten while it ran [${engine}]`, async () => {
    const path = await itemsFile(10);
    const other = await itemsFile(3);
    let armed = true;
    const run = await withStatHook(path, () => {
      if (!armed) return;
      armed = false;
      rewrite(path, other);
    }, () => runCli("inspect", path, "--json", "--engine", engine));
    assert.equal(run.code, 0, run.stderr);
    const info = JSON.parse(run.stdout);
    // No content hash recorded: the content hash is the SHA-256, of the
    // file as it is now.
    assert.equal(info.contentHash, info.sha256);
    assert.equal(info.sha256, await sha256(other));
    assert.deepEqual(
      info.tables.map((t: { name: string; rows: number }) => [t.name, t.rows]),
      [["item", 3]],
    );
  });

  Deno.test(`inspect fails clearly on a file that keeps changing [${engine}]`, async () => {
    const path = await itemsFile(10);
    const a = await itemsFile(10);
    const b = await itemsFile(3);
    let turn = 0;
    const run = await withStatHook(
      path,
      () => rewrite(path, ++turn % 2 ? b : a),
      () => runCli("inspect", path, "--json", "--engine", engine),
    );
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      `microcosm inspect: Cannot inspect ${path}: the file changed while it was read (3 times); run the command again once it is written\n`,
    );
    assert.equal(turn, 3);
  });

  Deno.test(`verify reports one version of a file rewritten while it ran [${engine}]`, async () => {
    const path = await itemsFile(10);
    const other = await itemsFile(3);
    const models = await itemsModels(engine);
    let armed = true;
    hook((sql) => {
      // After the table's row count, before its scan of values.
      if (!armed || sql !== 'SELECT count(*) FROM "item"') return;
      armed = false;
      rewrite(path, other);
    });
    try {
      const run = await runCli(
        "verify",
        models,
        path,
        "--json",
        "--engine",
        engine,
      );
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const report = JSON.parse(run.stdout);
      assert.deepEqual(report.tables, { item: 3 });
      assert.deepEqual(report.problems, []);
      assert.equal(armed, false);
    } finally {
      hook(undefined);
    }
  });

  Deno.test(`verify fails clearly on a file that keeps changing [${engine}]`, async () => {
    const path = await itemsFile(10);
    const a = await itemsFile(10);
    const b = await itemsFile(3);
    const models = await itemsModels(engine);
    let turn = 0;
    hook(() => rewrite(path, ++turn % 2 ? b : a));
    try {
      const run = await runCli("verify", models, path, "--engine", engine);
      assert.equal(run.code, 1);
      assert.equal(run.stdout, "");
      assert.match(
        run.stderr,
        new RegExp(
          `^microcosm verify: Cannot verify ${path}: the file changed while it was read \\(3 times\\); run the command again once it is written\\n$`,
        ),
      );
    } finally {
      hook(undefined);
    }
  });
}

/** The hook the models module's `onQuery` calls (see `itemsModels`). */
function hook(fn: ((sql: string) => void) | undefined): void {
  (globalThis as { agreeCliHook?: ((sql: string) => void) | undefined })
    .agreeCliHook = fn;
}

let modules = 0;

/**
 * Writes a models module for the item table whose dataset calls the
 * global `agreeCliHook` after each statement, and returns its path.
 */
async function itemsModels(engine: string): Promise<string> {
  const dir = await tempDir({ prefix: "microcosm_agree_cli_" });
  const path = `${dir}/models.ts`;
  const mod = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    path,
    `import { DataSet, integer, text } from ${JSON.stringify(mod)};
export const Items = DataSet.create("agree_cli_${engine}_${++modules}", {
  onQuery: (event) =>
    (globalThis as { agreeCliHook?: (sql: string) => void }).agreeCliHook?.(event.sql),
});
export class Item extends Items.Model("item", {
  id: integer({ primaryKey: true }),
  name: text(),
}) {}
`,
  );
  return path;
}
