/**
 * `verify`: a models module against a dataset file.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { verifyDataSet } from "../verify.ts";
import { supportLines } from "../_capability_report.ts";
import {
  bindFile,
  counted,
  ENGINE_OPTION,
  ENGINE_USAGE,
  engineOf,
  type Io,
  loadModels,
  readSteadily,
  UsageError,
  write,
} from "./_io.ts";

/** The usage text of `verify`. */
export const VERIFY_USAGE =
  `Usage: microcosm verify <models.ts> <file.sqlite> [options]

Checks a dataset file against a models module: missing tables or columns,
declared types or stored values the models cannot read, NULLs in NOT NULL
columns, SQLite's integrity check, a content hash the build metadata
records, and what the file needs of SQLite (FTS5, R*Tree, JSON and math
functions, STRICT tables) against what each engine here provides. Prints a report; exits with 1 on any
problem. Opens the file read-only.

Options:
  --dataset <name>     the dataset, when the module declares several
  --json               machine-readable output
${ENGINE_USAGE}  -h, --help           this help
`;

/** Runs `verify`. */
export async function verify(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      dataset: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      ...ENGINE_OPTION,
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    await write(io.out, VERIFY_USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    throw new UsageError("expected <models.ts> <file.sqlite>");
  }
  const [models, path] = positionals as [string, string];
  const engine = engineOf(values.engine);
  const dataset = await loadModels(models, values.dataset);
  bindFile(dataset, path, engine);
  try {
    const report = await readSteadily(
      path,
      `Cannot verify ${path}`,
      async () => {
        try {
          return await verifyDataSet(dataset);
        } finally {
          // The next attempt opens the file afresh.
          await dataset.close();
        }
      },
    );
    if (values.json) {
      await write(io.out, JSON.stringify(report, null, 2) + "\n");
    } else {
      const lines = Object.entries(report.tables).map(([table, rows]) =>
        `table ${table}: ${counted(rows, "row")}`
      );
      lines.push(...supportLines(report.needs, report.engines));
      for (const problem of report.problems) {
        lines.push(`problem: ${problem.message}`);
      }
      lines.push(
        report.ok
          ? `ok: ${path} matches the models of dataset "${dataset.name}"`
          : `${
            counted(report.problems.length, "problem")
          }: ${path} does not match the models of dataset "${dataset.name}"`,
      );
      await write(io.out, lines.join("\n") + "\n");
    }
    return report.ok ? 0 : 1;
  } finally {
    await dataset.close();
  }
}
