/**
 * An explicit choice of SQLite library (the `library` option or
 * `MICROCOSM_SQLITE_LIBRARY`) that cannot load is an error naming it,
 * never silently replaced by another library or engine; only the implicit
 * defaults fall back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DataSet, DataSetError } from "../mod.ts";
import { runDeno, tempDir } from "./_helpers.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

/** Opens an in-memory dataset in a subprocess with `env`; prints the outcome. */
async function openWith(
  env: Record<string, string>,
  engine: "auto" | "ffi" | "node",
): Promise<{ engine?: string; error?: string; message?: string }> {
  const dir = await tempDir();
  const script = join(dir, "open.ts");
  await Deno.writeTextFile(
    script,
    `import { DataSet } from ${JSON.stringify(MOD)};
const db = DataSet.create("choice", { engine: ${JSON.stringify(engine)} });
try {
  await db.open();
  console.log(JSON.stringify({ engine: db.engine }));
} catch (error) {
  console.log(JSON.stringify({ error: error.constructor.name, message: error.message }));
}
await db.close();`,
  );
  const output = await runDeno(
    ["run", "--allow-read", "--allow-ffi", "--allow-env", script],
    { env, ok: true },
  );
  return JSON.parse(output.stdout);
}

for (const engine of ["auto", "ffi"] as const) {
  Deno.test(`A library option that cannot load is a DataSetError naming it (engine ${engine})`, async () => {
    const db = DataSet.create(`library_choice_option_${engine}`, {
      engine,
      library: "/nonexistent/libsqlite3.so",
    });
    await using _ = db;
    await assert.rejects(db.open(), (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.match(error.message, /\/nonexistent\/libsqlite3\.so/);
      assert.match(error.message, /chosen by the library option/);
      return true;
    });
    assert.equal(db.engine, undefined);
  });

  Deno.test(`MICROCOSM_SQLITE_LIBRARY that cannot load is a DataSetError naming the variable (engine ${engine})`, async () => {
    const outcome = await openWith(
      { MICROCOSM_SQLITE_LIBRARY: "/nonexistent/libsqlite3.so" },
      engine,
    );
    assert.equal(outcome.error, "DataSetError", JSON.stringify(outcome));
    assert.match(outcome.message!, /\/nonexistent\/libsqlite3\.so/);
    assert.match(outcome.message!, /chosen by MICROCOSM_SQLITE_LIBRARY/);
  });
}

Deno.test("The node engine chosen explicitly ignores MICROCOSM_SQLITE_LIBRARY", async () => {
  const outcome = await openWith(
    { MICROCOSM_SQLITE_LIBRARY: "/nonexistent/libsqlite3.so" },
    "node",
  );
  assert.deepEqual(outcome, { engine: "node" });
});

Deno.test({
  name:
    "The implicit defaults still fall back: DENO_SQLITE_PATH that cannot load gives way to the usual names",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const outcome = await openWith(
      { DENO_SQLITE_PATH: "/nonexistent/libsqlite3.so" },
      "ffi",
    );
    assert.deepEqual(outcome, { engine: "ffi" });
  },
});
