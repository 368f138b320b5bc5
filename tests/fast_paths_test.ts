// Correctness guards for the fast paths: typed column reads, the node
// engine's bigint restart and single-row reads, and the cursor.
import assert from "node:assert/strict";
import { bigint, DataSetError, integer, real, Store, text } from "../mod.ts";
import { BIG, bigIntegerTable, engineTest, freshDataSet } from "./_helpers.ts";

engineTest(
  "Number columns read zero, negatives, NULL and extremes exactly",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class N extends db.Model("n", {
      id: integer({ primaryKey: true }),
      i: integer({ nullable: true }),
      r: real({ nullable: true }),
    }) {}
    // Not createAll(): its STRICT table would refuse the REAL written below
    // into the INTEGER column, and this reads a file built elsewhere.
    for await (
      const _ of db
        .sql`create table n (id INTEGER PRIMARY KEY, i INTEGER, r REAL)`
    );
    const rows = [
      { i: 0, r: 0 },
      { i: -1, r: -0.5 },
      { i: null, r: null },
      { i: Number.MAX_SAFE_INTEGER, r: 1e308 },
      { i: -Number.MAX_SAFE_INTEGER, r: -Infinity },
      { i: 7, r: Infinity },
      { i: 3, r: 3 },
    ];
    await new Store(N).createMany(rows);
    const read = await Array.fromAsync(new Store(N).search());
    assert.deepEqual(read.map(({ i, r }) => ({ i, r })), rows);
    // A REAL cell that is not integral in an integer() column is an error
    // naming it (issue 11 §2; it used to read as 1.5).
    for await (const _ of db.sql`update n set i = 1.5 where id = 1`);
    await assert.rejects(
      new Store(N).retrieve(1),
      (error: Error) =>
        error instanceof DataSetError && /n\.i/.test(error.message) &&
        /1\.5/.test(error.message),
    );
  },
);

engineTest(
  "Short text of every length to 18 bytes reads exactly, whatever its bytes",
  async (engine) => {
    // The ffi engine builds text of up to 16 bytes in JavaScript when it is
    // ASCII without NUL, and decodes everything else in full: each length
    // on both sides of that limit, with each kind of byte at each end.
    const db = freshDataSet(engine);
    await using _ = db;
    class T extends db.Model("t", {
      id: integer({ primaryKey: true }),
      s: text(),
    }) {}
    await db.createAll();
    const values: string[] = [];
    for (let n = 0; n <= 18; n++) {
      const plain = "abcdefghijklmnopqrstuvwxyz".slice(0, n);
      values.push(plain);
      if (n === 0) continue;
      values.push(`~${plain.slice(1)}`, `\x7f${plain.slice(1)}`);
      values.push(`${plain.slice(1)}\x01`, `${plain.slice(1)}é`.slice(-n));
      values.push(`${plain.slice(1)}é`, `日${plain.slice(1)}`);
      if (engine === "ffi") {
        values.push(`${plain.slice(1)}\0`, `\0${plain.slice(1)}`);
      }
    }
    await new Store(T).createMany(values.map((s) => ({ s })));
    const read = await Array.fromAsync(new Store(T).search());
    assert.deepEqual(read.map((row) => row.s), values);
    // Point reads take the same path.
    const third = await new Store(T).retrieve(3);
    assert.equal(third.s, values[2]);
  },
);

engineTest(
  "Text columns read empty strings, NULL, unicode and embedded NUL",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class T extends db.Model("t", {
      id: integer({ primaryKey: true }),
      s: text({ nullable: true }),
    }) {}
    await db.createAll();
    const values = ["", null, "plain", "é✓😀 mixed", "a\0b", "\0"];
    if (engine === "node") {
      // Deno's node:sqlite reads TEXT only up to the first NUL, so the node
      // engine refuses to write it (it used to store it and read it cut).
      await assert.rejects(
        new Store(T).createMany(values.map((s) => ({ s }))),
        RangeError,
      );
      assert.equal(await new Store(T).count(), 0);
      return;
    }
    await new Store(T).createMany(values.map((s) => ({ s })));
    const read = await Array.fromAsync(new Store(T).search());
    assert.deepEqual(read.map((row) => row.s), values);
    const lengths = await Array.fromAsync(
      db.sql`select length(cast(s as blob)) as n from t order by id`,
    );
    assert.deepEqual(lengths.map((row) => row.n), [0, null, 5, 15, 3, 1]);
  },
);

engineTest(
  "A streamed integer beyond 2^53 mid-scan is exact and no row repeats",
  async (engine) => {
    const { db, B } = await bigIntegerTable(engine, 300, 150);
    await using _ = db;
    const rows = await Array.fromAsync(new Store(B).search());
    assert.deepEqual(
      rows.map((row) => row.id),
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      rows.map((row) => row.v),
      Array.from({ length: 300 }, (_, i) => i === 150 ? BIG : BigInt(i)),
    );
    const raw = await Array.fromAsync(db.sql`select v from b order by id`);
    assert.equal(raw.length, 300);
    assert.equal(raw[150]!.v, BIG);
    assert.equal(raw[149]!.v, 149);
  },
);

engineTest(
  "An insert returning an integer beyond 2^53 runs once",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class B extends db.Model("b", {
      id: integer({ primaryKey: true }),
      v: bigint(),
    }) {}
    await db.createAll();
    const row = await new Store(B).create({ v: -(2n ** 62n) });
    assert.equal(row.v, -(2n ** 62n));
    assert.equal(await new Store(B).count(), 1);
  },
);

engineTest(
  "retrieve() and count() read single rows without leaving them open",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class N extends db.Model("n", {
      id: integer({ primaryKey: true }),
      v: text(),
    }) {}
    await db.createAll();
    await new Store(N).createMany([{ v: "a" }, { v: "b" }, { v: "a" }]);
    for (let i = 0; i < 50; i++) {
      assert.equal((await new Store(N).retrieve(2)).v, "b");
      assert.equal(await new Store(N).count({ v: "a" }), 2);
    }
    // Writes still work: nothing holds a read open.
    assert.equal(await new Store(N).delete({ v: "a" }), 2);
  },
);

engineTest(
  "A search cursor is an AsyncGenerator that releases on return, throw and dispose",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class N extends db.Model("n", { id: integer({ primaryKey: true }) }) {}
    await db.createAll();
    await new Store(N).createMany([{}, {}, {}]);
    const store = new Store(N);
    const cursor = store.search();
    assert.equal(
      Object.prototype.toString.call(cursor),
      "[object AsyncGenerator]",
    );
    assert.equal((await cursor.next()).value?.id, 1);
    assert.deepEqual(await cursor.return(), { value: undefined, done: true });
    assert.deepEqual(await cursor.next(), { value: undefined, done: true });
    const failing = store.search();
    await failing.next();
    await assert.rejects(failing.throw(new Error("stop")), /stop/);
    assert.equal((await failing.next()).done, true);
    {
      await using disposable = store.search();
      assert.equal((await disposable.next()).value?.id, 1);
    }
    // Every statement came back: a delete (which needs no reader) succeeds.
    assert.equal(await store.delete(), 3);
  },
);

engineTest(
  "Rows of models with more than eight columns read every property",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    const columns = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`c${i}`, integer()]),
    );
    class Wide extends db.Model("wide", {
      id: integer({ primaryKey: true }),
      ...columns,
    }) {}
    await db.createAll();
    const values = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`c${i}`, i * 10]),
    );
    await new Store(Wide).create(values as never);
    const [row] = await Array.fromAsync(new Store(Wide).search());
    assert.deepEqual({ ...row }, { id: 1, ...values });
  },
);

engineTest(
  "Numbers bind exactly on both sides of the 32-bit and 2^53 limits",
  async (engine) => {
    // The ffi engine binds 32-bit integers with sqlite3_bind_int, other
    // safe integers with sqlite3_bind_int64, and the rest as REAL; the node
    // engine binds safe integers as bigints (node:sqlite binds numbers as
    // REAL). Either way a safe integer is an INTEGER to SQLite.
    const db = freshDataSet(engine);
    await using _ = db;
    const cases: [number, string][] = [
      [0, "integer"],
      [-0, "integer"],
      [1, "integer"],
      [-1, "integer"],
      [2 ** 31 - 1, "integer"],
      [-(2 ** 31), "integer"],
      [2 ** 31, "integer"],
      [-(2 ** 31) - 1, "integer"],
      [2 ** 32 + 5, "integer"],
      [Number.MAX_SAFE_INTEGER, "integer"],
      [-Number.MAX_SAFE_INTEGER, "integer"],
      [1.5, "real"],
      [-(2 ** 31) + 0.5, "real"],
      [2 ** 53, "real"],
    ];
    // Stored in a TEXT column, an integer reads back without ".0".
    const [text] = await Array.fromAsync(
      db.sql`select cast(${7} as text) as s`,
    );
    assert.equal(text?.s, "7");
    for (const [value, type] of cases) {
      const [row] = await Array.fromAsync(
        db.sql`select ${value} as v, typeof(${value}) as t`,
      );
      assert.deepEqual(
        row,
        { v: value === 0 ? 0 : value, t: type },
        `${value}`,
      );
    }
  },
);
