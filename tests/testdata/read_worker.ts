// A worker that opens a people file read-only and posts back what it read.
// Used by tests/resources_test.ts: several run at once on the same file.
import type { EngineName } from "../../src/_engine.ts";
import { SQLiteBindFactory, Store } from "../../mod.ts";
import { declarePeople, freshDataSet } from "../_helpers.ts";

/** The worker's global scope, as far as this script uses it. */
const scope = self as unknown as {
  onmessage: (event: MessageEvent) => void;
  postMessage: (message: unknown) => void;
};

scope.onmessage = async (event: MessageEvent) => {
  const { path, engine, rounds } = event.data as {
    path: string;
    engine: EngineName;
    rounds: number;
  };
  try {
    const db = freshDataSet(engine);
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    const store = new Store(declarePeople(db));
    const reads: string[][] = [];
    for (let i = 0; i < rounds; i++) {
      const names: string[] = [];
      for await (const person of store.search()) names.push(person.fullName);
      reads.push(names);
    }
    const used = db.engine;
    await db.close();
    scope.postMessage({ engine: used, reads });
  } catch (error) {
    scope.postMessage({ error: String(error) });
  }
};
