// The page tokens' fast paths write and read exactly what the general
// paths do (the format is shared by every process serving a file): the
// checksum's base-36 digits from a table of digit pairs, a query's shape
// hashed once for the token read and the one written, and a token of one
// number or bigint read without JSON.parse.
import assert from "node:assert/strict";
import { bigint, Store } from "../mod.ts";
import {
  base36,
  checksum,
  decodeToken,
  describeValues,
  encodeToken,
  tokenShape,
} from "../src/_page.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

/** cyrb53 as first written: hashes `${text}\0${more}`, prints toString(36). */
function reference(text: string, more?: string): string {
  const whole = more === undefined ? text : `${text}\0${more}`;
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < whole.length; i++) {
    const c = whole.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

Deno.test("base36() writes what toString(36) writes for every safe non-negative integer it is given", () => {
  const values = [0, 1, 2 ** 32, 2 ** 33 + 7, 2 ** 53 - 1, 2 ** 53 - 2];
  // Every group boundary, and one below and above it.
  for (let k = 1; k <= 10; k++) {
    for (const d of [-1, 0, 1]) values.push(36 ** k + d);
  }
  // Multiples of 36^4, where a double's quotient may be one off.
  let seed = 1;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  for (let i = 0; i < 20_000; i++) {
    const value = Math.floor(random() * 2 ** 53);
    const multiple = value - (value % 1679616);
    values.push(value, multiple, Math.max(0, multiple - 1), multiple + 1);
  }
  for (const value of values) {
    assert.equal(base36(value), value.toString(36), String(value));
  }
});

Deno.test("checksum() and a shape hashed once give the first cyrb53 checksum", () => {
  const texts = [
    "",
    "a",
    't\0ORDER BY "id"',
    "é☃\u{1F600}",
    "x".repeat(300),
  ];
  for (let i = 0; i < 500; i++) texts.push(`shape ${i * 7919}\0("id" > ?)`);
  for (const text of texts) {
    assert.equal(checksum(text), reference(text), text);
    for (const more of ["", "W1sibiIsIjI1Il1d", "é"]) {
      assert.equal(checksum(text, more), reference(text, more));
      const token = encodeToken([7, "é"], text);
      assert.equal(encodeToken([7, "é"], tokenShape(text)), token);
      assert.deepEqual(
        decodeToken(token, tokenShape(text), 2, "Cannot page"),
        [7, "é"],
      );
    }
  }
});

Deno.test("describeValues() writes one number as JSON of its tagged value, anything else as before", () => {
  const tagged = (values: unknown[]) =>
    JSON.stringify(
      values.map((value) =>
        value === null
          ? null
          : typeof value === "bigint"
          ? ["i", String(value)]
          : typeof value === "number"
          ? ["n", String(value)]
          : ["s", value]
      ),
    );
  for (
    const value of [0, -0, 7, -7.5, 2 ** 53 - 1, 1e21, 5e-324, Infinity, NaN]
  ) {
    assert.equal(describeValues([value]), tagged([value]), String(value));
  }
  for (const values of [[5n], ["5"], [null], [1, 2], ['a"b']]) {
    assert.equal(describeValues(values), tagged(values));
  }
  assert.equal(describeValues([]), "[]");
});

/** A token around `json` under `shape`, with its right checksum. */
function tokenOf(json: string, shape: string): string {
  const payload = btoa(json).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
  return `${payload}.${checksum(shape, payload)}`;
}

Deno.test("a token of one number or bigint reads as the general path reads it", () => {
  const shape = "a query's shape";
  const reads = (json: string, count = 1) =>
    decodeToken(tokenOf(json, shape), shape, count, "Cannot page");
  assert.deepEqual(reads('[["n","25"]]'), [25]);
  assert.deepEqual(reads('[["n","-1.5e-7"]]'), [-1.5e-7]);
  assert.deepEqual(reads('[["n","Infinity"]]'), [Infinity]);
  assert.deepEqual(reads('[["i","-12345678901234567890"]]'), [
    -12345678901234567890n,
  ]);
  assert.deepEqual(reads('[["s","25"]]'), ["25"]);
  assert.deepEqual(reads('[ ["n","25"] ]'), [25]);
  // Not a number's own text, or not one value: malformed, as JSON.parse
  // and the tags would find.
  for (
    const json of [
      '[["n","NaN"]]',
      '[["n","-0"]]',
      '[["n"," 1"]]',
      '[["n","1e3"]]',
      '[["n",""]]',
      '[["i","1e3"]]',
      '[["i",""]]',
      '[["n","1"],["n","2"]]',
      '[["n","1"]]]',
    ]
  ) {
    assert.throws(() => reads(json), /the page token is malformed/, json);
  }
  assert.throws(
    () => reads('[["n","1"]]', 2),
    /the page token is malformed/,
  );
});

engineTest(
  "page() walks a bigint key beyond 2^53 one row at a time",
  async (engine) => {
    const db = freshDataSet(engine);
    class Big extends db.Model("big", {
      id: bigint({ primaryKey: true }),
    }) {}
    await db.createAll();
    const store = new Store(Big);
    const ids = [2n ** 60n + 3n, -(2n ** 61n), 2n ** 62n, 5n, 2n ** 53n + 1n];
    await store.createMany(ids.map((id) => ({ id })));
    try {
      const seen: bigint[] = [];
      let after: string | undefined;
      do {
        const page = await store.page(
          {},
          after === undefined ? { limit: 1 } : { limit: 1, after },
        );
        seen.push(...page.rows.map((row) => row.id));
        after = page.next;
        assert.ok(seen.length <= ids.length, "the walk does not end");
      } while (after !== undefined);
      assert.deepEqual(seen, [...ids].sort((a, b) => a < b ? -1 : 1));
    } finally {
      await db.close();
    }
  },
);
