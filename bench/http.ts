/**
 * Load benchmark of the HTTP handler (issue 13): the library's handler
 * (`createHandler` under `Deno.serve`, on the FFI engine and on
 * `node:sqlite`) against a hand-written `Deno.serve` endpoint over raw
 * `node:sqlite` that does the same work (the same JSON rows for the same
 * parameters, an ETag from the file's SHA-256, `If-None-Match` → 304).
 * Each server runs in its own process on 127.0.0.1; this process is the
 * load generator: 64 concurrent clients share a fixed number of requests
 * of three kinds (a row by key, a filtered page of 20, the next page), and
 * the servers take turns, round after round.
 *
 * Reports requests/s, p50/p99 latency, errors and the server's peak RSS
 * per server (min and median over rounds), the time per request relative
 * to the baseline; then each handler's own time per request kind, called
 * in this process without the network (interleaved, the steadier
 * comparison on a shared machine); then the small requests' p99 while one
 * more client streams the whole 1M-row table as JSON Lines from the
 * library's server, against their p99 without it.
 *
 * ```sh
 * deno run -A bench/http.ts [--rounds 5] [--requests 6000] [--clients 64]
 * ```
 *
 * The 1M-row places file is built once into `bench/.data/` (about a
 * minute) and reused.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { DataSet, type DataSetOptions, SQLiteBindFactory } from "../mod.ts";
import { createHandler } from "../http.ts";
import { ensurePlacesFile, PLACE_COUNT, placeColumns } from "./_places.ts";
import { ratio, type Stats, stats } from "./_rounds.ts";

const FILE = "places-http-v1.sqlite";
const COUNTRIES = ["FR", "DE", "US", "BR", "IN", "JP", "NG", "MX"];
const declare = (db: DataSet) =>
  db.Model("place", placeColumns({ index: true }));

// ---------------------------------------------------------------------------
// The servers (run as `--serve <kind>` in a child process).
// ---------------------------------------------------------------------------

/** The library's handler, on one engine. */
function libraryHandler(
  path: string,
  engine: "ffi" | "node",
  name = "places",
): (request: Request) => Promise<Response> {
  const options: DataSetOptions = { engine };
  const db = DataSet.create(name, options);
  declare(db);
  db.bind(new SQLiteBindFactory({ paths: { [name]: path } }));
  return createHandler(db);
}

/** The hand-written endpoint: the same routes and JSON, raw node:sqlite. */
function baselineHandler(path: string): (request: Request) => Response {
  const db = new DatabaseSync(path, { readOnly: true });
  const columns =
    "id, name, altNames, country, population, lat, lon, featureClass";
  const fields = columns.split(", ");
  const byKey = db.prepare(`SELECT ${columns} FROM place WHERE id = ?`);
  const first = db.prepare(
    `SELECT ${columns} FROM place WHERE country = ? ORDER BY id LIMIT ?`,
  );
  const after = db.prepare(
    `SELECT ${columns} FROM place WHERE country = ? AND id > ? ORDER BY id LIMIT ?`,
  );
  // The file's SHA-256, streamed (as the library computes it).
  const digest = createHash("sha256");
  const file = Deno.openSync(path);
  const chunk = new Uint8Array(1 << 16);
  for (let n = file.readSync(chunk); n !== null; n = file.readSync(chunk)) {
    digest.update(chunk.subarray(0, n));
  }
  file.close();
  const etag = `"${digest.digest("hex")}"`;
  const headers = (type = "application/json; charset=utf-8") => ({
    "content-type": type,
    etag,
    "cache-control": "no-cache",
    vary: "Accept",
  });
  const fail = (status: number, message: string) =>
    Response.json({ error: { status, message } }, { status });
  return (request) => {
    const url = new URL(request.url);
    if (request.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers: headers() });
    }
    const parts = url.pathname.split("/");
    if (parts[1] !== "places" || parts[2] !== "place") {
      return fail(404, "not found");
    }
    if (parts[3] !== undefined) {
      const id = Number(parts[3]);
      if (!Number.isSafeInteger(id)) return fail(404, "no such row");
      const row = byKey.get(id);
      if (row === undefined) return fail(404, "no such row");
      return new Response(
        JSON.stringify({ dataset: "places", table: "place", row }),
        { headers: headers() },
      );
    }
    const country = url.searchParams.get("country");
    const size = Number(url.searchParams.get("_size") ?? 100);
    if (country === null || !(size >= 1 && size <= 1000)) {
      return fail(400, "Invalid country or _size");
    }
    const token = url.searchParams.get("_next");
    const last = token === null ? undefined : Number(atob(token));
    const rows = last === undefined
      ? first.all(country, size + 1)
      : after.all(country, last, size + 1);
    let next: string | null = null;
    if (rows.length > size) {
      rows.pop();
      next = btoa(String(rows.at(-1)!.id));
    }
    let nextUrl: string | null = null;
    if (next !== null) {
      url.searchParams.set("_next", next);
      nextUrl = url.pathname + url.search;
    }
    return new Response(
      JSON.stringify({
        dataset: "places",
        table: "place",
        fields,
        rows,
        next,
        nextUrl,
      }),
      { headers: headers() },
    );
  };
}

function announce(address: Deno.NetAddr): void {
  console.log(`listening http://127.0.0.1:${address.port}/ pid ${Deno.pid}`);
}

// ---------------------------------------------------------------------------
// The load generator.
// ---------------------------------------------------------------------------

interface Server {
  name: string;
  origin: string;
  pid: number;
  child: Deno.ChildProcess;
}

async function start(
  name: string,
  kind: string,
  path: string,
): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--serve",
      kind,
      "--file",
      path,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let match: RegExpExecArray | null = null;
  while (match === null) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} did not start: ${text}`);
    text += value;
    match = /listening (http:\/\/127\.0\.0\.1:\d+)\/ pid (\d+)/.exec(text);
  }
  reader.releaseLock();
  void child.stdout.cancel().catch(() => {});
  return { name, origin: match[1]!, pid: Number(match[2]), child };
}

/** The CPU time a process has used, user and system, in ms (Linux). */
function cpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime, fields 14 and 15, in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** The server process's peak resident memory, in MiB (Linux). */
function peakRssMiB(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** The request paths of one run: keys, first pages and next pages. */
function workload(
  count: number,
  nextPages: ReadonlyMap<string, string>,
): string[] {
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const country = COUNTRIES[Math.floor(random() * COUNTRIES.length)]!;
    switch (i % 3) {
      case 0:
        paths.push(`/places/place/${1 + Math.floor(random() * PLACE_COUNT)}`);
        break;
      case 1:
        paths.push(`/places/place?country=${country}&_size=20`);
        break;
      default:
        paths.push(nextPages.get(country)!);
    }
  }
  return paths;
}

interface RunResult {
  perSecond: number;
  /** The server process's CPU time per request, in µs (Linux). */
  cpuMicros: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  origin: string,
  paths: readonly string[],
  clients: number,
): Promise<RunResult> {
  const latencies: number[] = [];
  let errors = 0;
  let at = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (at < paths.length) {
        const path = paths[at++]!;
        const t0 = performance.now();
        try {
          const response = await fetch(origin + path);
          await response.arrayBuffer();
          if (response.status !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: paths.length / seconds,
    cpuMicros: NaN,
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
    errors,
  };
}

/** Rows of a JSON response, for checking that the servers agree. */
async function rowsOf(origin: string, path: string): Promise<string> {
  const body = await (await fetch(origin + path)).json();
  return JSON.stringify(body.row ?? body.rows);
}

async function bench(): Promise<void> {
  const args = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "5" },
      requests: { type: "string", default: "6000" },
      clients: { type: "string", default: "64" },
      "export-only": { type: "boolean", default: false },
    },
  }).values;
  const rounds = Number(args.rounds);
  const requests = Number(args.requests);
  const clients = Number(args.clients);
  const path = await ensurePlacesFile(FILE, declare);
  const servers = [
    await start("library (ffi)", "ffi", path),
    await start("library (node)", "node", path),
    await start("raw node:sqlite", "baseline", path),
  ];
  try {
    // The same rows for the same parameters, and the next pages' paths.
    const nexts = new Map<string, Map<string, string>>();
    for (const server of servers) {
      const pages = new Map<string, string>();
      for (const country of COUNTRIES) {
        const body = await (await fetch(
          `${server.origin}/places/place?country=${country}&_size=20`,
        )).json();
        pages.set(country, body.nextUrl);
      }
      nexts.set(server.name, pages);
    }
    for (
      const probe of [
        "/places/place/12345",
        "/places/place?country=FR&_size=20",
      ]
    ) {
      const seen = await Promise.all(
        servers.map((s) => rowsOf(s.origin, probe)),
      );
      if (new Set(seen).size !== 1) {
        throw new Error(`servers disagree on ${probe}`);
      }
    }
    for (const server of servers) {
      const next = nexts.get(server.name)!.get("FR")!;
      const reference = nexts.get(servers[2]!.name)!.get("FR")!;
      const [a, b] = [
        await rowsOf(server.origin, next),
        await rowsOf(servers[2]!.origin, reference),
      ];
      if (a !== b) throw new Error(`${server.name} disagrees on the next page`);
    }
    const results = new Map(servers.map((s) => [s.name, [] as RunResult[]]));
    // A warm-up round, then the timed ones, the servers in turn.
    for (let round = -1; round < (args["export-only"] ? -1 : rounds); round++) {
      for (let k = 0; k < servers.length; k++) {
        const server = servers[(k + round + 1) % servers.length]!;
        const paths = workload(requests, nexts.get(server.name)!);
        const cpu = cpuMs(server.pid);
        const result = await load(server.origin, paths, clients);
        result.cpuMicros = (cpuMs(server.pid) - cpu) / requests * 1000;
        if (round >= 0) results.get(server.name)!.push(result);
      }
    }
    if (!args["export-only"]) {
      const baseline = results.get("raw node:sqlite")!;
      const baseRate = stats(baseline.map((r) => 1 / r.perSecond));
      console.log(
        `\n${requests} requests per round (key, page, next page in turn), ${clients} clients, ${rounds} rounds; min / median over rounds\n`,
      );
      console.log(
        "| server | requests/s | p50 ms | p99 ms | errors | peak RSS MiB | time per request vs raw | server CPU µs per request (vs raw) |",
      );
      console.log("|---|---|---|---|---|---|---|---|");
      const baseCpu = stats(baseline.map((r) => r.cpuMicros));
      for (const server of servers) {
        const list = results.get(server.name)!;
        const rate = stats(list.map((r) => r.perSecond).map((x) => -x));
        const p50 = stats(list.map((r) => r.p50));
        const p99 = stats(list.map((r) => r.p99));
        const errors = list.reduce((sum, r) => sum + r.errors, 0);
        const perRequest: Stats = stats(list.map((r) => 1 / r.perSecond));
        console.log(
          `| ${server.name} | ${(-rate.min).toFixed(0)} / ${
            (-rate.median).toFixed(0)
          } | ${p50.min.toFixed(2)} / ${p50.median.toFixed(2)} | ${
            p99.min.toFixed(2)
          } / ${p99.median.toFixed(2)} | ${errors} | ${
            peakRssMiB(server.pid).toFixed(0)
          } | ${ratio(perRequest, baseRate)} | ${
            stats(list.map((r) => r.cpuMicros)).min.toFixed(0)
          } / ${stats(list.map((r) => r.cpuMicros)).median.toFixed(0)} (${
            ratio(stats(list.map((r) => r.cpuMicros)), baseCpu)
          }) |`,
        );
      }
    }
    if (!args["export-only"]) {
      // The servers' own work, without the network or the load generator:
      // each handler called in this process, interleaved, per request kind.
      const inProcess = [
        ["library (ffi)", libraryHandler(path, "ffi", "places_ffi")],
        ["library (node)", libraryHandler(path, "node", "places_node")],
        ["raw node:sqlite", baselineHandler(path)],
      ] as const;
      // Dataset names are unique in a process: each engine's requests go
      // to its own dataset's path.
      const segment = (name: string, at: string) =>
        name.startsWith("library")
          ? at.replace("/places/", `/places_${name.slice(9, -1)}/`)
          : at;
      const firstPages = new Map<string, string>();
      for (const [name, handler] of inProcess) {
        const body = await (await handler(
          new Request(
            `http://x${segment(name, "/places/place?country=FR&_size=20")}`,
          ),
        )).json();
        firstPages.set(name, body.nextUrl);
      }
      const kinds = [
        ["by key", () => "/places/place/12345"],
        ["filtered page", () => "/places/place?country=FR&_size=20"],
        ["next page", (name: string) => firstPages.get(name)!],
      ] as const;
      const calls = 2000;
      const micros = new Map<string, number[]>();
      for (let round = -1; round < rounds; round++) {
        for (const [kind, pathOf] of kinds) {
          for (const [name, handler] of inProcess) {
            const url = `http://x${segment(name, pathOf(name))}`;
            const t0 = performance.now();
            for (let i = 0; i < calls; i++) {
              await (await handler(new Request(url))).arrayBuffer();
            }
            const us = (performance.now() - t0) / calls * 1000;
            const key = `${kind}\0${name}`;
            if (round >= 0) micros.set(key, [...(micros.get(key) ?? []), us]);
          }
        }
      }
      console.log(
        `\nIn one process, no network: µs per request (min / median of ${rounds} rounds of ${calls} calls), and the ratio to raw node:sqlite\n`,
      );
      console.log(
        "| request | library (ffi) | library (node) | raw node:sqlite |",
      );
      console.log("|---|---|---|---|");
      for (const [kind] of kinds) {
        const raw = stats(micros.get(`${kind}\0raw node:sqlite`)!);
        const cells = inProcess.map(([name]) => {
          const own = stats(micros.get(`${kind}\0${name}`)!);
          return `${own.min.toFixed(1)} / ${own.median.toFixed(1)}${
            name === "raw node:sqlite" ? "" : ` (${ratio(own, raw)})`
          }`;
        });
        console.log(`| ${kind} | ${cells.join(" | ")} |`);
      }
    }
    // Small requests while one client streams the whole table.
    const library = servers[0]!;
    const paths = workload(requests, nexts.get(library.name)!);
    const quiet: number[] = [];
    const busy: number[] = [];
    let exported = 0;
    const exportMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      quiet.push((await load(library.origin, paths, clients)).p99);
      const controller = new AbortController();
      const stream = (async () => {
        const t0 = performance.now();
        const response = await fetch(
          `${library.origin}/places/place?_format=jsonl`,
          { signal: controller.signal },
        );
        let lines = 0;
        try {
          for await (const chunk of response.body!) {
            for (const byte of chunk) if (byte === 10) lines++;
          }
        } catch {
          // Aborted after the small requests.
        }
        if (lines === PLACE_COUNT) exportMs.push(performance.now() - t0);
        return lines;
      })();
      // Let the export start before the small requests.
      await new Promise((resolve) => setTimeout(resolve, 200));
      busy.push((await load(library.origin, paths, clients)).p99);
      const lines = await Promise.race([
        stream,
        new Promise<number>((resolve) => setTimeout(() => resolve(-1), 60_000)),
      ]);
      controller.abort();
      exported = Math.max(exported, lines);
    }
    const q = stats(quiet);
    const b = stats(busy);
    console.log(
      `\nSmall requests' p99 on ${library.name} while one client streams ${PLACE_COUNT} rows as JSON Lines: ${
        b.min.toFixed(2)
      } / ${b.median.toFixed(2)} ms against ${q.min.toFixed(2)} / ${
        q.median.toFixed(2)
      } ms without it: ${ratio(b, q)} (target ≤ 3×); the export delivered ${
        exported === -1 ? "(still running)" : exported
      } lines.`,
    );
    const whole = exportMs.length === 0 ? undefined : stats(exportMs);
    console.log(
      `The whole export took ${
        whole === undefined
          ? "(did not finish)"
          : `${(whole.min / 1000).toFixed(1)} / ${
            (whole.median / 1000).toFixed(1)
          } s`
      }; peak RSS after it: ${peakRssMiB(library.pid).toFixed(0)} MiB.`,
    );
  } finally {
    for (const server of servers) {
      server.child.kill("SIGTERM");
      await server.child.status;
    }
  }
}

if (import.meta.main) {
  const args = parseArgs({
    args: Deno.args,
    options: { serve: { type: "string" }, file: { type: "string" } },
    strict: false,
  }).values;
  if (typeof args.serve === "string") {
    const file = String(args.file);
    const handler: (request: Request) => Response | Promise<Response> =
      args.serve === "baseline"
        ? baselineHandler(file)
        : libraryHandler(file, args.serve === "ffi" ? "ffi" : "node");
    Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: announce }, handler);
  } else {
    await bench();
  }
}
