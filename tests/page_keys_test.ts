// A page's token holds its last row's order keys as stored. A key that is
// one of the model's columns is read from that column of the row (selected
// once), whatever its kind decodes it to; a key that is not (the rowid) is
// selected after the model's columns and after the NUL flag column where
// reads carry it. Walking every page must give the rows search() gives, in
// its order, for keys at every position and of every kind.
import assert from "node:assert/strict";
import {
  bigint,
  boolean,
  datetime,
  integer,
  real,
  type Store,
  Store as StoreClass,
  text,
} from "../mod.ts";
import type { EngineName } from "../src/_engine.ts";
import { BIG, engineTest, openFile, sqliteFile } from "./_helpers.ts";

/**
 * Every page of `store` under `options`, walked with tokens; at most 50
 * pages (more than any walk here takes), so a token that never advances
 * fails the test instead of looping.
 */
async function walk<R>(
  store: {
    page(filter: unknown, options: object): Promise<{
      rows: R[];
      next: string | undefined;
    }>;
  },
  filter: unknown,
  options: object,
): Promise<R[]> {
  const rows: R[] = [];
  let after: string | undefined;
  do {
    const page = await store.page(
      filter,
      after === undefined ? options : { ...options, after },
    );
    rows.push(...page.rows);
    after = page.next;
    assert.ok(rows.length <= 50, "the walk does not end");
  } while (after !== undefined);
  return rows;
}

/**
 * Twelve rows whose columns tie in groups and decode to other values than
 * they store: a datetime stored as text and as epoch seconds, a boolean
 * stored as 0/1, a real, a text, and a bigint beyond 2^53.
 */
async function kinds(): Promise<string> {
  const values = Array.from({ length: 12 }, (_, i) => {
    const day = `2024-01-0${1 + (i % 3)}T00:00:00.000Z`;
    const seconds = 1_700_000_000 + (i % 4) * 60;
    return `(${i + 1}, '${"cab"[i % 3]}', ${i % 2}, '${day}', ${seconds}, ${
      (i % 5) / 2
    }, ${BIG + BigInt(i % 3)})`;
  }).join(", ");
  return await sqliteFile(`
    CREATE TABLE k (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
      flag INTEGER NOT NULL, day TEXT NOT NULL, at INTEGER NOT NULL,
      score REAL NOT NULL, big INTEGER NOT NULL) STRICT;
    INSERT INTO k VALUES ${values};
  `);
}

function openKinds(engine: EngineName, path: string) {
  const db = openFile(engine, path);
  class K extends db.Model("k", {
    id: integer({ primaryKey: true }),
    name: text(),
    flag: boolean(),
    day: datetime(),
    at: datetime({ storage: "seconds" }),
    score: real(),
    big: bigint(),
  }) {}
  return { db, store: new StoreClass(K) };
}

engineTest(
  "page() walks every order key of every kind and position as search() orders it",
  async (engine, t) => {
    const { db, store } = openKinds(engine, await kinds());
    try {
      const orders = [
        "name",
        "-name",
        "flag",
        "-flag",
        "day",
        "-at",
        "score",
        "-big",
        ["flag", "-day"],
        ["-score", "name", "at"],
        "-id",
      ];
      for (const orderBy of orders) {
        await t.step(JSON.stringify(orderBy), async () => {
          const all = await Array.fromAsync(
            store.search({}, { orderBy } as never),
          );
          for (const limit of [1, 2, 5]) {
            const paged = await walk(store, {}, { orderBy, limit });
            assert.deepEqual(
              paged.map((row) => row.id),
              all.map((row) => row.id),
              `limit ${limit}`,
            );
          }
          // And under a filter on another column.
          const some = await Array.fromAsync(
            store.search({ score: { gt: 0 } }, { orderBy } as never),
          );
          const paged = await walk(store, { score: { gt: 0 } }, {
            orderBy,
            limit: 3,
          });
          assert.deepEqual(
            paged.map((row) => row.id),
            some.map((row) => row.id),
          );
        });
      }
    } finally {
      await db.close();
    }
  },
);

/**
 * A table with a composite key (so a file opened read-only and immutable
 * pages it in rowid order, the rowid selected after the model's columns)
 * and one row whose text holds a NUL (so node reads carry the NUL flag
 * column before the rowid).
 */
async function composite(): Promise<string> {
  const values = Array.from(
    { length: 15 },
    (_, i) => `(${i % 4}, ${20 - i}, 'note ${i}')`,
  ).join(", ");
  return await sqliteFile(`
    CREATE TABLE d (a INTEGER NOT NULL, b INTEGER NOT NULL, note TEXT NOT NULL,
      PRIMARY KEY (a, b)) STRICT;
    INSERT INTO d VALUES ${values};
    INSERT INTO d VALUES (9, 9, 'cut' || char(0) || 'here');
  `);
}

engineTest(
  "page() in rowid order reads the rowid after the model's columns and the NUL flag",
  async (engine) => {
    const db = openFile(engine, await composite());
    class D extends db.Model("d", {
      a: integer({ primaryKey: true }),
      b: integer({ primaryKey: true }),
      note: text(),
    }) {}
    const store: Store<typeof D> = new StoreClass(D);
    try {
      // The row with the NUL is left out: node refuses to read it.
      const filter = { a: { lt: 9 } };
      const all = await Array.fromAsync(store.search(filter));
      assert.equal(all.length, 15);
      // Rowid order: as inserted, not key order.
      assert.deepEqual(
        all.map((row) => row.note),
        Array.from({ length: 15 }, (_, i) => `note ${i}`),
      );
      for (const limit of [1, 4, 7]) {
        const paged = await walk(store, filter, { limit });
        assert.deepEqual(paged, all, `limit ${limit}`);
      }
      // A key order of the model's own columns, beside it.
      const byB = await walk(store, filter, { orderBy: "-b", limit: 4 });
      assert.deepEqual(
        byB.map((row) => row.b),
        all.map((row) => row.b).sort((x, y) => y - x),
      );
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "page() by datetime text in several forms reads its instant, not the stored text, for the token",
  async (engine) => {
    // The same instants written three ways: the stored text does not sort
    // as the instants, so the order (and the token's key) is the instant.
    const forms = (i: number) => {
      const minute = String(i).padStart(2, "0");
      return [
        `2024-01-01T10:${minute}:00.000Z`,
        `2024-01-01 12:${minute}:00+02:00`,
        `2024-01-01T05:${minute}:00-05:00`,
      ][i % 3]!;
    };
    const values = Array.from(
      { length: 12 },
      (_, i) => `(${i + 1}, '${forms(11 - i)}')`,
    ).join(", ");
    const db = openFile(
      engine,
      await sqliteFile(`
        CREATE TABLE e (id INTEGER PRIMARY KEY, at TEXT NOT NULL) STRICT;
        INSERT INTO e VALUES ${values};
      `),
    );
    class E extends db.Model("e", {
      id: integer({ primaryKey: true }),
      at: datetime(),
    }) {}
    const store = new StoreClass(E);
    try {
      for (const orderBy of ["at", "-at"]) {
        const all = await Array.fromAsync(
          store.search({}, { orderBy } as never),
        );
        const times = all.map((row) => row.at.getTime());
        assert.deepEqual(
          times,
          [...times].sort((a, b) => orderBy === "at" ? a - b : b - a),
        );
        for (const limit of [1, 5]) {
          const paged = await walk(store, {}, { orderBy, limit });
          assert.deepEqual(
            paged.map((row) => row.id),
            all.map((row) => row.id),
            `${orderBy}, limit ${limit}`,
          );
        }
      }
    } finally {
      await db.close();
    }
  },
);
