/**
 * Issue 13's query controls: `signal`, `timeoutMs` and `onQuery` on store
 * queries, raw SQL and dumps.
 */
import assert from "node:assert/strict";
import {
  dumpJsonLines,
  integer,
  QueryError,
  type QueryEvent,
  QueryTimeoutError,
  real,
  Store,
  text,
} from "../mod.ts";
import { SESSION } from "../src/dataset.ts";
import { IDLE_PER_SQL } from "../src/_session.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

/** A filled dataset of `n` rows with a text index and a geo index. */
async function numbers(
  engine: "ffi" | "node",
  n = 300,
  options: Parameters<typeof freshDataSet>[1] = {},
) {
  const db = freshDataSet(engine, options);
  class Num extends db.Model("num", {
    id: integer({ primaryKey: true }),
    name: text(),
    lat: real(),
    lon: real(),
  }, {
    search: { columns: ["name"] },
    geo: { lat: "lat", lon: "lon" },
  }) {}
  await db.createAll();
  const store = new Store(Num);
  await store.createMany(
    Array.from({ length: n }, (_, i) => ({
      name: `row ${i}`,
      lat: (i % 80) - 40,
      lon: (i % 160) - 80,
    })),
  );
  const session = await db[SESSION]();
  return { db, Num, store, session };
}

/** A reason no library error could be mistaken for. */
function reason(): Error {
  return new Error("the client went away");
}

/**
 * SQL whose single step counts `n` generated rows: long for one step, with
 * no row before it ends.
 */
const LONG_STEP_ROWS = 4_000_000;

engineTest(
  "an aborted signal rejects every query with its reason and runs nothing",
  async (engine) => {
    const events: QueryEvent[] = [];
    const { db, store, session } = await numbers(engine, 10, {
      onQuery: (event) => events.push(event),
    });
    events.length = 0;
    const why = reason();
    const signal = AbortSignal.abort(why);
    const calls: [string, () => Promise<unknown>][] = [
      ["search", () => Array.fromAsync(store.search({}, { signal }))],
      ["select", () => Array.fromAsync(store.select(["id"], {}, { signal }))],
      ["match", () => Array.fromAsync(store.match("row", { signal }))],
      ["within", () =>
        Array.fromAsync(
          store.within({ south: -90, north: 90, west: -180, east: 180 }, {}, {
            signal,
          }),
        )],
      ["nearest", () => store.nearest({ lat: 0, lon: 0 }, { signal })],
      ["page", () => store.page({}, { signal })],
      ["countBy", () => store.countBy("name", {}, { signal })],
      ["distinct", () => store.distinct("name", {}, { signal })],
      ["count", () => store.count({}, { signal })],
      ["exists", () => store.exists({}, { signal })],
      ["first", () => store.first({}, { signal })],
      ["min", () => store.min("id", {}, { signal })],
      ["max", () => store.max("id", {}, { signal })],
      ["sum", () => store.sum("id", {}, { signal })],
      ["avg", () => store.avg("id", {}, { signal })],
      ["dataset.sql", () => Array.fromAsync(db.sql({ signal })`SELECT 1`)],
      [
        "store.sql",
        () =>
          Array.fromAsync(
            store.sql({ signal })`SELECT ${store.columns()} FROM num`,
          ),
      ],
      [
        "dumpJsonLines",
        () => new Response(dumpJsonLines(store, { signal })).text(),
      ],
    ];
    for (const [name, call] of calls) {
      await assert.rejects(call(), (error) => error === why, name);
    }
    assert.deepEqual(events, [], "no statement ran");
    assert.equal(session.leasedStatements, 0);
    await db.close();
  },
);

engineTest(
  "aborting a stream between rows releases its statement at once and rejects the next row",
  async (engine) => {
    const { db, store, session } = await numbers(engine);
    const controller = new AbortController();
    const rows = store.search({}, { signal: controller.signal });
    assert.equal((await rows.next()).done, false);
    assert.equal(session.leasedStatements, 1);
    const why = reason();
    controller.abort(why);
    // Released by the abort itself, before anyone asks for the next row.
    assert.equal(session.leasedStatements, 0);
    await assert.rejects(rows.next(), (error) => error === why);
    assert.deepEqual(await rows.next(), { value: undefined, done: true });
    // The connection is whole: the same query runs again.
    assert.equal((await Array.fromAsync(store.search())).length, 300);
    await db.close();
  },
);

engineTest(
  "an abort while the caller works on a row stops the stream at the next row",
  async (engine) => {
    const { db, session } = await numbers(engine);
    const controller = new AbortController();
    const why = reason();
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (
          const _ of db.sql({ signal: controller.signal })`SELECT * FROM num`
        ) {
          if (++seen === 5) controller.abort(why);
        }
      })(),
      (error) => error === why,
    );
    assert.equal(seen, 5);
    assert.equal(session.leasedStatements, 0);
    await db.close();
  },
);

engineTest(
  "a dump stops with the signal's reason and releases its statement",
  async (engine) => {
    const { db, store, session } = await numbers(engine, 5000);
    const controller = new AbortController();
    const why = reason();
    const reader = dumpJsonLines(store, { signal: controller.signal })
      .getReader();
    assert.equal((await reader.read()).done, false);
    controller.abort(why);
    assert.equal(session.leasedStatements, 0);
    await assert.rejects(
      (async () => {
        while (!(await reader.read()).done);
      })(),
      (error) => error === why,
    );
    // Rows from elsewhere: the signal is checked before each row.
    const late = new AbortController();
    const source = (function* () {
      yield { id: 1 };
      late.abort(why);
      yield { id: 2 };
    })();
    await assert.rejects(
      new Response(dumpJsonLines(source, { signal: late.signal })).text(),
      (error) => error === why,
    );
    await db.close();
  },
);

engineTest(
  "a time budget stops a stream between rows with a QueryTimeoutError",
  async (engine) => {
    const { db, store, session } = await numbers(engine);
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of store.search({}, { timeoutMs: 20 })) {
          seen++;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })(),
      (error) => {
        assert.ok(error instanceof QueryTimeoutError);
        assert.equal(error.statusCode, 503);
        assert.equal(error.timeoutMs, 20);
        assert.match(error.message, /time budget of 20 ms/);
        assert.equal(error.dataset, db.name);
        return true;
      },
    );
    assert.ok(seen > 0 && seen < 300, `stopped after ${seen} rows`);
    assert.equal(session.leasedStatements, 0);
    await db.close();
  },
);

engineTest(
  "a time budget stops one long step on FFI, and at the next row on node:sqlite",
  async (engine) => {
    const { db, session } = await numbers(engine, 1);
    const rows = db.sql({ timeoutMs: 20 })`
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${LONG_STEP_ROWS})
    SELECT count(*) AS n FROM c`;
    if (engine === "ffi") {
      // The progress handler interrupts the count inside its only step.
      await assert.rejects(rows.next(), QueryTimeoutError);
    } else {
      // node:sqlite has no progress handler: the step runs to its end.
      assert.deepEqual(await rows.next(), {
        value: { n: LONG_STEP_ROWS },
        done: false,
      });
      await assert.rejects(rows.next(), QueryTimeoutError);
    }
    assert.equal(session.leasedStatements, 0);
    // Unbounded queries run as before: the handler is gone.
    const [{ n }] = await Array.fromAsync(db.sql<{ n: number }>`
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000)
    SELECT count(*) AS n FROM c`) as [{ n: number }];
    assert.equal(n, 300000);
    await db.close();
  },
);

engineTest(
  "a time budget bounds a whole page, a count and nearest",
  async (engine) => {
    const { db, store, session } = await numbers(engine, 50);
    // Generous budgets change nothing.
    assert.equal((await store.page({}, { timeoutMs: 60_000 })).rows.length, 50);
    assert.equal(await store.count({}, { timeoutMs: 60_000 }), 50);
    assert.equal(
      (await store.nearest({ lat: 0, lon: 0 }, { timeoutMs: 60_000 })).length,
      10,
    );
    assert.equal(await store.sum("id", {}, { timeoutMs: 60_000 }), 1275);
    assert.equal(session.leasedStatements, 0);
    await db.close();
  },
);

engineTest(
  "onQuery tells the dataset's and the call's hook about each statement once",
  async (engine) => {
    const datasetEvents: QueryEvent[] = [];
    const { db, store } = await numbers(engine, 20, {
      onQuery: (event) => datasetEvents.push(event),
    });
    datasetEvents.length = 0;
    const callEvents: QueryEvent[] = [];
    const onQuery = (event: QueryEvent) => callEvents.push(event);

    assert.equal(await store.count({ id: { lte: 5 } }, { onQuery }), 5);
    assert.equal(callEvents.length, 1);
    assert.equal(datasetEvents.length, 1);
    assert.equal(callEvents[0], datasetEvents[0], "one event, both hooks");
    const [counted] = callEvents;
    assert.equal(counted!.dataset, db.name);
    assert.match(counted!.sql, /count/i);
    assert.equal(counted!.rows, 1);
    assert.ok(counted!.durationMs >= 0);
    assert.equal("error" in counted!, false);

    // A stream reports once, when it ends, with the rows it returned.
    callEvents.length = 0;
    const rows = await Array.fromAsync(store.search({}, { onQuery }));
    assert.equal(rows.length, 20);
    assert.equal(callEvents.length, 1);
    assert.equal(callEvents[0]!.rows, 20);

    // Abandoned: broken out of after three rows.
    callEvents.length = 0;
    let taken = 0;
    for await (const _ of store.search({}, { onQuery })) {
      if (++taken === 3) break;
    }
    assert.equal(callEvents.length, 1);
    assert.equal(callEvents[0]!.rows, 3);
    assert.equal("error" in callEvents[0]!, false);

    // Failed: the event carries the error the caller sees.
    callEvents.length = 0;
    const failed = await Array.fromAsync(
      db.sql({ onQuery })`SELECT * FROM no_such_table`,
    ).catch((error) => error);
    assert.ok(failed instanceof QueryError);
    assert.equal(callEvents.length, 1);
    assert.equal(callEvents[0]!.error, failed);
    assert.equal(callEvents[0]!.rows, 0);
    assert.match(callEvents[0]!.sql, /no_such_table/);

    // The dataset hook alone sees queries given no options.
    datasetEvents.length = 0;
    await store.page({}, { limit: 5 });
    await Array.fromAsync(db.sql`SELECT 1`);
    assert.equal(datasetEvents.length, 2);
    assert.deepEqual(datasetEvents.map((e) => e.rows), [6, 1]);
    await db.close();
  },
);

engineTest(
  "onQuery reports an aborted or timed-out statement with its error",
  async (engine) => {
    const { db, store } = await numbers(engine);
    const events: QueryEvent[] = [];
    const onQuery = (event: QueryEvent) => events.push(event);
    const controller = new AbortController();
    const why = reason();
    const rows = store.search({}, { signal: controller.signal, onQuery });
    await rows.next();
    await rows.next();
    controller.abort(why);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.error, why);
    assert.equal(events[0]!.rows, 2);
    await assert.rejects(rows.next());
    assert.equal(events.length, 1, "reported once");
    await db.close();
  },
);

engineTest(
  "a hook that throws does not change the query's outcome",
  async (engine) => {
    const { db, store } = await numbers(engine, 3);
    const thrown = new Error("hook bug");
    let reported: unknown;
    const listener = (event: ErrorEvent) => {
      event.preventDefault();
      reported = event.error;
    };
    globalThis.addEventListener("error", listener);
    try {
      const count = await store.count({}, {
        onQuery: () => {
          throw thrown;
        },
      });
      assert.equal(count, 3);
      assert.equal(reported, thrown);
    } finally {
      globalThis.removeEventListener("error", listener);
    }
    await db.close();
  },
);

engineTest(
  "bad run options are refused with errors naming them",
  async (engine) => {
    const { db, store } = await numbers(engine, 1);
    await assert.rejects(
      store.count({}, { timeoutMs: -1 }),
      /Invalid option "timeoutMs" for count\(\) on num: expected a positive number/,
    );
    await assert.rejects(
      store.count({}, { signal: {} as AbortSignal }),
      /Invalid option "signal" for count\(\) on num: expected an AbortSignal, got Object/,
    );
    await assert.rejects(
      store.count({}, { limit: 1 } as never),
      /Invalid option "limit" for count\(\) on num: expected signal, timeoutMs, onQuery/,
    );
    await assert.rejects(
      Array.fromAsync(store.search({}, { onQuery: "log" as never })),
      /Invalid option "onQuery" for search\(\) on num: expected a function/,
    );
    assert.throws(
      () => db.sql({ nope: 1 } as never),
      /Invalid option "nope" for sql on dataset/,
    );
    assert.throws(
      () => freshDataSet(engine, { onQuery: 1 as never }),
      /Invalid onQuery for dataset/,
    );
    await db.close();
  },
);

engineTest(
  "aborting more streams than the session may hold at once leaks none of their statements",
  async (engine) => {
    const { db, store, session } = await numbers(engine, 3);
    const controller = new AbortController();
    const streams = [];
    // More than MAX_LEASED (4096): each would hold its statement until
    // finished, and the next acquire past the bound would throw.
    for (let i = 0; i < 2500; i++) {
      const rows = store.search({}, { signal: controller.signal });
      await rows.next();
      streams.push(rows);
    }
    controller.abort(reason());
    assert.equal(session.leasedStatements, 0);
    const again = new AbortController();
    for (let i = 0; i < 2500; i++) {
      const rows = store.search({}, { signal: again.signal });
      await rows.next();
      streams.push(rows);
    }
    again.abort(reason());
    assert.equal(session.leasedStatements, 0);
    // The cache keeps up to IDLE_PER_SQL idle copies of the search.
    assert.ok(
      session.liveStatements <= IDLE_PER_SQL + 4,
      `${session.liveStatements} live`,
    );
    assert.equal(await store.count(), 3);
    await db.close();
  },
);
