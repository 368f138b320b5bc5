// Issue 14: replicas (Deno processes) follow a server that publishes
// versions of a dataset by hash; each switches without a failed query.
import assert from "node:assert/strict";
import { buildDataSet } from "../build.ts";
import type { EngineName } from "../src/_engine.ts";
import { integer, text } from "../mod.ts";
import {
  engineTest,
  freshDataSet,
  runScriptJson,
  sha256,
  tempDir,
} from "./_helpers.ts";

const FETCH = new URL("../fetch.ts", import.meta.url).href;
const MOD = new URL("../mod.ts", import.meta.url).href;
const ROWS = 300;
const REPLICAS = 3;

/** Builds version `version` of the items file; its bytes and hash. */
async function buildVersion(engine: EngineName, version: number) {
  const path = `${await tempDir()}/items.sqlite`;
  const builder = freshDataSet(engine);
  const Item = builder.Model("item", {
    id: integer({ primaryKey: true }),
    version: integer(),
    label: text(),
  });
  await buildDataSet(builder, path, (build) =>
    build.loadRecords(
      Item,
      Array.from({ length: ROWS }, (_, i) => ({
        id: i + 1,
        version,
        label: `v${version} #${i + 1}`,
      })),
    ));
  return { bytes: await Deno.readFile(path), sha256: await sha256(path) };
}

/**
 * A replica: fetches the version the server announces, serves queries in
 * loops, polls for a new version and swaps to it, then answers a few more
 * queries and prints what it saw.
 */
function replicaScript(engine: EngineName, base: string, cacheDir: string) {
  return `
    import { fetchDataSet } from ${JSON.stringify(FETCH)};
    import { DataSet, integer, SQLiteBindFactory, Store, text } from ${
    JSON.stringify(MOD)
  };
    const base = ${JSON.stringify(base)};
    const cacheDir = ${JSON.stringify(cacheDir)};
    const Items = DataSet.create("items", { engine: ${
    JSON.stringify(engine)
  } });
    class Item extends Items.Model("item", {
      id: integer({ primaryKey: true }), version: integer(), label: text(),
    }) {}
    const latest = async () => await (await fetch(base + "/latest")).json();
    let current = await latest();
    Items.bind(new SQLiteBindFactory({ strict: true }).set(
      "items", await fetchDataSet(current, { cacheDir }),
    ));
    const store = new Store(Item);
    let failures = 0, queries = 0, mixed = 0, switched = false, after = 0;
    // Per loop, the versions its queries saw, in the order they ran: a
    // loop's queries run one after another, while those of different
    // loops overlap (one begun before the reload ends after another's
    // begun after it, reading the file it began on).
    const versions = [];
    const serve = async () => {
      const seenByLoop = [];
      versions.push(seenByLoop);
      while (after < 10) {
        try {
          const rows = await Array.fromAsync(store.search());
          const seen = new Set(rows.map((row) => row.version));
          if (seen.size !== 1 || rows.length !== ${ROWS}) mixed++;
          const version = rows[0].version;
          if (seenByLoop.at(-1) !== version) seenByLoop.push(version);
          queries++;
          if (switched) after++;
        } catch (error) {
          failures++;
          console.error(error);
        }
        await new Promise((wake) => setTimeout(wake, 0));
      }
    };
    const follow = async () => {
      await fetch(base + "/ready");
      for (;;) {
        await new Promise((wake) => setTimeout(wake, 20));
        const next = await latest();
        if (next.sha256 === current.sha256) continue;
        await Items.reload(await fetchDataSet(next, { cacheDir }));
        current = next;
        switched = true;
        return;
      }
    };
    await Promise.all([serve(), serve(), serve(), follow()]);
    const final = (await store.retrieve(1)).version;
    await Items.close();
    console.log(JSON.stringify({ failures, mixed, versions, final, queries }));
  `;
}

engineTest(
  "Replicas follow a server that publishes two versions by hash: each ends on the new one, no query fails",
  async (engine) => {
    const versions = [
      await buildVersion(engine, 1),
      await buildVersion(engine, 2),
    ];
    let current = versions[0]!;
    let ready = 0;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request): Response => {
        const path = new URL(request.url).pathname;
        if (path === "/latest") {
          return Response.json({
            url: new URL(`/files/${current.sha256}.sqlite`, request.url).href,
            sha256: current.sha256,
          });
        }
        if (path === "/ready") {
          ready++;
          return new Response("ok");
        }
        const file = versions.find((v) => path === `/files/${v.sha256}.sqlite`);
        return file === undefined
          ? new Response("not found", { status: 404 })
          : new Response(file.bytes);
      },
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const runs = [];
    for (let i = 0; i < REPLICAS; i++) {
      const cacheDir = await tempDir();
      runs.push(runScriptJson(
        [
          "--no-prompt",
          `--allow-net=127.0.0.1:${server.addr.port}`,
          `--allow-read=${cacheDir}`,
          `--allow-write=${cacheDir}`,
          ...(engine === "ffi" ? ["--allow-ffi"] : []),
        ],
        replicaScript(engine, base, cacheDir),
        { clearEnv: true },
      ));
    }
    // Publish version 2 once every replica serves version 1.
    const deadline = Date.now() + 60_000;
    while (ready < REPLICAS) {
      assert.ok(Date.now() < deadline, "the replicas never started");
      await new Promise((wake) => setTimeout(wake, 20));
    }
    await new Promise((wake) => setTimeout(wake, 100));
    current = versions[1]!;
    const outcomes = await Promise.all(runs);
    await server.shutdown();
    for (const outcome of outcomes) {
      assert.equal(outcome.failures, 0);
      assert.equal(outcome.mixed, 0);
      // Each loop moved from version 1 to version 2 once, never back.
      for (const seen of outcome.versions) {
        assert.ok(
          ["[1,2]", "[2]"].includes(JSON.stringify(seen)),
          `a loop saw versions ${JSON.stringify(seen)}`,
        );
      }
      assert.ok(outcome.versions.some((seen: number[]) => seen[0] === 1));
      assert.equal(outcome.final, 2);
    }
  },
);
