import assert from "node:assert/strict";
import { join } from "node:path";
import { ColumnHint, EngineError, type SQLValue } from "../src/_engine.ts";
import { loadFfiEngine } from "../src/_ffi.ts";
import { runScriptJson, tempDir } from "./_helpers.ts";

// Loaded once, before any test: the library stays open for the process, so
// loading it inside a test would trip the resource sanitizer.
const engine = loadFfiEngine();

function memory() {
  return engine.open({
    path: ":memory:",
    readOnly: false,
    immutable: false,
    create: true,
  });
}

/** Binds `value` to `select ?` and reads it back through `column(0)`. */
function roundTrip(value: SQLValue | boolean | undefined): SQLValue {
  const db = memory();
  try {
    const statement = db.prepare("select ?");
    statement.bind([value as SQLValue]);
    assert.equal(statement.step(), true);
    return statement.column(0);
  } finally {
    db.close();
  }
}

/** A temporary directory whose name needs percent-encoding in a URI. */
async function withTempDir(fn: (dir: string) => Promise<void> | void) {
  const root = await tempDir({ prefix: "ffi_engine_test_" });
  try {
    const dir = join(root, "a #1 ?x %20 é");
    await Deno.mkdir(dir);
    await fn(dir);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Builds a small database file through a writable connection. */
function buildFile(path: string): void {
  const db = engine.open({
    path,
    readOnly: false,
    immutable: false,
    create: true,
  });
  try {
    db.exec(
      "create table t (id integer primary key, name text unique);" +
        "insert into t (name) values ('a'), ('b');",
    );
  } finally {
    db.close();
  }
}

Deno.test("engine reports its name and the library's SQLite version", () => {
  assert.equal(engine.name, "ffi");
  assert.match(engine.version, /^3\.\d+\.\d+/);
});

Deno.test("loadFfiEngine returns the same engine for the same library", () => {
  assert.equal(loadFfiEngine(), engine);
});

Deno.test("integers round-trip as numbers within 2^53, else bigints", () => {
  assert.equal(roundTrip(0), 0);
  assert.equal(roundTrip(42), 42);
  assert.equal(roundTrip(-42), -42);
  assert.equal(roundTrip(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  assert.equal(roundTrip(-Number.MAX_SAFE_INTEGER), -Number.MAX_SAFE_INTEGER);
  assert.equal(roundTrip(2n ** 53n), 2n ** 53n);
  assert.equal(roundTrip(2n ** 53n + 1n), 2n ** 53n + 1n);
  assert.equal(roundTrip(-(2n ** 53n) - 1n), -(2n ** 53n) - 1n);
  assert.equal(roundTrip(2n ** 63n - 1n), 2n ** 63n - 1n);
  assert.equal(roundTrip(-(2n ** 63n)), -(2n ** 63n));
  assert.equal(roundTrip(7n), 7);
});

Deno.test("floats round-trip, non-safe-integer numbers bind as REAL", () => {
  assert.equal(roundTrip(1.5), 1.5);
  assert.equal(roundTrip(-0.25), -0.25);
  assert.equal(roundTrip(1e300), 1e300);
  assert.equal(roundTrip(2 ** 60), 2 ** 60);
  const db = memory();
  try {
    const statement = db.prepare("select typeof(?), typeof(?)");
    statement.bind([2 ** 60, 3]);
    assert.equal(statement.step(), true);
    assert.deepEqual([statement.column(0), statement.column(1)], [
      "real",
      "integer",
    ]);
  } finally {
    db.close();
  }
});

Deno.test("text round-trips: empty, unicode, embedded NUL", () => {
  assert.equal(roundTrip(""), "");
  assert.equal(roundTrip("héllo wörld ✓ 🌍 日本"), "héllo wörld ✓ 🌍 日本");
  assert.equal(roundTrip("a\0b"), "a\0b");
  assert.equal(roundTrip("é\0🌍\0"), "é\0🌍\0");
  assert.equal(roundTrip("\uFEFFbom"), "\uFEFFbom");
  const long = "x".repeat(100_000) + "ü".repeat(300_000);
  assert.equal(roundTrip(long), long);
});

Deno.test("blobs round-trip: empty stays a blob, NULs are kept", () => {
  const empty = roundTrip(new Uint8Array(0));
  assert.ok(empty instanceof Uint8Array);
  assert.equal(empty.length, 0);
  assert.deepEqual(
    roundTrip(new Uint8Array([0, 1, 0, 255, 0])),
    new Uint8Array([0, 1, 0, 255, 0]),
  );
  const whole = new Uint8Array([9, 8, 7, 6, 5]);
  assert.deepEqual(roundTrip(whole.subarray(1, 4)), new Uint8Array([8, 7, 6]));
  const db = memory();
  try {
    const statement = db.prepare("select typeof(?), typeof(?)");
    statement.bind([new Uint8Array(0), ""]);
    assert.equal(statement.step(), true);
    assert.deepEqual([statement.column(0), statement.column(1)], [
      "blob",
      "text",
    ]);
  } finally {
    db.close();
  }
});

Deno.test("null, undefined and booleans bind as NULL, 1 and 0", () => {
  assert.equal(roundTrip(null), null);
  assert.equal(roundTrip(undefined), null);
  assert.equal(roundTrip(true), 1);
  assert.equal(roundTrip(false), 0);
});

Deno.test("values survive a table round trip", () => {
  const db = memory();
  try {
    db.exec("create table v (x)");
    const values: SQLValue[] = [
      null,
      -1,
      2n ** 53n + 1n,
      0.5,
      "",
      "ü\0x",
      new Uint8Array(0),
      new Uint8Array([0, 0]),
    ];
    const insert = db.prepare("insert into v (x) values (?)");
    for (const value of values) {
      insert.bind([value]);
      assert.equal(insert.step(), false);
    }
    const select = db.prepare("select x from v order by rowid");
    const read: SQLValue[] = [];
    while (select.step()) read.push(select.column(0));
    assert.deepEqual(read, values);
  } finally {
    db.close();
  }
});

Deno.test("hinted column reads match column() for every storage class", () => {
  const db = memory();
  try {
    const statement = db.prepare(
      "select 12, -3.5, 'ñ' || char(0) || 'z', null, 9007199254740993, x'00', 0, '7', 'x'",
    );
    assert.equal(statement.step(), true);
    const plain = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => statement.column(i));
    assert.deepEqual(plain, [
      12,
      -3.5,
      "ñ\0z",
      null,
      9007199254740993n,
      new Uint8Array([0]),
      0,
      "7",
      "x",
    ]);
    // A hint only speeds a read up (issue 11 §2): every hint reads every
    // cell as column() does. TEXT "7" stays text under NUMBER (it read as
    // 7), and numbers and blobs stay what they are under TEXT (they read
    // as SQLite's text of them).
    for (const hint of [ColumnHint.NUMBER, ColumnHint.TEXT, ColumnHint.ANY]) {
      const hinted: unknown[] = plain.map((_, i) => statement.column(i, hint));
      assert.deepEqual(hinted, plain, `hint ${hint}`);
    }
  } finally {
    db.close();
  }
});

Deno.test("column names come in order", () => {
  const db = memory();
  try {
    const statement = db.prepare('select 1 as a, 2 as "b c", 3 as ü');
    assert.deepEqual(statement.columnNames, ["a", "b c", "ü"]);
  } finally {
    db.close();
  }
});

Deno.test("bind refuses a wrong parameter count with a RangeError", () => {
  const db = memory();
  try {
    const statement = db.prepare("select ?, ?");
    assert.throws(() => statement.bind([1]), {
      name: "RangeError",
      message: "Cannot bind: the statement takes 2 parameters, got 1",
    });
    assert.throws(() => statement.bind([1, 2, 3]), RangeError);
  } finally {
    db.close();
  }
});

Deno.test("bind refuses unsupported values and out-of-range bigints", () => {
  const db = memory();
  try {
    const statement = db.prepare("select ?, ?");
    assert.throws(() => statement.bind([1, {} as SQLValue]), {
      name: "TypeError",
      message: /index 1: object \(Object\)/,
    });
    assert.throws(
      () => statement.bind([Symbol("s") as unknown as SQLValue, 1]),
      { name: "TypeError", message: /index 0: symbol/ },
    );
    assert.throws(() => statement.bind([2n ** 63n, 1]), RangeError);
    assert.throws(() => statement.bind([-(2n ** 63n) - 1n, 1]), RangeError);
  } finally {
    db.close();
  }
});

Deno.test("bind resets the statement so it runs again", () => {
  const db = memory();
  try {
    const statement = db.prepare("select ?");
    statement.bind([1]);
    assert.equal(statement.step(), true);
    statement.bind([2]);
    assert.equal(statement.step(), true);
    assert.equal(statement.column(0), 2);
    assert.equal(statement.step(), false);
    statement.reset();
    assert.equal(statement.step(), true);
    assert.equal(statement.column(0), 2);
  } finally {
    db.close();
  }
});

Deno.test("a unique violation raises EngineError 2067 and resets", () => {
  const db = memory();
  try {
    db.exec("create table t (name text unique)");
    const insert = db.prepare("insert into t values (?)");
    insert.bind(["a"]);
    insert.step();
    insert.bind(["a"]);
    assert.throws(() => insert.step(), (error) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.extendedCode, 2067);
      assert.equal(error.code, 19);
      assert.match(error.message, /UNIQUE constraint failed: t\.name/);
      return true;
    });
    // Reset: the statement runs again and nothing is left open.
    insert.bind(["b"]);
    assert.equal(insert.step(), false);
    db.exec("begin"); // would fail inside an open transaction
    db.exec("rollback");
  } finally {
    db.close();
  }
});

Deno.test("exec errors raise EngineError with SQLite's message", () => {
  const db = memory();
  try {
    assert.throws(() => db.exec("select * from missing"), (error) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.code, 1);
      assert.match(error.message, /no such table: missing/);
      return true;
    });
    db.exec("create table t (id integer primary key)");
    db.exec("insert into t values (1)");
    assert.throws(() => db.exec("insert into t values (1)"), (error) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.extendedCode, 1555);
      return true;
    });
  } finally {
    db.close();
  }
});

Deno.test("prepare errors raise EngineError", () => {
  const db = memory();
  try {
    assert.throws(() => db.prepare("selec 1"), (error) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.code, 1);
      assert.match(error.message, /syntax error/);
      return true;
    });
    assert.throws(() => db.prepare("  -- nothing"), EngineError);
  } finally {
    db.close();
  }
});

Deno.test("prepare refuses a second statement but allows trailing comments", () => {
  const db = memory();
  try {
    assert.throws(() => db.prepare("select 1; select 2"), {
      message: /more than one statement/,
    });
    assert.throws(
      () => db.prepare("create table t (x); insert into t values (1)"),
      { message: /more than one statement/ },
    );
    const statement = db.prepare("select 'é'; -- done\n ;");
    assert.equal(statement.step(), true);
    assert.equal(statement.column(0), "é");
  } finally {
    db.close();
  }
});

Deno.test("changes track the connection", () => {
  const db = memory();
  try {
    db.exec("create table t (id integer primary key, x)");
    db.exec("insert into t (x) values (1), (2), (3)");
    assert.equal(db.changes(), 3);
    db.exec("insert into t (id, x) values (9007199254740993, 0)");
    db.exec("begin");
    db.exec("update t set x = 0");
    assert.equal(db.changes(), 4);
    db.exec("rollback");
  } finally {
    db.close();
  }
});

Deno.test("a read-only open of a missing file fails and creates nothing", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "missing.db");
    assert.throws(
      () =>
        engine.open({ path, readOnly: true, immutable: false, create: false }),
      (error) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.code, 14);
        return true;
      },
    );
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
  });
});

Deno.test("a writable open without create fails on a missing file", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "missing.db");
    assert.throws(
      () =>
        engine.open({ path, readOnly: false, immutable: false, create: false }),
      EngineError,
    );
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
  });
});

Deno.test("a read-only open refuses writes and leaves the file unchanged", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "data #1?.db");
    buildFile(path);
    // The exact name was created: the URI escaping round-tripped.
    const before = Deno.readFileSync(path);
    for (const immutable of [false, true]) {
      const db = engine.open({
        path,
        readOnly: true,
        immutable,
        create: false,
      });
      try {
        const count = db.prepare("select count(*) from t");
        assert.equal(count.step(), true);
        assert.equal(count.column(0), 2);
        assert.throws(() => db.exec("insert into t (name) values ('c')"), (
          error,
        ) => {
          assert.ok(error instanceof EngineError);
          assert.equal(error.code, 8);
          return true;
        });
        const insert = db.prepare("insert into t (name) values (?)");
        insert.bind(["c"]);
        assert.throws(() => insert.step(), (error) => {
          assert.ok(error instanceof EngineError);
          assert.equal(error.code, 8);
          return true;
        });
      } finally {
        db.close();
      }
    }
    assert.deepEqual(Deno.readFileSync(path), before);
    assert.deepEqual(Deno.readDirSync(dir).map((e) => e.name).toArray(), [
      "data #1?.db",
    ]);
  });
});

Deno.test("use after finalize throws", () => {
  const db = memory();
  try {
    const statement = db.prepare("select 1");
    statement.finalize();
    statement.finalize(); // idempotent
    assert.equal(statement.finalized, true);
    const message = "Cannot use statement: it was finalized";
    assert.throws(() => statement.step(), { message });
    assert.throws(() => statement.bind([]), { message });
    assert.throws(() => statement.column(0), { message });
    assert.throws(() => statement.reset(), { message });
    assert.throws(() => statement.column(0, ColumnHint.TEXT), { message });
    assert.throws(() => statement.column(0, ColumnHint.NUMBER), { message });
  } finally {
    db.close();
  }
});

Deno.test("use after close throws and close is idempotent", () => {
  const db = memory();
  db.close();
  db.close();
  const message = "Cannot use connection: it was closed";
  assert.throws(() => db.prepare("select 1"), { message });
  assert.throws(() => db.exec("select 1"), { message });
  assert.throws(() => db.changes(), { message });
});

Deno.test("close finalizes the statements still open", () => {
  const db = memory();
  const open = db.prepare("select 1 union all select 2");
  const done = db.prepare("select 3");
  assert.equal(open.step(), true); // mid-iteration
  done.finalize();
  db.close();
  assert.equal(open.finalized, true);
  assert.throws(() => open.step(), {
    message: "Cannot use statement: it was finalized",
  });
});

Deno.test("deserialize serves a read-only copy of a database image", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "image.db");
    const source = engine.open({
      path,
      readOnly: false,
      immutable: false,
      create: true,
    });
    try {
      source.exec("create table t (x); insert into t values (1), ('two')");
    } finally {
      source.close();
    }
    const image = Deno.readFileSync(path);
    assert.equal(
      new TextDecoder().decode(image.subarray(0, 15)),
      "SQLite format 3",
    );
    const frozen = engine.deserialize(image);
    try {
      const statement = frozen.prepare("select x from t order by rowid");
      const rows: SQLValue[] = [];
      while (statement.step()) rows.push(statement.column(0));
      assert.deepEqual(rows, [1, "two"]);
      assert.throws(() => frozen.exec("insert into t values (3)"), (error) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.code, 8);
        return true;
      });
    } finally {
      frozen.close();
    }
  });
});

Deno.test("an empty image deserializes as an empty read-only database", () => {
  const copy = engine.deserialize(new Uint8Array(0));
  try {
    const statement = copy.prepare("select count(*) from sqlite_schema");
    assert.equal(statement.step(), true);
    assert.equal(statement.column(0), 0);
    assert.throws(() => copy.exec("create table t (x)"), EngineError);
  } finally {
    copy.close();
  }
});

Deno.test("loadFfiEngine names a library that does not load", () => {
  assert.throws(() => loadFfiEngine("/nonexistent/lib.so"), {
    message: /^Cannot load SQLite through FFI: tried \/nonexistent\/lib\.so \(/,
  });
});

Deno.test({
  name: "loadFfiEngine names the symbols a library lacks",
  ignore: Deno.build.os !== "linux",
  fn() {
    assert.throws(() => loadFfiEngine("libc.so.6"), {
      message: /tried libc\.so\.6 \(missing symbols sqlite3_open_v2, /,
    });
  },
});

Deno.test({
  name: "the engine turns SQLite's memory statistics off before its first open",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // In a fresh process, so no other test has started SQLite first. With
    // statistics on, SQLite counts every allocation; with them off, the
    // count stays 0 however much the connection allocates.
    const mod = new URL("../src/_ffi.ts", import.meta.url).href;
    const used = await runScriptJson(
      ["--allow-ffi", "--allow-read"],
      `import { loadFfiEngine } from ${JSON.stringify(mod)};
      const connection = loadFfiEngine("libsqlite3.so.0").open({
        path: ":memory:", readOnly: false, immutable: false, create: true,
      });
      connection.exec("create table t(x); insert into t values (randomblob(100000))");
      const lib = Deno.dlopen("libsqlite3.so.0", {
        sqlite3_memory_used: { parameters: [], result: "i64" },
      });
      console.log(JSON.stringify(String(lib.symbols.sqlite3_memory_used())));`,
    );
    assert.equal(used, "0");
  },
});
