// JSR readiness: what `deno publish` would upload is the library, not the
// repository. This is the gate's one `deno publish --dry-run` (the `ok` task
// runs it through the tests): it fails on a publish error (slow types, a
// missing export) as the task's own run did, and checks the files shipped.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runDeno } from "./_helpers.ts";

const root = fileURLToPath(new URL("../", import.meta.url));

async function dryRun(): Promise<{ files: string[]; output: string }> {
  const { stdout, stderr } = await runDeno(
    ["publish", "--dry-run", "--allow-dirty"],
    { cwd: root, ok: true },
  );
  const text = stdout + stderr;
  const files = [...text.matchAll(/^\s+(file:\/\/\S+) \([^)]*\)$/gm)].map((
    match,
  ) => fileURLToPath(match[1]!).slice(root.length));
  return { files, output: text };
}

Deno.test("deno publish --dry-run ships only the library: no tests, bench, examples or data files", async () => {
  const { files, output } = await dryRun();
  // The one expected warning: the CLI imports the user's models module from
  // a file URL known only at run time, which publish cannot analyze (and
  // has no way to silence, denoland/deno#22594). Any other warning fails.
  const warnings = [
    ...output.matchAll(/warning\[([\w-]+)\][^\n]*\n\s*--> ([^:\n]+)/g),
  ]
    .map((match) => `${match[1]} ${match[2]!.slice(root.length)}`);
  assert.deepEqual(warnings, ["unanalyzable-dynamic-import src/cli/_io.ts"]);
  assert.equal(output.match(/warning/gi)?.length, 1, output);
  const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  const exports: string[] = Object.values(config.exports as object).map((
    target: string,
  ) => target.replace(/^\.\//, ""));
  assert.ok(files.includes("mod.ts"), files.join("\n"));
  for (const target of exports) assert.ok(files.includes(target), target);
  const allowed = new Set(["LICENSE", "README.md", "deno.json", ...exports]);
  const stray = files.filter((file) =>
    !allowed.has(file) &&
    !(file.startsWith("src/") && file.endsWith(".ts") &&
      !file.endsWith("_test.ts"))
  );
  assert.deepEqual(stray, []);
  for (const prefix of ["tests/", "bench/", "examples/", ".git"]) {
    assert.ok(!files.some((file) => file.startsWith(prefix)), prefix);
  }
  assert.ok(!files.some((file) => /\.(sqlite|db|csv|jsonl)$/.test(file)));
});
