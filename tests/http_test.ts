// The HTTP handler (issue 13), through real requests on 127.0.0.1, on
// both engines.
import assert from "node:assert/strict";
import { DataSet, integer, SQLiteBindFactory, text } from "../mod.ts";
import { createHandler } from "../http.ts";
import { engineTest, openFile, sha256, sqliteFile } from "./_helpers.ts";
import {
  BIG,
  CITIES,
  citiesFile,
  declareCities,
  serve,
  servedCities,
} from "./_http_helpers.ts";

async function json(response: Response) {
  assert.match(
    response.headers.get("content-type") ?? "",
    /^application\/json/,
  );
  return await response.json();
}

/** Asserts a 400 whose body names the parameter, and returns its message. */
async function assert400(
  url: string,
  parameter: string,
  message: RegExp,
): Promise<void> {
  const response = await fetch(url);
  const body = await json(response);
  assert.equal(response.status, 400, JSON.stringify(body));
  assert.equal(body.error.parameter, parameter);
  assert.match(body.error.message, message);
  assert.doesNotMatch(JSON.stringify(body), /\bat .*\.ts:\d+/);
}

const names = (body: { rows: { name: string }[] }) =>
  body.rows.map((row) => row.name);

engineTest(
  "GET / lists the datasets, their tables and row counts",
  async (engine) => {
    await using s = await servedCities(engine);
    const body = await json(await fetch(`${s.origin}/`));
    assert.equal(body.datasets.length, 1);
    const [dataset] = body.datasets;
    assert.equal(dataset.name, s.dataset);
    assert.equal(dataset.hash, await sha256(s.path));
    assert.deepEqual(
      dataset.tables.map((
        t: { name: string; rows: number },
      ) => [t.name, t.rows]),
      [["city", CITIES.length]],
    );
    assert.deepEqual(dataset.tables[0].primaryKey, ["id"]);
    const one = await json(await fetch(`${s.origin}/${s.dataset}`));
    assert.deepEqual(one.datasets[0].tables[0].name, "city");
  },
);

engineTest(
  "filters map onto the model's typed filter, Datasette-style",
  async (engine, t) => {
    await using s = await servedCities(engine);
    const cases: [string, string[]][] = [
      ["?country=FR", ["Lyon", "Paris", "Saint-Étienne"]],
      ["?population__gte=1000000", ["Berlin", "Paris"]],
      ["?population__lt=600000&country=FR", ["Lyon", "Saint-Étienne"]],
      ["?country__in=DE,XX", ["<script>alert(1)</script>", "Berlin"]],
      ["?country__notIn=FR,XX", ["Berlin"]],
      ["?name__startsWith=Sa", ["Saint-Étienne"]],
      ["?name__contains=y", ["Lyon"]],
      ["?population__isnull=true", ["<script>alert(1)</script>"]],
      ["?code=1152921504606846977", ["Paris"]],
      ["?founded__lt=0300-01-01", ["Paris"]],
      ["?flag=AQID", ["Paris"]],
      ["?country=FR&population=", ["Lyon", "Paris", "Saint-Étienne"]],
    ];
    for (const [query, expected] of cases) {
      await t.step(query, async () => {
        assert.deepEqual(
          names(await json(await fetch(s.url(query)))),
          expected,
        );
      });
    }
  },
);

engineTest(
  "bad input is a 400 naming the parameter and what was expected",
  async (engine, t) => {
    await using s = await servedCities(engine, { maxPageSize: 50 });
    const cases: [string, string, RegExp][] = [
      ["?population=many", "population", /expected an integer, got "many"/],
      ["?population__gte=1.5", "population__gte", /expected an integer/],
      ["?founded=yesterday", "founded", /expected a date and time/],
      ["?code=99999999999999999999", "code", /64 bits/],
      ["?elevation=3", "elevation", /unknown property "elevation".*id, name/],
      ["?name__near=3", "name__near", /unknown property "name__near"/],
      ["?_limit=3", "_limit", /unknown parameter.*_size/],
      ["?_size=51", "_size", /from 1 to 50, got "51"/],
      ["?_size=0", "_size", /from 1 to 50/],
      ["?_next=garbage", "_next", /malformed/],
      ["?_sort=height", "_sort", /unknown property "height"/],
      ["?_fields=id,height", "_fields", /unknown property "height"/],
      ["?country=FR&country=DE", "country", /more than once/],
      ["?_near=91,0", "_near", /latitude must be within ±90/],
      ["?_near=1", "_near", /2 numbers/],
      ["?_within=10,0,0,10", "_within", /south must not be greater/],
      ["?_search=x&_sort=name", "_sort", /ranked/],
      ["?_format=xml", "_format", /json, html, csv, jsonl/],
      ["?_facet=height", "_facet", /unknown property/],
      ["?population__isnull=maybe", "population__isnull", /true or false/],
    ];
    for (const [query, parameter, message] of cases) {
      await t.step(query, () => assert400(s.url(query), parameter, message));
    }
  },
);

engineTest(
  "a page token made for another filter is a 400 for _next",
  async (engine) => {
    await using s = await servedCities(engine);
    const first = await json(await fetch(s.url("?_size=1&country=FR")));
    assert.equal(typeof first.next, "string");
    await assert400(
      s.url(`?_size=1&country=DE&_next=${first.next}`),
      "_next",
      /another model, order or filter/,
    );
  },
);

engineTest(
  "_next pages through every row once, in the order asked",
  async (engine) => {
    await using s = await servedCities(engine);
    const seen: string[] = [];
    let url: string | null = s.url("?_size=2&_sort=-population");
    let pages = 0;
    while (url !== null) {
      const body = await json(await fetch(url));
      seen.push(...names(body));
      url = body.nextUrl === null ? null : s.origin + body.nextUrl;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, [
      "Berlin",
      "Paris",
      "Lyon",
      "Saint-Étienne",
      "<script>alert(1)</script>",
    ]);
  },
);

engineTest(
  "one row by primary key; 404 when absent or not a key",
  async (engine) => {
    await using s = await servedCities(engine);
    const body = await json(await fetch(s.url("/2")));
    assert.equal(body.row.name, "Lyon");
    for (const key of ["/99", "/abc"]) {
      const response = await fetch(s.url(key));
      assert.equal(response.status, 404);
      assert.match((await response.json()).error.message, /No row of city/);
    }
    const projected = await json(await fetch(s.url("/2?_fields=name")));
    assert.deepEqual(projected.row, { name: "Lyon" });
  },
);

engineTest(
  "unknown datasets and tables are 404s; names never reach SQL",
  async (engine) => {
    await using s = await servedCities(engine);
    for (
      const path of [
        "/nope",
        `/${s.dataset}/nope`,
        `/${s.dataset}/city%22%3B%20drop%20table%20city%3B--`,
        `/${s.dataset}/sqlite_master`,
        `/${s.dataset}/city/1/extra`,
      ]
    ) {
      const response = await fetch(s.origin + path);
      assert.equal(response.status, 404, path);
      await response.body?.cancel();
    }
    assert.equal((await json(await fetch(s.url()))).rows.length, CITIES.length);
  },
);

engineTest(
  "rows are JSON-safe: big integers as strings, bytes base64, dates ISO",
  async (engine) => {
    await using s = await servedCities(engine);
    const body = await json(await fetch(s.url("/1")));
    assert.equal(body.row.code, BIG.toString());
    assert.equal(body.row.flag, "AQID");
    assert.equal(body.row.founded, "0250-01-01T00:00:00.000Z");
    const lyon = await json(await fetch(s.url("/2")));
    assert.equal(lyon.row.code, 7);
  },
);

engineTest(
  "the ETag is the file's SHA-256; If-None-Match gives a 304",
  async (engine) => {
    await using s = await servedCities(engine, {
      cacheControl: "public, max-age=60",
    });
    const response = await fetch(s.url("?country=FR"));
    await response.body?.cancel();
    const etag = response.headers.get("etag");
    assert.equal(etag, `"${await sha256(s.path)}"`);
    assert.equal(response.headers.get("cache-control"), "public, max-age=60");
    const again = await fetch(s.url("?country=FR"), {
      headers: { "if-none-match": etag! },
    });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    assert.equal(again.headers.get("etag"), etag);
    const html = await fetch(s.url(), {
      headers: { accept: "text/html", "if-none-match": etag! },
    });
    assert.equal(html.status, 200, "the HTML page has its own ETag");
    assert.notEqual(html.headers.get("etag"), etag);
    await html.body?.cancel();
  },
);

engineTest(
  "a URL naming the content hash is immutable; a stale hash is a 404",
  async (engine) => {
    await using s = await servedCities(engine);
    const hash = await sha256(s.path);
    const response = await fetch(s.url(`?_hash=${hash}`));
    await response.body?.cancel();
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("cache-control"),
      "public, max-age=31536000, immutable",
    );
    const stale = await fetch(s.url(`?_hash=${"0".repeat(64)}`));
    assert.equal(stale.status, 404);
    assert.match((await stale.json()).error.message, /content hash/);
  },
);

engineTest(
  "CSV and JSON Lines exports stream the query through the dumpers",
  async (engine) => {
    await using s = await servedCities(engine);
    const csv = await fetch(s.url("?country=FR&_format=csv&_fields=id,name"));
    assert.match(csv.headers.get("content-type")!, /^text\/csv/);
    assert.equal(
      await csv.text(),
      "id,name\r\n2,Lyon\r\n1,Paris\r\n5,Saint-Étienne\r\n",
    );
    const jsonl = await fetch(s.url("?population__gte=1000000&_format=jsonl"));
    const lines = (await jsonl.text()).trim().split("\n").map((line) =>
      JSON.parse(line)
    );
    assert.deepEqual(lines.map((row) => row.name), ["Berlin", "Paris"]);
    const searched = await fetch(
      s.url("?_search=lyon&_format=csv&_fields=name"),
    );
    assert.equal(await searched.text(), "name\r\nLyon\r\n");
  },
);

engineTest("HEAD answers the headers of GET without a body", async (engine) => {
  await using s = await servedCities(engine);
  const get = await fetch(s.url("?country=FR"));
  await get.body?.cancel();
  const head = await fetch(s.url("?country=FR"), { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("etag"), get.headers.get("etag"));
  assert.equal(await head.text(), "");
  const post = await fetch(s.url(), { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.match(post.headers.get("allow")!, /GET/);
  await post.body?.cancel();
});

engineTest(
  "CORS is off by default, and on for the origin given",
  async (engine) => {
    {
      await using s = await servedCities(engine);
      const response = await fetch(s.url());
      await response.body?.cancel();
      assert.equal(response.headers.get("access-control-allow-origin"), null);
    }
    await using s = await servedCities(engine, { cors: "https://app.example" });
    const response = await fetch(s.url());
    await response.body?.cancel();
    assert.equal(
      response.headers.get("access-control-allow-origin"),
      "https://app.example",
    );
    const preflight = await fetch(s.url(), { method: "OPTIONS" });
    assert.equal(preflight.status, 204);
    assert.match(
      preflight.headers.get("access-control-allow-methods")!,
      /GET/,
    );
  },
);

engineTest(
  "a query string over the maximum length is a 414",
  async (engine) => {
    await using s = await servedCities(engine, { maxQueryLength: 100 });
    const ok = await fetch(s.url(`?name=${"a".repeat(90)}`));
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const long = await fetch(s.url(`?name=${"a".repeat(100)}`));
    assert.equal(long.status, 414);
    assert.match((await long.json()).error.message, /at most 100/);
  },
);

engineTest(
  "an internal fault is a 500 that sends neither its message nor a stack",
  async (engine) => {
    const path = await sqliteFile("CREATE TABLE other (x INTEGER)");
    const db = openFile(engine, path);
    db.Model("missing", { id: integer({ primaryKey: true }) });
    const errors: unknown[] = [];
    await using served = serve(
      createHandler(db, { onError: (error) => errors.push(error) }),
    );
    const response = await fetch(`${served.origin}/${db.name}/missing`);
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), {
      error: { status: 500, message: "Internal server error" },
    });
    assert.doesNotMatch(text, /missing|DataSetError|\.ts/);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /missing/);
    await db.close();
  },
);

engineTest(
  "_search, _near, _within and _facet serve what the model declares",
  async (engine) => {
    await using s = await servedCities(engine);
    const searched = await json(await fetch(s.url("?_search=saint-etienne")));
    assert.deepEqual(names(searched), ["Saint-Étienne"]);
    const near = await json(
      await fetch(s.url("?_near=45.76,4.83&_size=2&_fields=name")),
    );
    assert.deepEqual(names(near), ["Lyon", "Saint-Étienne"]);
    assert.ok(near.distances[0] < 1);
    const within = await json(
      await fetch(s.url("?_within=45,0,50,5&_size=1&_fields=name")),
    );
    assert.deepEqual(names(within), ["Lyon"]);
    const rest = await json(await fetch(s.origin + within.nextUrl));
    assert.deepEqual(names(rest), ["Paris"]);
    const rest2 = await json(await fetch(s.origin + rest.nextUrl));
    assert.deepEqual(names(rest2), ["Saint-Étienne"]);
    assert.equal(rest2.next, null);
    const faceted = await json(
      await fetch(s.url("?population__gte=200000&_facet=country&_total=1")),
    );
    assert.equal(faceted.total, 3);
    assert.deepEqual(faceted.facets, [{
      property: "country",
      values: [{ value: "FR", count: 2 }, { value: "DE", count: 1 }],
    }]);
  },
);

engineTest(
  "a file served without models is introspected: its tables, typed by kind",
  async (engine) => {
    const path = await sqliteFile(`
    CREATE TABLE planet (id INTEGER PRIMARY KEY, name TEXT NOT NULL, moons INTEGER, giant BOOLEAN);
    INSERT INTO planet (name, moons, giant) VALUES ('Earth', 1, 0), ('Jupiter', 95, 1), ('Mars', 2, 0);
    CREATE VIRTUAL TABLE planet_fts USING fts5(name, content='planet', content_rowid='id');
  `);
    const db = DataSet.create(`http_introspect_${engine}`, { engine });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    await using served = serve(createHandler(db));
    const listing = await json(await fetch(`${served.origin}/${db.name}`));
    assert.deepEqual(
      listing.datasets[0].tables.map((t: { name: string }) => t.name),
      ["planet"],
    );
    const base = `${served.origin}/${db.name}/planet`;
    const giants = await json(await fetch(`${base}?giant=true`));
    assert.deepEqual(giants.rows, [{
      id: 2,
      name: "Jupiter",
      moons: 95,
      giant: true,
    }]);
    await assert400(`${base}?moons__gt=few`, "moons__gt", /an integer/);
    await assert400(`${base}?giant=perhaps`, "giant", /a boolean/);
    await db.close();
  },
);

engineTest(
  "basePath mounts the handler under a prefix; links keep it",
  async (engine) => {
    await using s = await servedCities(engine, { basePath: "/data" });
    const outside = await fetch(s.url());
    assert.equal(outside.status, 404);
    await outside.body?.cancel();
    const inside = await json(
      await fetch(`${s.origin}/data/${s.dataset}/city?_size=1`),
    );
    assert.ok(inside.nextUrl.startsWith(`/data/${s.dataset}/city?`));
    const html = await (await fetch(`${s.origin}/data/${s.dataset}/city`, {
      headers: { accept: "text/html" },
    })).text();
    assert.match(html, new RegExp(`href="/data/${s.dataset}/city/1"`));
  },
);

engineTest(
  "Accept: text/html gives an escaped page with a strict CSP",
  async (engine) => {
    await using s = await servedCities(engine);
    const response = await fetch(s.url("?_facet=country"), {
      headers: { accept: "text/html" },
    });
    assert.match(response.headers.get("content-type")!, /^text\/html/);
    const csp = response.headers.get("content-security-policy")!;
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe|script-src/);
    assert.match(response.headers.get("vary")!, /Accept/);
    const html = await response.text();
    assert.ok(!html.includes("<script>alert(1)</script>"));
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.match(html, /<form method="get"[^>]*class="filters"/);
    assert.match(html, /name="_search"/);
    assert.match(html, /data-facet="country"/);
    const error = await fetch(s.url("?population=<b>"), {
      headers: { accept: "text/html" },
    });
    assert.equal(error.status, 400);
    const page = await error.text();
    assert.ok(!page.includes("<b>"));
    assert.ok(page.includes("&lt;b&gt;"));
  },
);

Deno.test("createHandler refuses what it cannot serve with a clear error", () => {
  assert.throws(
    () => createHandler([] as never),
    /expected at least one dataset or model/,
  );
  assert.throws(() => createHandler([{}] as never), /datasets or models/);
  const db = DataSet.create("http_refuse");
  assert.throws(
    () => createHandler(db, { basePath: "data/" }),
    /basePath must be/,
  );
  assert.throws(
    () => createHandler(db, { pageSize: 2000 }),
    /pageSize \(2000\) is greater than maxPageSize \(1000\)/,
  );
  const model = db.Model("t", { id: integer({ primaryKey: true }), x: text() });
  assert.equal(typeof createHandler([db, model]), "function");
});

engineTest(
  "the ETag names the version the dataset has open, and follows it when it reopens",
  async (engine) => {
    await using s = await servedCities(engine);
    const etag = async () => {
      const response = await fetch(s.url("?_fields=name"));
      const body = await response.json();
      return { etag: response.headers.get("etag"), count: body.rows.length };
    };
    const first = await etag();
    assert.equal(first.etag, `"${await sha256(s.path)}"`);
    // A new version renamed over the file, as buildDataSet does.
    const other = await citiesFile(engine);
    const { DatabaseSync } = await import("node:sqlite");
    const raw = new DatabaseSync(other);
    raw.exec("DELETE FROM city WHERE id = 1");
    raw.close();
    await Deno.rename(other, s.path);
    assert.deepEqual(await etag(), first, "the open version is still served");
    await s.db.close();
    const second = await etag();
    assert.equal(second.etag, `"${await sha256(s.path)}"`);
    assert.notEqual(second.etag, first.etag);
    assert.equal(second.count, CITIES.length - 1);
  },
);

engineTest(
  "a dataset whose file may change under it sends no ETag",
  async (engine) => {
    const path = await citiesFile(engine);
    const db = openFile(engine, path, { immutable: false });
    declareCities(db);
    await using served = serve(createHandler(db));
    const response = await fetch(`${served.origin}/${db.name}/city`);
    await response.body?.cancel();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("etag"), null);
    assert.equal(response.headers.get("cache-control"), "no-store");
    await db.close();
  },
);

engineTest(
  "a property that starts with _ is a filter unless it is one of the handler's names",
  async (engine) => {
    const path = await sqliteFile(`
    CREATE TABLE item (id INTEGER PRIMARY KEY, _rank INTEGER NOT NULL);
    INSERT INTO item (_rank) VALUES (3), (1), (2);
  `);
    const db = DataSet.create(`http_underscore_${engine}`, { engine });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    await using served = serve(createHandler(db));
    const base = `${served.origin}/${db.name}/item`;
    assert.deepEqual((await json(await fetch(`${base}?_rank=1`))).rows, [
      { id: 2, _rank: 1 },
    ]);
    assert.deepEqual(
      (await json(await fetch(`${base}?_rank__gte=2&_sort=_rank`))).rows,
      [{ id: 3, _rank: 2 }, { id: 1, _rank: 3 }],
    );
    await assert400(`${base}?_rnak=1`, "_rnak", /unknown parameter/);
    await db.close();
  },
);

engineTest(
  "a JSON or HTML request over its time budget is a 503; an export is not bounded by it",
  async (engine) => {
    // A budget no query can meet: spent before the page is answered.
    await using s = await servedCities(engine, { timeoutMs: 1e-9 });
    const response = await fetch(s.url("?country=FR"));
    assert.equal(response.status, 503);
    assert.match(
      (await response.json()).error.message,
      /time budget of 1e-9 ms/,
    );
    const csv = await fetch(s.url("?country=FR&_format=csv&_fields=name"));
    assert.equal(csv.status, 200);
    assert.equal(
      await csv.text(),
      "name\r\nLyon\r\nParis\r\nSaint-Étienne\r\n",
    );
  },
);

engineTest(
  "If-None-Match naming the open version is a 304 before any query runs",
  async (engine) => {
    // The model's table is missing, so any query fails: a 304 proves none ran.
    const path = await sqliteFile("CREATE TABLE other (x INTEGER)");
    const db = openFile(engine, path);
    db.Model("missing", { id: integer({ primaryKey: true }) });
    const errors: unknown[] = [];
    await using served = serve(
      createHandler(db, { onError: (error) => errors.push(error) }),
    );
    const etag = `"${await sha256(path)}"`;
    for (const path of [`/${db.name}/missing?_size=5`, `/${db.name}`, "/"]) {
      const response = await fetch(served.origin + path, {
        headers: { "if-none-match": etag },
      });
      assert.equal(response.status, 304, path);
      assert.equal(response.headers.get("etag"), etag);
      await response.body?.cancel();
    }
    assert.deepEqual(errors, []);
    const queried = await fetch(`${served.origin}/${db.name}/missing`);
    assert.equal(queried.status, 500);
    await queried.body?.cancel();
    await db.close();
  },
);

engineTest("the ETag follows a reload() to the new version", async (engine) => {
  await using s = await servedCities(engine);
  const first = await fetch(s.url());
  await first.body?.cancel();
  const other = await citiesFile(engine);
  const { DatabaseSync } = await import("node:sqlite");
  const raw = new DatabaseSync(other);
  raw.exec("DELETE FROM city WHERE id = 2");
  raw.close();
  await s.db.reload(other);
  const second = await fetch(s.url(), {
    headers: { "if-none-match": first.headers.get("etag")! },
  });
  assert.equal(second.status, 200, "the old ETag is stale");
  assert.equal(second.headers.get("etag"), `"${await sha256(other)}"`);
  assert.equal((await second.json()).rows.length, CITIES.length - 1);
});
