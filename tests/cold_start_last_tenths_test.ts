/**
 * Cold start (issue 15), the last tenths of a millisecond: the dumpers'
 * body loads on a dump's first read, and the FFI engine binds neither
 * `sqlite3_column_name`, `sqlite3_bind_parameter_count` nor
 * `sqlite3_libversion` when its library loads, and never calls
 * `sqlite3_extended_result_codes`; an open stats a read-only file twice. Each behaviour
 * they served is checked here on both engines.
 */
import assert from "node:assert/strict";
import type { Engine, EngineName } from "../src/_engine.ts";
import { EngineError } from "../src/_engine.ts";
import { loadFfiEngine, symbolsBoundAtLoad } from "../src/_ffi.ts";
import { loadNodeEngine } from "../src/_node.ts";
import { DataSet, integer, SQLiteBindFactory, Store, text } from "../mod.ts";
import { engineTest, peopleFile, runScriptJson } from "./_helpers.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

const MEMORY = {
  path: ":memory:",
  readOnly: false,
  immutable: false,
  create: true,
} as const;

async function engineOf(name: EngineName): Promise<Engine> {
  return name === "ffi" ? loadFfiEngine() : await loadNodeEngine();
}

// mod.ts's static graph, without `src/_dump.ts`, is pinned in
// cold_start_test.ts.

engineTest(
  "a process's first dumps, from a store and from rows, load the body and write what they did",
  async (engine) => {
    const path = await peopleFile(engine);
    const result = await runScriptJson(
      ["--allow-read", "--allow-ffi", "--allow-env"],
      `
      import { DataSet, dumpCsv, dumpJsonLines, integer, SQLiteBindFactory, Store, text } from ${
        JSON.stringify(MOD)
      };
      const db = DataSet.create("dumps", { engine: ${JSON.stringify(engine)} });
      db.bind(new SQLiteBindFactory({ paths: { dumps: ${
        JSON.stringify(path)
      } } }));
      class Person extends db.Model("person", {
        id: integer({ primaryKey: true }),
        first: text(),
      }) {}
      const store = new Store(Person);
      const csv = await new Response(
        dumpCsv(store.search({ id: { lte: 2 } }), { delimiter: ";" }),
      ).text();
      const jsonl = await new Response(
        dumpJsonLines([{ a: 1, b: "x" }], { headers: ["A", "B"] }),
      ).text();
      const all = await new Response(dumpJsonLines(store)).text();
      await db.close();
      console.log(JSON.stringify({ csv, jsonl, lines: all.split("\\n").length }));
      `,
    );
    assert.deepEqual(result, {
      csv: "id;first\r\n1;George\r\n2;John\r\n",
      jsonl: '{"A":1,"B":"x"}\n',
      // Five people and the empty rest after the last line's end.
      lines: 6,
    });
  },
);

Deno.test("the dumpers refuse bad options as before: a delimiter at once, headers and sources when read", async () => {
  const { dumpCsv, dumpJsonLines } = await import("../mod.ts");
  assert.throws(() => dumpCsv([], { delimiter: '"' }), TypeError);
  await assert.rejects(
    new Response(dumpCsv([{ a: 1 }], { headers: ["x", "y"] })).text(),
    {
      name: "TypeError",
      message:
        'Cannot dump to CSV: headers must be "properties", "columns" or 1 names (a)',
    },
  );
  await assert.rejects(
    new Response(dumpJsonLines(42 as unknown as object[])).text(),
    {
      name: "TypeError",
      message:
        "Cannot dump to JSON Lines: expected a Store, or an iterable or async iterable of rows",
    },
  );
});

Deno.test("the FFI engine binds neither column names or count, the parameter count, the version, exec nor text binds at load", () => {
  const atLoad = symbolsBoundAtLoad();
  assert.ok(atLoad.includes("sqlite3_step"), atLoad.join(", "));
  for (
    const later of [
      "sqlite3_column_name",
      "sqlite3_bind_parameter_count",
      "sqlite3_libversion",
      "sqlite3_exec",
      "sqlite3_bind_text",
      "sqlite3_column_count",
    ]
  ) {
    assert.ok(!atLoad.includes(later), later);
  }
  assert.equal(atLoad.length, 11, atLoad.join(", "));
});

Deno.test("a cold retrieve() on FFI binds no later symbol, and reading column names binds only sqlite3_column_name", async () => {
  const path = await peopleFile("ffi");
  const ffi = new URL("../src/_ffi.ts", import.meta.url).href;
  const result = await runScriptJson(
    ["--allow-read", "--allow-ffi", "--allow-env"],
    `
    import { loadFfiEngine, symbolsBoundLater } from ${JSON.stringify(ffi)};
    import { DataSet, integer, SQLiteBindFactory, Store, text } from ${
      JSON.stringify(MOD)
    };
    const db = DataSet.create("names", { engine: "ffi" });
    db.bind(new SQLiteBindFactory({ paths: { names: ${
      JSON.stringify(path)
    } } }));
    class Person extends db.Model("person", {
      id: integer({ primaryKey: true }),
      first: text(),
    }) {}
    const first = (await new Store(Person).retrieve(2)).first;
    const library = loadFfiEngine().library;
    const cold = symbolsBoundLater(library);
    const rows = [];
    for await (const row of db.sql\`SELECT id AS "the id", first FROM person WHERE id = \${3}\`) {
      rows.push(row);
    }
    const named = symbolsBoundLater(library);
    await db.close();
    console.log(JSON.stringify({ first, cold, rows, named }));
    `,
  );
  assert.equal(result.first, "John");
  assert.deepEqual(result.cold, []);
  assert.deepEqual(result.rows, [{ "the id": 3, first: "Thomas" }]);
  assert.ok(result.named.includes("sqlite3_column_name"), result.named);
  assert.ok(!result.named.includes("sqlite3_bind_parameter_count"));
  assert.ok(!result.named.includes("sqlite3_libversion"));
});

engineTest(
  "a statement names its columns and counts them, before and after it runs",
  async (engine) => {
    const db = (await engineOf(engine)).open(MEMORY);
    try {
      const statement = db.prepare('select 1 as a, 2 as "b c", 3 as ü');
      assert.equal(statement.columnCount, 3);
      statement.bind([]);
      assert.equal(statement.step(), true);
      assert.deepEqual(statement.columnNames, ["a", "b c", "ü"]);
      assert.equal(db.prepare("create table t (x)").columnCount, 0);
    } finally {
      db.close();
    }
  },
);

Deno.test(
  "FFI bind checks the parameter count on every call: too few, too many, none",
  async (t) => {
    const db = loadFfiEngine().open(MEMORY);
    try {
      const cases: [string, number, number][] = [
        ["select ?, ?", 2, 1],
        ["select ?, ?", 2, 3],
        ["select ?, ?", 2, 0],
        ["select 1", 0, 1],
        ["select ?3", 3, 2],
        ["select :a, :b, :a", 2, 1],
      ];
      for (const [sql, takes, given] of cases) {
        await t.step(`${sql} with ${given}`, () => {
          const statement = db.prepare(sql);
          const values = Array.from({ length: given }, (_, i) => i);
          // Twice: the first bind learns the count, the second uses it.
          for (let round = 0; round < 2; round++) {
            assert.throws(() => statement.bind(values), {
              name: "RangeError",
              message:
                `Cannot bind: the statement takes ${takes} parameters, got ${given}`,
            });
          }
          const right = Array.from({ length: takes }, (_, i) => i + 10);
          statement.bind(right);
          assert.equal(statement.step(), true);
          statement.finalize();
        });
      }
      // The right count binds every value, also after a wrong one.
      const statement = db.prepare("select ?, ?, ?");
      assert.throws(() => statement.bind([1, 2]), RangeError);
      statement.bind([7, "x", null]);
      assert.equal(statement.step(), true);
      assert.deepEqual([0, 1, 2].map((i) => statement.column(i)), [
        7,
        "x",
        null,
      ]);
      const none = db.prepare("select 5");
      none.bind([]);
      assert.equal(none.step(), true);
      assert.equal(none.column(0), 5);
    } finally {
      db.close();
    }
  },
);

engineTest(
  "raw SQL with a parameter the template does not fill fails, the same on both engines",
  async (engine) => {
    const db = DataSet.create(`tenths_count_${engine}`, { engine });
    try {
      for (let round = 0; round < 2; round++) {
        await assert.rejects(
          Array.fromAsync(db.sql`SELECT ? AS x`),
          // One class and one message on both (agree_parameters_test.ts).
          {
            name: "QueryError",
            message: /the SQL has 1 parameter and 0 values were interpolated/,
          },
        );
      }
      assert.deepEqual(await Array.fromAsync(db.sql`SELECT ${4} AS x`), [
        { x: 4 },
      ]);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "a constraint error on a file opened by path carries its extended code",
  async (engine) => {
    const dir = await Deno.makeTempDir({ prefix: "microcosm_exres_" });
    const db = (await engineOf(engine)).open({
      path: `${dir}/x.sqlite`,
      readOnly: false,
      immutable: false,
      create: true,
    });
    try {
      db.exec("create table t (k integer primary key, u text unique)");
      db.exec("insert into t (u) values ('a')");
      const statement = db.prepare("insert into t (u) values (?)");
      statement.bind(["a"]);
      assert.throws(() => statement.step(), (error: unknown) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.extendedCode, 2067); // SQLITE_CONSTRAINT_UNIQUE
        return true;
      });
      // Through exec too on FFI (node:sqlite's exec throws its own error,
      // which the session reads): SQLITE_CONSTRAINT_NOTNULL.
      db.exec("create table n (v text not null)");
      assert.throws(
        () => db.exec("insert into n values (null)"),
        engine === "ffi" ? { extendedCode: 1299 } : /NOT NULL constraint/,
      );
    } finally {
      db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

engineTest(
  "opening a read-only file stats its path twice: once for the checks, once after opening",
  async (engine) => {
    const path = await peopleFile(engine);
    const result = await runScriptJson(
      ["--allow-read", "--allow-ffi", "--allow-env"],
      `
      const stats = [];
      const statSync = Deno.statSync;
      Deno.statSync = (where) => {
        stats.push(String(where));
        return statSync(where);
      };
      const { DataSet, integer, SQLiteBindFactory, Store, text } = await import(${
        JSON.stringify(MOD)
      });
      const db = DataSet.create("stats", { engine: ${JSON.stringify(engine)} });
      db.bind(new SQLiteBindFactory({ paths: { stats: ${
        JSON.stringify(path)
      } } }));
      class Person extends db.Model("person", {
        id: integer({ primaryKey: true }),
        first: text(),
      }) {}
      const first = (await new Store(Person).retrieve(1)).first;
      await db.close();
      console.log(JSON.stringify({ first, stats }));
      `,
    );
    assert.deepEqual(result, { first: "George", stats: [path, path] });
  },
);

engineTest(
  "the engine's version is SQLite's own, read when asked",
  async (engine) => {
    const loaded = await engineOf(engine);
    const db = loaded.open(MEMORY);
    try {
      const statement = db.prepare("select sqlite_version()");
      statement.bind([]);
      assert.equal(statement.step(), true);
      assert.match(loaded.version, /^3\.\d+\.\d+$/);
      assert.equal(loaded.version, statement.column(0));
    } finally {
      db.close();
    }
  },
);

engineTest(
  "a store's first rows are built without generating code, and later ones by its generated builder",
  async (engine) => {
    const path = await peopleFile(engine);
    const result = await runScriptJson(
      ["--allow-read", "--allow-ffi", "--allow-env"],
      `
      let generated = 0;
      const Original = globalThis.Function;
      globalThis.Function = new Proxy(Original, {
        construct(target, args) {
          generated++;
          return Reflect.construct(target, args);
        },
      });
      const { DataSet, integer, SQLiteBindFactory, Store, text } = await import(${
        JSON.stringify(MOD)
      });
      const db = DataSet.create("builders", { engine: ${
        JSON.stringify(engine)
      } });
      db.bind(new SQLiteBindFactory({ paths: { builders: ${
        JSON.stringify(path)
      } } }));
      class Person extends db.Model("person", {
        id: integer({ primaryKey: true }),
        first: text(),
      }) {}
      const store = new Store(Person);
      const first = { ...(await store.retrieve(1)) };
      const atRetrieve = generated;
      const names = [];
      for (let round = 0; round < 3; round++) {
        for await (const person of store.search()) names.push(person.first);
      }
      await db.close();
      console.log(JSON.stringify({ first, atRetrieve, generated, names }));
      `,
    );
    const five = ["George", "John", "Thomas", "Martha", "Nobody"];
    assert.deepEqual(result, {
      first: { id: 1, first: "George" },
      atRetrieve: 0,
      generated: 1,
      names: [...five, ...five, ...five],
    });
  },
);

engineTest(
  "rows built by the loop and by the generated builder are the same, hostile names included",
  async (engine) => {
    const db = DataSet.create(`tenths_builders_${engine}`, { engine });
    class Odd extends db.Model("odd", {
      id: integer({ primaryKey: true }),
      ["__proto__"]: text(),
      constructor: text(),
      'a"b\\\n': text({ name: "ab" }),
      ["x y"]: integer({ nullable: true }),
    }) {}
    try {
      await db.createAll();
      const store = new Store(Odd);
      const rows = Array.from({ length: 20 }, (_, i) => ({
        ["__proto__"]: `p${i}`,
        constructor: `c${i}`,
        'a"b\\\n': `q${i}`,
        ["x y"]: i % 3 === 0 ? null : i,
      }));
      await store.createMany(rows);
      const read = await Array.fromAsync(store.search());
      assert.equal(read.length, 20);
      for (const [i, row] of read.entries()) {
        assert.deepEqual(Object.keys(row), [
          "id",
          "__proto__",
          "constructor",
          'a"b\\\n',
          "x y",
        ]);
        assert.equal(Object.getPrototypeOf(row), Odd.prototype);
        const record = row as unknown as Record<string, unknown>;
        assert.equal(
          Object.getOwnPropertyDescriptor(row, "__proto__")?.value,
          `p${i}`,
        );
        assert.equal(record.constructor, `c${i}`);
        assert.equal(record['a"b\\\n'], `q${i}`);
        assert.equal(record["x y"], i % 3 === 0 ? null : i);
      }
    } finally {
      await db.close();
    }
  },
);

Deno.test("a cold retrieve() on node:sqlite makes no TextEncoder (a short path is not encoded to check its length)", async () => {
  const path = await peopleFile("node");
  const result = await runScriptJson(
    ["--allow-read", "--allow-env"],
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
      JSON.stringify(MOD)
    });
    const db = DataSet.create("encoders", { engine: "node" });
    db.bind(new SQLiteBindFactory({ paths: { encoders: ${
      JSON.stringify(path)
    } } }));
    class Person extends db.Model("person", {
      id: integer({ primaryKey: true }),
      first: text(),
    }) {}
    const first = (await new Store(Person).retrieve(1)).first;
    await db.close();
    console.log(JSON.stringify({ first, made }));
    `,
  );
  assert.deepEqual(result, { first: "George", made: 0 });
});

engineTest(
  "a path of few characters but more than 504 bytes is still refused by its byte length",
  async (engine) => {
    // 171 characters, 507 bytes: "€" is 3 bytes of UTF-8.
    const folder = "€".repeat(80);
    const path = `/${folder}/${folder}/${"€".repeat(8)}`;
    assert.equal(path.length, 171);
    const db = DataSet.create(`tenths_long_${engine}`, { engine });
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    try {
      await assert.rejects(
        Array.fromAsync(db.sql`SELECT 1 AS one`),
        {
          name: "DataSetError",
          message:
            /the path is 507 bytes long as an absolute path, longer than the 504 bytes SQLite opens/,
        },
      );
    } finally {
      await db.close();
    }
  },
);
