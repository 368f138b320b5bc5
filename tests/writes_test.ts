// Writes are isolated: every write is atomic on its own and never undoes
// another, whatever the interleaving of their awaits.
import assert from "node:assert/strict";
import {
  DataSetError,
  DuplicateModelError,
  integer,
  Store,
  text,
} from "../mod.ts";
import { SESSION } from "../src/dataset.ts";
import type { DataSet } from "../mod.ts";
import { engineTest, freshDataSet, openFile, tempDir } from "./_helpers.ts";
import type { EngineName } from "../src/_engine.ts";

function declareTags(db: DataSet) {
  class Tag extends db.Model("tag", {
    id: integer({ primaryKey: true }),
    name: text({ unique: true }),
  }) {}
  return Tag;
}

async function names(db: DataSet): Promise<string[]> {
  const rows = await Array.fromAsync(db.sql`select name from tag order by id`);
  return rows.map((row) => String(row.name));
}

/** `db` with the tag table created, and a store of tags. */
async function tagStore(db: DataSet) {
  const Tag = declareTags(db);
  await db.createAll();
  return { db, store: new Store(Tag) };
}

/** A writable dataset over a new file in a fresh folder. */
async function writableFile(engine: EngineName): Promise<DataSet> {
  return openFile(engine, `${await tempDir()}/tags.sqlite`, {
    writable: true,
  });
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

engineTest(
  "A create() that resolved while createMany() read its async source survives the createMany() failing",
  async (engine) => {
    const { db, store } = await tagStore(freshDataSet(engine));
    await using _ = db;
    const { opened, open } = gate();
    async function* rows() {
      yield { name: "a" };
      await opened;
      yield { name: "dup" };
      yield { name: "dup" };
    }
    const many = store.createMany(rows());
    const created = await store.create({ name: "solo" });
    assert.equal(created.name, "solo");
    open();
    await assert.rejects(many, DuplicateModelError);
    assert.deepEqual(await names(db), ["solo"]);
    // The connection holds no savepoint or transaction afterwards.
    assert.equal((await store.create({ name: "after" })).name, "after");
    assert.deepEqual(await names(db), ["solo", "after"]);
  },
);

engineTest(
  "Two concurrent createMany() calls: the one that fails inserts nothing and the other all its rows",
  async (engine) => {
    const { db, store } = await tagStore(freshDataSet(engine));
    await using _ = db;
    const first = gate();
    const second = gate();
    async function* good() {
      yield { name: "g1" };
      first.open();
      await second.opened;
      yield { name: "g2" };
    }
    async function* bad() {
      await first.opened;
      yield { name: "b1" };
      yield { name: "b1" }; // duplicate: this createMany fails
      second.open();
    }
    const [ok, failed] = await Promise.allSettled([
      store.createMany(good()),
      store.createMany(bad()),
    ]);
    assert.deepEqual(ok, { status: "fulfilled", value: 2 });
    assert.equal(failed.status, "rejected");
    assert.ok(
      failed.reason instanceof DuplicateModelError,
      String(failed.reason),
    );
    assert.doesNotMatch(String(failed.reason), /savepoint/i);
    assert.deepEqual(await names(db), ["g1", "g2"]);
  },
);

engineTest(
  "Many interleaved create() and createMany() calls: each is all or nothing",
  async (engine) => {
    const { db, store } = await tagStore(freshDataSet(engine));
    await using _ = db;
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    async function* batch(i: number) {
      for (let j = 0; j < 3; j++) {
        await tick();
        // Every third batch repeats a name and fails on its last row.
        yield { name: i % 3 === 0 && j === 2 ? `m${i}-0` : `m${i}-${j}` };
      }
    }
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      writes.push(store.createMany(batch(i)));
      writes.push(store.create({ name: `c${i}` }));
    }
    const results = await Promise.allSettled(writes);
    const expected: string[] = [];
    results.forEach((result, n) => {
      const i = Math.floor(n / 2);
      if (n % 2 === 1) {
        assert.equal(result.status, "fulfilled");
        expected.push(`c${i}`);
      } else if (i % 3 === 0) {
        assert.equal(result.status, "rejected");
      } else {
        assert.deepEqual(result, { status: "fulfilled", value: 3 });
        expected.push(`m${i}-0`, `m${i}-1`, `m${i}-2`);
      }
    });
    assert.deepEqual((await names(db)).sort(), expected.sort());
  },
);

engineTest(
  "close() from inside createMany()'s source is a DataSetError and writes nothing",
  async (engine, t) => {
    type Row = { name: string };
    const sources: Record<
      string,
      (db: DataSet) => Iterable<Row> | AsyncIterable<Row>
    > = {
      "an async source, awaiting close()": async function* (db) {
        yield { name: "x" };
        await db.close();
        yield { name: "y" };
      },
      "a sync source, close() not awaited": function* (db) {
        yield { name: "x" };
        void db.close(); // closes the connection before returning
        yield { name: "y" };
      },
    };
    for (const [name, source] of Object.entries(sources)) {
      await t.step(name, async () => {
        const { db, store } = await tagStore(await writableFile(engine));
        await using _ = db;
        await assert.rejects(store.createMany(source(db)), (error: Error) => {
          assert.ok(error instanceof DataSetError, String(error));
          assert.match(error.message, /was closed while the write was running/);
          return true;
        });
        assert.deepEqual(await names(db), []);
        assert.equal((await db[SESSION]()).leasedStatements, 0);
      });
    }
  },
);

engineTest(
  "createMany() refuses a promise where a row belongs: a sync source is written as it is read",
  async (engine) => {
    await using db = freshDataSet(engine);
    class N extends db.Model("n", {
      id: integer({ primaryKey: true }),
      v: integer({ default: 0 }),
    }) {}
    await db.createAll();
    const rows = [Promise.resolve({ v: 1 })] as never;
    await assert.rejects(new Store(N).createMany(rows), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /row 0.*got a promise/);
      return true;
    });
    assert.equal(await new Store(N).count(), 0);
  },
);

engineTest(
  "dropAll() that fails drops nothing and leaves foreign keys on and no transaction open",
  async (engine) => {
    await using db = freshDataSet(engine);
    class A extends db.Model("a", { id: integer({ primaryKey: true }) }) {}
    db.Model("b", { id: integer({ primaryKey: true }) });
    // "b" is a view in the file: DROP TABLE refuses it.
    for await (const _ of db.sql`create view b as select 1 as id`);
    await db.createAll();
    await assert.rejects(db.dropAll(), /DROP VIEW/);
    const tables = await Array.fromAsync(
      db.sql`select name from sqlite_schema where type = 'table'`,
    );
    assert.deepEqual(tables, [{ name: "a" }]);
    assert.deepEqual(await Array.fromAsync(db.sql`pragma foreign_keys`), [{
      foreign_keys: 1,
    }]);
    // No transaction is left open: a write commits on its own.
    await new Store(A).create({});
    assert.equal(await new Store(A).count(), 1);
  },
);
