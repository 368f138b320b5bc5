// The README's reference tables stay true: the Errors table lists every
// error class with its status code, and the examples table says which
// examples the tests run.
import assert from "node:assert/strict";
import * as errors from "../src/errors.ts";

const README = await Deno.readTextFile(
  new URL("../README.md", import.meta.url),
);

/** The body of a `## title` section of the README. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.notEqual(start, -1, `no section "${title}"`);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** The cells of each row of the first Markdown table in `text`. */
function tableRows(text: string): string[][] {
  return text.split("\n")
    .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
    .slice(1)
    .map((line) => line.slice(1, -1).split("|").map((cell) => cell.trim()));
}

Deno.test("The README's Errors table lists every error class of src/errors.ts with its statusCode and parent", () => {
  const classes = Object.entries(errors).filter((
    [, value],
  ) => typeof value === "function" && value.prototype instanceof Error) as [
    string,
    typeof errors.SQLiteError,
  ][];
  const rows = new Map(
    tableRows(section("Errors")).map((cells) => [
      cells[0]!.replaceAll("`", ""),
      cells,
    ]),
  );
  assert.deepEqual(
    [...rows.keys()].sort(),
    classes.map(([name]) => name).sort(),
  );
  for (const [name, ErrorClass] of classes) {
    const [, parent, status] = rows.get(name)!;
    const error = new ErrorClass("Cannot test: a README row", {
      file: "f",
      line: 1,
    } as errors.SQLiteErrorOptions);
    assert.equal(status, String(error.statusCode), name);
    assert.equal(
      parent!.replaceAll("`", ""),
      Object.getPrototypeOf(ErrorClass.prototype).constructor.name,
      name,
    );
  }
});

Deno.test("The README's examples table lists every example, and each one it says is run is run by the test it names", async () => {
  const rows = tableRows(section("Examples"));
  const listed = rows.map((cells) => /\]\(([^)]+)\)/.exec(cells[0]!)![1]!);
  const examples: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for await (
      const entry of Deno.readDir(new URL(`../${folder}`, import.meta.url))
    ) {
      const path = `${folder}${entry.name}`;
      if (entry.isDirectory && entry.name !== "data") await walk(`${path}/`);
      if (entry.isFile && path.endsWith(".ts")) examples.push(path);
    }
  };
  await walk("examples/");
  // A module the other examples import (models.ts, report.ts) is not run on
  // its own.
  const sources = await Promise.all(
    examples.map((path) =>
      Deno.readTextFile(new URL(`../${path}`, import.meta.url))
    ),
  );
  const runnable = examples.filter((path) => {
    const name = path.slice(path.lastIndexOf("/") + 1);
    return !sources.some((source) => source.includes(`"./${name}"`));
  });
  assert.deepEqual(listed.toSorted(), runnable.toSorted());
  for (const cells of rows) {
    const file = /\]\(([^)]+)\)/.exec(cells[0]!)![1]!;
    const tested = cells[3]!;
    const test = /^run.*\(`(tests\/[\w.]+)`\)$/.exec(tested)?.[1];
    if (test === undefined) {
      assert.match(tested, /^type-checked only/, file);
      continue;
    }
    const source = await Deno.readTextFile(
      new URL(`../${test}`, import.meta.url),
    );
    const name = file.slice(file.lastIndexOf("/") + 1);
    assert.ok(source.includes(name), `${test} does not run ${file}`);
  }
});
