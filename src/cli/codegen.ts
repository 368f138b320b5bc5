/**
 * `codegen`: a TypeScript module of models for an existing SQLite file.
 *
 * The file's names are data: they only ever appear in the generated text
 * as JSON string literals or as identifiers made of `[A-Za-z0-9_]`.
 *
 * @module
 */
import { basename, extname } from "node:path";
import { parseArgs } from "node:util";
import { affinity, builderNames, DATE_LIMIT_MS } from "../_kinds.ts";
import { largestMagnitudeSql } from "../_sql_build.ts";
import { tokenizerOf } from "../_fts.ts";
import { DATASET_NAME, escapeRegExp, foldIdentifier } from "../_rules.ts";
import {
  ENGINE_OPTION,
  ENGINE_USAGE,
  engineOf,
  type Io,
  openFile,
  UsageError,
  write,
  writeOutput,
} from "./_io.ts";
import { METADATA_TABLE } from "../metadata.ts";
import { type DataSet, SESSION } from "../dataset.ts";
import {
  geoIndexes,
  holdsWideIntegers,
  readSchema,
  searchIndexes,
  type SearchIndexSchema,
  shadowTableNames,
  shadowTables,
  storedTypes as readStoredTypes,
  type TableSchema as TableInfo,
} from "../_introspect.ts";

/** The usage text of `codegen`. */
export const CODEGEN_USAGE = `Usage: microcosm codegen <file.sqlite> [options]

Prints a TypeScript module declaring a dataset and one model per table of an
existing SQLite file: SQL names mapped to camelCase properties (with
{ name } where they differ), types, nullability, primary keys (composite
too), foreign keys, unique constraints, indexes and full-text (FTS5)
indexes, as the search option rather than models of their shadow tables.
Opens the file read-only.

Options:
  --dataset <name>     the dataset name (default: the file name)
  --import <spec>      where the module imports the library from
                       (default "@microcosm/sqlite")
  --output <file>      write into a file instead of stdout
${ENGINE_USAGE}  -h, --help           this help
`;

const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else " +
    "enum export extends false finally for function if import in instanceof " +
    "new null return super switch this throw true try typeof var void while " +
    "with yield let static implements interface package private protected " +
    "public await constructor __proto__ prototype").split(" "),
);
const GLOBALS = new Set(
  ("Array Boolean DataSet Date Deno Error Function JSON Map Math Number " +
    "Object Promise Record RegExp Set String Symbol AnyColumn").split(" "),
);
/** A builder of the kinds table and the options it needs, as TypeScript. */
interface Builder {
  readonly name: string;
  /** A `datetime()` column's epoch unit, when stored as a number. */
  readonly storage?: "seconds" | "milliseconds";
}

/** Splits an SQL name into words: `area_km2`, `FirstName`, `HTTPCode`. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "");
}

/** `area_km2` → `areaKm2`; never a reserved word, never starting with a digit. */
export function camelCase(name: string): string {
  const parts = words(name).map((word) => word.toLowerCase());
  let result = parts.map((word, i) =>
    i === 0 ? word : word[0]!.toUpperCase() + word.slice(1)
  ).join("");
  if (result === "") result = "column";
  if (/^[0-9]/.test(result)) result = `_${result}`;
  if (RESERVED.has(result)) result = `${result}_`;
  return result;
}

/** `order_items` → `OrderItems`. */
export function pascalCase(name: string): string {
  let result = words(name).map((word) =>
    word[0]!.toUpperCase() + word.slice(1).toLowerCase()
  ).join("");
  if (result === "") result = "Table";
  if (/^[0-9]/.test(result)) result = `T${result}`;
  return result;
}

function unique(name: string, taken: Set<string>): string {
  let result = name;
  for (let n = 2; taken.has(result); n++) result = `${name}${n}`;
  taken.add(result);
  return result;
}

/** The kinds of values a column holds, from one scan. */
async function storedTypes(
  dataset: DataSet,
  table: string,
  column: string,
): Promise<Set<string>> {
  return readStoredTypes(
    await dataset[SESSION](),
    table,
    column,
    `Cannot read ${table}.${column}`,
  );
}

async function exceeds53Bits(
  dataset: DataSet,
  table: string,
  column: string,
): Promise<boolean> {
  return holdsWideIntegers(
    await dataset[SESSION](),
    table,
    column,
    `Cannot read ${table}.${column}`,
  );
}

/** The builder for a column of NUMERIC or BLOB affinity, from its values. */
function fromStored(types: Set<string>): string {
  if (types.size === 0) return "text";
  if ([...types].every((t) => t === "integer")) return "integer";
  if ([...types].every((t) => t === "integer" || t === "real")) return "real";
  if ([...types].every((t) => t === "blob")) return "blob";
  if ([...types].every((t) => t !== "blob")) return "text";
  return "any";
}

/** Epoch milliseconds from 1973 on; smaller numbers read as seconds. */
const EPOCH_MS_FROM = 1e11;

async function epochUnit(
  dataset: DataSet,
  table: string,
  column: string,
): Promise<"seconds" | "milliseconds"> {
  const largest = (await dataset[SESSION]()).value(
    largestMagnitudeSql(table, column),
    [],
    `Cannot read ${table}.${column}`,
  );
  return Number(largest ?? 0) >= EPOCH_MS_FROM ? "milliseconds" : "seconds";
}

/** Whether the table's SQL holds `CHECK (<condition>)`, `%` the column. */
function hasCheck(
  tableSql: string,
  column: string,
  condition: string,
): boolean {
  const escaped = escapeRegExp(column);
  return new RegExp(
    `CHECK\\s*\\(\\s*${
      condition.replaceAll(
        "%",
        () => `(?:"${escaped.replaceAll('"', '""')}"|${escaped})`,
      )
    }\\s*\\)`,
    "i",
  ).test(tableSql);
}

/** The builder (kind) `codegen` declares for a column of a file. */
export async function builderFor(
  dataset: DataSet,
  table: string,
  tableSql: string,
  column: TableInfo["columns"][number],
): Promise<Builder> {
  const plain = (name: string): Builder => ({ name });
  const declared = column.type.trim().toUpperCase();
  if (declared.includes("BOOL")) return plain("boolean");
  if (
    declared === "JSON" ||
    hasCheck(
      tableSql,
      column.name,
      "(?:%\\s+IS\\s+NULL\\s+OR\\s+)?json_valid\\s*\\(\\s*%\\s*\\)",
    )
  ) {
    return plain("json");
  }
  // The library's STRICT tables mark datetime columns with a CHECK (their
  // declared type is TEXT or REAL); an epoch's bound names its unit.
  if (
    hasCheck(
      tableSql,
      column.name,
      "%\\s+IS\\s+NULL\\s+OR\\s+julianday\\s*\\(\\s*%\\s*\\)\\s+IS\\s+NOT\\s+NULL",
    )
  ) {
    return plain("datetime");
  }
  for (const storage of ["seconds", "milliseconds"] as const) {
    const bound = DATE_LIMIT_MS / (storage === "seconds" ? 1000 : 1);
    if (
      hasCheck(
        tableSql,
        column.name,
        `%\\s+BETWEEN\\s+-${bound}\\s+AND\\s+${bound}`,
      )
    ) {
      return { name: "datetime", storage };
    }
  }
  if (declared === "" || declared === "ANY") return plain("any");
  if (/^(?:DATE|DATETIME|TIMESTAMP)\b/.test(declared)) {
    const types = await storedTypes(dataset, table, column.name);
    types.delete("null");
    const numbers = types.size > 0 &&
      [...types].every((t) => t === "integer" || t === "real");
    return numbers
      ? {
        name: "datetime",
        storage: await epochUnit(dataset, table, column.name),
      }
      : plain("datetime");
  }
  switch (affinity(column.type)) {
    case "INTEGER":
      if (
        hasCheck(tableSql, column.name, "%\\s+IN\\s*\\(\\s*0\\s*,\\s*1\\s*\\)")
      ) {
        return plain("boolean");
      }
      return plain(
        await exceeds53Bits(dataset, table, column.name) ? "bigint" : "integer",
      );
    case "TEXT":
      return plain("text");
    case "REAL":
      return plain("real");
    case "BLOB":
      return plain(
        declared.includes("BLOB")
          ? "blob"
          : fromStored(await storedTypes(dataset, table, column.name)),
      );
    case "NUMERIC":
      return plain(fromStored(await storedTypes(dataset, table, column.name)));
  }
}

/**
 * The `search` model option for the FTS5 index over `table`, when the file
 * has one the option can declare; otherwise comments saying why not (none
 * when the table has no index).
 */
function searchOption(
  table: TableInfo,
  indexes: readonly SearchIndexSchema[],
  properties: ReadonlyMap<string, string>,
): string | string[] {
  const index = indexes.find((candidate) =>
    candidate.content !== null &&
    foldIdentifier(candidate.content) === foldIdentifier(table.name)
  );
  if (index === undefined) return [];
  const skip = (why: string) => [
    `  // Full-text index ${JSON.stringify(index.name)}: ${why}, not declared.`,
  ];
  const pk = table.columns.filter((column) => column.primaryKey > 0);
  const rowid = foldIdentifier(index.contentRowid);
  if (
    pk.length !== 1 || pk[0]!.type.toUpperCase() !== "INTEGER" ||
    (rowid !== "rowid" && rowid !== foldIdentifier(pk[0]!.name))
  ) {
    return skip("its rows are not keyed by an integer primary key");
  }
  const keys: string[] = [];
  for (const name of index.columns) {
    const column = table.columns.find((c) =>
      foldIdentifier(c.name) === foldIdentifier(name)
    );
    if (column === undefined || affinity(column.type) !== "TEXT") {
      return skip(`column ${JSON.stringify(name)} is not a text column`);
    }
    keys.push(properties.get(column.name)!);
  }
  const tokenizer = tokenizerOf(index.tokenize);
  if (tokenizer === undefined) {
    return skip(`tokenizer ${JSON.stringify(index.tokenize)} is not supported`);
  }
  const parts = [
    `columns: [${keys.map((key) => JSON.stringify(key)).join(", ")}]`,
  ];
  if (tokenizer !== "unicode61") {
    parts.push(`tokenize: ${JSON.stringify(tokenizer)}`);
  }
  if (index.name !== `${table.name}_fts`) {
    parts.push(`table: ${JSON.stringify(index.name)}`);
  }
  return `search: { ${parts.join(", ")} }`;
}

/** Options of {@linkcode generateModels}. */
export interface GenerateOptions {
  /** The dataset name. */
  datasetName: string;
  /** The library import specifier. */
  importFrom: string;
  /** The file name, for the header comment. */
  fileName: string;
}

/** Writes the models module for an open file. */
export async function generateModels(
  dataset: DataSet,
  options: GenerateOptions,
): Promise<string> {
  const session = await dataset[SESSION]();
  const fullText = searchIndexes(session, `Cannot read ${options.fileName}`);
  const ftsShadows = shadowTableNames(fullText);
  const shadows = shadowTables(session, `Cannot read ${options.fileName}`);
  const geo = geoIndexes(session, `Cannot read ${options.fileName}`);
  const tables = readSchema(session, `Cannot read ${options.fileName}`)
    .filter((table) =>
      !table.virtual && table.name !== METADATA_TABLE &&
      !shadows.has(table.name) && !ftsShadows.has(foldIdentifier(table.name))
    );
  const taken = new Set([...GLOBALS, ...RESERVED, ...builderNames()]);
  const classNames = new Map<string, string>();
  for (const table of tables) {
    classNames.set(table.name, unique(pascalCase(table.name), taken));
  }
  const datasetConst = unique(pascalCase(options.datasetName), taken);
  const order = new Map(tables.map((t, i) => [t.name, i]));
  const used = new Set<string>(["DataSet"]);
  let needsAnyColumn = false;
  const blocks: string[] = [];

  for (const [index, table] of tables.entries()) {
    const properties = new Map<string, string>();
    const takenProps = new Set<string>();
    for (const column of table.columns) {
      properties.set(column.name, unique(camelCase(column.name), takenProps));
    }
    const pk = table.columns.filter((c) => c.primaryKey > 0);
    const references = new Map<string, string>();
    const comments: string[] = [];
    for (const key of table.foreignKeys) {
      if (key.columns.length !== 1) {
        comments.push(
          `  // Foreign key (${
            key.columns.join(", ")
          }) -> ${key.table}: composite, not declared.`,
        );
        continue;
      }
      const target = tables.find((t) =>
        foldIdentifier(t.name) === foldIdentifier(key.table)
      );
      if (target === undefined) {
        comments.push(
          `  // Foreign key ${
            key.columns[0]
          } -> ${key.table}: table not in the file.`,
        );
        continue;
      }
      const toName = key.to[0] ??
        target.columns.find((c) => c.primaryKey === 1)?.name;
      const to = target.columns.find((c) =>
        toName !== undefined &&
        foldIdentifier(c.name) === foldIdentifier(toName)
      );
      if (to === undefined) continue;
      const targetClass = classNames.get(target.name)!;
      const targetProp = camelCase(to.name);
      const targetProps = new Set<string>();
      let prop = targetProp;
      for (const column of target.columns) {
        const p = unique(camelCase(column.name), targetProps);
        if (column.name === to.name) prop = p;
      }
      // A reference to this table or a later one goes through an annotated
      // function, so the classes' types do not depend on each other.
      const cyclic = order.get(target.name)! >= index;
      if (cyclic) needsAnyColumn = true;
      references.set(
        key.columns[0]!,
        `${cyclic ? "(): AnyColumn" : "()"} => ${targetClass}.columns.${prop}`,
      );
    }
    const singleUnique = new Set<string>();
    const singleIndex = new Set<string>();
    const uniqueGroups: string[][] = [];
    const indexGroups: string[][] = [];
    for (const index of table.indexes) {
      if (index.origin === "pk" || index.columns.includes(null)) continue;
      const columns = index.columns as string[];
      // A unique index (constraint or CREATE UNIQUE INDEX) becomes a
      // unique constraint; one over the primary key adds nothing.
      const isUnique = index.unique;
      if (
        isUnique && columns.length === pk.length &&
        pk.every((c) => columns.includes(c.name))
      ) continue;
      if (columns.length === 1) {
        (isUnique ? singleUnique : singleIndex).add(columns[0]!);
      } else {
        (isUnique ? uniqueGroups : indexGroups).push(columns);
      }
    }
    const lines: string[] = [];
    for (const column of table.columns) {
      const { name: builder, storage } = await builderFor(
        dataset,
        table.name,
        table.sql,
        column,
      );
      used.add(builder);
      const property = properties.get(column.name)!;
      const opts: string[] = [];
      if (property !== column.name) {
        opts.push(`name: ${JSON.stringify(column.name)}`);
      }
      if (storage !== undefined) {
        opts.push(`storage: ${JSON.stringify(storage)}`);
      }
      if (column.primaryKey > 0) opts.push("primaryKey: true");
      else if (!column.notNull) opts.push("nullable: true");
      if (singleUnique.has(column.name)) opts.push("unique: true");
      if (singleIndex.has(column.name)) opts.push("index: true");
      const ref = references.get(column.name);
      if (ref !== undefined) opts.push(`references: ${ref}`);
      const line = `  ${property}: ${builder}(${
        opts.length === 0 ? "" : `{ ${opts.join(", ")} }`
      }),`;
      // Lines stay within deno fmt's 80 columns, as it would break them.
      lines.push(
        line.length <= 80 ? line : [
          `  ${property}: ${builder}({`,
          ...opts.map((opt) => `    ${opt},`),
          "  }),",
        ].join("\n"),
      );
    }
    const propsOf = (group: string[]) =>
      `[${
        group.map((c) => JSON.stringify(properties.get(c) ?? c)).join(", ")
      }]`;
    const modelOptions: string[] = [];
    if (uniqueGroups.length > 0) {
      modelOptions.push(`unique: [${uniqueGroups.map(propsOf).join(", ")}]`);
    }
    if (indexGroups.length > 0) {
      modelOptions.push(`indexes: [${indexGroups.map(propsOf).join(", ")}]`);
    }
    const search = searchOption(table, fullText, properties);
    if (typeof search === "string") modelOptions.push(search);
    else comments.push(...search);
    const geoIndex = geo.find((found) => found.table === table.name);
    if (geoIndex !== undefined) {
      const columns = geoIndex.columns;
      const lat = columns && table.columns.find((c) => c.name === columns.lat);
      const lon = columns && table.columns.find((c) => c.name === columns.lon);
      if (lat !== undefined && lon !== undefined) {
        modelOptions.push(
          `geo: { lat: ${JSON.stringify(properties.get(lat.name))}, lon: ${
            JSON.stringify(properties.get(lon.name))
          } }`,
        );
      } else {
        comments.push(
          `  // R*Tree ${geoIndex.index}: its columns are unknown (no insert trigger), not declared.`,
        );
      }
    }
    const className = classNames.get(table.name)!;
    blocks.push(
      [
        `/** A row of table ${JSON.stringify(table.name)}. */`,
        `export class ${className} extends ${datasetConst}.Model(${
          JSON.stringify(table.name)
        }, {`,
        ...lines,
        ...comments,
        modelOptions.length === 0
          ? "}) {}"
          : `}, { ${modelOptions.join(", ")} }) {}`,
      ].join("\n"),
    );
  }
  const imports = [...used].sort((a, b) =>
    a.localeCompare(b, "en", { sensitivity: "base" })
  );
  const importList = [
    ...(needsAnyColumn ? ["type AnyColumn"] : []),
    ...imports,
  ].sort((a, b) =>
    a.replace("type ", "").localeCompare(b.replace("type ", ""), "en", {
      sensitivity: "base",
    })
  );
  const header = [
    `// Models of ${
      JSON.stringify(options.fileName)
    }, generated by \`microcosm codegen\`.`,
    `// Bind the dataset to the file, e.g. "datasets:${options.datasetName}" in deno.json.`,
    `import {\n${importList.map((name) => `  ${name},\n`).join("")}} from ${
      JSON.stringify(options.importFrom)
    };`,
    "",
    `/** The ${JSON.stringify(options.datasetName)} dataset. */`,
    `export const ${datasetConst} = DataSet.create(${
      JSON.stringify(options.datasetName)
    });`,
  ].join("\n");
  return [header, ...blocks].join("\n\n") + "\n";
}

/** A dataset name from a file name: `world-cities.sqlite` → `world-cities`. */
function datasetNameOf(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]/g, "_");
  return /^[A-Za-z_]/.test(stem) ? stem : `_${stem}`;
}

/** Runs `codegen`. */
export async function codegen(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      dataset: { type: "string" },
      import: { type: "string" },
      output: { type: "string" },
      help: { type: "boolean", short: "h" },
      ...ENGINE_OPTION,
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    await write(io.out, CODEGEN_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError("expected one <file.sqlite>");
  }
  const path = positionals[0]!;
  const datasetName = values.dataset ?? datasetNameOf(path);
  if (!DATASET_NAME.test(datasetName)) {
    throw new UsageError(
      `invalid dataset name ${
        JSON.stringify(datasetName)
      }: expected letters, digits, "_", "." or "-"`,
    );
  }
  const dataset = await openFile(path, engineOf(values.engine));
  let text: string;
  try {
    text = await generateModels(dataset, {
      datasetName,
      importFrom: values.import ?? "@microcosm/sqlite",
      fileName: basename(path),
    });
  } finally {
    await dataset.close();
  }
  if (values.output === undefined) await write(io.out, text);
  else await writeOutput(values.output, text);
  return 0;
}
