import assert from "node:assert/strict";
import { dumpCsv, dumpJsonLines, SQLiteBindFactory, Store } from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { engineTest, freshDataSet, tempDir } from "./_helpers.ts";
import { declareShop } from "./testdata/build/models.ts";

async function filled(engine: "ffi" | "node") {
  const db = freshDataSet(engine);
  const models = declareShop(db);
  await db.createAll();
  await new Store(models.Category).createMany([
    { code: "t", label: 'Tools, "hand"' },
    { code: "e", label: "" },
  ]);
  await new Store(models.Product).createMany([
    {
      name: "Hammer",
      category: "t",
      price: 12.5,
      tags: ["a", "b"],
      notes: "two\nlines",
      thumbnail: new Uint8Array([0, 1, 2]),
      sku: 2n ** 60n,
    },
    { name: "Nail", category: "t", inStock: false },
  ]);
  return { db, ...models };
}

const text = (stream: ReadableStream<Uint8Array>) =>
  new Response(stream).text();

engineTest(
  "dumpCsv writes a store in model order, quoting only what needs it",
  async (engine) => {
    const { db, Category, Product } = await filled(engine);
    assert.equal(
      await text(dumpCsv(new Store(Category))),
      'code,label\r\ne,""\r\nt,"Tools, ""hand"""\r\n',
    );
    assert.equal(
      await text(dumpCsv(new Store(Product))),
      "id,name,category,price,inStock,tags,notes,thumbnail,sku\r\n" +
        '1,Hammer,t,12.5,true,"[""a"",""b""]","two\nlines",AAEC,1152921504606846976\r\n' +
        "2,Nail,t,,false,,,,\r\n",
    );
    await db.close();
  },
);

engineTest(
  "dumpCsv writes a filter result with SQL or custom headers",
  async (engine) => {
    const { db, Product } = await filled(engine);
    const store = new Store(Product);
    assert.match(
      await text(
        dumpCsv(store.search({ inStock: false }), { headers: "columns" }),
      ),
      /^id,name,category,price,in_stock,tags,notes,thumbnail,sku\r\n2,Nail/,
    );
    const custom = [
      "ID",
      "Name",
      "Cat",
      "Price",
      "Stock",
      "Tags",
      "Notes",
      "Img",
      "SKU",
    ];
    assert.match(
      await text(
        dumpCsv(store.search({ id: 2 }), {
          headers: custom,
          delimiter: ";",
          lineEnding: "\n",
        }),
      ),
      /^ID;Name;Cat;Price;Stock;Tags;Notes;Img;SKU\n2;Nail;t;;false;;;;\n$/,
    );
    await assert.rejects(
      text(dumpCsv(store.search(), { headers: ["a"] })),
      /headers must be "properties", "columns" or 9 names/,
    );
    await db.close();
  },
);

engineTest(
  "dumpCsv of an empty result still writes the header when the model is known",
  async (engine) => {
    const { db, Category } = await filled(engine);
    const store = new Store(Category);
    assert.equal(
      await text(dumpCsv(store.search({ code: "none" }), { model: Category })),
      "code,label\r\n",
    );
    await db.close();
  },
);

engineTest(
  "dumpJsonLines writes typed values: booleans, JSON, base64 blobs, exact bigints",
  async (engine) => {
    const { db, Product } = await filled(engine);
    const lines = (await text(dumpJsonLines(new Store(Product)))).split("\n");
    assert.equal(
      lines[0],
      '{"id":1,"name":"Hammer","category":"t","price":12.5,"inStock":true,"tags":["a","b"],"notes":"two\\nlines","thumbnail":"AAEC","sku":1152921504606846976}',
    );
    assert.equal(lines.length, 3);
    assert.equal(lines[2], "");
    await db.close();
  },
);

Deno.test("dumpCsv takes plain rows of a query, columns from the first row", async () => {
  const db = freshDataSet("node");
  const csv = await text(
    dumpCsv(db.sql`select 1 as a, 'x,y' as b union all select 2, null`),
  );
  assert.equal(csv, 'a,b\r\n1,"x,y"\r\n2,\r\n');
  await db.close();
});

engineTest(
  "Dumped CSV and JSON Lines load back into the same rows",
  async (engine) => {
    const { db, Category, Product } = await filled(engine);
    const dir = await tempDir();
    for (
      const [name, stream] of [
        ["c.csv", dumpCsv(new Store(Category))],
        ["p.csv", dumpCsv(new Store(Product))],
        ["p.jsonl", dumpJsonLines(new Store(Product))],
      ] as const
    ) {
      await Deno.writeFile(`${dir}/${name}`, stream);
    }
    const original = await Array.fromAsync(new Store(Product).search());
    for (const file of ["p.csv", "p.jsonl"]) {
      const copy = freshDataSet(engine);
      const models = declareShop(copy);
      await buildDataSet(copy, `${dir}/copy.sqlite`, async (b) => {
        await b.loadRecords(models.Category, [{ code: "t", label: "T" }]);
        if (file.endsWith(".csv")) {
          await b.loadCsv(models.Product, `${dir}/${file}`);
        } else await b.loadJsonLines(models.Product, `${dir}/${file}`);
      });
      copy.bind(
        new SQLiteBindFactory({ paths: { [copy.name]: `${dir}/copy.sqlite` } }),
      );
      const rows = await Array.fromAsync(new Store(models.Product).search());
      assert.deepEqual(
        rows.map((r) => ({ ...r })),
        original.map((r) => ({ ...r })),
        file,
      );
      await copy.close();
    }
    await db.close();
  },
);
