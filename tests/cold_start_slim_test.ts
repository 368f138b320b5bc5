/**
 * Cold start (issue 15, branch `slim`), on both engines:
 * - the modules a first `retrieve()` never runs that moved out of the
 *   static graph (pinned in `cold_start_test.ts`) still answer, and fail,
 *   as before when their first use comes first in a fresh process;
 * - the rare branches moved out of the functions a first `retrieve()`
 *   runs (model declaration, key shapes, binding sources) keep every
 *   message, pinned here;
 * - the static graph has no top-level await (`require()` loads it).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { EngineName } from "../src/_engine.ts";
import {
  CAUGHT_JS,
  engineTest,
  openFile,
  runScriptJson,
  sqliteFile,
  tempDir,
} from "./_helpers.ts";
import {
  DataSet,
  integer,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

/** A read-only file of one table, `rate(id, name)`, holding `names`. */
async function ratesFile(
  engine: EngineName,
  dir: string,
  file: string,
  names: readonly string[],
  table = "rate",
): Promise<string> {
  const path = `${dir}/${file}`;
  const db = openFile(engine, path, { writable: true });
  class Rate extends db.Model(table, {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  await db.createAll();
  await new Store(Rate).createMany(names.map((name) => ({ name })));
  await db.close();
  return path;
}

/**
 * Runs `body` (statements of an async function of `lib`, `db`, `store` and
 * `caught`) first thing in a fresh process over `path`, with `flags` too,
 * and returns what it returns.
 */
async function firstCall(
  engine: EngineName,
  path: string,
  body: string,
  flags: readonly string[] = [],
  // deno-lint-ignore no-explicit-any -- each case reads its own JSON shape
): Promise<any> {
  return await runScriptJson(
    ["--allow-read", "--allow-ffi", "--allow-env", ...flags],
    `
    import * as lib from ${JSON.stringify(MOD)};
    const { DataSet, SQLiteBindFactory, Store, integer, text } = lib;
    const db = DataSet.create("slim", { engine: ${JSON.stringify(engine)} });
    db.bind(new SQLiteBindFactory({ paths: { slim: ${
      JSON.stringify(path)
    } } }));
    class Rate extends db.Model("rate", {
      id: integer({ primaryKey: true }),
      name: text(),
    }) {}
    const store = new Store(Rate);
    ${CAUGHT_JS}
    const result = await (async () => { ${body} })();
    await db.close();
    console.log(JSON.stringify(result));
    `,
  );
}

engineTest(
  "a process's first reload() loads its checks, refusing a file without the model's table",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_slim_" });
    const v1 = await ratesFile(engine, dir, "v1.sqlite", ["one"]);
    const v2 = await ratesFile(engine, dir, "v2.sqlite", ["two"]);
    const other = await ratesFile(engine, dir, "other.sqlite", ["x"], "fee");
    const result = await firstCall(
      engine,
      v1,
      `
      const refused = await caught(db.reload(${JSON.stringify(other)}));
      const before = (await store.retrieve(1)).name;
      await db.reload(${JSON.stringify(v2)});
      return { refused, before, after: (await store.retrieve(1)).name };
      `,
    );
    assert.equal(result.before, "one");
    assert.equal(result.after, "two");
    assert.match(
      result.refused,
      /^DataSetError: Cannot reload dataset "slim": the new file .*other\.sqlite does not pass its checks: .*rate.* \(nothing was serving\)$/,
    );
  },
);

engineTest(
  "a process's first watch() notices a file replaced by rename, and refuses a bad interval",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_slim_" });
    const path = await ratesFile(engine, dir, "rates.sqlite", ["one"]);
    const next = await ratesFile(engine, dir, "next.sqlite", ["two"]);
    const result = await firstCall(
      engine,
      path,
      `
      let badInterval;
      try {
        db.watch({ intervalMs: 0 });
      } catch (error) {
        badInterval = \`\${error.constructor.name}: \${error.message}\`;
      }
      const before = (await store.retrieve(1)).name;
      let reloads = 0;
      using _watch = db.watch({ intervalMs: 10, onReload: () => reloads++ });
      await Deno.rename(${JSON.stringify(next)}, ${JSON.stringify(path)});
      while (reloads === 0) await new Promise((wake) => setTimeout(wake, 10));
      return { badInterval, before, after: (await store.retrieve(1)).name };
      `,
      [`--allow-write=${dir}`],
    );
    assert.deepEqual(result, {
      badInterval:
        'RangeError: Invalid intervalMs for watching dataset "slim": expected a positive number of milliseconds, got 0',
      before: "one",
      after: "two",
    });
  },
);

engineTest(
  "declaring a model still names what was wrong, its rare checks out of the common path",
  // deno-lint-ignore require-await -- engineTest takes an async body
  async (engine) => {
    const db = DataSet.create(`slim_declare_${engine}`, { engine });
    const refused = (declare: () => unknown): string => {
      try {
        declare();
      } catch (error) {
        return `${(error as Error).constructor.name}: ${
          (error as Error).message
        }`;
      }
      return "no error";
    };
    const id = () => integer({ primaryKey: true });
    // deno-lint-ignore no-explicit-any -- wrong shapes on purpose
    const loose = db.Model.bind(db) as any;
    assert.deepEqual(
      [
        refused(() => loose(7, { id: id() })),
        refused(() => db.Model("a\0b", { id: id() })),
        refused(() => db.Model("SQLite_x", { id: id() })),
        refused(() => db.Model("t1", {})),
        refused(() => loose("t2", { id: id(), x: 5 })),
        refused(() => db.Model("t3", { id: id(), ID: integer() })),
        refused(() => db.Model("t4", { a: id(), b: text({ name: "A" }) })),
        refused(() => db.Model("t5", { rowid: integer() })),
        refused(() =>
          db.Model("t6", {
            id: id(),
            rowid: integer(),
            lat: real(),
            lon: real(),
          }, {
            geo: { lat: "lat", lon: "lon" },
          })
        ),
        refused(() => loose("t7", { id: id() }, { unique: ["id"] })),
        refused(() => db.Model("t8", { id: id() }, { unique: [[]] })),
        refused(() => loose("t9", { id: id() }, { indexes: [["nope"]] })),
        refused(() => loose("t11", { id: id() }, { geo: null })),
      ],
      [
        "TypeError: Invalid table name 7: expected a non-empty string without NUL characters",
        'TypeError: Invalid table name "a\\u0000b": expected a non-empty string without NUL characters',
        'TypeError: Invalid table name "SQLite_x": names starting with "sqlite_" are reserved by SQLite',
        "TypeError: Cannot declare model t1: it has no columns",
        "TypeError: Cannot declare t2.x: expected a column from integer(), text(), ...",
        'TypeError: Cannot declare model t3: two properties map to the SQL column "ID"',
        'TypeError: Cannot declare model t4: two properties map to the SQL column "A"',
        'TypeError: Cannot declare model t5: its column "rowid" hides the table\'s rowid, which orders and pages rows without a primary key; declare a primary key',
        'TypeError: Cannot declare model t6: its column "rowid" hides the table\'s rowid, which keys the geo index',
        "TypeError: Invalid unique for t7: expected arrays of property names",
        "TypeError: Invalid unique for t8: expected arrays of property names",
        'TypeError: Invalid indexes for t9: unknown property "nope"; expected one of id',
        'TypeError: Invalid geo option for t11: expected { lat: "<property>", lon: "<property>" }',
      ],
    );
    // Absent and null groups are no groups; absent geo is none.
    const plain = loose("t10", { id: id() }, { unique: null, indexes: null });
    assert.deepEqual(plain.definition.unique, []);
    assert.deepEqual(plain.definition.indexes, []);
    assert.ok(Object.hasOwn(plain.definition, "geo"));
    assert.equal(plain.definition.geo, undefined);
  },
);

engineTest(
  "retrieve() reads every shape of key, and names what is wrong with one, past its fast path",
  async (engine) => {
    const db = DataSet.create(`slim_keys_${engine}`, { engine });
    class One extends db.Model("one", {
      id: integer({ primaryKey: true }),
      name: text(),
    }) {}
    class Two extends db.Model("two", {
      a: text({ primaryKey: true }),
      b: integer({ primaryKey: true }),
    }) {}
    await db.createAll();
    await new Store(One).create({ id: 1, name: "x" });
    await new Store(Two).create({ a: "k", b: 2 });
    const one = new Store(One);
    const two = new Store(Two);
    const answer = async (
      // deno-lint-ignore no-explicit-any -- wrong keys on purpose
      store: { retrieve(key: any): Promise<object> },
      key: unknown,
    ): Promise<string> => {
      try {
        return JSON.stringify({ ...await store.retrieve(key) });
      } catch (error) {
        return `${(error as Error).constructor.name}: ${
          (error as Error).message
        }`;
      }
    };
    const cases: [typeof one | typeof two, unknown][] = [
      [one, 1],
      [one, { id: 1 }],
      [one, "1"],
      [one, null],
      [one, undefined],
      [one, { id: null }],
      [one, 1.5],
      [one, new Uint8Array(1)],
      [two, { a: "k", b: 2 }],
      [two, { a: "k" }],
      [two, "k"],
      [two, null],
      [two, { a: "k", b: null }],
      [two, new Uint8Array(1)],
      [one, 2],
    ];
    const answers = [];
    for (const [store, key] of cases) answers.push(await answer(store, key));
    assert.deepEqual(answers, [
      '{"id":1,"name":"x"}',
      '{"id":1,"name":"x"}',
      "TypeError: Invalid key for one.id: expected an integer, got string",
      "TypeError: Invalid key for one: id is null",
      "TypeError: Invalid key for one: id is undefined",
      "TypeError: Invalid key for one: id is null",
      "TypeError: Invalid key for one.id: expected an integer, got number",
      "TypeError: Invalid key for one.id: expected an integer, got Uint8Array",
      '{"a":"k","b":2}',
      "TypeError: Invalid key for two: missing b; expected a, b",
      "TypeError: Invalid key for two: the primary key is composite; expected an object with a, b",
      "TypeError: Invalid key for two: the primary key is composite; expected an object with a, b",
      "TypeError: Invalid key for two: b is null",
      "TypeError: Invalid key for two: the primary key is composite; expected an object with a, b",
      "ModelNotFoundError: Cannot retrieve one: no row has id = 2",
    ]);
    await db.close();
  },
);

engineTest(
  "a process's first search() ordered by datetime text loads its order forms, on an open dataset too",
  async (engine) => {
    // Text order 3, 5, 6, 4, 2, 1; time order 1, 6, 4, 3, 5, 2.
    const path = await sqliteFile(
      "create table event (id integer primary key, at datetime);" +
        "insert into event values (1, '2024-01-01T10:00:00+02:00');" +
        "insert into event values (2, '2024-01-01T09:00:00Z');" +
        "insert into event values (3, '2024-01-01 08:30:00');" +
        "insert into event values (4, '2024-01-01T08:15:00.5Z');" +
        "insert into event values (5, '2024-01-01 08:45');" +
        "insert into event values (6, '2024-01-01T08:15:00Z');",
    );
    const result = await runScriptJson(
      ["--allow-read", "--allow-ffi", "--allow-env"],
      `
      import { DataSet, SQLiteBindFactory, Store, datetime, integer, text } from ${
        JSON.stringify(MOD)
      };
      const db = DataSet.create("slim", { engine: ${JSON.stringify(engine)} });
      db.bind(new SQLiteBindFactory({ paths: { slim: ${
        JSON.stringify(path)
      } } }));
      class Plain extends db.Model("plain", { id: integer({ primaryKey: true }) }) {}
      class Event extends db.Model("event", {
        id: integer({ primaryKey: true }),
        at: datetime(),
      }) {}
      // Opened by another model's query: the session is there already.
      await db.open();
      const ids = async (rows) => (await Array.fromAsync(rows)).map((e) => e.id);
      const events = new Store(Event);
      const up = await ids(events.search({}, { orderBy: "at" }));
      const down = await ids(new Store(Event).search({}, { orderBy: "-at" }));
      const first = (await new Store(Event).first({}, { orderBy: "at" })).id;
      const plain = await new Store(Plain).count().catch((e) => e.constructor.name);
      await db.close();
      console.log(JSON.stringify({ up, down, first, plain }));
      `,
    );
    assert.deepEqual(result, {
      up: [1, 6, 4, 3, 5, 2],
      down: [2, 5, 3, 4, 6, 1],
      first: 1,
      plain: "DataSetError",
    });
  },
);

engineTest(
  "a process's first raw query loads the text-free columns where the engine cuts text at a NUL",
  async (engine) => {
    const path = await sqliteFile(
      "create table item (id integer primary key, n integer, name text) strict;" +
        "insert into item values (1, 10, 'a' || char(0) || 'b'), (2, 20, 'c');",
    );
    const run = (body: string) =>
      runScriptJson(
        ["--allow-read", "--allow-ffi", "--allow-env"],
        `
        import { DataSet, SQLiteBindFactory, Store, integer, text } from ${
          JSON.stringify(MOD)
        };
        const seen = [];
        const db = DataSet.create("slim", {
          engine: ${JSON.stringify(engine)},
          onQuery: (event) => seen.push(event.sql),
        });
        db.bind(new SQLiteBindFactory({ paths: { slim: ${
          JSON.stringify(path)
        } } }));
        class Item extends db.Model("item", {
          id: integer({ primaryKey: true }),
          n: integer(),
          name: text(),
        }) {}
        const store = new Store(Item);
        const answer = async (rows) => {
          try {
            return (await Array.fromAsync(rows)).map((row) => ({ ...row }));
          } catch (error) {
            return \`\${error.constructor.name}: \${error.message}\`;
          }
        };
        const result = await (async () => { ${body} })();
        await db.close();
        // The queries the caller's query ran as (the library's own
        // schema reads left out).
        const ran = seen.filter((sql) => /FROM item/.test(sql));
        const textFree = seen.some((sql) => sql.includes("pragma_table_xinfo"));
        console.log(JSON.stringify({ result, seen: ran, textFree }));
        `,
      );
    const numbers = await run(
      "return await answer(db.sql`SELECT id, n FROM item ORDER BY id`);",
    );
    const texts = await run(
      "return await answer(db.sql`SELECT n, name FROM item ORDER BY id`);",
    );
    const stored = await run(
      "return await answer(store.sql`SELECT ${store.columns()} FROM item WHERE id = 1`);",
    );
    // Columns that hold no text are read as they are, on both engines.
    assert.deepEqual(numbers.result, [{ id: 1, n: 10 }, { id: 2, n: 20 }]);
    assert.deepEqual(numbers.seen, ["SELECT id, n FROM item ORDER BY id"]);
    // Only the engine that cuts text at a NUL asks which columns hold none.
    assert.equal(numbers.textFree, engine === "node");
    if (engine === "ffi") {
      assert.deepEqual(texts.result, [{ n: 10, name: "a\0b" }, {
        n: 20,
        name: "c",
      }]);
      assert.deepEqual(texts.seen, ["SELECT n, name FROM item ORDER BY id"]);
      assert.deepEqual(stored.result, [{ id: 1, n: 10, name: "a\0b" }]);
      return;
    }
    // node:sqlite cuts text at a NUL: the text column alone is checked.
    assert.match(
      texts.result,
      /^DataSetError: Cannot run sql on dataset "slim": the column "name" of row 1 holds text with a NUL character/,
    );
    assert.equal(texts.seen.length, 1);
    assert.match(texts.seen[0], /instr\("name", char\(0\)\)/);
    assert.doesNotMatch(texts.seen[0], /instr\("n"/);
    assert.match(
      stored.result,
      /^DataSetError: Cannot run sql for item: .*NUL/,
    );
  },
);

engineTest(
  "binding reads a path string first, and still names what is wrong with every other source",
  // deno-lint-ignore require-await -- engineTest takes an async body
  async (engine) => {
    const answers = [
      { path: "/x" },
      { url: "http://127.0.0.1/x", sha256: "a" },
      { path: ":memory:", sha256: "0".repeat(64) },
      { path: "/x", sha256: "zz" },
      null,
      5,
      new Map(),
      "file:///tmp/a%20b.sqlite",
      "/tmp/plain.sqlite",
      ":memory:",
      new URL("file:///tmp/u.sqlite"),
      new Uint8Array(3),
    ].map((source) => {
      try {
        const factory = new SQLiteBindFactory({ engine }).set(
          "d",
          // deno-lint-ignore no-explicit-any -- wrong sources on purpose
          source as any,
        );
        return `ok ${factory.path("d")}`;
      } catch (error) {
        return `${(error as Error).constructor.name}: ${
          (error as Error).message
        }`;
      }
    });
    const expected = (got: string) =>
      `TypeError: Cannot bind dataset "d": expected a path, a file: URL, the bytes of a database (Uint8Array) or a pinned file ({ path, sha256 }), got ${got}`;
    assert.deepEqual(answers, [
      'TypeError: Cannot bind dataset "d": a pinned file needs both path and sha256 ({ path, sha256 }); got the keys ["path"]',
      'TypeError: Cannot bind dataset "d": a pinned file needs both path and sha256 ({ path, sha256 }); got the keys ["url","sha256"] (a { url, sha256 } source is fetched first: fetchDataSet from @microcosm/sqlite/fetch returns the { path, sha256 } to bind)',
      'TypeError: Cannot bind dataset "d": ":memory:" has no content to pin',
      'TypeError: Cannot bind dataset "d": sha256 must be 64 hex digits (what sha256sum prints), got "zz"',
      expected("null"),
      expected("number"),
      expected("[object Map]"),
      "ok /tmp/a b.sqlite",
      "ok /tmp/plain.sqlite",
      "ok :memory:",
      "ok /tmp/u.sqlite",
      "ok :bytes:",
    ]);
  },
);

engineTest(
  "a process's first search() and dataset.sql load the cursor, with their rows, breaks and errors",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_slim_" });
    const path = await ratesFile(engine, dir, "rates.sqlite", ["a", "b", "c"]);
    const first = (body: string) => firstCall(engine, path, body);
    // Rows, in order, from a first search() and a first dataset.sql.
    assert.deepEqual(
      await first(
        `return (await Array.fromAsync(store.search({}, { orderBy: "-id" }))).map((r) => r.name);`,
      ),
      ["c", "b", "a"],
    );
    assert.deepEqual(
      await first(
        "return await Array.fromAsync(db.sql`SELECT name FROM rate WHERE id > ${1} ORDER BY id`);",
      ),
      [{ name: "b" }, { name: "c" }],
    );
    // A break ends the statement: the hook hears of it with its one row.
    assert.deepEqual(
      await first(`
        const ended = [];
        const onQuery = (event) => ended.push(event.rows);
        for await (const r of store.search({}, { orderBy: "id", onQuery })) break;
        for await (const r of db.sql({ onQuery })\`SELECT id FROM rate\`) break;
        return { ended, after: await store.count() };
      `),
      { ended: [1, 1], after: 3 },
    );
    // Errors found before any SQL runs, and SQL errors, as before.
    assert.deepEqual(
      await first(`
        const bad = await caught(Array.fromAsync(store.search({ nope: 1 })));
        const limit = await caught(Array.fromAsync(store.search({}, { limit: -1 })));
        const sql = await caught(Array.fromAsync(db.sql\`SELECT nope FROM rate\`));
        const tag = await caught(Array.fromAsync(db.sql({ timeoutMs: -1 })\`SELECT 1\`));
        const one = await caught(store.one({ name: "zz" }));
        const firstRow = (await store.first({}, { orderBy: "-name" })).name;
        return { bad, limit, sql, tag, one, firstRow };
      `),
      {
        bad:
          'TypeError: Invalid filter key "nope" for rate: expected one of id, name',
        limit:
          "RangeError: Invalid limit for rate: expected a non-negative integer, got -1",
        sql:
          'QueryError: Cannot run sql on dataset "slim": no such column: nope (in the SQL given to dataset.sql)',
        tag:
          'RangeError: Invalid option "timeoutMs" for sql on dataset "slim": expected a positive number of milliseconds, got -1',
        one:
          'ModelNotFoundError: Cannot find one rate: no row matches {"name":"zz"}',
        firstRow: "c",
      },
    );
    // Ended before it started: nothing runs; an aborted signal refuses.
    assert.deepEqual(
      await first(`
        const queries = [];
        const onQuery = (event) => queries.push(event.sql);
        const rows = store.search({}, { onQuery });
        const returned = await rows.return();
        const next = await rows.next();
        const thrown = await caught(db.sql\`SELECT 1\`.throw(new RangeError("stop")));
        const signal = AbortSignal.abort(new Error("gone"));
        const aborted = await caught(Array.fromAsync(store.search({}, { signal })));
        return { returned, next, thrown, aborted, queries, tag: String(rows) };
      `),
      {
        returned: { done: true },
        next: { done: true },
        thrown: "RangeError: stop",
        aborted: "Error: gone",
        queries: [],
        tag: "[object AsyncGenerator]",
      },
    );
  },
);

engineTest(
  "the runtime's static graph has no top-level await: require() loads mod.ts and reads a file",
  async (engine) => {
    // A top-level await anywhere in the graph makes every module above it
    // evaluate asynchronously (a cost of every start), and require() of an
    // ES module refuses such a graph (ERR_REQUIRE_ASYNC_MODULE).
    const dir = await tempDir({ prefix: "microcosm_slim_" });
    const path = await ratesFile(engine, dir, "rates.sqlite", ["one"]);
    const result = await runScriptJson(
      ["--allow-read", "--allow-ffi", "--allow-env"],
      `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      let lib;
      try {
        lib = require(${JSON.stringify(fileURLToPath(MOD))});
      } catch (error) {
        console.log(JSON.stringify({ refused: \`\${error.code}: \${error.message}\` }));
        Deno.exit(0);
      }
      const { DataSet, SQLiteBindFactory, Store, integer, text } = lib;
      const db = DataSet.create("slim", { engine: ${JSON.stringify(engine)} });
      db.bind(new SQLiteBindFactory({ paths: { slim: ${
        JSON.stringify(path)
      } } }));
      class Rate extends db.Model("rate", {
        id: integer({ primaryKey: true }),
        name: text(),
      }) {}
      const name = (await new Store(Rate).retrieve(1)).name;
      await db.close();
      console.log(JSON.stringify({ name }));
      `,
    );
    assert.deepEqual(result, { name: "one" });
  },
);
