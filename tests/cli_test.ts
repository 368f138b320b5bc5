import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ProgressBar } from "../src/cli/_io.ts";
import { camelCase, pascalCase } from "../src/cli/codegen.ts";
import type { FileInfo } from "../src/cli/inspect.ts";
import {
  buildFixture,
  builtShop,
  runCli,
  runDeno,
  sha256,
  tempDir,
} from "./_helpers.ts";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const data = buildFixture;
const MODELS = data("models.ts");

Deno.test("Every command answers --help with its usage", async (t) => {
  for (const command of ["build", "inspect", "dump", "codegen", "verify"]) {
    await t.step(command, async () => {
      const { code, stdout, stderr } = await runCli(command, "--help");
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^Usage: microcosm ${command} `));
      assert.equal(stderr, "");
    });
  }
  const top = await runCli("--help");
  assert.equal(top.code, 0);
  assert.match(top.stdout, /Commands:\n {2}build/);
});

Deno.test("build writes the file from table=file pairs and reports the rows", async () => {
  const { path, result } = await builtShop();
  assert.match(
    result.stdout,
    /^Built .*shop\.sqlite in [\d.]+ s\n {2}category: 3 rows\n {2}product: 3 rows\n$/,
  );
  assert.equal(
    result.stderr,
    "",
    "no progress bar when stderr is not a terminal",
  );
  assert.ok((await Deno.stat(path)).size > 0);
});

Deno.test("build reads a JSON manifest with paths relative to it", async () => {
  const dir = await tempDir();
  const manifest = {
    models: MODELS,
    output: "out/shop.sqlite",
    tables: {
      category: data("category.csv"),
      product: { file: data("product.jsonl") },
    },
  };
  await Deno.mkdir(`${dir}/out`);
  await Deno.writeTextFile(`${dir}/build.json`, JSON.stringify(manifest));
  const { code, stdout, stderr } = await runCli(
    "build",
    "--manifest",
    `${dir}/build.json`,
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /out\/shop\.sqlite/);
  assert.match(stdout, /product: 3 rows/);
});

Deno.test("build fails on a bad value with the place on stderr, exit 1, the old file intact", async () => {
  const { dir, path } = await builtShop();
  const before = await sha256(path);
  const { code, stdout, stderr } = await runCli(
    "build",
    MODELS,
    path,
    `product=${data("product_bad_value.csv")}`,
  );
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    /^microcosm build: Cannot load .*product_bad_value\.csv into "product": line 3, column "price": expected a number, got "cheap"\n$/,
  );
  assert.equal(await sha256(path), before);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
    "shop.sqlite",
  ]);
});

Deno.test("build refuses bad usage with exit 2: unknown option, bad pair, unknown table, unknown format", async (t) => {
  const cases: [string[], RegExp][] = [
    [["build", "--bogus"], /Unknown option '--bogus'/],
    [["build", MODELS, "x.sqlite", "product"], /expected <table>=<file>/],
    [
      ["build", MODELS, "x.sqlite", "nope=a.csv"],
      /has no table "nope"; it has category, product/,
    ],
    [
      ["build", MODELS, "x.sqlite", "product=a.xlsx"],
      /cannot tell the format of a\.xlsx/,
    ],
    [
      ["build", "missing_models.ts", "x.sqlite"],
      /cannot import the models module/,
    ],
  ];
  for (const [args, message] of cases) {
    await t.step(args.slice(1).join(" "), async () => {
      const { code, stderr, stdout } = await runCli(...args);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.match(stderr, message);
      assert.match(stderr, /Run "microcosm build --help" for usage/);
    });
  }
});

Deno.test("inspect shows tables, columns, types, row counts, indexes, sizes, SHA-256 and metadata", async () => {
  const { path } = await builtShop();
  const json = await runCli("inspect", path, "--json");
  assert.equal(json.code, 0, json.stderr);
  const info = JSON.parse(json.stdout) as FileInfo;
  assert.equal(info.sha256, await sha256(path));
  assert.equal(info.bytes, (await Deno.stat(path)).size);
  assert.equal(info.pageSize * info.pageCount, info.bytes);
  assert.deepEqual(info.tables.map((t) => [t.name, t.rows]), [["category", 3], [
    "product",
    3,
  ]]);
  const product = info.tables[1]!;
  assert.deepEqual(product.columns.find((c) => c.name === "in_stock"), {
    name: "in_stock",
    type: "INTEGER",
    notNull: true,
    primaryKey: 0,
    default: "1",
  });
  assert.deepEqual(product.indexes, [{
    name: "product_category_idx",
    unique: false,
    columns: ["category"],
  }]);
  assert.deepEqual(product.foreignKeys, [{
    columns: ["category"],
    table: "category",
    to: ["code"],
  }]);
  assert.deepEqual(info.metadata?.tables, { category: 3, product: 3 });
  const text = await runCli("inspect", path);
  assert.match(text.stdout, /sha256 {3}[0-9a-f]{64}/);
  assert.match(text.stdout, /table product: 3 rows/);
  assert.match(text.stdout, /index product_category_idx \(category\)/);
  assert.match(text.stdout, /built {4}.* by @microcosm\/sqlite /);
});

Deno.test("inspect of a missing file fails on stderr with exit 1 and creates nothing", async () => {
  const dir = await tempDir();
  const { code, stderr } = await runCli("inspect", `${dir}/none.sqlite`);
  assert.equal(code, 1);
  assert.match(stderr, /file does not exist/);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
});

Deno.test("dump writes a table as CSV or JSON Lines, raw or through the models", async () => {
  const { path, dir } = await builtShop();
  const raw = await runCli("dump", path, "category");
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(
    raw.stdout,
    'code,label\r\ntools,"Tools, hand"\r\ngarden,Jardín 🌱\r\nkitchen,"Kitchen ""pro"""\r\n',
  );
  const typed = await runCli(
    "dump",
    path,
    "product",
    "--models",
    MODELS,
    "--format",
    "jsonl",
  );
  assert.match(
    typed.stdout.split("\n")[1]!,
    /^\{"id":2,"name":"Rake",.*"inStock":false/,
  );
  const columns = await runCli(
    "dump",
    path,
    "product",
    "--models",
    MODELS,
    "--headers",
    "columns",
  );
  assert.match(columns.stdout, /^id,name,category,price,in_stock,/);
  const out = await runCli(
    "dump",
    path,
    "product",
    "--output",
    `${dir}/p.jsonl`,
  );
  assert.equal(out.stdout, "");
  assert.match(
    await Deno.readTextFile(`${dir}/p.jsonl`),
    /^\{"id":1,"name":"Hammer",.*"in_stock":1/,
  );
});

Deno.test("dump writes the rows of a query", async () => {
  const { path } = await builtShop();
  const { code, stdout } = await runCli(
    "dump",
    path,
    "--query",
    "select code, length(label) as n from category order by code",
  );
  assert.equal(code, 0);
  assert.equal(stdout, "code,n\r\ngarden,8\r\nkitchen,13\r\ntools,11\r\n");
});

Deno.test("verify passes a matching file and fails with a report and exit 1 otherwise", async () => {
  const { path } = await builtShop();
  const ok = await runCli("verify", MODELS, path);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(
    ok.stdout,
    /ok: .* matches the models of dataset "fixture_shop"/,
  );
  const dir = await tempDir();
  const other = `${dir}/other.sqlite`;
  const built = await runCli("build", here("./testdata/app/models.ts"), other);
  assert.equal(built.code, 0, built.stderr);
  const bad = await runCli("verify", MODELS, other);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stdout,
    /problem: table "category" is missing\nproblem: table "product" is missing\n2 problems:/,
  );
});

Deno.test("Errors go to stderr with a non-zero exit, and no progress bar when stderr is not a terminal", async () => {
  const dir = await tempDir();
  const cli = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", here("../cli.ts"), ...args],
      stdout: "piped",
      stderr: "piped",
      cwd: here(".."),
    }).output();
  const failed = await cli(["dump", `${dir}/none.sqlite`, "t"]);
  assert.equal(failed.code, 1);
  assert.equal(new TextDecoder().decode(failed.stdout), "");
  assert.match(
    new TextDecoder().decode(failed.stderr),
    /^microcosm dump: .*file does not exist/,
  );
  const usage = await cli(["nonsense"]);
  assert.equal(usage.code, 2);
  const built = await cli([
    "build",
    MODELS,
    `${dir}/s.sqlite`,
    `category=${data("category.csv")}`,
  ]);
  assert.equal(built.code, 0);
  assert.equal(new TextDecoder().decode(built.stderr), "");
});

Deno.test("The progress bar shows rows, rows per second and the share of bytes read, only when enabled", async () => {
  let text = "";
  const writer = new WritableStream<Uint8Array>({
    write(chunk) {
      text += new TextDecoder().decode(chunk);
    },
  }).getWriter();
  let clock = 0;
  const bar = new ProgressBar(writer, true, () => clock);
  clock = 2000;
  bar.update({
    label: "product < p.csv",
    rows: 50_000,
    bytesRead: 250,
    bytesTotal: 1000,
  });
  await bar.done();
  assert.equal(
    text,
    "\r\x1b[2Kproduct < p.csv [######------------------]  25% 50,000 rows, 25,000 rows/s\n",
  );
  text = "";
  const silent = new ProgressBar(writer, false, () => clock);
  silent.update({ label: "x", rows: 1, bytesRead: 1, bytesTotal: 2 });
  await silent.done({ label: "x", rows: 2, bytesRead: 2, bytesTotal: 2 });
  assert.equal(text, "");
});

Deno.test("codegen maps any SQL spelling to camelCase properties and PascalCase classes", () => {
  assert.equal(camelCase("area_km2"), "areaKm2");
  assert.equal(camelCase("FirstName"), "firstName");
  assert.equal(camelCase("HTTPStatus"), "httpStatus");
  assert.equal(camelCase("user id"), "userId");
  assert.equal(camelCase("ID"), "id");
  assert.equal(camelCase("2fa"), "_2fa");
  assert.equal(camelCase("class"), "class_");
  assert.equal(camelCase("%"), "column");
  assert.equal(pascalCase("order_items"), "OrderItems");
  assert.equal(pascalCase("3d models"), "T3dModels");
});

Deno.test("codegen writes a module that type-checks and queries the file it came from", async () => {
  const dir = await tempDir({ prefix: "microcosm_codegen_" });
  const path = `${dir}/odd.sqlite`;
  const sql = `
    CREATE TABLE "Region Codes" ("Region ID" TEXT PRIMARY KEY, "Display-Name" TEXT NOT NULL);
    CREATE TABLE employee (
      id INTEGER PRIMARY KEY,
      "FirstName" VARCHAR(40) NOT NULL,
      manager_id INTEGER REFERENCES employee (id),
      region TEXT REFERENCES "Region Codes" ("Region ID"),
      active BOOLEAN NOT NULL,
      flag INTEGER NOT NULL CHECK ("flag" IN (0, 1)),
      salary NUMERIC,
      big INTEGER,
      photo BLOB,
      anything,
      UNIQUE ("FirstName", region)
    );
    CREATE INDEX employee_region ON employee (region, active);
    CREATE TABLE assignment (employee INTEGER NOT NULL REFERENCES employee, project TEXT NOT NULL, hours REAL, PRIMARY KEY (employee, project)) WITHOUT ROWID;
    INSERT INTO "Region Codes" VALUES ('EU', 'Europe'), ('AS', 'Asia');
    INSERT INTO employee VALUES (1, 'Ada', NULL, 'EU', 1, 0, 1000.5, 9007199254740993, x'0102', 'x');
    INSERT INTO employee VALUES (2, 'Grace', 1, 'AS', 0, 1, 1200, 1, NULL, NULL);
    INSERT INTO assignment VALUES (1, 'engine', 12.5), (2, 'compiler', 40), (2, 'engine', 1);`;
  const shell = new Deno.Command("sqlite3", { args: [path], stdin: "piped" })
    .spawn();
  const stdin = shell.stdin.getWriter();
  await stdin.write(new TextEncoder().encode(sql));
  await stdin.close();
  assert.equal((await shell.status).code, 0);

  const generated = await runCli(
    "codegen",
    path,
    "--output",
    `${dir}/models.ts`,
  );
  assert.equal(generated.code, 0, generated.stderr);
  const code = await Deno.readTextFile(`${dir}/models.ts`);
  assert.match(code, /export const Odd = DataSet\.create\("odd"\);/);
  assert.match(
    code,
    /export class RegionCodes extends Odd\.Model\("Region Codes", \{\n {2}regionId: text\(\{ name: "Region ID", primaryKey: true \}\),\n {2}displayName: text\(\{ name: "Display-Name" \}\),/,
  );
  assert.match(
    code,
    /managerId: integer\(\{\s*name: "manager_id",\s*nullable: true,\s*references: \(\): AnyColumn => Employee\.columns\.id,?\s*\}\)/,
  );
  assert.match(code, /active: boolean\(\)/);
  assert.match(code, /flag: boolean\(\)/);
  assert.match(code, /big: bigint\(\{ nullable: true \}\)/);
  assert.match(
    code,
    /employee: integer\(\{\s*primaryKey: true,\s*references: \(\) => Employee\.columns\.id,?\s*\}\)/,
  );
  assert.match(code, /project: text\(\{ primaryKey: true \}\)/);
  assert.match(code, /unique: \[\["firstName", "region"\]\]/);
  assert.match(code, /indexes: \[\["region", "active"\]\]/);

  await Deno.writeTextFile(
    `${dir}/deno.json`,
    JSON.stringify({
      imports: {
        "@microcosm/sqlite": new URL("../mod.ts", import.meta.url).href,
      },
    }),
  );
  await Deno.writeTextFile(
    `${dir}/main.ts`,
    `import { SQLiteBindFactory, Store } from "@microcosm/sqlite";
import { Assignment, Employee, Odd, RegionCodes } from "./models.ts";

Odd.bind(new SQLiteBindFactory({ paths: { odd: ${JSON.stringify(path)} } }));
const grace = await new Store(Employee).retrieve(2);
const hours = await new Store(Assignment).retrieve({ employee: 2, project: "compiler" });
const regions = await Array.fromAsync(new Store(RegionCodes).search());
const ada: { firstName: string; big: bigint | null; photo: Uint8Array | null } = await new Store(Employee).retrieve(1);
console.log(JSON.stringify({
  grace: [grace.firstName, grace.managerId, grace.active, grace.flag, grace.salary],
  ada: [ada.firstName, String(ada.big), Array.from(ada.photo ?? [])],
  hours: hours.hours,
  regions: regions.map((r) => r.displayName),
  assignments: await new Store(Assignment).count(),
}));
await Odd.close();
`,
  );
  const inDir = { cwd: dir, ok: true };
  await runDeno(["check", "models.ts", "main.ts"], inDir);
  await runDeno(["fmt", "--check", "models.ts"], inDir);
  const ran = await runDeno(["run", `--allow-read=${dir}`, "main.ts"], inDir);
  assert.deepEqual(JSON.parse(ran.stdout), {
    grace: ["Grace", 1, false, true, 1200],
    ada: ["Ada", "9007199254740993", [1, 2]],
    hours: 40,
    regions: ["Asia", "Europe"],
    assignments: 3,
  });
});
