/**
 * The command-line tool of `@microcosm/sqlite`: build dataset files from
 * CSV and JSON Lines, inspect, dump, generate models, verify.
 *
 * ```sh
 * deno run -A jsr:@microcosm/sqlite/cli build models.ts data/geo.sqlite country=csv/country.csv
 * deno run -A jsr:@microcosm/sqlite/cli inspect data/geo.sqlite
 * deno run -A jsr:@microcosm/sqlite/cli verify models.ts data/geo.sqlite
 * deno run -A jsr:@microcosm/sqlite/cli dump data/geo.sqlite country --format jsonl
 * deno run -A jsr:@microcosm/sqlite/cli codegen other.sqlite > other_models.ts
 * deno run -A jsr:@microcosm/sqlite/cli serve data/geo.sqlite --port 8000
 * ```
 *
 * Every command takes `--help`. Errors go to stderr with a non-zero exit
 * code (1 for a failure or a `verify` problem, 2 for a usage error); they
 * name files as typed, and say what a relative path is relative to. When
 * the reader of stdout goes away (`dump ... | head -1`), the command stops
 * quietly with exit code 0, as `cat` does. Long work draws a progress bar
 * on stderr when stderr is a terminal.
 *
 * @module
 */
import { build, BUILD_USAGE } from "./src/cli/build.ts";
import { codegen, CODEGEN_USAGE } from "./src/cli/codegen.ts";
import { dump, DUMP_USAGE } from "./src/cli/dump.ts";
import { inspect, INSPECT_USAGE } from "./src/cli/inspect.ts";
import { serve, SERVE_USAGE } from "./src/cli/serve.ts";
import { verify, VERIFY_USAGE } from "./src/cli/verify.ts";
import {
  type Io,
  isBrokenPipe,
  isUsageError,
  messageOf,
  write,
} from "./src/cli/_io.ts";
import { VERSION } from "./src/_version.ts";

/** Where {@linkcode main} writes; the process's streams by default. */
export interface MainOptions {
  /**
   * Where results go.
   * @default {Deno.stdout.writable}
   */
  stdout?: WritableStream<Uint8Array>;
  /**
   * Where errors and progress go.
   * @default {Deno.stderr.writable}
   */
  stderr?: WritableStream<Uint8Array>;
  /**
   * Whether to draw progress bars on `stderr`.
   * @default {Deno.stderr.isTerminal()}
   */
  progress?: boolean;
}

const COMMANDS: Record<
  string,
  { run: (args: string[], io: Io) => Promise<number>; usage: string }
> = {
  build: { run: build, usage: BUILD_USAGE },
  inspect: { run: inspect, usage: INSPECT_USAGE },
  dump: { run: dump, usage: DUMP_USAGE },
  codegen: { run: codegen, usage: CODEGEN_USAGE },
  verify: { run: verify, usage: VERIFY_USAGE },
  serve: { run: serve, usage: SERVE_USAGE },
};

const USAGE = `Usage: microcosm <command> [options]

Commands:
  build     CSV, JSON Lines and JSON files to a dataset file, atomically
  inspect   tables, columns, row counts, indexes, sizes, SHA-256, build metadata
  dump      one table or query to CSV or JSON Lines
  codegen   a TypeScript models module for an existing SQLite file
  verify    a models module against a dataset file
  serve     a dataset file over HTTP: a JSON API and a browse page

Run "microcosm <command> --help" for a command's options, and
"microcosm --version" for the version. Every command that reads a file takes
--engine <auto|ffi|node>.
Permissions: -A, or --allow-read, --allow-write (build, --output) and
--allow-ffi (the FFI engine; node:sqlite otherwise, or with --engine node),
--allow-net (serve).
`;

/**
 * Runs the tool with command-line arguments and returns the exit code.
 * @param args The arguments, e.g. `Deno.args`.
 * @param options Where to write (the process's streams by default).
 * @returns 0 on success (or when the reader of `stdout` went away), 1 on
 * a failure or a `verify` problem, 2 on a usage error.
 *
 * @example
 * ```ts
 * import { main } from "@microcosm/sqlite/cli";
 * import assert from "node:assert/strict";
 *
 * let text = "";
 * const stdout = new WritableStream<Uint8Array>({
 *   write(chunk) {
 *     text += new TextDecoder().decode(chunk);
 *   },
 * });
 * assert.equal(await main(["inspect", "--help"], { stdout }), 0);
 * assert.match(text, /Usage: microcosm inspect/);
 * ```
 */
export async function main(
  args: readonly string[],
  options: MainOptions = {},
): Promise<number> {
  // Writes to stdout go through a watch that notes when its reader went
  // away, so the command can stop quietly, as `cat` does.
  let stdoutGone = false;
  const stdout = (options.stdout ?? Deno.stdout.writable).getWriter();
  const watched = new WritableStream<Uint8Array>({
    async write(chunk) {
      try {
        await stdout.write(chunk);
      } catch (error) {
        if (isBrokenPipe(error)) stdoutGone = true;
        throw error;
      }
    },
  });
  const out = watched.getWriter();
  const err = (options.stderr ?? Deno.stderr.writable).getWriter();
  const io: Io = {
    out,
    err,
    progress: options.progress ?? Deno.stderr.isTerminal(),
  };
  const [name, ...rest] = args;
  try {
    if (name === "--help" || name === "-h") {
      await write(out, USAGE);
      return 0;
    }
    if (name === undefined) {
      await write(err, USAGE);
      return 2;
    }
    if (name === "--version") {
      await write(out, `${VERSION}\n`);
      return 0;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) {
      await write(
        err,
        `microcosm: unknown command ${JSON.stringify(name)}\n\n${USAGE}`,
      );
      return 2;
    }
    try {
      return await command.run(rest, io);
    } catch (error) {
      if (stdoutGone) return 0;
      const usage = isUsageError(error);
      await write(
        err,
        `microcosm ${name}: ${messageOf(error)}\n${
          usage ? `Run "microcosm ${name} --help" for usage.\n` : ""
        }`,
      );
      return usage ? 2 : 1;
    }
  } catch (error) {
    if (stdoutGone) return 0;
    throw error;
  } finally {
    out.releaseLock();
    stdout.releaseLock();
    err.releaseLock();
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
