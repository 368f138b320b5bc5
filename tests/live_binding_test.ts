// Issue 14: pinning a file by SHA-256, strict binding, and files that are
// not databases but are often shipped as one (a Git LFS pointer, an HTML
// page), named in the error.
import assert from "node:assert/strict";
import { DataSetError, SQLiteBindFactory, Store } from "../mod.ts";
import {
  declarePeople,
  engineTest,
  freshDataSet,
  listing,
  PEOPLE,
  peopleFile,
  sha256,
  tempDir,
} from "./_helpers.ts";

/** A Git LFS pointer, as a checkout without LFS holds in place of a file. */
const LFS_POINTER = `version https://git-lfs.github.com/spec/v1
oid sha256:${"ab".repeat(32)}
size 52428800
`;

engineTest(
  "A file pinned as { path, sha256 } opens when its SHA-256 matches",
  async (engine) => {
    const path = await peopleFile(engine);
    const db = freshDataSet(engine);
    const Person = declarePeople(db);
    db.bind(
      new SQLiteBindFactory().set(db.name, {
        path,
        sha256: (await sha256(path)).toUpperCase(),
      }),
    );
    assert.equal(await new Store(Person).count(), PEOPLE.length);
    await db.close();
  },
);

engineTest(
  "A pinned file whose SHA-256 differs fails at open with a DataSetError naming both hashes",
  async (engine) => {
    const path = await peopleFile(engine);
    const actual = await sha256(path);
    const wrong = "0".repeat(64);
    const db = freshDataSet(engine);
    const Person = declarePeople(db);
    db.bind(new SQLiteBindFactory().set(db.name, { path, sha256: wrong }));
    await assert.rejects(db.open(), (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.match(error.message, new RegExp(`SHA-256 is ${actual}`));
      assert.match(error.message, new RegExp(`pins ${wrong}`));
      return true;
    });
    await assert.rejects(new Store(Person).count(), DataSetError);
    assert.equal(await sha256(path), actual, "the file is untouched");
    await db.close();
  },
);

Deno.test("A pinned source needs 64 hex digits and both keys; { url } points to fetchDataSet", () => {
  const factory = new SQLiteBindFactory();
  assert.throws(
    () => factory.set("x", { path: "/x.sqlite", sha256: "abc" }),
    (error: Error) =>
      error instanceof TypeError && /64 hex digits/.test(error.message),
  );
  assert.throws(
    // @ts-expect-error: a remote source is not a binding
    () => factory.set("x", { url: "https://x/y", sha256: "a".repeat(64) }),
    (error: Error) =>
      error instanceof TypeError && /fetchDataSet/.test(error.message),
  );
  assert.throws(
    () => factory.set("x", { path: ":memory:", sha256: "a".repeat(64) }),
    TypeError,
  );
  assert.equal(factory.sha256("x"), undefined);
  factory.set("x", { path: "/x.sqlite", sha256: "A".repeat(64) });
  assert.equal(factory.sha256("x"), "a".repeat(64));
  factory.set("x", "/y.sqlite");
  assert.equal(factory.sha256("x"), undefined, "a new source drops the pin");
});

engineTest(
  "A Git LFS pointer given as a dataset path is named in the error, with its oid",
  async (engine) => {
    const dir = await tempDir();
    const path = `${dir}/countries.sqlite`;
    await Deno.writeTextFile(path, LFS_POINTER);
    const db = freshDataSet(engine);
    db.bind(new SQLiteBindFactory().set(db.name, path));
    await assert.rejects(db.open(), (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.match(error.message, /is a Git LFS pointer file/);
      assert.match(error.message, /oid sha256:abab/);
      assert.match(error.message, /git lfs pull/);
      return true;
    });
    assert.deepEqual(await listing(dir), ["countries.sqlite"]);
    await db.close();
  },
);

engineTest(
  "An HTML page saved as a dataset file is named in the error",
  async (engine) => {
    const dir = await tempDir();
    const path = `${dir}/countries.sqlite`;
    await Deno.writeTextFile(
      path,
      "<!DOCTYPE html><html><body>403 Forbidden</body></html>",
    );
    const db = freshDataSet(engine);
    db.bind(new SQLiteBindFactory().set(db.name, path));
    await assert.rejects(db.open(), /an HTML page, not a SQLite database/);
    await db.close();
  },
);

engineTest(
  "Strict binding: an unbound dataset is a DataSetError naming its datasets: key, not an empty :memory:",
  async (engine) => {
    const db = freshDataSet(engine);
    const Person = declarePeople(db);
    db.bind(
      new SQLiteBindFactory({ strict: true, resolve: import.meta.resolve }),
    );
    await assert.rejects(new Store(Person).count(), (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.equal((error as DataSetError).dataset, db.name);
      assert.match(error.message, new RegExp(`"datasets:${db.name}"`));
      assert.match(error.message, /strict binding/);
      return true;
    });
    await db.close();
  },
);

engineTest(
  "Strict binding without resolve says the import map is not read",
  async (engine) => {
    const db = freshDataSet(engine);
    db.bind(new SQLiteBindFactory({ strict: true }));
    await assert.rejects(
      db.open(),
      /no resolve option, so the import map is not read/,
    );
    await db.close();
  },
);

engineTest(
  "Strict binding still opens what is bound: an import-map entry, a path, an explicit :memory:",
  async (engine) => {
    const path = await peopleFile(engine);
    const mapped = freshDataSet(engine);
    const Person = declarePeople(mapped);
    const strict = new SQLiteBindFactory({
      strict: true,
      resolve: (key) =>
        key === `datasets:${mapped.name}` ? `file://${path}` : key,
    });
    mapped.bind(strict);
    assert.equal(await new Store(Person).count(), PEOPLE.length);
    const memory = freshDataSet(engine);
    memory.bind(strict.set(memory.name, ":memory:"));
    await memory.open();
    assert.equal(memory.path, ":memory:");
    await mapped.close();
    await memory.close();
  },
);

Deno.test("Strict binding refuses a defaultPath and a non-boolean", () => {
  assert.throws(
    () => new SQLiteBindFactory({ strict: true, defaultPath: "/x.sqlite" }),
    /strict binding has no default path/,
  );
  assert.throws(
    // @ts-expect-error: not a boolean
    () => new SQLiteBindFactory({ strict: "yes" }),
    TypeError,
  );
});
