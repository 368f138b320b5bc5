// Resources and concurrency: statements, cursors after close(), interleaved
// iterators, workers reading one file, file descriptors.
import assert from "node:assert/strict";
import { DataSetError } from "../mod.ts";
import { SESSION } from "../src/dataset.ts";
import { IDLE_PER_SQL } from "../src/_session.ts";
import {
  ENGINES,
  engineTest,
  openPeopleFile,
  PEOPLE,
  peopleFile,
  peopleInMemory,
  runScriptJson,
  sha256,
} from "./_helpers.ts";

engineTest(
  "100,000 early breaks out of search() leave the live and leased statement counts where one break leaves them",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    const session = await db[SESSION]();
    const breakOnce = async () => {
      for await (const _person of store.search({ last: "Washington" })) break;
    };
    await breakOnce();
    const live = session.liveStatements;
    assert.equal(session.leasedStatements, 0);
    for (let i = 0; i < 100_000; i++) {
      await breakOnce();
      if (i % 10_000 === 0) {
        assert.equal(session.liveStatements, live, `after ${i} breaks`);
        assert.equal(session.leasedStatements, 0, `after ${i} breaks`);
      }
    }
    assert.equal(session.liveStatements, live);
    assert.equal(session.leasedStatements, 0);
  },
);

engineTest(
  "Unfinished cursors hold one statement each and return() gives every one back",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    const session = await db[SESSION]();
    assert.equal(await store.count(), PEOPLE.length);
    const live = session.liveStatements;
    const cursors = Array.from({ length: 200 }, () => store.search());
    for (const cursor of cursors) {
      assert.equal((await cursor.next()).done, false);
    }
    assert.equal(session.leasedStatements, 200);
    assert.ok(session.liveStatements >= 200);
    for (const cursor of cursors) await cursor.return();
    assert.equal(session.leasedStatements, 0);
    // The cache keeps some idle copies; the rest are finalized.
    assert.ok(
      session.liveStatements <= live + IDLE_PER_SQL,
      `${session.liveStatements} live statements, ${live} before`,
    );
    // A returned cursor stays done and holds nothing.
    assert.equal((await cursors[0]!.next()).done, true);
    assert.equal(session.leasedStatements, 0);
  },
);

engineTest(
  "Cursors dropped unfinished give their statements back once collected (subprocess with --expose-gc)",
  async (engine) => {
    const path = await peopleFile(engine);
    const source = new URL("../mod.ts", import.meta.url).href;
    const dataset = new URL("../src/dataset.ts", import.meta.url).href;
    const script = `
      import { DataSet, SQLiteBindFactory, Store, integer, text } from ${
      JSON.stringify(source)
    };
      import { SESSION } from ${JSON.stringify(dataset)};
      const db = DataSet.create("people", { engine: ${
      JSON.stringify(engine)
    } });
      db.bind(new SQLiteBindFactory({ paths: { people: ${
      JSON.stringify(path)
    } } }));
      class Person extends db.Model("person", { id: integer({ primaryKey: true }), first: text() }) {}
      const store = new Store(Person);
      const session = await db[SESSION]();
      const start = async () => {
        for (let i = 0; i < 1000; i++) await store.search().next();
      };
      await Array.fromAsync(store.search());
      const base = session.liveStatements;
      await start(); // every cursor dropped after its first row
      const held = session.leasedStatements;
      let rounds = 0;
      while (session.leasedStatements > 8 && rounds < 50) {
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
        rounds++;
      }
      console.log(JSON.stringify({ held, leased: session.leasedStatements, live: session.liveStatements, base }));
      await db.close();
    `;
    const { held, leased, live, base } = await runScriptJson(
      ["--allow-read", "--allow-ffi", "--v8-flags=--expose-gc"],
      script,
    );
    assert.ok(held > 100, `only ${held} statements held before collection`);
    // Cursors are watched only while more than 8 statements are in use (so
    // ordinary queries pay nothing): the first 8 dropped stay leased, every
    // later one comes back. A bounded leak, never a growing one.
    assert.equal(leased, 8);
    // Plus at most IDLE_PER_SQL idle copies of the search statement in the
    // cache.
    assert.ok(
      live <= base + 8 + IDLE_PER_SQL,
      `${live} statements live, ${base} before`,
    );
  },
);

engineTest(
  "close() while cursors are open: their next step is a DataSetError, and the next use reopens",
  async (engine) => {
    const path = await peopleFile(engine);
    const before = await sha256(path);
    const { db, store } = openPeopleFile(engine, path);
    await using _ = db;
    const cursors = [store.search(), store.search({ last: "Washington" })];
    for (const cursor of cursors) {
      assert.equal((await cursor.next()).done, false);
    }
    const notStarted = store.search();
    await db.close();
    for (const cursor of cursors) {
      await assert.rejects(cursor.next(), (error: Error) => {
        assert.ok(error instanceof DataSetError, String(error));
        assert.match(error.message, /was closed while the query was running/);
        return true;
      });
      // Once failed, the cursor is done and holds nothing.
      assert.deepEqual(await cursor.next(), { value: undefined, done: true });
      assert.deepEqual(await cursor.return(), { value: undefined, done: true });
    }
    // A cursor that had not started opens the dataset again.
    assert.equal((await Array.fromAsync(notStarted)).length, PEOPLE.length);
    assert.equal(await store.count(), PEOPLE.length);
    const session = await db[SESSION]();
    assert.equal(session.leasedStatements, 0);
    assert.equal(await sha256(path), before);
  },
);

engineTest(
  "1,000 interleaved cursors over one dataset return what sequential runs return",
  async (engine) => {
    const { db, store } = await peopleInMemory(engine);
    await using _ = db;
    await store.createMany(
      Array.from({ length: 60 }, (_, i) => ({
        first: `F${i}`,
        last: `L${i % 7}`,
        born: 1800 + i,
      })),
    );
    const queries = [
      () => store.search(),
      () => store.search({ last: "L3" }),
      () => store.search({}, { orderBy: ["-born"], limit: 25 }),
      () => store.search({ born: { gt: 1830 } }, { orderBy: ["first"] }),
      () => db.sql`select id, first from person where id % 3 = ${1}`,
    ] as const;
    const names = (row: unknown) => JSON.stringify(row);
    const expected: string[][] = [];
    for (const query of queries) {
      expected.push(
        (await Array.fromAsync(query() as AsyncIterable<unknown>)).map(names),
      );
    }
    const cursors = Array.from({ length: 1000 }, (_, i) => ({
      kind: i % queries.length,
      iterator: queries[i % queries.length]!() as AsyncIterator<unknown>,
      rows: [] as string[],
      done: false,
    }));
    let open = cursors.length;
    while (open > 0) {
      for (const cursor of cursors) {
        if (cursor.done) continue;
        const step = await cursor.iterator.next();
        if (step.done) {
          cursor.done = true;
          open--;
        } else cursor.rows.push(names(step.value));
      }
    }
    for (const cursor of cursors) {
      assert.deepEqual(cursor.rows, expected[cursor.kind]);
    }
    assert.equal((await db[SESSION]()).leasedStatements, 0);
  },
);

engineTest(
  "Several workers open the same file read-only at once and all read every row",
  async (engine) => {
    const path = await peopleFile(engine);
    const before = await sha256(path);
    const { db, store } = openPeopleFile(engine, path);
    const expected: string[] = [];
    for await (const person of store.search()) expected.push(person.fullName);
    await db.close();
    // The workers run in a subprocess: `deno test` type-checks a worker's
    // module graph when the worker starts (seconds, whenever the code
    // changed since the last check), `deno run` does not.
    const results: { engine?: string; reads?: string[][]; error?: string }[] =
      await runScriptJson(
        ["--allow-read", "--allow-ffi", "--allow-env"],
        `
        const url = ${
          JSON.stringify(
            new URL("./testdata/read_worker.ts", import.meta.url).href,
          )
        };
        const results = await Promise.all(Array.from({ length: 4 }, () =>
          new Promise((resolve, reject) => {
            const worker = new Worker(url, { type: "module" });
            worker.onmessage = (event) => {
              worker.terminate();
              resolve(event.data);
            };
            worker.onerror = (event) => {
              event.preventDefault();
              worker.terminate();
              reject(new Error(event.message));
            };
            worker.postMessage({
              path: ${JSON.stringify(path)},
              engine: ${JSON.stringify(engine)},
              rounds: 20,
            });
          })
        ));
        console.log(JSON.stringify(results));
        `,
      );
    for (const result of results) {
      assert.equal(result.error, undefined);
      assert.equal(result.engine, engine);
      assert.equal(result.reads!.length, 20);
      for (const names of result.reads!) assert.deepEqual(names, expected);
    }
    assert.equal(await sha256(path), before);
  },
);

for (const engine of ENGINES) {
  Deno.test({
    name:
      `Opening and closing 100 datasets leaves no file descriptor behind [${engine}]`,
    ignore: Deno.build.os !== "linux",
    fn: async () => {
      const path = await peopleFile(engine);
      // Deno lets only --allow-all read /proc/self/fd: the loop runs in a
      // subprocess that has it.
      const script = `
        import { SQLiteBindFactory, Store } from ${
        JSON.stringify(new URL("../mod.ts", import.meta.url).href)
      };
        import { declarePeople, freshDataSet } from ${
        JSON.stringify(new URL("./_helpers.ts", import.meta.url).href)
      };
        const count = () => [...Deno.readDirSync("/proc/self/fd")].length;
        const openOnce = async () => {
          const db = freshDataSet(${JSON.stringify(engine)});
          db.bind(new SQLiteBindFactory({ paths: { [db.name]: ${
        JSON.stringify(path)
      } } }));
          const store = new Store(declarePeople(db));
          const john = (await store.first({ last: "Adams" }))?.first;
          const held = count();
          await db.close();
          return { john, held };
        };
        await openOnce(); // loads the engine (and its library) once
        const before = count();
        let held = 0;
        const names = new Set();
        for (let i = 0; i < 100; i++) {
          const result = await openOnce();
          names.add(result.john);
          held = Math.max(held, result.held);
        }
        console.log(JSON.stringify({ before, held, after: count(), names: [...names] }));
      `;
      const { before, held, after, names } = await runScriptJson(
        ["--allow-all"],
        script,
      );
      assert.deepEqual(names, ["John"]);
      // Each open dataset holds its file open; a closed one holds nothing.
      assert.ok(
        held > before,
        `${held} descriptors while open, ${before} before`,
      );
      assert.equal(after, before);
    },
  });
}
