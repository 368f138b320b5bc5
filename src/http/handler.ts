/**
 * The HTTP handler: routes, content negotiation, caching headers and the
 * mapping of errors to statuses. Reading the query string is
 * `_query.ts`'s, rendering HTML `_html.ts`'s, JSON values `_json.ts`'s.
 *
 * @module
 */
import { dumpCsv, dumpJsonLines, type DumpSource } from "../dump.ts";
import { ModelNotFoundError, SQLiteError } from "../errors.ts";
import { kindOf } from "../_kinds.ts";
import type { QueryHook, RunOptions } from "../run.ts";
import type { AnyModel } from "../model.ts";
import type { Store } from "../store.ts";
import {
  budget,
  contentHash,
  type DataVersion,
  type QueryBudget,
  stillServes,
  versionOf,
} from "./_adapter.ts";
import {
  CSP,
  errorPage,
  type FacetView,
  indexPage,
  rowPage,
  sqlPage,
  type TableCount,
  tablePage,
} from "./_html.ts";
import { jsonSafe, rowJson } from "./_json.ts";
import { openApiDocument } from "./_openapi.ts";
import {
  badRequest,
  type Format,
  HttpProblem,
  readSize,
  readTableQuery,
  type TableQuery,
} from "./_query.ts";
import {
  group,
  resolveServed,
  type Servable,
  type ServedDataSet,
  type ServedTable,
} from "./_served.ts";

/** Options of {@linkcode createHandler}. */
export interface HandlerOptions {
  /**
   * The path prefix the handler is mounted under (`"/data"`): requests
   * outside it are 404, and every link the handler writes starts with it.
   * @default {""}
   */
  basePath?: string;
  /**
   * Rows per page when the request gives no `_size`.
   * @default {100}
   */
  pageSize?: number;
  /**
   * The largest `_size` a request may ask for.
   * @default {1000}
   */
  maxPageSize?: number;
  /**
   * The longest query string accepted, in characters; a longer one is a
   * 414.
   * @default {4096}
   */
  maxQueryLength?: number;
  /**
   * The most values a facet lists (the most frequent ones).
   * @default {30}
   */
  facetSize?: number;
  /**
   * The time budget of a JSON or HTML request, in milliseconds: a request
   * still working when it runs out is answered 503. It is checked between
   * the request's queries (page, facets, total), so one long query
   * finishes before the 503. CSV and JSON Lines exports are not bounded
   * by it; they stop when the client goes away.
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * CORS: `true` allows any origin (`*`), a string names the one origin
   * allowed; preflight `OPTIONS` requests are answered.
   * @default {false}
   */
  cors?: boolean | string;
  /**
   * The `Cache-Control` of successful responses. A URL whose `_hash`
   * names the dataset's current content hash is always
   * `public, max-age=31536000, immutable`.
   * @default {"no-cache"}
   */
  cacheControl?: string;
  /**
   * Called with every error answered 500 (its message is never sent to
   * the client).
   * @default {console.error}
   */
  onError?: (error: unknown, request: Request) => void;
  /**
   * Told about every statement a request runs (SQL text, duration, rows,
   * error), for logs and traces; nothing is timed without it.
   * @default {undefined}
   */
  onQuery?: QueryHook;
  /**
   * Whether `/<dataset>?_sql=...` runs SQL given by the client, on
   * read-only datasets only (a write is a 403), at most `maxPageSize` rows.
   * Off by default: turn it on only where any reader may run any read of
   * the files (SQL can `ATTACH` another SQLite file the process may read).
   * @default {false}
   */
  sql?: boolean;
  /**
   * The title of the HTML pages.
   * @default {"Datasets"}
   */
  title?: string;
}

/** A Fetch-API request handler, as `Deno.serve` takes. */
export type Handler = (request: Request) => Promise<Response>;

interface Settings {
  readonly basePath: string;
  readonly pageSize: number;
  readonly maxPageSize: number;
  readonly maxQueryLength: number;
  readonly facetSize: number;
  readonly timeoutMs: number;
  readonly cors: string | undefined;
  readonly cacheControl: string;
  readonly onError: (error: unknown, request: Request) => void;
  readonly title: string;
  readonly sql: boolean;
  readonly onQuery: QueryHook | undefined;
}

const IMMUTABLE = "public, max-age=31536000, immutable";

function wholeNumber(
  value: number | undefined,
  fallback: number,
  name: string,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create the handler: ${name} must be a whole number of at least ${min}, got ${value}`,
    );
  }
  return value;
}

function settingsOf(options: HandlerOptions): Settings {
  const basePath = options.basePath ?? "";
  if (
    typeof basePath !== "string" ||
    (basePath !== "" && (!basePath.startsWith("/") || basePath.endsWith("/")))
  ) {
    throw new TypeError(
      `Cannot create the handler: basePath must be "" or start with "/" and not end with it, got ${
        JSON.stringify(basePath)
      }`,
    );
  }
  const maxPageSize = wholeNumber(
    options.maxPageSize,
    1000,
    "maxPageSize",
    1,
  );
  const pageSize = wholeNumber(
    options.pageSize,
    Math.min(100, maxPageSize),
    "pageSize",
    1,
  );
  if (pageSize > maxPageSize) {
    throw new RangeError(
      `Cannot create the handler: pageSize (${pageSize}) is greater than maxPageSize (${maxPageSize})`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) {
    throw new RangeError(
      `Cannot create the handler: timeoutMs must be positive, got ${timeoutMs}`,
    );
  }
  return {
    basePath,
    pageSize,
    maxPageSize,
    maxQueryLength: wholeNumber(
      options.maxQueryLength,
      4096,
      "maxQueryLength",
      0,
    ),
    facetSize: wholeNumber(options.facetSize, 30, "facetSize", 1),
    timeoutMs,
    cors: options.cors === true
      ? "*"
      : typeof options.cors === "string"
      ? options.cors
      : undefined,
    cacheControl: options.cacheControl ?? "no-cache",
    onError: options.onError ?? ((error) => console.error(error)),
    title: options.title ?? "Datasets",
    sql: options.sql === true,
    onQuery: options.onQuery,
  };
}

/** What one request is answered with, before headers are added. */
interface Answer {
  readonly body: BodyInit | null;
  readonly type: string;
  /** The content hashes the answer depends on (all known, else none). */
  readonly hashes: readonly (string | undefined)[];
  /** Whether the URL named the current content hash. */
  readonly immutable?: boolean;
  /** Whether the representation was chosen by the Accept header. */
  readonly negotiated: boolean;
  readonly format: Format;
}

const TYPES: Record<Format, string> = {
  json: "application/json; charset=utf-8",
  html: "text/html; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  jsonl: "application/jsonl; charset=utf-8",
};

/**
 * Creates the handler; see `http.ts` for the documentation.
 */
export function createHandler(
  served: Servable | readonly Servable[],
  options: HandlerOptions = {},
): Handler {
  const groups = group(served);
  const settings = settingsOf(options);
  let known: Promise<Map<string, ServedDataSet>> | undefined;
  const datasets = (): Promise<Map<string, ServedDataSet>> => {
    if (known === undefined) {
      known = resolveServed(groups);
      // A failure (a missing file) is retried by the next request.
      known.catch(() => known = undefined);
    }
    return known;
  };
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    let format: Format = "json";
    try {
      format = formatOf(request, url);
      if (request.method === "OPTIONS" && settings.cors !== undefined) {
        return new Response(null, {
          status: 204,
          headers: corsHeaders(settings, true),
        });
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        throw new HttpProblem(
          405,
          `Method ${request.method} is not allowed; use GET or HEAD`,
        );
      }
      const length = Math.max(0, url.search.length - 1);
      if (length > settings.maxQueryLength) {
        throw new HttpProblem(
          414,
          `The query string is ${length} characters long; the handler accepts at most ${settings.maxQueryLength}`,
        );
      }
      const answer = await route(
        request,
        url,
        settings,
        await datasets(),
        format,
      );
      return respond(request, answer, settings);
    } catch (error) {
      return failure(request, error, settings, format);
    }
  };
}

function formatOf(request: Request, url: URL): Format {
  const asked = url.searchParams.get("_format");
  if (
    asked === "json" || asked === "html" || asked === "csv" || asked === "jsonl"
  ) return asked;
  return (request.headers.get("accept") ?? "").includes("text/html")
    ? "html"
    : "json";
}

/** The path's segments after the base path, decoded; `undefined` outside. */
function segmentsOf(url: URL, basePath: string): string[] | undefined {
  let path = url.pathname;
  if (basePath !== "") {
    if (path === basePath) path = "/";
    else if (path.startsWith(basePath + "/")) {
      path = path.slice(basePath.length);
    } else return undefined;
  }
  const parts = path.split("/").slice(1);
  if (parts.at(-1) === "") parts.pop();
  try {
    return parts.map((part) => decodeURIComponent(part));
  } catch {
    throw new HttpProblem(400, "The path is not valid percent-encoded UTF-8");
  }
}

function notFound(message: string): HttpProblem {
  return new HttpProblem(404, message);
}

/**
 * How many times an answer combined from several queries is read again
 * when the dataset's file changed (or was reloaded) while it was read.
 */
const VERSION_ATTEMPTS = 3;

async function route(
  request: Request,
  url: URL,
  settings: Settings,
  datasets: Map<string, ServedDataSet>,
  format: Format,
): Promise<Answer> {
  const segments = segmentsOf(url, settings.basePath);
  if (segments === undefined || segments.length > 3) {
    throw notFound(`Nothing is served at ${url.pathname}`);
  }
  const negotiated = !url.searchParams.has("_format");
  if (segments[0] === "-" && segments[1] === "openapi.json" && !segments[2]) {
    return {
      hashes: [],
      negotiated: false,
      format: "json",
      type: TYPES.json,
      body: JSON.stringify(openApiDocument(datasets.values(), settings)),
    };
  }
  const [datasetName, tableName, key] = segments;
  if (datasetName === undefined) {
    checkListingQuery(url, format);
    const all = [...datasets.values()];
    return listing(request, all, settings, format, negotiated);
  }
  const dataset = datasets.get(datasetName);
  if (dataset === undefined) {
    throw notFound(
      `No dataset is named ${JSON.stringify(datasetName)}; served: ${
        [...datasets.keys()].join(", ")
      }`,
    );
  }
  if (tableName === undefined) {
    if (url.searchParams.has("_sql")) {
      return await runSql(request, url, settings, dataset, format);
    }
    checkListingQuery(url, format);
    return listing(request, [dataset], settings, format, negotiated);
  }
  const table = dataset.tables.get(tableName);
  if (table === undefined) {
    throw notFound(
      `No table of ${dataset.name} is named ${
        JSON.stringify(tableName)
      }; served: ${[...dataset.tables.keys()].join(", ")}`,
    );
  }
  const query = readTableQuery(table.model, url.searchParams, {
    defaultSize: settings.pageSize,
    maxSize: settings.maxPageSize,
  });
  const answer = () =>
    tableAnswer(
      request,
      url,
      settings,
      dataset,
      table,
      query,
      format,
      negotiated,
      key,
    );
  // A row or an export is one query; a page's hash, rows, total and
  // facets are several: one version, or again.
  if (key !== undefined || format === "csv" || format === "jsonl") {
    return await answer();
  }
  return await oneVersion([dataset], answer);
}

/** A table's page, row or export, read from one version of its data. */
async function tableAnswer(
  request: Request,
  url: URL,
  settings: Settings,
  dataset: ServedDataSet,
  table: ServedTable,
  query: TableQuery,
  format: Format,
  negotiated: boolean,
  key: string | undefined,
): Promise<Answer> {
  const hash = await contentHash(dataset.dataset);
  let immutable = false;
  if (query.hash !== undefined) {
    if (hash === undefined || query.hash !== hash) {
      throw notFound(
        `The content hash ${
          JSON.stringify(query.hash)
        } is not that of ${dataset.name}'s file now`,
      );
    }
    immutable = true;
  }
  const base = { hashes: [hash], immutable, negotiated, format };
  // A client that holds this version is answered before any query runs.
  if (fresh(request, base)) return { ...base, type: TYPES[format], body: null };
  if (key !== undefined) {
    if (format === "csv" || format === "jsonl") {
      throw badRequest("_format", "a single row is json or html");
    }
    const row = await retrieve(table, key);
    const body = rowJson(row, query.fields);
    return {
      ...base,
      type: TYPES[format],
      body: format === "html"
        ? rowPage(settings, dataset.name, table, body)
        : JSON.stringify({
          dataset: dataset.name,
          table: table.name,
          row: body,
        }),
    };
  }
  if (format === "csv" || format === "jsonl") {
    return {
      ...base,
      type: TYPES[format],
      body: request.method === "HEAD"
        ? null
        : exportRows(table, query, format, exportRun(request, settings)),
    };
  }
  const page = await readPage(
    table,
    query,
    budget(request, settings.timeoutMs, settings.onQuery),
    settings,
  );
  const view = {
    dataset: dataset.name,
    table: table.name,
    fields: query.fields,
    rows: page.rows.map((row) => rowJson(row, query.fields)),
    ...(page.distances === undefined ? {} : { distances: page.distances }),
    next: page.next ?? null,
    nextUrl: page.next === undefined ? null : linkWith(url, {
      _next: page.next,
    }),
    ...(page.total === undefined ? {} : { total: page.total }),
    ...(page.facets.length === 0 ? {} : { facets: page.facets }),
  };
  if (format === "html") {
    return {
      ...base,
      type: TYPES.html,
      body: tablePage(settings, url, table, query, view),
    };
  }
  return { ...base, type: TYPES.json, body: JSON.stringify(view) };
}

/** The rows of the client's SQL (`_sql`), when the handler allows it. */
async function runSql(
  request: Request,
  url: URL,
  settings: Settings,
  dataset: ServedDataSet,
  format: Format,
): Promise<Answer> {
  if (!settings.sql) {
    throw badRequest(
      "_sql",
      "SQL is not served here (the handler's sql option is off)",
    );
  }
  const text = url.searchParams.getAll("_sql");
  if (text.length !== 1 || text[0]!.trim() === "") {
    throw badRequest("_sql", "expected one non-empty SQL statement");
  }
  let size = settings.maxPageSize;
  for (const [name, value] of url.searchParams) {
    if (name === "_sql" || name === "_format") continue;
    if (name !== "_size") {
      throw badRequest(
        name,
        "unknown parameter; SQL takes _sql, _size and _format",
      );
    }
    size = readSize(value, settings.maxPageSize);
  }
  if (!dataset.dataset.readOnly) {
    throw new HttpProblem(
      403,
      `SQL is served only on read-only datasets; ${dataset.name} is writable`,
    );
  }
  const hash = await contentHash(dataset.dataset);
  const base = { hashes: [hash], negotiated: false, format };
  if (fresh(request, base)) return { ...base, type: TYPES[format], body: null };
  const time = budget(request, settings.timeoutMs, settings.onQuery);
  const sql = dataset.dataset.sql(time.options(true));
  // The client's text as a template with no values, run as a subquery:
  // only a query (SELECT, WITH ... SELECT, VALUES) parses there, so ATTACH
  // (which would open any file the process can read), PRAGMA, CREATE TEMP
  // and writes cannot change the connection other requests share.
  const query = `SELECT * FROM (\n${text[0]!.replace(/[\s;]+$/, "")}\n)`;
  const strings = Object.assign([query], { raw: [query] });
  const rows: Record<string, unknown>[] = [];
  let truncated = false;
  try {
    for await (const row of sql(strings as unknown as TemplateStringsArray)) {
      if (rows.length === size) {
        truncated = true;
        break;
      }
      rows.push(row);
    }
  } catch (error) {
    if (error instanceof SQLiteError && error.statusCode < 500) {
      throw new HttpProblem(
        400,
        `${error.message}; _sql takes one read-only query (SELECT, WITH ... SELECT or VALUES)`,
        "_sql",
      );
    }
    throw error;
  }
  checkBudget(time, settings);
  const columns = rows[0] === undefined ? [] : Object.keys(rows[0]);
  if (format === "csv" || format === "jsonl") {
    return {
      ...base,
      type: TYPES[format],
      body: format === "csv" ? dumpCsv(rows) : dumpJsonLines(rows),
    };
  }
  const safe = rows.map((row) => rowJson(row, columns));
  return {
    ...base,
    type: TYPES[format],
    body: format === "html"
      ? sqlPage(settings, dataset.name, text[0]!, columns, safe, truncated)
      : JSON.stringify({
        dataset: dataset.name,
        sql: text[0],
        columns,
        rows: safe,
        truncated,
      }),
  };
}

function checkListingQuery(url: URL, format: Format): void {
  for (const name of url.searchParams.keys()) {
    if (name !== "_format") {
      throw badRequest(name, "unknown parameter; a listing takes only _format");
    }
  }
  if (format === "csv" || format === "jsonl") {
    throw badRequest("_format", "a listing is json or html");
  }
}

async function listing(
  request: Request,
  datasets: readonly ServedDataSet[],
  settings: Settings,
  format: Format,
  negotiated: boolean,
): Promise<Answer> {
  // Each dataset's hash and counts: one version, or again.
  return await oneVersion(
    datasets,
    () => listingAnswer(request, datasets, settings, format, negotiated),
  );
}

/** The listing's hashes and counts, read from one version of each. */
async function listingAnswer(
  request: Request,
  datasets: readonly ServedDataSet[],
  settings: Settings,
  format: Format,
  negotiated: boolean,
): Promise<Answer> {
  const hashes: (string | undefined)[] = [];
  for (const dataset of datasets) {
    hashes.push(await contentHash(dataset.dataset));
  }
  if (fresh(request, { hashes, format })) {
    return { hashes, negotiated, format, type: TYPES[format], body: null };
  }
  const body: {
    name: string;
    hash: string | null;
    tables: TableCount[];
  }[] = [];
  for (const [i, dataset] of datasets.entries()) {
    const hash = hashes[i];
    const tables: TableCount[] = [];
    for (const table of dataset.tables.values()) {
      tables.push({
        name: table.name,
        rows: await table.store.count(
          {},
          settings.onQuery === undefined ? {} : { onQuery: settings.onQuery },
        ),
        columns: table.model.definition.keys.map((key) => ({
          name: key,
          kind: kindOf(table.model.definition.columns[key]!).builder,
        })),
        primaryKey: [...table.model.definition.primaryKey],
        search: table.model.definition.search !== undefined,
        geo: table.model.definition.geo !== undefined,
      });
    }
    body.push({ name: dataset.name, hash: hash ?? null, tables });
  }
  return {
    hashes,
    negotiated,
    format,
    type: TYPES[format],
    body: format === "html"
      ? indexPage(settings, body)
      : JSON.stringify({ datasets: body }),
  };
}

/** The row whose key the path segment names (parts joined by commas). */
async function retrieve(table: ServedTable, key: string): Promise<object> {
  const { definition } = table.model;
  const keys = definition.primaryKey;
  if (keys.length === 0) {
    throw notFound(
      `${table.name} has no primary key, so its rows have no address`,
    );
  }
  const parts = keys.length === 1 ? [key] : key.split(",");
  if (parts.length !== keys.length) {
    throw notFound(
      `${table.name}'s key has ${keys.length} parts (${
        keys.join(", ")
      }), separated by commas`,
    );
  }
  const id: Record<string, unknown> = {};
  for (const [i, name] of keys.entries()) {
    const kind = kindOf(definition.columns[name]!);
    try {
      id[name] = kind.fromQuery(parts[i]!);
    } catch {
      throw notFound(
        `No row of ${table.name} has the key ${
          JSON.stringify(key)
        }: ${name} is ${kind.expected}`,
      );
    }
  }
  try {
    return await (table.store as Store<AnyModel>).retrieve(id as never);
  } catch (error) {
    if (error instanceof ModelNotFoundError) {
      throw notFound(
        `No row of ${table.name} has the key ${JSON.stringify(key)}`,
      );
    }
    throw error;
  }
}

interface PageResult {
  rows: object[];
  distances?: number[];
  next: string | undefined;
  total?: number;
  facets: FacetView[];
}

function checkBudget(time: QueryBudget, settings: Settings): void {
  if (time.expired()) throw new HttpProblem(503, overBudget(settings));
}

/**
 * Reads an answer combined from several queries (a page, its total and
 * facets; a listing's counts) from one version of each dataset's data:
 * when a dataset's file changed in place (or was reloaded) while `read`
 * ran, whether `read` answered (from two versions) or failed (a query
 * that met the other version), it runs again, up to
 * {@linkcode VERSION_ATTEMPTS} times, then the request is a 503. The one
 * retry of every route that reads more than one statement.
 */
async function oneVersion<T>(
  datasets: readonly ServedDataSet[],
  read: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    const versions: DataVersion[] = [];
    for (const dataset of datasets) {
      // Open datasets answer at once: no await on the way of every row.
      const version = versionOf(dataset.dataset);
      versions.push(version instanceof Promise ? await version : version);
    }
    let answer: { value: T } | undefined;
    let failed: unknown;
    try {
      answer = { value: await read() };
    } catch (error) {
      failed = error;
    }
    let moved: ServedDataSet | undefined;
    for (const [i, dataset] of datasets.entries()) {
      const serves = stillServes(dataset.dataset, versions[i]!);
      if (serves instanceof Promise ? await serves : serves) continue;
      moved = dataset;
      break;
    }
    if (moved === undefined) {
      if (answer === undefined) throw failed;
      return answer.value;
    }
    if (attempt >= VERSION_ATTEMPTS) {
      throw new HttpProblem(503, changedMessage(moved.name));
    }
  }
}

/**
 * The message of a request whose dataset's file kept changing (or being
 * reloaded) while its queries ran, so no answer read one version.
 */
function changedMessage(name: string): string {
  return `The data of ${name} changed while the request was answered (${VERSION_ATTEMPTS} times); try again`;
}

/**
 * The message of a request over its time budget: the same whether the
 * handler saw it between queries or the library stopped a query.
 */
function overBudget(settings: Settings): string {
  return `The request took longer than its time budget of ${settings.timeoutMs} ms`;
}

async function readPage(
  table: ServedTable,
  query: TableQuery,
  time: QueryBudget,
  settings: Settings,
): Promise<PageResult> {
  const store = table.store;
  const filter = query.filter as never;
  const offset = query.next === undefined ? 0 : Number(query.next.slice(1));
  let rows: object[];
  let distances: number[] | undefined;
  let next: string | undefined;
  if (query.search !== undefined || query.within !== undefined) {
    const limit = query.size + 1;
    const found = query.search !== undefined
      ? store.match(query.search, { filter, limit, offset, ...time.options() })
      : store.within(query.within!, filter, {
        ...time.options(),
        limit,
        offset,
        ...(query.sort === undefined ? {} : { orderBy: query.sort as never }),
      });
    rows = await Array.fromAsync(found);
    if (rows.length > query.size) {
      rows.pop();
      next = `o${offset + query.size}`;
    }
  } else if (query.near !== undefined) {
    const near = await store.nearest(query.near, {
      ...time.options(),
      limit: query.size,
      filter,
      ...(query.maxKm === undefined ? {} : { maxKm: query.maxKm }),
    });
    rows = near.map((result) => result.row);
    distances = near.map((result) => result.distanceKm);
  } else {
    try {
      const page = await store.page(filter, {
        ...time.options(),
        limit: query.size,
        ...(query.sort === undefined ? {} : { orderBy: query.sort as never }),
        ...(query.next === undefined ? {} : { after: query.next }),
      });
      rows = page.rows;
      next = page.next;
    } catch (error) {
      // The store checks the token against the query it was made for.
      if (
        query.next !== undefined && error instanceof TypeError &&
        error.message.includes("page token")
      ) {
        throw badRequest(
          "_next",
          error.message.slice(error.message.indexOf(": ") + 2),
        );
      }
      throw error;
    }
  }
  checkBudget(time, settings);
  const result: PageResult = { rows, next, facets: [] };
  if (distances !== undefined) result.distances = distances;
  if (query.total) {
    result.total = await store.count(filter, time.options(true));
    checkBudget(time, settings);
  }
  for (const key of query.facets) {
    const counts = await store.countBy(key as never, filter, {
      ...time.options(true),
      limit: settings.facetSize,
    });
    result.facets.push({
      property: key,
      values: counts.map(({ value, count }) => ({
        value: jsonSafe(value),
        count,
      })),
    });
    checkBudget(time, settings);
  }
  return result;
}

async function* picked(
  rows: AsyncIterable<object> | Iterable<object>,
  keys: readonly string[],
): AsyncGenerator<object, void, undefined> {
  for await (const row of rows) {
    const record = row as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = record[key];
    yield out;
  }
}

/**
 * How an export's queries run: no time budget (an export takes as long as
 * its rows), the hook; it stops when the client goes away, as the response
 * body is then cancelled.
 */
function exportRun(_request: Request, settings: Settings): RunOptions {
  return settings.onQuery === undefined ? {} : { onQuery: settings.onQuery };
}

function exportRows(
  table: ServedTable,
  query: TableQuery,
  format: "csv" | "jsonl",
  run: RunOptions,
): ReadableStream<Uint8Array> {
  const store = table.store;
  const filter = query.filter as never;
  const limit = query.sized ? { limit: query.size } : {};
  const orderBy = query.sort === undefined
    ? {}
    : { orderBy: query.sort as never };
  const whole = query.fields.length === table.model.definition.keys.length &&
    query.fields.every((key, i) => key === table.model.definition.keys[i]);
  let rows: DumpSource;
  if (query.search !== undefined) {
    rows = store.match(query.search, { filter, ...limit, ...run });
  } else if (query.within !== undefined) {
    rows = store.within(query.within, filter, {
      ...limit,
      ...orderBy,
      ...run,
    });
  } else if (query.near !== undefined) {
    const near = query.near;
    rows = (async function* () {
      const found = await store.nearest(near, {
        ...run,
        limit: query.size,
        filter,
        ...(query.maxKm === undefined ? {} : { maxKm: query.maxKm }),
      });
      for (const { row } of found) yield row;
    })();
  } else if (whole) {
    rows = store.search(filter, { ...limit, ...orderBy, ...run });
  } else {
    rows = store.select(query.fields as never, filter, {
      ...run,
      ...limit,
      ...orderBy,
    });
  }
  // select() gives the chosen properties; the other sources give rows.
  const selected = query.search === undefined && query.within === undefined &&
    query.near === undefined;
  if (!whole && !selected) rows = picked(rows, query.fields);
  const options = whole ? { model: table.model } : {};
  return yielding(
    format === "csv" ? dumpCsv(rows, options) : dumpJsonLines(rows, options),
  );
}

/**
 * The stream, giving the event loop a turn before each chunk: a long
 * export then takes its share of the process between small requests
 * instead of running ahead of them (a client on the same host drains a
 * response as fast as it is made).
 */
function yielding(
  body: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** The current URL with some parameters replaced, under the base path. */
export function linkWith(
  url: URL,
  changes: Record<string, string | undefined>,
): string {
  const params = new URLSearchParams(url.searchParams);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) params.delete(name);
    else params.set(name, value);
  }
  const search = params.toString();
  return url.pathname + (search === "" ? "" : `?${search}`);
}

function corsHeaders(settings: Settings, preflight: boolean): Headers {
  const headers = new Headers();
  if (settings.cors === undefined) return headers;
  headers.set("access-control-allow-origin", settings.cors);
  if (settings.cors !== "*") headers.set("vary", "Origin");
  headers.set("access-control-expose-headers", "ETag");
  if (preflight) {
    headers.set("access-control-allow-methods", "GET, HEAD, OPTIONS");
    headers.set("access-control-allow-headers", "If-None-Match");
    headers.set("access-control-max-age", "86400");
  }
  return headers;
}

/** Whether the request's `If-None-Match` names the answer's ETag. */
function fresh(
  request: Request,
  answer: Pick<Answer, "hashes" | "format">,
): boolean {
  const etag = etagOf(answer);
  return etag !== undefined &&
    matches(request.headers.get("if-none-match"), etag);
}

function etagOf(answer: Pick<Answer, "hashes" | "format">): string | undefined {
  if (answer.hashes.length === 0) return undefined;
  if (answer.hashes.some((hash) => hash === undefined)) return undefined;
  const joined = answer.hashes.join(".");
  return `"${joined}${answer.format === "json" ? "" : `-${answer.format}`}"`;
}

/** Whether `If-None-Match` lists the ETag (or is `*`). */
function matches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed === etag || trimmed === `W/${etag}`;
  });
}

function respond(
  request: Request,
  answer: Answer,
  settings: Settings,
): Response {
  const headers = corsHeaders(settings, false);
  headers.set("content-type", answer.type);
  headers.set("x-content-type-options", "nosniff");
  if (answer.format === "html") headers.set("content-security-policy", CSP);
  if (answer.negotiated) headers.append("vary", "Accept");
  const etag = etagOf(answer);
  if (etag !== undefined) {
    headers.set("etag", etag);
    headers.set(
      "cache-control",
      answer.immutable ? IMMUTABLE : settings.cacheControl,
    );
  } else {
    headers.set("cache-control", "no-store");
  }
  if (
    etag !== undefined && matches(request.headers.get("if-none-match"), etag)
  ) {
    if (answer.body instanceof ReadableStream) void answer.body.cancel();
    return new Response(null, { status: 304, headers });
  }
  if (request.method === "HEAD") {
    if (answer.body instanceof ReadableStream) void answer.body.cancel();
    return new Response(null, { status: 200, headers });
  }
  return new Response(answer.body, { status: 200, headers });
}

/** The status and message an error is answered with. */
function problemOf(error: unknown, settings: Settings): {
  status: number;
  message: string;
  parameter?: string;
  internal: boolean;
} {
  if (error instanceof HttpProblem) {
    return {
      status: error.status,
      message: error.message,
      ...(error.parameter === undefined ? {} : { parameter: error.parameter }),
      internal: false,
    };
  }
  if (error instanceof SQLiteError && error.statusCode < 500) {
    return {
      status: error.statusCode,
      message: error.message,
      internal: false,
    };
  }
  if (error instanceof SQLiteError && error.statusCode === 503) {
    return {
      status: 503,
      message: overBudget(settings),
      internal: false,
    };
  }
  return { status: 500, message: "Internal server error", internal: true };
}

function failure(
  request: Request,
  error: unknown,
  settings: Settings,
  format: Format,
): Response {
  const problem = problemOf(error, settings);
  if (problem.internal) settings.onError(error, request);
  const headers = corsHeaders(settings, false);
  headers.set("cache-control", "no-store");
  headers.set("x-content-type-options", "nosniff");
  if (problem.status === 405) headers.set("allow", "GET, HEAD, OPTIONS");
  let body: string;
  if (format === "html") {
    headers.set("content-type", TYPES.html);
    headers.set("content-security-policy", CSP);
    body = errorPage(settings, problem.status, problem.message);
  } else {
    headers.set("content-type", TYPES.json);
    body = JSON.stringify({
      error: {
        status: problem.status,
        message: problem.message,
        ...(problem.parameter === undefined
          ? {}
          : { parameter: problem.parameter }),
      },
    });
  }
  return new Response(request.method === "HEAD" ? null : body, {
    status: problem.status,
    headers,
  });
}
