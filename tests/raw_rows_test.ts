/**
 * `dataset.sql` rows are built by the function the store generates for
 * its rows (`src/_row_builder.ts`), from the query's result names as JSON
 * string literals: names that would break or inject code if pasted into
 * it, `__proto__` and repeated names read as plain own properties, in
 * result order, as before.
 */
import assert from "node:assert/strict";
import { integer } from "../mod.ts";
import { quote } from "../src/_sql.ts";
import { RAW_SQL } from "../src/dataset.ts";
import { rawRowBuilder } from "../src/_row_builder.ts";
import {
  engineTest,
  freshDataSet,
  oneModel,
  runDeno,
  tempDir,
} from "./_helpers.ts";

const HOSTILE = [
  '"]; throw new Error("injected"); //',
  "']; globalThis.pwned = 1; //",
  "a\\",
  "line\nbreak",
  "para\u2028graph",
  "${1 + 1}",
  "*/ x /*",
  "constructor",
  "toString",
  "__proto__",
  "1",
  "",
];

engineTest(
  "dataset.sql rows keep result names that are code as plain properties",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    const select = HOSTILE.map((name, i) => `${i} AS ${quote(name)}`).join(
      ", ",
    );
    // The select list is SQL text, so it goes through the raw entry that
    // dataset.sql uses once its template is compiled.
    const rows = await Array.fromAsync(db[RAW_SQL](`SELECT ${select}`));
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    // Integer-like names come first, as for any object.
    assert.deepEqual(
      Object.keys(row),
      ["1", ...HOSTILE.filter((name) => name !== "1")],
    );
    for (const [i, name] of HOSTILE.entries()) {
      assert.ok(Object.hasOwn(row, name), JSON.stringify(name));
      assert.equal(row[name], i, JSON.stringify(name));
    }
    assert.equal((globalThis as Record<string, unknown>).pwned, undefined);
  },
);

engineTest(
  "dataset.sql rows with a repeated name keep the last value, where the name first came",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    const rows = await Array.fromAsync(
      db.sql`SELECT 1 AS a, 2 AS b, 3 AS a UNION ALL SELECT 4, 5, 6`,
    );
    assert.deepEqual(rows, [{ a: 3, b: 2 }, { a: 6, b: 5 }]);
    assert.deepEqual(rows.map((row) => Object.keys(row)), [
      ["a", "b"],
      ["a", "b"],
    ]);
  },
);

engineTest(
  "dataset.sql rows of two queries with other names each keep their own names",
  async (engine) => {
    const { db, store } = await oneModel(engine, "n", {
      id: integer({ primaryKey: true }),
    });
    await using _ = db;
    await store.createMany([{}, {}]);
    const one = await Array.fromAsync(db.sql`SELECT id AS x FROM n`);
    const two = await Array.fromAsync(
      db.sql`SELECT id AS y, id * 2 AS z FROM n`,
    );
    assert.deepEqual(one, [{ x: 1 }, { x: 2 }]);
    assert.deepEqual(two, [{ y: 1, z: 2 }, { y: 2, z: 4 }]);
  },
);

Deno.test("A row builder defines __proto__ as an own property, even where the runtime has the __proto__ accessor", async () => {
  // Deno removes Object.prototype.__proto__ unless asked to keep it, so
  // the accessor's case runs in a process that keeps it.
  const script = `${await tempDir()}/proto.ts`;
  await Deno.writeTextFile(
    script,
    `import { rowBuilder } from ${
      JSON.stringify(new URL("../src/_row_builder.ts", import.meta.url).href)
    };
const cells = ["a", { polluted: true }, "c"];
const build = rowBuilder(["x", "__proto__", "y"], (_s, i) => cells[i]);
const row = {};
build(row, undefined);
console.log(JSON.stringify({
  accessor: Object.hasOwn(Object.prototype, "__proto__"),
  plain: Object.getPrototypeOf(row) === Object.prototype,
  keys: Object.keys(row),
  own: Object.getOwnPropertyDescriptor(row, "__proto__")?.value,
}));
`,
  );
  const { stdout } = await runDeno(
    ["run", "--allow-read", "--unstable-unsafe-proto", script],
    { ok: true },
  );
  assert.deepEqual(JSON.parse(stdout), {
    accessor: true,
    plain: true,
    keys: ["x", "__proto__", "y"],
    own: { polluted: true },
  });
});

Deno.test("Raw row builders are generated once per list of names", () => {
  const names = ["a", "b"];
  assert.equal(rawRowBuilder(names), rawRowBuilder(names));
  assert.equal(rawRowBuilder(names), rawRowBuilder(["a", "b"]));
  assert.notEqual(rawRowBuilder(names), rawRowBuilder(["b", "a"]));
});
