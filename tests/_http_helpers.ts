// Shared by the HTTP tests: a server on 127.0.0.1 and a served fixture.
import type { EngineName } from "../src/_engine.ts";
import {
  bigint,
  blob,
  type DataSet,
  datetime,
  integer,
  real,
  Store,
  text,
} from "../mod.ts";
import { createHandler, type HandlerOptions } from "../http.ts";
import { freshDataSet, openFile, tempDir } from "./_helpers.ts";

/** A running server and its origin (`http://127.0.0.1:<port>`). */
export interface Served extends AsyncDisposable {
  readonly origin: string;
  readonly server: Deno.HttpServer;
}

/** Serves `handler` on 127.0.0.1 on a free port. */
export function serve(
  handler: (request: Request) => Promise<Response>,
): Served {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    origin,
    server,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** Declares the cities model on a dataset. */
export function declareCities(db: DataSet) {
  class City extends db.Model("city", {
    id: integer({ primaryKey: true }),
    name: text({ index: true }),
    country: text(),
    population: integer({ nullable: true }),
    founded: datetime({ nullable: true }),
    code: bigint({ nullable: true }),
    flag: blob({ nullable: true }),
    lat: real(),
    lon: real(),
  }, {
    orderBy: "name",
    search: { columns: ["name"] },
    geo: { lat: "lat", lon: "lon" },
  }) {}
  return City;
}

/** 2^60 + 1, beyond a JavaScript number's exact integers. */
export const BIG = 2n ** 60n + 1n;

/** The cities of the fixture. */
export const CITIES = [
  {
    name: "Paris",
    country: "FR",
    population: 2_100_000,
    founded: new Date("0250-01-01T00:00:00Z"),
    code: BIG,
    flag: new Uint8Array([1, 2, 3]),
    lat: 48.8566,
    lon: 2.3522,
  },
  {
    name: "Lyon",
    country: "FR",
    population: 520_000,
    founded: null,
    code: 7n,
    flag: null,
    lat: 45.764,
    lon: 4.8357,
  },
  {
    name: "Berlin",
    country: "DE",
    population: 3_600_000,
    founded: null,
    code: null,
    flag: null,
    lat: 52.52,
    lon: 13.405,
  },
  {
    name: "<script>alert(1)</script>",
    country: "XX",
    population: null,
    founded: null,
    code: null,
    flag: null,
    lat: 0,
    lon: 0,
  },
  {
    name: "Saint-Étienne",
    country: "FR",
    population: 170_000,
    founded: null,
    code: null,
    flag: null,
    lat: 45.4397,
    lon: 4.3872,
  },
];

/** Builds the cities file on `engine` in a fresh folder; returns its path. */
export async function citiesFile(engine: EngineName): Promise<string> {
  const path = `${await tempDir({ prefix: "http_" })}/cities.sqlite`;
  const db = openFile(engine, path, { writable: true });
  const City = declareCities(db);
  await db.createAll();
  await new Store(City).createMany(CITIES.map((city) => ({ ...city })));
  await db.close();
  return path;
}

/**
 * The cities file opened read-only on `engine`, with its model, served by
 * a handler with `options` on 127.0.0.1.
 */
export async function servedCities(
  engine: EngineName,
  options: HandlerOptions = {},
) {
  const path = await citiesFile(engine);
  const db = openFile(engine, path);
  const City = declareCities(db);
  const served = serve(createHandler(db, options));
  const dataset = db.name;
  return {
    db,
    City,
    path,
    dataset,
    origin: served.origin,
    /** `origin` + `/<dataset>/city` + `rest`. */
    url: (rest = "") => `${served.origin}/${dataset}/city${rest}`,
    async [Symbol.asyncDispose]() {
      await served[Symbol.asyncDispose]();
      await db.close();
    },
  };
}

/** A fresh in-memory dataset name, for tests that need one. */
export { freshDataSet };

/** A `deno` subprocess listening on 127.0.0.1, and how to stop it. */
export interface Listening {
  /** `http://127.0.0.1:<port>`. */
  readonly address: string;
  /** Sends SIGTERM; answers the exit code and what it wrote to stderr. */
  stop(): Promise<{ code: number; stderr: string }>;
}

/**
 * Runs `deno <args>` and waits until it prints an address on 127.0.0.1 on
 * `stream` (the CLI writes it to stdout, `Deno.serve` to stderr).
 */
export async function spawnListening(
  args: readonly string[],
  options: { cwd?: string; stream: "stdout" | "stderr" },
): Promise<Listening> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const other = options.stream === "stdout" ? child.stderr : child.stdout;
  const rest = new Response(other).text();
  const lines = child[options.stream].pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  let address: string | undefined;
  while (address === undefined) {
    const { value, done } = await lines.read();
    if (done) break;
    text += value;
    address = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(text)?.[1];
  }
  if (address === undefined) {
    await lines.cancel();
    await child.status;
    throw new Error(`the server did not start: ${text}\n${await rest}`);
  }
  const found = address;
  return {
    address: found,
    async stop() {
      child.kill("SIGTERM");
      await lines.cancel();
      const status = await child.status;
      return {
        code: status.code,
        stderr: options.stream === "stdout" ? await rest : text,
      };
    },
  };
}
