// Least privilege: the narrowest flags each engine needs, proved in
// subprocesses that get exactly those flags.
import assert from "node:assert/strict";
import type { EngineChoice } from "../mod.ts";
import { PEOPLE, peopleFile, runScriptJson, sha256 } from "./_helpers.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;
const EXPECTED = PEOPLE.map((p) => `${p.first} ${p.last}`).sort();

interface Outcome {
  engine?: string;
  names?: string[];
  error?: string;
  message?: string;
}

/**
 * Runs a script that opens the people file at `path` with `options` and
 * prints what it read (or the error), under exactly `flags`.
 */
async function readWith(
  flags: string[],
  path: string,
  options: { engine?: EngineChoice; library?: string } = {},
): Promise<Outcome> {
  const script = `
    import { DataSet, SQLiteBindFactory } from ${JSON.stringify(MOD)};
    const db = DataSet.create("people", ${JSON.stringify(options)});
    db.bind(new SQLiteBindFactory({ paths: { people: ${
    JSON.stringify(path)
  } } }));
    try {
      const rows = await Array.fromAsync(db.sql\`select first, last from person\`);
      const names = rows.map((r) => r.first + " " + r.last).sort();
      console.log(JSON.stringify({ engine: db.engine, names }));
    } catch (error) {
      console.log(JSON.stringify({ error: error.name, message: error.message }));
    }
    await db.close();
  `;
  return await runScriptJson(["--no-prompt", ...flags], script, {
    clearEnv: true,
  });
}

/** The folder holding `path`. */
const folder = (path: string) => path.slice(0, path.lastIndexOf("/"));

/** The system SQLite library as a full path, where a usual one exists. */
const LIBRARY = [
  "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0",
  "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0",
  "/usr/lib64/libsqlite3.so.0",
  "/usr/lib/libsqlite3.so.0",
].find((candidate) => {
  try {
    return Deno.statSync(candidate).isFile;
  } catch {
    return false;
  }
});

Deno.test("--allow-read=<data folder> alone reads through node:sqlite", async () => {
  const path = await peopleFile("node");
  const before = await sha256(path);
  assert.deepEqual(await readWith([`--allow-read=${folder(path)}`], path), {
    engine: "node",
    names: EXPECTED,
  });
  assert.equal(await sha256(path), before);
});

Deno.test("--allow-read=<data folder> alone refuses engine ffi with a DataSetError naming --allow-ffi", async () => {
  const path = await peopleFile("node");
  const outcome = await readWith([`--allow-read=${folder(path)}`], path, {
    engine: "ffi",
  });
  assert.equal(outcome.error, "DataSetError");
  assert.match(
    outcome.message!,
    /FFI is not allowed \(run Deno with --allow-ffi/,
  );
});

Deno.test("--allow-read=<data folder> --allow-ffi reads through FFI", async () => {
  const path = await peopleFile("ffi");
  const before = await sha256(path);
  assert.deepEqual(
    await readWith([`--allow-read=${folder(path)}`, "--allow-ffi"], path),
    { engine: "ffi", names: EXPECTED },
  );
  assert.equal(await sha256(path), before);
});

Deno.test({
  name:
    "--allow-ffi=<library> scoped to the library loads it and calls it, but reading a C string back needs the unscoped flag",
  ignore: LIBRARY === undefined,
}, async () => {
  const script = `
    const lib = Deno.dlopen(${JSON.stringify(LIBRARY)}, {
      sqlite3_libversion_number: { parameters: [], result: "i32" },
      sqlite3_libversion: { parameters: [], result: "pointer" },
    });
    const number = lib.symbols.sqlite3_libversion_number();
    const pointer = lib.symbols.sqlite3_libversion();
    let text;
    try {
      text = Deno.UnsafePointerView.getCString(pointer);
    } catch (error) {
      text = error.name;
    }
    console.log(JSON.stringify({ number, text }));
  `;
  const { number, text } = await runScriptJson(
    ["--no-prompt", `--allow-ffi=${LIBRARY}`],
    script,
  );
  assert.ok(number >= 3_000_000, `sqlite3_libversion_number() = ${number}`);
  assert.equal(text, "NotCapable");
});

Deno.test({
  name:
    "--allow-ffi=<library> (scoped) refuses engine ffi with a DataSetError asking for the unscoped --allow-ffi",
  ignore: LIBRARY === undefined,
}, async () => {
  const path = await peopleFile("ffi");
  const outcome = await readWith(
    [`--allow-read=${folder(path)}`, `--allow-ffi=${LIBRARY}`],
    path,
    { engine: "ffi", library: LIBRARY! },
  );
  assert.equal(outcome.error, "DataSetError");
  assert.match(
    outcome.message!,
    /a path-scoped --allow-ffi=<library> is not enough/,
  );
});

Deno.test({
  name:
    "--allow-ffi=<library> (scoped) with engine auto reads through node:sqlite",
  ignore: LIBRARY === undefined,
}, async () => {
  const path = await peopleFile("ffi");
  assert.deepEqual(
    await readWith(
      [`--allow-read=${folder(path)}`, `--allow-ffi=${LIBRARY}`],
      path,
      { library: LIBRARY! },
    ),
    { engine: "node", names: EXPECTED },
  );
});

for (
  const [engine, flags] of [["node", []], ["ffi", ["--allow-ffi"]]] as const
) {
  Deno.test(`--deny-net changes nothing: the ${engine} engine reads the file`, async () => {
    const path = await peopleFile(engine);
    assert.deepEqual(
      await readWith(
        ["--deny-net", `--allow-read=${folder(path)}`, ...flags],
        path,
      ),
      { engine, names: EXPECTED },
    );
  });
}
