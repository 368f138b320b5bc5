/**
 * The command-line tool on files with a geo index (an R*Tree): `inspect`
 * shows the index, not its shadow tables; `codegen` writes the model's
 * `geo` option instead of models for the shadow tables; `verify` checks the
 * index. Files built on either engine, read on either.
 */
import assert from "node:assert/strict";
import { buildDataSet, verifyDataSet } from "../build.ts";
import type { FileInfo } from "../src/cli/inspect.ts";
import {
  type DataSet,
  integer,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { ENGINES, freshDataSet, runCli, tempDir } from "./_helpers.ts";

function declareSpots(db: DataSet) {
  return db.Model("Spot Table", {
    id: integer({ primaryKey: true }),
    name: text(),
    latitude: real({ name: "Lat Deg" }),
    longitude: real({ name: "lon", nullable: true }),
  }, { geo: { lat: "latitude", lon: "longitude" } });
}

async function builtSpots(engine: "ffi" | "node") {
  const dir = await tempDir({ prefix: "microcosm_geo_cli_" });
  const path = `${dir}/spots.sqlite`;
  const db = freshDataSet(engine);
  const Spot = declareSpots(db);
  await buildDataSet(db, path, async (b) => {
    await b.loadRecords(Spot, [
      { name: "a", latitude: 1, longitude: 2 },
      { name: "b", latitude: 3, longitude: null },
    ]);
  });
  await db.close();
  return { dir, path };
}

for (const builder of ENGINES) {
  for (const reader of ENGINES) {
    const on = `[${builder} → ${reader}]`;

    Deno.test(`inspect shows a geo index and hides its shadow tables ${on}`, async () => {
      const { dir, path } = await builtSpots(builder);
      const text = await runCli("inspect", path, "--engine", reader);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        /geo index Spot Table_geo: R\*Tree on \(Lat Deg, lon\)/,
      );
      assert.doesNotMatch(text.stdout, /_geo_(node|rowid|parent)/);
      const json = await runCli("inspect", path, "--json", "--engine", reader);
      const info = JSON.parse(json.stdout) as FileInfo;
      assert.deepEqual(info.tables.map((t) => t.name), ["Spot Table"]);
      assert.deepEqual(info.tables[0]!.geo, {
        index: "Spot Table_geo",
        lat: "Lat Deg",
        lon: "lon",
      });
      await Deno.remove(dir, { recursive: true });
    });

    Deno.test(`codegen writes the geo option, no models for the index ${on}`, async () => {
      const { dir, path } = await builtSpots(builder);
      const out = `${dir}/models.ts`;
      const result = await runCli(
        "codegen",
        path,
        "--output",
        out,
        "--engine",
        reader,
      );
      assert.equal(result.code, 0, result.stderr);
      const code = await Deno.readTextFile(out);
      assert.match(code, /geo: \{ lat: "latDeg", lon: "lon" \}/);
      assert.doesNotMatch(code, /_geo/);
      assert.doesNotMatch(code, /class .*Geo/);
      await Deno.remove(dir, { recursive: true });
    });
  }
}

for (const engine of ENGINES) {
  Deno.test(`verify checks the geo index: present, and one entry per row with coordinates [${engine}]`, async () => {
    const { dir, path } = await builtSpots(engine);
    const open = () => {
      const db = freshDataSet(engine);
      db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
      return { db, Spot: declareSpots(db) };
    };
    const good = open();
    assert.equal((await verifyDataSet(good.db)).ok, true);
    await good.db.close();

    // The same file written without the triggers' help: an entry too many.
    const writer = freshDataSet(engine, { writable: true });
    writer.bind(new SQLiteBindFactory({ paths: { [writer.name]: path } }));
    for await (
      const _ of writer
        .sql`INSERT INTO "Spot Table_geo" VALUES (99, 0, 0, 0, 0)`
    ) { /* runs */ }
    await writer.close();
    const bad = open();
    const report = await verifyDataSet(bad.db);
    assert.equal(report.ok, false);
    assert.match(
      report.problems[0]!.message,
      /the geo index "Spot Table_geo" holds 2 entries for 1 rows with coordinates/,
    );
    await bad.db.close();

    const dropper = freshDataSet(engine, { writable: true });
    dropper.bind(new SQLiteBindFactory({ paths: { [dropper.name]: path } }));
    for await (const _ of dropper.sql`DROP TABLE "Spot Table_geo"`) {
      /* runs */
    }
    await dropper.close();
    const missing = open();
    const gone = await verifyDataSet(missing.db);
    assert.match(
      gone.problems[0]!.message,
      /the geo index "Spot Table_geo" \(an R\*Tree\) is missing/,
    );
    // The store names the missing index too.
    await assert.rejects(
      new Store(missing.Spot).nearest({ lat: 0, lon: 0 }),
      /no R\*Tree "Spot Table_geo"/,
    );
    await missing.db.close();
    await Deno.remove(dir, { recursive: true });
  });
}

for (const engine of ENGINES) {
  Deno.test(`inspect and codegen skip the shadow tables of an R*Tree that is no geo index [${engine}]`, async () => {
    const dir = await tempDir({ prefix: "microcosm_geo_cli_" });
    const path = `${dir}/plain.sqlite`;
    const writer = freshDataSet(engine, { writable: true });
    writer.bind(new SQLiteBindFactory({ paths: { [writer.name]: path } }));
    for await (
      const _ of writer
        .sql`CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`
    ) { /* runs */ }
    for await (
      const _ of writer.sql`CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1)`
    ) { /* runs */ }
    for await (
      const _ of writer.sql`INSERT INTO boxes VALUES (1, 0, 1)`
    ) { /* runs */ }
    await writer.close();
    const inspected = await runCli(
      "inspect",
      path,
      "--json",
      "--engine",
      engine,
    );
    assert.equal(inspected.code, 0, inspected.stderr);
    const info = JSON.parse(inspected.stdout) as FileInfo;
    assert.deepEqual(info.tables.map((t) => t.name), ["item"]);
    assert.equal(info.tables[0]!.geo, undefined);
    const out = `${dir}/models.ts`;
    const generated = await runCli(
      "codegen",
      path,
      "--output",
      out,
      "--engine",
      engine,
    );
    assert.equal(generated.code, 0, generated.stderr);
    const code = await Deno.readTextFile(out);
    assert.match(code, /class Item extends/);
    assert.doesNotMatch(code, /boxes/);
    await Deno.remove(dir, { recursive: true });
  });
}
