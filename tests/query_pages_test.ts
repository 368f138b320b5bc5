import assert from "node:assert/strict";
import fc from "fast-check";
import {
  blob,
  type DataSet,
  integer,
  type Page,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import {
  engineTest,
  freshDataSet,
  runScriptJson,
  tempDir,
} from "./_helpers.ts";
import type { EngineName, SQLValue } from "../src/_engine.ts";
import { orderBySql, ROWID } from "../src/_sql.ts";
import {
  explainSql,
  keysetSql,
  type KeysetTerm,
  pageSql,
} from "../src/_sql_lazy.ts";
import { RAW_SQL } from "../src/dataset.ts";

function declareItems(db: DataSet) {
  class Item extends db.Model("item", {
    id: integer({ primaryKey: true }),
    group: text({ nullable: true }),
    score: real({ nullable: true }),
    rank: integer(),
  }, { indexes: [["rank"]] }) {}
  return Item;
}

type ItemRow = { group: string | null; score: number | null; rank: number };

async function items(engine: EngineName, rows: readonly ItemRow[]) {
  const db = freshDataSet(engine);
  const Item = declareItems(db);
  await db.createAll();
  const store = new Store(Item);
  await store.createMany(rows.map((row) => ({ ...row })));
  return { db, Item, store };
}

const ROWS: ItemRow[] = Array.from({ length: 23 }, (_, i) => ({
  group: i % 4 === 0 ? null : ["x", "y", "z"][i % 3]!,
  score: i % 5 === 0 ? null : (i * 7) % 6,
  rank: i % 3,
}));

/** Every page of a query, following the tokens. */
async function allPages<T>(
  fetch: (after: string | undefined) => Promise<Page<T>>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | undefined;
  do {
    const page = await fetch(after);
    pages.push(page.rows);
    after = page.next;
  } while (after !== undefined);
  return pages;
}

engineTest(
  "Store.page() follows tokens through the rows in search() order, in the store's default order",
  async (engine) => {
    const { db, store } = await items(engine, ROWS);
    const pages = await allPages((after) =>
      store.page({}, { limit: 5, after })
    );
    assert.deepEqual(pages.map((page) => page.length), [5, 5, 5, 5, 3]);
    assert.deepEqual(
      pages.flat().map((row) => row.id),
      ROWS.map((_, i) => i + 1),
    );
    await db.close();
  },
);

engineTest(
  "Store.page() answers no next token on the last page, even when it is full",
  async (engine) => {
    const { db, store } = await items(engine, ROWS.slice(0, 4));
    const page = await store.page({}, { limit: 4 });
    assert.equal(page.rows.length, 4);
    assert.equal(page.next, undefined);
    const empty = await store.page({ rank: 99 });
    assert.deepEqual(empty, { rows: [], next: undefined });
    await db.close();
  },
);

engineTest(
  "Store.page() handles NULLs, ties and both directions like search() (property test)",
  async (engine) => {
    const row = fc.record({
      group: fc.option(fc.constantFrom("a", "b", "B", "é"), { nil: null }),
      score: fc.option(fc.constantFrom(-1, 0, 0.5, 2), { nil: null }),
      rank: fc.integer({ min: 0, max: 2 }),
    });
    const key = fc.constantFrom(
      "group",
      "-group",
      "score",
      "-score",
      "rank",
      "-rank",
      "id",
      "-id",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 30 }),
        fc.uniqueArray(key, {
          maxLength: 3,
          selector: (k) => k.replace("-", ""),
        }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom(undefined, { rank: 1 }, { group: { ne: null } }),
        async (rows, orderBy, limit, filter) => {
          const { db, store } = await items(engine, rows);
          try {
            const order = orderBy as (
              | "group"
              | "-group"
              | "score"
              | "-score"
              | "rank"
              | "-rank"
              | "id"
              | "-id"
            )[];
            const expected = await Array.fromAsync(
              store.search(filter, { orderBy: order }),
            );
            const pages = await allPages((after) =>
              store.page(filter, { orderBy: order, limit, after })
            );
            assert.deepEqual(
              pages.flat().map((item) => item.id),
              expected.map((item) => item.id),
            );
            for (const page of pages.slice(0, -1)) {
              assert.equal(page.length, limit);
            }
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  },
);

engineTest(
  "Store.page() refuses a token made for another order, filter or model with a TypeError",
  async (engine) => {
    const { db, store } = await items(engine, ROWS);
    const { next } = await store.page({ rank: 1 }, {
      orderBy: "score",
      limit: 2,
    });
    assert.ok(next !== undefined && /^[A-Za-z0-9_.-]+$/.test(next), next);
    const another = /another model, order or filter/;
    await assert.rejects(
      store.page({ rank: 1 }, { orderBy: "-score", after: next }),
      (error: Error) =>
        error instanceof TypeError && another.test(error.message),
    );
    await assert.rejects(
      store.page({ rank: 2 }, { orderBy: "score", after: next }),
      (error: Error) =>
        error instanceof TypeError && another.test(error.message),
    );
    class Other extends db.Model("other", {
      id: integer({ primaryKey: true }),
      group: text({ nullable: true }),
      score: real({ nullable: true }),
      rank: integer(),
    }) {}
    await db.createAll();
    await assert.rejects(
      new Store(Other).page({ rank: 1 }, { orderBy: "score", after: next }),
      (error: Error) =>
        error instanceof TypeError && another.test(error.message),
    );
    // The same query takes it, with any limit.
    const second = await store.page({ rank: 1 }, {
      orderBy: "score",
      limit: 3,
      after: next,
    });
    assert.equal(second.rows.length, 3);
    await db.close();
  },
);

engineTest(
  "Store.page() refuses a malformed or altered token with a TypeError",
  async (engine) => {
    const { db, store } = await items(engine, ROWS);
    const { next } = await store.page({}, { limit: 2 });
    assert.ok(next !== undefined);
    const [payload, sum] = next.split(".");
    const altered = `${payload!.slice(0, -1)}${
      payload!.endsWith("A") ? "B" : "A"
    }.${sum}`;
    for (
      const token of [
        altered,
        `${payload}.zz`,
        "",
        "abc",
        ".",
        "a.b.c",
        "%%.1",
        5,
      ]
    ) {
      await assert.rejects(
        store.page({}, { after: token as string }),
        (error: Error) =>
          error instanceof TypeError &&
          /^Invalid page token for item: /.test(error.message),
        String(token),
      );
    }
    await db.close();
  },
);

engineTest(
  "Store.page() refuses a zero limit and unknown options",
  async (engine) => {
    const { db, store } = await items(engine, ROWS);
    await assert.rejects(store.page({}, { limit: 0 }), RangeError);
    // @ts-expect-error: not an option
    await assert.rejects(store.page({}, { offset: 3 }), TypeError);
    await db.close();
  },
);

engineTest(
  "Store.page() tokens work across connections and engines on the same file",
  async (engine) => {
    const other: EngineName = engine === "ffi" ? "node" : "ffi";
    const path = `${await tempDir({
      prefix: "microcosm_pages_",
    })}/items.sqlite`;
    const writer = freshDataSet(engine, { writable: true });
    writer.bind(new SQLiteBindFactory({ paths: { [writer.name]: path } }));
    const Written = declareItems(writer);
    await writer.createAll();
    await new Store(Written).createMany(ROWS.map((row) => ({ ...row })));
    const first = await new Store(Written).page({}, {
      orderBy: ["-group", "score"],
      limit: 4,
    });
    await writer.close();
    const reader = freshDataSet(other);
    reader.bind(new SQLiteBindFactory({ paths: { [reader.name]: path } }));
    const store = new Store(declareItems(reader));
    const second = await store.page({}, {
      orderBy: ["-group", "score"],
      limit: 4,
      after: first.next,
    });
    const all = await Array.fromAsync(
      store.search({}, { orderBy: ["-group", "score"], limit: 8 }),
    );
    assert.deepEqual(
      [...first.rows, ...second.rows].map((row) => row.id),
      all.map((row) => row.id),
    );
    await reader.close();
  },
);

engineTest(
  "Store.page() pages a table without a primary key by rowid, and blob keys",
  async (engine) => {
    const db = freshDataSet(engine);
    class Log extends db.Model("log", { key: blob(), line: text() }) {}
    await db.createAll();
    const store = new Store(Log);
    const rows = [3, 1, 3, 2, 1].map((n, i) => ({
      key: new Uint8Array([n]),
      line: `l${i}`,
    }));
    await store.createMany(rows);
    const pages = await allPages((after) =>
      store.page({}, { orderBy: "key", limit: 2, after })
    );
    assert.deepEqual(pages.flat().map((row) => row.line), [
      "l1",
      "l4",
      "l3",
      "l0",
      "l2",
    ]);
    await db.close();
  },
);

engineTest(
  "Store.page() deep pages seek an index for every condition, ties included",
  async (engine) => {
    const { db } = await items(engine, ROWS);
    const plans = async (terms: KeysetTerm[], values: SQLValue[]) => {
      const order = orderBySql(terms.map((term) => ({
        column: term.sql === ROWID ? ROWID : term.sql.slice(1, -1),
        descending: term.descending,
      })));
      const result: string[] = [];
      for (const arm of keysetSql(terms, values)) {
        const sql = pageSql("item", "id", ` WHERE ${arm.sql}`, order);
        const rows = await Array.fromAsync(
          db[RAW_SQL](explainSql(sql), [...arm.params, 3]),
        );
        result.push(rows.map((row) => String(row.detail)).join("; "));
      }
      return result;
    };
    const rank = { sql: '"rank"', nullable: false };
    const id = { sql: '"id"', nullable: false };
    // The rows tying on rank come from a seek to (rank, rowid), not a walk
    // through every tie; then the rest of the index, in either direction.
    for (const descending of [false, true]) {
      const [ties, rest] = await plans(
        [{ ...rank, descending }, { ...id, descending: false }],
        [1, 7],
      );
      assert.match(
        ties!,
        /^SEARCH item USING (COVERING )?INDEX item_rank_idx \(rank=\? AND rowid>\?\)$/,
      );
      assert.match(
        rest!,
        descending
          ? /^SEARCH item USING (COVERING )?INDEX item_rank_idx \(rank<\?\)(; USE TEMP B-TREE FOR (RIGHT PART|LAST TERM) OF ORDER BY)?$/
          : /^SEARCH item USING (COVERING )?INDEX item_rank_idx \(rank>\?\)$/,
      );
    }
    // The primary key alone: a rowid seek.
    assert.deepEqual(await plans([{ ...id, descending: false }], [7]), [
      "SEARCH item USING INTEGER PRIMARY KEY (rowid>?)",
    ]);
    await db.close();
  },
);

engineTest(
  "Store.page() takes a token made by another process on the same file",
  async (engine) => {
    const other: EngineName = engine === "ffi" ? "node" : "ffi";
    const path = `${await tempDir({
      prefix: "microcosm_pages_",
    })}/items.sqlite`;
    const writer = freshDataSet(engine, { writable: true });
    writer.bind(new SQLiteBindFactory({ paths: { [writer.name]: path } }));
    const Written = declareItems(writer);
    await writer.createAll();
    await new Store(Written).createMany(ROWS.map((row) => ({ ...row })));
    await writer.close();
    const mod = new URL("../mod.ts", import.meta.url).href;
    const { next } = await runScriptJson(
      ["--allow-read", "--allow-ffi"],
      `import { DataSet, integer, real, SQLiteBindFactory, Store, text } from ${
        JSON.stringify(mod)
      };
const db = DataSet.create("items", { engine: ${JSON.stringify(other)} });
db.bind(new SQLiteBindFactory({ paths: { items: ${JSON.stringify(path)} } }));
class Item extends db.Model("item", {
  id: integer({ primaryKey: true }),
  group: text({ nullable: true }),
  score: real({ nullable: true }),
  rank: integer(),
}, { indexes: [["rank"]] }) {}
const page = await new Store(Item).page({ rank: { gte: 1 } }, { orderBy: "-score", limit: 3 });
console.log(JSON.stringify({ next: page.next }));
await db.close();`,
    );
    const reader = freshDataSet(engine);
    reader.bind(new SQLiteBindFactory({ paths: { [reader.name]: path } }));
    const store = new Store(declareItems(reader));
    const second = await store.page({ rank: { gte: 1 } }, {
      orderBy: "-score",
      limit: 3,
      after: next,
    });
    const all = await Array.fromAsync(
      store.search({ rank: { gte: 1 } }, { orderBy: "-score", limit: 6 }),
    );
    assert.deepEqual(
      second.rows.map((row) => row.id),
      all.slice(3).map((row) => row.id),
    );
    await reader.close();
  },
);
