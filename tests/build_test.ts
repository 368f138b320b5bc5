import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  DataSet,
  integer,
  METADATA_TABLE,
  ModelIntegrityError,
  readBuildMetadata,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { VERSION } from "../src/_version.ts";
import {
  buildFixture,
  engineTest,
  freshDataSet,
  sha256,
  tempDir,
} from "./_helpers.ts";
import { declareShop } from "./testdata/build/models.ts";

const data = buildFixture;

/** A folder holding a built shop file, and its bytes' hash. */
async function previousBuild(engine: "ffi" | "node") {
  const dir = await tempDir({ prefix: "microcosm_build_" });
  const path = `${dir}/shop.sqlite`;
  const db = freshDataSet(engine);
  const models = declareShop(db);
  await buildDataSet(db, path, async (b) => {
    await b.loadCsv(models.Category, data("category.csv"));
    await b.loadCsv(models.Product, data("product.csv"));
  });
  return { dir, path, db, ...models, hash: await sha256(path) };
}

engineTest(
  "A failing build leaves the previous file byte for byte and no temporary file",
  async (engine) => {
    const { dir, path, db, Category, hash } = await previousBuild(engine);
    await assert.rejects(
      buildDataSet(db, path, async (b) => {
        await b.loadRecords(Category, [{ code: "x", label: "X" }]);
        throw new Error("user code failed");
      }),
      /user code failed/,
    );
    assert.equal(await sha256(path), hash);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "shop.sqlite",
    ]);
  },
);

engineTest(
  "A broken foreign key fails the build with the list of offending rows",
  async (engine) => {
    const { dir, path, db, Category, Product, hash } = await previousBuild(
      engine,
    );
    await assert.rejects(
      buildDataSet(db, path, async (b) => {
        await b.loadCsv(Category, data("category.csv"));
        await b.loadCsv(Product, data("product_broken_fk.csv"));
      }),
      (error: Error) => {
        assert.ok(error instanceof ModelIntegrityError);
        assert.match(
          error.message,
          /2 rows reference missing rows: product rowid 2 \(category = "power-tools"\) -> category \(code\); product rowid 3 \(category = "nowhere"\) -> category \(code\)/,
        );
        return true;
      },
    );
    assert.equal(await sha256(path), hash);
    assert.equal([...Deno.readDirSync(dir)].length, 1);
  },
);

engineTest(
  "Tables load in any order: foreign keys are checked once at the end",
  async (engine) => {
    const dir = await tempDir();
    const db = freshDataSet(engine);
    const { Category, Product } = declareShop(db);
    const result = await buildDataSet(db, `${dir}/s.sqlite`, async (b) => {
      await b.loadCsv(Product, data("product.csv"));
      await b.loadCsv(Category, data("category.csv"));
    });
    assert.deepEqual(result.rows, { category: 3, product: 3 });
  },
);

engineTest(
  "A build records its metadata: time, row counts, source hashes, library version",
  async (engine) => {
    const { path, db } = await previousBuild(engine);
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    const metadata = await readBuildMetadata(db);
    assert.ok(metadata !== undefined);
    assert.equal(metadata.dataset, db.name);
    assert.equal(metadata.library, "@microcosm/sqlite");
    assert.equal(metadata.libraryVersion, VERSION);
    assert.match(metadata.sqliteVersion, /^3\.\d+\.\d+$/);
    assert.ok(Math.abs(Date.parse(metadata.builtAt) - Date.now()) < 600_000);
    assert.deepEqual(metadata.tables, { category: 3, product: 3 });
    assert.equal(metadata.sources.length, 2);
    const [category, product] = metadata.sources;
    assert.equal(category!.sha256, await sha256(data("category.csv")));
    assert.equal(product!.sha256, await sha256(data("product.csv")));
    assert.equal(product!.table, "product");
    assert.equal(product!.rows, 3);
    assert.equal(product!.bytes, (await Deno.stat(data("product.csv"))).size);
    assert.ok(product!.file.endsWith("tests/testdata/build/product.csv"));
    await db.close();
  },
);

Deno.test("A build whose fill freed pages is vacuumed; an appending one has none to free [ffi]", async () => {
  const dir = await tempDir();
  const db = freshDataSet("ffi");
  class Note extends db.Model("note", {
    id: integer({ primaryKey: true }),
    body: text(),
  }) {}
  const freePages = async (path: string) => {
    const check = freshDataSet("ffi");
    check.bind(new SQLiteBindFactory({ paths: { [check.name]: path } }));
    const [row] = await Array.fromAsync(check.sql`PRAGMA freelist_count`);
    await check.close();
    return row!.freelist_count;
  };
  const body = "x".repeat(2000);
  await buildDataSet(db, `${dir}/churned.sqlite`, async () => {
    await new Store(Note).createMany(
      Array.from({ length: 500 }, () => ({ body })),
    );
    await new Store(Note).delete({ id: { gt: 10 } });
  });
  assert.equal(await freePages(`${dir}/churned.sqlite`), 0);
  await buildDataSet(db, `${dir}/appended.sqlite`, async () => {
    await new Store(Note).createMany(
      Array.from({ length: 500 }, () => ({ body })),
    );
  });
  assert.equal(await freePages(`${dir}/appended.sqlite`), 0);
  // The churned file holds 10 rows in few pages: it was rewritten.
  const { size } = await Deno.stat(`${dir}/churned.sqlite`);
  assert.ok(size < 100_000, `${size} bytes`);
});

Deno.test("Source paths are recorded relative to the built file's folder", async () => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/csv`);
  await Deno.writeTextFile(`${dir}/csv/c.csv`, "code,label\na,A\n");
  const db = freshDataSet("node");
  const { Category } = declareShop(db);
  const { metadata } = await buildDataSet(
    db,
    `${dir}/out.sqlite`,
    (b) => b.loadCsv(Category, `${dir}/csv/c.csv`).then(() => {}),
  );
  assert.equal(metadata.sources[0]!.file, "csv/c.csv");
});

Deno.test("SOURCE_DATE_EPOCH fixes the recorded build time", async () => {
  const dir = await tempDir();
  const db = freshDataSet("node");
  const { Category } = declareShop(db);
  Deno.env.set("SOURCE_DATE_EPOCH", "1700000000");
  try {
    const { metadata } = await buildDataSet(
      db,
      `${dir}/out.sqlite`,
      (b) => b.loadRecords(Category, []).then(() => {}),
    );
    assert.equal(metadata.builtAt, "2023-11-14T22:13:20.000Z");
  } finally {
    Deno.env.delete("SOURCE_DATE_EPOCH");
  }
});

Deno.test("readBuildMetadata answers undefined for a file not built by buildDataSet", async () => {
  const dir = await tempDir();
  const path = `${dir}/plain.sqlite`;
  const writer = freshDataSet("node", { writable: true });
  writer.bind(new SQLiteBindFactory({ paths: { [writer.name]: path } }));
  writer.Model("t", { id: integer({ primaryKey: true }) });
  await writer.createAll();
  await writer.close();
  const reader = freshDataSet("node");
  reader.bind(new SQLiteBindFactory({ paths: { [reader.name]: path } }));
  assert.equal(await readBuildMetadata(reader), undefined);
  await reader.close();
});

Deno.test("A model may not declare the metadata table", async () => {
  const db = DataSet.create("build_reserved");
  db.Model(METADATA_TABLE, { key: text({ primaryKey: true }) });
  const dir = await tempDir();
  await assert.rejects(
    buildDataSet(db, `${dir}/x.sqlite`, () => {}),
    /reserved for the build metadata/,
  );
  assert.deepEqual([...Deno.readDirSync(dir)], []);
});

// ffi only: node:sqlite runs SQLite in defensive mode, which refuses the
// schema edit this test corrupts the file with.
Deno.test("The integrity check fails a build whose file is corrupt [ffi]", async () => {
  const { dir, path, db, Category, hash } = await previousBuild("ffi");
  await assert.rejects(
    buildDataSet(db, path, async (b) => {
      await b.loadRecords(Category, [{ code: "a", label: "A" }, {
        code: "b",
        label: "B",
      }]);
      // Point an index at another column behind SQLite's back: its entries
      // no longer match the rows.
      const steps = [
        db.sql`CREATE INDEX label_idx ON category (label)`,
        db.sql`PRAGMA writable_schema = ON`,
        db
          .sql`UPDATE sqlite_schema SET sql = 'CREATE INDEX label_idx ON category (code)' WHERE name = 'label_idx'`,
      ];
      for (const step of steps) await Array.fromAsync(step);
      await db.close(); // reopened (still on the temporary file) with the edited schema
    }),
    /the integrity check failed: .*label_idx/,
  );
  assert.equal(await sha256(path), hash);
  assert.equal([...Deno.readDirSync(dir)].length, 1);
});

Deno.test("The next build removes the temporary files of killed builds, not those of live ones", async () => {
  const dir = await tempDir();
  const stray = `${dir}/.shop.sqlite.0badc0de.building`;
  const live = `${dir}/.shop.sqlite.1ee1ee1e.building`;
  await Deno.writeTextFile(stray, "half a database");
  await Deno.writeTextFile(`${stray}-journal`, "journal");
  await Deno.writeTextFile(live, "being built");
  const other = `${dir}/.other.sqlite.0badc0de.building`;
  await Deno.writeTextFile(other, "another target's");
  const holder = await Deno.open(live, { read: true, write: true });
  await holder.lock(true);
  try {
    const db = freshDataSet("node");
    const { Category } = declareShop(db);
    await buildDataSet(
      db,
      `${dir}/shop.sqlite`,
      (b) => b.loadRecords(Category, []).then(() => {}),
    );
  } finally {
    holder.close();
  }
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    [
      ".other.sqlite.0badc0de.building",
      ".shop.sqlite.1ee1ee1e.building",
      "shop.sqlite",
    ],
  );
});

Deno.test("A build process killed mid-way leaves the previous file intact; the next build leaves no stray", async () => {
  const { dir, path, hash } = await previousBuild("node");
  const script = `${dir}/slow_build.ts`;
  await Deno.writeTextFile(
    script,
    `import { buildDataSet } from ${
      JSON.stringify(new URL("../build.ts", import.meta.url).href)
    };
import { Shop, Category, Product } from ${
      JSON.stringify(
        new URL("./testdata/build/models.ts", import.meta.url).href,
      )
    };
await buildDataSet(Shop, ${JSON.stringify(path)}, async (b) => {
  await b.loadRecords(Category, [{ code: "c", label: "C" }]);
  async function* forever() {
    for (let i = 0; ; i++) {
      if (i === 1000) console.log("building");
      yield { name: "p" + i, category: "c" };
      if (i % 1000 === 0) await new Promise((r) => setTimeout(r, 1));
    }
  }
  await b.loadRecords(Product, forever());
});
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      fileURLToPath(new URL("../deno.json", import.meta.url)),
      script,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("building")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  assert.match(seen, /building/, "the child started building");
  child.kill("SIGKILL");
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel();
  assert.equal(status.signal, "SIGKILL");
  assert.equal(await sha256(path), hash, "the previous file is intact");
  const left = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.ok(
    left.some((name) => /^\.shop\.sqlite\.[0-9a-f]{8}\.building$/.test(name)),
    `the killed build left its temporary file: ${left}`,
  );

  const db = freshDataSet("node");
  const { Category } = declareShop(db);
  await buildDataSet(
    db,
    path,
    (b) =>
      b.loadRecords(Category, [{ code: "new", label: "New" }]).then(() => {}),
  );
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    ["shop.sqlite", "slow_build.ts"],
  );
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  assert.deepEqual(
    (await Array.fromAsync(new Store(Category).search())).map((c) => c.code),
    ["new"],
  );
  await db.close();
});
