// The build records, per table, which text columns hold a NUL character
// (`BuildMetadata.nulText`), so that a store on node:sqlite reading a
// shipped file (read-only, immutable) need not scan the table for one.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  type DataSet,
  DataSetError,
  integer,
  type QueryEvent,
  readBuildMetadata,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet, verifyDataSet } from "../build.ts";
import { nulCensusSql } from "../src/_sql.ts";
import { quote } from "../src/columns.ts";
import type { EngineName } from "../src/_engine.ts";
import { fileURLToPath } from "node:url";
import {
  engineTest,
  freshDataSet,
  openFile,
  runCli,
  tempDir,
} from "./_helpers.ts";
import { declareCatalog } from "./testdata/v0_1_0/models.ts";

/** The census scan a store on node:sqlite runs without a record. */
const CENSUS = nulCensusSql("item", [quote("label"), quote("note")]);

function declareItem(db: DataSet) {
  return db.Model("item", {
    id: integer({ primaryKey: true }),
    label: text(),
    note: text({ nullable: true }),
    size: integer(),
  });
}

/**
 * Builds an `item` file with these labels in a temp folder: on `engine`,
 * or on FFI for text with a NUL, which node:sqlite refuses to write.
 */
async function builtItems(
  engine: EngineName,
  labels: readonly string[],
): Promise<string> {
  const dir = await tempDir();
  const nul = labels.some((label) => label.includes("\0"));
  const db = freshDataSet(nul ? "ffi" : engine);
  const Item = declareItem(db);
  const path = `${dir}/items.sqlite`;
  await buildDataSet(db, path, (build) =>
    build.loadRecords(
      Item,
      labels.map((label, i) => ({ id: i + 1, label, note: null, size: i })),
    ));
  await db.close();
  return path;
}

/** A read-only dataset over `path` with a store of `item`, and every SQL run. */
function openItems(
  engine: EngineName,
  path: string,
  immutable = true,
) {
  const seen: string[] = [];
  const db = freshDataSet(engine, {
    immutable,
    onQuery: (event: QueryEvent) => void seen.push(event.sql),
  });
  const Item = declareItem(db);
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  return { db, store: new Store(Item), seen };
}

/** Rewrites the `nulText` field of a built file's metadata, as sqlite3 would. */
function rewriteRecord(path: string, json: string | undefined): void {
  const file = new DatabaseSync(path);
  try {
    if (json === undefined) {
      file.prepare("DELETE FROM microcosm_metadata WHERE key = 'nulText'")
        .run();
    } else {
      file.prepare(
        "UPDATE microcosm_metadata SET value = ? WHERE key = 'nulText'",
      ).run(json);
    }
  } finally {
    file.close();
  }
}

engineTest(
  "buildDataSet records which text columns of each table hold a NUL",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b\0c"]);
    const db = freshDataSet(engine);
    declareItem(db);
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    const metadata = await readBuildMetadata(db);
    assert.deepEqual(metadata?.nulText, {
      item: { columns: ["label", "note"], holding: ["label"] },
    });
    await db.close();
  },
);

engineTest(
  "A built file without NUL text reads with no census scan",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b"]);
    const { db, store, seen } = openItems(engine, path);
    assert.equal((await store.retrieve(2)).label, "b");
    assert.deepEqual(
      (await Array.fromAsync(store.search())).map((row) => row.label),
      ["a", "b"],
    );
    assert.ok(seen.length > 0, "the hook saw the reads");
    assert.ok(!seen.includes(CENSUS), `no census scan in ${seen.join("\n")}`);
    // Reads carry no per-row NUL flag either: the record says none is there.
    assert.ok(seen.every((sql) => !sql.includes("char(0)")), seen.join("\n"));
    await db.close();
  },
);

engineTest(
  "A built file with NUL text reads by its record with no census scan",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b\0c"]);
    const { db, store, seen } = openItems(engine, path);
    assert.equal((await store.retrieve(1)).label, "a");
    if (engine === "ffi") {
      assert.equal((await store.retrieve(2)).label, "b\0c");
    } else {
      // node:sqlite would cut the text: the store refuses the row instead.
      await assert.rejects(store.retrieve(2), DataSetError);
      assert.ok(seen.some((sql) => sql.includes("char(0)")), seen.join("\n"));
    }
    assert.ok(!seen.includes(CENSUS), `no census scan in ${seen.join("\n")}`);
    await db.close();
  },
);

engineTest(
  "A built file whose metadata records no NUL census is scanned as before",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b\0c"]);
    rewriteRecord(path, undefined);
    const { db, store, seen } = openItems(engine, path);
    assert.equal((await store.retrieve(1)).label, "a");
    if (engine === "ffi") {
      // FFI reads text whole: no census on this engine at all.
      assert.equal((await store.retrieve(2)).label, "b\0c");
      assert.ok(!seen.includes(CENSUS));
    } else {
      await assert.rejects(store.retrieve(2), DataSetError);
      assert.equal(seen.filter((sql) => sql === CENSUS).length, 1);
    }
    await db.close();
  },
);

engineTest(
  "A file built by 0.1.0 (no NUL census recorded) is scanned as before",
  async (engine) => {
    // A copy, so that no census another test ran on the file is reused.
    const path = `${await tempDir()}/catalog.sqlite`;
    await Deno.copyFile(
      fileURLToPath(
        new URL("./testdata/v0_1_0/catalog.sqlite", import.meta.url),
      ),
      path,
    );
    const seen: string[] = [];
    const db = openFile(engine, path, {
      onQuery: (event: QueryEvent) => void seen.push(event.sql),
    });
    const { Supplier } = declareCatalog(db);
    assert.equal((await new Store(Supplier).retrieve(1)).name, "Acme");
    const census = seen.filter((sql) =>
      sql.startsWith(`SELECT 1 FROM "supplier" WHERE (CASE`) &&
      sql.endsWith("IS NOT NULL LIMIT 1")
    );
    assert.equal(census.length, engine === "node" ? 1 : 0, seen.join("\n"));
    await db.close();
  },
);

engineTest(
  "A record that does not name every text column of the model is not used",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b"]);
    // A record from a build whose model read `note` as another kind.
    rewriteRecord(path, '{"item":{"columns":["label"],"holding":[]}}');
    const { db, store, seen } = openItems(engine, path);
    assert.equal((await store.retrieve(2)).label, "b");
    assert.equal(
      seen.filter((sql) => sql === CENSUS).length,
      engine === "node" ? 1 : 0,
    );
    await db.close();
  },
);

engineTest(
  "A file opened with immutable: false does not trust the record",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b"]);
    // The record says no NUL: trusted, reads would carry no per-row flag.
    const { db, store, seen } = openItems(engine, path, false);
    assert.equal((await store.retrieve(2)).label, "b");
    assert.ok(!seen.includes(CENSUS));
    // Data that may change is checked row by row on node:sqlite.
    assert.equal(
      seen.some((sql) => sql.includes("char(0)")),
      engine === "node",
    );
    await db.close();
  },
);

engineTest(
  "verifyDataSet reports a NUL census record that says a column holds none when it does",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b\0c"]);
    rewriteRecord(path, '{"item":{"columns":["label","note"],"holding":[]}}');
    const { db } = openItems(engine, path);
    const report = await verifyDataSet(db);
    assert.equal(report.ok, false);
    const nul = report.problems.filter((p) => p.message.includes("NUL census"));
    assert.equal(nul.length, 1, JSON.stringify(report.problems));
    assert.equal(nul[0]!.table, "item");
    assert.equal(nul[0]!.column, "label");
    assert.match(nul[0]!.message, /item\.label holds no text with a NUL/);
    await db.close();
  },
);

engineTest(
  "verifyDataSet reports a NUL census record that says a column holds one when it does not",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b"]);
    rewriteRecord(
      path,
      '{"item":{"columns":["label","note"],"holding":["note"]}}',
    );
    const { db } = openItems(engine, path);
    const report = await verifyDataSet(db);
    const nul = report.problems.filter((p) => p.message.includes("NUL census"));
    assert.equal(nul.length, 1, JSON.stringify(report.problems));
    assert.equal(nul[0]!.column, "note");
    assert.match(nul[0]!.message, /item\.note holds text with a NUL.*none/);
    await db.close();
  },
);

engineTest(
  "verifyDataSet reports a malformed NUL census record",
  async (engine) => {
    const path = await builtItems(engine, ["a"]);
    rewriteRecord(path, '{"item":{"columns":"label"}}');
    const { db } = openItems(engine, path);
    const report = await verifyDataSet(db);
    assert.ok(
      report.problems.some((p) => /NUL census.*not an object/.test(p.message)),
      JSON.stringify(report.problems),
    );
    await db.close();
  },
);

engineTest(
  "verifyDataSet finds no NUL census problem in a file as built",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b\0c"]);
    const { db } = openItems(engine, path);
    const report = await verifyDataSet(db);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    await db.close();
  },
);

engineTest(
  "inspect shows the NUL census a built file records",
  async (engine) => {
    const withNul = await builtItems(engine, ["a", "b\0c"]);
    const withNone = await builtItems(engine, ["a", "b"]);
    const shown = await runCli("inspect", withNul, "--engine", engine);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /NUL text in label \(recorded by the build/);
    const none = await runCli("inspect", withNone, "--engine", engine);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /NUL text none \(recorded by the build\)/);
  },
);

engineTest(
  "A built file served from bytes reads by its record with no census scan",
  async (engine) => {
    const path = await builtItems(engine, ["a", "b"]);
    const seen: string[] = [];
    const db = freshDataSet(engine, {
      onQuery: (event: QueryEvent) => void seen.push(event.sql),
    });
    const Item = declareItem(db);
    db.bind(new SQLiteBindFactory().set(db.name, await Deno.readFile(path)));
    assert.equal((await new Store(Item).retrieve(2)).label, "b");
    assert.ok(!seen.includes(CENSUS), `no census scan in ${seen.join("\n")}`);
    await db.close();
  },
);
