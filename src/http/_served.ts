/**
 * What a handler serves: datasets by name, each with its tables by name
 * and a store per table. Declared models are served as declared; a dataset
 * given without models is introspected once, as `codegen` reads a file,
 * and its tables are served through models declared from that schema
 * (properties named as the SQL columns). Only these names are ever
 * matched against a request's path.
 *
 * @module
 */
import {
  any,
  type AnyColumn,
  bigint,
  blob,
  boolean,
  datetime,
  integer,
  json,
  real,
  text,
} from "../columns.ts";
import { DataSet, SESSION } from "../dataset.ts";
import { METADATA_TABLE } from "../metadata.ts";
import type { AnyModel } from "../model.ts";
import {
  readSchema,
  searchIndexes,
  shadowTableNames,
  shadowTables,
} from "../_introspect.ts";
import { foldIdentifier } from "../_rules.ts";
import { Store } from "../store.ts";

/** One served table. */
export interface ServedTable {
  /** The table name: the path segment that names it. */
  readonly name: string;
  /** Its model. */
  readonly model: AnyModel;
  /** A store of the model. */
  readonly store: Store<AnyModel>;
}

/** One served dataset. */
export interface ServedDataSet {
  /** The dataset name: the path segment that names it. */
  readonly name: string;
  /** The dataset. */
  readonly dataset: DataSet;
  /** Its served tables, by name, in declaration order. */
  readonly tables: ReadonlyMap<string, ServedTable>;
}

/** What `createHandler` takes: datasets, models, or a mix. */
export type Servable = DataSet | AnyModel;

/**
 * Groups the given datasets and models by dataset: a dataset stands for
 * all its models; a model adds itself.
 */
export function group(
  input: Servable | readonly Servable[],
): Map<DataSet, Set<AnyModel> | "all"> {
  const items: readonly Servable[] = Array.isArray(input)
    ? input
    : [input as Servable];
  const groups = new Map<DataSet, Set<AnyModel> | "all">();
  for (const item of items) {
    if (item instanceof DataSet) {
      groups.set(item, "all");
      continue;
    }
    if (
      typeof item !== "function" || !("definition" in item) ||
      !(item.dataset instanceof DataSet)
    ) {
      throw new TypeError(
        "Cannot create the handler: expected datasets or models, got " +
          (item === null ? "null" : typeof item),
      );
    }
    const known = groups.get(item.dataset);
    if (known === "all") continue;
    if (known === undefined) groups.set(item.dataset, new Set([item]));
    else known.add(item);
  }
  if (groups.size === 0) {
    throw new TypeError(
      "Cannot create the handler: expected at least one dataset or model",
    );
  }
  const names = new Set<string>();
  for (const dataset of groups.keys()) {
    if (names.has(dataset.name)) {
      throw new TypeError(
        `Cannot create the handler: two datasets are named ${
          JSON.stringify(dataset.name)
        }`,
      );
    }
    names.add(dataset.name);
  }
  return groups;
}

/** The served datasets, introspecting those given without models. */
export async function resolveServed(
  groups: Map<DataSet, Set<AnyModel> | "all">,
): Promise<Map<string, ServedDataSet>> {
  const served = new Map<string, ServedDataSet>();
  for (const [dataset, chosen] of groups) {
    let models = chosen === "all" ? dataset.models : [...chosen];
    if (models.length === 0) models = await introspect(dataset);
    const tables = new Map<string, ServedTable>();
    for (const model of models) {
      const name = model.definition.table;
      tables.set(name, { name, model, store: new Store(model) });
    }
    served.set(dataset.name, { name: dataset.name, dataset, tables });
  }
  return served;
}

const BUILDERS: Record<string, (options: object) => AnyColumn> = {
  any,
  bigint,
  blob,
  boolean,
  datetime,
  integer,
  json,
  real,
  text,
};

/**
 * Declares a model for each ordinary table of the dataset's file (not its
 * shadow tables, nor the build metadata), with the kinds `codegen` infers.
 */
async function introspect(dataset: DataSet): Promise<AnyModel[]> {
  // Loaded only here: a handler over declared models never needs it.
  const { builderFor } = await import("../cli/codegen.ts");
  const session = await dataset[SESSION]();
  const action = `Cannot read the schema of ${dataset.name}`;
  const fullText = shadowTableNames(searchIndexes(session, action));
  const shadows = shadowTables(session, action);
  const tables = readSchema(session, action).filter((table) =>
    !table.virtual && table.name !== METADATA_TABLE &&
    !shadows.has(table.name) && !fullText.has(foldIdentifier(table.name))
  );
  const models: AnyModel[] = [];
  for (const table of tables) {
    const columns: Record<string, AnyColumn> = {};
    for (const column of table.columns) {
      const builder = await builderFor(dataset, table.name, table.sql, column);
      const storage = builder.storage;
      columns[column.name] = BUILDERS[builder.name]!({
        ...(storage === undefined ? {} : { storage }),
        ...(column.primaryKey > 0 ? { primaryKey: true } : {}),
        ...(column.notNull || column.primaryKey > 0 ? {} : { nullable: true }),
      });
    }
    models.push(dataset.Model(table.name, columns));
  }
  return models;
}
