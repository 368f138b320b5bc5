/**
 * Cold start (issue 15): the `datetime()` kinds are made on the first use
 * of a datetime column, not at import. In a fresh process whose first act
 * is to declare and use such columns, each storage reads back the instant
 * written, and filters on it.
 */
import assert from "node:assert/strict";
import { engineTest, runScriptJson } from "./_helpers.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

engineTest(
  "datetime columns of each storage work as a fresh process's first use of them",
  async (engine) => {
    const result = await runScriptJson(
      ["--allow-read", "--allow-ffi", "--allow-env"],
      `
      import { DataSet, datetime, integer, Store } from ${JSON.stringify(MOD)};
      const db = DataSet.create("lazy_kinds", { engine: ${
        JSON.stringify(engine)
      } });
      class Event extends db.Model("event", {
        id: integer({ primaryKey: true }),
        asText: datetime(),
        asSeconds: datetime({ storage: "seconds" }),
        asMs: datetime({ storage: "milliseconds" }),
      }) {}
      await db.createAll();
      const at = new Date("2024-05-06T07:08:09.250Z");
      const store = new Store(Event);
      await store.create({ asText: at, asSeconds: at, asMs: at });
      const row = await store.retrieve(1);
      const found = await store.count({ asMs: { gte: at } });
      await db.close();
      console.log(JSON.stringify({
        text: row.asText.toISOString(),
        seconds: row.asSeconds.toISOString(),
        ms: row.asMs.toISOString(),
        found,
      }));
      `,
    );
    assert.deepEqual(result, {
      text: "2024-05-06T07:08:09.250Z",
      seconds: "2024-05-06T07:08:09.250Z",
      ms: "2024-05-06T07:08:09.250Z",
      found: 1,
    });
  },
);
