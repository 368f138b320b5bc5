// examples/serve/main.ts runs as its comment says: read access to its data
// folder, network access, from any working directory.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ENGINES, sha256, tempDir } from "./_helpers.ts";
import { spawnListening } from "./_http_helpers.ts";

const example = fileURLToPath(new URL("../examples/serve/", import.meta.url));

for (const engine of ENGINES) {
  Deno.test(`examples/serve/main.ts serves the file beside it on 127.0.0.1 with --allow-read=<its data folder> [${engine}]`, async () => {
    const file = `${example}data/countries.sqlite`;
    const before = await sha256(file);
    const server = await spawnListening([
      "run",
      "--no-prompt",
      `--allow-read=${example}data`,
      "--allow-net=127.0.0.1",
      ...(engine === "ffi" ? ["--allow-ffi"] : []),
      `${example}main.ts`,
      "0",
    ], { cwd: await tempDir(), stream: "stderr" });
    try {
      const response = await fetch(
        `${server.address}/countries/country?code__in=FR,DE&_fields=code,name`,
      );
      assert.equal(response.status, 200);
      assert.equal(
        response.headers.get("etag"),
        `"${before}"`,
        "the ETag is the file's SHA-256",
      );
      const body = await response.json();
      assert.deepEqual(body.rows, [
        { code: "DE", name: "Germany" },
        { code: "FR", name: "France" },
      ]);
    } finally {
      await server.stop();
    }
    assert.equal(await sha256(file), before);
  });
}
