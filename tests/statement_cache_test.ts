// The statement cache under concurrency: the statements of concurrent
// queries of one SQL text stay prepared for the next round (up to
// IDLE_PER_SQL of them), and the idle statements of all texts together
// stay within MAX_IDLE.
import assert from "node:assert/strict";
import { type AnyModel, type Filter, integer, type Store } from "../mod.ts";
import { SESSION } from "../src/dataset.ts";
import { IDLE_PER_SQL, MAX_IDLE } from "../src/_session.ts";
import { engineTest, oneModel } from "./_helpers.ts";

/**
 * Starts `count` searches at once (each stepped to its first row, so each
 * holds a statement), then finishes them all; answers the rows read.
 */
async function concurrentSearches<M extends AnyModel>(
  store: Store<M>,
  count: number,
  filter: (i: number) => Filter<M> = () => ({}) as Filter<M>,
): Promise<number> {
  const cursors = Array.from(
    { length: count },
    (_, i) => store.search(filter(i), { limit: 2 }),
  );
  const first = await Promise.all(cursors.map((cursor) => cursor.next()));
  let rows = first.filter((result) => !result.done).length;
  for (const cursor of cursors) {
    for await (const _ of { [Symbol.asyncIterator]: () => cursor }) rows++;
  }
  return rows;
}

async function numbers(engine: "ffi" | "node") {
  const { db, store } = await oneModel(engine, "n", {
    id: integer({ primaryKey: true }),
  });
  await store.createMany(Array.from({ length: 10 }, () => ({})));
  const session = await db[SESSION]();
  // The statements other queries left idle (the writes, the schema check).
  await concurrentSearches(store, 1);
  const others = session.cachedStatements - 1;
  return { db, store, session, others };
}

engineTest(
  "50 concurrent searches of one query keep their statements for the next round",
  async (engine) => {
    const { db, store, session, others } = await numbers(engine);
    await using _ = db;
    assert.equal(await concurrentSearches(store, 50), 100);
    assert.equal(session.cachedStatements, others + 50);
    const live = session.liveStatements;
    // The next round prepares none: it takes the 50 from the cache.
    assert.equal(await concurrentSearches(store, 50), 100);
    assert.equal(session.liveStatements, live);
    assert.equal(session.cachedStatements, others + 50);
  },
);

engineTest(
  "The statement cache keeps at most IDLE_PER_SQL idle copies of one query",
  async (engine) => {
    const { db, store, session, others } = await numbers(engine);
    await using _ = db;
    const count = IDLE_PER_SQL + 20;
    assert.equal(await concurrentSearches(store, count), 2 * count);
    assert.equal(session.cachedStatements, others + IDLE_PER_SQL);
    assert.equal(session.liveStatements, others + IDLE_PER_SQL);
  },
);

engineTest(
  "The statement cache keeps at most MAX_IDLE idle statements in all",
  async (engine) => {
    const { db, store, session } = await numbers(engine);
    await using _ = db;
    // Filters of different shapes are different SQL texts: IDLE_PER_SQL
    // concurrent copies of each of several texts.
    const shapes = [
      () => ({}),
      () => ({ id: { gt: 0 } }),
      () => ({ id: { gte: 1 } }),
      () => ({ id: { lt: 100 } }),
      () => ({ id: { lte: 100 } }),
      () => ({ id: { ne: 0 } }),
    ];
    assert.ok(shapes.length * IDLE_PER_SQL > MAX_IDLE);
    for (const shape of shapes) {
      await concurrentSearches(store, IDLE_PER_SQL, shape);
    }
    assert.equal(session.cachedStatements, MAX_IDLE);
    assert.equal(session.liveStatements, MAX_IDLE);
    // Statements of the cached texts still serve their queries.
    assert.equal(await concurrentSearches(store, 3), 6);
  },
);
