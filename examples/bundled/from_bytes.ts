/**
 * The same script with its dataset imported as bytes: no read permission at
 * all, the image deserialized into memory (read-only all the same). Raw
 * imports are unstable in Deno 2.9, hence the flag:
 *
 *   deno run --unstable-raw-imports examples/bundled/from_bytes.ts
 *
 * The same binding serves a `deno compile --include`d file: read it with
 * `Deno.readFile(new URL("./data/elements.sqlite", import.meta.url))` and
 * pass the bytes.
 */
import { SQLiteBindFactory } from "@microcosm/sqlite";
import image from "./data/elements.sqlite" with { type: "bytes" };
import { Elements } from "./models.ts";
import { report } from "./report.ts";

Elements.bind(new SQLiteBindFactory().set("elements", image));
await using _ = Elements;
await report();
