/**
 * A data file that changes under a running app: in place (truncated, or a
 * smaller file copied over it) or by rename, during a scan. The process
 * never dies; every failure is a library error; with `immutable: false` a
 * change during a query fails it rather than splicing two versions.
 *
 * Crash cases run in subprocesses, so a SIGBUS would show as the exit
 * signal instead of killing the test runner.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import {
  type DenoRun,
  engineTest,
  openPeopleFile,
  peopleFile,
  runScript,
} from "./_helpers.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

/** What a scan script printed, parsed, with its exit code and signal. */
interface Outcome extends DenoRun {
  // deno-lint-ignore no-explicit-any -- each script prints its own shape
  report: any;
}

/** Runs a script with every permission and reads the JSON it prints. */
async function runScan(script: string): Promise<Outcome> {
  const run = await runScript(["-A"], script);
  const stdout = run.stdout.trim();
  return { ...run, report: stdout === "" ? undefined : JSON.parse(stdout) };
}

/**
 * A script that builds `big` (20,000 rows) and `small` (10 rows) files,
 * starts a scan of `big`, changes the file after 100 rows with `change`,
 * finishes the scan, then counts the rows in a second query, and prints
 * what each query got.
 */
function scanScript(
  engine: EngineName,
  options: Record<string, unknown>,
  change: "truncate" | "copy" | "rename",
  idle = false,
): string {
  const act = {
    truncate: `Deno.truncateSync(dir + "/big.sqlite", 8192);`,
    copy: `Deno.copyFileSync(dir + "/small.sqlite", dir + "/big.sqlite");`,
    rename: `Deno.renameSync(dir + "/small.sqlite", dir + "/big.sqlite");`,
  }[change];
  return `
import { DatabaseSync } from "node:sqlite";
import { DataSet, integer, SQLiteBindFactory, Store, text } from ${
    JSON.stringify(MOD)
  };
const dir = Deno.makeTempDirSync();
const make = (path, rows, prefix) => {
  const db = new DatabaseSync(path);
  db.exec("create table r (id integer primary key, s text not null)");
  db.exec("begin");
  const insert = db.prepare("insert into r (s) values (?)");
  for (let i = 0; i < rows; i++) insert.run(prefix + "x".repeat(200) + i);
  db.exec("commit");
  db.close();
};
make(dir + "/big.sqlite", 20000, "a");
make(dir + "/small.sqlite", 10, "b");
const Data = DataSet.create("changes", { engine: ${
    JSON.stringify(engine)
  }, ...${JSON.stringify(options)} });
class R extends Data.Model("r", { id: integer({ primaryKey: true }), s: text() }) {}
Data.bind(new SQLiteBindFactory({ paths: { changes: dir + "/big.sqlite" } }));
const report = { rows: 0, prefixes: [], scan: null, count: null };
${
    idle
      ? `// An idle app: it read the file once, then the file changed.
report.first = await new Store(R).count();
${act}`
      : ""
  }
const outcome = (error) => ({ error: error.constructor.name, message: error.message });
try {
  for await (const row of new Store(R).search()) {
    report.rows++;
    if (!report.prefixes.includes(row.s[0])) report.prefixes.push(row.s[0]);
    if (report.rows === 100) {
      ${idle ? "" : act}
    }
  }
  report.scan = "done";
} catch (error) {
  report.scan = outcome(error);
}
try {
  report.count = await new Store(R).count();
} catch (error) {
  report.count = outcome(error);
}
await Data.close();
Deno.removeSync(dir, { recursive: true });
console.log(JSON.stringify(report));
`;
}

/** Asserts the script ended normally, not killed by a signal. */
function assertSurvived(outcome: Outcome, label: string): void {
  assert.equal(outcome.signal, null, `${label}: killed by ${outcome.signal}`);
  assert.equal(outcome.code, 0, `${label}: ${outcome.stderr}`);
}

/** The ways a file shrinks in place, with each `immutable` setting. */
const SHRINKS = [true, false].flatMap((immutable) =>
  (["truncate", "copy"] as const).map((change) => ({ immutable, change }))
);

engineTest(
  "A file shrunk in place during a scan never kills the process; the scan fails with a DataSetError",
  async (engine) => {
    const outcomes = await Promise.all(
      SHRINKS.map(({ immutable, change }) =>
        runScan(scanScript(engine, { immutable }, change))
      ),
    );
    SHRINKS.forEach(({ immutable, change }, i) => {
      const label = `immutable: ${immutable}, ${change}`;
      const outcome = outcomes[i]!;
      assertSurvived(outcome, label);
      const { scan, count, prefixes } = outcome.report;
      assert.equal(scan.error, "DataSetError", `${label}: ${scan.message}`);
      assert.deepEqual(prefixes, ["a"], label);
      // The next query gets a library error or, when the file may change,
      // the new file's rows: never a crash.
      if (typeof count !== "number") {
        assert.equal(count.error, "DataSetError", label);
      }
      if (!immutable) {
        assert.match(
          scan.message,
          /the file changed while a query read it/,
          label,
        );
        if (change === "copy") assert.equal(count, 10, label);
      }
    });
  },
);

engineTest(
  "A file replaced by rename during a scan: the scan reads the old file whole",
  async (engine) => {
    const outcomes = await Promise.all(
      [true, false].map((immutable) =>
        runScan(scanScript(engine, { immutable }, "rename"))
      ),
    );
    for (const [i, outcome] of outcomes.entries()) {
      const label = `immutable: ${i === 0}`;
      assertSurvived(outcome, label);
      assert.equal(outcome.report.scan, "done", label);
      assert.equal(outcome.report.rows, 20000, label);
      assert.deepEqual(outcome.report.prefixes, ["a"], label);
      assert.equal(outcome.report.count, 20000, label);
    }
  },
);

engineTest(
  "mmapSize maps the file only when asked, and a file that is not rewritten reads the same",
  async (engine) => {
    const outcome = await runScan(
      scanScript(engine, { mmapSize: 1 << 26 }, "rename"),
    );
    assertSurvived(outcome, "mmapSize");
    assert.equal(outcome.report.rows, 20000);
    assert.equal(outcome.report.count, 20000);
  },
);

engineTest(
  "A file shrunk in place while the app is idle never kills the process at the next query",
  async (engine) => {
    const outcomes = await Promise.all(
      SHRINKS.map(({ immutable, change }) =>
        runScan(scanScript(engine, { immutable }, change, true))
      ),
    );
    SHRINKS.forEach(({ immutable, change }, i) => {
      const label = `immutable: ${immutable}, ${change}`;
      const outcome = outcomes[i]!;
      assertSurvived(outcome, label);
      const { first, scan, rows, prefixes } = outcome.report;
      assert.equal(first, 20000, label);
      if (immutable || change === "truncate") {
        // No promise about the rows: only that a failure is a library one.
        if (scan !== "done") assert.equal(scan.error, "DataSetError", label);
      } else {
        // With immutable: false the next query reads the new file whole.
        assert.equal(scan, "done", label);
        assert.equal(rows, 10, label);
        assert.deepEqual(prefixes, ["b"], label);
      }
    });
  },
);

engineTest(
  "A file is not memory-mapped unless mmapSize asks for it",
  async (engine) => {
    const path = await peopleFile(engine);
    for (
      const [options, expected] of [[{}, 0], [
        { mmapSize: 1 << 20 },
        1 << 20,
      ]] as const
    ) {
      const { db } = openPeopleFile(engine, path, options);
      await using _ = db;
      assert.deepEqual(
        await Array.fromAsync(db.sql`PRAGMA mmap_size`),
        [{ mmap_size: expected }],
      );
    }
  },
);
