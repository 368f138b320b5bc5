/**
 * Cold start (issue 15): opening a file with models reads its schema once,
 * for the models' needs, and that read is the check that the file opens;
 * a dataset with no model still checks it with its own statement. Either
 * way a file that is no database fails at open with the same error.
 */
import assert from "node:assert/strict";
import { DataSetError, integer, Store, text } from "../mod.ts";
import { SCHEMA_PROBE, VIRTUAL_TABLES_SQL } from "../src/_sql.ts";
import { engineTest, openFile, peopleFile, tempDir } from "./_helpers.ts";

engineTest(
  "opening a file with models runs one statement on its schema",
  async (engine) => {
    const path = await peopleFile(engine);
    const events: string[] = [];
    const db = openFile(engine, path, {
      onQuery: (event) => events.push(event.sql),
    });
    class Person extends db.Model("person", {
      id: integer({ primaryKey: true }),
      first: text(),
    }) {}
    assert.equal((await new Store(Person).retrieve(1)).first, "George");
    assert.equal(events.filter((sql) => sql === VIRTUAL_TABLES_SQL).length, 1);
    assert.deepEqual(events.filter((sql) => sql === SCHEMA_PROBE), []);
    await db.close();
  },
);

engineTest(
  "opening a file with no model still checks that its schema reads",
  async (engine) => {
    const path = await peopleFile(engine);
    const events: string[] = [];
    const db = openFile(engine, path, {
      onQuery: (event) => events.push(event.sql),
    });
    const rows = [];
    for await (const row of db.sql<{ n: number }>`SELECT 2 AS n`) {
      rows.push(row.n);
    }
    assert.deepEqual(rows, [2]);
    assert.deepEqual(events.slice(0, 1), [SCHEMA_PROBE]);
    await db.close();
  },
);

engineTest(
  "a file whose schema does not read fails at open, with models or without",
  async (engine) => {
    const source = await peopleFile(engine);
    const dir = await tempDir({ prefix: "microcosm_schema_read_" });
    const path = `${dir}/damaged.sqlite`;
    const bytes = await Deno.readFile(source);
    // Page 1 past the 100-byte header holds sqlite_schema: garble it.
    bytes.fill(0xff, 100, 4096);
    await Deno.writeFile(path, bytes);
    const messages: string[] = [];
    for (const withModel of [true, false]) {
      const db = openFile(engine, path);
      let query: () => Promise<unknown>;
      if (withModel) {
        class Person extends db.Model("person", {
          id: integer({ primaryKey: true }),
        }) {}
        query = () => new Store(Person).count();
      } else {
        query = async () => {
          for await (const _ of db.sql`SELECT 1`);
        };
      }
      await assert.rejects(query, (error: unknown) => {
        assert.ok(error instanceof DataSetError, String(error));
        messages.push(error.message.replaceAll(/test_\w+/g, "<name>"));
        return true;
      });
      await db.close();
    }
    assert.match(messages[0]!, /^Cannot open dataset "<name>".*is corrupt/);
    assert.equal(messages[0], messages[1]);
  },
);
