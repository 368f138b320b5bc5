/**
 * Issue 13's ETag: `dataset.contentHash()`, the hash `buildDataSet`
 * records, and `verifyDataSet`/`inspect` checking it.
 */
import assert from "node:assert/strict";
import {
  DataSetError,
  integer,
  readBuildMetadata,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet, verifyDataSet } from "../build.ts";
import { hashChunks } from "../src/_hash.ts";
import type { FileInfo } from "../src/cli/inspect.ts";
import {
  engineTest,
  freshDataSet,
  openFile,
  runCli,
  sha256,
  sqliteFile,
  tempDir,
} from "./_helpers.ts";

/** Hex SHA-256 of bytes, through WebCrypto: an independent computation. */
async function digest(bytes: Uint8Array): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", bytes.slice());
  return Array.from(
    new Uint8Array(hash),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * The definition, written out independently of `src/_hash.ts`: the file's
 * bytes with every occurrence of `recorded` (ASCII) read as `0`s.
 */
async function contentHashByDefinition(
  bytes: Uint8Array,
  recorded: string,
): Promise<{ hash: string; occurrences: number }> {
  const copy = bytes.slice();
  const text = new TextDecoder("latin1").decode(copy);
  let occurrences = 0;
  for (let at = text.indexOf(recorded); at !== -1;) {
    copy.set(new TextEncoder().encode("0".repeat(64)), at);
    occurrences++;
    at = text.indexOf(recorded, at + 64);
  }
  return { hash: await digest(copy), occurrences };
}

/** Builds a small dataset into a fresh folder on `engine`. */
async function built(engine: "ffi" | "node") {
  const db = freshDataSet(engine);
  class Place extends db.Model("place", {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  const path = `${await tempDir({ prefix: "microcosm_hash_" })}/place.sqlite`;
  const result = await buildDataSet(
    db,
    path,
    (build) =>
      build.loadRecords(Place, [
        { id: 1, name: "Zanzibar" },
        { id: 2, name: "Lyon" },
      ]),
  );
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  return { db, Place, path, result };
}

engineTest(
  "a built file records its content hash, which contentHash() answers and the definition recomputes",
  async (engine) => {
    const { db, path, result } = await built(engine);
    const hash = await db.contentHash();
    assert.match(hash!, /^[0-9a-f]{64}$/);
    assert.equal(result.metadata.sha256, hash);
    assert.equal((await readBuildMetadata(db))?.sha256, hash);
    const bytes = await Deno.readFile(path);
    const byDefinition = await contentHashByDefinition(bytes, hash!);
    assert.equal(byDefinition.occurrences, 1);
    assert.equal(byDefinition.hash, hash);
    // The file holds its own hash, so its plain SHA-256 differs.
    assert.notEqual(await sha256(path), hash);
    await db.close();

    // The same file read on the other engine answers the same hash.
    const other = openFile(engine === "ffi" ? "node" : "ffi", path);
    assert.equal(await other.contentHash(), hash);
    await other.close();
  },
);

engineTest(
  "a file that records no hash answers its plain SHA-256, as sha256sum prints it",
  async (engine) => {
    const path = await sqliteFile(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a');",
    );
    const db = openFile(engine, path);
    assert.equal(await db.contentHash(), await sha256(path));
    await db.close();
  },
);

engineTest(
  "a dataset served from bytes answers the hash of those bytes",
  async (engine) => {
    const path = await sqliteFile("CREATE TABLE t (id INTEGER PRIMARY KEY);");
    const bytes = await Deno.readFile(path);
    const db = freshDataSet(engine);
    db.bind(new SQLiteBindFactory().set(db.name, bytes));
    assert.equal(await db.contentHash(), await digest(bytes));
    await db.close();

    const { db: builder, path: builtPath } = await built(engine);
    const recorded = await builder.contentHash();
    await builder.close();
    const fromBytes = freshDataSet(engine);
    fromBytes.bind(
      new SQLiteBindFactory().set(
        fromBytes.name,
        await Deno.readFile(builtPath),
      ),
    );
    assert.equal(await fromBytes.contentHash(), recorded);
    await fromBytes.close();
  },
);

engineTest("an in-memory dataset has no content hash", async (engine) => {
  const db = freshDataSet(engine);
  await db.open();
  assert.equal(await db.contentHash(), undefined);
  await db.close();
});

engineTest(
  "the content hash is kept per opened file: a file renamed over it changes it after a reopen",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_hash_swap_" });
    const path = `${dir}/data.sqlite`;
    const first = await sqliteFile("CREATE TABLE t (id INTEGER PRIMARY KEY);");
    const second = await sqliteFile(
      "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);",
    );
    await Deno.copyFile(first, path);
    const db = openFile(engine, path);
    const before = await db.contentHash();
    assert.equal(before, await sha256(first));
    await Deno.copyFile(second, `${dir}/next.sqlite`);
    await Deno.rename(`${dir}/next.sqlite`, path);
    // Still the file the dataset has open.
    assert.equal(await db.contentHash(), before);
    await db.close();
    assert.equal(await db.contentHash(), await sha256(second));
    await db.close();
  },
);

engineTest(
  "contentHash() refuses to hash a file renamed over the one the dataset has open",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_hash_replaced_" });
    const path = `${dir}/data.sqlite`;
    await Deno.copyFile(
      await sqliteFile("CREATE TABLE t (id INTEGER PRIMARY KEY);"),
      path,
    );
    const db = openFile(engine, path);
    await db.open();
    await Deno.copyFile(
      await sqliteFile("CREATE TABLE u (id INTEGER PRIMARY KEY);"),
      `${dir}/next.sqlite`,
    );
    await Deno.rename(`${dir}/next.sqlite`, path);
    await assert.rejects(
      db.contentHash(),
      (error) =>
        error instanceof DataSetError &&
        /was replaced since the dataset opened it/.test(error.message),
    );
    await db.close();
  },
);

engineTest(
  "verifyDataSet and inspect check the recorded hash against the file",
  async (engine) => {
    const { db, Place, path } = await built(engine);
    assert.equal((await verifyDataSet(db)).ok, true);
    const hash = await db.contentHash();
    await db.close();
    const good = JSON.parse(
      (await runCli("inspect", path, "--json")).stdout,
    ) as FileInfo;
    assert.equal(good.contentHash, hash);
    assert.equal(good.contentHashMatches, true);

    // Rewrite one letter of a stored value in place: still a valid file.
    const bytes = await Deno.readFile(path);
    const at = new TextDecoder("latin1").decode(bytes).indexOf("Zanzibar");
    assert.ok(at > 0);
    bytes[at] = "Y".charCodeAt(0);
    await Deno.writeFile(path, bytes);
    assert.equal((await new Store(Place).retrieve(1)).name, "Yanzibar");
    const report = await verifyDataSet(db);
    assert.equal(report.ok, false);
    assert.match(
      report.problems.map((p) => p.message).join("\n"),
      new RegExp(
        `content hash: the build metadata records ${hash}, but the file hashes to [0-9a-f]{64} \\(it changed after it was built\\)`,
      ),
    );
    await db.close();
    const bad = JSON.parse(
      (await runCli("inspect", path, "--json")).stdout,
    ) as FileInfo;
    assert.equal(bad.contentHashMatches, false);
    assert.notEqual(bad.contentHash, hash);
    assert.match((await runCli("inspect", path)).stdout, /DOES NOT MATCH/);
    const verify = await runCli("verify", path);
    assert.notEqual(verify.code, 0);
  },
);

Deno.test("the streamed hash finds the recorded digits across chunk boundaries", async () => {
  const recorded = "ab".repeat(32);
  const text = `head ${recorded} middle ${recorded}tail`;
  const bytes = new TextEncoder().encode(text);
  const expected = await contentHashByDefinition(bytes, recorded);
  for (const size of [1, 7, 63, 64, 65, bytes.length]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      chunks.push(bytes.subarray(i, i + size));
    }
    const offsets: number[] = [];
    const hash = await hashChunks(chunks, recorded, (at) => offsets.push(at));
    assert.equal(hash, expected.hash, `chunks of ${size}`);
    assert.deepEqual(offsets, [5, 5 + 64 + 8], `chunks of ${size}`);
  }
  assert.equal(await hashChunks([bytes], undefined), await digest(bytes));
});

engineTest("contentHash() follows reload() to the new file", async (engine) => {
  const first = await sqliteFile("CREATE TABLE t (id INTEGER PRIMARY KEY);");
  const second = await sqliteFile(
    "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);",
  );
  const db = openFile(engine, first);
  assert.equal(await db.contentHash(), await sha256(first));
  await db.reload(second);
  assert.equal(await db.contentHash(), await sha256(second));
  const { db: builder, path: builtPath } = await built(engine);
  const recorded = await builder.contentHash();
  await builder.close();
  await db.reload(builtPath);
  assert.equal(await db.contentHash(), recorded);
  await db.close();
});

engineTest(
  "with immutable: false, a file rewritten in place is hashed again",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_hash_inplace_" });
    const path = `${dir}/data.sqlite`;
    const first = await sqliteFile("CREATE TABLE t (id INTEGER PRIMARY KEY);");
    const second = await sqliteFile(
      "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);",
    );
    await Deno.copyFile(first, path);
    const db = openFile(engine, path, { immutable: false });
    assert.equal(await db.contentHash(), await sha256(first));
    assert.equal(await db.contentHash(), await sha256(first));
    // Rewritten in place (same inode): the size or modification time moves.
    await Deno.writeFile(path, await Deno.readFile(second));
    const later = new Date(Date.now() + 5_000);
    await Deno.utime(path, later, later);
    assert.equal(await db.contentHash(), await sha256(second));
    await db.close();
  },
);
