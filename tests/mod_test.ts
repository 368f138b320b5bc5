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

/** The specifiers of every module `deno info` finds from `entry`. */
async function moduleGraph(entry: string): Promise<string[]> {
  const root = new URL("../", import.meta.url);
  const { stdout } = await runDeno(["info", "--json", entry], {
    cwd: fileURLToPath(root),
    ok: true,
  });
  const graph = JSON.parse(stdout) as { modules: { specifier: string }[] };
  return graph.modules.map((module) =>
    module.specifier.startsWith(root.href)
      ? module.specifier.slice(root.href.length)
      : module.specifier
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
  const runtime = await moduleGraph("mod.ts");
  assert.ok(runtime.includes("src/store.ts"), runtime.join("\n"));
  assert.deepEqual(runtime.filter(buildTime), []);
  // The same check finds them from the build entry point.
  const building = (await moduleGraph("build.ts")).filter(buildTime);
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
  const runtime = await moduleGraph("mod.ts");
  assert.deepEqual(runtime.filter((s) => s.startsWith("src/http/")), []);
  const serving = await moduleGraph("http.ts");
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
  assert.equal(strict.stdout.trim(), "29 node");
});

Deno.test("The recorded library version is deno.json's version", async () => {
  const { VERSION } = await import("../src/_version.ts");
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert.equal(VERSION, config.version);
});
