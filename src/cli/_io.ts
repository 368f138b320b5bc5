/**
 * The command-line tool's input and output: writers for stdout and stderr,
 * the progress bar, argument errors, opening files and models modules.
 *
 * @module
 */
import { basename, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DataSet } from "../dataset.ts";
import { type EngineChoice, SQLiteBindFactory } from "../bind.ts";
import type { AnyModel } from "../model.ts";
import { foldIdentifier, identityOfSync } from "../_rules.ts";
import { DataSetError } from "../errors.ts";

/** Where a command writes. */
export interface Io {
  /** Results. */
  readonly out: WritableStreamDefaultWriter<Uint8Array>;
  /** Errors and progress. */
  readonly err: WritableStreamDefaultWriter<Uint8Array>;
  /** Whether to draw progress bars on `err`. */
  readonly progress: boolean;
}

const encoder = new TextEncoder();

/** Writes text to a writer. */
export async function write(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  text: string,
): Promise<void> {
  await writer.write(encoder.encode(text));
}

/** A usage problem: shown with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** Whether an error is a usage problem: ours, or one of `parseArgs`. */
export function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

/** Whether an error says the reader of a pipe went away (`EPIPE`). */
export function isBrokenPipe(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe;
}

/** Thousands separators for counts. */
export function count(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A count with its noun, singular for exactly one: `1 row`, `2 rows`,
 * `1,234 rows`.
 */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${count(n)} ${Math.round(n) === 1 ? noun : plural}`;
}

/**
 * A path as the user typed it, saying what a relative one is relative to:
 * `data/x.sqlite (relative to /srv/app)`.
 */
export function shownPath(path: string): string {
  return isAbsolute(path) ? path : `${path} (relative to ${Deno.cwd()})`;
}

/** A byte size for people: `1.2 MiB`. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** What a progress bar shows. */
export interface ProgressState {
  /** What is being done, e.g. the table and file. */
  readonly label: string;
  /** Rows so far. */
  readonly rows: number;
  /** Bytes read so far. */
  readonly bytesRead: number;
  /** The total bytes, when known. */
  readonly bytesTotal: number | undefined;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/**
 * A one-line progress bar on stderr: rows, rows per second and the share
 * of bytes read. Silent unless enabled (stderr is a terminal).
 */
export class ProgressBar {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #enabled: boolean;
  readonly #now: () => number;
  #start: number;
  #last = -Infinity;
  #drawn = false;
  #pending: Promise<void> = Promise.resolve();

  constructor(
    writer: WritableStreamDefaultWriter<Uint8Array>,
    enabled: boolean,
    now: () => number = () => performance.now(),
  ) {
    this.#writer = writer;
    this.#enabled = enabled;
    this.#now = now;
    this.#start = now();
  }

  /** Restarts the clock for a new task. */
  reset(): void {
    this.#start = this.#now();
    this.#last = -Infinity;
  }

  /** The line for a state (exported for tests through the class). */
  render(state: ProgressState): string {
    const seconds = Math.max((this.#now() - this.#start) / 1000, 1e-3);
    const rate = state.rows / seconds;
    let bar = "";
    if (state.bytesTotal !== undefined && state.bytesTotal > 0) {
      const share = Math.min(state.bytesRead / state.bytesTotal, 1);
      const filled = Math.round(share * BAR_WIDTH);
      bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${
        Math.floor(share * 100).toString().padStart(3)
      }% `;
    }
    return `${state.label} ${bar}${counted(state.rows, "row")}, ${
      count(rate)
    } rows/s`;
  }

  /** Redraws, at most every 100 ms. */
  update(state: ProgressState): void {
    if (!this.#enabled) return;
    const now = this.#now();
    if (now - this.#last < REDRAW_MS) return;
    this.#last = now;
    this.#drawn = true;
    const line = `\r\x1b[2K${this.render(state)}`;
    this.#pending = this.#pending.then(() => write(this.#writer, line));
  }

  /** Ends the line, leaving the last state visible. */
  async done(state?: ProgressState): Promise<void> {
    if (!this.#enabled) return;
    if (state !== undefined) {
      this.#last = -Infinity;
      this.update(state);
    }
    await this.#pending;
    if (this.#drawn) await write(this.#writer, "\n");
    this.#drawn = false;
  }
}

/** The `--engine` option of the commands that open a file. */
export const ENGINE_OPTION = { engine: { type: "string" } } as const;

/** The usage line of `--engine`. */
export const ENGINE_USAGE = `  --engine <auto|ffi|node>
                       the SQLite engine (default auto: ffi when --allow-ffi
                       is granted and a library loads, else node:sqlite)
`;

/** The engine an `--engine` value chooses. */
export function engineOf(value: string | undefined): EngineChoice {
  if (value === undefined) return "auto";
  if (value === "auto" || value === "ffi" || value === "node") return value;
  throw new UsageError(
    `--engine must be auto, ffi or node, got ${JSON.stringify(value)}`,
  );
}

let opened = 0;
/** The private dataset names of opened files, and the paths as typed. */
const typedPaths = new Map<string, string>();

/**
 * Opens an SQLite file read-only under a private dataset name. Opening
 * never creates or changes a file. Messages name the file as typed, never
 * the private name (see {@linkcode messageOf}).
 */
export async function openFile(
  path: string,
  engine: EngineChoice,
): Promise<DataSet> {
  const name = `microcosm_cli_${++opened}_${
    basename(path).replace(/[^A-Za-z0-9_.-]/g, "_")
  }`;
  typedPaths.set(name, path);
  const dataset = DataSet.create(name);
  dataset.bind(
    new SQLiteBindFactory({ paths: { [name]: resolve(path) }, engine }),
  );
  await dataset.open();
  return dataset;
}

/**
 * Binds a models module's dataset to a file, by absolute path, so that
 * the library's messages say where the file is.
 */
export function bindFile(
  dataset: DataSet,
  path: string,
  engine: EngineChoice,
): void {
  dataset.bind(
    new SQLiteBindFactory({
      paths: { [dataset.name]: resolve(path) },
      engine,
    }),
  );
}

/**
 * The message of an error as the user should read it: a file opened under
 * a private dataset name is named by its path as typed (with what a
 * relative path is relative to, unless the message also holds the
 * absolute path).
 */
export function messageOf(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  if (
    (error as { code?: unknown } | null)?.code ===
      "ERR_PARSE_ARGS_UNKNOWN_OPTION"
  ) {
    // parseArgs adds a hint about "--" with unbalanced quotes; the usage
    // line that follows says more.
    message = message.replace(/(?<=\.) To specify a positional[^]*$/, "");
  }
  for (const [name, path] of typedPaths) {
    if (!message.includes(name)) continue;
    const first = isAbsolute(path) || message.includes(resolve(path))
      ? path
      : shownPath(path);
    message = message
      .replace(`dataset ${JSON.stringify(name)}`, first)
      .replaceAll(`dataset ${JSON.stringify(name)}`, path)
      .replaceAll(JSON.stringify(name), path)
      .replaceAll(name, path);
  }
  return message;
}

/**
 * Creates (or truncates) an output file the user named, with a message
 * that names it as typed when that fails.
 */
export async function createOutput(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new Error(`Cannot write ${shownPath(path)}: ${whyNot(error, path)}`, {
      cause: error,
    });
  }
}

/** Writes a whole output file the user named (see {@linkcode createOutput}). */
export async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (error) {
    throw new Error(`Cannot write ${shownPath(path)}: ${whyNot(error, path)}`, {
      cause: error,
    });
  }
}

function whyNot(error: unknown, path: string): string {
  if (error instanceof Deno.errors.NotFound) {
    return "its folder does not exist";
  }
  if (error instanceof Deno.errors.NotCapable) {
    return `write access is not granted (run Deno with --allow-write=${
      resolve(path)
    } or a folder holding it)`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return "the operating system denies writing it";
  }
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder";
  return (error as Error).message ?? String(error);
}

/** A models module's dataset, chosen by name when it declares several. */
export async function loadModels(
  path: string,
  datasetName: string | undefined,
): Promise<DataSet> {
  const url = pathToFileURL(resolve(path)).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new UsageError(
      `cannot import the models module ${shownPath(path)}: ${
        (error as Error).message
      }`,
    );
  }
  const found = new Set<DataSet>();
  let foreign = false;
  for (const value of Object.values(module)) {
    if (value instanceof DataSet) found.add(value);
    else if (
      typeof value === "function" && "dataset" in value &&
      (value as { dataset: unknown }).dataset instanceof DataSet
    ) {
      found.add((value as unknown as AnyModel).dataset);
    } else if (
      value !== null && typeof value === "object" && "Model" in value &&
      "models" in value
    ) {
      foreign = true;
    }
  }
  if (found.size === 0) {
    throw new UsageError(
      foreign
        ? `the models module ${
          shownPath(path)
        } uses another copy of @microcosm/sqlite than this tool: run the tool of the same version (e.g. deno run -A jsr:@microcosm/sqlite@<version>/cli)`
        : `the models module ${shownPath(path)} exports no DataSet or model`,
    );
  }
  const datasets = [...found];
  if (datasetName !== undefined) {
    const chosen = datasets.find((d) => d.name === datasetName);
    if (chosen === undefined) {
      throw new UsageError(
        `the models module ${
          shownPath(path)
        } has no dataset "${datasetName}"; it has ${
          datasets.map((d) => `"${d.name}"`).join(", ")
        }`,
      );
    }
    return chosen;
  }
  if (datasets.length > 1) {
    throw new UsageError(
      `the models module ${shownPath(path)} declares several datasets (${
        datasets.map((d) => `"${d.name}"`).join(", ")
      }): choose one with --dataset`,
    );
  }
  return datasets[0]!;
}

/** The model of a table, by SQL name (any case). */
export function modelFor(dataset: DataSet, table: string): AnyModel {
  const model = dataset.models.find((m) => m.tableName === table) ??
    dataset.models.find((m) =>
      foldIdentifier(m.tableName) === foldIdentifier(table)
    );
  if (model === undefined) {
    throw new UsageError(
      `dataset "${dataset.name}" has no table "${table}"; it has ${
        dataset.models.map((m) => m.tableName).join(", ")
      }`,
    );
  }
  return model;
}

/**
 * How many times a command reads a file again when it changed while the
 * command read it.
 */
export const STEADY_ATTEMPTS = 3;

/**
 * Runs `read`, a command's reads of the file at `path` (several statements
 * and whole-file hashes, each of which would otherwise report its own
 * version), so that its report comes from one version of the file: when
 * the file changed (or was replaced) while `read` ran, whether it answered
 * or failed, it runs again, up to {@linkcode STEADY_ATTEMPTS} times. `read`
 * opens the file itself, so each attempt reads it afresh.
 * @param action Starts the message: `Cannot inspect data/geo.sqlite`.
 * @throws {DataSetError} When the file changed during every attempt.
 */
export async function readSteadily<T>(
  path: string,
  action: string,
  read: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    // Device, inode, size and modification time; undefined while missing.
    const before = identityOfSync(path);
    let answer: { value: T } | undefined;
    let failed: unknown;
    try {
      answer = { value: await read() };
    } catch (error) {
      failed = error;
    }
    if (identityOfSync(path) === before) {
      if (answer === undefined) throw failed;
      return answer.value;
    }
    if (attempt >= STEADY_ATTEMPTS) {
      throw new DataSetError(
        `${action}: the file changed while it was read (${STEADY_ATTEMPTS} times); run the command again once it is written`,
        failed === undefined ? {} : { cause: failed },
      );
    }
  }
}
