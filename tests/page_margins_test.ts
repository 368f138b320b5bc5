// The node page path's fast paths (issue 15): page tokens are written and
// read by a base64url codec of their own for printable ASCII, a page's
// shape is hashed from a prefix kept per filter SQL, and a one-term keyset
// takes its one arm's WHERE from that filter's plan. Each must answer what
// the general path answers: the token format is shared by every process
// serving the same file, and a walk must give the rows search() gives.
import assert from "node:assert/strict";
import fc from "fast-check";
import { integer, type Store, text } from "../mod.ts";
import {
  checksum,
  continueShape,
  decodeToken,
  describeValues,
  encodeToken,
  tokenShape,
} from "../src/_page.ts";
import type { SQLValue } from "../src/_engine.ts";
import { engineTest, oneModel, preparedDuring } from "./_helpers.ts";

const SHAPE = "a query's shape";
const ACTION = "Cannot page t";

/** base64url without padding of bytes, as the format defines it. */
function base64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** The payload the format defines: base64url of the tagged values' JSON. */
function referencePayload(values: readonly SQLValue[]): string {
  const tagged = values.map((value) =>
    value === null
      ? null
      : typeof value === "string"
      ? ["s", value]
      : typeof value === "number"
      ? ["n", String(value)]
      : typeof value === "bigint"
      ? ["i", String(value)]
      : ["b", base64url(value)]
  );
  return base64url(new TextEncoder().encode(JSON.stringify(tagged)));
}

/** A token with a valid checksum over any payload. */
function tokenOf(payload: string): string {
  return `${payload}.${checksum(SHAPE, payload)}`;
}

/** Every value as decoding reads it back (-0 as 0). */
function readBack(values: readonly SQLValue[]): SQLValue[] {
  return values.map((value) => Object.is(value, -0) ? 0 : value);
}

Deno.test("A page token of text of every length and character class is base64url of its tagged JSON and reads back", () => {
  const texts = [
    "",
    "a",
    "ab",
    "abc",
    "abcd",
    "abcde",
    "abcdef",
    " ~", // the ends of printable ASCII
    "\u007f", // DEL: JSON does not escape it, and it is no printable ASCII
    "tab\there, line\nthere, \u0000 NUL",
    'quote " and \\ backslash',
    "é",
    "aé",
    "abé",
    "日本語",
    "emoji 🦕",
    "lone \ud800 surrogate",
  ];
  const cases: SQLValue[][] = [
    ...texts.map((text) => [text]),
    ...texts.map((text) => [text, 7]),
    [null],
    [12345],
    [-0],
    [2 ** 53 + 2],
    [1e21, -1.25e-7],
    [2n ** 70n],
    [new Uint8Array([0, 255, 128, 7])],
    ["mixed", null, 3.5, -4n, new Uint8Array([1])],
  ];
  for (const values of cases) {
    const token = encodeToken(values, SHAPE);
    const [payload, sum] = token.split(".");
    assert.equal(payload, referencePayload(values), JSON.stringify(token));
    assert.equal(sum, checksum(SHAPE, payload!));
    assert.deepEqual(
      decodeToken(token, SHAPE, values.length, ACTION),
      readBack(values),
    );
  }
});

Deno.test("A page token of any strings and numbers is the format's text and reads back", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 12 }),
          fc.string({ maxLength: 12 }),
          fc.double({ noNaN: true }),
          fc.constant(null),
        ),
        { minLength: 1, maxLength: 4 },
      ),
      (values) => {
        const token = encodeToken(values, SHAPE);
        assert.equal(token.split(".")[0], referencePayload(values));
        assert.deepEqual(
          decodeToken(token, SHAPE, values.length, ACTION),
          readBack(values),
        );
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("A page token's payload drops the bits after its last byte, as base64 decoders do", () => {
  // `[["n","123"]]` is 13 bytes: 18 characters, the last holding 2 bits
  // of the last byte and 4 bits that no byte uses.
  const payload = referencePayload([123]);
  assert.equal(payload.length % 4, 2);
  const last = payload.at(-1)!;
  const alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const value = alphabet.indexOf(last);
  for (let low = 0; low < 16; low++) {
    const other = payload.slice(0, -1) + alphabet[(value & 0x30) | low];
    assert.deepEqual(decodeToken(tokenOf(other), SHAPE, 1, ACTION), [123]);
  }
});

Deno.test("A page token whose payload is no base64 of UTF-8 JSON is malformed", () => {
  const malformed = [
    "W1sibiIsIjEyIl1dA", // 4n + 1 characters: no base64 text
    base64url(new Uint8Array([0x5b, 0x22, 0xff, 0x22, 0x5d])), // not UTF-8
    base64url(new Uint8Array([0x5b, 0x22, 0xc3, 0x22, 0x5d])), // cut UTF-8
    base64url(new TextEncoder().encode('[["n","12"]')), // cut JSON
    base64url(new TextEncoder().encode('[["x","12"]]')), // unknown tag
  ];
  for (const payload of malformed) {
    assert.throws(
      () => decodeToken(tokenOf(payload), SHAPE, 1, ACTION),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message === `${ACTION}: the page token is malformed`,
      payload,
    );
  }
  // A character outside the alphabet is refused before the checksum: with
  // a right checksum or a wrong one.
  for (const payload of ["W1sibi+sIjEyIl1d", "W1sibi/sIjEyIl1d", "W1sibié"]) {
    for (const token of [tokenOf(payload), `${payload}.abc`]) {
      assert.throws(
        () => decodeToken(token, SHAPE, 1, ACTION),
        {
          name: "TypeError",
          message: `${ACTION}: the page token is malformed`,
        },
        token,
      );
    }
  }
  // Text that is UTF-8 and not ASCII reads as UTF-8.
  assert.deepEqual(
    decodeToken(tokenOf(referencePayload(["日本"])), SHAPE, 1, ACTION),
    ["日本"],
  );
});

Deno.test("A shape hashed on from a prefix is the shape of the whole text", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary" }),
      fc.string({ unit: "binary" }),
      (a, b) => {
        assert.deepEqual(continueShape(tokenShape(a), b), tokenShape(a + b));
      },
    ),
  );
});

/** Every page of a store under a filter and options, walked with tokens. */
async function walk<R>(
  store: Store<never>,
  filter: unknown,
  options: object,
): Promise<R[]> {
  const rows: R[] = [];
  let after: string | undefined;
  for (let pages = 0;; pages++) {
    assert.ok(pages <= 100, "the walk does not end");
    const page = await store.page(
      filter as never,
      (after === undefined ? options : { ...options, after }) as never,
    );
    rows.push(...page.rows as R[]);
    after = page.next;
    if (after === undefined) return rows;
  }
}

engineTest(
  "page() walks a one-term keyset up and down under many filters as search() orders it",
  async (engine, t) => {
    const { db, store } = await oneModel(engine, "t", {
      id: integer({ primaryKey: true }),
      name: text(),
      group: integer(),
    });
    try {
      await store.createMany(
        Array.from({ length: 40 }, (_, i) => ({
          id: i * 3 + 1,
          name: `n${(i * 7) % 40}`,
          group: i % 4,
        })),
      );
      // More filter SQL texts than an order keeps plans for (64), and each
      // text paged more than once: kept plans and the ones past the bound.
      const filters: unknown[] = [{}, { group: 2 }, { id: { gt: 30 } }];
      for (let n = 0; n < 70; n++) {
        filters.push({
          id: { in: Array.from({ length: n + 1 }, (_, i) => i * 3 + 1) },
        });
      }
      for (const orderBy of [undefined, "id", "-id"]) {
        await t.step(String(orderBy), async () => {
          for (const filter of [...filters, ...filters]) {
            const options = orderBy === undefined ? {} : { orderBy };
            const all = await Array.fromAsync(
              store.search(filter as never, options as never),
            );
            const paged = await walk<{ id: number }>(
              store as never,
              filter,
              { ...options, limit: 3 },
            );
            assert.deepEqual(
              paged.map((row) => row.id),
              all.map((row) => row.id),
              JSON.stringify(filter),
            );
          }
        });
      }
    } finally {
      await db.close();
    }
  },
);

engineTest(
  "page() walks a text key and a table's rowid, each a one-term keyset",
  async (engine) => {
    const { db, store } = await oneModel(engine, "words", {
      word: text({ primaryKey: true }),
      length: integer(),
    });
    const rowid = await oneModel(engine, "notes", {
      body: text(),
    });
    try {
      const words = ["b", "a", "ab", "", "é", "B", "a b", "zz", "z", "~"];
      await store.createMany(
        words.map((word) => ({ word, length: word.length })),
      );
      for (const orderBy of ["word", "-word"]) {
        const all = await Array.fromAsync(
          store.search({}, { orderBy } as never),
        );
        const paged = await walk<{ word: string }>(
          store as never,
          {},
          { orderBy, limit: 2 },
        );
        assert.deepEqual(
          paged.map((row) => row.word),
          all.map((row) => row.word),
        );
        assert.equal(paged.length, words.length);
      }
      await rowid.store.createMany(
        Array.from({ length: 9 }, (_, i) => ({ body: `note ${i}` })),
      );
      const notes = await walk<{ body: string }>(
        rowid.store as never,
        { body: { ne: "note 4" } },
        { limit: 2 },
      );
      assert.deepEqual(
        notes.map((row) => row.body),
        [0, 1, 2, 3, 5, 6, 7, 8].map((i) => `note ${i}`),
      );
    } finally {
      await db.close();
      await rowid.db.close();
    }
  },
);

/** Ids 1 to 40, with text and a bigint key beside them. */
async function ranged(engine: "ffi" | "node") {
  const made = await oneModel(engine, "t", {
    id: integer({ primaryKey: true }),
    name: text(),
  });
  await made.store.createMany(
    Array.from({ length: 40 }, (_, i) => ({ id: i + 1, name: `n${i}` })),
  );
  return made;
}

engineTest(
  "page() walks a range of its key, up and down, as search() orders it",
  async (engine, t) => {
    const { db, store } = await ranged(engine);
    try {
      const filters = [
        { id: { gt: 10 } },
        { id: { gte: 10 } },
        { id: { lt: 30 } },
        { id: { lte: 30 } },
        { id: { gt: 40 } },
        { id: { gte: 0, lt: 25 } },
        { id: { gt: 5 }, name: { ne: "n20" } },
      ];
      for (const orderBy of ["id", "-id"]) {
        for (const filter of filters) {
          await t.step(`${orderBy} ${JSON.stringify(filter)}`, async () => {
            const all = await Array.fromAsync(
              store.search(filter as never, { orderBy } as never),
            );
            for (const limit of [1, 3, 7]) {
              const paged = await walk<{ id: number }>(
                store as never,
                filter,
                { orderBy, limit },
              );
              assert.deepEqual(
                paged.map((row) => row.id),
                all.map((row) => row.id),
                `limit ${limit}`,
              );
            }
          });
        }
      }
    } finally {
      await db.close();
    }
  },
);

Deno.test("A later page of a key range runs its position alone (node engine's statements)", async () => {
  const { db, store } = await ranged("node");
  try {
    const first = await store.page({ id: { gt: 10 } }, { limit: 5 });
    const prepared = await preparedDuring(() =>
      store.page({ id: { gt: 10 } }, { limit: 5, after: first.next! })
    );
    assert.equal(prepared.length, 1);
    assert.match(
      prepared[0]!,
      / FROM "t" WHERE "id" > \? ORDER BY "id" LIMIT \?$/,
    );
    // Under a bound on the other side of the order, both terms stay.
    const down = await store.page({ id: { gt: 10 } }, {
      limit: 5,
      orderBy: "-id",
    });
    const both = await preparedDuring(() =>
      store.page({ id: { gt: 10 } }, {
        limit: 5,
        orderBy: "-id",
        after: down.next!,
      })
    );
    assert.equal(both.length, 1);
    assert.match(
      both[0]!,
      / FROM "t" WHERE \("id" < \?\) AND \("id" > \?\) ORDER BY "id" DESC LIMIT \?$/,
    );
  } finally {
    await db.close();
  }
});

engineTest(
  "page() keeps a key range's bound for a position before it",
  async (engine) => {
    const { db, store } = await ranged(engine);
    try {
      // A token with a valid checksum for { id: { gt: 10 } } whose position
      // (3) lies before the bound, as only a hand-made token can: the rows
      // after it still lie within the filter.
      const shape = tokenShape(
        `${checksum('t\0 ORDER BY "id"')}\0 WHERE ("id" > ?)\0${
          describeValues([10])
        }`,
      );
      const after = encodeToken([3], shape);
      const page = await store.page({ id: { gt: 10 } }, { limit: 4, after });
      assert.deepEqual(page.rows.map((row) => row.id), [11, 12, 13, 14]);
      // A position on the bound, and one past it, as pages write them.
      for (const [position, ids] of [[10, [11, 12]], [20, [21, 22]]] as const) {
        const next = await store.page({ id: { gt: 10 } }, {
          limit: 2,
          after: encodeToken([position], shape),
        });
        assert.deepEqual(next.rows.map((row) => row.id), ids);
      }
      const gte = tokenShape(
        `${checksum('t\0 ORDER BY "id"')}\0 WHERE ("id" >= ?)\0${
          describeValues([10])
        }`,
      );
      const before = await store.page({ id: { gte: 10 } }, {
        limit: 3,
        after: encodeToken([3], gte),
      });
      assert.deepEqual(before.rows.map((row) => row.id), [10, 11, 12]);
    } finally {
      await db.close();
    }
  },
);
