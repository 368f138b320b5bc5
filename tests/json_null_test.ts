/**
 * SQL NULL and the JSON value `null` in a `json()` column: JavaScript has
 * one `null`, so both read as `null`, and every other path treats them as
 * that one value: filters find both, facets count them as one value, a
 * NOT NULL column stores a written `null` as the JSON text `null`, and the
 * dumpers and loaders carry it through a rebuild.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import {
  type DataSet,
  dumpCsv,
  dumpJsonLines,
  integer,
  json,
  Store,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import {
  engineTest,
  freshDataSet,
  openFile,
  sqliteFile,
  tempDir,
} from "./_helpers.ts";

function declareDocs(db: DataSet) {
  class Doc extends db.Model("doc", {
    id: integer({ primaryKey: true }),
    data: json({ nullable: true }),
    body: json(),
  }) {}
  return Doc;
}

/**
 * A file written by another tool: SQL NULL (1), the JSON text `null` (2,
 * and 4 with spaces around it), and a JSON object (3).
 */
async function docsFile(engine: EngineName) {
  const path = await sqliteFile(
    "create table doc (id integer primary key, data json, body json not null);" +
      "insert into doc values (1, null, '[1]');" +
      "insert into doc values (2, 'null', 'null');" +
      `insert into doc values (3, '{"a":1}', '[]');` +
      "insert into doc values (4, ' null ', ' null');",
  );
  const db = openFile(engine, path);
  const Doc = declareDocs(db);
  return { db, store: new Store(Doc) };
}

engineTest(
  "a json() filter on null finds SQL NULL and the JSON null alike",
  async (engine) => {
    const { db, store } = await docsFile(engine);
    try {
      const rows = await Array.fromAsync(store.search());
      assert.deepEqual(rows.map((row) => row.data), [
        null,
        null,
        { a: 1 },
        null,
      ]);
      const ids = async (filter: object): Promise<number[]> =>
        (await Array.fromAsync(store.search(filter as never))).map((row) =>
          row.id
        );
      assert.deepEqual(await ids({ data: null }), [1, 2, 4]);
      assert.deepEqual(await ids({ data: { eq: null } }), [1, 2, 4]);
      assert.deepEqual(await ids({ data: { ne: null } }), [3]);
      assert.deepEqual(await ids({ body: null }), [2, 4]);
      assert.deepEqual(await ids({ data: { in: [null, { a: 1 }] } }), [
        1,
        2,
        3,
        4,
      ]);
      assert.deepEqual(await ids({ data: { notIn: [null] } }), [3]);
      assert.equal(await store.count({ data: null }), 3);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "countBy() and distinct() of a json() column count null once",
  async (engine) => {
    const { db, store } = await docsFile(engine);
    try {
      assert.deepEqual(await store.countBy("data"), [
        { value: null, count: 3 },
        { value: { a: 1 }, count: 1 },
      ]);
      assert.deepEqual(await store.distinct("data"), [null, { a: 1 }]);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "a NOT NULL json() column stores a written null as the JSON null",
  async (engine) => {
    const db = freshDataSet(engine);
    const Doc = declareDocs(db);
    await db.createAll();
    const store = new Store(Doc);
    try {
      await store.create({ id: 1, data: null, body: null });
      assert.deepEqual({ ...await store.retrieve(1) }, {
        id: 1,
        data: null,
        body: null,
      });
      const [stored] = await Array.fromAsync(
        db.sql<{ data: string | null; body: string }>`
          select data, body from doc`,
      );
      assert.deepEqual(stored, { data: null, body: "null" });
      assert.equal(await store.count({ body: null }), 1);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "json() nulls survive a dump and a rebuild, as CSV and as JSON Lines",
  async (engine, t) => {
    const { db, store } = await docsFile(engine);
    const dir = await tempDir({ prefix: "microcosm_json_null_" });
    try {
      const plain = (row: object) => ({ ...row });
      const rows = (await Array.fromAsync(store.search())).map(plain);
      for (const format of ["csv", "jsonl"] as const) {
        await t.step(format, async () => {
          const source = `${dir}/docs.${format}`;
          const Doc = store.model;
          await Deno.writeFile(
            source,
            format === "csv"
              ? dumpCsv(store.search(), { model: Doc })
              : dumpJsonLines(store.search(), { model: Doc }),
          );
          const target = freshDataSet(engine);
          const Rebuilt = declareDocs(target);
          const path = `${dir}/docs_${format}.sqlite`;
          await buildDataSet(target, path, async (build) => {
            if (format === "csv") await build.loadCsv(Rebuilt, source);
            else await build.loadJsonLines(Rebuilt, source);
          });
          const reopened = openFile(engine, path);
          try {
            const again = new Store(declareDocs(reopened));
            assert.deepEqual(
              (await Array.fromAsync(again.search())).map(plain),
              rows,
            );
            assert.equal(await again.count({ data: null }), 3);
          } finally {
            await reopened.close();
          }
        });
      }
    } finally {
      await db.close();
    }
  },
);
