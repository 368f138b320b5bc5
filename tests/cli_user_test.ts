/**
 * The command-line tool as a new user meets it: a closed stdout, messages
 * that name files as typed, counts, query parameters, `--engine`, and the
 * help agreeing with the README.
 */
import assert from "node:assert/strict";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD_USAGE } from "../src/cli/build.ts";
import { CODEGEN_USAGE } from "../src/cli/codegen.ts";
import { DUMP_USAGE } from "../src/cli/dump.ts";
import { INSPECT_USAGE } from "../src/cli/inspect.ts";
import { VERIFY_USAGE } from "../src/cli/verify.ts";
import {
  counted,
  isUsageError,
  ProgressBar,
  UsageError,
} from "../src/cli/_io.ts";
import {
  buildFixture,
  builtShop,
  engineTest,
  runCli,
  runCliWith,
  runDeno,
  tempDir,
} from "./_helpers.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const MODELS = buildFixture("models.ts");
const decoder = new TextDecoder();

/** 200,000 rows from any file: more than a pipe holds. */
const MANY_ROWS =
  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT i FROM n";

engineTest(
  "dump | head -1: a closed stdout ends the dump quietly with exit 0",
  async (engine) => {
    const { path } = await builtShop(engine);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI,
        "dump",
        path,
        "--query",
        MANY_ROWS,
        "--engine",
        engine,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const reader = child.stdout.getReader();
    const first = await reader.read();
    // Closing our end of the pipe is what `head` does after its line.
    await reader.cancel();
    const [stderr, status] = await Promise.all([
      new Response(child.stderr).text(),
      child.status,
    ]);
    assert.match(decoder.decode(first.value), /^i\r\n1\r\n/);
    assert.equal(stderr, "");
    assert.equal(status.signal, null);
    assert.equal(status.code, 0);
  },
);

engineTest(
  "A stdout whose reader went away ends any command with exit 0 and nothing on stderr; other write errors still fail",
  async (engine) => {
    const { path } = await builtShop(engine);
    const failing = (error: Error) => {
      let chunks = 0;
      return new WritableStream<Uint8Array>({
        write() {
          if (++chunks > 1) throw error;
        },
      });
    };
    for (
      const args of [["dump", path, "--query", MANY_ROWS], ["inspect", path]]
    ) {
      const { code, stderr } = await runCliWith([...args, "--engine", engine], {
        stdout: failing(
          new Deno.errors.BrokenPipe("Broken pipe (os error 32)"),
        ),
      });
      assert.equal(stderr, "", args[0]);
      assert.equal(code, 0, args[0]);
    }
    const { code, stderr } = await runCliWith(
      ["dump", path, "--query", MANY_ROWS, "--engine", engine],
      { stdout: failing(new Deno.errors.PermissionDenied("disk says no")) },
    );
    assert.equal(code, 1);
    assert.equal(stderr, "microcosm dump: disk says no\n");
  },
);

engineTest(
  "CLI errors name files as typed, never by an internal dataset name",
  async (engine) => {
    const dir = await tempDir();
    const shop = relative(Deno.cwd(), (await builtShop(engine)).path);
    const missing = relative(Deno.cwd(), `${dir}/none.sqlite`);
    const notes = relative(Deno.cwd(), `${dir}/notes.sqlite`);
    await Deno.writeTextFile(
      notes,
      "not a database, but long enough to have a header ".repeat(4),
    );
    const cases: [string[], string][] = [
      [["inspect", missing], missing],
      [["codegen", missing], missing],
      [["dump", missing, "t"], missing],
      [["inspect", notes], notes],
      [["dump", shop, "nope"], shop],
      [["dump", shop, "--query", "SELECT * FROM nope"], shop],
    ];
    for (const [args, typed] of cases) {
      const { code, stdout, stderr } = await runCli(
        ...args,
        "--engine",
        engine,
      );
      const what = args.join(" ");
      assert.equal(code, 1, what);
      assert.equal(stdout, "", what);
      assert.doesNotMatch(stderr, /microcosm_cli_/, what);
      assert.ok(
        stderr.startsWith(`microcosm ${args[0]}: Cannot `),
        `${what}: ${stderr}`,
      );
      assert.ok(stderr.includes(typed), `${what}: ${stderr}`);
      // A relative path says where it is: the absolute path or the folder.
      assert.ok(
        stderr.includes(resolve(typed)) ||
          stderr.includes(`${typed} (relative to ${Deno.cwd()})`),
        `${what}: ${stderr}`,
      );
    }
    const opened = await runCli("inspect", missing, "--engine", engine);
    assert.equal(
      opened.stderr,
      `microcosm inspect: Cannot open ${missing}: file does not exist: ${
        resolve(missing)
      }\n`,
    );
    const query = await runCli("dump", shop, "nope", "--engine", engine);
    assert.ok(
      query.stderr.startsWith("microcosm dump: Cannot ") &&
        query.stderr.includes(` ${shop} (relative to ${Deno.cwd()}): `),
      query.stderr,
    );
  },
);

engineTest(
  "Relative paths in errors say what they are relative to",
  async (engine) => {
    const dir = await tempDir();
    const { path: shop } = await builtShop(engine);
    const cwd = Deno.cwd();
    const nowhere = relative(cwd, `${dir}/no/such/folder`);
    const relativeTo = (path: string) => `${path} (relative to ${cwd})`;
    const cases: [string[], number, string][] = [
      [
        ["dump", shop, "category", "--output", `${nowhere}/c.csv`],
        1,
        `Cannot write ${
          relativeTo(`${nowhere}/c.csv`)
        }: its folder does not exist`,
      ],
      [
        ["codegen", shop, "--output", `${nowhere}/m.ts`],
        1,
        `Cannot write ${
          relativeTo(`${nowhere}/m.ts`)
        }: its folder does not exist`,
      ],
      [
        ["build", MODELS, `${nowhere}/x.sqlite`],
        1,
        `Cannot build ${relativeTo(`${nowhere}/x.sqlite`)}: ${
          resolve(nowhere)
        } does not exist`,
      ],
      [
        ["build", "--manifest", `${nowhere}/build.json`],
        2,
        `cannot read the manifest ${relativeTo(`${nowhere}/build.json`)}: `,
      ],
      [
        ["verify", `${nowhere}/models.ts`, shop],
        2,
        `cannot import the models module ${
          relativeTo(`${nowhere}/models.ts`)
        }: `,
      ],
      [
        ["verify", relative(cwd, MODELS), `${nowhere}/x.sqlite`],
        1,
        `file does not exist: ${resolve(nowhere)}/x.sqlite`,
      ],
      [
        ["dump", `${nowhere}/x.sqlite`, "product", "--models", MODELS],
        1,
        `file does not exist: ${resolve(nowhere)}/x.sqlite`,
      ],
    ];
    for (const [args, exit, message] of cases) {
      const { code, stderr } = await runCli(...args, "--engine", engine);
      assert.equal(code, exit, stderr);
      assert.ok(stderr.includes(message), `${args.join(" ")}:\n${stderr}`);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  },
);

engineTest(
  "dump --output leaves no file when the table does not exist",
  async (engine) => {
    const dir = await tempDir();
    const { path: shop } = await builtShop(engine);
    const { code } = await runCli(
      "dump",
      shop,
      "nope",
      "--output",
      `${dir}/x.csv`,
      "--engine",
      engine,
    );
    assert.equal(code, 1);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  },
);

Deno.test("counted() writes one row, two rows", () => {
  assert.equal(counted(0, "row"), "0 rows");
  assert.equal(counted(1, "row"), "1 row");
  assert.equal(counted(2, "row"), "2 rows");
  assert.equal(counted(1234, "row"), "1,234 rows");
  assert.equal(counted(1, "value was", "values were"), "1 value was");
  assert.equal(counted(3, "value was", "values were"), "3 values were");
  const bar = new ProgressBar(
    new WritableStream().getWriter(),
    true,
    () => 1000,
  );
  assert.match(
    bar.render({ label: "x", rows: 1, bytesRead: 1, bytesTotal: undefined }),
    /^x 1 row, /,
  );
});

engineTest(
  "build, inspect and verify write 1 row and 2 rows, and build names a table given no file",
  async (engine) => {
    const dir = await tempDir();
    await Deno.writeTextFile(`${dir}/one.csv`, "code,label\ntools,Tools\n");
    const path = `${dir}/one.sqlite`;
    const built = await runCli(
      "build",
      MODELS,
      path,
      `category=${dir}/one.csv`,
      "--engine",
      engine,
    );
    assert.equal(built.code, 0, built.stderr);
    assert.match(
      built.stdout,
      /\n {2}category: 1 row\n {2}product: 0 rows \(no file given: created empty\)\n$/,
    );
    const inspected = await runCli("inspect", path, "--engine", engine);
    assert.match(inspected.stdout, /\ntable category: 1 row\n/);
    assert.match(inspected.stdout, /\ntable product: 0 rows\n/);
    assert.match(inspected.stdout, /-> category: 1 row, /);
    assert.ok(
      inspected.stdout.includes(
        `\nsources  paths relative to ${dir} (the file's folder)\nsource   one.csv -> category: 1 row, `,
      ),
      inspected.stdout,
    );
    const verified = await runCli("verify", MODELS, path, "--engine", engine);
    assert.equal(verified.code, 0, verified.stdout);
    assert.match(
      verified.stdout,
      /^table category: 1 row\ntable product: 0 rows\n/,
    );
    const shop = await runCli(
      "inspect",
      (await builtShop(engine)).path,
      "--engine",
      engine,
    );
    assert.match(shop.stdout, /\ntable category: 3 rows\n/);
  },
);

engineTest(
  "dump --query binds --param as text and --param-json typed, in the order given",
  async (engine) => {
    const { path: shop } = await builtShop(engine);
    const typed = await runCli(
      "dump",
      shop,
      "--format",
      "jsonl",
      "--engine",
      engine,
      "--query",
      "SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f, ? = -9223372036854775807 - 1 AS g, typeof(?) AS h",
      "--param-json",
      "42",
      "--param",
      "42",
      "--param-json",
      "1.5",
      "--param-json",
      '"x"',
      "--param-json",
      "null",
      "--param-json",
      "true",
      "--param-json",
      "-9223372036854775808",
      "--param-json",
      "9007199254740993",
    );
    assert.equal(typed.code, 0, typed.stderr);
    assert.equal(
      typed.stdout,
      '{"a":42,"b":"42","c":1.5,"d":"x","e":null,"f":1,"g":1,"h":"integer"}\n',
    );
    const filtered = await runCli(
      "dump",
      shop,
      "--engine",
      engine,
      "--query",
      "SELECT code FROM category WHERE code = ? OR label = ? ORDER BY code",
      "--param",
      "tools",
      "--param",
      'Kitchen "pro"',
    );
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.equal(filtered.stdout, "code\r\nkitchen\r\ntools\r\n");
  },
);

engineTest(
  "dump --query never pastes a value into SQL, and finds placeholders as SQLite does",
  async (engine) => {
    const { path: shop } = await builtShop(engine);
    const hostile = await runCli(
      "dump",
      shop,
      "--engine",
      engine,
      "--query",
      "SELECT count(*) AS n FROM category WHERE code = ?",
      "--param",
      "x' OR '1'='1",
    );
    assert.equal(hostile.stdout, "n\r\n0\r\n");
    const quoted = await runCli(
      "dump",
      shop,
      "--format",
      "jsonl",
      "--engine",
      engine,
      "--query",
      "SELECT '?' AS \"a?\", ? AS [b?], 'it''s ?' AS `c?` -- ?\n/* ? :x $y */",
      "--param",
      "v",
    );
    assert.equal(quoted.code, 0, quoted.stderr);
    assert.equal(quoted.stdout, '{"a?":"?","b?":"v","c?":"it\'s ?"}\n');
  },
);

engineTest(
  "dump refuses a wrong number of values, named parameters, bad JSON and options that do not apply, with exit 2",
  async (engine) => {
    const { path: shop } = await builtShop(engine);
    const cases: [string[], string][] = [
      [
        ["--query", "SELECT ?, ?", "--param", "1"],
        "the query has 2 ? placeholders but 1 value was given (--param, --param-json)",
      ],
      [
        ["--query", "SELECT 1", "--param-json", "1"],
        "the query has 0 ? placeholders but 1 value was given",
      ],
      [
        ["--query", "SELECT ?"],
        "the query has 1 ? placeholder but 0 values were given",
      ],
      [
        ["--query", "SELECT :name", "--param", "1"],
        "named parameters (:name) are not supported",
      ],
      [
        ["--query", "SELECT @name", "--param", "1"],
        "named parameters (@name) are not supported",
      ],
      [
        ["--query", "SELECT $name", "--param", "1"],
        "named parameters ($name) are not supported",
      ],
      [
        ["--query", "SELECT ?1", "--param", "1"],
        "numbered parameters (?1) are not supported",
      ],
      [
        ["--query", "SELECT ?", "--param-json", "[1]"],
        "--param-json takes a JSON number, string, true, false or null, got [1]",
      ],
      [
        ["--query", "SELECT ?", "--param-json", "{"],
        "--param-json takes a JSON number",
      ],
      [
        ["--query", "SELECT ?", "--param-json", "9223372036854775808"],
        "beyond SQLite's 64-bit integers",
      ],
      [
        ["category", "--param", "1"],
        "--param and --param-json apply to --query",
      ],
      [["category", "--headers", "columns"], "--headers applies with --models"],
      [
        ["category", "--format", "jsonl", "--delimiter", ";"],
        "--delimiter applies to CSV, not to JSON Lines",
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await runCli(
        "dump",
        shop,
        ...args,
        "--engine",
        engine,
      );
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.equal(stdout, "");
      assert.ok(
        stderr.startsWith("microcosm dump: ") && stderr.includes(message),
        `${args.join(" ")}:\n${stderr}`,
      );
      assert.match(stderr, /Run "microcosm dump --help" for usage\.\n$/);
    }
  },
);

Deno.test("--engine reaches the library: ffi without --allow-ffi fails saying so, node reads", async () => {
  const dir = await tempDir();
  const { path: shop } = await builtShop("node");
  const ffi = await runDeno([
    "run",
    `--allow-read=${dir},${shop}`,
    CLI,
    "inspect",
    shop,
    "--engine",
    "ffi",
  ]);
  assert.equal(ffi.code, 1);
  assert.match(
    ffi.stderr,
    /^microcosm inspect: Cannot open .*shop\.sqlite with the ffi engine: .*--allow-ffi/,
  );
  const node = await runDeno([
    "run",
    `--allow-read=${shop}`,
    CLI,
    "inspect",
    shop,
    "--engine",
    "node",
  ]);
  assert.equal(node.code, 0, node.stderr);
  assert.match(node.stdout, /table product: 3 rows/);
  const bad = await runCli("inspect", shop, "--engine", "sqlite");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--engine must be auto, ffi or node, got "sqlite"/);
});

Deno.test("Without a command the usage goes to stderr with exit 2; unknown options read cleanly", async () => {
  const none = await runCli();
  assert.equal(none.code, 2);
  assert.equal(none.stdout, "");
  assert.match(none.stderr, /^Usage: microcosm <command>/);
  const version = await runCli("--version");
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  const unknown = await runCli("inspect", "--bogus");
  assert.equal(
    unknown.stderr,
    `microcosm inspect: Unknown option '--bogus'.\nRun "microcosm inspect --help" for usage.\n`,
  );
});

Deno.test("The README's CLI section and the commands' help agree on every option", async () => {
  const readme = await Deno.readTextFile(
    new URL("../README.md", import.meta.url),
  );
  const usages: Record<string, string> = {
    build: BUILD_USAGE,
    inspect: INSPECT_USAGE,
    dump: DUMP_USAGE,
    codegen: CODEGEN_USAGE,
    verify: VERIFY_USAGE,
  };
  const start = readme.indexOf("- **`build`**");
  const end = readme.indexOf("Every command takes `--help`", start);
  assert.ok(start > 0 && end > start, "the README lists the commands");
  const section = readme.slice(start, end);
  const all = new Set<string>();
  for (const [command, usage] of Object.entries(usages)) {
    assert.ok(section.includes(`**\`${command}\`**`), command);
    // The options a usage defines: its lines that begin with one.
    for (
      const [, option] of usage.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)
    ) {
      all.add(option!);
      if (option === "--help" || option === "--engine") continue;
      const bullet = section.slice(section.indexOf(`**\`${command}\`**`)).split(
        "\n- ",
      )[0]!;
      assert.ok(bullet.includes(`\`${option}`), `README: ${command} ${option}`);
    }
  }
  for (const [option] of section.matchAll(/--[a-z][a-z-]*/g)) {
    assert.ok(
      all.has(option),
      `README names ${option}, which no command takes`,
    );
  }
  assert.ok(
    readme.includes("takes `--help` and `--engine"),
    "README: --engine",
  );
});

Deno.test("An error whose code is not a string is a failure, not a crash of the tool", () => {
  assert.equal(
    isUsageError(Object.assign(new Error("x"), { code: 11 })),
    false,
  );
  assert.equal(isUsageError(null), false);
  assert.equal(isUsageError(new UsageError("x")), true);
  assert.equal(
    isUsageError(
      Object.assign(new TypeError("x"), {
        code: "ERR_PARSE_ARGS_UNKNOWN_OPTION",
      }),
    ),
    true,
  );
});
