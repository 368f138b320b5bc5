// Issue 14: fetchDataSet streams a file by content hash into a cache
// folder; nothing but the right file ever reaches the cache.
import assert from "node:assert/strict";
import { fetchDataSet } from "../fetch.ts";
import { DataSetError, SQLiteBindFactory, Store } from "../mod.ts";
import {
  declarePeople,
  engineTest,
  freshDataSet,
  listing,
  PEOPLE,
  peopleFile,
  runScriptJson,
  sha256,
  tempDir,
} from "./_helpers.ts";

const FETCH = new URL("../fetch.ts", import.meta.url).href;
const MOD = new URL("../mod.ts", import.meta.url).href;

/** A built people file: its bytes and SHA-256. */
async function published() {
  const path = await peopleFile("node");
  return { bytes: await Deno.readFile(path), sha256: await sha256(path) };
}

/** Serves `handler` on 127.0.0.1; counts requests. */
function serve(handler: (request: Request) => Response | Promise<Response>) {
  const counter = { requests: 0 };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      counter.requests++;
      return handler(request);
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { server, base, counter };
}

/** A body sent in `parts` chunks with a pause between them. */
function slowBody(bytes: Uint8Array, parts: number, pauseMs: number) {
  let sent = 0;
  const size = Math.ceil(bytes.length / parts);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= bytes.length) return controller.close();
      await new Promise((wake) => setTimeout(wake, pauseMs));
      controller.enqueue(bytes.slice(sent, sent + size));
      sent += size;
    },
  });
}

engineTest(
  "fetchDataSet caches a file by hash; the dataset opens it pinned, and a later start needs no network",
  async (engine) => {
    const { bytes, sha256: hash } = await published();
    const { server, base, counter } = serve(() => new Response(bytes));
    const cacheDir = `${await tempDir()}/cache`;
    const remote = { url: `${base}/people.sqlite`, sha256: hash };
    const pinned = await fetchDataSet(remote, { cacheDir });
    assert.deepEqual(pinned, {
      path: `${cacheDir}/${hash}.sqlite`,
      sha256: hash,
    });
    assert.deepEqual(await listing(cacheDir), [`${hash}.sqlite`]);
    assert.equal(await sha256(pinned.path), hash);
    await server.shutdown();

    const again = await fetchDataSet(remote, { cacheDir });
    assert.deepEqual(again, pinned);
    assert.equal(counter.requests, 1, "the cached copy needed no request");
    const db = freshDataSet(engine);
    const Person = declarePeople(db);
    db.bind(new SQLiteBindFactory({ strict: true }).set(db.name, again));
    assert.equal(await new Store(Person).count(), PEOPLE.length);
    await db.close();
  },
);

Deno.test("fetchDataSet offline without a cached copy is a DataSetError that says so", async () => {
  const { server, base } = serve(() => new Response("x"));
  await server.shutdown();
  const cacheDir = await tempDir();
  await assert.rejects(
    fetchDataSet({ url: `${base}/x.sqlite`, sha256: "a".repeat(64) }, {
      cacheDir,
    }),
    (error: Error) => {
      assert.ok(error instanceof DataSetError, String(error));
      assert.match(error.message, /no cached copy in .*the download failed/);
      return true;
    },
  );
  assert.deepEqual(await listing(cacheDir), []);
});

/** Asserts that fetching `body` fails with `pattern`, caching nothing. */
async function assertNotCached(
  handler: (request: Request) => Response | Promise<Response>,
  hash: string,
  pattern: RegExp,
): Promise<void> {
  const { server, base } = serve(handler);
  const cacheDir = await tempDir();
  try {
    await assert.rejects(
      fetchDataSet({ url: `${base}/people.sqlite`, sha256: hash }, {
        cacheDir,
      }),
      (error: Error) => {
        assert.ok(error instanceof DataSetError, String(error));
        assert.match(error.message, pattern);
        return true;
      },
    );
    assert.deepEqual(await listing(cacheDir), [], "nothing reached the cache");
  } finally {
    await server.shutdown();
  }
}

Deno.test("A wrong hash, an HTML page, a Git LFS pointer, a truncated download or an HTTP error never reach the cache, and the error says which", async (t) => {
  const { bytes, sha256: hash } = await published();
  await t.step("another file than the hash names", async () => {
    const other = await published(); // a build of its own: other bytes
    const changed = other.bytes.slice();
    changed[changed.length - 1] = changed.at(-1)! ^ 1;
    await assertNotCached(
      () => new Response(changed),
      hash,
      new RegExp(`SHA-256 is [0-9a-f]{64}, not the ${hash} asked for`),
    );
  });
  await t.step("an HTML error page served with 200", async () => {
    await assertNotCached(
      () =>
        new Response("<!doctype html><title>Sign in</title>", {
          headers: { "content-type": "text/html" },
        }),
      hash,
      /the server sent an HTML page/,
    );
  });
  await t.step("a Git LFS pointer", async () => {
    await assertNotCached(
      () =>
        new Response(
          `version https://git-lfs.github.com/spec/v1\noid sha256:${hash}\nsize ${bytes.length}\n`,
        ),
      hash,
      new RegExp(
        `the server sent a Git LFS pointer file \\(oid sha256:${hash}\\)`,
      ),
    );
  });
  await t.step("a file cut short (the header counts more pages)", async () => {
    await assertNotCached(
      () => new Response(bytes.slice(0, 4096)),
      hash,
      /truncated \(4096 bytes; the database header says \d+\)/,
    );
  });
  await t.step("a connection that closes before Content-Length", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const cacheDir = await tempDir();
    const serving = (async () => {
      for await (const connection of listener) {
        const reader = connection.readable.getReader();
        await reader.read(); // the request
        reader.releaseLock();
        const head = new TextEncoder().encode(
          `HTTP/1.1 200 OK\r\ncontent-length: ${bytes.length}\r\nconnection: close\r\n\r\n`,
        );
        const writer = connection.writable.getWriter();
        await writer.write(head);
        await writer.write(bytes.slice(0, 3000));
        await writer.close();
      }
    })();
    const { port } = listener.addr as Deno.NetAddr;
    await assert.rejects(
      fetchDataSet(
        { url: `http://127.0.0.1:${port}/people.sqlite`, sha256: hash },
        { cacheDir },
      ),
      (error: Error) => {
        assert.ok(error instanceof DataSetError, String(error));
        assert.match(error.message, /truncated/);
        return true;
      },
    );
    listener.close();
    await serving.catch(() => {});
    assert.deepEqual(await listing(cacheDir), []);
  });
  await t.step("an HTTP error status", async () => {
    await assertNotCached(
      () => new Response("no such key", { status: 404 }),
      hash,
      /the server answered 404/,
    );
  });
});

Deno.test("fetchDataSet sends the given headers", async () => {
  const { bytes, sha256: hash } = await published();
  let authorization: string | null = null;
  const { server, base } = serve((request) => {
    authorization = request.headers.get("authorization");
    return authorization === "Bearer t0ken"
      ? new Response(bytes)
      : new Response("denied", { status: 403 });
  });
  const cacheDir = await tempDir();
  const remote = {
    url: `${base}/p.sqlite`,
    sha256: hash,
    headers: { authorization: "Bearer t0ken" },
  };
  const pinned = await fetchDataSet(remote, { cacheDir });
  assert.equal(authorization, "Bearer t0ken");
  assert.equal(await sha256(pinned.path), hash);
  await server.shutdown();
});

Deno.test("An aborted download rejects with the signal's reason and leaves nothing in the cache", async () => {
  const { bytes, sha256: hash } = await published();
  const { server, base } = serve(() => new Response(slowBody(bytes, 20, 20)));
  const cacheDir = await tempDir();
  const controller = new AbortController();
  const reason = new Error("shutting down");
  setTimeout(() => controller.abort(reason), 60);
  await assert.rejects(
    fetchDataSet({ url: `${base}/p.sqlite`, sha256: hash }, {
      cacheDir,
      signal: controller.signal,
    }),
    (error: unknown) => error === reason,
  );
  assert.deepEqual(await listing(cacheDir), []);
  await server.shutdown();
});

Deno.test("fetchDataSet refuses a bad hash, a non-http URL and a missing cacheDir with TypeErrors", async () => {
  const cacheDir = await tempDir();
  await assert.rejects(
    fetchDataSet({ url: "http://127.0.0.1/x", sha256: "xyz" }, { cacheDir }),
    /64 hex digits/,
  );
  await assert.rejects(
    fetchDataSet({ url: "file:///x.sqlite", sha256: "a".repeat(64) }, {
      cacheDir,
    }),
    (error: Error) =>
      error instanceof TypeError &&
      /not an http: or https: URL/.test(error.message),
  );
  await assert.rejects(
    // @ts-expect-error: cacheDir is required
    fetchDataSet({ url: "http://127.0.0.1/x", sha256: "a".repeat(64) }, {}),
    /cacheDir option is required/,
  );
});

/** A script that fetches `url` into `cacheDir` and prints the path. */
function fetchScript(url: string, hash: string, cacheDir: string): string {
  return `
    import { fetchDataSet } from ${JSON.stringify(FETCH)};
    import { DataSet, SQLiteBindFactory } from ${JSON.stringify(MOD)};
    try {
      const pinned = await fetchDataSet(
        { url: ${JSON.stringify(url)}, sha256: ${JSON.stringify(hash)} },
        { cacheDir: ${JSON.stringify(cacheDir)} },
      );
      const db = DataSet.create("people", { engine: "node" });
      db.bind(new SQLiteBindFactory().set("people", pinned));
      const rows = await Array.fromAsync(db.sql\`select count(*) as n from person\`);
      await db.close();
      console.log(JSON.stringify({ path: pinned.path, rows: rows[0].n }));
    } catch (error) {
      console.log(JSON.stringify({ error: error.name, message: error.message }));
    }
  `;
}

Deno.test("Two processes fetching the same file at once both end with one correct copy", async () => {
  const { bytes, sha256: hash } = await published();
  let inFlight = 0;
  let overlapped = false;
  // Neither response starts before both requests arrived (or 30 s went
  // by), so the two downloads run at once however the processes start.
  const both = Promise.withResolvers<void>();
  const timeout = setTimeout(both.resolve, 30_000);
  const { server, base, counter } = serve(async () => {
    inFlight++;
    if (inFlight > 1) overlapped = true;
    if (counter.requests >= 2) both.resolve();
    await both.promise;
    const body = slowBody(bytes, 10, 20).pipeThrough(
      new TransformStream({ flush: () => void inFlight-- }),
    );
    return new Response(body);
  });
  const cacheDir = `${await tempDir()}/cache`;
  const flags = [
    "--no-prompt",
    `--allow-net=127.0.0.1:${server.addr.port}`,
    `--allow-read=${cacheDir}`,
    `--allow-write=${cacheDir}`,
  ];
  // The folder exists first: --allow-read of a missing folder is granted
  // all the same, but creating it is the script's first write.
  const script = fetchScript(`${base}/people.sqlite`, hash, cacheDir);
  const [a, b] = await Promise.all([
    runScriptJson(flags, script, { clearEnv: true }),
    runScriptJson(flags, script, { clearEnv: true }),
  ]);
  clearTimeout(timeout);
  await server.shutdown();
  const expected = { path: `${cacheDir}/${hash}.sqlite`, rows: PEOPLE.length };
  assert.deepEqual(a, expected);
  assert.deepEqual(b, expected);
  assert.equal(counter.requests, 2);
  assert.ok(overlapped, "the two downloads ran at the same time");
  assert.deepEqual(await listing(cacheDir), [`${hash}.sqlite`]);
  assert.equal(await sha256(`${cacheDir}/${hash}.sqlite`), hash);
});

Deno.test("Permissions: --allow-net=<host> and read/write on the cache folder are enough; less is refused", async (t) => {
  const { bytes, sha256: hash } = await published();
  const { server, base } = serve(() => new Response(bytes));
  const host = `127.0.0.1:${server.addr.port}`;
  const url = `${base}/people.sqlite`;
  const run = async (cacheDir: string, flags: string[]) =>
    await runScriptJson(
      ["--no-prompt", ...flags],
      fetchScript(url, hash, cacheDir),
      { clearEnv: true },
    );
  await t.step("exactly the net host and the cache folder", async () => {
    const cacheDir = await tempDir();
    assert.deepEqual(
      await run(cacheDir, [
        `--allow-net=${host}`,
        `--allow-read=${cacheDir}`,
        `--allow-write=${cacheDir}`,
      ]),
      { path: `${cacheDir}/${hash}.sqlite`, rows: PEOPLE.length },
    );
  });
  await t.step("no write on the cache folder", async () => {
    const cacheDir = await tempDir();
    const outcome = await run(cacheDir, [
      `--allow-net=${host}`,
      `--allow-read=${cacheDir}`,
    ]);
    assert.equal(outcome.error, "DataSetError", JSON.stringify(outcome));
    assert.deepEqual(await listing(cacheDir), []);
  });
  await t.step("no net, or another host", async () => {
    for (const net of [[], ["--allow-net=127.0.0.2"]]) {
      const cacheDir = await tempDir();
      const outcome = await run(cacheDir, [
        ...net,
        `--allow-read=${cacheDir}`,
        `--allow-write=${cacheDir}`,
      ]);
      assert.equal(outcome.error, "DataSetError", JSON.stringify(outcome));
      assert.match(outcome.message, /no cached copy .*--allow-net/);
    }
  });
  await t.step("offline with a cached copy: no net flag at all", async () => {
    const cacheDir = await tempDir();
    await fetchDataSet({ url, sha256: hash }, { cacheDir });
    assert.deepEqual(
      await run(cacheDir, [
        `--allow-read=${cacheDir}`,
        `--allow-write=${cacheDir}`,
      ]),
      { path: `${cacheDir}/${hash}.sqlite`, rows: PEOPLE.length },
    );
  });
  await server.shutdown();
});
