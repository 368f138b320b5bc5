// A damaged file: every public entry fails with one of the library's
// classes (or succeeds), never with an engine's internal error.
import assert from "node:assert/strict";
import {
  type DataSet,
  dumpCsv,
  dumpJsonLines,
  integer,
  json,
  readBuildMetadata,
  SQLiteError,
  Store,
} from "../mod.ts";
import { buildDataSet, verifyDataSet } from "../build.ts";
import type { EngineName } from "../src/_engine.ts";
import {
  engineTest,
  freshDataSet,
  openFile,
  runCli,
  tempDir,
} from "./_helpers.ts";

/** Page types of b-tree pages; any other page holds overflow content. */
const BTREE_PAGES = new Set([2, 5, 10, 13]);

/** The model of the damaged file: JSON bodies long enough to overflow. */
function declareDoc(db: DataSet) {
  class Doc extends db.Model("doc", {
    id: integer({ primaryKey: true }),
    body: json<string[]>(),
  }) {}
  return Doc;
}

/**
 * Builds a file of 20 rows whose JSON bodies spill onto overflow pages,
 * then damages it: `"overflow"` fills the overflow pages with 0xFF (the
 * b-trees stay whole, so counts work and reads of the bodies fail),
 * `"pages"` every page after the schema page.
 */
async function damagedFile(
  engine: EngineName,
  damage: "overflow" | "pages",
): Promise<string> {
  const db = freshDataSet(engine);
  const Doc = declareDoc(db);
  const path = `${await tempDir()}/doc.sqlite`;
  await buildDataSet(db, path, async (build) => {
    await build.loadRecords(
      Doc,
      Array.from({ length: 20 }, (_, i) => ({
        id: i + 1,
        body: ["x".repeat(10_000)],
      })),
    );
  });
  const bytes = await Deno.readFile(path);
  const pageSize = new DataView(bytes.buffer).getUint16(16);
  for (let at = pageSize; at < bytes.length; at += pageSize) {
    if (damage === "pages" || !BTREE_PAGES.has(bytes[at]!)) {
      bytes.fill(0xff, at, at + pageSize);
    }
  }
  await Deno.writeFile(path, bytes);
  return path;
}

function openDamaged(engine: EngineName, path: string) {
  const db = openFile(engine, path);
  return { db, store: new Store(declareDoc(db)) };
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) {
    // Read to the end.
  }
}

/** What leaves an entry: `"ok"` or the error's class name. */
async function outcome(entry: () => Promise<unknown>): Promise<string> {
  try {
    await entry();
    return "ok";
  } catch (error) {
    const allowed = error instanceof SQLiteError ||
      error instanceof TypeError || error instanceof RangeError;
    assert.ok(allowed, `an internal error left the library: ${error}`);
    return (error as Error).constructor.name;
  }
}

for (const damage of ["overflow", "pages"] as const) {
  engineTest(
    `Every public entry on a file with damaged ${damage} throws a library error`,
    async (engine) => {
      const path = await damagedFile(engine, damage);
      const { db, store } = openDamaged(engine, path);
      await using _ = db;
      const readsFail = "DataSetError";
      const countsFail = damage === "pages" ? "DataSetError" : "ok";
      const entries: [string, () => Promise<unknown>, string][] = [
        ["Store.count", () => store.count(), countsFail],
        ["Store.exists", () => store.exists({ id: 20 }), countsFail],
        ["Store.search", () => Array.fromAsync(store.search()), readsFail],
        ["Store.first", () => store.first({ id: 2 }), readsFail],
        ["Store.one", () => store.one({ id: 3 }), readsFail],
        ["Store.retrieve", () => store.retrieve(4), readsFail],
        ["Store.create", () => store.create({ body: [] }), "ReadOnlyError"],
        ["Store.createMany", () => store.createMany([]), "ReadOnlyError"],
        ["Store.delete", () => store.delete({ id: 1 }), "ReadOnlyError"],
        ["sql", () => Array.fromAsync(db.sql`SELECT * FROM doc`), readsFail],
        ["verifyDataSet", () => verifyDataSet(db), readsFail],
        ["readBuildMetadata", () => readBuildMetadata(db), countsFail],
        ["dumpCsv", () => drain(dumpCsv(store)), readsFail],
        ["dumpJsonLines", () => drain(dumpJsonLines(store)), readsFail],
        ["buildDataSet + loadRecords", async () => {
          const target = freshDataSet(engine);
          class Copy extends target.Model("doc", {
            id: integer({ primaryKey: true }),
            body: json<string[]>(),
          }) {}
          await buildDataSet(
            target,
            `${await tempDir()}/copy.sqlite`,
            (build) => build.loadRecords(Copy, store.search()),
          );
        }, readsFail],
      ];
      const seen = [];
      for (const [name, entry] of entries) {
        seen.push([name, await outcome(entry)]);
      }
      assert.deepEqual(
        seen,
        entries.map(([name, , expected]) => [name, expected]),
      );
    },
  );
}

engineTest(
  "The CLI's verify reports a damaged file on stderr with exit 1",
  async (engine) => {
    const path = await damagedFile(engine, "overflow");
    const dir = await tempDir();
    const models = `${dir}/models.ts`;
    const library = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      models,
      `import { DataSet, integer, json } from ${JSON.stringify(library)};
export const Docs = DataSet.create("damaged_cli_${engine}", { engine: "${engine}" });
export class Doc extends Docs.Model("doc", {
  id: integer({ primaryKey: true }),
  body: json(),
}) {}
`,
    );
    const { code, stdout, stderr } = await runCli("verify", models, path);
    assert.equal(code, 1, stdout + stderr);
    assert.match(stderr, /corrupt \(database disk image is malformed\)/);
  },
);

Deno.test("The CLI's inspect, dump and codegen report a damaged file on stderr with exit 1", async () => {
  const path = await damagedFile("ffi", "pages");
  for (
    const args of [
      ["inspect", path],
      ["dump", path, "doc"],
      ["codegen", path],
    ]
  ) {
    const { code, stdout, stderr } = await runCli(...args);
    assert.equal(code, 1, `${args[0]}: ${stdout}${stderr}`);
    assert.match(
      stderr,
      new RegExp(
        `^microcosm ${
          args[0]
        }: .*corrupt \\(database disk image is malformed\\)`,
      ),
    );
  }
});

Deno.test("The CLI reports an error whose code is not a string instead of crashing", async () => {
  const dir = await tempDir();
  const models = `${dir}/models.ts`;
  const library = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    models,
    `import { DataSet, integer } from ${JSON.stringify(library)};
export const Odd = DataSet.create("odd_code_cli");
Odd.Model("t", { id: integer({ primaryKey: true }) });
Odd.bind = () => {
  throw Object.assign(new Error("Cannot bind: odd"), { code: 21 });
};
`,
  );
  const { code, stderr } = await runCli("verify", models, `${dir}/x.sqlite`);
  assert.equal(code, 1);
  assert.equal(stderr, "microcosm verify: Cannot bind: odd\n");
});
