import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as mod from "../mod.ts";
import * as build from "../build.ts";
import * as cli from "../cli.ts";
import * as http from "../http.ts";
import { runDeno, tempFile } from "./_helpers.ts";

Deno.test("mod.ts exports exactly the public names", () => {
  assert.deepEqual(Object.keys(mod).sort(), [
    "Column",
    "DataFileError",
    "DataSet",
    "DataSetError",
    "DuplicateModelError",
    "METADATA_TABLE",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "MultipleModelsFoundError",
    "QueryError",
    "QueryTimeoutError",
    "ReadOnlyError",
    "SQLiteBindFactory",
    "SQLiteError",
    "Store",
    "any",
    "bigint",
    "blob",
    "boolean",
    "datetime",
    "dumpCsv",
    "dumpJsonLines",
    "integer",
    "json",
    "matchInfo",
    "or",
    "readBuildMetadata",
    "real",
    "sqlFragment",
    "text",
  ]);
});

Deno.test("build.ts exports exactly the build-time names", () => {
  assert.deepEqual(Object.keys(build).sort(), [
    "buildDataSet",
    "verifyDataSet",
  ]);
});

Deno.test("cli.ts exports exactly the command-line entry", () => {
  assert.deepEqual(Object.keys(cli).sort(), ["main"]);
});

Deno.test("http.ts exports exactly the HTTP handler", () => {
  assert.deepEqual(Object.keys(http).sort(), ["createHandler"]);
});

/**
 * The specifiers of every module `deno info` finds from `entry`, following
 * dynamic imports only when `dynamic` (they load on first use, not when the
 * entry is imported).
 */
async function moduleGraph(
  entry: string,
  dynamic: boolean,
): Promise<string[]> {
  const root = new URL("../", import.meta.url);
  const { stdout } = await runDeno(["info", "--json", entry], {
    cwd: fileURLToPath(root),
    ok: true,
  });
  const graph = JSON.parse(stdout) as {
    roots: string[];
    redirects: Record<string, string>;
    modules: {
      specifier: string;
      dependencies?: {
        code?: { specifier: string };
        isDynamic?: boolean;
      }[];
    }[];
  };
  // What importing the entry loads: its static imports, transitively (a
  // dynamic import, such as `contentHash()`'s `node:crypto`, loads nothing
  // at import time), and with `dynamic` what it may load later.
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const loaded = new Set<string>();
  const pending = [...graph.roots];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (loaded.has(specifier)) continue;
    loaded.add(specifier);
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (dependency.code === undefined) continue;
      if (dependency.isDynamic && !dynamic) continue;
      const target = dependency.code.specifier;
      pending.push(graph.redirects[target] ?? target);
    }
  }
  return [...loaded].map((specifier) =>
    specifier.startsWith(root.href)
      ? specifier.slice(root.href.length)
      : specifier
  );
}

/** What only building needs: hashing, CSV parsing, the loaders, verify. */
function buildTime(specifier: string): boolean {
  return specifier === "node:crypto" || specifier.startsWith("npm:") ||
    ["src/load.ts", "src/_csv.ts", "src/build.ts", "src/verify.ts"]
      .includes(specifier) ||
    specifier.startsWith("src/cli/");
}

Deno.test("The module graph of mod.ts reaches no build-time code: no node:crypto, Papa Parse, loader, build or verify", async () => {
  const runtime = await moduleGraph("mod.ts", false);
  assert.ok(runtime.includes("src/store.ts"), runtime.join("\n"));
  assert.deepEqual(runtime.filter(buildTime), []);
  // The same check finds them from the build entry point.
  const building = (await moduleGraph("build.ts", true)).filter(buildTime);
  for (
    const expected of [
      "node:crypto",
      "src/load.ts",
      "src/_csv.ts",
      "src/build.ts",
      "src/verify.ts",
    ]
  ) {
    assert.ok(building.includes(expected), expected);
  }
  assert.ok(
    building.some((specifier) => specifier.startsWith("npm:/papaparse@")),
    building.join("\n"),
  );
});

Deno.test("The HTTP handler is its own entry point: mod.ts does not reach it, and it reaches no loader or builder", async () => {
  const runtime = await moduleGraph("mod.ts", true);
  assert.deepEqual(runtime.filter((s) => s.startsWith("src/http/")), []);
  const serving = await moduleGraph("http.ts", true);
  assert.ok(serving.includes("src/http/handler.ts"), serving.join("\n"));
  assert.deepEqual(
    serving.filter((specifier) =>
      specifier.startsWith("npm:") ||
      ["src/load.ts", "src/_csv.ts", "src/build.ts", "src/verify.ts"]
        .includes(specifier)
    ),
    [],
  );
});

Deno.test("Importing mod.ts and using an in-memory dataset needs no permission", async () => {
  const script = await tempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    script,
    `import * as m from ${
      JSON.stringify(new URL("../mod.ts", import.meta.url).href)
    };
const db = m.DataSet.create("no_permissions");
await db.createAll();
console.log(Object.keys(m).length, db.engine);`,
  );
  const strict = await runDeno(["run", "--no-prompt", script], { ok: true });
  assert.equal(strict.stdout.trim(), "30 node");
});

Deno.test("The recorded library version is deno.json's version", async () => {
  const { VERSION } = await import("../src/_version.ts");
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert.equal(VERSION, config.version);
});

Deno.test("fetch.ts exports exactly fetchDataSet, and mod.ts never loads the network code", async () => {
  const fetchEntry = await import("../fetch.ts");
  assert.deepEqual(Object.keys(fetchEntry).sort(), ["fetchDataSet"]);
  // Not even on first use: dynamic imports are followed too.
  const runtime = await moduleGraph("mod.ts", true);
  assert.ok(!runtime.includes("src/fetch.ts"), runtime.join("\n"));
  assert.ok((await moduleGraph("fetch.ts", false)).includes("src/fetch.ts"));
});
