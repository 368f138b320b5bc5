import assert from "node:assert/strict";
import * as mod from "../mod.ts";

Deno.test("mod.ts exports exactly the public names", () => {
  assert.deepEqual(Object.keys(mod).sort(), [
    "Column",
    "DataSet",
    "DataSetError",
    "DuplicateModelError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "MultipleModelsFoundError",
    "ReadOnlyError",
    "SQLiteBindFactory",
    "SQLiteError",
    "Store",
    "bigint",
    "blob",
    "boolean",
    "buildDataSet",
    "integer",
    "json",
    "real",
    "text",
  ]);
});

Deno.test("Importing mod.ts and using an in-memory dataset needs no permission", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
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
  assert.equal(new TextDecoder().decode(strict.stdout).trim(), "19 node");
});
