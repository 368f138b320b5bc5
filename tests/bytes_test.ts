// Serving a dataset from the bytes of its file (deno compile, raw imports).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DataSetError, SQLiteBindFactory, Store } from "../mod.ts";
import {
  assertWritesRefused,
  declarePeople,
  type DenoRun,
  engineTest,
  freshDataSet,
  peopleFile,
  runDeno,
  sha256,
  tempDir,
} from "./_helpers.ts";

/** A people dataset bound to the bytes of a people file. */
async function peopleFromBytes(
  engine: "ffi" | "node",
  bytes?: Uint8Array,
  options: { writable?: boolean } = {},
) {
  const image = bytes ?? await Deno.readFile(await peopleFile(engine));
  const db = freshDataSet(engine, options);
  db.bind(new SQLiteBindFactory().set(db.name, image));
  const Person = declarePeople(db);
  return { db, Person, store: new Store(Person), image };
}

Deno.test("SQLiteBindFactory takes bytes in paths or set(), and a later path replaces them", () => {
  const image = new Uint8Array(100);
  const factory = new SQLiteBindFactory({
    paths: { a: image, b: "/srv/b.sqlite" },
    resolve: () => "file:///from/import/map.sqlite",
  });
  assert.equal(factory.path("a"), ":bytes:");
  assert.equal(factory.bytes("a"), image);
  assert.equal(factory.bytes("b"), undefined);
  factory.set("a", "/srv/a.sqlite");
  assert.equal(factory.path("a"), "/srv/a.sqlite");
  assert.equal(factory.bytes("a"), undefined);
  factory.set("b", image);
  assert.equal(factory.path("b"), ":bytes:");
});

Deno.test("SQLiteBindFactory.set() rejects a source that is neither a path nor bytes", () => {
  const factory = new SQLiteBindFactory();
  for (const bad of [new ArrayBuffer(8), 42, null]) {
    assert.throws(
      () => factory.set("x", bad as unknown as Uint8Array),
      (error: Error) =>
        error instanceof TypeError && error.message.includes('"x"') &&
        /Uint8Array/.test(error.message),
    );
  }
});

engineTest("A dataset served from bytes answers queries", async (engine) => {
  const { db, store } = await peopleFromBytes(engine);
  await using _ = db;
  assert.equal(await store.count(), 5);
  assert.equal(db.engine, engine);
  assert.equal(db.path, ":bytes:");
  const washingtons = await Array.fromAsync(
    store.search({ last: "Washington" }),
  );
  assert.deepEqual(washingtons.map((p) => p.fullName), [
    "George Washington",
    "Martha Washington",
  ]);
  assert.equal((await store.retrieve(1)).first, "George");
  const rows = await Array.fromAsync(
    db.sql`select count(*) as n from person where born < ${1740}`,
  );
  assert.deepEqual(rows, [{ n: 3 }]);
});

engineTest(
  "A dataset served from bytes is read-only: writes throw ReadOnlyError and the bytes stay the same",
  async (engine) => {
    const { db, store, image } = await peopleFromBytes(engine);
    await using _ = db;
    const before = image.slice();
    assert.equal(db.readOnly, true);
    await assertWritesRefused(db, store);
    assert.equal(await store.count(), 5);
    assert.deepEqual(image, before);
  },
);

engineTest(
  "A dataset served from bytes reopens from them after close()",
  async (engine) => {
    const { db, store } = await peopleFromBytes(engine);
    assert.equal(await store.count(), 5);
    await db.close();
    assert.equal(await store.count({ born: null }), 1);
    await db.close();
  },
);

engineTest(
  "A dataset served from a view into a larger buffer reads only the view",
  async (engine) => {
    const file = await Deno.readFile(await peopleFile(engine));
    const buffer = new Uint8Array(file.length + 64).fill(0xAB);
    buffer.set(file, 32);
    const { db, store } = await peopleFromBytes(
      engine,
      buffer.subarray(32, 32 + file.length),
    );
    await using _ = db;
    assert.equal(await store.count(), 5);
  },
);

engineTest(
  "A WAL-mode image is served from bytes like any other",
  async (engine) => {
    const path = await peopleFile(engine);
    const wal = freshDataSet(engine, { writable: true, immutable: false });
    wal.bind(new SQLiteBindFactory({ paths: { [wal.name]: path } }));
    for await (const _ of wal.sql`PRAGMA journal_mode=WAL`);
    await wal.close();
    const image = await Deno.readFile(path);
    assert.equal(image[18], 2, "the fixture is in WAL mode");
    const { db, store } = await peopleFromBytes(engine, image);
    await using _ = db;
    assert.equal(await store.count(), 5);
    assert.equal(image[18], 2, "the caller's bytes are not patched");
  },
);

engineTest(
  "Bytes that are not a SQLite database throw DataSetError",
  async (engine) => {
    const text = new TextEncoder().encode("not a database\n".repeat(20));
    for (
      const [bytes, pattern] of [
        [text, /not a SQLite database/],
        [new Uint8Array(0), /empty/],
      ] as const
    ) {
      const { db } = await peopleFromBytes(engine, bytes);
      await assert.rejects(
        db.open(),
        (error: Error) =>
          error instanceof DataSetError && error.message.includes(db.name) &&
          /from bytes/.test(error.message) && pattern.test(error.message),
      );
    }
  },
);

engineTest(
  "An image SQLite cannot read (unsupported schema format) is a DataSetError saying so once",
  async (engine) => {
    const file = await Deno.readFile(await peopleFile(engine));
    file[47] = 5; // schema format number (bytes 44..47): 4 is the newest
    const { db } = await peopleFromBytes(engine, file);
    await using _ = db;
    await assert.rejects(db.open(), (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.equal(
        error.message,
        `Cannot open dataset "${db.name}" from bytes: unsupported file format`,
      );
      return true;
    });
  },
);

engineTest(
  "A truncated image throws DataSetError before SQLite reads it",
  async (engine) => {
    const file = await Deno.readFile(await peopleFile(engine));
    const { db } = await peopleFromBytes(engine, file.subarray(0, 4096));
    await assert.rejects(
      db.open(),
      (error: Error) =>
        error instanceof DataSetError && /truncated/.test(error.message),
    );
  },
);

engineTest(
  "A writable dataset bound to bytes throws DataSetError instead of writing nowhere",
  async (engine) => {
    const { db } = await peopleFromBytes(engine, undefined, {
      writable: true,
    });
    await assert.rejects(
      db.open(),
      (error: Error) =>
        error instanceof DataSetError && /read-only/.test(error.message),
    );
  },
);

// A script that imports its dataset with `with { type: "bytes" }`: it runs
// with no read permission at all, from any working directory.
const bundled = fileURLToPath(
  new URL("../examples/bundled/", import.meta.url),
);

async function runFromBytes(flags: string[]): Promise<DenoRun> {
  return runDeno(
    [
      "run",
      "--no-prompt",
      "--unstable-raw-imports",
      ...flags,
      `${bundled}from_bytes.ts`,
    ],
    { cwd: await tempDir(), ok: true },
  );
}

Deno.test("A script importing its dataset as bytes runs with no read permission, on both engines", async () => {
  const data = `${bundled}data/elements.sqlite`;
  const before = await sha256(data);
  const node = await runFromBytes([]);
  const ffi = await runFromBytes(["--allow-ffi"]);
  assert.match(node.stderr, /engine: node/);
  assert.match(ffi.stderr, /engine: ffi/);
  assert.match(node.stdout, /Fe\s+Iron\s+26/);
  assert.equal(ffi.stdout, node.stdout);
  assert.equal(await sha256(data), before);
});
