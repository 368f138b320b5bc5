/**
 * Serve datasets over HTTP: a JSON API and a server-rendered browse page,
 * as one Fetch-API handler for `Deno.serve` (or any framework that speaks
 * `Request`/`Response`). Its own entry point, so the runtime import
 * (`@microcosm/sqlite`) does not load it.
 *
 * ```ts ignore
 * import { createHandler } from "@microcosm/sqlite/http";
 * import { Geo } from "./models.ts";
 *
 * Deno.serve({ hostname: "127.0.0.1", port: 8000 }, createHandler(Geo));
 * ```
 *
 * Routes (under `basePath`): `/` the datasets and their tables with row
 * counts; `/<dataset>` one dataset; `/<dataset>/<table>` a page of rows
 * with filters and the `_`-prefixed parameters; `/<dataset>/<table>/<key>`
 * one row by primary key; `/-/openapi.json` an OpenAPI document of them.
 * The README's "Serving over HTTP" section lists
 * the parameters, the JSON encoding and the headers.
 *
 * @module
 */
import {
  createHandler as create,
  type Handler,
  type HandlerOptions,
} from "./src/http/handler.ts";
import type { DataSet } from "./src/dataset.ts";
import type { AnyModel } from "./src/model.ts";

export type { Handler, HandlerOptions };

/**
 * Creates a Fetch-API handler serving datasets (all their models, or, for
 * a dataset with no model declared, every table of its file read from its
 * schema) or chosen models, read-only.
 *
 * Filters are query parameters named after properties, Datasette-style:
 * `?country=FR`, `?population__gte=1000000`, `?code__in=FR,DE`,
 * `?name__startsWith=Sa`, `?born__isnull=true`; each value is read as its
 * column's kind, and a bad one is a 400 naming the parameter. The
 * handler's own parameters start with `_`: `_size`, `_next`, `_sort`,
 * `_fields`, `_search`, `_near`, `_maxKm`, `_within`, `_facet`, `_total`,
 * `_format` (`json`, `html`, `csv`, `jsonl`) and `_hash`.
 *
 * @param served A dataset, a model, or a list of them.
 * @param options Base path, page sizes, limits, CORS, caching, hooks.
 * @returns The handler: `(request: Request) => Promise<Response>`.
 * @throws {TypeError} For something that is not a dataset or model, or two
 * datasets of one name.
 * @throws {RangeError} For an option out of range.
 *
 * @example Serve a model and ask it for rows
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataSet, integer, Store, text } from "@microcosm/sqlite";
 * import { createHandler } from "@microcosm/sqlite/http";
 *
 * const Geo = DataSet.create("doc_http");
 * class Country extends Geo.Model("country", {
 *   code: text({ primaryKey: true }),
 *   population: integer(),
 * }) {}
 * await Geo.createAll();
 * await new Store(Country).createMany([
 *   { code: "FR", population: 68_170_000 },
 *   { code: "LU", population: 660_000 },
 * ]);
 * const handler = createHandler(Geo, { basePath: "/api" });
 * const response = await handler(
 *   new Request("http://localhost/api/doc_http/country?population__gte=1000000"),
 * );
 * assert.equal(response.status, 200);
 * const { rows } = await response.json();
 * assert.deepEqual(rows, [{ code: "FR", population: 68_170_000 }]);
 * const bad = await handler(
 *   new Request("http://localhost/api/doc_http/country?population=many"),
 * );
 * assert.equal(bad.status, 400);
 * assert.match((await bad.json()).error.message, /population.*an integer/);
 * await Geo.close();
 * ```
 */
export function createHandler(
  served: DataSet | AnyModel | readonly (DataSet | AnyModel)[],
  options: HandlerOptions = {},
): Handler {
  return create(served, options);
}
