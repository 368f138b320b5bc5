/**
 * `dump`: one table or query of a dataset file to CSV or JSON Lines.
 *
 * @module
 */
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { quote } from "../columns.ts";
import { SQLiteBindFactory } from "../bind.ts";
import { dumpCsv, dumpJsonLines, type DumpOptions } from "../dump.ts";
import { Store } from "../store.ts";
import { RAW_SQL } from "../dataset.ts";
import {
  type Io,
  loadModels,
  modelFor,
  openFile,
  UsageError,
  write,
} from "./_io.ts";

/** The usage text of `dump`. */
export const DUMP_USAGE = `Usage: microcosm dump <file.sqlite> <table> [options]
       microcosm dump <file.sqlite> --query <sql> [options]

Writes one table (or the rows of a query) to CSV or JSON Lines, on stdout
or into a file, streamed. Without --models the columns are the file's; with
--models the rows go through the table's model: columns in model order,
property names as headers, booleans and JSON typed.

Options:
  --query <sql>        dump the rows of a query instead of a table
  --models <file>      a models module for the file
  --dataset <name>     the dataset, when the module declares several
  --format <csv|jsonl> the output format (default: from --output, else csv)
  --output <file>      write into a file instead of stdout
  --headers <properties|columns>
                       header names with --models (default properties)
  --delimiter <char>   the CSV delimiter (default ",")
  -h, --help           this help
`;

/** Runs `dump`. */
export async function dump(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      query: { type: "string" },
      models: { type: "string" },
      dataset: { type: "string" },
      format: { type: "string" },
      output: { type: "string" },
      headers: { type: "string" },
      delimiter: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
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
  let stream: ReadableStream<Uint8Array>;
  let close: () => Promise<void>;
  if (values.models !== undefined) {
    const dataset = await loadModels(values.models, values.dataset);
    const model = modelFor(dataset, table!);
    dataset.bind(new SQLiteBindFactory({ paths: { [dataset.name]: path } }));
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
    const dataset = await openFile(path);
    const sql = values.query ?? `SELECT * FROM ${quote(table!)}`;
    const rows = dataset[RAW_SQL](sql);
    stream = format === "csv"
      ? dumpCsv(
        rows,
        values.delimiter === undefined ? {} : { delimiter: values.delimiter },
      )
      : dumpJsonLines(rows);
    close = () => dataset.close();
  }
  try {
    if (output === undefined) {
      for await (const chunk of stream) await io.out.write(chunk);
    } else {
      const file = await Deno.open(output, {
        write: true,
        create: true,
        truncate: true,
      });
      await stream.pipeTo(file.writable);
    }
  } finally {
    await close();
  }
  return 0;
}
