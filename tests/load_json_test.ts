// JSON array files (`loadJson`, `.json` on the CLI) and the checks of
// records from iterables.
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import { jsonArray } from "../src/_csv.ts";
import {
  DataFileError,
  integer,
  json,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import {
  buildFixture,
  engineTest,
  freshDataSet,
  shopBuilt,
  shopLoadError,
  tempDir,
  textSource,
} from "./_helpers.ts";

const data = buildFixture;

/** A file holding `text` in a fresh folder. */
async function fileWith(name: string, text: string): Promise<string> {
  const path = `${await tempDir()}/${name}`;
  await Deno.writeTextFile(path, text);
  return path;
}

engineTest(
  "loadJson reads a JSON array as loadJsonLines reads lines",
  async (engine) => {
    const rows = [];
    for (const load of ["loadJson", "loadJsonLines"] as const) {
      const { db, Product, result } = await shopBuilt(
        engine,
        async (build, { Category, Product }) => {
          await build.loadCsv(Category, data("category.csv"));
          await build[load](
            Product,
            data(load === "loadJson" ? "product.json" : "product.jsonl"),
          );
        },
      );
      assert.deepEqual(result.rows, { category: 3, product: 3 });
      rows.push(
        (await Array.fromAsync(new Store(Product).search())).map((row) => ({
          ...row,
          notes: row.notes?.startsWith("two") ? "two" : row.notes,
        })),
      );
      await db.close();
    }
    assert.deepEqual(rows[0], rows[1]);
    assert.equal(rows[0]![0]!.sku, 9007199254740993n);
    assert.deepEqual(rows[0]![0]!.thumbnail, new Uint8Array([0, 1, 2]));
  },
);

engineTest(
  "loadJson keeps brackets, commas and quotes inside strings",
  async (engine) => {
    const { db, Product } = await shopBuilt(
      engine,
      async (build, { Category, Product }) => {
        await build.loadCsv(Category, data("category.csv"));
        await build.loadJson(Product, data("product.json"));
      },
    );
    const rake = await new Store(Product).retrieve(2);
    assert.equal(rake.notes, 'two\nlines, [not] {a} "nest"');
    await db.close();
  },
);

engineTest(
  "A bad JSON array fails with the line, as JSON Lines does",
  async (engine) => {
    const cases: [string, RegExp][] = [
      ["", /line 1: expected a JSON array of objects, got an empty file/],
      [
        `{"code": "x"}`,
        /line 1: expected a JSON array of objects, starting with \[/,
      ],
      [
        `[\n{"code": "x", "label": "X"},\n{"code": }\n]`,
        /line 3: invalid JSON/,
      ],
      [
        `[\n{"code": "x", "label": "X"}`,
        /line 2: the JSON array is never closed/,
      ],
      [
        `[{"code": "x", "label": "X"},]`,
        /line 1: invalid JSON \(expected an element, got "\]"\)/,
      ],
      [
        `[{"code": "x", "label": "X"}] []`,
        /line 1: invalid JSON \(text after the closing \] of the array\)/,
      ],
      [`[\n\n 42]`, /line 3: expected an object, got 42/],
      [
        `[{"code": "x"}]`,
        /line 1, column "label": no value for the NOT NULL column label/,
      ],
      [
        `[{"code": "x", "label": 5}]`,
        /line 1, column "label": expected a string, got 5/,
      ],
    ];
    for (const [text, pattern] of cases) {
      const file = await fileWith("category.json", text);
      const error = await shopLoadError(
        engine,
        (build, { Category }) => build.loadJson(Category, file),
      );
      assert.match(error.message, pattern, text);
      assert.match(
        error.message,
        /^Cannot load .*category\.json into "category": /,
      );
      assert.equal(error.file, file);
    }
  },
);

Deno.test("The JSON array scanner gives the same elements whatever the chunk size", async () => {
  const elements = [
    { a: "x,y]", b: [1, [2, { c: "}" }]] },
    { a: 'say \\"hi\\" \\\\', b: null },
    "text with , and ] and Grüße 日本",
    [],
    {},
    12.5e3,
    true,
  ];
  const text = ` \n[ ${
    elements.map((e) => JSON.stringify(e)).join(" ,\n ")
  } \n] \n`;
  for (const chunk of [1, 2, 3, 7, 64, 1 << 16]) {
    const source = textSource(text);
    const got = [];
    const lines = [];
    for await (const batch of jsonArray(source, () => {}, undefined, chunk)) {
      got.push(...batch.records);
      lines.push(...batch.lines);
    }
    assert.deepEqual(got, elements, `chunk ${chunk}`);
    assert.deepEqual(lines, [2, 3, 4, 5, 6, 7, 8], `chunk ${chunk}`);
  }
});

/** A model whose loads from records are checked. */
function declareChecked(engine: EngineName) {
  const db = freshDataSet(engine);
  class Item extends db.Model("item", {
    id: integer({ primaryKey: true }),
    name: text(),
    price: real({ nullable: true }),
    data: json({ nullable: true }),
  }) {}
  return { db, Item };
}

engineTest(
  "Records are checked as file rows are: keys, types, NOT NULL, and values JSON cannot hold",
  async (engine) => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [object, RegExp][] = [
      [
        { id: 1, nme: "x" },
        /record 2: unknown column "nme"; expected one of id, name, price, data/,
      ],
      [
        { id: "one", name: "x" },
        /record 2, column "id": expected an integer, got "one"/,
      ],
      [
        { id: 1 },
        /record 2, column "name": no value for the NOT NULL column name/,
      ],
      [{ id: 1, name: 7 }, /record 2, column "name": expected a string, got 7/],
      [
        { id: 1, name: "x", price: NaN },
        /record 2, column "price": NaN is not a number SQLite can store, got NaN/,
      ],
      [
        { id: 1, name: "x", data: () => 1 },
        /record 2, column "data": expected a value JSON can represent/,
      ],
      [
        { id: 1, name: "x", data: Symbol("s") },
        /record 2, column "data": expected a value JSON can represent/,
      ],
      [
        { id: 1, name: "x", data: { toJSON: () => undefined } },
        /record 2, column "data": expected a value JSON can represent/,
      ],
      [
        { id: 1, name: "x", data: 1n },
        /record 2, column "data": expected a value JSON can represent \(.*BigInt/,
      ],
      [
        { id: 1, name: "x", data: circular },
        /record 2, column "data": expected a value JSON can represent \(.*circular/i,
      ],
      [
        new Map<string, unknown>([["id", 1], ["name", "x"]]),
        /record 2: expected an object with a key per column, got a Map/,
      ],
    ];
    for (const [record, pattern] of cases) {
      const { db, Item } = declareChecked(engine);
      const dir = await tempDir();
      await assert.rejects(
        buildDataSet(db, `${dir}/x.sqlite`, async (build) => {
          await build.loadRecords(
            Item,
            [{ id: 9, name: "fine" }, record],
          );
        }),
        (error: Error) => {
          assert.ok(error instanceof DataFileError, String(error));
          assert.match(error.message, /^Cannot load records into "item": /);
          assert.match(error.message, pattern);
          return true;
        },
      );
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    }
  },
);

engineTest(
  "Records that are class instances load by their own keys",
  async (engine) => {
    const { db, Item } = declareChecked(engine);
    class Input {
      id = 3;
      name = "widget";
      get ignored(): string {
        return "not an own key";
      }
    }
    const path = `${await tempDir()}/x.sqlite`;
    await buildDataSet(
      db,
      path,
      (build) => build.loadRecords(Item, [new Input()]),
    );
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    assert.deepEqual({ ...await new Store(Item).retrieve(3) }, {
      id: 3,
      name: "widget",
      price: null,
      data: null,
    });
    await db.close();
  },
);

engineTest(
  "A missing source file is a DataFileError naming it, for every file loader",
  async (engine) => {
    const dir = await tempDir();
    for (const load of ["loadCsv", "loadJsonLines", "loadJson"] as const) {
      const file = `${dir}/missing.${load}`;
      const error = await shopLoadError(
        engine,
        (build, { Category }) => build[load](Category, file),
      );
      assert.equal(
        error.message,
        `Cannot load ${file} into "category": file does not exist`,
      );
      assert.equal(error.file, file);
      assert.equal(error.line, 0);
    }
  },
);
