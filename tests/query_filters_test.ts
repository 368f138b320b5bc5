import assert from "node:assert/strict";
import {
  type DataSet,
  datetime,
  type Filter,
  integer,
  or,
  Store,
  text,
} from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";
import type { EngineName } from "../src/_engine.ts";

function declareWords(db: DataSet) {
  class Word extends db.Model("word", {
    id: integer({ primaryKey: true }),
    text: text({ index: true }),
    note: text({ nullable: true }),
    at: datetime({ nullable: true }),
  }) {}
  return Word;
}

const WORDS = [
  "apple",
  "Apple",
  "APPLE pie",
  "a_b",
  "axb",
  "a%b",
  "a*b",
  "a?b",
  "a[b]",
  "ab",
  "éclair",
  "Éclair",
  "pine apple",
  "snapple",
  "a\u{10FFFF}",
  "a\u{10FFFF}z",
  "",
];

async function words(engine: EngineName) {
  const db = freshDataSet(engine);
  const Word = declareWords(db);
  await db.createAll();
  const store = new Store(Word);
  await store.createMany(
    WORDS.map((text, i) => ({ text, note: i % 2 ? "odd" : null })),
  );
  return { db, Word, store };
}

async function texts(
  store: Store<ReturnType<typeof declareWords>>,
  filter: Filter<ReturnType<typeof declareWords>>,
): Promise<string[]> {
  const rows = await Array.fromAsync(store.search(filter, { orderBy: "id" }));
  return rows.map((row) => row.text);
}

engineTest(
  "startsWith, contains and endsWith match exactly, case-sensitively, beyond ASCII",
  async (engine) => {
    const { db, store } = await words(engine);
    assert.deepEqual(await texts(store, { text: { startsWith: "App" } }), [
      "Apple",
    ]);
    assert.deepEqual(await texts(store, { text: { startsWith: "é" } }), [
      "éclair",
    ]);
    assert.deepEqual(await texts(store, { text: { contains: "pple" } }), [
      "apple",
      "Apple",
      "pine apple",
      "snapple",
    ]);
    assert.deepEqual(await texts(store, { text: { endsWith: "Apple" } }), [
      "Apple",
    ]);
    assert.deepEqual(await texts(store, { text: { endsWith: "clair" } }), [
      "éclair",
      "Éclair",
    ]);
    assert.deepEqual(
      await texts(store, { text: { startsWith: "a\u{10FFFF}" } }),
      [
        "a\u{10FFFF}",
        "a\u{10FFFF}z",
      ],
    );
    // Every JavaScript check agrees with SQLite's on every word and probe.
    for (
      const probe of ["a", "A", "pp", "le", "a_", "%", "", "\u{10FFFF}", "ap"]
    ) {
      for (const operator of ["startsWith", "contains", "endsWith"] as const) {
        const expected = WORDS.filter((word) =>
          operator === "contains" ? word.includes(probe) : word[operator](probe)
        );
        assert.deepEqual(
          await texts(store, { text: { [operator]: probe } }),
          expected,
          `${operator} ${JSON.stringify(probe)}`,
        );
      }
    }
    await db.close();
  },
);

engineTest(
  "startsWith, contains and endsWith treat pattern characters as themselves",
  async (engine) => {
    const { db, store } = await words(engine);
    for (
      const [probe, expected] of [
        ["a_", ["a_b"]],
        ["a%", ["a%b"]],
        ["a*", ["a*b"]],
        ["a?", ["a?b"]],
        ["a[", ["a[b]"]],
      ] as const
    ) {
      assert.deepEqual(
        await texts(store, { text: { startsWith: probe } }),
        expected,
        probe,
      );
      assert.deepEqual(
        await texts(store, { text: { contains: probe } }),
        expected,
        probe,
      );
    }
    assert.deepEqual(await texts(store, { text: { endsWith: "_b" } }), ["a_b"]);
    assert.deepEqual(await texts(store, { text: { endsWith: "%b" } }), ["a%b"]);
    // like stays the raw pattern: `_` matches any one character.
    assert.deepEqual(await texts(store, { text: { like: "a_b" } }), [
      "a_b",
      "axb",
      "a%b",
      "a*b",
      "a?b",
    ]);
    await db.close();
  },
);

engineTest(
  "startsWith uses an index on the column where one exists",
  async (engine) => {
    const { db, store } = await words(engine);
    const plan = (await store.explain({ text: { startsWith: "ap" } })).join(
      "\n",
    );
    assert.match(
      plan,
      /SEARCH word USING (COVERING )?INDEX word_text_idx \(text>\? AND text<\?\)/,
    );
    assert.match(
      (await store.explain({ note: { startsWith: "o" } })).join("\n"),
      /SCAN word/,
    );
    await db.close();
  },
);

engineTest(
  "startsWith, contains and endsWith refuse non-strings and non-text columns",
  async (engine) => {
    const { db, store } = await words(engine);
    await assert.rejects(
      // @ts-expect-error: takes a string
      texts(store, { text: { contains: 5 } }),
      (error: Error) =>
        error instanceof TypeError &&
        /contains takes a string/.test(error.message),
    );
    await assert.rejects(
      // @ts-expect-error: text columns only
      texts(store, { id: { startsWith: "1" } }),
      (error: Error) =>
        error instanceof TypeError && /text\(\) columns/.test(error.message),
    );
    await db.close();
  },
);

engineTest(
  "An [or] of filters matches rows any of them matches, beside the other keys",
  async (engine) => {
    const { db, store } = await words(engine);
    assert.deepEqual(
      await texts(store, {
        [or]: [{ text: "ab" }, { text: { startsWith: "sn" } }],
      }),
      ["ab", "snapple"],
    );
    assert.deepEqual(
      await texts(store, {
        note: "odd",
        [or]: [{ text: { startsWith: "a" } }, { text: { endsWith: "pie" } }],
      }),
      WORDS.filter((word, i) =>
        i % 2 === 1 && (word.startsWith("a") || word.endsWith("pie"))
      ),
    );
    // Nested, empty list (nothing) and an empty filter (everything).
    assert.deepEqual(
      await texts(store, {
        [or]: [{ [or]: [{ text: "ab" }] }, { text: "axb" }],
      }),
      ["axb", "ab"],
    );
    assert.deepEqual(await texts(store, { [or]: [] }), []);
    assert.equal(
      (await texts(store, { [or]: [{}, { text: "ab" }] })).length,
      WORDS.length,
    );
    assert.equal(
      await store.count({ [or]: [{ text: "ab" }, { text: "axb" }] }),
      2,
    );
    await assert.rejects(
      // @ts-expect-error: takes an array
      texts(store, { [or]: { text: "ab" } }),
      TypeError,
    );
    await db.close();
  },
);

engineTest(
  "A property named $or or or is a property, never the or of filters",
  async (engine) => {
    const db = freshDataSet(engine);
    class Odd extends db.Model("odd", {
      id: integer({ primaryKey: true }),
      $or: text(),
      or: text(),
    }) {}
    await db.createAll();
    const store = new Store(Odd);
    await store.createMany([{ $or: "x", or: "y" }, { $or: "y", or: "x" }]);
    const rows = await Array.fromAsync(store.search({ $or: "x" }));
    assert.deepEqual(rows.map((row) => row.id), [1]);
    const both = await Array.fromAsync(
      store.search({ or: "x", [or]: [{ $or: "y" }] }),
    );
    assert.deepEqual(both.map((row) => row.id), [2]);
    await db.close();
  },
);

engineTest(
  "Store.explain() answers SQLite's plan: a scan without an index, a search with one",
  async (engine) => {
    const { db, store } = await words(engine);
    const scan = await store.explain({ at: null }, { orderBy: "note" });
    assert.ok(scan.some((step) => /^SCAN word/.test(step)), scan.join("\n"));
    assert.ok(
      scan.some((step) => /TEMP B-TREE FOR ORDER BY/.test(step)),
      scan.join("\n"),
    );
    const search = await store.explain({ text: "ab" });
    assert.ok(
      search.some((step) =>
        /SEARCH word USING (COVERING )?INDEX word_text_idx/.test(step)
      ),
      search.join("\n"),
    );
    await db.close();
  },
);

engineTest(
  "Store.select() reads only the named properties, as plain objects typed with them",
  async (engine) => {
    const { db, store } = await words(engine);
    const rows = await Array.fromAsync(
      store.select(["id", "text"], { text: { startsWith: "sn" } }),
    );
    const typed: { id: number; text: string }[] = rows;
    assert.deepEqual(typed, [{ id: 14, text: "snapple" }]);
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
    const [first] = await Array.fromAsync(
      store.select(["note"], {}, { orderBy: "id", limit: 1 }),
    );
    // @ts-expect-error: only the selected properties are typed
    first?.text;
    assert.deepEqual(first, { note: null });
    await assert.rejects(
      // @ts-expect-error: not a property
      Array.fromAsync(store.select(["nope"])),
      TypeError,
    );
    await assert.rejects(Array.fromAsync(store.select([])), TypeError);
    await assert.rejects(
      Array.fromAsync(store.select(["id", "id"])),
      TypeError,
    );
    await db.close();
  },
);

engineTest(
  "Store.select() decodes by kind: a datetime is a Date",
  async (engine) => {
    const db = freshDataSet(engine);
    const Word = declareWords(db);
    await db.createAll();
    await new Store(Word).create({
      text: "t",
      at: new Date("2020-02-02T00:00:00Z"),
    });
    const [row] = await Array.fromAsync(new Store(Word).select(["at"]));
    assert.ok(row?.at instanceof Date);
    assert.equal(row.at.toISOString(), "2020-02-02T00:00:00.000Z");
    await db.close();
  },
);
