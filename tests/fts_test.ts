import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type DataSet,
  DataSetError,
  integer,
  matchInfo,
  QueryError,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import type { EngineName } from "../src/_engine.ts";
import { plainTextQuery } from "../src/_fts.ts";
import { ENGINES, engineTest, freshDataSet, tempDir } from "./_helpers.ts";

const CITIES = [
  { name: "Saint-Étienne", altNames: "St Etienne, Sainté", country: "FR" },
  { name: "Saint Paul", altNames: "St Paul", country: "US" },
  { name: "Paris", altNames: "Lutèce, Paname", country: "FR" },
  { name: "Foo and bar", altNames: null, country: "GB" },
  { name: "a_b c%d", altNames: 'it\'s "quoted"', country: "GB" },
  { name: "Running Springs", altNames: "Runs", country: "US" },
];

function declareCities(
  db: DataSet,
  tokenize: "unicode61" | "porter" | "trigram" = "unicode61",
) {
  class City extends db.Model("city", {
    id: integer({ primaryKey: true }),
    name: text(),
    altNames: text({ nullable: true }),
    country: text(),
  }, { search: { columns: ["name", "altNames"], tokenize } }) {}
  return City;
}

async function cities(
  engine: EngineName,
  tokenize: "unicode61" | "porter" | "trigram" = "unicode61",
) {
  const db = freshDataSet(engine);
  const City = declareCities(db, tokenize);
  await db.createAll();
  const store = new Store(City);
  await store.createMany(CITIES);
  return { db, City, store };
}

async function names(
  rows: AsyncIterable<{ name: string }>,
): Promise<string[]> {
  return (await Array.fromAsync(rows)).map((row) => row.name);
}

engineTest(
  "Store.match() finds rows by their indexed text, diacritics and case ignored, as model instances",
  async (engine) => {
    const { db, City, store } = await cities(engine);
    const rows = await Array.fromAsync(store.match("SAINTE"));
    assert.deepEqual(rows.map((row) => row.name), ["Saint-Étienne"]);
    assert.ok(rows[0] instanceof City);
    assert.deepEqual(await names(store.match("lutece")), ["Paris"]);
    await db.close();
  },
);

engineTest(
  "Store.match() takes any user text as plain terms: FTS5 syntax, quotes, _ and % never throw",
  async (engine) => {
    const { db, store } = await cities(engine);
    const cases: [string, string[]][] = [
      ["saint-étienne", ["Saint-Étienne"]],
      ["Saint-Etienne", ["Saint-Étienne"]],
      ['"foo AND bar', ["Foo and bar"]],
      ["foo AND bar", ["Foo and bar"]],
      ["foo OR nothing", []],
      ["NOT paris", []],
      ["name: paris", []],
      ["altNames: paname", []],
      ["paris*", ["Paris"]],
      ["NEAR(foo bar)", []],
      ["(foo) bar", ["Foo and bar"]],
      ["_", []],
      ["%", []],
      ['"', []],
      ["'", []],
      ['it\'s "quoted"', ["a_b c%d"]],
      ["", []],
      ["   ", []],
      ["!?-*:^()", []],
      ["paris %", ["Paris"]],
      ["paris\0", ["Paris"]],
      ["foo\0bar", ["Foo and bar"]],
      ["\0", []],
    ];
    for (const [text, expected] of cases) {
      assert.deepEqual(
        await names(store.match(text)),
        expected,
        `match(${JSON.stringify(text)})`,
      );
    }
    await db.close();
  },
);

Deno.test("Plain text becomes quoted FTS5 terms", () => {
  assert.equal(
    plainTextQuery('say "hi" AND bye', "unicode61", false),
    '"say" """hi""" "AND" "bye"',
  );
  assert.equal(plainTextQuery("sain", "unicode61", true), '"sain"*');
  assert.equal(plainTextQuery("_ %", "unicode61", false), undefined);
  assert.equal(plainTextQuery("a_b", "trigram", true), '"a_b"');
});

engineTest(
  "Store.match() with prefix matches the words the last term starts, for autocomplete",
  async (engine) => {
    const { db, store } = await cities(engine);
    assert.deepEqual(await names(store.match("sain")), []);
    assert.deepEqual(
      (await names(store.match("sain", { prefix: true }))).sort(),
      ["Saint Paul", "Saint-Étienne"],
    );
    assert.deepEqual(
      await names(store.match("saint et", { prefix: true })),
      ["Saint-Étienne"],
    );
    await db.close();
  },
);

engineTest(
  "Store.match() with raw reads FTS5 syntax",
  async (engine) => {
    const { db, store } = await cities(engine);
    assert.deepEqual(
      await names(store.match("saint NOT paul", { raw: true })),
      ["Saint-Étienne"],
    );
    assert.deepEqual(
      (await names(store.match("altNames: paname OR name: foo", { raw: true })))
        .sort(),
      ["Foo and bar", "Paris"],
    );
    await db.close();
  },
);

engineTest(
  "A malformed raw query is a QueryError naming the query, not an error about the file",
  async (engine) => {
    const { db, store } = await cities(engine);
    for (const query of ['"foo AND bar', "NEAR(", "paris OR", "nosuch: x"]) {
      await assert.rejects(
        Array.fromAsync(store.match(query, { raw: true })),
        (error: unknown) => {
          assert.ok(error instanceof QueryError, String(error));
          assert.ok(!(error instanceof DataSetError));
          assert.equal(error.statusCode, 400);
          assert.ok(
            error.message.includes(JSON.stringify(query)),
            error.message,
          );
          assert.doesNotMatch(error.message, /model|file/);
          return true;
        },
      );
    }
    await db.close();
  },
);

engineTest(
  "Store.match() combines with the typed filter, limit and offset",
  async (engine) => {
    const { db, store } = await cities(engine);
    assert.deepEqual(
      await names(store.match("saint", { filter: { country: "US" } })),
      ["Saint Paul"],
    );
    assert.deepEqual(
      (await names(
        store.match("saint", { filter: { country: { in: ["FR", "US"] } } }),
      )).sort(),
      ["Saint Paul", "Saint-Étienne"],
    );
    const all = await names(store.match("st OR saint", { raw: true }));
    assert.equal(all.length, 2);
    assert.deepEqual(
      await names(store.match("st OR saint", { raw: true, limit: 1 })),
      all.slice(0, 1),
    );
    assert.deepEqual(
      await names(store.match("st OR saint", { raw: true, offset: 1 })),
      all.slice(1),
    );
    await db.close();
  },
);

engineTest(
  "Store.match() ranks by bm25, and per-column weights change the order",
  async (engine) => {
    const db = freshDataSet(engine);
    const City = declareCities(db);
    await db.createAll();
    const store = new Store(City);
    await store.createMany([
      { name: "Lyon", altNames: "river town", country: "FR" },
      { name: "River", altNames: "Lyon", country: "FR" },
    ]);
    const plain = await Array.fromAsync(store.match("river"));
    assert.ok(plain[0]![matchInfo].rank <= plain[1]![matchInfo].rank);
    const byName = await names(store.match("river", { weights: { name: 10 } }));
    const byAlt = await names(
      store.match("river", { weights: { name: 1, altNames: 10 } }),
    );
    assert.deepEqual(byName, ["River", "Lyon"]);
    assert.deepEqual(byAlt, ["Lyon", "River"]);
    await assert.rejects(
      Array.fromAsync(
        store.match("river", { weights: { country: 2 } as never }),
      ),
      /Invalid weight "country" for city: expected one of name, altNames/,
    );
    await db.close();
  },
);

engineTest(
  "Store.match() attaches highlights and a snippet under matchInfo",
  async (engine) => {
    const { db, store } = await cities(engine);
    const [row] = await Array.fromAsync(
      store.match("etienne", {
        highlight: { before: "[", after: "]" },
        snippet: { before: "<", after: ">", tokens: 2, ellipsis: "..." },
      }),
    );
    assert.deepEqual(row?.[matchInfo].highlights, {
      name: "Saint-[Étienne]",
      altNames: "St [Etienne], Sainté",
    });
    assert.match(row?.[matchInfo].snippet ?? "", /<Etienne>|<Étienne>/);
    assert.equal(JSON.stringify(row), JSON.stringify({ id: 1, ...CITIES[0] }));
    const [plain] = await Array.fromAsync(store.match("etienne"));
    assert.equal(plain?.[matchInfo].highlights, undefined);
    await db.close();
  },
);

engineTest(
  "The search index follows inserts, deletes and updates on a writable dataset",
  async (engine) => {
    const { db, store } = await cities(engine);
    await store.create({ name: "Lyon", altNames: null, country: "FR" });
    assert.deepEqual(await names(store.match("lyon")), ["Lyon"]);
    await store.delete({ name: "Paris" });
    assert.deepEqual(await names(store.match("paris")), []);
    await Array.fromAsync(
      db.sql`UPDATE city SET name = 'Lugdunum' WHERE name = 'Lyon'`,
    );
    assert.deepEqual(await names(store.match("lyon")), []);
    assert.deepEqual(await names(store.match("lugdunum")), ["Lugdunum"]);
    // FTS5's own check: the index holds exactly the table's text.
    await Array.fromAsync(
      db.sql`INSERT INTO city_fts (city_fts, rank) VALUES ('integrity-check', 1)`,
    );
    await db.close();
  },
);

engineTest(
  "The porter tokenizer matches stems and the trigram tokenizer substrings",
  async (engine) => {
    const porter = await cities(engine, "porter");
    assert.deepEqual(await names(porter.store.match("run")), [
      "Running Springs",
    ]);
    await porter.db.close();
    const trigram = await cities(engine, "trigram");
    assert.deepEqual(await names(trigram.store.match("unning")), [
      "Running Springs",
    ]);
    assert.deepEqual(await names(trigram.store.match("c%d")), ["a_b c%d"]);
    assert.deepEqual(await names(trigram.store.match("a_b")), ["a_b c%d"]);
    await trigram.db.close();
  },
);

engineTest(
  "A bad search declaration or match call is a TypeError naming the mistake",
  async (engine) => {
    const db = freshDataSet(engine);
    const columns = () => ({
      id: integer({ primaryKey: true }),
      name: text(),
      n: integer(),
    });
    assert.throws(
      () => db.Model("a", columns(), { search: { columns: ["nope" as "n"] } }),
      /Invalid search for a: unknown property "nope"/,
    );
    assert.throws(
      () => db.Model("b", columns(), { search: { columns: ["n"] } }),
      /Invalid search for b: n is not a text column/,
    );
    assert.throws(
      () =>
        db.Model("c", columns(), {
          search: { columns: ["name"], tokenize: "icu" as "porter" },
        }),
      /Invalid search for c: unknown tokenize "icu"/,
    );
    assert.throws(
      () =>
        db.Model("d", { code: text({ primaryKey: true }), name: text() }, {
          search: { columns: ["name"] },
        }),
      /integer primary key/,
    );
    assert.throws(
      () =>
        db.Model("e", columns(), {
          search: { columns: ["name"], table: "E" },
        }),
      /Invalid search for e: table "E" must differ from the model's table/,
    );
    class Plain extends db.Model("plain", columns()) {}
    await db.createAll();
    await assert.rejects(
      Array.fromAsync(new Store(Plain).match("x")),
      /Cannot search the text of plain: the model declares no search index/,
    );
    const City = declareCities(db);
    await db.createAll();
    await assert.rejects(
      Array.fromAsync(new Store(City).match(42 as unknown as string)),
      TypeError,
    );
    await assert.rejects(
      Array.fromAsync(new Store(City).match("x", { page: 2 } as never)),
      /Invalid match option "page"/,
    );
    await db.close();
  },
);

engineTest(
  "Hostile table and column names pass through the index, its triggers and queries",
  async (engine) => {
    const db = freshDataSet(engine);
    class Odd extends db.Model("we\"ird's table", {
      id: integer({ primaryKey: true, name: 'i"d' }),
      label: text({ name: "la'bel\"; DROP TABLE x; --" }),
    }, { search: { columns: ["label"] } }) {}
    await db.createAll();
    const store = new Store(Odd);
    await store.createMany([{ label: "alpha beta" }, { label: "gamma" }]);
    const rows = await Array.fromAsync(
      store.match("beta", { highlight: true, filter: { label: "alpha beta" } }),
    );
    assert.deepEqual(rows.map((row) => row.id), [1]);
    await store.delete({ id: 1 });
    assert.deepEqual(await Array.fromAsync(store.match("beta")), []);
    await db.close();
  },
);

/** Builds a cities file with `engine` and returns its path. */
async function builtCities(engine: EngineName): Promise<string> {
  const dir = await tempDir({ prefix: "microcosm_fts_" });
  const path = `${dir}/cities.sqlite`;
  const db = freshDataSet(engine);
  const City = declareCities(db);
  await buildDataSet(db, path, (b) => b.loadRecords(City, CITIES));
  return path;
}

for (const built of ENGINES) {
  for (const read of ENGINES) {
    Deno.test(
      `A file built with its search index on ${built} searches the same on ${read}`,
      async () => {
        const path = await builtCities(built);
        const db = freshDataSet(read);
        db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
        const store = new Store(declareCities(db));
        const rows = await Array.fromAsync(
          store.match("st OR saint OR paris", { raw: true, highlight: true }),
        );
        assert.deepEqual(
          rows.map((row) => row.name),
          [
            "Paris",
            "Saint Paul",
            "Saint-Étienne",
          ].sort((a, b) =>
            rows.findIndex((r) => r.name === a) -
            rows.findIndex((r) => r.name === b)
          ),
        );
        assert.equal(rows.length, 3);
        // Same ranks and order whichever engine built or reads it.
        const reference = freshDataSet(built);
        reference.bind(
          new SQLiteBindFactory({ paths: { [reference.name]: path } }),
        );
        const again = await Array.fromAsync(
          new Store(declareCities(reference)).match("st OR saint OR paris", {
            raw: true,
          }),
        );
        assert.deepEqual(
          rows.map((row) => [row.id, row[matchInfo].rank]),
          again.map((row) => [row.id, row[matchInfo].rank]),
        );
        await db.close();
        await reference.close();
      },
    );
  }
}

engineTest(
  "A build fills and optimizes the search index and adds its sync triggers",
  async (engine) => {
    const path = await builtCities(engine);
    const db = freshDataSet(engine);
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    const schema = await Array.fromAsync(
      db.sql`SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'table') ORDER BY name`,
    );
    const namesOf = (type: string) =>
      schema.filter((row) => row.type === type).map((row) => row.name);
    assert.deepEqual(namesOf("trigger"), [
      "city_fts_delete",
      "city_fts_insert",
      "city_fts_update",
    ]);
    assert.ok(namesOf("table").includes("city_fts"));
    // One segment after `optimize`: one row per level in the structure.
    const [{ n }] = await Array.fromAsync(
      db.sql`SELECT count(*) AS n FROM city_fts_idx`,
    ) as [{ n: number }];
    assert.equal(n, 1);
    assert.deepEqual(
      await names(new Store(declareCities(db)).match("lutece")),
      ["Paris"],
    );
    await db.close();
  },
);

engineTest(
  "dropAll() drops the search index with its table, and createAll() makes a fresh one",
  async (engine) => {
    const { db, store } = await cities(engine);
    await db.dropAll();
    const left = await Array.fromAsync(
      db.sql`SELECT name FROM sqlite_schema WHERE name LIKE 'city%'`,
    );
    assert.deepEqual(left, []);
    await db.createAll();
    assert.deepEqual(await names(store.match("paris")), []);
    await store.create({ name: "Paris", altNames: null, country: "FR" });
    assert.deepEqual(await names(store.match("paris")), ["Paris"]);
    await db.close();
  },
);

engineTest(
  "createAll() fills a new search index from the rows its table already holds",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_fts_" });
    const path = `${dir}/cities.sqlite`;
    const before = freshDataSet(engine, { writable: true });
    before.bind(new SQLiteBindFactory({ paths: { [before.name]: path } }));
    class Plain extends before.Model("city", {
      id: integer({ primaryKey: true }),
      name: text(),
      altNames: text({ nullable: true }),
      country: text(),
    }) {}
    await before.createAll();
    await new Store(Plain).createMany(CITIES);
    await before.close();

    const after = freshDataSet(engine, { writable: true });
    after.bind(new SQLiteBindFactory({ paths: { [after.name]: path } }));
    const store = new Store(declareCities(after));
    await after.createAll();
    assert.deepEqual(await names(store.match("lutece")), ["Paris"]);
    await after.createAll(); // the index exists: nothing is added twice
    assert.deepEqual(await names(store.match("lutece")), ["Paris"]);
    await after.close();
  },
);

engineTest(
  "Store.match() on a file without the model's search index is a DataSetError naming it",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_fts_" });
    const path = `${dir}/cities.sqlite`;
    const db = freshDataSet(engine);
    class Plain extends db.Model("city", {
      id: integer({ primaryKey: true }),
      name: text(),
      altNames: text({ nullable: true }),
      country: text(),
    }) {}
    await buildDataSet(db, path, (b) => b.loadRecords(Plain, CITIES));
    const reader = freshDataSet(engine);
    reader.bind(new SQLiteBindFactory({ paths: { [reader.name]: path } }));
    await assert.rejects(
      Array.fromAsync(new Store(declareCities(reader)).match("paris")),
      (error: unknown) =>
        error instanceof DataSetError && /city_fts/.test(error.message),
    );
    await reader.close();
  },
);

engineTest(
  "A build merges the search index into one segment (FTS5 optimize)",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_fts_" });
    const path = `${dir}/many.sqlite`;
    const db = freshDataSet(engine);
    const City = declareCities(db);
    // Enough text that filling the index writes several segments.
    await buildDataSet(db, path, async (b) => {
      await b.loadRecords(
        City,
        (function* () {
          for (let i = 0; i < 30_000; i++) {
            yield {
              name: `w${i} x${i % 1000}`,
              altNames: `y${(i * 7) % 5000} z${i}a`,
              country: "FR",
            };
          }
        })(),
      );
    });
    const reader = freshDataSet(engine);
    reader.bind(new SQLiteBindFactory({ paths: { [reader.name]: path } }));
    const [{ segments }] = await Array.fromAsync(
      reader.sql`SELECT count(DISTINCT segid) AS segments FROM city_fts_idx`,
    ) as [{ segments: number }];
    assert.equal(segments, 1);
    await reader.close();
  },
);

engineTest(
  "No user text makes Store.match() throw, whatever the tokenizer or prefix",
  async (engine) => {
    for (const tokenize of ["unicode61", "porter", "trigram"] as const) {
      const { db, store } = await cities(engine, tokenize);
      const pieces = fc.constantFrom(
        '"',
        "'",
        "*",
        "^",
        ":",
        "(",
        ")",
        "-",
        "+",
        "_",
        "%",
        "\0",
        " ",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "name",
        "saint",
        "é",
        "\u0301",
        "😀",
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(pieces, fc.string({ unit: "grapheme" })), {
            maxLength: 12,
          }),
          fc.boolean(),
          async (parts, prefix) => {
            await Array.fromAsync(store.match(parts.join(""), { prefix }));
          },
        ),
        { numRuns: 150, seed: 12 },
      );
      await db.close();
    }
  },
);

engineTest(
  "Store.match() binds weights, highlight, snippet, filter and page together in order",
  async (engine) => {
    const { db, store } = await cities(engine);
    const rows = await Array.fromAsync(
      store.match("saint", {
        weights: { altNames: 3 },
        highlight: { before: "{", after: "}" },
        snippet: { before: "<", after: ">", ellipsis: "~", tokens: 3 },
        filter: { country: { in: ["FR", "US"] } },
        limit: 1,
        offset: 1,
      }),
    );
    assert.equal(rows.length, 1);
    const info = rows[0]![matchInfo];
    assert.match(info.highlights!.name!, /\{Saint\}/);
    assert.match(info.snippet!, /<Saint>/);
    assert.equal(typeof info.rank, "number");
    await db.close();
  },
);
