import assert from "node:assert/strict";
import { csvRecords, jsonLines } from "../src/_csv.ts";
import { textSource } from "./_helpers.ts";

async function records(text: string, chunkBytes?: number) {
  const rows: string[][] = [];
  const lines: number[] = [];
  for await (
    const batch of csvRecords(textSource(text), ",", () => {}, chunkBytes)
  ) {
    rows.push(...batch.records);
    lines.push(...batch.lines);
  }
  return { rows, lines };
}

const TRICKY =
  '\uFEFFid,text\r\n1,"a ""quoted"", comma"\r\n2,"two\r\nlines"\r\n' +
  "\r\n3,Grüße 日本 🌱\r\n4,\r\n";

Deno.test("CSV records keep quotes, embedded line breaks, unicode and empty fields, and drop the BOM", async () => {
  const { rows, lines } = await records(TRICKY);
  assert.deepEqual(rows, [
    ["id", "text"],
    ["1", 'a "quoted", comma'],
    ["2", "two\r\nlines"],
    ["3", "Grüße 日本 🌱"],
    ["4", ""],
  ]);
  assert.deepEqual(lines, [1, 2, 3, 6, 7]);
});

Deno.test("CSV records are the same whatever the chunk boundaries", async () => {
  const whole = await records(TRICKY);
  for (let size = 1; size <= 24; size++) {
    assert.deepEqual(await records(TRICKY, size), whole, `chunks of ${size}`);
  }
  const lf = TRICKY.replaceAll("\r\n", "\n");
  const lfWhole = await records(lf);
  for (let size = 1; size <= 12; size++) {
    assert.deepEqual(await records(lf, size), lfWhole, `LF, chunks of ${size}`);
  }
});

Deno.test("CSV records without a final line break keep the last record", async () => {
  assert.deepEqual((await records("a,b\n1,2")).rows, [["a", "b"], ["1", "2"]]);
});

Deno.test("A CSV quoted field never closed is an error with its line", async () => {
  await assert.rejects(records('a,b\n1,2\n3,"open\n'), (error: Error) => {
    assert.match(error.message, /never closed/);
    assert.equal((error as unknown as { line: number }).line, 3);
    return true;
  });
});

Deno.test("JSON Lines are parsed line by line, skipping blank lines and CR", async () => {
  const values: unknown[] = [];
  const lines: number[] = [];
  const text = '{"a":1}\r\n\n{"a":"x\\ny"}\n{"a":3}';
  for await (
    const batch of jsonLines(textSource(text), () => {}, undefined, 3)
  ) {
    values.push(...batch.records);
    lines.push(...batch.lines);
  }
  assert.deepEqual(values, [{ a: 1 }, { a: "x\ny" }, { a: 3 }]);
  assert.deepEqual(lines, [1, 3, 4]);
});

Deno.test("Invalid UTF-8 in a data file is an error", async () => {
  const bad = {
    done: false,
    read(buffer: Uint8Array): Promise<number | null> {
      if (this.done) return Promise.resolve(null);
      this.done = true;
      buffer.set([0x61, 0x0a, 0xff, 0xfe, 0x0a]);
      return Promise.resolve(5);
    },
  };
  await assert.rejects(
    (async () => {
      for await (const _ of csvRecords(bad, ",", () => {})) { /* drain */ }
    })(),
    /not valid UTF-8/,
  );
});
