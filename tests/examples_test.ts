// The examples run as the README says, with the permissions it names. (The
// bundled example has its own tests in bundled_test.ts and bytes_test.ts.)
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type DenoRun, runDeno, tempDir } from "./_helpers.ts";

const root = fileURLToPath(new URL("../", import.meta.url));

function deno(args: string[], cwd = root): Promise<DenoRun> {
  return runDeno(args, { cwd, ok: true });
}

Deno.test("examples/quickstart.ts declares, fills and queries an in-memory dataset with no permission", async () => {
  const { stdout } = await deno([
    "run",
    "--no-prompt",
    "examples/quickstart.ts",
  ]);
  assert.match(stdout, /^Neptune: 16 moons, giant: true$/m);
  assert.match(stdout, /^largest: Jupiter$/m);
  assert.match(stdout, /^discovered by telescope: Neptune, Uranus$/m);
  assert.match(stdout, /^rocky planets: 4, with 3 moons$/m);
});

Deno.test("examples/import_map.ts binds its dataset through the import map with only read access to the data folder", async () => {
  const { stdout } = await deno([
    "run",
    "--no-prompt",
    `--allow-read=${root}examples/data`,
    `${root}examples/import_map.ts`,
  ], await tempDir());
  assert.match(
    stdout,
    /^datasets:countries -> examples\/data\/countries\.sqlite$/m,
  );
  assert.match(stdout, /^read-only: true$/m);
  assert.match(stdout, /^euro countries: FR, DE, PT$/m);
  assert.match(stdout, /^unmapped -> :memory:$/m);
});

Deno.test("examples/testing_test.ts passes under a plain `deno test` with no permission", async () => {
  const { stdout } = await deno([
    "test",
    "--no-prompt",
    "examples/testing_test.ts",
  ]);
  assert.match(stdout, /ok \| 5 passed \| 0 failed/);
});
