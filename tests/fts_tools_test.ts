import assert from "node:assert/strict";
import { type DataSet, integer, SQLiteBindFactory, text } from "../mod.ts";
import { buildDataSet, verifyDataSet } from "../build.ts";
import type { EngineName } from "../src/_engine.ts";
import { parseFts5 } from "../src/_fts_declaration.ts";
import type { FileInfo } from "../src/cli/inspect.ts";
import {
  engineTest,
  freshDataSet,
  runCli,
  runDeno,
  tempDir,
} from "./_helpers.ts";

function declarePlaces(
  db: DataSet,
  search: {
    columns: ("name" | "altNames")[];
    tokenize?: "unicode61" | "porter" | "trigram";
  } = { columns: ["name", "altNames"] },
) {
  class Place extends db.Model("place", {
    id: integer({ primaryKey: true }),
    name: text(),
    altNames: text({ name: "alt_names", nullable: true }),
    country: text(),
  }, { search }) {}
  return Place;
}

async function builtPlaces(engine: EngineName): Promise<string> {
  const dir = await tempDir({ prefix: "microcosm_fts_tools_" });
  const path = `${dir}/places.sqlite`;
  const db = freshDataSet(engine);
  const Place = declarePlaces(db);
  await buildDataSet(db, path, (b) =>
    b.loadRecords(Place, [
      { name: "Saint-Étienne", altNames: "Sainté", country: "FR" },
      { name: "Paris", altNames: null, country: "FR" },
    ]));
  return path;
}

Deno.test("parseFts5 reads columns, content, key and tokenizer, quoted or not", () => {
  assert.deepEqual(
    parseFts5(
      `CREATE VIRTUAL TABLE "a b" USING fts5("na""me", [x y], z UNINDEXED, content='t''s', content_rowid="id", tokenize = 'porter unicode61')`,
    ),
    {
      columns: ['na"me', "x y", "z"],
      content: "t's",
      contentRowid: "id",
      tokenize: "porter unicode61",
    },
  );
  assert.equal(
    parseFts5("CREATE VIRTUAL TABLE r USING rtree(id, a, b)"),
    undefined,
  );
});

engineTest(
  "inspect shows the FTS5 index as such and leaves out its shadow tables",
  async (engine) => {
    const path = await builtPlaces(engine);
    const json = await runCli("inspect", path, "--json", "--engine", engine);
    assert.equal(json.code, 0, json.stderr);
    const info = JSON.parse(json.stdout) as FileInfo;
    assert.deepEqual(info.tables.map((table) => table.name), ["place"]);
    assert.deepEqual(info.searchIndexes, [{
      name: "place_fts",
      columns: ["name", "alt_names"],
      content: "place",
      contentRowid: "id",
      tokenize: "unicode61 remove_diacritics 2",
      shadowTables: [
        "place_fts_data",
        "place_fts_idx",
        "place_fts_docsize",
        "place_fts_config",
      ],
    }]);
    const text = await runCli("inspect", path, "--engine", engine);
    assert.match(
      text.stdout,
      /search index place_fts \(FTS5\) over table place: name, alt_names; tokenize "unicode61 remove_diacritics 2"/,
    );
    assert.doesNotMatch(text.stdout, /table place_fts_data/);
  },
);

engineTest(
  "codegen writes the search option instead of models of the shadow tables",
  async (engine) => {
    const path = await builtPlaces(engine);
    const dir = await tempDir({ prefix: "microcosm_fts_codegen_" });
    const out = `${dir}/models.ts`;
    const generated = await runCli(
      "codegen",
      path,
      "--output",
      out,
      "--engine",
      engine,
    );
    assert.equal(generated.code, 0, generated.stderr);
    const code = await Deno.readTextFile(out);
    assert.match(code, /search: \{ columns: \["name", "altNames"\] \}/);
    assert.doesNotMatch(code, /place_fts/);
    assert.equal(code.match(/\.Model\(/g)?.length, 1, code);
  },
);

Deno.test("codegen declares the tokenizer and a table name other than the default", async () => {
  const dir = await tempDir({ prefix: "microcosm_fts_codegen_" });
  const path = `${dir}/docs.sqlite`;
  const db = freshDataSet("node");
  class Doc extends db.Model("doc", {
    id: integer({ primaryKey: true }),
    body: text(),
  }, {
    search: { columns: ["body"], tokenize: "porter", table: "doc_text" },
  }) {}
  await buildDataSet(
    db,
    path,
    (b) => b.loadRecords(Doc, [{ body: "running" }]),
  );
  const generated = await runCli("codegen", path, "--output", `${dir}/m.ts`);
  assert.equal(generated.code, 0, generated.stderr);
  assert.match(
    await Deno.readTextFile(`${dir}/m.ts`),
    /search: \{ columns: \["body"\], tokenize: "porter", table: "doc_text" \}/,
  );
});

engineTest(
  "verifyDataSet passes a built search index and names a missing or different one",
  async (engine) => {
    const path = await builtPlaces(engine);
    const open = (
      search?: Parameters<typeof declarePlaces>[1],
    ) => {
      const db = freshDataSet(engine);
      db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
      declarePlaces(db, search);
      return db;
    };
    const same = open();
    assert.deepEqual((await verifyDataSet(same)).problems, []);
    await same.close();

    const other = open({ columns: ["name"], tokenize: "trigram" });
    assert.deepEqual(
      (await verifyDataSet(other)).problems.map((problem) => problem.message),
      [
        'place: search index "place_fts" indexes (name, alt_names), the model says (name)',
        'place: search index "place_fts" tokenizes with "unicode61 remove_diacritics 2", the model says "trigram"',
      ],
    );
    await other.close();

    const missing = freshDataSet(engine);
    missing.bind(new SQLiteBindFactory({ paths: { [missing.name]: path } }));
    missing.Model("place", {
      id: integer({ primaryKey: true }),
      name: text(),
    }, { search: { columns: ["name"], table: "elsewhere" } });
    assert.deepEqual(
      (await verifyDataSet(missing)).problems.map((problem) => problem.message),
      ['place: search index "elsewhere" (FTS5) is missing'],
    );
    await missing.close();
  },
);

engineTest(
  "verifyDataSet reports a search index out of step with its table",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_fts_verify_" });
    const path = `${dir}/places.sqlite`;
    const writer = freshDataSet(engine, { writable: true });
    writer.bind(new SQLiteBindFactory({ paths: { [writer.name]: path } }));
    declarePlaces(writer);
    await writer.createAll();
    await Array.fromAsync(
      writer.sql`INSERT INTO place (id, name, country) VALUES (1, 'a', 'FR')`,
    );
    // Rows written with the triggers gone leave the index behind.
    await Array.fromAsync(writer.sql`DROP TRIGGER place_fts_insert`);
    await Array.fromAsync(
      writer.sql`INSERT INTO place (id, name, country) VALUES (2, 'b', 'FR')`,
    );
    assert.deepEqual(
      (await verifyDataSet(writer)).problems.map((problem) => problem.message),
      [
        'search index "place_fts" holds 1 rows, table "place" 2: rebuild the index',
      ],
    );
    await writer.close();
  },
);

Deno.test("codegen's search option type-checks and searches the file it came from", async () => {
  const path = await builtPlaces("node");
  const dir = await tempDir({ prefix: "microcosm_fts_codegen_" });
  const generated = await runCli(
    "codegen",
    path,
    "--output",
    `${dir}/models.ts`,
  );
  assert.equal(generated.code, 0, generated.stderr);
  await Deno.writeTextFile(
    `${dir}/deno.json`,
    JSON.stringify({
      imports: {
        "@microcosm/sqlite": new URL("../mod.ts", import.meta.url).href,
      },
    }),
  );
  await Deno.writeTextFile(
    `${dir}/main.ts`,
    `import { SQLiteBindFactory, Store } from "@microcosm/sqlite";
import { Place, Places } from "./models.ts";

Places.bind(new SQLiteBindFactory({ paths: { places: ${
      JSON.stringify(path)
    } } }));
const rows = await Array.fromAsync(new Store(Place).match("sainte"));
console.log(JSON.stringify(rows.map((row) => row.name)));
await Places.close();
`,
  );
  await runDeno(["check", "models.ts", "main.ts"], { cwd: dir, ok: true });
  const ran = await runDeno(
    ["run", `--allow-read=${dir},${path}`, "main.ts"],
    { cwd: dir, ok: true },
  );
  assert.deepEqual(JSON.parse(ran.stdout), [
    "Saint-Étienne",
  ]);
});
