// The handler's OpenAPI document, generated from the served models.
import assert from "node:assert/strict";
import { engineTest } from "./_helpers.ts";
import { servedCities } from "./_http_helpers.ts";

/** Every `$ref` in `value`. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) { for (const item of value) refs(item, found); }
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") found.push(item);
      else refs(item, found);
    }
  }
  return found;
}

engineTest(
  "GET /-/openapi.json describes every served table, its filters and its rows' JSON",
  async (engine) => {
    await using s = await servedCities(engine, { basePath: "/api" });
    const response = await fetch(`${s.origin}/api/-/openapi.json`);
    assert.equal(response.status, 200);
    const doc = await response.json();
    assert.equal(doc.openapi, "3.1.0");
    const rows = doc.paths[`/api/${s.dataset}/city`].get;
    const names = rows.parameters.map((p: { name: string }) => p.name);
    for (
      const name of [
        "country",
        "population__gte",
        "code__in",
        "name__startsWith",
        "_size",
        "_next",
        "_search",
        "_near",
        "_within",
      ]
    ) {
      assert.ok(names.includes(name), name);
    }
    assert.ok(doc.paths[`/api/${s.dataset}/city/{key}`].get);
    const city = doc.components.schemas[`${s.dataset}.city`];
    assert.deepEqual(city.properties.id, { type: "integer" });
    assert.deepEqual(city.properties.founded, {
      oneOf: [{ type: "string", format: "date-time" }, { type: "null" }],
    });
    assert.deepEqual(city.properties.code.oneOf[0].oneOf, [
      { type: "integer" },
      { type: "string", pattern: "^-?[0-9]+$" },
    ]);
    assert.deepEqual(city.properties.flag.oneOf[0], {
      type: "string",
      contentEncoding: "base64",
    });
    for (const ref of refs(doc)) {
      const target = ref.slice(2).split("/").map(decodeURIComponent)
        .reduce(
          (at: Record<string, unknown>, key) =>
            at?.[key] as Record<string, unknown>,
          doc,
        );
      assert.ok(target !== undefined, ref);
    }
  },
);
