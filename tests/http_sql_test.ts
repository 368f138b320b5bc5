// SQL from the client (`_sql`), only where the application opts in.
import assert from "node:assert/strict";
import { createHandler } from "../http.ts";
import { integer } from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";
import { serve, servedCities } from "./_http_helpers.ts";

engineTest(
  "_sql runs the client's read-only SQL when the handler opts in",
  async (engine) => {
    await using s = await servedCities(engine, { sql: true });
    const url = (sql: string, rest = "") =>
      `${s.origin}/${s.dataset}?_sql=${encodeURIComponent(sql)}${rest}`;
    const body = await (await fetch(
      url(
        "SELECT country, count(*) AS n FROM city GROUP BY country ORDER BY n DESC, country",
      ),
    )).json();
    assert.deepEqual(body.columns, ["country", "n"]);
    assert.deepEqual(body.rows, [
      { country: "FR", n: 3 },
      { country: "DE", n: 1 },
      { country: "XX", n: 1 },
    ]);
    assert.equal(body.truncated, false);
    const one = await (await fetch(
      url("SELECT name FROM city ORDER BY id", "&_size=1"),
    )).json();
    assert.deepEqual(one, {
      dataset: s.dataset,
      sql: "SELECT name FROM city ORDER BY id",
      columns: ["name"],
      rows: [{ name: "Paris" }],
      truncated: true,
    });
    const big = await (await fetch(url("SELECT code FROM city WHERE id = 1")))
      .json();
    assert.deepEqual(big.rows, [{ code: "1152921504606846977" }]);
    const typo = await fetch(url("SELEC name FROM city"));
    assert.equal(typo.status, 400);
    const error = (await typo.json()).error;
    assert.equal(error.parameter, "_sql");
    assert.match(error.message, /syntax error/);
    // Only a query runs: nothing may change the connection other requests
    // share, or open another file (ATTACH reads any SQLite file the
    // process can, whatever Deno's --allow-read says on FFI).
    for (
      const statement of [
        "DELETE FROM city",
        "ATTACH ':memory:' AS other",
        "PRAGMA query_only = 0",
        "CREATE TEMP TABLE t (a)",
        "WITH x AS (SELECT 1) DELETE FROM city",
        "SELECT 1; SELECT 2",
      ]
    ) {
      const refused = await fetch(url(statement));
      assert.equal(refused.status, 400, statement);
      const { error } = await refused.json();
      assert.equal(error.parameter, "_sql");
      assert.match(error.message, /one read-only query/, statement);
    }
    const attached = await (await fetch(
      url("SELECT count(*) AS n FROM pragma_database_list"),
    )).json();
    assert.deepEqual(attached.rows, [{ n: 1 }], "no database was attached");
    const queries = await (await fetch(
      url("WITH t(v) AS (VALUES (2), (1)) SELECT v FROM t ORDER BY v;  "),
    )).json();
    assert.deepEqual(queries.rows, [{ v: 1 }, { v: 2 }]);
    const csv = await fetch(
      url("SELECT name FROM city WHERE country = 'DE'", "&_format=csv"),
    );
    assert.equal(await csv.text(), "name\r\nBerlin\r\n");
    const html = await (await fetch(url("SELECT '<i>' AS x"), {
      headers: { accept: "text/html" },
    })).text();
    assert.ok(html.includes("<td>&lt;i&gt;</td>"));
    const listing = await (await fetch(`${s.origin}/${s.dataset}`, {
      headers: { accept: "text/html" },
    })).text();
    assert.match(
      listing,
      /<form method="get"[^>]*class="sql"><textarea name="_sql"/,
    );
  },
);

engineTest(
  "_sql is a 400 unless the handler opts in, and a 403 on a writable dataset",
  async (engine) => {
    {
      await using s = await servedCities(engine);
      const response = await fetch(`${s.origin}/${s.dataset}?_sql=SELECT%201`);
      assert.equal(response.status, 400);
      assert.match((await response.json()).error.message, /sql option is off/);
    }
    const db = freshDataSet(engine);
    db.Model("t", {
      id: integer({ primaryKey: true }),
    });
    await db.createAll();
    await using served = serve(createHandler(db, { sql: true }));
    const response = await fetch(`${served.origin}/${db.name}?_sql=SELECT%201`);
    assert.equal(response.status, 403);
    assert.match((await response.json()).error.message, /read-only datasets/);
    await db.close();
  },
);

engineTest(
  "the time budget stops a long query from within: a 503",
  async (engine) => {
    await using s = await servedCities(engine, { sql: true, timeoutMs: 50 });
    // Counts to 10^9 and yields every millionth: many seconds of work,
    // which the 50 ms budget stops (within a step on FFI, between rows on
    // node:sqlite).
    const sql =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT i FROM n WHERE i % 1000000 = 0";
    const response = await fetch(
      `${s.origin}/${s.dataset}?_sql=${encodeURIComponent(sql)}`,
    );
    assert.equal(response.status, 503);
    assert.match((await response.json()).error.message, /time budget/);
  },
);
