/**
 * The command-line tool's input and output: writers for stdout and stderr,
 * the progress bar, argument errors, opening files and models modules.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DataSet } from "../dataset.ts";
import { SQLiteBindFactory } from "../bind.ts";
import type { AnyModel } from "../model.ts";
import { foldIdentifier } from "../_rules.ts";

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

/** Thousands separators for counts. */
export function count(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
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
    return `${state.label} ${bar}${count(state.rows)} rows, ${
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

let opened = 0;

/**
 * Opens an SQLite file read-only under a private dataset name. Opening
 * never creates or changes a file.
 */
export async function openFile(path: string): Promise<DataSet> {
  const name = `microcosm_cli_${++opened}_${
    basename(path).replace(/[^A-Za-z0-9_.-]/g, "_")
  }`;
  const dataset = DataSet.create(name);
  dataset.bind(new SQLiteBindFactory({ paths: { [name]: resolve(path) } }));
  await dataset.open();
  return dataset;
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
      `cannot import the models module ${path}: ${(error as Error).message}`,
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
        ? `the models module ${path} uses another copy of @microcosm/sqlite than this tool: run the tool of the same version (e.g. deno run -A jsr:@microcosm/sqlite@<version>/cli)`
        : `the models module ${path} exports no DataSet or model`,
    );
  }
  const datasets = [...found];
  if (datasetName !== undefined) {
    const chosen = datasets.find((d) => d.name === datasetName);
    if (chosen === undefined) {
      throw new UsageError(
        `the models module ${path} has no dataset "${datasetName}"; it has ${
          datasets.map((d) => `"${d.name}"`).join(", ")
        }`,
      );
    }
    return chosen;
  }
  if (datasets.length > 1) {
    throw new UsageError(
      `the models module ${path} declares several datasets (${
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

/** SHA-256 of a file, streamed, hex. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}
