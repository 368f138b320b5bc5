import assert from "node:assert/strict";
import * as mod from "../mod.ts";
import { tempFile } from "./_helpers.ts";

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
    "ReadOnlyError",
    "SQLiteBindFactory",
    "SQLiteError",
    "Store",
    "any",
    "bigint",
    "blob",
    "boolean",
    "buildDataSet",
    "datetime",
    "dumpCsv",
    "dumpJsonLines",
    "integer",
    "json",
    "readBuildMetadata",
    "real",
    "text",
    "verifyDataSet",
  ]);
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
  const strict = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", script],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(strict.code, 0, new TextDecoder().decode(strict.stderr));
  assert.equal(new TextDecoder().decode(strict.stdout).trim(), "27 node");
});

Deno.test("The recorded library version is deno.json's version", async () => {
  const { VERSION } = await import("../src/_version.ts");
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert.equal(VERSION, config.version);
});
