// The kinds table's query-string readers (Kind.fromQuery), used by the
// HTTP handler's filters.
import assert from "node:assert/strict";
import {
  any,
  bigint,
  blob,
  boolean,
  datetime,
  integer,
  json,
  real,
  text,
} from "../mod.ts";
import { BadValue, kindOf } from "../src/_kinds.ts";

const cases: [string, ReturnType<typeof integer>, string, unknown][] = [
  ["integer", integer(), "42", 42],
  ["real", real(), "1.5", 1.5],
  ["text", text(), "  FR ", "  FR "],
  ["boolean", boolean(), "yes", true],
  ["boolean", boolean(), "0", false],
  ["bigint", bigint(), "1152921504606846977", 2n ** 60n + 1n],
  ["bigint", bigint(), "7", 7n],
  ["blob", blob(), "AQID", new Uint8Array([1, 2, 3])],
  ["json", json(), '{"a":[1]}', { a: [1] }],
  ["datetime", datetime(), "2024-01-02", new Date("2024-01-02T00:00:00Z")],
  [
    "datetime seconds",
    datetime({ storage: "seconds" }),
    "2024-01-02T03:04:05Z",
    new Date("2024-01-02T03:04:05Z"),
  ],
  ["any number", any(), "12", 12],
  ["any big", any(), "1152921504606846977", 2n ** 60n + 1n],
  ["any text", any(), "FR", "FR"],
] as never;

Deno.test("Kind.fromQuery reads a query-string value as the value a filter takes", () => {
  for (const [name, column, input, expected] of cases) {
    assert.deepEqual(kindOf(column).fromQuery(input), expected, name);
  }
});

Deno.test("Kind.fromQuery refuses text its kind cannot read with BadValue", () => {
  const refused: [ReturnType<typeof integer>, string][] = [
    [integer(), "1.5"],
    [integer(), "9007199254740993"],
    [real(), "abc"],
    [boolean(), "maybe"],
    [bigint(), "1e3"],
    [blob(), "***"],
    [json(), "{"],
    [datetime(), "yesterday"],
  ] as never;
  for (const [column, input] of refused) {
    assert.throws(() => kindOf(column).fromQuery(input), BadValue, input);
  }
});
