// Review of the merged read paths (issues 10-12): wrong answers and
// crashes found where branches written in parallel met, each pinned on
// both engines.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  DataSetError,
  datetime,
  integer,
  QueryError,
  real,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet, openFile, sqliteFile } from "./_helpers.ts";

engineTest(
  "Store reads a STRICT table recreated non-STRICT under immutable: false by its stored values",
  async (engine) => {
    const path = await sqliteFile(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL) STRICT;" +
        "INSERT INTO t VALUES (1, 5);",
    );
    const db = openFile(engine, path, { immutable: false });
    try {
      class T extends db.Model("t", {
        id: integer({ primaryKey: true }),
        n: integer(),
      }) {}
      const store = new Store(T);
      assert.deepEqual((await store.one({ id: 1 })).n, 5);
      // Another process rewrites the table, as immutable: false allows.
      const writer = new DatabaseSync(path);
      try {
        writer.exec(
          "DROP TABLE t; CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);" +
            "INSERT INTO t VALUES (1, '12abc');",
        );
      } finally {
        writer.close();
      }
      await assert.rejects(store.one({ id: 1 }), DataSetError);
      await assert.rejects(store.search().next(), DataSetError);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Store.sum() and avg() refuse a cell the model's kind cannot read, as a row read does",
  async (engine, t) => {
    const path = await sqliteFile(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, r REAL);" +
        "INSERT INTO t VALUES (1, 5, 1.5), (2, '12abc', 'x'), (3, 2.5, X'01');",
    );
    const db = openFile(engine, path);
    try {
      class T extends db.Model("t", {
        id: integer({ primaryKey: true }),
        n: integer({ nullable: true }),
        r: real({ nullable: true }),
      }) {}
      const store = new Store(T);
      await assert.rejects(store.search({ id: 2 }).next(), DataSetError);
      for (const id of [2, 3]) {
        await t.step(`row ${id}`, async () => {
          await assert.rejects(store.sum("n", { id }), DataSetError);
          await assert.rejects(store.avg("n", { id }), DataSetError);
          await assert.rejects(store.sum("r", { id }), DataSetError);
          await assert.rejects(store.avg("r", { id }), DataSetError);
        });
      }
      assert.equal(await store.sum("n", { id: 1 }), 5);
      assert.equal(await store.avg("r", { id: 1 }), 1.5);
      assert.equal(await store.sum("n", { id: 9 }), 0);
      assert.equal(await store.avg("n", { id: 9 }), undefined);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Store.select() never yields text cut at a NUL written while it streams",
  async (engine) => {
    const db = freshDataSet(engine);
    try {
      class T extends db.Model("t", {
        id: integer({ primaryKey: true }),
        s: text(),
      }) {}
      await db.createAll();
      const store = new Store(T);
      await store.createMany([{ s: "a" }, { s: "b" }]);
      const rows = store.select(["id", "s"], {}, { orderBy: "id" });
      assert.deepEqual((await rows.next()).value, { id: 1, s: "a" });
      // A write on the same dataset while the projection is mid-stream.
      await Array.fromAsync(
        db.sql`UPDATE t SET s = 'x' || char(0) || 'y' WHERE id = 2`,
      );
      if (engine === "ffi") {
        assert.deepEqual((await rows.next()).value, { id: 2, s: "x\0y" });
      } else {
        await assert.rejects(rows.next(), DataSetError);
      }
      await rows.return();
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Store.countBy() and distinct() take one instant written in several forms as one value",
  async (engine) => {
    const path = await sqliteFile(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT);" +
        "INSERT INTO t VALUES (1, '2024-01-01T00:00:00Z')," +
        " (2, '2024-01-01 00:00:00'), (3, '2024-01-01'), (4, '2023-05-01')," +
        " (5, NULL);",
    );
    const db = openFile(engine, path);
    try {
      class T extends db.Model("t", {
        id: integer({ primaryKey: true }),
        at: datetime({ nullable: true }),
      }) {}
      const store = new Store(T);
      const day = new Date("2024-01-01T00:00:00Z");
      const before = new Date("2023-05-01T00:00:00Z");
      assert.equal(await store.count({ at: day }), 3);
      assert.deepEqual(await store.countBy("at"), [
        { value: day, count: 3 },
        { value: null, count: 1 },
        { value: before, count: 1 },
      ]);
      assert.deepEqual(await store.distinct("at"), [null, before, day]);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Store.match() refuses a highlight or snippet mark holding a NUL, which FTS5 would cut",
  async (engine, t) => {
    const db = freshDataSet(engine);
    try {
      class C extends db.Model("c", {
        id: integer({ primaryKey: true }),
        name: text(),
      }, { search: { columns: ["name"] } }) {}
      await db.createAll();
      const store = new Store(C);
      await store.create({ name: "Paris" });
      const cases = [
        { highlight: { before: "<\0b>" } },
        { highlight: { after: "</b>\0" } },
        { snippet: { before: "\0" } },
        { snippet: { ellipsis: ".\0." } },
      ];
      for (const options of cases) {
        await t.step(JSON.stringify(options), async () => {
          await assert.rejects(
            Array.fromAsync(store.match("paris", options)),
            (error: Error) =>
              error instanceof TypeError && /NUL/.test(error.message),
          );
        });
      }
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Text operators compare the whole text, past a NUL",
  async (engine, t) => {
    const db = freshDataSet(engine);
    try {
      class T extends db.Model("t", {
        id: integer({ primaryKey: true }),
        s: text(),
      }) {}
      await db.createAll();
      // 1: "a\0b", 2: "xa", 3: "ab\0"
      await Array.fromAsync(
        db.sql`INSERT INTO t (s) VALUES ('a' || char(0) || 'b'), ('xa'), ('ab' || char(0))`,
      );
      const store = new Store(T);
      const cases: [Record<string, string>, number[]][] = [
        [{ endsWith: "a" }, [2]],
        [{ endsWith: "b" }, [1]],
        [{ endsWith: "\0b" }, [1]],
        [{ endsWith: "\0" }, [3]],
        [{ startsWith: "a\0" }, [1]],
        [{ startsWith: "a\0b" }, [1]],
        [{ startsWith: "ab" }, [3]],
        [{ startsWith: "ab\0" }, [3]],
        [{ contains: "\0b" }, [1]],
        [{ contains: "b\0" }, [3]],
      ];
      for (const [operator, ids] of cases) {
        await t.step(JSON.stringify(operator), async () => {
          const filter = { s: operator };
          assert.equal(await store.count(filter), ids.length);
          if (engine === "ffi") {
            const rows = await Array.fromAsync(store.search(filter));
            assert.deepEqual(rows.map((row) => row.id), ids);
          }
        });
      }
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Store.match() refuses a raw query holding a NUL, which FTS5 would read cut",
  async (engine) => {
    const db = freshDataSet(engine);
    try {
      class C extends db.Model("c", {
        id: integer({ primaryKey: true }),
        name: text(),
      }, { search: { columns: ["name"] } }) {}
      await db.createAll();
      const store = new Store(C);
      await store.createMany([{ name: "Paris" }, { name: "Lyon" }]);
      await assert.rejects(
        Array.fromAsync(store.match("paris\0zzz", { raw: true })),
        (error: Error) =>
          error instanceof QueryError && /paris\\u0000zzz/.test(error.message),
      );
      // Plain text takes a NUL as a space between terms.
      assert.deepEqual(await Array.fromAsync(store.match("paris\0zzz")), []);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "A model without a primary key cannot declare a column that hides the rowid",
  async (engine) => {
    const path = await sqliteFile(
      "CREATE TABLE t (rowid INTEGER, name TEXT);" +
        "INSERT INTO t VALUES (1, 'a'), (1, 'b'), (1, 'c'), (1, 'd'), (1, 'e');",
    );
    const db = openFile(engine, path);
    try {
      // Paged by the rowid, such a model returned 2 of these 5 rows.
      assert.throws(
        () => db.Model("t", { rowid: integer(), name: text() }),
        (error: Error) =>
          error instanceof TypeError && /"rowid" hides/.test(error.message),
      );
      assert.throws(
        () =>
          db.Model("u", {
            id: integer({ primaryKey: true }),
            RowId: real(),
            lon: real(),
          }, { geo: { lat: "RowId", lon: "lon" } }),
        (error: Error) =>
          error instanceof TypeError && /geo index/.test(error.message),
      );
      // With a primary key the rowid orders nothing: every row is paged.
      class T extends db.Model("t", {
        rowid: integer(),
        name: text({ primaryKey: true }),
      }) {}
      const store = new Store(T);
      const names: string[] = [];
      let after: string | undefined;
      do {
        const page = await store.page({}, {
          limit: 2,
          ...(after === undefined ? {} : { after }),
        });
        names.push(...page.rows.map((row) => row.name));
        after = page.next;
      } while (after !== undefined);
      assert.deepEqual(names, ["a", "b", "c", "d", "e"]);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "Store.sum() of an integer() property over a STRICT REAL column refuses a fraction",
  async (engine) => {
    const path = await sqliteFile(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n REAL, k INTEGER) STRICT;" +
        "INSERT INTO t VALUES (1, 2.5, 1), (2, 2.5, 2);",
    );
    const db = openFile(engine, path);
    try {
      class T extends db.Model("t", {
        id: integer({ primaryKey: true }),
        n: integer(),
        k: integer(),
      }) {}
      const store = new Store(T);
      // 2.5 + 2.5 is integral, but neither cell is an integer.
      await assert.rejects(store.sum("n"), DataSetError);
      await assert.rejects(store.avg("n"), DataSetError);
      assert.equal(await store.sum("k"), 3);
      assert.equal(await store.avg("k"), 1.5);
    } finally {
      await db.close();
    }
  },
);
