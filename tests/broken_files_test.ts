// Broken and unexpected files: each gets a clear DataSetError, none crashes
// the process, creates a file or changes a byte.
import assert from "node:assert/strict";
import { DataSet, DataSetError, integer, Store, text } from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  ENGINES,
  engineTest,
  listing,
  openFile,
  openPeopleFile,
  peopleFile,
  runScriptJson,
  sha256,
  tempDir,
  watchUnchanged,
} from "./_helpers.ts";

/**
 * Opens `path` read-only with the people model on `engine`, expects a
 * `DataSetError` whose message matches `pattern`, and checks that the
 * folder holding `path` gains no file and that `path` keeps its bytes.
 */
async function assertRefused(
  engine: EngineName,
  path: string,
  pattern: RegExp,
): Promise<void> {
  const assertUnchanged = await watchUnchanged(path);
  const { db, store } = openPeopleFile(engine, path);
  await using _ = db;
  await assert.rejects(store.count(), (error: Error) => {
    assert.ok(error instanceof DataSetError, String(error));
    assert.match(error.message, /^Cannot open dataset "test_/);
    assert.match(error.message, pattern);
    return true;
  });
  // A second use fails the same way (nothing half-open is kept).
  await assert.rejects(db.open(), DataSetError);
  await assertUnchanged();
}

/** A file in a fresh folder holding `bytes`. */
async function fileWith(bytes: Uint8Array | string): Promise<string> {
  const path = `${await tempDir()}/data.sqlite`;
  if (typeof bytes === "string") await Deno.writeTextFile(path, bytes);
  else await Deno.writeFile(path, bytes);
  return path;
}

engineTest(
  "A missing file is a DataSetError naming the path and creates nothing",
  async (engine) => {
    const path = `${await tempDir()}/missing.sqlite`;
    await assertRefused(engine, path, /file does not exist: .*missing\.sqlite/);
  },
);

engineTest(
  "An empty file is a DataSetError saying it is empty",
  async (engine) => {
    await assertRefused(
      engine,
      await fileWith(new Uint8Array()),
      /file is empty/,
    );
  },
);

engineTest(
  "A file cut in half is a DataSetError saying it is truncated",
  async (engine) => {
    const whole = await Deno.readFile(await peopleFile(engine));
    const path = await fileWith(whole.subarray(0, whole.length / 2));
    await assertRefused(
      engine,
      path,
      /truncated \(\d+ bytes, the header says \d+\)/,
    );
  },
);

engineTest(
  "A file cut to 50 bytes is a DataSetError saying it is truncated",
  async (engine) => {
    const whole = await Deno.readFile(await peopleFile(engine));
    const path = await fileWith(whole.subarray(0, 50));
    await assertRefused(
      engine,
      path,
      /truncated \(50 bytes, shorter than the 100-byte header\)/,
    );
  },
);

engineTest(
  "A file SQLite cannot read (unsupported schema format) is a DataSetError saying so once",
  async (engine) => {
    // SQLite reads the header, then refuses the schema: an error raised
    // while the connection is set up, which the message once named twice.
    const bytes = await Deno.readFile(await peopleFile(engine));
    bytes[47] = 5; // schema format number (bytes 44..47): 4 is the newest
    const path = await fileWith(bytes);
    await assertRefused(engine, path, /unsupported file format$/);
    const { db, store } = openPeopleFile(engine, path);
    await using _ = db;
    await assert.rejects(store.count(), (error: Error) => {
      assert.equal(
        error.message,
        `Cannot open dataset "${db.name}" (${path}): unsupported file format`,
      );
      return true;
    });
  },
);

engineTest(
  "A text file is a DataSetError saying it is not a SQLite database",
  async (engine) => {
    const path = await fileWith("id,name\n1,Ada\n".repeat(100));
    await assertRefused(engine, path, /not a SQLite database \(wrong header\)/);
  },
);

engineTest(
  "A file with a damaged header is a DataSetError saying it is not a SQLite database",
  async (engine) => {
    const whole = await Deno.readFile(await peopleFile(engine));
    const bytes = whole.slice();
    bytes.set(new TextEncoder().encode("SQLite format 4"), 0);
    await assertRefused(
      engine,
      await fileWith(bytes),
      /not a SQLite database \(wrong header\)/,
    );
  },
);

engineTest(
  "A database whose pages are garbage is a DataSetError saying it is corrupt",
  async (engine) => {
    const whole = await Deno.readFile(await peopleFile(engine));
    const bytes = whole.slice();
    // Keep the 100-byte header, scribble over the schema page and the rest.
    for (let i = 100; i < bytes.length; i++) bytes[i] = (i * 131) & 0xff;
    await assertRefused(
      engine,
      await fileWith(bytes),
      /corrupt|malformed|not a database/,
    );
  },
);

engineTest(
  "A directory is a DataSetError saying it is a directory",
  async (engine) => {
    const dir = `${await tempDir()}/folder.sqlite`;
    await Deno.mkdir(dir);
    await assertRefused(engine, dir, /is a directory: .*folder\.sqlite/);
    assert.deepEqual(await listing(dir), []);
  },
);

/**
 * Whether the operating system refuses to read a file with mode 000: not
 * for root (which reads whatever the mode bits say; the subprocess test
 * below covers the denial that applies to root, Deno's --allow-read), nor
 * on Windows.
 */
function modeBitsDenyReading(): boolean {
  if (Deno.build.os === "windows") return false;
  const path = Deno.makeTempFileSync();
  try {
    Deno.chmodSync(path, 0o000);
    Deno.readFileSync(path);
    return false;
  } catch {
    return true;
  } finally {
    Deno.removeSync(path);
  }
}

for (const engine of ENGINES) {
  Deno.test({
    name:
      `A file the operating system denies reading is a DataSetError saying so [${engine}]`,
    ignore: !modeBitsDenyReading(),
    fn: async () => {
      const path = await peopleFile(engine);
      await Deno.chmod(path, 0o000);
      try {
        await assertRefused(
          engine,
          path,
          /the operating system denies reading/,
        );
      } finally {
        await Deno.chmod(path, 0o644);
      }
    },
  });
}

engineTest(
  "A file without --allow-read is a DataSetError naming --allow-read",
  async (engine) => {
    const path = await peopleFile(engine);
    const assertUnchanged = await watchUnchanged(path);
    const source = new URL("../mod.ts", import.meta.url).href;
    const script = `
    import { DataSet, DataSetError, SQLiteBindFactory } from ${
      JSON.stringify(source)
    };
    const db = DataSet.create("people", { engine: ${JSON.stringify(engine)} });
    db.bind(new SQLiteBindFactory({ paths: { people: ${
      JSON.stringify(path)
    } } }));
    try {
      await db.open();
      console.log("opened");
    } catch (error) {
      console.log(JSON.stringify({ dataset: error instanceof DataSetError, message: error.message }));
    }
  `;
    // Reading the library's own sources is granted; the data folder is not.
    const src = new URL("..", import.meta.url).pathname;
    const reported = await runScriptJson([
      `--allow-read=${src}`,
      ...(engine === "ffi" ? ["--allow-ffi"] : []),
      "--no-prompt",
    ], script);
    assert.equal(reported.dataset, true);
    assert.match(
      reported.message,
      /^Cannot open dataset "people": read access to .* is not granted \(run Deno with --allow-read=/,
    );
    await assertUnchanged();
  },
);

engineTest(
  "A file missing a model's table is a DataSetError at first use naming the table",
  async (engine) => {
    const path = await peopleFile(engine);
    const hash = await sha256(path);
    const db = openFile(engine, path);
    class Pet extends db.Model("pet", {
      id: integer({ primaryKey: true }),
      name: text(),
    }) {}
    await using _ = db;
    await db.open(); // the file itself is fine
    await assert.rejects(new Store(Pet).count(), (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.match(error.message, /"pet"/);
      assert.match(error.message, /does not match the model/);
      assert.match(error.message, /no such table "pet"/);
      return true;
    });
    assert.equal(await sha256(path), hash);
  },
);

engineTest(
  "A file missing a model's column is a DataSetError at first use naming the table and column",
  async (engine) => {
    const path = await peopleFile(engine);
    const hash = await sha256(path);
    const db = openFile(engine, path);
    class Person extends db.Model("person", {
      id: integer({ primaryKey: true }),
      first: text(),
      nickname: text({ nullable: true }),
    }) {}
    await using _ = db;
    await assert.rejects(
      Array.fromAsync(new Store(Person).search()),
      (error: Error) => {
        assert.ok(error instanceof DataSetError, String(error));
        assert.match(error.message, /"person"/);
        assert.match(error.message, /"nickname"/);
        return true;
      },
    );
    assert.equal(await sha256(path), hash);
  },
);

// libc.so.6 is a real library without any sqlite3_ symbol (glibc Linux).
const LIBC = { ignore: Deno.build.os !== "linux" };

Deno.test({
  name:
    "The ffi engine over a library lacking SQLite's symbols is a DataSetError naming them",
  ...LIBC,
}, async () => {
  const db = DataSet.create("broken_files_libc_ffi", {
    engine: "ffi",
    library: "libc.so.6",
  });
  await using _ = db;
  await assert.rejects(db.open(), (error: Error) => {
    assert.ok(error instanceof DataSetError, String(error));
    assert.match(error.message, /with the ffi engine/);
    assert.match(error.message, /libc\.so\.6 \(missing symbols sqlite3_/);
    assert.match(error.message, /sqlite3_open_v2/);
    return true;
  });
});

Deno.test({
  name:
    "The auto engine over an explicit library lacking SQLite's symbols is a DataSetError naming it, not node:sqlite",
  ...LIBC,
}, async () => {
  const db = DataSet.create("broken_files_libc_auto", {
    engine: "auto",
    library: "libc.so.6",
  });
  await using _ = db;
  await assert.rejects(db.open(), (error: Error) => {
    assert.ok(error instanceof DataSetError, String(error));
    assert.match(error.message, /libc\.so\.6 \(missing symbols sqlite3_/);
    assert.match(error.message, /chosen by the library option/);
    return true;
  });
  assert.equal(db.engine, undefined);
});

/** A people file switched to WAL journal mode (header bytes 18 and 19). */
async function walPeopleFile(engine: EngineName): Promise<string> {
  const bytes = (await Deno.readFile(await peopleFile(engine))).slice();
  bytes[18] = 2;
  bytes[19] = 2;
  return await fileWith(bytes);
}

Deno.test("A WAL-mode file reads through the ffi engine, creating no -wal or -shm file", async () => {
  const path = await walPeopleFile("ffi");
  const dir = path.slice(0, path.lastIndexOf("/"));
  const hash = await sha256(path);
  const { db, store } = openPeopleFile("ffi", path);
  await using _ = db;
  assert.equal(await store.count(), 5);
  assert.deepEqual(await listing(dir), ["data.sqlite"]);
  await db.close();
  assert.deepEqual(await listing(dir), ["data.sqlite"]);
  assert.equal(await sha256(path), hash);
});

Deno.test("A WAL-mode file on the node engine is a DataSetError saying WAL mode and how to convert it", async () => {
  const path = await walPeopleFile("node");
  await assertRefused(
    "node",
    path,
    /is in WAL journal mode, which node:sqlite cannot open read-only; convert it once with `sqlite3 .* "PRAGMA journal_mode=DELETE"`/,
  );
});
