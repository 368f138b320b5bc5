/**
 * The FFI engine reads `DENO_SQLITE_PATH` and `MICROCOSM_SQLITE_LIBRARY`
 * without ever prompting: directly when stdin is no terminal (Deno then
 * never prompts, it refuses), through a permission query first when it is
 * one. The library's load is FFI-only, so these run on the FFI engine.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runDeno, tempDir } from "./_helpers.ts";

const FFI = new URL("../src/_ffi.ts", import.meta.url).href;

/** Loads the engine and prints the library it loaded and the queries made. */
const SCRIPT = `import { loadFfiEngine } from ${JSON.stringify(FFI)};
const query = Deno.permissions.querySync.bind(Deno.permissions);
let queries = 0;
Deno.permissions.querySync = (descriptor) => {
  queries++;
  return query(descriptor);
};
const library = loadFfiEngine().library;
console.log(JSON.stringify({ library, queries, terminal: Deno.stdin.isTerminal() }));
`;

/** Another name of the system library, which only the variable chooses. */
const OTHER = "libsqlite3.so";
const linux = Deno.build.os === "linux";

async function scriptFile(): Promise<string> {
  const path = join(await tempDir({ prefix: "ffi_env_test_" }), "load.ts");
  await Deno.writeTextFile(path, SCRIPT);
  return path;
}

Deno.test({
  name:
    "without a terminal, the library variables are read when allowed and skipped silently when not, with no permission query",
  ignore: !linux,
  async fn(t) {
    const file = await scriptFile();
    const cases: {
      name: string;
      flags: string[];
      env: Record<string, string>;
      library: string;
    }[] = [
      {
        name: "--allow-env reads DENO_SQLITE_PATH",
        flags: ["--allow-env"],
        env: { DENO_SQLITE_PATH: OTHER },
        library: OTHER,
      },
      {
        name: "no env permission skips it",
        flags: [],
        env: { DENO_SQLITE_PATH: OTHER },
        library: "libsqlite3.so.0",
      },
      {
        name: "--deny-env skips it",
        flags: ["--deny-env"],
        env: { DENO_SQLITE_PATH: OTHER },
        library: "libsqlite3.so.0",
      },
      {
        name: "a permission for one variable reads that one only",
        flags: ["--allow-env=DENO_SQLITE_PATH"],
        env: {
          DENO_SQLITE_PATH: OTHER,
          MICROCOSM_SQLITE_LIBRARY: "/nonexistent/libsqlite3.so",
        },
        library: OTHER,
      },
      {
        name: "MICROCOSM_SQLITE_LIBRARY, when allowed, is the choice",
        flags: ["--allow-env"],
        env: { MICROCOSM_SQLITE_LIBRARY: OTHER },
        library: OTHER,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        // Empty unless the case sets them: a variable of this process's
        // environment would otherwise take part.
        const env = {
          DENO_SQLITE_PATH: "",
          MICROCOSM_SQLITE_LIBRARY: "",
          ...c.env,
        };
        const run = await runDeno(
          ["run", "--allow-read", "--allow-ffi", ...c.flags, file],
          { env, ok: true, stdin: "" },
        );
        assert.deepEqual(JSON.parse(run.stdout), {
          library: c.library,
          queries: 0,
          terminal: false,
        });
        assert.equal(run.stderr, "");
      });
    }
  },
});

Deno.test({
  name:
    "with a terminal, the library variables are queried first and never prompted for",
  // script(1) runs the process on a pseudo-terminal.
  ignore: !linux || !(await hasScript()),
  async fn(t) {
    const file = await scriptFile();
    for (
      const [flags, library] of [
        [[], "libsqlite3.so.0"],
        [["--allow-env"], OTHER],
      ] as const
    ) {
      await t.step(`flags: ${flags.join(" ") || "none"}`, async () => {
        const command = [
          Deno.execPath(),
          "run",
          "--allow-read",
          "--allow-ffi",
          ...flags,
          file,
        ].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
        // A prompt would wait for an answer: the timeout ends it.
        const output = await new Deno.Command("script", {
          args: ["-qec", command, "/dev/null"],
          env: {
            NO_COLOR: "1",
            DENO_SQLITE_PATH: OTHER,
            MICROCOSM_SQLITE_LIBRARY: "",
          },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(60_000),
        }).output();
        const text = new TextDecoder().decode(output.stdout);
        assert.doesNotMatch(text, /requests env access/);
        const line = text.split(/\r?\n/).find((l) => l.startsWith("{"));
        assert.ok(line !== undefined, text);
        assert.deepEqual(JSON.parse(line), {
          library,
          queries: 2,
          terminal: true,
        });
      });
    }
  },
});

/** Whether script(1) is here and can make a pseudo-terminal. */
async function hasScript(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("script", {
      args: ["-qec", "true", "/dev/null"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}
