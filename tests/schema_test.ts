// The introspection module (src/_schema.ts): what an open file holds.
import assert from "node:assert/strict";
import { RAW_SQL, SESSION } from "../src/dataset.ts";
import { checkModelTable, findTable } from "../src/_schema.ts";
import {
  holdsWideIntegers,
  readSchema,
  storedTypes,
} from "../src/_introspect.ts";
import { bigint, DataSetError, integer, text } from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

const SCHEMA = [
  `CREATE TABLE region (code TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x')`,
  `CREATE TABLE city (
    country TEXT NOT NULL,
    id INTEGER NOT NULL,
    region TEXT REFERENCES region (code),
    name VARCHAR(40),
    upper_name TEXT GENERATED ALWAYS AS (upper(name)) VIRTUAL,
    big,
    PRIMARY KEY (country, id),
    UNIQUE (name, region)
  )`,
  `CREATE INDEX city_upper ON city (upper(name))`,
  `CREATE INDEX city_name ON city (name) WHERE name IS NOT NULL`,
  `CREATE VIEW named AS SELECT name FROM city`,
  `CREATE VIRTUAL TABLE notes USING fts5(body)`,
];

async function fileWithSchema(engine: "ffi" | "node") {
  const db = freshDataSet(engine);
  for (const statement of SCHEMA) await Array.fromAsync(db[RAW_SQL](statement));
  await Array.fromAsync(
    db.sql`INSERT INTO city (country, id, name, big) VALUES ('fr', 1, 'Lyon', ${
      2n ** 60n
    }), ('fr', 2, 'Nice', 'text')`,
  );
  return db;
}

engineTest(
  "The schema lists tables with columns, keys, defaults, indexes and foreign keys",
  async (engine) => {
    await using db = await fileWithSchema(engine);
    const session = await db[SESSION]();
    const tables = readSchema(session, "Cannot read");
    const region = tables.find((t) => t.name === "region")!;
    assert.deepEqual(region.columns, [
      {
        name: "code",
        type: "TEXT",
        notNull: false,
        primaryKey: 1,
        default: null,
      },
      {
        name: "name",
        type: "TEXT",
        notNull: true,
        primaryKey: 0,
        default: "'x'",
      },
    ]);
    const city = tables.find((t) => t.name === "city")!;
    assert.equal(city.virtual, false);
    assert.match(city.sql, /^CREATE TABLE city/);
    assert.deepEqual(
      city.columns.map((c) => [c.name, c.type, c.notNull, c.primaryKey]),
      [
        ["country", "TEXT", true, 1],
        ["id", "INTEGER", true, 2],
        ["region", "TEXT", false, 0],
        ["name", "VARCHAR(40)", false, 0],
        ["upper_name", "TEXT", false, 0],
        ["big", "", false, 0],
      ],
    );
    assert.deepEqual(
      city.indexes.map((
        i,
      ) => [i.name, i.unique, i.origin, i.partial, i.columns])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ["city_name", false, "c", true, ["name"]],
        ["city_upper", false, "c", false, [null]],
        ["sqlite_autoindex_city_1", true, "pk", false, ["country", "id"]],
        ["sqlite_autoindex_city_2", true, "u", false, ["name", "region"]],
      ],
    );
    assert.deepEqual(city.foreignKeys, [
      { columns: ["region"], table: "region", to: ["code"] },
    ]);
    const notes = tables.find((t) => t.name === "notes")!;
    assert.equal(notes.virtual, true);
    assert.deepEqual(notes.columns.map((c) => c.name), ["body"]);
    assert.equal(tables.some((t) => t.name === "named"), false);
  },
);

engineTest(
  "Tables and views are found in any ASCII case, spelled as the file spells them",
  async (engine) => {
    await using db = await fileWithSchema(engine);
    const session = await db[SESSION]();
    assert.deepEqual(findTable(session, "CITY", "x"), {
      name: "city",
      type: "table",
    });
    assert.deepEqual(findTable(session, "Named", "x"), {
      name: "named",
      type: "view",
    });
    assert.equal(findTable(session, "nowhere", "x"), undefined);
  },
);

engineTest(
  "Stored types and integers beyond 2^53 are read from the values",
  async (engine) => {
    await using db = await fileWithSchema(engine);
    const session = await db[SESSION]();
    assert.deepEqual(
      [...storedTypes(session, "city", "big", "x")].sort(),
      ["integer", "text"],
    );
    assert.equal(holdsWideIntegers(session, "city", "big", "x"), true);
    assert.equal(holdsWideIntegers(session, "city", "id", "x"), false);
  },
);

engineTest(
  "A model is checked against the file's columns, generated ones included",
  async (engine) => {
    await using db = await fileWithSchema(engine);
    const City = db.Model("city", {
      country: text({ primaryKey: true }),
      id: integer({ primaryKey: true }),
      upperName: text({ name: "UPPER_NAME", nullable: true }),
      big: bigint({ nullable: true }),
    });
    const session = await db[SESSION]();
    assert.equal(checkModelTable(session, City.definition), session);
    const Missing = db.Model("region", { id: integer({ primaryKey: true }) });
    assert.throws(
      () => checkModelTable(session, Missing.definition),
      (error: Error) =>
        error instanceof DataSetError &&
        /table "region" has no column "id"/.test(error.message),
    );
  },
);

Deno.test("No file but src/_sql*.ts writes the introspection SQL", async () => {
  const src = new URL("../src/", import.meta.url);
  const offenders: string[] = [];
  const visit = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await visit(url);
      else if (
        entry.name.endsWith(".ts") && !/^_sql(_[a-z]+)?\.ts$/.test(entry.name)
      ) {
        const text = await Deno.readTextFile(url);
        if (
          /pragma_(table_x?info|index_list|index_info|foreign_key)|FROM sqlite_schema WHERE/i
            .test(text)
        ) {
          offenders.push(entry.name);
        }
      }
    }
  };
  await visit(src);
  assert.deepEqual(offenders, []);
});
