import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DataSetError, SQLiteBindFactory } from "../mod.ts";
import {
  assertWritesRefused,
  engineTest,
  freshDataSet,
  openPeopleFile,
  peopleFile,
  runDeno,
  sha256,
  tempDir,
} from "./_helpers.ts";

Deno.test("SQLiteBindFactory resolves explicit paths, then the import map, then :memory:", () => {
  const asked: string[] = [];
  const factory = new SQLiteBindFactory({
    paths: { a: "/data/a.sqlite" },
    resolve: (specifier) => {
      asked.push(specifier);
      if (specifier === "datasets:b") return "file:///srv/b.sqlite";
      if (specifier === "datasets:a") return "file:///wrong/a.sqlite";
      if (specifier === "datasets:thrower") throw new TypeError("unmapped");
      return specifier;
    },
  });
  assert.equal(factory.path("a"), "/data/a.sqlite");
  assert.equal(factory.path("b"), "/srv/b.sqlite");
  assert.equal(factory.path("c"), ":memory:");
  assert.equal(factory.path("thrower"), ":memory:");
  assert.deepEqual(asked, ["datasets:b", "datasets:c", "datasets:thrower"]);
  factory.set("c", new URL("file:///srv/c.sqlite"));
  assert.equal(factory.path("c"), "/srv/c.sqlite");
});

Deno.test("SQLiteBindFactory honours defaultPath and prefix", () => {
  const factory = new SQLiteBindFactory({
    defaultPath: "/fallback.sqlite",
    prefix: "data/",
    resolve: (s) => s === "data/x" ? "file:///x.sqlite" : s,
  });
  assert.equal(factory.path("x"), "/x.sqlite");
  assert.equal(factory.path("y"), "/fallback.sqlite");
});

Deno.test("SQLiteBindFactory rejects non-file URLs with a clear TypeError", () => {
  const factory = new SQLiteBindFactory({
    resolve: () => "https://jsr.io/@x/y/data.sqlite",
  });
  assert.throws(
    () => factory.path("remote"),
    (error: Error) =>
      error instanceof TypeError && /not a local file/.test(error.message),
  );
  assert.throws(() => factory.set("x", ""), TypeError);
});

engineTest(
  "A file dataset opens read-only: every write throws ReadOnlyError and the bytes stay the same",
  async (engine) => {
    const path = await peopleFile(engine);
    const before = await sha256(path);
    const { db, store } = openPeopleFile(engine, path);
    await using _ = db;
    assert.equal(await store.count(), 5);
    assert.equal(db.readOnly, true);
    await assertWritesRefused(db, store);
    await db.close();
    assert.equal(await sha256(path), before);
  },
);

engineTest(
  "A file dataset that may change opens without immutable and still reads",
  async (engine) => {
    const path = await peopleFile(engine);
    const { db, store } = openPeopleFile(engine, path, { immutable: false });
    await using _ = db;
    assert.equal(await store.count({ last: "Washington" }), 2);
  },
);

engineTest(
  "A missing file throws DataSetError naming the dataset and path, creating nothing",
  async (engine) => {
    const dir = await tempDir();
    const path = `${dir}/missing.sqlite`;
    const { db, store } = openPeopleFile(engine, path);
    await assert.rejects(
      store.count(),
      (error: Error) =>
        error instanceof DataSetError && error.message.includes(db.name) &&
        error.message.includes(path) && /does not exist/.test(error.message),
    );
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  },
);

engineTest(
  "A file that is not SQLite throws DataSetError naming the path",
  async (engine) => {
    const dir = await tempDir();
    const path = `${dir}/notes.sqlite`;
    await Deno.writeTextFile(
      path,
      "just some text, not a database\n".repeat(10),
    );
    const before = await sha256(path);
    const { db } = openPeopleFile(engine, path);
    await assert.rejects(
      db.open(),
      (error: Error) =>
        error instanceof DataSetError && error.message.includes(path) &&
        /not a SQLite database/.test(error.message),
    );
    assert.equal(await sha256(path), before);
  },
);

engineTest(
  "A writable file dataset builds a file that reads back read-only",
  async (engine) => {
    const path = await peopleFile(engine);
    const { db, store } = openPeopleFile(engine, path);
    await using _ = db;
    const names = (await Array.fromAsync(store.search())).map((p) =>
      p.fullName
    );
    assert.deepEqual(names, [
      "John Adams",
      "Thomas Jefferson",
      "Nobody Known",
      "George Washington",
      "Martha Washington",
    ]);
  },
);

engineTest("Each in-memory dataset is private", async (engine) => {
  const a = freshDataSet(engine);
  const b = freshDataSet(engine);
  for await (const _ of a.sql`create table only_a (x)`);
  await assert.rejects(
    Array.fromAsync(b.sql`select * from only_a`),
    /no such table/,
  );
  await a.close();
  await b.close();
});

const app = fileURLToPath(new URL("./testdata/app/", import.meta.url));

async function runApp(
  flags: string[],
): Promise<{ engine: string; names: string[] }> {
  const { stdout } = await runDeno(["run", ...flags, "main.ts"], {
    cwd: app,
    ok: true,
  });
  return JSON.parse(stdout);
}

Deno.test("An app's deno.json import map binds its dataset file, with only --allow-read", async () => {
  const before = await sha256(`${app}/people.sqlite`);
  assert.deepEqual(await runApp([`--allow-read=${app}`]), {
    engine: "node",
    names: ["Ada", "Grace", "Linus"],
  });
  assert.equal(await sha256(`${app}/people.sqlite`), before);
});

Deno.test("An app's import-map dataset reads through FFI when --allow-ffi is granted", async () => {
  assert.deepEqual(await runApp([`--allow-read=${app}`, "--allow-ffi"]), {
    engine: "ffi",
    names: ["Ada", "Grace", "Linus"],
  });
});
