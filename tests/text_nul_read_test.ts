// Reading text with an embedded NUL (issue 11 §2): node:sqlite returns text
// only up to its first NUL, so the node engine refuses such a cell with a
// DataSetError naming it, where the FFI engine returns it whole. No read
// ever returns a shortened string.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  any,
  DataSetError,
  integer,
  json,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import { engineTest, freshDataSet, tempDir } from "./_helpers.ts";

/**
 * Rows 1-3 hold a NUL at the start, middle and end of `s` (a text()
 * column), 4-6 of `j` (json(): the cut text of rows 5 and 6 is valid
 * JSON), 7-9 of `a` (any()); row 10 holds none, row 11 a BLOB with zero
 * bytes in `a`.
 */
const ROWS: [number, string, string, unknown][] = [
  [1, "s", "\0ab", null],
  [2, "s", "a\0b", null],
  [3, "s", "ab\0", null],
  [4, "j", "\0[1]", null],
  [5, "j", "[1]\0[2]", null],
  [6, "j", "[1]\0", null],
  [7, "a", "\0ab", null],
  [8, "a", "a\0b", null],
  [9, "a", "ab\0", null],
];

function hex(text: string): string {
  return Array.from(
    new TextEncoder().encode(text),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A file written by another tool (here node:sqlite with raw SQL). */
async function shippedFile(): Promise<string> {
  const dir = await tempDir({ prefix: "microcosm_nul_" });
  const path = `${dir}/nul.sqlite`;
  const db = new DatabaseSync(path);
  try {
    db.exec(
      `create table t (id integer primary key, s text, j text, a);` +
        ROWS.map(([id, column, value]) =>
          `insert into t (id, ${column}) values (${id}, cast(x'${
            hex(value)
          }' as text));`
        ).join("") +
        `insert into t values (10, 'plain', '{"k":"v"}', 'x');
         insert into t (id, a) values (11, x'00ff00');`,
    );
  } finally {
    db.close();
  }
  return path;
}

function shipped(
  engine: EngineName,
  source: string | Uint8Array,
  options: { immutable?: boolean } = {},
) {
  const db = freshDataSet(engine, options);
  db.bind(
    typeof source === "string"
      ? new SQLiteBindFactory({ paths: { [db.name]: source } })
      : new SQLiteBindFactory().set(db.name, source),
  );
  return db;
}

function declare(db: ReturnType<typeof shipped>) {
  return class T extends db.Model("t", {
    id: integer({ primaryKey: true }),
    s: text({ nullable: true }),
    j: json({ nullable: true }),
    a: any({ nullable: true }),
  }) {};
}

/** The node engine's refusal of `column` in row `id`. */
function refusal(column: string, id: number, table = "t") {
  return (error: Error): boolean =>
    error instanceof DataSetError &&
    error.message.includes(`${table}.${column} in the row id = ${id}:`) &&
    /text with a NUL character/.test(error.message) &&
    /node:sqlite/.test(error.message) &&
    /ffi engine/.test(error.message);
}

engineTest(
  "Store reads of text with a NUL at the start, middle or end return it whole (FFI) or refuse the cell (node), never cut",
  async (engine) => {
    const db = shipped(engine, await shippedFile());
    await using _ = db;
    const T = declare(db);
    const store = new Store(T);
    for (const [id, column, value] of ROWS) {
      const expected = column === "j" ? undefined : value;
      const reads = [
        () => store.retrieve(id),
        () => store.one({ id }),
        () => store.first({ id }),
        async () => (await Array.fromAsync(store.search({ id })))[0]!,
      ];
      for (const read of reads) {
        if (engine === "node") {
          await assert.rejects(read(), refusal(column, id));
          continue;
        }
        if (column === "j") {
          // Not valid JSON whole: the kinds rule refuses it, on FFI too.
          await assert.rejects(read(), DataSetError);
        } else {
          const row = (await read()) as unknown as Record<string, unknown>;
          assert.equal(row[column], expected, `${column} of row ${id}`);
        }
      }
    }
    // Rows without NUL text read on both engines, a BLOB with zero bytes
    // in an any() column included.
    assert.deepEqual({ ...(await store.retrieve(10)) }, {
      id: 10,
      s: "plain",
      j: { k: "v" },
      a: "x",
    });
    assert.deepEqual((await store.retrieve(11)).a, new Uint8Array([0, 255, 0]));
    // A scan stops at the first such row, with the error, on node only.
    const scan = Array.fromAsync(store.search({}, { orderBy: "-id" }));
    if (engine === "node") {
      await assert.rejects(scan, refusal("a", 9));
    } else {
      await assert.rejects(scan, DataSetError); // row 6's JSON, read whole
    }
  },
);

engineTest(
  "Raw sql reads of text with a NUL return it whole (FFI) or fail naming the column (node), never cut",
  async (engine) => {
    const db = shipped(engine, await shippedFile());
    await using _ = db;
    const queries = [
      (id: number) => db.sql`select * from t where id = ${id}`,
      (id: number) =>
        db.sql`with r as (select * from t) select id, s, j, a from r where id = ${id};`,
      // Repeated result names (a join) are checked too.
      (id: number) =>
        db.sql`select t.id, t.s, t.j, t.a, u.id from t join t as u using (id) where t.id = ${id} -- trailing comment`,
    ];
    for (const [id, column, value] of ROWS) {
      for (const query of queries) {
        const rows = Array.fromAsync(query(id));
        if (engine === "node") {
          await assert.rejects(
            rows,
            (error: Error) =>
              error instanceof DataSetError &&
              error.message.includes(`column "${column}" of row 1 holds`) &&
              /NUL character/.test(error.message),
          );
        } else {
          assert.equal((await rows)[0]![column], value);
        }
      }
    }
    // Clean rows and zero bytes in a BLOB read as before on both engines.
    for (const query of queries) {
      const [plain] = await Array.fromAsync(query(10));
      assert.equal(plain!.s, "plain");
      const [bytes] = await Array.fromAsync(query(11));
      assert.deepEqual(bytes!.a, new Uint8Array([0, 255, 0]));
    }
    // The names and order of result columns are the query's own.
    const [row] = await Array.fromAsync(
      db.sql`select 1 as "b", 2 as "A", a as "x:1" from t where id = 10`,
    );
    assert.deepEqual(Object.keys(row!), ["b", "A", "x:1"]);
    assert.deepEqual(
      await Array.fromAsync(db.sql`select 1 as v, 2 as V`),
      [{ v: 1, V: 2 }],
    );
    assert.deepEqual(
      (await Array.fromAsync(db.sql`select id from t order by id desc`)).map((
        r,
      ) => r.id),
      [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
    );
  },
);

engineTest(
  "Store.create() returns a default text holding a NUL whole (FFI) or refuses it (node), never cut",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    for await (
      const _ of db
        .sql`create table d (id integer primary key, s text not null default (char(0) || 'x'))`
    );
    class D extends db.Model("d", {
      id: integer({ primaryKey: true }),
      s: text({ nullable: true }),
    }) {}
    const store = new Store(D);
    if (engine === "ffi") {
      assert.equal((await store.create({})).s, "\0x");
    } else {
      await assert.rejects(store.create({}), refusal("s", 1, "d"));
    }
    // The row was written; only its text is refused on node.
    assert.equal(await store.count(), 1);
  },
);

engineTest(
  "What raw sql cannot check on node:sqlite: a write's RETURNING text is returned cut (pinned)",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    for await (
      const _ of db.sql`create table d (id integer primary key, s text)`
    );
    for await (
      const _ of db.sql`insert into d values (1, 'a' || char(0) || 'b')`
    );
    // A write cannot be read as a subquery, so its result is not checked:
    // node:sqlite returns the text cut at the NUL (README, "Text and NUL").
    const rows = await Array.fromAsync(
      db.sql`update d set id = id returning s`,
    );
    assert.deepEqual(rows, [{ s: engine === "ffi" ? "a\0b" : "a" }]);
    // A query reads it through the check.
    const read = Array.fromAsync(db.sql`select s from d`);
    if (engine === "ffi") assert.deepEqual(await read, [{ s: "a\0b" }]);
    else await assert.rejects(read, DataSetError);
  },
);

engineTest(
  "Files that may change and images of bytes are checked as well, and a file replaced by rename is checked again",
  async (engine) => {
    const path = await shippedFile();
    const clean = `${path}.clean`;
    {
      const db = new DatabaseSync(clean);
      db.exec(`create table t (id integer primary key, s text, j text, a);
        insert into t values (2, 'ab', '[1]', 'x');`);
      db.close();
    }
    const sources: [string, string | Uint8Array, { immutable?: boolean }][] = [
      ["immutable: false", path, { immutable: false }],
      ["bytes", await Deno.readFile(path), {}],
    ];
    for (const [label, source, options] of sources) {
      const db = shipped(engine, source, options);
      await using _ = db;
      const read = new Store(declare(db)).retrieve(2);
      if (engine === "node") await assert.rejects(read, refusal("s", 2), label);
      else assert.equal((await read).s, "a\0b", label);
    }
    // Read clean (the table holds no NUL text), then replaced by rename
    // with a version that does: reopened, the new file is checked.
    const target = `${path}.served`;
    await Deno.copyFile(clean, target);
    const db = shipped(engine, target);
    await using _ = db;
    const T = declare(db);
    assert.equal((await new Store(T).retrieve(2)).s, "ab");
    await db.close();
    await Deno.copyFile(path, `${target}.new`);
    await Deno.rename(`${target}.new`, target);
    const read = new Store(T).retrieve(2);
    if (engine === "node") await assert.rejects(read, refusal("s", 2));
    else assert.equal((await read).s, "a\0b");
  },
);
