// Builds are isolated: two builds of one dataset never mix.
import assert from "node:assert/strict";
import { DataSetError, integer, text } from "../mod.ts";
import { buildDataSet } from "../build.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  engineTest,
  freshDataSet,
  openFile,
  runScript,
  tempDir,
} from "./_helpers.ts";

/** Rows tagged `tag`, yielding to the event loop now and then. */
async function* tagged(tag: string, count: number) {
  for (let i = 0; i < count; i++) {
    if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    yield { tag: `${tag}${i}` };
  }
}

/** A dataset with one model, rows of tags. */
function declareRows(engine: EngineName) {
  const db = freshDataSet(engine);
  class Row extends db.Model("row", {
    id: integer({ primaryKey: true }),
    tag: text(),
  }) {}
  return { db, Row };
}

/** The tags a built file holds, read through a fresh read-only dataset. */
async function tagsIn(engine: EngineName, path: string): Promise<string[]> {
  await using db = openFile(engine, path);
  const [check] = await Array.fromAsync(db.sql`PRAGMA integrity_check`);
  assert.deepEqual(Object.values(check!), ["ok"]);
  return (await Array.fromAsync(db.sql`SELECT tag FROM row ORDER BY id`))
    .map((row) => String(row.tag));
}

engineTest(
  "A second build of a dataset while one runs is refused; the first is whole",
  async (engine) => {
    const { db, Row } = declareRows(engine);
    const dir = await tempDir();
    const [first, second] = await Promise.allSettled([
      buildDataSet(
        db,
        `${dir}/a.sqlite`,
        (b) => b.loadRecords(Row, tagged("a", 300)),
      ),
      buildDataSet(
        db,
        `${dir}/b.sqlite`,
        (b) => b.loadRecords(Row, tagged("b", 300)),
      ),
    ]);
    assert.equal(first.status, "fulfilled");
    assert.deepEqual(first.value.rows, { row: 300 });
    assert.equal(second.status, "rejected");
    assert.ok(second.reason instanceof DataSetError, String(second.reason));
    assert.match(
      second.reason.message,
      /^Cannot build dataset "test_\w+" into .*b\.sqlite: another build of this dataset is running in this process/,
    );
    const tags = await tagsIn(engine, `${dir}/a.sqlite`);
    assert.equal(tags.length, 300);
    assert.ok(tags.every((tag) => tag.startsWith("a")));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "a.sqlite",
    ]);
    // Once the first is done, the next build runs.
    const again = await buildDataSet(
      db,
      `${dir}/b.sqlite`,
      (b) => b.loadRecords(Row, tagged("b", 10)),
    );
    assert.deepEqual(again.rows, { row: 10 });
    assert.equal((await tagsIn(engine, `${dir}/b.sqlite`)).length, 10);
  },
);

engineTest(
  "A build refused while another runs leaves the other's target untouched",
  async (engine) => {
    const { db, Row } = declareRows(engine);
    const dir = await tempDir();
    const path = `${dir}/same.sqlite`;
    await buildDataSet(db, path, (b) => b.loadRecords(Row, tagged("old", 5)));
    const results = await Promise.allSettled([
      buildDataSet(db, path, (b) => b.loadRecords(Row, tagged("a", 200))),
      buildDataSet(db, path, (b) => b.loadRecords(Row, tagged("b", 200))),
    ]);
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected"]);
    const tags = await tagsIn(engine, path);
    assert.equal(tags.length, 200);
    assert.ok(tags.every((tag) => tag.startsWith("a")));
  },
);

engineTest(
  "Builds of one target in two processes leave one whole file: the last rename wins",
  async (engine) => {
    const dir = await tempDir();
    const path = `${dir}/shared.sqlite`;
    const library = new URL("../mod.ts", import.meta.url).href;
    const builder = new URL("../build.ts", import.meta.url).href;
    const script = (tag: string) => `
import { DataSet, integer, text } from ${JSON.stringify(library)};
import { buildDataSet } from ${JSON.stringify(builder)};
const db = DataSet.create("shared", { engine: "${engine}" });
class Row extends db.Model("row", { id: integer({ primaryKey: true }), tag: text() }) {}
async function* rows() {
  for (let i = 0; i < 2000; i++) {
    if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    yield { tag: "${tag}" + i };
  }
}
await buildDataSet(db, ${
      JSON.stringify(path)
    }, (b) => b.loadRecords(Row, rows()));
`;
    const runs = ["a", "b"].map((tag) => runScript(["-A"], script(tag)));
    for (const output of await Promise.all(runs)) {
      assert.equal(output.code, 0, output.stderr);
    }
    const tags = await tagsIn(engine, path);
    assert.equal(tags.length, 2000);
    const first = tags[0]![0]!;
    assert.ok(tags.every((tag) => tag[0] === first));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "shared.sqlite",
    ]);
  },
);
