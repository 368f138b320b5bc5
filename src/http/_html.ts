/**
 * The browse pages: server-rendered HTML with every value escaped, no
 * script, one inline style sheet allowed by its hash in a strict
 * Content-Security-Policy. Forms are plain `GET` forms, so the pages work
 * without JavaScript.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ServedTable } from "./_served.ts";
import type { TableQuery } from "./_query.ts";

const STYLE = `
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin: .75rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.null { color: #999; font-style: italic; }
form { margin: .5rem 0; }
form.filters label { display: inline-block; margin: 0 .75rem .35rem 0; }
nav a, .formats a, .facet-links a { margin-right: .75rem; }
.facet { display: inline-block; vertical-align: top; margin-right: 2rem; }
`;

/** The Content-Security-Policy of every page: no script, no outside content. */
export const CSP: string = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** What the pages need of the handler's settings. */
export interface PageSettings {
  readonly basePath: string;
  readonly title: string;
  /** Whether clients may run SQL (`_sql`). */
  readonly sql?: boolean;
}

/** One table of the listing. */
export interface TableCount {
  name: string;
  rows: number;
  columns: { name: string; kind: string }[];
  primaryKey: string[];
  search: boolean;
  geo: boolean;
}

/** One facet: a property's most frequent values and their counts. */
export interface FacetView {
  property: string;
  values: { value: unknown; count: number }[];
}

/** The rows of a table page, JSON-safe. */
export interface TableView {
  dataset: string;
  table: string;
  fields: readonly string[];
  rows: Record<string, unknown>[];
  distances?: number[];
  next: string | null;
  nextUrl: string | null;
  total?: number;
  facets?: FacetView[];
}

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** A JSON-safe value as display text. */
function shown(value: unknown): string {
  return typeof value === "string"
    ? value
    : typeof value === "object"
    ? JSON.stringify(value)
    : String(value);
}

function cell(value: unknown): string {
  return value === null
    ? '<td class="null">null</td>'
    : `<td>${escapeHtml(shown(value))}</td>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

function path(settings: PageSettings, ...segments: string[]): string {
  return settings.basePath + "/" +
    segments.map((segment) => encodeURIComponent(segment)).join("/");
}

function crumbs(settings: PageSettings, ...segments: string[]): string {
  const links = [
    `<a href="${escapeHtml(settings.basePath + "/")}">${
      escapeHtml(settings.title)
    }</a>`,
  ];
  segments.forEach((segment, i) => {
    links.push(
      `<a href="${escapeHtml(path(settings, ...segments.slice(0, i + 1)))}">${
        escapeHtml(segment)
      }</a>`,
    );
  });
  return `<nav>${links.join(" / ")}</nav>`;
}

/** The datasets and their tables, with row counts. */
export function indexPage(
  settings: PageSettings,
  datasets: { name: string; tables: TableCount[] }[],
): string {
  const sections = datasets.map((dataset) => {
    const rows = dataset.tables.map((table) =>
      `<tr><td><a href="${
        escapeHtml(path(settings, dataset.name, table.name))
      }">${escapeHtml(table.name)}</a></td><td>${table.rows}</td><td>${
        escapeHtml(table.columns.map((c) => c.name).join(", "))
      }</td></tr>`
    ).join("\n");
    return `<h2><a href="${escapeHtml(path(settings, dataset.name))}">${
      escapeHtml(dataset.name)
    }</a></h2>
<table class="tables"><thead><tr><th>table</th><th>rows</th><th>columns</th></tr></thead>
<tbody>
${rows}
</tbody></table>${
      settings.sql
        ? `<form method="get" action="${
          escapeHtml(path(settings, dataset.name))
        }" class="sql"><textarea name="_sql" rows="3" cols="80" aria-label="SQL on ${
          escapeHtml(dataset.name)
        }"></textarea><br><button type="submit">Run SQL</button></form>`
        : ""
    }`;
  }).join("\n");
  const names = datasets.map((d) => d.name);
  return page(
    datasets.length === 1 ? names[0]! : settings.title,
    `${datasets.length === 1 ? crumbs(settings) : ""}<h1>${
      escapeHtml(settings.title)
    }</h1>\n${sections}`,
  );
}

/** A link to the same table with some parameters replaced. */
function withParams(url: URL, changes: Record<string, string | null>): string {
  const params = new URLSearchParams(url.searchParams);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) params.delete(name);
    else params.set(name, value);
  }
  const search = params.toString();
  return url.pathname + (search === "" ? "" : `?${search}`);
}

function hidden(url: URL, names: readonly string[]): string {
  return names.flatMap((name) => {
    const value = url.searchParams.get(name);
    return value === null ? [] : [
      `<input type="hidden" name="${escapeHtml(name)}" value="${
        escapeHtml(value)
      }">`,
    ];
  }).join("");
}

/** A table's rows, filter form, search box, facets and next-page link. */
export function tablePage(
  settings: PageSettings,
  url: URL,
  table: ServedTable,
  query: TableQuery,
  view: TableView,
): string {
  const { definition } = table.model;
  const parts: string[] = [crumbs(settings, view.dataset, view.table)];
  parts.push(`<h1>${escapeHtml(view.table)}</h1>`);
  const action = escapeHtml(url.pathname);
  if (definition.search !== undefined) {
    parts.push(
      `<form method="get" action="${action}" class="search" role="search">` +
        `<input type="search" name="_search" aria-label="Search" value="${
          escapeHtml(query.search ?? "")
        }"> <button type="submit">Search</button>${
          hidden(url, ["_size", "_fields"])
        }</form>`,
    );
  }
  const inputs = definition.keys.map((key) => {
    const value = url.searchParams.get(key) ?? "";
    return `<label>${escapeHtml(key)} <input name="${escapeHtml(key)}" value="${
      escapeHtml(value)
    }"></label>`;
  }).join("\n");
  parts.push(
    `<form method="get" action="${action}" class="filters">\n${inputs}\n` +
      `<button type="submit">Filter</button>${
        hidden(url, ["_size", "_sort", "_fields", "_facet"])
      }</form>`,
  );
  const faceted = new Set(query.facets);
  const facetLinks = definition.keys.filter((key) => !faceted.has(key)).map(
    (key) =>
      `<a href="${
        escapeHtml(
          withParams(url, {
            _facet: [...query.facets, key].join(","),
            _next: null,
          }),
        )
      }">${escapeHtml(key)}</a>`,
  );
  if (facetLinks.length > 0) {
    parts.push(`<p class="facet-links">Facet by: ${facetLinks.join(" ")}</p>`);
  }
  if (view.total !== undefined) {
    parts.push(`<p class="total">${view.total} rows</p>`);
  }
  for (const facet of view.facets ?? []) {
    const items = facet.values.map(({ value, count }) =>
      value === null ? `<li>null (${count})</li>` : `<li><a href="${
        escapeHtml(
          withParams(url, { [facet.property]: shown(value), _next: null }),
        )
      }">${escapeHtml(shown(value))}</a> (${count})</li>`
    ).join("");
    parts.push(
      `<div class="facet" data-facet="${escapeHtml(facet.property)}"><h2>${
        escapeHtml(facet.property)
      }</h2><ul>${items}</ul></div>`,
    );
  }
  const keyed = definition.primaryKey.length > 0 &&
    definition.primaryKey.every((key) => view.fields.includes(key));
  const head = view.fields.map((key) => {
    const sorted = query.sort?.[0] === key ? `-${key}` : key;
    return `<th><a href="${
      escapeHtml(withParams(url, { _sort: sorted, _next: null }))
    }">${escapeHtml(key)}</a></th>`;
  }).join("");
  const body = view.rows.map((row, i) => {
    const cells = view.fields.map((key) => cell(row[key])).join("");
    const link = keyed
      ? `<td><a class="row" href="${
        escapeHtml(
          path(
            settings,
            view.dataset,
            view.table,
            definition.primaryKey.map((key) => shown(row[key])).join(","),
          ),
        )
      }">view</a></td>`
      : "";
    const distance = view.distances === undefined
      ? ""
      : `<td>${view.distances[i]!.toFixed(1)} km</td>`;
    return `<tr>${link}${cells}${distance}</tr>`;
  }).join("\n");
  parts.push(
    `<table class="rows"><thead><tr>${keyed ? "<th></th>" : ""}${head}${
      view.distances === undefined ? "" : "<th>distance</th>"
    }</tr></thead>\n<tbody>\n${body}\n</tbody></table>`,
  );
  if (view.rows.length === 0) parts.push("<p>No rows match.</p>");
  const links: string[] = [];
  if (view.nextUrl !== null) {
    links.push(
      `<a rel="next" href="${escapeHtml(view.nextUrl)}">Next page</a>`,
    );
  }
  for (const format of ["json", "csv", "jsonl"]) {
    links.push(
      `<a href="${
        escapeHtml(withParams(url, { _format: format, _next: null }))
      }">${format}</a>`,
    );
  }
  parts.push(`<p class="formats">${links.join(" ")}</p>`);
  return page(`${view.dataset}: ${view.table}`, parts.join("\n"));
}

/** One row, property by property. */
export function rowPage(
  settings: PageSettings,
  dataset: string,
  table: ServedTable,
  row: Record<string, unknown>,
): string {
  const lines = Object.entries(row).map(([key, value]) =>
    `<tr><th>${escapeHtml(key)}</th>${cell(value)}</tr>`
  ).join("\n");
  return page(
    `${dataset}: ${table.name}`,
    `${crumbs(settings, dataset, table.name)}<h1>${
      escapeHtml(table.name)
    }</h1>\n<table class="row">\n${lines}\n</table>`,
  );
}

/** The rows of the client's SQL, with the form to edit it. */
export function sqlPage(
  settings: PageSettings,
  dataset: string,
  sql: string,
  columns: readonly string[],
  rows: Record<string, unknown>[],
  truncated: boolean,
): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((row) =>
    `<tr>${columns.map((c) => cell(row[c])).join("")}</tr>`
  ).join("\n");
  return page(
    `${dataset}: SQL`,
    `${crumbs(settings, dataset)}<h1>SQL</h1>
<form method="get" action="${escapeHtml(path(settings, dataset))}" class="sql">
<textarea name="_sql" rows="4" cols="80" aria-label="SQL">${
      escapeHtml(sql)
    }</textarea><br><button type="submit">Run</button></form>
<table class="rows"><thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table>${
      truncated
        ? `<p class="truncated">Only the first ${rows.length} rows.</p>`
        : ""
    }`,
  );
}

/** An error, escaped. */
export function errorPage(
  settings: PageSettings,
  status: number,
  message: string,
): string {
  return page(
    `${status}`,
    `${crumbs(settings)}<h1>${status}</h1><p class="error">${
      escapeHtml(message)
    }</p>`,
  );
}
