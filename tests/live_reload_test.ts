// Issue 14: reload() and watch() swap a dataset's file while it serves.
import assert from "node:assert/strict";
import { buildDataSet } from "../build.ts";
import type { EngineName } from "../src/_engine.ts";
import { SESSION } from "../src/dataset.ts";
import {
  type DataSet,
  DataSetError,
  integer,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import {
  engineTest,
  freshDataSet,
  sha256,
  sqliteFile,
  tempDir,
} from "./_helpers.ts";

/** The model every version has: each row says which version it is. */
function declareItems(db: DataSet) {
  return db.Model("item", {
    id: integer({ primaryKey: true }),
    version: integer(),
    label: text(),
  });
}

/** Builds version `version` of the items file, `rows` rows, at `path`. */
async function buildVersion(
  engine: EngineName,
  path: string,
  version: number,
  rows = 50,
): Promise<void> {
  const builder = freshDataSet(engine);
  const Item = declareItems(builder);
  await buildDataSet(builder, path, (build) =>
    build.loadRecords(
      Item,
      Array.from({ length: rows }, (_, i) => ({
        id: i + 1,
        version,
        label: `v${version} #${i + 1}`,
      })),
    ));
}

/** A dataset bound to `path` with the items model, and its store. */
function itemsAt(engine: EngineName, path: string) {
  const db = freshDataSet(engine);
  const Item = declareItems(db);
  db.bind(new SQLiteBindFactory().set(db.name, path));
  return { db, Item, store: new Store(Item) };
}

/** Resolves after a macrotask (the old connection closes on one). */
const macrotask = () => new Promise((wake) => setTimeout(wake, 0));

engineTest(
  "reload() after a rename: new queries read the new file, a running iterator finishes on the old one, which then closes",
  async (engine) => {
    const dir = await tempDir();
    const path = `${dir}/items.sqlite`;
    await buildVersion(engine, path, 1);
    await buildVersion(engine, `${dir}/next.sqlite`, 2);
    const { db, store } = itemsAt(engine, path);
    const running = store.search();
    const first = await running.next();
    assert.equal(first.value?.version, 1);
    const old = await db[SESSION]();

    await Deno.rename(`${dir}/next.sqlite`, path);
    await db.reload();
    assert.equal((await store.retrieve(1)).version, 2);
    await macrotask();
    assert.equal(old.closed, false, "open while an iterator reads it");
    const rest = await Array.fromAsync(running);
    assert.equal(rest.length, 49);
    assert.ok(rest.every((item) => item.version === 1));
    await macrotask();
    assert.equal(old.closed, true, "closed after its last iterator");
    assert.notEqual(await db[SESSION](), old);
    await db.close();
  },
);

engineTest(
  "reload(path) points the binding at the new file once it passes",
  async (engine) => {
    const dir = await tempDir();
    await buildVersion(engine, `${dir}/a.sqlite`, 1);
    await buildVersion(engine, `${dir}/b.sqlite`, 2);
    const { db, store } = itemsAt(engine, `${dir}/a.sqlite`);
    assert.equal((await store.retrieve(1)).version, 1);
    await db.reload(`${dir}/b.sqlite`);
    assert.equal(db.path, `${dir}/b.sqlite`);
    assert.equal((await store.retrieve(1)).version, 2);
    await db.close(); // a later open reads the new binding
    assert.equal((await store.retrieve(1)).version, 2);
    await db.close();
  },
);

engineTest(
  "reload() to bytes and to a pinned { path, sha256 }",
  async (engine) => {
    const dir = await tempDir();
    await buildVersion(engine, `${dir}/a.sqlite`, 1);
    await buildVersion(engine, `${dir}/b.sqlite`, 2);
    await buildVersion(engine, `${dir}/c.sqlite`, 3);
    const { db, store } = itemsAt(engine, `${dir}/a.sqlite`);
    await db.open();
    await db.reload(await Deno.readFile(`${dir}/b.sqlite`));
    assert.equal(db.path, ":bytes:");
    assert.equal((await store.retrieve(1)).version, 2);
    const pinned = {
      path: `${dir}/c.sqlite`,
      sha256: await sha256(`${dir}/c.sqlite`),
    };
    await db.reload(pinned);
    assert.equal((await store.retrieve(1)).version, 3);
    await db.close();
  },
);

/** Asserts that `reload` fails with `pattern` and version 1 still serves. */
async function assertRefused(
  db: DataSet,
  store: Store<ReturnType<typeof declareItems>>,
  reload: Promise<unknown>,
  pattern: RegExp,
): Promise<void> {
  const path = db.path;
  await assert.rejects(reload, (error: Error) => {
    assert.ok(error instanceof DataSetError, String(error));
    assert.match(error.message, /^Cannot reload dataset "/);
    assert.match(error.message, pattern);
    assert.match(error.message, /keeps serving/);
    return true;
  });
  assert.equal(db.path, path, "the binding keeps its source");
  assert.equal((await store.retrieve(1)).version, 1, "the old file serves");
}

engineTest(
  "A new file that fails a check leaves the old one serving: header, pin, table, column, metadata",
  async (engine, t) => {
    const dir = await tempDir();
    await buildVersion(engine, `${dir}/a.sqlite`, 1);
    await buildVersion(engine, `${dir}/b.sqlite`, 2);
    const { db, store } = itemsAt(engine, `${dir}/a.sqlite`);
    assert.equal((await store.retrieve(1)).version, 1);
    await t.step("not a database", async () => {
      await Deno.writeTextFile(`${dir}/junk.sqlite`, "junk ".repeat(40));
      await assertRefused(
        db,
        store,
        db.reload(`${dir}/junk.sqlite`),
        /wrong header/,
      );
    });
    await t.step("a pin that does not match", async () => {
      await assertRefused(
        db,
        store,
        db.reload({ path: `${dir}/b.sqlite`, sha256: "1".repeat(64) }),
        /SHA-256 is [0-9a-f]{64}, but the binding pins 1{64}/,
      );
    });
    await t.step("no table of a model", async () => {
      const other = await sqliteFile("create table other (id integer)");
      await assertRefused(db, store, db.reload(other), /no such table "item"/);
    });
    await t.step("a model column missing", async () => {
      const fewer = await sqliteFile(
        "create table item (id integer primary key, version integer)",
      );
      await assertRefused(db, store, db.reload(fewer), /has no column "label"/);
    });
    await t.step(
      "no build metadata where the serving file has it",
      async () => {
        const plain = await sqliteFile(
          "create table item (id integer primary key, version integer, label text)",
        );
        await assertRefused(db, store, db.reload(plain), /no build metadata/);
      },
    );
    await t.step("metadata that is not JSON", async () => {
      const broken = `${dir}/broken.sqlite`;
      await Deno.copyFile(`${dir}/b.sqlite`, broken);
      const { DatabaseSync } = await import("node:sqlite");
      const raw = new DatabaseSync(broken);
      raw.exec(
        "update microcosm_metadata set value = '{' where key = 'tables'",
      );
      raw.close();
      await assertRefused(db, store, db.reload(broken), /is not JSON/);
    });
    await t.step("metadata of other models", async () => {
      const built = `${dir}/others.sqlite`;
      const builder = freshDataSet(engine);
      const Other = builder.Model("other", {
        id: integer({ primaryKey: true }),
      });
      await buildDataSet(builder, built, async (build) => {
        await build.loadRecords(Other, [{ id: 1 }]);
        // The item table too, made by hand: only the metadata tells.
        await Array.fromAsync(
          builder
            .sql`create table item (id integer primary key, version integer, label text)`,
        );
        await Array.fromAsync(
          builder.sql`insert into item values (1, 9, 'x')`,
        );
      });
      await assertRefused(
        db,
        store,
        db.reload(built),
        /records no table "item"/,
      );
    });
    await db.close();
  },
);

engineTest(
  "watch() reloads a file replaced by rename, and reports a replacement that fails",
  async (engine) => {
    const dir = await tempDir();
    const path = `${dir}/items.sqlite`;
    await buildVersion(engine, path, 1);
    await buildVersion(engine, `${dir}/v2.sqlite`, 2);
    const { db, store } = itemsAt(engine, path);
    assert.equal((await store.retrieve(1)).version, 1);
    let reloads = 0;
    const errors: unknown[] = [];
    const watch = db.watch({
      intervalMs: 10,
      onReload: () => reloads++,
      onError: (error) => errors.push(error),
    });
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!done()) {
        assert.ok(Date.now() < deadline, "the watch never noticed");
        await new Promise((wake) => setTimeout(wake, 10));
      }
    };
    await Deno.rename(`${dir}/v2.sqlite`, path);
    await until(() => reloads === 1);
    assert.equal((await store.retrieve(1)).version, 2);

    await Deno.writeTextFile(`${dir}/junk`, "junk ".repeat(40));
    await Deno.rename(`${dir}/junk`, path);
    await until(() => errors.length === 1);
    assert.ok(errors[0] instanceof DataSetError);
    assert.match((errors[0] as Error).message, /wrong header/);
    assert.equal((await store.retrieve(1)).version, 2, "the old file serves");
    await new Promise((wake) => setTimeout(wake, 50));
    assert.equal(errors.length, 1, "a failed file is tried once");

    watch.stop();
    await buildVersion(engine, `${dir}/v3.sqlite`, 3);
    await Deno.rename(`${dir}/v3.sqlite`, path);
    await new Promise((wake) => setTimeout(wake, 50));
    assert.equal(reloads, 1, "a stopped watch does nothing");
    assert.equal((await store.retrieve(1)).version, 2);
    await db.close();
  },
);

Deno.test("watch() refuses an interval that is not a positive number", () => {
  const db = freshDataSet("node");
  for (const bad of [0, -1, Number.NaN, Infinity, "10"]) {
    assert.throws(
      () => db.watch({ intervalMs: bad as number }),
      (error: Error) =>
        error instanceof RangeError && /intervalMs/.test(error.message),
    );
  }
});

engineTest(
  "Under load: queries in a loop while the file is swapped 20 times never fail and each answers from one version",
  async (engine) => {
    const rows = 400;
    const dir = await tempDir();
    const path = `${dir}/items.sqlite`;
    for (const version of [1, 2]) {
      await buildVersion(engine, `${dir}/v${version}.sqlite`, version, rows);
    }
    await Deno.copyFile(`${dir}/v1.sqlite`, path);
    const { db, store } = itemsAt(engine, path);
    await db.open();
    let swaps = 0;
    let failures = 0;
    let answered = 0;
    let spanning = 0;
    const seen = new Set<number>();
    const serve = async () => {
      while (swaps < 20) {
        try {
          const before = swaps;
          // A request: one whole listing, streamed across macrotasks.
          const items = [];
          for await (const item of store.search({}, { orderBy: "id" })) {
            items.push(item);
            if (items.length % 50 === 0) await macrotask();
          }
          if (swaps !== before) spanning++;
          const versions = new Set(items.map((item) => item.version));
          assert.equal(items.length, rows);
          assert.equal(versions.size, 1, "one version per response");
          seen.add(items[0]!.version);
          answered++;
        } catch (error) {
          failures++;
          throw error;
        }
      }
    };
    const swap = async () => {
      for (let i = 0; i < 20; i++) {
        await new Promise((wake) => setTimeout(wake, 15));
        const version = i % 2 === 0 ? 2 : 1;
        await Deno.copyFile(`${dir}/v${version}.sqlite`, `${dir}/next`);
        await Deno.rename(`${dir}/next`, path);
        await db.reload();
        swaps++;
      }
    };
    await Promise.all([serve(), serve(), serve(), serve(), swap()]);
    assert.equal(failures, 0);
    assert.equal(swaps, 20);
    assert.deepEqual([...seen].sort(), [1, 2]);
    assert.ok(answered >= 20, `${answered} responses`);
    assert.ok(spanning > 0, "some responses ran across a swap");
    await db.close();
  },
);

engineTest("reload() of a dataset never opened opens it", async (engine) => {
  const dir = await tempDir();
  await buildVersion(engine, `${dir}/a.sqlite`, 1);
  const { db, store } = itemsAt(engine, `${dir}/a.sqlite`);
  await db.reload();
  assert.equal((await store.retrieve(1)).version, 1);
  await db.close();
});

engineTest(
  "An iterator on the old version reads it as the old version while a STRICT new one serves",
  async (engine) => {
    // Version 1 is not STRICT, and its row 2 holds text where the model
    // says integer: reading it is a DataSetError, whatever version serves
    // new queries meanwhile (never the text read as a number, 0).
    const old = await sqliteFile(`
      create table item (id integer primary key, version, label text);
      insert into item values (1, 1, 'one'), (2, 'x', 'two');
    `);
    const dir = await tempDir();
    await buildVersion(engine, `${dir}/strict.sqlite`, 2);
    const { db, store } = itemsAt(engine, old);
    const running = store.search({}, { orderBy: "id" });
    assert.equal((await running.next()).value?.label, "one");
    await db.reload(`${dir}/strict.sqlite`);
    assert.equal((await store.retrieve(2)).label, "v2 #2");
    await assert.rejects(running.next(), (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.match(error.message, /item\.version .* holds text "x"/);
      return true;
    });
    await db.close();
  },
);

engineTest(
  "close() during a reload leaves no connection open: the next use opens the new binding",
  async (engine) => {
    const dir = await tempDir();
    await buildVersion(engine, `${dir}/a.sqlite`, 1);
    await buildVersion(engine, `${dir}/b.sqlite`, 2);
    const { db, store } = itemsAt(engine, `${dir}/a.sqlite`);
    const before = await db[SESSION]();
    const reloading = db.reload(`${dir}/b.sqlite`);
    await db.close();
    await reloading;
    assert.equal(before.closed, true);
    const after = db[SESSION]();
    assert.ok(after instanceof Promise, "closed: the next use opens again");
    await after;
    assert.equal((await store.retrieve(1)).version, 2);
    await db.close();
  },
);
