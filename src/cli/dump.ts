/**
 * `dump`: one table or query of a dataset file to CSV or JSON Lines.
 *
 * @module
 */
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { selectAllSql } from "../_sql_build.ts";
import { dumpCsv, dumpJsonLines, type DumpOptions } from "../dump.ts";
import { Store } from "../store.ts";
import {
  bindFile,
  createOutput,
  ENGINE_OPTION,
  ENGINE_USAGE,
  engineOf,
  type Io,
  loadModels,
  modelFor,
  openFile,
  UsageError,
  write,
} from "./_io.ts";
import {
  bindQuery,
  jsonParameter,
  type QueryParameter,
  runQuery,
} from "./_query.ts";

/** The usage text of `dump`. */
export const DUMP_USAGE = `Usage: microcosm dump <file.sqlite> <table> [options]
       microcosm dump <file.sqlite> --query <sql> [options]

Writes one table (or the rows of a query) to CSV or JSON Lines, on stdout
or into a file, streamed. Without --models the columns are the file's; with
--models the rows go through the table's model: columns in model order,
property names as headers, booleans and JSON typed.

Options:
  --query <sql>        dump the rows of a query instead of a table
  --param <text>       a value for the query's next ? placeholder, as text
                       (repeat it, in order; SQLite converts text compared
                       with a number column)
  --param-json <json>  the same, typed: a JSON number (INTEGER when whole,
                       else REAL), string, true/false (1/0) or null
  --models <file>      a models module for the file
  --dataset <name>     the dataset, when the module declares several
  --format <csv|jsonl> the output format (default: from --output, else csv)
  --output <file>      write into a file instead of stdout
  --headers <properties|columns>
                       header names with --models (default properties)
  --delimiter <char>   the CSV delimiter (default ",")
${ENGINE_USAGE}  -h, --help           this help

Example:
  microcosm dump geo.sqlite --format jsonl \\
    --query "SELECT * FROM city WHERE country = ? AND population > ?" \\
    --param FR --param-json 100000

When the reader of stdout goes away (| head), dump stops quietly, exit 0.
`;

/**
 * Joins `--name value` into `--name=value` for options whose value may
 * start with "-" (a negative number, a dash), which parseArgs would
 * otherwise take for an option.
 */
function joinValues(args: string[], names: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      joined.push(...args.slice(i));
      break;
    }
    if (names.includes(arg) && i + 1 < args.length) {
      joined.push(`${arg}=${args[++i]}`);
    } else joined.push(arg);
  }
  return joined;
}

/** Runs `dump`. */
export async function dump(args: string[], io: Io): Promise<number> {
  const { values, positionals, tokens } = parseArgs({
    args: joinValues(args, ["--param", "--param-json"]),
    options: {
      query: { type: "string" },
      param: { type: "string", multiple: true },
      "param-json": { type: "string", multiple: true },
      models: { type: "string" },
      dataset: { type: "string" },
      format: { type: "string" },
      output: { type: "string" },
      headers: { type: "string" },
      delimiter: { type: "string" },
      help: { type: "boolean", short: "h" },
      ...ENGINE_OPTION,
    },
    allowPositionals: true,
    strict: true,
    tokens: true,
  });
  if (values.help) {
    await write(io.out, DUMP_USAGE);
    return 0;
  }
  const [path, table, ...rest] = positionals;
  if (path === undefined || rest.length > 0) {
    throw new UsageError("expected <file.sqlite> and a <table> or --query");
  }
  if ((table === undefined) === (values.query === undefined)) {
    throw new UsageError("give either a <table> or --query");
  }
  if (values.query !== undefined && values.models !== undefined) {
    throw new UsageError("--models applies to tables, not to --query");
  }
  // The values of --param and --param-json, in the order given.
  const params: QueryParameter[] = [];
  for (const token of tokens) {
    if (token.kind !== "option" || token.value === undefined) continue;
    if (token.name === "param") params.push(token.value);
    if (token.name === "param-json") params.push(jsonParameter(token.value));
  }
  if (params.length > 0 && values.query === undefined) {
    throw new UsageError("--param and --param-json apply to --query");
  }
  const query = bindQuery(
    values.query ?? selectAllSql(table!),
    params,
  );
  const engine = engineOf(values.engine);
  const output = values.output;
  const format = values.format ??
    (output !== undefined &&
        [".jsonl", ".ndjson"].includes(extname(output).toLowerCase())
      ? "jsonl"
      : "csv");
  if (format !== "csv" && format !== "jsonl") {
    throw new UsageError(`--format must be csv or jsonl, got ${format}`);
  }
  const headers = values.headers;
  if (
    headers !== undefined && headers !== "properties" && headers !== "columns"
  ) {
    throw new UsageError(
      `--headers must be properties or columns, got ${headers}`,
    );
  }
  if (headers !== undefined && values.models === undefined) {
    throw new UsageError("--headers applies with --models");
  }
  if (values.delimiter !== undefined && format !== "csv") {
    throw new UsageError("--delimiter applies to CSV, not to JSON Lines");
  }
  let stream: ReadableStream<Uint8Array>;
  let close: () => Promise<void>;
  if (values.models !== undefined) {
    const dataset = await loadModels(values.models, values.dataset);
    const model = modelFor(dataset, table!);
    bindFile(dataset, path, engine);
    await dataset.open();
    const options: DumpOptions = headers === undefined ? {} : { headers };
    const store = new Store(model);
    stream = format === "csv"
      ? dumpCsv(store, {
        ...options,
        ...(values.delimiter === undefined
          ? {}
          : { delimiter: values.delimiter }),
      })
      : dumpJsonLines(store, options);
    close = () => dataset.close();
  } else {
    const dataset = await openFile(path, engine);
    const rows = runQuery(dataset, query);
    stream = format === "csv"
      ? dumpCsv(
        rows,
        values.delimiter === undefined ? {} : { delimiter: values.delimiter },
      )
      : dumpJsonLines(rows);
    close = () => dataset.close();
  }
  const reader = stream.getReader();
  try {
    // The first chunk comes before the output file is made, so a query
    // that fails at once (no such table) leaves no empty file behind.
    const first = await reader.read();
    if (output === undefined) {
      for (let next = first; !next.done; next = await reader.read()) {
        await io.out.write(next.value);
      }
    } else {
      const file = (await createOutput(output)).writable.getWriter();
      try {
        for (let next = first; !next.done; next = await reader.read()) {
          await file.write(next.value);
        }
        await file.close();
      } catch (error) {
        await file.abort(error).catch(() => {});
        throw error;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
    await close();
  }
  return 0;
}
