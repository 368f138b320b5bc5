/**
 * `build`: a models module plus `table=file` pairs (or a JSON manifest) to
 * a dataset file, atomically.
 *
 * @module
 */
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SQLiteBindFactory } from "../bind.ts";
import { buildDataSet } from "../build.ts";
import {
  counted,
  ENGINE_OPTION,
  ENGINE_USAGE,
  engineOf,
  type Io,
  loadModels,
  modelFor,
  ProgressBar,
  shownPath,
  UsageError,
  write,
} from "./_io.ts";

/** The usage text of `build`. */
export const BUILD_USAGE =
  `Usage: microcosm build <models.ts> <out.sqlite> <table>=<file>... [options]
       microcosm build --manifest <build.json>

Builds a dataset file atomically from CSV (.csv, .tsv), JSON Lines
(.jsonl, .ndjson) and JSON array (.json) files: the tables of the models
module, the rows of each file with the model's column types applied,
foreign keys checked, then one rename over <out.sqlite>. On any error the
old file is left as it was.

Options:
  --manifest <file>    a JSON manifest instead of arguments:
                       {"models": "models.ts", "output": "data.sqlite",
                        "dataset": "name", "tables": {"<table>": "<file>" |
                        {"file": "<file>", "delimiter": ";"}}}
                       (paths relative to the manifest)
  --dataset <name>     the dataset, when the module declares several
  --delimiter <char>   the CSV delimiter (default "," and tab for .tsv)
${ENGINE_USAGE}  -h, --help           this help

A table of the models given no file is created empty, and the report says so.
`;

interface Source {
  table: string;
  file: string;
  delimiter: string | undefined;
}

interface Plan {
  models: string;
  output: string;
  dataset: string | undefined;
  sources: Source[];
}

function formatOf(file: string): "csv" | "tsv" | "jsonl" | "json" {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".tsv") return "tsv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".json") return "json";
  throw new UsageError(
    `cannot tell the format of ${file}: expected .csv, .tsv, .jsonl, .ndjson or .json`,
  );
}

async function readManifest(path: string): Promise<Plan> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new UsageError(
      `cannot read the manifest ${shownPath(path)}: ${
        (error as Error).message
      }`,
    );
  }
  const bad = (detail: string): never => {
    throw new UsageError(`invalid manifest ${shownPath(path)}: ${detail}`);
  };
  if (manifest === null || typeof manifest !== "object") {
    return bad("expected a JSON object");
  }
  const { models, output, dataset, tables } = manifest as Record<
    string,
    unknown
  >;
  if (typeof models !== "string") return bad(`"models" must be a path`);
  if (typeof output !== "string") return bad(`"output" must be a path`);
  if (dataset !== undefined && typeof dataset !== "string") {
    return bad(`"dataset" must be a name`);
  }
  if (tables === null || typeof tables !== "object" || Array.isArray(tables)) {
    return bad(`"tables" must map table names to files`);
  }
  const base = dirname(path);
  const at = (file: string) => isAbsolute(file) ? file : join(base, file);
  const sources = Object.entries(tables).map(([table, entry]): Source => {
    if (typeof entry === "string") {
      return { table, file: at(entry), delimiter: undefined };
    }
    if (
      entry === null || typeof entry !== "object" ||
      typeof (entry as { file?: unknown }).file !== "string"
    ) {
      return bad(`table "${table}" needs a file`);
    }
    const { file, delimiter } = entry as { file: string; delimiter?: unknown };
    if (delimiter !== undefined && typeof delimiter !== "string") {
      return bad(`the delimiter of table "${table}" must be a string`);
    }
    return { table, file: at(file), delimiter };
  });
  return {
    models: at(models),
    output: at(output),
    dataset,
    sources,
  };
}

/** Fails early, naming the path as typed, when the output's folder is not one. */
async function checkFolder(output: string): Promise<void> {
  const folder = dirname(resolve(output));
  let problem: string;
  try {
    if ((await Deno.stat(folder)).isDirectory) return;
    problem = "is not a folder";
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return; // the build says why
    problem = "does not exist";
  }
  throw new Error(
    `Cannot build ${shownPath(output)}: ${folder} ${problem}`,
  );
}

/** Runs `build`. */
export async function build(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      manifest: { type: "string" },
      dataset: { type: "string" },
      delimiter: { type: "string" },
      help: { type: "boolean", short: "h" },
      ...ENGINE_OPTION,
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    await write(io.out, BUILD_USAGE);
    return 0;
  }
  let plan: Plan;
  if (values.manifest !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError("give either --manifest or arguments, not both");
    }
    plan = await readManifest(values.manifest);
    if (values.dataset !== undefined) plan.dataset = values.dataset;
  } else {
    const [models, output, ...pairs] = positionals;
    if (models === undefined || output === undefined) {
      throw new UsageError(
        "expected <models.ts> <out.sqlite> <table>=<file>...",
      );
    }
    plan = {
      models,
      output,
      dataset: values.dataset,
      sources: pairs.map((pair) => {
        const at = pair.indexOf("=");
        if (at <= 0 || at === pair.length - 1) {
          throw new UsageError(
            `expected <table>=<file>, got ${JSON.stringify(pair)}`,
          );
        }
        return {
          table: pair.slice(0, at),
          file: pair.slice(at + 1),
          delimiter: undefined,
        };
      }),
    };
  }
  const engine = engineOf(values.engine);
  await checkFolder(plan.output);
  const dataset = await loadModels(plan.models, plan.dataset);
  if (values.engine !== undefined) {
    dataset.bind(new SQLiteBindFactory({ engine }));
  }
  const loads = plan.sources.map((source) => ({
    ...source,
    model: modelFor(dataset, source.table),
    format: formatOf(source.file),
  }));
  const bar = new ProgressBar(io.err, io.progress);
  const started = performance.now();
  const result = await buildDataSet(dataset, plan.output, async (context) => {
    for (const load of loads) {
      bar.reset();
      const label = `${load.model.tableName} < ${load.file}`;
      let last = {
        label,
        rows: 0,
        bytesRead: 0,
        bytesTotal: 0 as number | undefined,
      };
      const onProgress = (p: {
        rows: number;
        bytesRead: number;
        bytesTotal: number | undefined;
      }) => {
        last = { label, ...p };
        bar.update(last);
      };
      // The library gets absolute paths, so its messages say where a file is.
      const file = resolve(load.file);
      if (load.format === "jsonl") {
        await context.loadJsonLines(load.model, file, { onProgress });
      } else if (load.format === "json") {
        await context.loadJson(load.model, file, { onProgress });
      } else {
        await context.loadCsv(load.model, file, {
          delimiter: load.delimiter ?? values.delimiter ??
            (load.format === "tsv" ? "\t" : ","),
          onProgress,
        });
      }
      await bar.done(last);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const given = new Set(loads.map((load) => load.model.tableName));
  const tables = Object.entries(result.rows).map(([table, rows]) =>
    `  ${table}: ${counted(rows, "row")}${
      given.has(table) ? "" : " (no file given: created empty)"
    }`
  );
  await write(
    io.out,
    `Built ${result.path} in ${seconds.toFixed(1)} s\n${tables.join("\n")}\n`,
  );
  await dataset.close();
  return 0;
}
