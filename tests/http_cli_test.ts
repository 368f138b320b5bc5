// The CLI's `serve` command, run as a user runs it: a subprocess on
// 127.0.0.1 with the narrowest permissions, stopped by a signal.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  buildFixture,
  builtShop,
  ENGINES,
  runCli,
  sqliteFile,
  watchUnchanged,
} from "./_helpers.ts";
import { type Listening, spawnListening } from "./_http_helpers.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

/** Starts `cli.ts serve <args> --port 0` with `flags`. */
function startServe(flags: string[], args: string[]): Promise<Listening> {
  return spawnListening(
    ["run", "--no-prompt", ...flags, CLI, "serve", ...args, "--port", "0"],
    { stream: "stdout" },
  );
}

const folder = (path: string) => path.slice(0, path.lastIndexOf("/"));

for (const engine of ENGINES) {
  const flags = engine === "ffi" ? ["--allow-ffi"] : [];
  Deno.test(`serve <file> serves its tables read-only from its schema, with --allow-read=<folder> --allow-net=127.0.0.1 [${engine}]`, async () => {
    const path = await sqliteFile(
      `
      CREATE TABLE planet (id INTEGER PRIMARY KEY, name TEXT NOT NULL, moons INTEGER);
      INSERT INTO planet (name, moons) VALUES ('Earth', 1), ('Mars', 2);
    `,
      "solar.sqlite",
    );
    const unchanged = await watchUnchanged(path);
    const server = await startServe(
      [`--allow-read=${folder(path)}`, "--allow-net=127.0.0.1", ...flags],
      [path, "--engine", engine],
    );
    try {
      const listing = await (await fetch(`${server.address}/`)).json();
      assert.equal(listing.datasets[0].name, "solar");
      assert.equal(listing.datasets[0].tables[0].rows, 2);
      const mars = await (await fetch(
        `${server.address}/solar/planet?moons__gt=1`,
      )).json();
      assert.deepEqual(mars.rows, [{ id: 2, name: "Mars", moons: 2 }]);
      const bad = await fetch(`${server.address}/solar/planet?moons=two`);
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
    } finally {
      const { code, stderr } = await server.stop();
      assert.equal(code, 0, stderr);
    }
    await unchanged();
  });

  Deno.test(`serve <models> <file> serves the models' tables under --base-path [${engine}]`, async () => {
    const { path } = await builtShop(engine);
    const server = await startServe(
      ["--allow-read", "--allow-net=127.0.0.1", "--allow-env", ...flags],
      [
        buildFixture("models.ts"),
        path,
        "--base-path",
        "/shop",
        "--engine",
        engine,
      ],
    );
    try {
      const response = await fetch(
        `${server.address}/shop/fixture_shop/product?_size=1&_fields=id,name`,
      );
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.rows.length, 1);
      assert.deepEqual(Object.keys(body.rows[0]), ["id", "name"]);
      assert.match(body.nextUrl, /^\/shop\/fixture_shop\/product\?/);
    } finally {
      const { code, stderr } = await server.stop();
      assert.equal(code, 0, stderr);
    }
  });
}

Deno.test("serve refuses a bad port and a missing file with clear errors", async () => {
  const port = await runCli("serve", "x.sqlite", "--port", "http");
  assert.equal(port.code, 2);
  assert.match(
    port.stderr,
    /--port takes a number from 0 to 65535, got "http"/,
  );
  const missing = await runCli(
    "serve",
    "/nonexistent/none.sqlite",
    "--port",
    "0",
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /none\.sqlite/);
  const help = await runCli("serve", "--help");
  assert.match(help.stdout, /Usage: microcosm serve/);
});

Deno.test("The README's serve paragraph names every option of serve --help", async () => {
  const { SERVE_USAGE } = await import("../src/cli/serve.ts");
  const readme = await Deno.readTextFile(
    new URL("../README.md", import.meta.url),
  );
  const start = readme.indexOf("**`serve`** serves a file");
  assert.ok(start > 0, "the README describes serve");
  const paragraph = readme.slice(start, readme.indexOf("\n\n", start));
  for (
    const [, option] of SERVE_USAGE.matchAll(
      /^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm,
    )
  ) {
    if (option === "--help" || option === "--engine") continue;
    assert.ok(paragraph.includes(`\`${option}`), `README: serve ${option}`);
  }
});
