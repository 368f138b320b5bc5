/**
 * Short text read from a file: the FFI engine builds text of at most 16
 * bytes in JavaScript (ASCII, then well-formed UTF-8 of one to three bytes
 * a character) and leaves everything else to its general path; every
 * cell must read as `TextDecoder` decodes its bytes, whichever path took
 * it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { integer, Store, text } from "../mod.ts";
import { engineTest, openFile, sqliteFile } from "./_helpers.ts";

/** UTF-8 pieces: characters of each length, and bytes that are not UTF-8. */
const PIECES: readonly number[][] = [
  [0x41],
  [0x7f],
  [0x00],
  [0xc3, 0xa9], // é
  [0xc2, 0x80], // U+0080, the smallest two-byte character
  [0xdf, 0xbf], // U+07FF
  [0xe0, 0xa0, 0x80], // U+0800, the smallest three-byte character
  [0xe2, 0x82, 0xac], // €
  [0xed, 0x9f, 0xbf], // U+D7FF, just below the surrogates
  [0xee, 0x80, 0x80], // U+E000, just above them
  [0xef, 0xbf, 0xbd], // U+FFFD itself
  [0xef, 0xbb, 0xbf], // a byte order mark
  [0xf0, 0x9f, 0x98, 0x80], // 😀
  [0xc0, 0xaf], // overlong
  [0xc1, 0xbf], // overlong
  [0xe0, 0x80, 0x80], // overlong three-byte
  [0xe0, 0x9f, 0xbf], // overlong three-byte
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate
  [0xed, 0xbf, 0xbf], // a UTF-16 surrogate
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80], // a five-byte form
  [0x80], // a lone continuation byte
  [0xc3], // a cut two-byte character
  [0xe2, 0x82], // a cut three-byte character
  [0xff],
];

function hex(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Texts of up to 20 bytes from the pieces, mostly around 16 bytes. */
function samples(): number[][] {
  const piece = fc.constantFrom(...PIECES);
  const texts = fc.sample(
    fc.array(piece, { minLength: 1, maxLength: 12 }).map((pieces) =>
      pieces.flat().slice(0, 20)
    ),
    { numRuns: 400, seed: 20261129 },
  );
  // Every piece alone, and after enough ASCII to end at 15, 16 and 17 bytes.
  for (const bytes of PIECES) {
    texts.push(bytes);
    for (const end of [15, 16, 17]) {
      const pad = Math.max(0, end - bytes.length);
      texts.push([...Array(pad).fill(0x61), ...bytes]);
    }
  }
  return texts;
}

engineTest(
  "Short text with any bytes reads as TextDecoder decodes it",
  async (engine) => {
    // node:sqlite reads text up to a NUL only, and the store refuses such
    // text there (text_nul_read_test.ts): that engine reads the others.
    const texts = samples().filter((bytes) =>
      engine === "ffi" || !bytes.includes(0)
    );
    const path = await sqliteFile(
      `create table t (id integer primary key, s text not null);` +
        texts.map((bytes, i) =>
          `insert into t values (${i + 1}, cast(x'${hex(bytes)}' as text));`
        ).join(""),
    );
    const db = openFile(engine, path);
    await using _ = db;
    class T extends db.Model("t", {
      id: integer({ primaryKey: true }),
      s: text(),
    }) {}
    const store = new Store(T);
    const rows = await Array.fromAsync(store.search());
    const raw = await Array.fromAsync(db.sql`select s from t order by id`);
    // ignoreBOM keeps a leading byte order mark, as the cell holds it.
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    for (const [i, bytes] of texts.entries()) {
      const expected = decoder.decode(new Uint8Array(bytes));
      const label = hex(bytes);
      assert.equal(rows[i]!.s, expected, label);
      assert.equal(raw[i]!.s, expected, label);
      assert.equal((await store.retrieve(i + 1)).s, expected, label);
    }
  },
);
