// Least privilege with the HTTP entry point: the handler itself needs no
// network permission, and the test run may reach 127.0.0.1 only.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ENGINES, runScriptJson } from "./_helpers.ts";
import { citiesFile } from "./_http_helpers.ts";

const HTTP = new URL("../http.ts", import.meta.url).href;
const MOD = new URL("../mod.ts", import.meta.url).href;

for (const engine of ENGINES) {
  Deno.test(`the handler answers in-process under --deny-net with read access to the data folder only [${engine}]`, async () => {
    const path = await citiesFile(engine);
    const script = `
      import { DataSet, SQLiteBindFactory } from ${JSON.stringify(MOD)};
      import { createHandler } from ${JSON.stringify(HTTP)};
      const db = DataSet.create("cities", { engine: ${
      JSON.stringify(engine)
    } });
      db.bind(new SQLiteBindFactory({ paths: { cities: ${
      JSON.stringify(path)
    } } }));
      const handler = createHandler(db);
      const response = await handler(new Request("http://x/cities/city?country=DE&_fields=name"));
      console.log(JSON.stringify({ status: response.status, body: await response.json() }));
      await db.close();
    `;
    const out = await runScriptJson(
      [
        "--no-prompt",
        "--deny-net",
        `--allow-read=${path.slice(0, path.lastIndexOf("/"))}`,
        ...(engine === "ffi" ? ["--allow-ffi"] : []),
      ],
      script,
      { clearEnv: true },
    );
    assert.equal(out.status, 200);
    assert.deepEqual(out.body.rows, [{ name: "Berlin" }]);
  });
}

Deno.test("the test task allows network access to 127.0.0.1 only", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(
      fileURLToPath(new URL("../deno.json", import.meta.url)),
    ),
  );
  const flags: string[] = config.tasks.test.split(/\s+/);
  assert.ok(flags.includes("--allow-net=127.0.0.1"), config.tasks.test);
  assert.ok(
    !flags.some((flag) =>
      flag === "-A" || flag === "--allow-all" || flag === "--allow-net" ||
      (flag.startsWith("--allow-net=") && flag !== "--allow-net=127.0.0.1")
    ),
    config.tasks.test,
  );
});
