/**
 * A Deploy-style script: its dataset file sits in `data/` beside it and is
 * found from `import.meta.url`, never from the working directory. Runs on
 * `node:sqlite` with only read access to that folder, or through FFI:
 *
 *   deno run --allow-read=examples/bundled/data examples/bundled/main.ts
 *   deno run --allow-read=examples/bundled/data --allow-ffi examples/bundled/main.ts
 */
import { SQLiteBindFactory } from "@microcosm/sqlite";
import { Elements } from "./models.ts";
import { report } from "./report.ts";

Elements.bind(
  new SQLiteBindFactory().set(
    "elements",
    new URL("./data/elements.sqlite", import.meta.url),
  ),
);
await using _ = Elements;
await report();
