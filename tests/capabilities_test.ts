/**
 * Issue 14's capability checks: a model needing FTS5 or R*Tree on an
 * engine without it fails at open; `inspect` and `verify` report what a
 * file needs against what each engine here provides.
 */
import assert from "node:assert/strict";
import { DataSetError, integer, real, text } from "../mod.ts";
import { verifyDataSet } from "../build.ts";
import { SESSION } from "../src/dataset.ts";
import {
  type Capabilities,
  probeEngine,
  setCapabilityProbe,
} from "../src/_capabilities.ts";
import type { FileInfo } from "../src/cli/inspect.ts";
import type { Engine } from "../src/_engine.ts";
import {
  engineTest,
  freshDataSet,
  openFile,
  runCli,
  sqliteFile,
} from "./_helpers.ts";

const EVERYTHING: Capabilities = {
  fts5: true,
  rtree: true,
  json: true,
  math: true,
  strict: true,
};

/**
 * Runs `body` with the capability probe replaced by one that reports
 * `without` missing, counting the engines it was asked about.
 */
async function withProbe(
  without: Partial<Capabilities>,
  body: (asked: Engine[]) => Promise<void>,
): Promise<void> {
  const asked: Engine[] = [];
  setCapabilityProbe((engine) => {
    asked.push(engine);
    return { ...EVERYTHING, ...without };
  });
  try {
    await body(asked);
  } finally {
    setCapabilityProbe(undefined);
  }
}

/** A file with a STRICT table, FTS5 and R*Tree tables and a math view. */
function needsFile(): Promise<string> {
  return sqliteFile(`
    CREATE TABLE place (
      id INTEGER PRIMARY KEY, name TEXT, lat REAL, lon REAL,
      tags TEXT CHECK (json_valid(tags)), note TEXT DEFAULT 'sqrt(2)'
    ) STRICT;
    CREATE VIRTUAL TABLE place_fts USING fts5(name);
    CREATE VIRTUAL TABLE place_geo USING rtree(id, a, b, c, d);
    CREATE VIEW dist AS SELECT id, sqrt(lat * lat + lon * lon) AS d FROM place;
    CREATE TABLE log (id INTEGER PRIMARY KEY, at TEXT);
    CREATE TRIGGER place_log AFTER INSERT ON place
      BEGIN INSERT INTO log(at) VALUES ('floor(1)'); END;
  `);
}

engineTest(
  "the real probe finds FTS5, R*Tree, JSON and STRICT on both engines, math only on FFI",
  async (engine) => {
    const db = freshDataSet(engine);
    const session = await db[SESSION]();
    assert.deepEqual(probeEngine(session.engine), {
      fts5: true,
      rtree: true,
      json: true,
      // Deno's node:sqlite is built without SQLite's math functions.
      math: engine === "ffi",
      strict: true,
    });
    await db.close();
  },
);

engineTest(
  "a model with a search option fails at open on an engine without FTS5, naming it",
  async (engine) => {
    await withProbe({ fts5: false }, async () => {
      const db = freshDataSet(engine);
      db.Model("place", { id: integer({ primaryKey: true }), name: text() }, {
        search: { columns: ["name"] },
      });
      await assert.rejects(db.open(), (error) => {
        assert.ok(error instanceof DataSetError);
        assert.match(
          error.message,
          new RegExp(
            `^Cannot open dataset "${db.name}": model "place" \\(its search option\\) needs FTS5, which the ${engine} engine \\(SQLite [0-9.]+\\) does not provide; open it with an engine whose SQLite has FTS5 \\(the engine option\\)$`,
          ),
        );
        return true;
      });
      await db.close();
    });
  },
);

engineTest(
  "a model with a geo option fails at open on an engine without R*Tree, naming it",
  async (engine) => {
    await withProbe({ rtree: false }, async () => {
      const db = freshDataSet(engine);
      db.Model("spot", {
        id: integer({ primaryKey: true }),
        lat: real(),
        lon: real(),
      }, { geo: { lat: "lat", lon: "lon" } });
      await assert.rejects(
        db.open(),
        (error) =>
          error instanceof DataSetError &&
          /model "spot" \(its geo option\) needs R\*Tree, which the/.test(
            error.message,
          ),
      );
      await db.close();
    });
  },
);

engineTest(
  "a model over a virtual table of the file fails at open when its module is missing",
  async (engine) => {
    const path = await sqliteFile("CREATE VIRTUAL TABLE doc USING fts5(body);");
    await withProbe({ fts5: false }, async () => {
      const db = openFile(engine, path);
      db.Model("doc", { body: text() });
      await assert.rejects(
        db.open(),
        (error) =>
          error instanceof DataSetError &&
          /the file's table "doc" needs FTS5/.test(error.message),
      );
      await db.close();
    });
  },
);

engineTest(
  "models that need nothing open without probing the engine",
  async (engine) => {
    await withProbe({ fts5: false, rtree: false }, async (asked) => {
      const db = freshDataSet(engine);
      db.Model("plain", { id: integer({ primaryKey: true }), name: text() });
      await db.createAll();
      assert.deepEqual(asked, []);
      await db.close();
      // A file with FTS5 and R*Tree tables no model uses opens too.
      const file = openFile(engine, await needsFile());
      file.Model("log", { id: integer({ primaryKey: true }), at: text() });
      await file.open();
      await file.close();
    });
  },
);

engineTest(
  "verifyDataSet reports the file's needs, each engine's support, and what its engine lacks",
  async (engine) => {
    const db = openFile(engine, await needsFile());
    db.Model("log", { id: integer({ primaryKey: true }), at: text() });
    const report = await verifyDataSet(db);
    assert.deepEqual(
      report.needs.map((need) => [need.feature, need.by]).sort(),
      [
        ["fts5", 'table "place_fts"'],
        ["json", 'table "place"'],
        ["math", 'view "dist"'],
        ["rtree", 'table "place_geo"'],
        ["strict", 'table "place"'],
      ],
    );
    assert.deepEqual(
      report.engines.map((e) => [e.engine, e.provides?.math]),
      [["ffi", true], ["node", false]],
    );
    const messages = report.problems.map((problem) => problem.message);
    if (engine === "node") {
      assert.equal(report.ok, false);
      assert.match(
        messages.join("\n"),
        /view "dist" needs math functions, which the node engine \(SQLite [0-9.]+\) does not provide/,
      );
    } else {
      assert.deepEqual(messages, []);
    }
    await db.close();
  },
);

Deno.test("inspect shows what a file needs against what each engine provides", async () => {
  const path = await needsFile();
  const json = JSON.parse(
    (await runCli("inspect", path, "--json")).stdout,
  ) as FileInfo;
  assert.deepEqual(
    json.needs.map((need) => need.feature).sort(),
    ["fts5", "json", "math", "rtree", "strict"],
  );
  const text = (await runCli("inspect", path)).stdout;
  assert.match(
    text,
    /^needs {4}FTS5 \(table "place_fts"\); R\*Tree \(table "place_geo"\); JSON functions \(table "place"\); math functions \(view "dist"\); STRICT tables \(table "place"\)$/m,
  );
  assert.match(
    text,
    /^engine {3}node \(SQLite [0-9.]+\): .*math functions no.*; MISSING what the file needs: math functions$/m,
  );
  assert.match(
    text,
    /^engine {3}ffi \(SQLite [0-9.]+\): .*; provides all the file needs$/m,
  );
});
