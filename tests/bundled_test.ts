// The Deploy-style way of use: a script whose dataset file sits beside it,
// run from another working directory with only read access to that folder.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type DenoRun, runDeno, sha256, tempDir } from "./_helpers.ts";

const bundled = fileURLToPath(
  new URL("../examples/bundled/", import.meta.url),
);
const data = `${bundled}data`;

async function runBundled(flags: string[]): Promise<DenoRun> {
  return runDeno(["run", "--no-prompt", ...flags, `${bundled}main.ts`], {
    cwd: await tempDir(),
  });
}

Deno.test("The bundled script reads its dataset beside it from any working directory, on node:sqlite and FFI alike", async () => {
  const before = await sha256(`${data}/elements.sqlite`);
  const node = await runBundled([`--allow-read=${data}`]);
  assert.equal(node.code, 0, node.stderr);
  const ffi = await runBundled([`--allow-read=${data}`, "--allow-ffi"]);
  assert.equal(ffi.code, 0, ffi.stderr);
  assert.match(node.stderr, /engine: node/);
  assert.match(ffi.stderr, /engine: ffi/);
  assert.match(node.stdout, /Lookup: Fe\s+Iron\s+26\s+55\.845/);
  assert.match(node.stdout, /Transition metals in period 4: 10/);
  assert.equal(ffi.stdout, node.stdout);
  assert.equal(await sha256(`${data}/elements.sqlite`), before);
});

Deno.test("The bundled script without read permission fails naming the flag it needs", async () => {
  const denied = await runBundled([]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /DataSetError/);
  assert.match(denied.stderr, /Cannot open dataset "elements"/);
  assert.match(denied.stderr, /--allow-read=/);
});
