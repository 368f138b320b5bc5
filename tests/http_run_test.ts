// How the handler runs its queries: the onQuery hook, and an export that
// stops when its client goes away.
import assert from "node:assert/strict";
import { integer, type QueryEvent, Store, text } from "../mod.ts";
import { createHandler } from "../http.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";
import { serve, servedCities } from "./_http_helpers.ts";

engineTest(
  "onQuery is told about every statement a request runs",
  async (engine) => {
    const events: QueryEvent[] = [];
    await using s = await servedCities(engine, {
      onQuery: (event) => events.push(event),
    });
    const response = await fetch(s.url("?country=FR&_facet=country&_total=1"));
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.ok(events.every((event) => event.dataset === s.dataset));
    assert.ok(events.every((event) => event.error === undefined));
    const page = events.find((event) =>
      /FROM "city"/.test(event.sql) && event.rows === 3
    );
    assert.ok(page !== undefined, events.map((e) => e.sql).join("\n"));
    assert.ok(events.some((event) => /GROUP BY/i.test(event.sql)));
    assert.ok(events.some((event) => /count\(\*\)/i.test(event.sql)));
    assert.ok(
      events.every((event) => !event.sql.includes("'FR'")),
      "values are bound",
    );
  },
);

engineTest(
  "an export stops reading rows when its client goes away",
  async (engine) => {
    const db = freshDataSet(engine);
    class Row extends db.Model("row", {
      id: integer({ primaryKey: true }),
      text: text(),
    }) {}
    await db.createAll();
    const count = 200_000;
    await new Store(Row).createMany(
      Array.from(
        { length: count },
        (_, i) => ({ text: `row ${i} `.repeat(4) }),
      ),
    );
    const events: QueryEvent[] = [];
    let ended!: () => void;
    const done = new Promise<void>((resolve) => ended = resolve);
    await using served = serve(createHandler(db, {
      onQuery(event) {
        events.push(event);
        if (/FROM "row"/.test(event.sql)) ended();
      },
    }));
    const controller = new AbortController();
    const response = await fetch(
      `${served.origin}/${db.name}/row?_format=jsonl`,
      {
        signal: controller.signal,
      },
    );
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => {});
    await done;
    const read = events.find((event) => /FROM "row"/.test(event.sql))!;
    assert.ok(read.rows < count, `${read.rows} rows read of ${count}`);
    await db.close();
  },
);
