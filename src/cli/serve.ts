/**
 * `serve`: a dataset file over HTTP, read-only, with a models module's
 * models or, without one, every table of the file as its schema declares
 * it.
 *
 * @module
 */
import { basename, extname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DataSet } from "../dataset.ts";
import { SQLiteBindFactory } from "../bind.ts";
import { createHandler } from "../http/handler.ts";
import {
  bindFile,
  ENGINE_OPTION,
  ENGINE_USAGE,
  engineOf,
  type Io,
  loadModels,
  UsageError,
  write,
} from "./_io.ts";

/** The usage text of `serve`. */
export const SERVE_USAGE =
  `Usage: microcosm serve [<models.ts>] <file.sqlite> [options]

Serves a dataset file read-only over HTTP: a JSON API and a browse page
(open the address in a browser). With a models module, its models are
served; without one, every table of the file, typed as codegen reads it.
Runs until interrupted (Ctrl-C).

Options:
  --port <n>           the port (default 8000; 0 picks a free one)
  --host <name>        the address to listen on (default 127.0.0.1)
  --dataset <name>     the dataset, when the module declares several
  --base-path <path>   serve under this path prefix, e.g. /data
  --cors <origin>      allow this origin (or *) to read the API
${ENGINE_USAGE}  -h, --help           this help

Permissions: --allow-read (the file, and the module), --allow-net.
`;

/** A dataset name from a file name: `world-cities.sqlite` → `world-cities`. */
function datasetNameOf(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]/g, "_");
  return /^[A-Za-z_]/.test(stem) ? stem : `_${stem}`;
}

/** Runs `serve` until the process is interrupted or terminated. */
export async function serve(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      dataset: { type: "string" },
      "base-path": { type: "string" },
      cors: { type: "string" },
      help: { type: "boolean", short: "h" },
      ...ENGINE_OPTION,
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    await write(io.out, SERVE_USAGE);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) {
    throw new UsageError("expected [<models.ts>] <file.sqlite>");
  }
  const port = Number(values.port ?? "8000");
  if (!/^\d+$/.test(values.port ?? "8000") || port > 65535) {
    throw new UsageError(
      `--port takes a number from 0 to 65535, got ${
        JSON.stringify(values.port)
      }`,
    );
  }
  const engine = engineOf(values.engine);
  let dataset: DataSet;
  if (positionals.length === 2) {
    dataset = await loadModels(positionals[0]!, values.dataset);
    bindFile(dataset, positionals[1]!, engine);
  } else {
    if (values.dataset !== undefined) {
      throw new UsageError("--dataset needs a models module");
    }
    const path = positionals[0]!;
    dataset = DataSet.create(datasetNameOf(path));
    dataset.bind(
      new SQLiteBindFactory({
        paths: { [dataset.name]: resolve(path) },
        engine,
      }),
    );
  }
  // Open now, so a missing or broken file fails here, not on a request.
  await dataset.open();
  const handler = createHandler(dataset, {
    ...(values["base-path"] === undefined
      ? {}
      : { basePath: values["base-path"] }),
    ...(values.cors === undefined
      ? {}
      : { cors: values.cors === "*" ? true : values.cors }),
  });
  const controller = new AbortController();
  const stop = () => controller.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  try {
    let listening: (address: Deno.NetAddr) => void;
    const listened = new Promise<Deno.NetAddr>((resolve) =>
      listening = resolve
    );
    const server = Deno.serve({
      hostname: values.host ?? "127.0.0.1",
      port,
      signal: controller.signal,
      onListen: (address) => listening(address),
    }, handler);
    const address = await listened;
    const host = address.hostname.includes(":")
      ? `[${address.hostname}]`
      : address.hostname;
    await write(
      io.out,
      `Serving ${dataset.name} at http://${host}:${address.port}${
        values["base-path"] ?? ""
      }/\n`,
    );
    await server.finished;
    return 0;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
    await dataset.close();
  }
}
