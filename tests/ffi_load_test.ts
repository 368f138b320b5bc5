/**
 * The FFI engine's share of the cold start (issue 15): what its load binds,
 * and the one scratch buffer every text passed to SQLite goes through (file
 * names, SQL, text parameters), at every size. What goes through it is
 * checked on both engines; the binding is FFI-only.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Connection, Engine, EngineName } from "../src/_engine.ts";
import { loadFfiEngine, symbolLists } from "../src/_ffi.ts";
import { loadNodeEngine } from "../src/_node.ts";
import { integer, Store, text } from "../mod.ts";
import {
  engineTest,
  openFile,
  peopleFile,
  runScriptJson,
  tempDir,
} from "./_helpers.ts";

async function engineOf(name: EngineName): Promise<Engine> {
  return name === "ffi" ? loadFfiEngine() : await loadNodeEngine();
}

async function memory(name: EngineName): Promise<Connection> {
  return (await engineOf(name)).open({
    path: ":memory:",
    readOnly: false,
    immutable: false,
    create: true,
  });
}

/** Steps `sql` with `params` to its first row and reads column 0. */
function first(db: Connection, sql: string, params: string[] = []): unknown {
  const statement = db.prepare(sql);
  try {
    statement.bind(params);
    assert.equal(statement.step(), true);
    return statement.column(0);
  } finally {
    statement.finalize();
  }
}

/**
 * Text of about `chars` characters: within the 4 KiB scratch buffer, past
 * it (the buffer grows to 1 MiB once) or past 1 MiB (encoded on its own).
 */
const SIZES = [10, 1_364, 1_366, 5_000, 349_000, 400_000];

Deno.test("the FFI engine binds at load and binds later every declared symbol, each once", () => {
  const { declared, atLoad, later } = symbolLists();
  assert.deepEqual([...atLoad, ...later].sort(), [...declared].sort());
  assert.equal(new Set([...atLoad, ...later]).size, declared.length);
  // At load, in declaration order (the order of a "missing symbols" error).
  assert.deepEqual(atLoad, declared.filter((name) => atLoad.includes(name)));
});

engineTest(
  "SQL of every size prepares whole, non-ASCII included, and the last byte counts",
  async (engine) => {
    const db = await memory(engine);
    try {
      for (const size of SIZES) {
        const body = "é".repeat(size);
        // The statement's last characters decide the result: a cut would
        // fail to prepare or answer another value.
        const sql = `select length('${body}') + 1`;
        assert.equal(first(db, sql), size + 1, `${size} characters`);
      }
      // A short statement after a large one reads none of the large one's
      // bytes left in the buffer.
      assert.equal(first(db, "select 7"), 7);
      assert.equal(first(db, "select 'ab'"), "ab");
    } finally {
      db.close();
    }
  },
);

engineTest(
  "ASCII text around the copy loop's limit, and text whose one non-ASCII character comes last, pass whole",
  async (engine) => {
    const db = await memory(engine);
    try {
      // 1,024 ASCII characters are copied by a loop, 1,025 encoded; a
      // non-ASCII character ends the loop after it wrote the text before.
      const values = [
        "",
        "k",
        "x".repeat(1_023),
        "y".repeat(1_024),
        "z".repeat(1_025),
        `${"a".repeat(1_023)}é`,
        `${"b".repeat(500)}\u{1F600}`,
        "c".repeat(5_000),
        "d".repeat(400_000),
        "short",
      ];
      for (const value of values) {
        const label = `${value.length} characters`;
        // As a parameter, and inside the SQL text itself.
        assert.equal(first(db, "select ?", [value]), value, label);
        assert.equal(first(db, `select '${value}'`), value, label);
        assert.equal(
          first(db, `select length('${value}') || ':' || ?`, [value]),
          `${[...value].length}:${value}`,
          label,
        );
      }
    } finally {
      db.close();
    }
  },
);

Deno.test("a cold retrieve() on FFI makes no TextEncoder: its file name and SQL are ASCII", async () => {
  const path = await peopleFile("ffi");
  const mod = new URL("../mod.ts", import.meta.url).href;
  const result = await runScriptJson(
    ["--allow-read", "--allow-ffi", "--allow-env"],
    `
    let made = 0;
    const Original = globalThis.TextEncoder;
    globalThis.TextEncoder = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    const { DataSet, integer, SQLiteBindFactory, Store, text } = await import(${
      JSON.stringify(mod)
    });
    const db = DataSet.create("encoders", { engine: "ffi" });
    db.bind(new SQLiteBindFactory({ paths: { encoders: ${
      JSON.stringify(path)
    } } }));
    class Person extends db.Model("person", {
      id: integer({ primaryKey: true }),
      first: text(),
    }) {}
    const first = (await new Store(Person).retrieve(1)).first;
    const cold = made;
    const rows = [];
    for await (const row of db.sql\`SELECT id FROM person WHERE first = \${"Zoë"} OR first = \${"John"}\`) {
      rows.push(row.id);
    }
    await db.close();
    console.log(JSON.stringify({ first, cold, rows, after: made }));
    `,
  );
  // Text that is not ASCII makes the encoder, once.
  assert.deepEqual(result, { first: "George", cold: 0, rows: [2], after: 1 });
});

engineTest(
  "text of every short length reads back whole, ASCII or not",
  async (engine) => {
    const db = await memory(engine);
    try {
      db.exec("create table t (id integer primary key, x text)");
      const values: string[] = [];
      for (let length = 0; length <= 20; length++) {
        // Each character distinct, so a byte read from the wrong place shows.
        const ascii = Array.from(
          { length },
          (_, i) => String.fromCharCode(65 + i),
        ).join("");
        values.push(ascii, `${ascii.slice(1)}é`.slice(0, length));
      }
      const insert = db.prepare("insert into t (x) values (?)");
      for (const value of values) {
        insert.bind([value]);
        insert.step();
      }
      insert.finalize();
      const read = db.prepare("select x from t order by id");
      read.bind([]);
      const got: unknown[] = [];
      while (read.step()) got.push(read.column(0));
      read.finalize();
      assert.deepEqual(got, values);
    } finally {
      db.close();
    }
  },
);

engineTest(
  "trailing comments after SQL of any size are allowed",
  async (engine) => {
    const db = await memory(engine);
    try {
      for (const size of SIZES) {
        const statement = db.prepare(
          `select '${"ü".repeat(size)}'; -- done ü\n ;  `,
        );
        statement.bind([]);
        assert.equal(statement.step(), true);
        assert.equal((statement.column(0) as string).length, size);
        statement.finalize();
      }
      assert.equal(db.liveStatements, 0);
    } finally {
      db.close();
    }
  },
);

Deno.test("the FFI engine refuses a second statement after SQL of any size, and keeps no statement", async () => {
  // (node:sqlite refuses it too, with its own message, at the dataset.)
  const db = await memory("ffi");
  try {
    for (const size of SIZES) {
      assert.throws(
        () => db.prepare(`select '${"ü".repeat(size)}'; select 2`),
        { message: /more than one statement/ },
        `${size} characters`,
      );
    }
    assert.equal(db.liveStatements, 0);
  } finally {
    db.close();
  }
});

engineTest(
  "text parameters bind whole after SQL of any size used the buffer",
  async (engine) => {
    const db = await memory(engine);
    try {
      for (const size of SIZES) {
        const value = `${"€".repeat(size)}!`;
        const sql = `select ? || '${"a".repeat(size)}', ?`;
        const statement = db.prepare(sql);
        statement.bind([value, "short"]);
        assert.equal(statement.step(), true);
        assert.equal(statement.column(0), value + "a".repeat(size));
        assert.equal(statement.column(1), "short");
        statement.finalize();
      }
    } finally {
      db.close();
    }
  },
);

engineTest(
  "exec runs SQL of every size whole, and its errors keep SQLite's message",
  async (engine) => {
    const db = await memory(engine);
    try {
      db.exec("create table t (x text)");
      for (const size of SIZES) {
        db.exec(`insert into t values ('${"ß".repeat(size)}')`);
      }
      assert.deepEqual(
        first(db, "select group_concat(length(x)) from t"),
        SIZES.join(","),
      );
      assert.throws(
        () => db.exec(`insert into nowhere values ('${"ß".repeat(5_000)}')`),
        { message: /no such table: nowhere/ },
      );
    } finally {
      db.close();
    }
  },
);

engineTest(
  "a file whose path needs percent-encoding opens read-only and reads its rows",
  async (engine) => {
    const root = await tempDir({ prefix: "ffi_load_test_" });
    const dir = join(root, `a #1 ?x %20 é ${"d".repeat(200)}`);
    await Deno.mkdir(dir);
    const path = join(dir, "people.sqlite");
    const writer = (await engineOf(engine)).open({
      path,
      readOnly: false,
      immutable: false,
      create: true,
    });
    writer.exec("create table person (id integer primary key, first text)");
    writer.exec("insert into person values (1, 'Zoë')");
    writer.close();
    for (const immutable of [true, false]) {
      const db = openFile(engine, path, { immutable });
      class Person extends db.Model("person", {
        id: integer({ primaryKey: true }),
        first: text(),
      }) {}
      assert.equal((await new Store(Person).retrieve(1)).first, "Zoë");
      await db.close();
    }
  },
);

Deno.test("a cold retrieve() on FFI takes no address for its SQL or its file name beyond the scratch buffer's", async () => {
  // Every text a cold start passes to SQLite goes through the scratch
  // buffer, whose address the load took: no `Deno.UnsafePointer.of` runs
  // from the load to the first row.
  const path = await peopleFile("ffi");
  const ffi = new URL("../src/_ffi.ts", import.meta.url).href;
  const mod = new URL("../mod.ts", import.meta.url).href;
  const result = await runScriptJson(
    ["--allow-read", "--allow-ffi", "--allow-env"],
    `
    import { loadFfiEngine } from ${JSON.stringify(ffi)};
    import { DataSet, integer, SQLiteBindFactory, Store, text } from ${
      JSON.stringify(mod)
    };
    loadFfiEngine();
    const of = Deno.UnsafePointer.of;
    let addresses = 0;
    Deno.UnsafePointer.of = (value) => {
      addresses++;
      return of(value);
    };
    const db = DataSet.create("cold", { engine: "ffi" });
    db.bind(new SQLiteBindFactory({ paths: { cold: ${
      JSON.stringify(path)
    } } }));
    class Person extends db.Model("person", {
      id: integer({ primaryKey: true }),
      first: text(),
    }) {}
    const first = (await new Store(Person).retrieve(1)).first;
    Deno.UnsafePointer.of = of;
    await db.close();
    console.log(JSON.stringify({ first, addresses }));
    `,
  );
  assert.deepEqual(result, { first: "George", addresses: 0 });
});
