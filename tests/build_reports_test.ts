// What a build reports: progress that ends at every row, and warnings for
// declared tables left without a source.
import assert from "node:assert/strict";
import { DataSetError, integer, Store, text } from "../mod.ts";
import { buildDataSet, type LoadProgress } from "../build.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  buildFixture,
  engineTest,
  freshDataSet,
  runCli,
  tempDir,
} from "./_helpers.ts";

/** 100 rows: one full batch of 64 and a partial one. */
const ROWS = 100;

function declareTags(engine: EngineName) {
  const db = freshDataSet(engine);
  class Tag extends db.Model("tag", {
    id: integer({ primaryKey: true }),
    name: text(),
  }) {}
  return { db, Tag };
}

async function sourceFiles() {
  const dir = await tempDir();
  const ids = Array.from({ length: ROWS }, (_, i) => i + 1);
  const files = {
    csv: `${dir}/tags.csv`,
    jsonl: `${dir}/tags.jsonl`,
    json: `${dir}/tags.json`,
  };
  await Deno.writeTextFile(
    files.csv,
    `id,name\n${ids.map((id) => `${id},t${id}\n`).join("")}`,
  );
  await Deno.writeTextFile(
    files.jsonl,
    ids.map((id) => JSON.stringify({ id, name: `t${id}` }) + "\n").join(""),
  );
  await Deno.writeTextFile(
    files.json,
    JSON.stringify(ids.map((id) => ({ id, name: `t${id}` })), null, 1),
  );
  return { dir, files };
}

engineTest(
  "The last progress report of every loader counts every row and byte",
  async (engine) => {
    const { dir, files } = await sourceFiles();
    const loads = [
      "loadCsv",
      "loadJsonLines",
      "loadJson",
      "loadRecords",
    ] as const;
    for (const load of loads) {
      const { db, Tag } = declareTags(engine);
      const reports: LoadProgress[] = [];
      const onProgress = (progress: LoadProgress) => reports.push(progress);
      await buildDataSet(db, `${dir}/${load}.sqlite`, async (build) => {
        if (load === "loadRecords") {
          await build.loadRecords(
            Tag,
            Array.from({ length: ROWS }, (_, i) => ({ id: i + 1, name: "t" })),
            { onProgress },
          );
          return;
        }
        const file = load === "loadCsv"
          ? files.csv
          : load === "loadJson"
          ? files.json
          : files.jsonl;
        await build[load](Tag, file, { onProgress });
      });
      const last = reports.at(-1)!;
      assert.equal(last.rows, ROWS, load);
      assert.equal(last.table, "tag");
      if (load !== "loadRecords") {
        assert.equal(last.bytesRead, last.bytesTotal, load);
        assert.ok(last.bytesRead > 0);
      }
      assert.ok(
        reports.every((r, i) => i === 0 || r.rows >= reports[i - 1]!.rows),
        `${load}: rows never go back`,
      );
    }
  },
);

engineTest(
  "A declared table no source loaded is named in the warnings; the build succeeds",
  async (engine) => {
    const db = freshDataSet(engine);
    class Loaded extends db.Model("loaded", {
      id: integer({ primaryKey: true }),
    }) {}
    class Written extends db.Model("written", {
      id: integer({ primaryKey: true }),
    }) {}
    class EmptySource extends db.Model("empty_source", {
      id: integer({ primaryKey: true }),
    }) {}
    db.Model("forgotten", { id: integer({ primaryKey: true }) });
    const dir = await tempDir();
    await Deno.writeTextFile(`${dir}/empty.csv`, "id\n");
    const result = await buildDataSet(db, `${dir}/x.sqlite`, async (build) => {
      await build.loadRecords(Loaded, [{ id: 1 }]);
      await new Store(Written).create({ id: 1 });
      await build.loadCsv(EmptySource, `${dir}/empty.csv`);
    });
    assert.deepEqual(result.rows, {
      loaded: 1,
      written: 1,
      empty_source: 0,
      forgotten: 0,
    });
    assert.deepEqual(result.warnings, [
      'table "forgotten" is empty: no source was loaded into it and the fill wrote no row',
    ]);
  },
);

Deno.test("The CLI's build reads a .json array", async () => {
  const dir = await tempDir();
  const { code, stderr } = await runCli(
    "build",
    buildFixture("models.ts"),
    `${dir}/shop.sqlite`,
    `category=${buildFixture("category.csv")}`,
    `product=${buildFixture("product.json")}`,
  );
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
});

engineTest(
  "A build into a missing folder or onto a directory is a DataSetError that says so",
  async (engine) => {
    const { db, Tag } = declareTags(engine);
    const dir = await tempDir();
    await assert.rejects(
      buildDataSet(
        db,
        `${dir}/missing/x.sqlite`,
        (build) => build.loadRecords(Tag, [{ id: 1, name: "a" }]),
      ),
      (error: Error) =>
        error instanceof DataSetError &&
        error.message ===
          `Cannot build dataset "${db.name}" into ${dir}/missing/x.sqlite: the folder does not exist: ${dir}/missing`,
    );
    await Deno.mkdir(`${dir}/taken`);
    await assert.rejects(
      buildDataSet(
        db,
        `${dir}/taken`,
        (build) => build.loadRecords(Tag, [{ id: 1, name: "a" }]),
      ),
      (error: Error) =>
        error instanceof DataSetError &&
        error.message ===
          `Cannot build dataset "${db.name}" into ${dir}/taken: the target is a directory`,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["taken"]);
  },
);
