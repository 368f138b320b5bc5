/**
 * The cold-start levers of issue 15: what importing the runtime loads, and
 * the path rules written so that it loads no `node:` built-in.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { Store } from "../mod.ts";
import { absolutePath, fileUrlPath, isAbsolutePath } from "../src/_paths.ts";
import {
  declarePeople,
  engineTest,
  openFile,
  peopleFile,
  staticGraph,
  tempDir,
} from "./_helpers.ts";

Deno.test("importing mod.ts loads no node: built-in and only the modules a first retrieve() needs", async () => {
  const graph = await staticGraph(
    fileURLToPath(new URL("../mod.ts", import.meta.url)),
  );
  assert.ok(graph.size > 10, `the walk found the graph: ${[...graph]}`);
  assert.deepEqual([...graph].filter((s) => s.startsWith("node:")), []);
  // Build-time code stays out too.
  assert.deepEqual(
    [...graph].filter((s) =>
      /\/(build|src\/build|src\/load|src\/_csv)\.ts$/.test(s)
    ),
    [],
  );
  // The modules a first retrieve() never runs load on first use
  // (lazy_modules_test.ts): the static graph is exactly these, so a new
  // static import on the cold path is a deliberate change of this list.
  const root = new URL("..", import.meta.url).href;
  assert.deepEqual(
    [...graph].filter((s) => s.startsWith(root)).map((s) =>
      s.slice(root.length)
    ).sort(),
    [
      "mod.ts",
      "src/_capabilities.ts",
      "src/_engine.ts",
      "src/_fts.ts",
      "src/_kinds.ts",
      "src/_paths.ts",
      "src/_row_builder.ts",
      "src/_rules.ts",
      "src/_schema.ts",
      "src/_session.ts",
      "src/_sql.ts",
      "src/bind.ts",
      "src/columns.ts",
      "src/dataset.ts",
      "src/dump.ts",
      "src/errors.ts",
      "src/filter.ts",
      "src/fragment.ts",
      "src/metadata.ts",
      "src/model.ts",
      "src/run.ts",
      "src/store.ts",
    ],
  );
});

Deno.test("the modules a cold start loads hold no character above U+00FF", async () => {
  // One such character anywhere in a file (a comment's arrow or dash) makes
  // V8 hold the whole source as two-byte text, which costs about 1 µs per
  // KB of source at every import (Latin-1, such as é or ±, costs nothing).
  const graph = await staticGraph(
    fileURLToPath(new URL("../mod.ts", import.meta.url)),
  );
  const root = new URL("..", import.meta.url).href;
  const files = [
    ...[...graph].filter((s) => s.startsWith(root)),
    new URL("../src/_ffi.ts", import.meta.url).href,
    new URL("../src/_node.ts", import.meta.url).href,
  ];
  const wide: string[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file));
    text.split("\n").forEach((line, i) => {
      const found = [...line].find((c) => c.codePointAt(0)! > 0xff);
      if (found !== undefined) {
        wide.push(`${file.slice(root.length)}:${i + 1}: ${found}`);
      }
    });
  }
  assert.ok(files.length > 20, `the walk found the graph: ${files}`);
  assert.deepEqual(wide, []);
});

Deno.test("absolutePath() resolves as node:path's resolve() does", () => {
  const segment = fc.constantFrom("a", "b c", "..", ".", "", "é", "x%20y");
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(segment, { maxLength: 6 }),
      (absolute, parts) => {
        const path = `${absolute ? "/" : ""}${parts.join("/")}`;
        assert.equal(absolutePath(path), resolve(path));
        assert.equal(isAbsolutePath(path), path.startsWith("/"));
      },
    ),
  );
  for (const path of ["", ".", "/", "//a//b/", "/..", "a/../../..", "./x/"]) {
    assert.equal(absolutePath(path), resolve(path), JSON.stringify(path));
  }
});

Deno.test("fileUrlPath() reads file: URLs as node:url's fileURLToPath() does", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 4 }),
      (parts) => {
        const path = `/${parts.map((p) => p.replaceAll("/", "_")).join("/")}`;
        if (path.includes("\0")) return;
        const url = pathToFileURL(path);
        assert.equal(fileUrlPath(url), fileURLToPath(url));
      },
    ),
  );
  assert.throws(
    () => fileUrlPath(new URL("file:///a%2Fb")),
    /must not include encoded \/ characters/,
  );
  assert.throws(
    () => fileUrlPath(new URL("file://host/a")),
    /File URL host must be "localhost" or empty/,
  );
  assert.throws(() => fileUrlPath(new URL("https://x/a")), /scheme file/);
});

engineTest(
  "a dataset opens by a relative path with .. and by a file: URL with escapes",
  async (engine) => {
    const source = await peopleFile(engine);
    const dir = await tempDir({ prefix: "microcosm paths %20 " });
    const path = `${dir}/people #1.sqlite`;
    await Deno.copyFile(source, path);
    // `sub/..` resolves only where `sub` exists.
    await Deno.mkdir(`${dir}/sub`);
    const relative = `${dir}/sub/../people #1.sqlite`.replace(
      `${Deno.cwd()}/`,
      "",
    );
    for (const where of [relative, pathToFileURL(path).href]) {
      const db = openFile(engine, where);
      const Person = declarePeople(db);
      assert.ok((await new Store(Person).count()) > 0, where);
      await db.close();
    }
  },
);
