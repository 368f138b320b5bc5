/**
 * `inspect`: what a dataset file holds.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { METADATA_TABLE, readBuildMetadata } from "../build.ts";
import type { BuildMetadata } from "../build.ts";
import { type DataSet, SESSION } from "../dataset.ts";
import {
  countRows,
  geoIndexes,
  type GeoIndexSchema,
  readSchema,
  searchIndexes,
  type SearchIndexSchema,
  shadowTableNames,
  shadowTables,
} from "../_introspect.ts";
import { foldIdentifier } from "../_rules.ts";
import { PAGE_COUNT, PAGE_SIZE } from "../_sql_build.ts";
import { hashFile, hashSession, recordedHash } from "../_hash.ts";
import type { FeatureNeed } from "../_capabilities.ts";
import {
  enginesHere,
  type EngineSupport,
  fileNeeds,
  supportLines,
} from "../_capability_report.ts";
import {
  counted,
  ENGINE_OPTION,
  ENGINE_USAGE,
  engineOf,
  type Io,
  openFile,
  readSteadily,
  size,
  UsageError,
  write,
} from "./_io.ts";

/** The usage text of `inspect`. */
export const INSPECT_USAGE = `Usage: microcosm inspect <file.sqlite> [options]

Shows the tables of a dataset file with their columns and types, row
counts and indexes, its full-text (FTS5) indexes, the page size, the file
size, what the file needs of SQLite (FTS5, R*Tree, JSON and math
functions, STRICT tables) against what each engine here provides, its
SHA-256, its content hash (the ETag of a served file; checked
against the one the build metadata records) and the build metadata.
Opens the file read-only.

Options:
  --json               machine-readable output
${ENGINE_USAGE}  -h, --help           this help
`;

/** A column as `inspect` reports it. */
export interface ColumnInfo {
  name: string;
  type: string;
  notNull: boolean;
  primaryKey: number;
  default: string | null;
}

/** A table as `inspect` reports it. */
export interface TableInfo {
  name: string;
  rows: number;
  columns: ColumnInfo[];
  indexes: { name: string; unique: boolean; columns: string[] }[];
  foreignKeys: { columns: string[]; table: string; to: (string | null)[] }[];
  /**
   * The table's geo index (an R*Tree from the model's `geo` option), its
   * shadow tables left out of the listing; absent without one.
   */
  geo?: { index: string; lat: string | null; lon: string | null };
}

/** What `inspect --json` prints. */
export interface FileInfo {
  path: string;
  bytes: number;
  sha256: string;
  /**
   * The content hash `dataset.contentHash()` answers for the file, computed
   * from its bytes (equal to `sha256` unless the file records its hash).
   */
  contentHash: string;
  /** Whether the hash the build metadata records is the file's; null without one. */
  contentHashMatches: boolean | null;
  /**
   * What the file's schema needs of SQLite (FTS5, R*Tree, JSON and math
   * functions, STRICT tables), each with what needs it.
   */
  needs: FeatureNeed[];
  /** What each engine here provides. */
  engines: EngineSupport[];
  pageSize: number;
  pageCount: number;
  tables: TableInfo[];
  /** The FTS5 full-text indexes (their shadow tables are not in `tables`). */
  searchIndexes: SearchIndexSchema[];
  metadata: BuildMetadata | null;
}

/** Reads the schema of an open file: user tables in creation order. */
export async function readTables(dataset: DataSet): Promise<TableInfo[]> {
  const session = await dataset[SESSION]();
  const action = `Cannot inspect ${dataset.path}`;
  const ftsShadows = shadowTableNames(searchIndexes(session, action));
  const shadows = shadowTables(session, action);
  const geo = geoIndexes(session, action);
  return readSchema(session, action)
    .filter((table) =>
      !table.virtual && table.name !== METADATA_TABLE &&
      !shadows.has(table.name) && !ftsShadows.has(foldIdentifier(table.name))
    )
    .map((table) => ({
      ...geoInfo(geo, table.name),
      name: table.name,
      rows: countRows(session, table.name, action),
      columns: table.columns,
      indexes: table.indexes
        .filter((index) => index.origin !== "pk")
        .map((index) => ({
          name: index.name,
          unique: index.unique,
          columns: index.columns.map((column) => column ?? "(expression)"),
        })),
      foreignKeys: table.foreignKeys,
    }));
}

/** The `geo` field of a table's info, when the file has its geo index. */
function geoInfo(
  indexes: readonly GeoIndexSchema[],
  table: string,
): Pick<TableInfo, "geo"> {
  const found = indexes.find((index) => index.table === table);
  if (found === undefined) return {};
  return {
    geo: {
      index: found.index,
      lat: found.columns?.lat ?? null,
      lon: found.columns?.lon ?? null,
    },
  };
}

/** Runs `inspect`. */
export async function inspect(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      ...ENGINE_OPTION,
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    await write(io.out, INSPECT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError("expected one <file.sqlite>");
  }
  const path = positionals[0]!;
  const info = await readSteadily(path, `Cannot inspect ${path}`, async () => {
    const dataset = await openFile(path, engineOf(values.engine));
    try {
      return await fileInfo(path, dataset);
    } finally {
      await dataset.close();
    }
  });
  await write(
    io.out,
    values.json ? JSON.stringify(info, null, 2) + "\n" : render(info),
  );
  return 0;
}

/** What `inspect` reports of the file at `path`, open as `dataset`. */
async function fileInfo(path: string, dataset: DataSet): Promise<FileInfo> {
  const session = await dataset[SESSION]();
  const action = `Cannot inspect ${path}`;
  const recorded = recordedHash(session, action);
  const contentHash = await hashSession(session, recorded, action);
  const info: FileInfo = {
    path,
    bytes: (await Deno.stat(path)).size,
    sha256: await hashFile(path, undefined),
    contentHash,
    contentHashMatches: recorded === undefined
      ? null
      : recorded === contentHash,
    needs: fileNeeds(session, action),
    engines: await enginesHere(),
    pageSize: Number(session.value(PAGE_SIZE, [], action)),
    pageCount: Number(session.value(PAGE_COUNT, [], action)),
    tables: await readTables(dataset),
    searchIndexes: searchIndexes(session, action),
    metadata: (await readBuildMetadata(dataset)) ?? null,
  };
  return info;
}

function render(info: FileInfo): string {
  const lines = [
    `file     ${info.path}`,
    `size     ${size(info.bytes)} (${counted(info.bytes, "byte")}), ${
      counted(info.pageCount, "page")
    } of ${info.pageSize} bytes`,
    `sha256   ${info.sha256}`,
    `content  ${info.contentHash}${
      info.contentHashMatches === null
        ? " (the file records no content hash: its SHA-256)"
        : info.contentHashMatches
        ? " (as its build metadata records)"
        : " (DOES NOT MATCH the hash its build metadata records: the file changed after it was built)"
    }`,
  ];
  lines.push(...supportLines(info.needs, info.engines));
  const meta = info.metadata;
  if (meta === null) {
    lines.push("built    (no build metadata)");
  } else {
    lines.push(
      `built    ${meta.builtAt} by ${meta.library} ${meta.libraryVersion} (SQLite ${meta.sqliteVersion}), dataset "${meta.dataset}"`,
    );
    if (meta.sources.length > 0) {
      lines.push(
        `sources  paths relative to ${
          dirname(resolve(info.path))
        } (the file's folder)`,
      );
    }
    for (const source of meta.sources) {
      lines.push(
        `source   ${source.file} -> ${source.table}: ${
          counted(source.rows, "row")
        }, ${size(source.bytes)}, sha256 ${source.sha256}`,
      );
    }
  }
  for (const table of info.tables) {
    lines.push("", `table ${table.name}: ${counted(table.rows, "row")}`);
    const width = Math.max(...table.columns.map((c) => c.name.length));
    for (const column of table.columns) {
      const flags = [
        column.type || "(no type)",
        column.notNull ? "NOT NULL" : "",
        column.primaryKey > 0 ? "PRIMARY KEY" : "",
        column.default !== null ? `DEFAULT ${column.default}` : "",
      ].filter((flag) => flag !== "");
      lines.push(`  ${column.name.padEnd(width)}  ${flags.join(" ")}`);
    }
    const nul = meta?.nulText?.[table.name];
    if (nul !== undefined && nul.columns.length > 0) {
      lines.push(
        nul.holding.length === 0
          ? `  NUL text none (recorded by the build)`
          : `  NUL text in ${
            nul.holding.join(", ")
          } (recorded by the build: node:sqlite cannot read it whole)`,
      );
    }
    for (const index of table.indexes) {
      lines.push(
        `  ${index.unique ? "unique index" : "index"} ${index.name} (${
          index.columns.join(", ")
        })`,
      );
    }
    if (table.geo !== undefined) {
      lines.push(
        `  geo index ${table.geo.index}: R*Tree${
          table.geo.lat === null
            ? ""
            : ` on (${table.geo.lat}, ${table.geo.lon})`
        }`,
      );
    }
    for (const key of table.foreignKeys) {
      lines.push(
        `  foreign key (${key.columns.join(", ")}) -> ${key.table}${
          key.to.some((t) => t !== null) ? ` (${key.to.join(", ")})` : ""
        }`,
      );
    }
  }
  for (const index of info.searchIndexes) {
    lines.push(
      "",
      `search index ${index.name} (FTS5) over ${
        index.content === null
          ? "its own copy of the text"
          : `table ${index.content}`
      }: ${index.columns.join(", ")}; tokenize ${
        JSON.stringify(index.tokenize || "unicode61")
      }`,
    );
  }
  return lines.join("\n") + "\n";
}
