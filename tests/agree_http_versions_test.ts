/**
 * The HTTP handler reads every answer combined from several queries from
 * one version of a file opened `immutable: false`, through one retry
 * wrapper: a listing whose count failed because the file changed in place
 * between its statements is read again, as a page is, and a file that
 * keeps changing is a 503. The change is made from the `onQuery` hook,
 * between two statements, so the test is deterministic.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import { createHandler } from "../http.ts";
import {
  type DataSet,
  integer,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet, tempDir } from "./_helpers.ts";

function declareTables(db: DataSet) {
  class Place extends db.Model("place", {
    id: integer({ primaryKey: true }),
    version: text(),
  }) {}
  class Note extends db.Model("note", {
    id: integer({ primaryKey: true }),
    version: text(),
  }) {}
  return { Place, Note };
}

/** Writes a file with `count` rows in each table, or in `place` only. */
async function tablesFile(
  engine: EngineName,
  path: string,
  version: string,
  count: number,
  withNote = true,
): Promise<void> {
  const db = freshDataSet(engine, { writable: true });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
  const { Place, Note } = declareTables(db);
  await db.createAll();
  const rows = Array.from(
    { length: count },
    (_, i) => ({ id: i + 1, version }),
  );
  await new Store(Place).createMany(rows);
  if (!withNote) await db.sql`DROP TABLE note`.next();
  else await new Store(Note).createMany(rows);
  await db.close();
}

/**
 * A file `a` (30 rows) open with `immutable: false`, and `swaps(...)`,
 * which rewrites it in place with each given file in turn, one after each
 * statement the dataset reports from then on.
 */
async function changing(engine: EngineName) {
  const dir = await tempDir({ prefix: "microcosm_http_versions_" });
  const files = {
    a: `${dir}/a.sqlite`,
    b: `${dir}/b.sqlite`,
    a0: `${dir}/a0.sqlite`,
    noNote: `${dir}/no_note.sqlite`,
  };
  await tablesFile(engine, files.a, "a", 30);
  await tablesFile(engine, files.b, "b", 5);
  await tablesFile(engine, files.noNote, "c", 7, false);
  Deno.copyFileSync(files.a, files.a0);
  let queue: string[] = [];
  let swaps = 0;
  const db = freshDataSet(engine, {
    immutable: false,
    onQuery: () => {
      const next = queue.shift();
      if (next === undefined) return;
      swaps++;
      Deno.copyFileSync(next, files.a);
      // A modification time no earlier write had, whatever the clock.
      const time = new Date(Date.UTC(2001, 0, 1, 0, 0, swaps));
      Deno.utimeSync(files.a, time, time);
    },
  });
  db.bind(new SQLiteBindFactory({ paths: { [db.name]: files.a } }));
  declareTables(db);
  return {
    db,
    files,
    swaps: (...paths: string[]): void => {
      queue = paths;
    },
  };
}

async function listingOf(
  handler: (request: Request) => Promise<Response>,
): Promise<{ status: number; body: string }> {
  const response = await handler(new Request("http://127.0.0.1/"));
  return { status: response.status, body: await response.text() };
}

function counts(body: string): number[] {
  return JSON.parse(body).datasets[0].tables.map((t: { rows: number }) =>
    t.rows
  );
}

engineTest(
  "an HTTP listing whose count failed on a changed file reads again",
  async (engine) => {
    const { db, files, swaps } = await changing(engine);
    try {
      const handler = createHandler(db);
      const first = await listingOf(handler);
      assert.equal(first.status, 200, first.body);
      assert.deepEqual(counts(first.body), [30, 30]);
      // After the first count, a version without the note table (its count
      // fails), then b, whole: read again, the listing is b's.
      swaps(files.noNote, files.b);
      const second = await listingOf(handler);
      assert.equal(second.status, 200, second.body);
      assert.deepEqual(counts(second.body), [5, 5]);
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "an HTTP listing whose file keeps changing is a 503 naming the dataset",
  async (engine) => {
    const { db, files, swaps } = await changing(engine);
    try {
      const handler = createHandler(db);
      assert.equal((await listingOf(handler)).status, 200);
      swaps(
        ...Array.from({ length: 20 }, (_, i) => i % 2 ? files.a0 : files.b),
      );
      const answer = await listingOf(handler);
      assert.equal(answer.status, 503, answer.body);
      assert.match(
        answer.body,
        new RegExp(
          `The data of ${db.name} changed while the request was answered \\(3 times\\)`,
        ),
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "an HTTP page whose total failed on a changed file reads again",
  async (engine) => {
    const { db, files, swaps } = await changing(engine);
    try {
      const handler = createHandler(db);
      const url = `http://127.0.0.1/${db.name}/note?_total=1&_size=50`;
      assert.equal((await handler(new Request(url))).status, 200);
      // After the rows, a version without the note table, then b.
      swaps(files.noNote, files.b);
      const response = await handler(new Request(url));
      const body = await response.text();
      assert.equal(response.status, 200, body);
      const page = JSON.parse(body);
      assert.equal(page.total, 5);
      assert.deepEqual(
        new Set(page.rows.map((row: { version: string }) => row.version)),
        new Set(["b"]),
      );
    } finally {
      await db.close();
    }
  },
);
