/**
 * Cold start (issue 15): the header's magic is read byte by byte, without a
 * TextDecoder; the files it refuses and takes stay the same.
 */
import assert from "node:assert/strict";
import { DataSetError, integer, Store } from "../mod.ts";
import { engineTest, openFile, peopleFile, tempDir } from "./_helpers.ts";

engineTest(
  "a header whose magic differs in one byte, high or low, is refused; a short prefix of it is truncated",
  async (engine) => {
    const whole = await Deno.readFile(await peopleFile(engine));
    const dir = await tempDir({ prefix: "microcosm_magic_" });
    const cases: [string, Uint8Array, RegExp][] = [];
    for (const [at, byte] of [[15, 0x80], [15, 0xff], [0, 0x73], [6, 0xa0]]) {
      const bytes = whole.slice();
      bytes[at!] = byte!;
      cases.push([`byte ${at} = ${byte}`, bytes, /wrong header/]);
    }
    cases.push(["the first 10 bytes", whole.slice(0, 10), /truncated/]);
    cases.push(["the whole file", whole, /^$/]);
    for (const [i, [what, bytes, expected]] of cases.entries()) {
      const path = `${dir}/${i}.sqlite`;
      await Deno.writeFile(path, bytes);
      const db = openFile(engine, path);
      class Person extends db.Model("person", {
        id: integer({ primaryKey: true }),
      }) {}
      let message = "";
      try {
        await new Store(Person).count();
      } catch (error) {
        assert.ok(error instanceof DataSetError, `${what}: ${error}`);
        message = error.message;
      }
      assert.match(message, expected, what);
      await db.close();
    }
  },
);
