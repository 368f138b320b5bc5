// A page token keyed by one number is written by a fast path that must
// write what the general path (JSON of the tagged values) writes: the
// token format is shared by every process serving the same file.
import assert from "node:assert/strict";
import { checksum, decodeToken, encodeToken } from "../src/_page.ts";

const SHAPE = "a query's shape";

Deno.test("A token of one number is base64url of its tagged JSON and reads back", () => {
  for (
    const value of [
      0,
      -0,
      7,
      -7,
      123456,
      2 ** 53 - 1,
      -(2 ** 53),
      0.5,
      -1.25e-7,
      1e21,
      1.7976931348623157e308,
    ]
  ) {
    const token = encodeToken([value], SHAPE);
    const [payload, sum] = token.split(".");
    const json = JSON.stringify([["n", String(value)]]);
    const expected = btoa(json).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    assert.equal(payload, expected, String(value));
    assert.equal(sum, checksum(SHAPE, payload!), String(value));
    assert.deepEqual(decodeToken(token, SHAPE, 1, "Cannot page"), [
      Object.is(value, -0) ? 0 : value,
    ]);
  }
});
