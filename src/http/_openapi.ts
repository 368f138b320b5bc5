/**
 * The handler's OpenAPI 3.1 document, generated from the served models:
 * one path per table (its filters and the handler's parameters) and per
 * row, and a schema per model whose property schemas come from the kinds
 * table (`Kind.jsonSchema`), so clients can generate types.
 *
 * @module
 */
import { kindOf } from "../_kinds.ts";
import { VERSION } from "../_version.ts";
import type { ServedDataSet } from "./_served.ts";

/** The filter suffixes a property takes (`name__gte`), with their meaning. */
const SUFFIXES: readonly [string, string][] = [
  ["", "equal to"],
  ["__eq", "equal to"],
  ["__ne", "not equal to"],
  ["__lt", "less than"],
  ["__lte", "at most"],
  ["__gt", "greater than"],
  ["__gte", "at least"],
  ["__in", "one of (separated by commas)"],
  ["__notIn", "none of (separated by commas)"],
  ["__like", "matching the SQL LIKE pattern"],
  ["__startsWith", "starting with the text"],
  ["__contains", "containing the text"],
  ["__endsWith", "ending with the text"],
  ["__isnull", "null (true) or not (false)"],
];

const HANDLER_PARAMETERS: readonly {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}[] = [
  {
    name: "_size",
    description: "Rows per page.",
    schema: { type: "integer", minimum: 1 },
  },
  {
    name: "_next",
    description: "The next token of the page before.",
    schema: { type: "string" },
  },
  {
    name: "_sort",
    description: "Properties separated by commas, - first for descending.",
    schema: { type: "string" },
  },
  {
    name: "_fields",
    description: "The properties to return, separated by commas.",
    schema: { type: "string" },
  },
  {
    name: "_facet",
    description: "Properties whose most frequent values to count.",
    schema: { type: "string" },
  },
  {
    name: "_total",
    description: "Whether to count the matching rows.",
    schema: { type: "boolean" },
  },
  {
    name: "_format",
    description: "The output format.",
    schema: { enum: ["json", "html", "csv", "jsonl"] },
  },
  {
    name: "_hash",
    description: "The dataset's content hash, for an immutable answer.",
    schema: { type: "string" },
  },
];

const ERROR = { $ref: "#/components/responses/Error" };

/** The OpenAPI document of the served datasets, under `basePath`. */
export function openApiDocument(
  datasets: Iterable<ServedDataSet>,
  settings: { basePath: string; title: string },
): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    Error: {
      type: "object",
      properties: {
        error: {
          type: "object",
          properties: {
            status: { type: "integer" },
            message: { type: "string" },
            parameter: { type: "string" },
          },
          required: ["status", "message"],
        },
      },
      required: ["error"],
    },
  };
  for (const dataset of datasets) {
    for (const table of dataset.tables.values()) {
      const { definition } = table.model;
      const id = `${dataset.name}.${table.name}`;
      const ref = { $ref: `#/components/schemas/${encodeURIComponent(id)}` };
      const properties: Record<string, unknown> = {};
      const required: string[] = [];
      for (const key of definition.keys) {
        const column = definition.columns[key]!;
        const schema = kindOf(column).jsonSchema;
        properties[key] = column.options.nullable
          ? { oneOf: [schema, { type: "null" }] }
          : schema;
        required.push(key);
      }
      schemas[id] = { type: "object", properties, required };
      const parameters: Record<string, unknown>[] = [];
      for (const key of definition.keys) {
        for (const [suffix, meaning] of SUFFIXES) {
          parameters.push({
            name: key + suffix,
            in: "query",
            required: false,
            description: `Rows whose ${key} is ${meaning}.`,
            schema: { type: "string" },
          });
        }
      }
      parameters.push(...HANDLER_PARAMETERS.map((parameter) => ({
        ...parameter,
        in: "query",
        required: false,
      })));
      if (definition.search !== undefined) {
        parameters.push({
          name: "_search",
          in: "query",
          required: false,
          description: "Text to search, ranked best first.",
          schema: { type: "string" },
        });
      }
      if (definition.geo !== undefined) {
        parameters.push(
          {
            name: "_near",
            in: "query",
            required: false,
            description: "lat,lon: the nearest rows first.",
            schema: { type: "string" },
          },
          {
            name: "_maxKm",
            in: "query",
            required: false,
            description: "With _near: the greatest distance in km.",
            schema: { type: "number", minimum: 0 },
          },
          {
            name: "_within",
            in: "query",
            required: false,
            description: "south,west,north,east: rows in the box.",
            schema: { type: "string" },
          },
        );
      }
      const base = `${settings.basePath}/${encodeURIComponent(dataset.name)}/${
        encodeURIComponent(table.name)
      }`;
      paths[base] = {
        get: {
          operationId: `${id}.rows`,
          summary: `A page of ${table.name} rows`,
          parameters,
          responses: {
            "200": {
              description: "A page of rows.",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      rows: { type: "array", items: ref },
                      next: { type: ["string", "null"] },
                      nextUrl: { type: ["string", "null"] },
                      total: { type: "integer" },
                    },
                    required: ["rows", "next", "nextUrl"],
                  },
                },
                "text/csv": { schema: { type: "string" } },
                "application/jsonl": { schema: { type: "string" } },
              },
            },
            "304": { description: "Not modified (If-None-Match)." },
            "400": ERROR,
          },
        },
      };
      if (definition.primaryKey.length > 0) {
        paths[`${base}/{key}`] = {
          get: {
            operationId: `${id}.row`,
            summary: `One ${table.name} row by its key`,
            parameters: [{
              name: "key",
              in: "path",
              required: true,
              description: `The primary key (${
                definition.primaryKey.join(", ")
              }), parts separated by commas.`,
              schema: { type: "string" },
            }],
            responses: {
              "200": {
                description: "The row.",
                content: {
                  "application/json": {
                    schema: {
                      type: "object",
                      properties: { row: ref },
                      required: ["row"],
                    },
                  },
                },
              },
              "304": { description: "Not modified (If-None-Match)." },
              "404": ERROR,
            },
          },
        };
      }
    }
  }
  return {
    openapi: "3.1.0",
    info: { title: settings.title, version: VERSION },
    paths,
    components: {
      schemas,
      responses: {
        Error: {
          description: "An error: its status, message and parameter.",
          content: {
            "application/json": {
              schema: { $ref: "#/components/schemas/Error" },
            },
          },
        },
      },
    },
  };
}
