/**
 * Reading a table request's query string: Datasette-style filters onto the
 * model's typed filter (each value read by its column's kind), and the
 * handler's own `_`-prefixed parameters. Every mistake is a
 * {@linkcode BadRequest} naming the parameter and what was expected.
 *
 * @module
 */
import { BadValue, kindOf } from "../_kinds.ts";
import { OPERATORS as FILTER_OPERATORS } from "../filter.ts";
import type { AnyModel } from "../model.ts";
import type { GeoBox, GeoPoint } from "../store.ts";

/** A request mistake: answered with its status and message. */
export class HttpProblem extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The query parameter at fault, when one is. */
  readonly parameter: string | undefined;
  constructor(status: number, message: string, parameter?: string) {
    super(message);
    this.name = "HttpProblem";
    this.status = status;
    this.parameter = parameter;
  }
}

/** A 400 naming the parameter. */
export function badRequest(parameter: string, message: string): HttpProblem {
  return new HttpProblem(400, `Invalid ${parameter}: ${message}`, parameter);
}

/** The output formats of a table route. */
export type Format = "json" | "html" | "csv" | "jsonl";

/** A table request, read and checked. */
export interface TableQuery {
  /** The typed filter. */
  readonly filter: Record<string, unknown>;
  /** Rows per page. */
  readonly size: number;
  /** Whether `_size` was given (exports are whole unless it is). */
  readonly sized: boolean;
  /** The `_next` token, if any. */
  readonly next: string | undefined;
  /** The order keys (`-` first for descending). */
  readonly sort: readonly string[] | undefined;
  /** The properties to return, in order. */
  readonly fields: readonly string[];
  /** The text to search, if any. */
  readonly search: string | undefined;
  /** The point to search around, if any. */
  readonly near: GeoPoint | undefined;
  /** The greatest distance from `near`, in km. */
  readonly maxKm: number | undefined;
  /** The box to search in, if any. */
  readonly within: GeoBox | undefined;
  /** The properties to count values of. */
  readonly facets: readonly string[];
  /** The output format asked with `_format`, if any. */
  readonly format: Format | undefined;
  /** Whether to count the matching rows. */
  readonly total: boolean;
  /** The content hash the URL names, if any. */
  readonly hash: string | undefined;
}

/**
 * The operators a filter parameter may end with (`name__gte`): the typed
 * filter's, and `isnull`.
 */
const OPERATORS = new Set<string>([...FILTER_OPERATORS, "isnull"]);
/** Operators whose operand is the text as given, never parsed by kind. */
const TEXT_OPERATORS = new Set(["like", "startsWith", "contains", "endsWith"]);

/** The handler's own parameters. */
export const HANDLER_PARAMETERS: readonly string[] = [
  "_size",
  "_next",
  "_sort",
  "_fields",
  "_search",
  "_near",
  "_maxKm",
  "_within",
  "_facet",
  "_format",
  "_total",
  "_hash",
];
const FORMATS: readonly Format[] = ["json", "html", "csv", "jsonl"];
const TRUE = new Set(["1", "true", "yes"]);
const FALSE = new Set(["0", "false", "no"]);

/** Limits the query reader applies. */
export interface QueryLimits {
  /** Rows per page when `_size` is absent. */
  readonly defaultSize: number;
  /** The largest `_size`. */
  readonly maxSize: number;
}

/** A `_size` value: a whole number from 1 to `max`. */
export function readSize(text: string, max: number): number {
  const size = Number(text);
  if (!/^\d+$/.test(text) || size < 1 || size > max) {
    throw badRequest(
      "_size",
      `expected a whole number from 1 to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return size;
}

function flag(name: string, text: string): boolean {
  const word = text.toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  throw badRequest(name, `expected true or false, got ${JSON.stringify(text)}`);
}

function numbers(name: string, text: string, count: number): number[] {
  const parts = text.split(",");
  const values = parts.map((part) => part.trim() === "" ? NaN : Number(part));
  if (parts.length !== count || values.some((v) => !Number.isFinite(v))) {
    throw badRequest(
      name,
      `expected ${count} numbers separated by commas, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return values;
}

function inRange(name: string, what: string, value: number, bound: number) {
  if (value < -bound || value > bound) {
    throw badRequest(name, `${what} must be within ±${bound}, got ${value}`);
  }
}

function property(
  model: AnyModel,
  parameter: string,
  key: string,
): string {
  if (!model.definition.keys.includes(key)) {
    throw badRequest(
      parameter,
      `unknown property ${
        JSON.stringify(key)
      } of ${model.definition.table}; expected one of ${
        model.definition.keys.join(", ")
      }`,
    );
  }
  return key;
}

/** One value of a filter parameter, read by its column's kind. */
function valueOf(
  model: AnyModel,
  parameter: string,
  key: string,
  text: string,
): unknown {
  const kind = kindOf(model.definition.columns[key]!);
  try {
    return kind.fromQuery(text);
  } catch (error) {
    if (!(error instanceof BadValue)) throw error;
    const detail = error.message.startsWith("expected ")
      ? ""
      : ` (${error.message})`;
    throw badRequest(
      parameter,
      `expected ${kind.expected}, got ${JSON.stringify(text)}${detail}`,
    );
  }
}

/**
 * Reads a table request's query string against the model.
 * @throws {HttpProblem} 400 naming the parameter.
 */
export function readTableQuery(
  model: AnyModel,
  params: URLSearchParams,
  limits: QueryLimits,
): TableQuery {
  const { definition } = model;
  const filter: Record<string, unknown> = {};
  const operators = new Map<string, Record<string, unknown>>();
  const seen = new Set<string>();
  const facets: string[] = [];
  const given = new Map<string, string>();
  for (const [name, value] of params) {
    if (name === "_facet") {
      for (const key of value.split(",")) {
        if (key === "") continue;
        facets.push(property(model, name, key));
      }
      continue;
    }
    if (seen.has(name)) {
      throw badRequest(name, "given more than once");
    }
    seen.add(name);
    if (HANDLER_PARAMETERS.includes(name)) {
      given.set(name, value);
      continue;
    }
    // A property may start with "_" (a file's column): only the handler's
    // own names above are taken.
    if (
      name.startsWith("_") && !definition.keys.includes(name) &&
      !definition.keys.includes(
        name.slice(0, Math.max(0, name.lastIndexOf("__"))),
      )
    ) {
      throw badRequest(
        name,
        `unknown parameter; the handler's own are ${
          HANDLER_PARAMETERS.join(", ")
        }, and filters are property names (${definition.keys.join(", ")})`,
      );
    }
    // An empty field is no filter, as a form sends the fields left blank.
    if (value === "") continue;
    let key = name;
    let operator = "eq";
    if (!definition.keys.includes(name)) {
      const at = name.lastIndexOf("__");
      if (at > 0 && OPERATORS.has(name.slice(at + 2))) {
        key = name.slice(0, at);
        operator = name.slice(at + 2);
      }
    }
    property(model, name, key);
    let operand: unknown;
    if (operator === "isnull") {
      operand = flag(name, value);
      if (operators.get(key)?.["eq"] !== undefined || key in filter) {
        throw badRequest(name, `${key} is filtered twice`);
      }
      filter[key] = operand ? null : { ne: null };
      continue;
    }
    if (key in filter) throw badRequest(name, `${key} is filtered twice`);
    if (operator === "in" || operator === "notIn") {
      operand = value.split(",").map((part) => valueOf(model, name, key, part));
    } else if (TEXT_OPERATORS.has(operator)) {
      operand = value;
    } else {
      operand = valueOf(model, name, key, value);
    }
    let ops = operators.get(key);
    if (ops === undefined) operators.set(key, ops = {});
    ops[operator] = operand;
  }
  for (const [key, ops] of operators) {
    const entries = Object.keys(ops);
    filter[key] = entries.length === 1 && entries[0] === "eq" ? ops.eq : ops;
  }

  const sizeText = given.get("_size");
  const size = sizeText === undefined
    ? limits.defaultSize
    : readSize(sizeText, limits.maxSize);
  const sortText = given.get("_sort");
  let sort: string[] | undefined;
  if (sortText !== undefined) {
    sort = sortText.split(",").map((entry) => {
      const key = entry.startsWith("-") ? entry.slice(1) : entry;
      property(model, "_sort", key);
      return entry;
    });
  }
  const fieldsText = given.get("_fields");
  const fields = fieldsText === undefined
    ? [...definition.keys]
    : fieldsText.split(",").map((key) => property(model, "_fields", key));
  const search = given.get("_search");
  if (search !== undefined && definition.search === undefined) {
    throw badRequest(
      "_search",
      `${definition.table} has no search index (the model declares no search option)`,
    );
  }
  let near: GeoPoint | undefined;
  let within: GeoBox | undefined;
  let maxKm: number | undefined;
  const nearText = given.get("_near");
  const withinText = given.get("_within");
  const maxKmText = given.get("_maxKm");
  for (const [name, text] of [["_near", nearText], ["_within", withinText]]) {
    if (text !== undefined && definition.geo === undefined) {
      throw badRequest(
        name!,
        `${definition.table} has no geo index (the model declares no geo option)`,
      );
    }
  }
  if (nearText !== undefined) {
    const [lat, lon] = numbers("_near", nearText, 2) as [number, number];
    inRange("_near", "the latitude", lat, 90);
    inRange("_near", "the longitude", lon, 180);
    near = { lat, lon };
  }
  if (maxKmText !== undefined) {
    if (near === undefined) throw badRequest("_maxKm", "needs _near");
    maxKm = Number(maxKmText);
    if (maxKmText.trim() === "" || !(maxKm >= 0)) {
      throw badRequest(
        "_maxKm",
        `expected a distance in km, 0 or more, got ${
          JSON.stringify(maxKmText)
        }`,
      );
    }
  }
  if (withinText !== undefined) {
    const [south, west, north, east] = numbers("_within", withinText, 4) as [
      number,
      number,
      number,
      number,
    ];
    inRange("_within", "south", south, 90);
    inRange("_within", "north", north, 90);
    inRange("_within", "west", west, 180);
    inRange("_within", "east", east, 180);
    if (south > north) {
      throw badRequest("_within", "south must not be greater than north");
    }
    within = { south, west, north, east };
  }
  const ways = [
    search !== undefined && "_search",
    near !== undefined && "_near",
    within !== undefined && "_within",
  ].filter((way): way is string => way !== false);
  if (ways.length > 1) {
    throw badRequest(ways[1]!, `cannot be combined with ${ways[0]}`);
  }
  if (sort !== undefined && (search !== undefined || near !== undefined)) {
    throw badRequest(
      "_sort",
      search !== undefined
        ? "search results are ranked, best first"
        : "nearby rows are ordered by distance",
    );
  }
  const next = given.get("_next");
  if (next !== undefined && near !== undefined) {
    throw badRequest("_next", "nearby rows come in one page");
  }
  if (
    next !== undefined && (search !== undefined || within !== undefined) &&
    !/^o[1-9]\d{0,15}$/.test(next)
  ) {
    throw badRequest("_next", "the page token is malformed");
  }
  const formatText = given.get("_format");
  if (
    formatText !== undefined && !(FORMATS as string[]).includes(formatText)
  ) {
    throw badRequest(
      "_format",
      `expected one of ${FORMATS.join(", ")}, got ${
        JSON.stringify(formatText)
      }`,
    );
  }
  const totalText = given.get("_total");
  const total = totalText === undefined ? false : flag("_total", totalText);
  if (total && ways.length > 0) {
    throw badRequest("_total", `cannot be combined with ${ways[0]}`);
  }
  return {
    filter,
    size,
    sized: sizeText !== undefined,
    next,
    sort,
    fields,
    search,
    near,
    maxKm,
    within,
    facets,
    format: formatText as Format | undefined,
    total,
    hash: given.get("_hash"),
  };
}
