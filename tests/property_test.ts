/**
 * Property-based test: random rows and random filter, order, limit and
 * offset combinations give what a plain JavaScript oracle over the same rows
 * gives, on both engines.
 *
 * The oracle follows the documented semantics (`src/filter.ts`): `ne` and
 * `notIn` match rows holding `null`; comparisons and `like` never match
 * `null`; `null` sorts first ascending (as in SQLite); text compares by its
 * UTF-8 bytes (SQLite's BINARY collation), which is code point order and
 * differs from JavaScript's `<` on UTF-16 units; `like` is case-insensitive
 * for ASCII letters only, `%` matches any run of characters and `_` one.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { integer, real, Store, text } from "../mod.ts";
import { engineTest, freshDataSet } from "./_helpers.ts";

type Value = string | number | null;
interface Item {
  id: number;
  name: string | null;
  n: number | null;
  r: number | null;
}
type Key = "id" | "name" | "n" | "r";
type Condition = Value | Record<string, Value | Value[]>;
interface Query {
  filter: Partial<Record<Key, Condition>>;
  orderBy: string[] | undefined;
  limit: number | undefined;
  offset: number | undefined;
}

/** Characters chosen where SQLite and JavaScript could disagree. */
const CHARS = [
  "a",
  "b",
  "A",
  "B",
  "z",
  "é",
  "É",
  "ß",
  "%",
  "_",
  "'",
  " ",
  "\uE000", // above the surrogates in UTF-16, below astral code points
  "\uFFFD",
  "😀", // astral: a surrogate pair in UTF-16
  "𝔸",
];

// Short values from small sets, so rows, filters and orders often collide.
const textValue = fc.array(
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom("a", "A", "é", "É") },
    { weight: 3, arbitrary: fc.constantFrom(...CHARS) },
  ),
  { maxLength: 3 },
).map((chars) => chars.join(""));
const intValue = fc.integer({ min: -3, max: 3 });
const realValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(-2, -1, -0.5, 0, 0.25, 1, 2.5) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity) },
  {
    weight: 1,
    arbitrary: fc.double({ noNaN: true, min: -4, max: 4 }).map((x) =>
      x === 0 ? 0 : x
    ),
  },
);
const likePattern = fc.array(
  fc.constantFrom("a", "A", "é", "É", "😀", "%", "%", "_", "_"),
  { maxLength: 3 },
).map((chars) => chars.join(""));

function nullable<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.option(arb, { nil: null, freq: 4 });
}

/** A value, `null`, or an operators object with one or two operators. */
function condition(
  value: fc.Arbitrary<Value>,
  like?: fc.Arbitrary<string>,
): fc.Arbitrary<Condition> {
  const list = fc.array(nullable(value), { maxLength: 4 });
  const one = fc.oneof(
    ...(["eq", "ne"] as const).map((op) =>
      nullable(value).map((v) => ({ [op]: v }))
    ),
    ...(["lt", "lte", "gt", "gte"] as const).map((op) =>
      value.map((v) => ({ [op]: v }))
    ),
    ...(["in", "notIn"] as const).map((op) => list.map((v) => ({ [op]: v }))),
  );
  const operator = like === undefined ? one : fc.oneof(
    { weight: 1, arbitrary: one },
    { weight: 1, arbitrary: like.map((v) => ({ like: v })) },
  );
  const operators = fc.oneof(
    { weight: 3, arbitrary: operator },
    {
      weight: 1,
      arbitrary: fc.tuple(operator, operator).map(([a, b]) => ({ ...a, ...b })),
    },
  );
  return fc.oneof(
    { weight: 2, arbitrary: value },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 5, arbitrary: operators },
  );
}

const rowArb = fc.record({
  name: nullable(textValue),
  n: nullable(intValue),
  r: nullable(realValue),
});

const CONDITIONS = {
  id: condition(fc.integer({ min: 0, max: 16 })),
  name: condition(textValue, likePattern),
  n: condition(intValue),
  r: condition(realValue),
};

/** Filters on none, one or two columns. */
const filterArb = fc.shuffledSubarray(["id", "name", "n", "r"] as Key[], {
  maxLength: 2,
}).chain((keys) =>
  fc.tuple(...keys.map((key) => CONDITIONS[key])).map((conditions) =>
    Object.fromEntries(keys.map((key, i) => [key, conditions[i]]))
  )
);

const queryArb: fc.Arbitrary<Query> = fc.record({
  filter: filterArb,
  orderBy: fc.option(
    fc.shuffledSubarray(["id", "name", "n", "r"], { minLength: 1 }).chain((
      keys,
    ) =>
      fc.tuple(
        ...keys.map((key) =>
          fc.boolean().map((descending) => descending ? `-${key}` : key)
        ),
      )
    ),
    { nil: undefined, freq: 4 },
  ),
  limit: fc.option(fc.nat(10), { nil: undefined, freq: 2 }),
  offset: fc.option(fc.nat(4), { nil: undefined, freq: 2 }),
});

/** Compares text as SQLite's BINARY collation does: by code point. */
function compareText(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === "string" && typeof b === "string") {
    return compareText(a, b);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SQLite's LIKE without ESCAPE: ASCII-only case folding, by code point. */
function like(value: string, pattern: string): boolean {
  const fold = (c: string) => /^[A-Z]$/.test(c) ? c.toLowerCase() : c;
  const v = Array.from(value, fold);
  const p = Array.from(pattern, fold);
  // match[i][j]: the first i pattern characters match the first j values.
  let previous = Array.from({ length: v.length + 1 }, (_, j) => j === 0);
  for (const c of p) {
    const next = Array.from({ length: v.length + 1 }, () => false);
    for (let j = 0; j <= v.length; j++) {
      if (c === "%") {
        next[j] = previous[j]! || (j > 0 && next[j - 1]!);
      } else if (j > 0) {
        next[j] = previous[j - 1]! && (c === "_" || c === v[j - 1]);
      }
    }
    previous = next;
  }
  return previous[v.length]!;
}

function matches(value: Value, condition: Condition): boolean {
  if (condition === null) return value === null;
  if (typeof condition !== "object") {
    return value !== null && compare(value, condition) === 0;
  }
  return Object.entries(condition).every(([operator, operand]) => {
    switch (operator) {
      case "eq":
        return matches(value, operand as Value);
      case "ne":
        return operand === null
          ? value !== null
          : value === null || compare(value, operand as string | number) !== 0;
      case "lt":
      case "lte":
      case "gt":
      case "gte": {
        if (value === null) return false;
        const sign = compare(value, operand as string | number);
        return operator === "lt"
          ? sign < 0
          : operator === "lte"
          ? sign <= 0
          : operator === "gt"
          ? sign > 0
          : sign >= 0;
      }
      case "in": {
        const list = operand as Value[];
        return value === null
          ? list.includes(null)
          : list.some((item) => item !== null && compare(value, item) === 0);
      }
      case "notIn": {
        const list = operand as Value[];
        if (value === null) return !list.includes(null);
        return !list.some((item) =>
          item !== null && compare(value, item) === 0
        );
      }
      case "like":
        return typeof value === "string" && like(value, operand as string);
      default:
        throw new Error(`oracle: unknown operator ${operator}`);
    }
  });
}

function oracle(rows: readonly Item[], query: Query): Item[] {
  const found = rows.filter((row) =>
    Object.entries(query.filter).every(([key, condition]) =>
      matches(row[key as Key], condition as Condition)
    )
  );
  const order = (query.orderBy ?? []).map((entry) => ({
    key: entry.replace(/^-/, "") as Key,
    descending: entry.startsWith("-"),
  }));
  if (!order.some(({ key }) => key === "id")) {
    order.push({ key: "id", descending: false });
  }
  found.sort((a, b) => {
    for (const { key, descending } of order) {
      const x = a[key];
      const y = b[key];
      // SQLite: NULL is smaller than every value.
      const sign = x === null
        ? (y === null ? 0 : -1)
        : y === null
        ? 1
        : compare(x, y);
      if (sign !== 0) return descending ? -sign : sign;
    }
    return 0;
  });
  const offset = query.offset ?? 0;
  return found.slice(
    offset,
    query.limit === undefined ? undefined : offset + query.limit,
  );
}

engineTest(
  "Store results equal a JavaScript oracle for random rows, filters, orders and pages",
  async (engine) => {
    const db = freshDataSet(engine);
    await using _ = db;
    class Thing extends db.Model("thing", {
      id: integer({ primaryKey: true }),
      name: text({ nullable: true }),
      n: integer({ nullable: true }),
      r: real({ nullable: true }),
    }) {}
    await db.createAll();
    const store = new Store(Thing);
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { maxLength: 14 }),
        fc.array(queryArb, { minLength: 1, maxLength: 4 }),
        async (values, queries) => {
          for await (const _ of db.sql`delete from thing`);
          await store.createMany(
            values.map((value, i) => ({ id: i + 1, ...value })),
          );
          const rows: Item[] = values.map((value, i) => ({
            id: i + 1,
            ...value,
          }));
          for (const query of queries) {
            const options = {
              ...(query.orderBy === undefined
                ? {}
                : { orderBy: query.orderBy as never }),
              ...(query.limit === undefined ? {} : { limit: query.limit }),
              ...(query.offset === undefined ? {} : { offset: query.offset }),
            };
            const expected = oracle(rows, query);
            const actual = await Array.fromAsync(
              store.search(query.filter as never, options),
            );
            assert.deepEqual(actual.map((row) => ({ ...row })), expected);
            const all = oracle(rows, { ...query, limit: undefined, offset: 0 });
            assert.equal(await store.count(query.filter as never), all.length);
            assert.equal(
              await store.exists(query.filter as never),
              all.length > 0,
            );
            // first() sets its own limit and refuses one (issue 11).
            const { limit: _limit, ...firstOptions } = options;
            assert.deepEqual(
              { ...await store.first(query.filter as never, firstOptions) },
              { ...oracle(rows, { ...query, limit: 1 })[0] },
            );
          }
        },
      ),
      { numRuns: 250 },
    );
  },
);
