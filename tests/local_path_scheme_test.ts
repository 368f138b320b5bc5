/**
 * Cold start (issue 15): `localPath` tells a URL from a path with a
 * case-sensitive pattern spelling out both cases, where it used a
 * case-insensitive one (whose first use costs about 0.15 ms); the two
 * accept the same strings, Unicode case pairs included.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { localPath } from "../src/_rules.ts";

/** The pattern `localPath` used before, as the reference. */
const BEFORE = /^[a-z][a-z0-9+.-]+:\/\//i;

/** What `localPath` makes of `value`: a path, or the error it throws. */
function outcome(value: string): string {
  try {
    return `path ${localPath(value, "Cannot test")}`;
  } catch (error) {
    return `error ${(error as Error).message}`;
  }
}

Deno.test("localPath() reads as URLs exactly the strings the case-insensitive pattern did", () => {
  // Letters whose case pairs reach ASCII in Unicode: the Kelvin sign, the
  // long s, the dotless i and the dotted capital I.
  const char = fc.constantFrom(
    "f",
    "F",
    "i",
    "I",
    "l",
    "L",
    "e",
    "E",
    "h",
    "t",
    "p",
    "s",
    "S",
    "k",
    "K",
    "\u212A",
    "\u017F",
    "\u0131",
    "\u0130",
    ":",
    "/",
    "+",
    ".",
    "-",
    "1",
    "_",
    " ",
    "é",
  );
  fc.assert(
    fc.property(fc.array(char, { minLength: 1, maxLength: 12 }), (chars) => {
      const value = chars.join("");
      const url = BEFORE.test(value);
      const result = outcome(value);
      if (url) {
        // Read as a URL: a file: URL's path, or refused as not local.
        assert.ok(
          result.startsWith("error") || result.startsWith("path /"),
          `${value}: ${result}`,
        );
        assert.ok(!result.startsWith(`path ${value}`), `${value}: ${result}`);
      } else {
        assert.equal(result, `path ${value}`, value);
      }
    }),
    { numRuns: 2000 },
  );
  for (const value of ["FILE:///srv/a.sqlite", "File:///srv/a.sqlite"]) {
    assert.equal(outcome(value), "path /srv/a.sqlite");
  }
  assert.match(outcome("HTTPS://example.com/a"), /is not a local file/);
  assert.equal(outcome("\u212Aile:///x"), "path \u212Aile:///x");
});
