/** The queries both bundled scripts print, so their outputs compare. */
import { Store } from "@microcosm/sqlite";
import { Element, Elements } from "./models.ts";

/** Prints a few queries to stdout and the engine to stderr. */
export async function report(): Promise<void> {
  const elements = new Store(Element);
  console.log("Noble gases:");
  for await (const element of elements.search({ category: "noble gas" })) {
    console.log(`  ${element.label}`);
  }
  const metals = await elements.count({
    category: "transition metal",
    period: 4,
  });
  console.log(`Transition metals in period 4: ${metals}`);
  console.log(`Lookup: ${(await elements.one({ symbol: "Fe" })).label}`);
  const heaviest = await Array.fromAsync(
    elements.search({}, { orderBy: "-mass", limit: 3 }),
  );
  console.log(`Heaviest: ${heaviest.map((e) => e.symbol).join(", ")}`);
  for await (
    const row of Elements.sql`
      select period, count(*) as n from element group by period order by period`
  ) {
    console.log(`Period ${row.period}: ${row.n} elements`);
  }
  console.error(`engine: ${Elements.engine}`);
}
