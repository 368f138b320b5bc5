import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import {
  DataFileError,
  DataSet,
  integer,
  ModelIntegrityError,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import {
  buildFixture,
  engineTest,
  freshDataSet,
  shopBuilt,
  type ShopFill,
  shopLoadError,
  tempDir,
} from "./_helpers.ts";
import { declareShop } from "./testdata/build/models.ts";

const data = buildFixture;

/**
 * Runs a load into a throwaway build whose categories are loaded first, and
 * returns the error it raised.
 */
function loadError(
  engine: EngineName,
  fill: ShopFill,
): Promise<DataFileError> {
  return shopLoadError(engine, async (context, models) => {
    await context.loadCsv(models.Category, data("category.csv"));
    await fill(context, models);
  });
}

engineTest(
  "loadCsv reads quotes, embedded line breaks, unicode, empty fields, a BOM and CRLF, with the model's types",
  async (engine) => {
    const { db, Category, Product } = await shopBuilt(engine, async (b, m) => {
      assert.equal(await b.loadCsv(m.Category, data("category.csv")), 3);
      assert.equal(await b.loadCsv(m.Product, data("product.csv")), 3);
    });
    const categories = await Array.fromAsync(new Store(Category).search());
    assert.deepEqual(categories.map((c) => [c.code, c.label]), [
      ["garden", "Jardín 🌱"],
      ["kitchen", 'Kitchen "pro"'],
      ["tools", "Tools, hand"],
    ]);
    const products = await Array.fromAsync(new Store(Product).search());
    assert.deepEqual(products.map((p) => ({ ...p })), [
      {
        id: 1,
        name: "Hammer",
        category: "tools",
        price: 12.5,
        inStock: true,
        tags: ["steel"],
        notes: null,
        thumbnail: new Uint8Array([0, 1, 2]),
        sku: 9007199254740993n,
      },
      {
        id: 2,
        name: "Rake",
        category: "garden",
        price: null,
        inStock: false,
        tags: null,
        notes: "two\nlines",
        thumbnail: null,
        sku: null,
      },
      {
        id: 3,
        name: "Pan",
        category: "kitchen",
        price: 30,
        inStock: true,
        tags: [],
        notes: "unicode: Grüße, 日本",
        thumbnail: null,
        sku: null,
      },
    ]);
    await db.close();
  },
);

engineTest(
  "loadJsonLines reads typed values, text values, missing keys and exact bigints",
  async (engine) => {
    const { db, Product } = await shopBuilt(engine, async (b, m) => {
      await b.loadCsv(m.Category, data("category.csv"));
      assert.equal(await b.loadJsonLines(m.Product, data("product.jsonl")), 3);
    });
    const products = await Array.fromAsync(new Store(Product).search());
    assert.deepEqual(products.map((p) => [p.inStock, p.notes, p.sku]), [
      [true, null, 9007199254740993n],
      [false, "two\nlines", null],
      [true, "unicode: Grüße, 日本", null],
    ]);
    assert.deepEqual(products[0]!.thumbnail, new Uint8Array([0, 1, 2]));
    await db.close();
  },
);

engineTest(
  "Booleans load from true/false, yes/no and 1/0 in any case",
  async (engine) => {
    const words = ["true", "FALSE", "Yes", "no", "1", "0", " TRUE "];
    const { db, Product } = await shopBuilt(engine, async (b, m) => {
      await b.loadRecords(m.Category, [{ code: "c", label: "C" }]);
      await b.loadRecords(
        m.Product,
        words.map((word, i) => ({
          name: `p${i}`,
          category: "c",
          inStock: word,
        })),
      );
    });
    const flags = await Array.fromAsync(new Store(Product).search());
    assert.deepEqual(flags.map((p) => p.inStock), [
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
    await db.close();
  },
);

engineTest(
  "An empty field is null in a nullable column and the default in a defaulted one",
  async (engine) => {
    const dir = await tempDir();
    await Deno.writeTextFile(
      `${dir}/p.csv`,
      "name,category,price,in_stock\nA,c,,\n",
    );
    const { db, Product } = await shopBuilt(engine, async (b, m) => {
      await b.loadRecords(m.Category, [{ code: "c", label: "C" }]);
      await b.loadCsv(m.Product, `${dir}/p.csv`);
    });
    const row = await new Store(Product).one();
    assert.equal(row.price, null);
    assert.equal(row.inStock, true);
    assert.equal(row.id, 1, "the integer primary key is assigned");
    await db.close();
  },
);

engineTest(
  "A bad CSV value fails with the file, line, column and value",
  async (engine) => {
    const error = await loadError(
      engine,
      (b, m) => b.loadCsv(m.Product, data("product_bad_value.csv")),
    );
    assert.match(
      error.message,
      /product_bad_value\.csv into "product": line 3, column "price": expected a number, got "cheap"/,
    );
    assert.equal(error.line, 3);
    assert.equal(error.column, "price");
    assert.equal(error.value, "cheap");
    assert.match(error.file, /product_bad_value\.csv$/);
  },
);

engineTest(
  "An empty field in a NOT NULL column fails with its place",
  async (engine) => {
    const error = await loadError(
      engine,
      (b, m) => b.loadCsv(m.Product, data("product_empty_required.csv")),
    );
    assert.match(
      error.message,
      /line 3, column "name": empty value in the NOT NULL column name/,
    );
  },
);

engineTest(
  "A bad JSON Lines value fails with the file, line, key and value",
  async (engine) => {
    const error = await loadError(
      engine,
      (b, m) => b.loadJsonLines(m.Product, data("product_bad.jsonl")),
    );
    assert.match(
      error.message,
      /product_bad\.jsonl into "product": line 2, column "in_stock": expected true\/false, yes\/no or 1\/0, got "maybe"/,
    );
  },
);

engineTest("A malformed JSON line fails with its line", async (engine) => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/p.jsonl`, '{"name":"a"}\n{"name":\n');
  const error = await loadError(
    engine,
    (b, m) => b.loadJsonLines(m.Product, `${dir}/p.jsonl`),
  );
  assert.match(error.message, /line 2: invalid JSON/);
});

engineTest("An unclosed quote fails with its line", async (engine) => {
  const error = await loadError(
    engine,
    (b, m) => b.loadCsv(m.Product, data("product_unclosed.csv")),
  );
  assert.match(error.message, /line 2: a quoted field is never closed/);
});

engineTest(
  "A record with the wrong number of fields fails with its line",
  async (engine) => {
    const dir = await tempDir();
    await Deno.writeTextFile(`${dir}/p.csv`, "name,category\nA,tools\nB\n");
    const error = await loadError(
      engine,
      (b, m) => b.loadCsv(m.Product, `${dir}/p.csv`),
    );
    assert.match(
      error.message,
      /line 3: expected 2 fields \(as on line 1\), got 1/,
    );
  },
);

engineTest(
  "Header names map to property or SQL names; an unknown one fails naming the valid ones",
  async (engine) => {
    const dir = await tempDir();
    await Deno.writeTextFile(
      `${dir}/p.csv`,
      "name,category,colour\nA,tools,red\n",
    );
    const error = await loadError(
      engine,
      (b, m) => b.loadCsv(m.Product, `${dir}/p.csv`),
    );
    assert.match(
      error.message,
      /line 1: unknown column "colour"; expected one of id, name, category, price, inStock \(in_stock\)/,
    );
    await Deno.writeTextFile(
      `${dir}/q.csv`,
      "Name,CATEGORY,in_stock\nA,tools,no\n",
    );
    const { db, Product } = await shopBuilt(engine, async (b, m) => {
      await b.loadRecords(m.Category, [{ code: "tools", label: "T" }]);
      await b.loadCsv(m.Product, `${dir}/q.csv`);
    });
    assert.equal((await new Store(Product).one()).inStock, false);
    await db.close();
  },
);

engineTest("A missing required column fails before any row", async (engine) => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/p.csv`, "name\nA\n");
  const error = await loadError(
    engine,
    (b, m) => b.loadCsv(m.Product, `${dir}/p.csv`),
  );
  assert.match(
    error.message,
    /line 1: the required column category is missing/,
  );
});

engineTest(
  "loadCsv takes column names for a file without header and another delimiter",
  async (engine) => {
    const dir = await tempDir();
    await Deno.writeTextFile(`${dir}/c.csv`, 'a;Alpha\nb;"Be;ta"\n');
    const { db, Category } = await shopBuilt(engine, async (b, m) => {
      await b.loadCsv(m.Category, `${dir}/c.csv`, {
        delimiter: ";",
        columns: ["code", "label"],
      });
    });
    const labels = await Array.fromAsync(new Store(Category).search());
    assert.deepEqual(labels.map((c) => c.label), ["Alpha", "Be;ta"]);
    await db.close();
  },
);

engineTest(
  "A bad record from an iterable fails naming its position",
  async (engine) => {
    const error = await loadError(
      engine,
      (b, m) =>
        b.loadRecords(m.Product, [
          { name: "a", category: "tools" },
          { name: "b", category: "tools", price: "cheap" },
        ]),
    );
    assert.match(
      error.message,
      /record 2, column "price": expected a number, got "cheap"/,
    );
  },
);

engineTest(
  "A duplicate key in a file fails naming the line",
  async (engine) => {
    const dir = await tempDir();
    await Deno.writeTextFile(`${dir}/c.csv`, "code,label\na,A\nb,B\na,again\n");
    const db = freshDataSet(engine);
    const { Category } = declareShop(db);
    await assert.rejects(
      buildDataSet(
        db,
        `${dir}/x.sqlite`,
        (b) => b.loadCsv(Category, `${dir}/c.csv`).then(() => {}),
      ),
      (error: Error) => {
        assert.ok(error instanceof ModelIntegrityError);
        assert.match(error.message, /c\.csv into "category": line 4: .*UNIQUE/);
        return true;
      },
    );
  },
);

engineTest("Loading a model of another dataset is refused", async (engine) => {
  const db = freshDataSet(engine);
  declareShop(db);
  const other = freshDataSet(engine);
  class Stranger extends other.Model("stranger", {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  const dir = await tempDir();
  await assert.rejects(
    buildDataSet(
      db,
      `${dir}/x.sqlite`,
      (b) => b.loadRecords(Stranger, []).then(() => {}),
    ),
    TypeError,
  );
});

Deno.test("Integer, real, JSON, base64 and bigint text is checked: each bad form names the column type", async (t) => {
  const db = DataSet.create("load_forms", { engine: "node" });
  const { Product, Category } = declareShop(db);
  const dir = await tempDir();
  const cases: [string, string, RegExp][] = [
    ["id", "1.5", /expected an integer/],
    ["id", "99999999999999999999", /beyond 2\^53/],
    ["price", "1.5.1", /expected a number/],
    ["tags", "[oops", /expected JSON/],
    ["thumbnail", "*not base64*", /expected base64/],
    ["sku", "99999999999999999999", /does not fit in 64 bits/],
  ];
  for (const [key, value, message] of cases) {
    await t.step(`${key} = ${value}`, async () => {
      await Deno.writeTextFile(
        `${dir}/p.csv`,
        `name,category,${key}\nn,c,"${value}"\n`,
      );
      await assert.rejects(
        buildDataSet(db, `${dir}/x.sqlite`, async (b) => {
          await b.loadRecords(Category, [{ code: "c", label: "C" }]);
          await b.loadCsv(Product, `${dir}/p.csv`);
        }),
        (error: Error) => {
          assert.ok(error instanceof DataFileError, error.message);
          assert.match(error.message, message);
          assert.equal(error.value, value);
          return true;
        },
      );
    });
  }
  await db.close();
});

Deno.test("A record value of the wrong JSON type names the expected type", async () => {
  const db = DataSet.create("load_json_types", { engine: "node" });
  const { Product, Category } = declareShop(db);
  const dir = await tempDir();
  await assert.rejects(
    buildDataSet(db, `${dir}/x.sqlite`, async (b) => {
      await b.loadRecords(Category, [{ code: "c", label: "C" }]);
      await b.loadRecords(Product, [{ name: 42, category: "c" }]);
    }),
    /record 1, column "name": expected a string, got 42/,
  );
  await db.close();
});
