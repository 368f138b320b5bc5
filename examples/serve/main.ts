/**
 * A Deploy-style HTTP server: the dataset file sits in `data/` beside it
 * and is served read-only, as JSON and as browse pages, with its tables
 * read from the file's schema (no models needed). The port is the first
 * argument (default 8000; 0 picks a free one):
 *
 *   deno run --allow-read=examples/serve/data --allow-net examples/serve/main.ts
 */
import { DataSet, SQLiteBindFactory } from "@microcosm/sqlite";
import { createHandler } from "@microcosm/sqlite/http";

const file = new URL("./data/countries.sqlite", import.meta.url);
const Countries = DataSet.create("countries");
Countries.bind(new SQLiteBindFactory().set("countries", file));
Deno.serve(
  { hostname: "127.0.0.1", port: Number(Deno.args[0] ?? 8000) },
  createHandler(Countries),
);
