/**
 * Geo lookups (issue 12 §2): the `geo` model option, its R*Tree index as
 * `createAll()` and `buildDataSet` make it and triggers keep it, and
 * `Store.within()` and `Store.nearest()`, on both engines.
 */
import assert from "node:assert/strict";
import type { EngineName } from "../src/_engine.ts";
import {
  float32Down,
  float32Up,
  greatCircleKm,
  HALF_CIRCUMFERENCE_KM,
} from "../src/_geo.ts";
import {
  type DataSet,
  DataSetError,
  integer,
  type Nearby,
  real,
  SQLiteBindFactory,
  Store,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { ENGINES, engineTest, freshDataSet, tempDir } from "./_helpers.ts";

function declarePlaces(db: DataSet) {
  return class Place extends db.Model("place", {
    id: integer({ primaryKey: true }),
    name: text(),
    kind: text({ default: "city" }),
    lat: real({ nullable: true }),
    lon: real({ nullable: true }),
  }, { geo: { lat: "lat", lon: "lon" }, orderBy: "name" }) {};
}

const PLACES = [
  { name: "Paris", lat: 48.8566, lon: 2.3522 },
  { name: "London", lat: 51.5072, lon: -0.1276 },
  { name: "Berlin", lat: 52.52, lon: 13.405 },
  { name: "Suva", lat: -18.1416, lon: 178.4419 },
  { name: "Apia", lat: -13.8333, lon: -171.7667 },
  { name: "Nuku'alofa", lat: -21.1394, lon: -175.2049 },
  { name: "Alert", lat: 82.5018, lon: -62.3481 },
  { name: "Longyearbyen", lat: 78.2232, lon: 15.6267 },
  { name: "North Pole camp", lat: 89.9, lon: 100 },
  { name: "Amundsen-Scott", lat: -90, lon: 0 },
];

async function places(engine: EngineName) {
  const db = freshDataSet(engine);
  const Place = declarePlaces(db);
  await db.createAll();
  const store = new Store(Place);
  await store.createMany(PLACES.map((p) => ({ ...p })));
  return { db, Place, store };
}

const names = (rows: Iterable<{ name: string }>) =>
  [...rows].map((row) => row.name);

engineTest(
  "Store.within() yields the rows inside a box, edges included, in the store's order",
  async (engine) => {
    const { db, store } = await places(engine);
    const europe = {
      south: 48.8566,
      north: 52.52,
      west: -0.1276,
      east: 13.405,
    };
    assert.deepEqual(
      names(await Array.fromAsync(store.within(europe))),
      ["Berlin", "London", "Paris"],
    );
    await db.close();
  },
);

engineTest(
  "Store.within() takes a filter and search options",
  async (engine) => {
    const { db, store } = await places(engine);
    await store.create({
      name: "Versailles",
      kind: "town",
      lat: 48.8,
      lon: 2.13,
    });
    const box = { south: 40, north: 60, west: -10, east: 20 };
    assert.deepEqual(
      names(await Array.fromAsync(store.within(box, { kind: "city" }))),
      ["Berlin", "London", "Paris"],
    );
    assert.deepEqual(
      names(
        await Array.fromAsync(
          store.within(box, undefined, {
            orderBy: "-name",
            limit: 2,
            offset: 1,
          }),
        ),
      ),
      ["Paris", "London"],
    );
    await db.close();
  },
);

engineTest(
  "Store.within() with west above east crosses the antimeridian",
  async (engine) => {
    const { db, store } = await places(engine);
    const pacific = { south: -30, north: 0, west: 170, east: -170 };
    assert.deepEqual(
      names(await Array.fromAsync(store.within(pacific))),
      ["Apia", "Nuku'alofa", "Suva"],
    );
    // The same box the other way round is the rest of the world's band.
    const rest = { south: -30, north: 0, west: -170, east: 170 };
    assert.deepEqual(names(await Array.fromAsync(store.within(rest))), []);
    await db.close();
  },
);

engineTest(
  "Store.within() finds points on the box's edges whatever their 32-bit rounding",
  async (engine) => {
    const db = freshDataSet(engine);
    const Place = declarePlaces(db);
    await db.createAll();
    const store = new Store(Place);
    // Coordinates no 32-bit float holds: the R*Tree's stored bounds differ
    // from them, on both sides.
    const points = [0.1, 1 / 3, -2 / 3, 12.345678901, -45.000000001, 89.9999999]
      .map((v, i) => ({ name: `p${i}`, lat: v, lon: v * 2 }));
    await store.createMany(points);
    for (const point of points) {
      const exact = {
        south: point.lat,
        north: point.lat,
        west: point.lon,
        east: point.lon,
      };
      assert.deepEqual(
        names(await Array.fromAsync(store.within(exact))),
        [point.name],
        JSON.stringify(point),
      );
    }
    await db.close();
  },
);

engineTest(
  "Store.nearest() answers the nearest rows first, each with its distance in km",
  async (engine) => {
    const { db, store } = await places(engine);
    const near = await store.nearest({ lat: 48.85, lon: 2.35 }, { limit: 3 });
    assert.deepEqual(near.map(({ row }) => row.name), [
      "Paris",
      "London",
      "Berlin",
    ]);
    assert.ok(near[0]!.row instanceof store.model);
    assert.ok(
      Math.abs(near[1]!.distanceKm - 343.5) < 1,
      `${near[1]!.distanceKm}`,
    );
    assert.equal(
      near[2]!.distanceKm,
      greatCircleKm(48.85, 2.35, 52.52, 13.405),
    );
    // The default limit is 10.
    assert.equal((await store.nearest({ lat: 0, lon: 0 })).length, 10);
    assert.deepEqual(await store.nearest({ lat: 0, lon: 0 }, { limit: 0 }), []);
    await db.close();
  },
);

engineTest(
  "Store.nearest() leaves out rows beyond maxKm and rows the filter rejects",
  async (engine) => {
    const { db, store } = await places(engine);
    const paris = { lat: 48.8566, lon: 2.3522 };
    assert.deepEqual(
      (await store.nearest(paris, { maxKm: 400 })).map(({ row }) => row.name),
      ["Paris", "London"],
    );
    assert.deepEqual(
      (await store.nearest(paris, { maxKm: 0 })).map(({ row }) => row.name),
      ["Paris"],
    );
    assert.deepEqual(
      (await store.nearest(paris, {
        limit: 2,
        filter: { name: { ne: "Paris" } },
      }))
        .map(({ row }) => row.name),
      ["London", "Berlin"],
    );
    await db.close();
  },
);

engineTest(
  "Store.nearest() looks across the antimeridian",
  async (engine) => {
    const { db, store } = await places(engine);
    // From 179.9 E, Apia (171.8 W) is nearer than anything west of Suva.
    const near = await store.nearest({ lat: -16, lon: 179.9 }, { limit: 3 });
    assert.deepEqual(near.map(({ row }) => row.name), [
      "Suva",
      "Nuku'alofa",
      "Apia",
    ]);
    const fromWest = await store.nearest({ lat: -14, lon: -179.99 }, {
      limit: 1,
      maxKm: 1000,
    });
    // From 179.99 W, Suva (178.4 E, 480 km) is nearer than Apia (890 km).
    assert.deepEqual(fromWest.map(({ row }) => row.name), ["Suva"]);
    await db.close();
  },
);

engineTest(
  "Store.nearest() looks across the poles",
  async (engine) => {
    const { db, store } = await places(engine);
    // From near the pole on the far side of Alert, Alert is 7.6 degrees
    // of latitude away across the pole, not 170 degrees of longitude.
    const near = await store.nearest({ lat: 89.99, lon: -80 }, { limit: 2 });
    assert.deepEqual(near.map(({ row }) => row.name), [
      "North Pole camp",
      "Alert",
    ]);
    const south = await store.nearest({ lat: -89.5, lon: 179 }, { limit: 1 });
    assert.deepEqual(south.map(({ row }) => row.name), ["Amundsen-Scott"]);
    assert.ok(Math.abs(south[0]!.distanceKm - 55.6) < 0.1);
    const far = await store.nearest({ lat: 90, lon: 0 }, { limit: 100 });
    assert.equal(far.length, PLACES.length);
    assert.ok(far.at(-1)!.distanceKm <= HALF_CIRCUMFERENCE_KM);
    await db.close();
  },
);

engineTest(
  "The geo index follows inserts, updates and deletes, and leaves out NULL coordinates",
  async (engine) => {
    const { db, store } = await places(engine);
    const box = { south: 40, north: 60, west: -10, east: 20 };
    await store.create({ name: "Nowhere", lat: null, lon: null });
    await store.create({ name: "Brussels", lat: 50.85, lon: 4.35 });
    assert.deepEqual(
      names(await Array.fromAsync(store.within(box))),
      ["Berlin", "Brussels", "London", "Paris"],
    );
    await store.delete({ name: "London" });
    for await (
      const _ of db
        .sql`UPDATE place SET lat = -33.87, lon = 151.21 WHERE name = 'Berlin'`
    ) { /* runs */ }
    for await (
      const _ of db
        .sql`UPDATE place SET lat = 50.1, lon = 8.7 WHERE name = 'Nowhere'`
    ) { /* runs */ }
    assert.deepEqual(
      names(await Array.fromAsync(store.within(box))),
      ["Brussels", "Nowhere", "Paris"],
    );
    const sydney = await store.nearest({ lat: -33.8, lon: 151 }, { limit: 1 });
    assert.equal(sydney[0]!.row.name, "Berlin");
    await db.close();
  },
);

engineTest(
  "createAll() indexes rows already in the table, once",
  async (engine) => {
    const db = freshDataSet(engine);
    const Place = declarePlaces(db);
    for await (
      const _ of db
        .sql`CREATE TABLE place (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL DEFAULT 'city', lat REAL, lon REAL)`
    ) { /* runs */ }
    for await (
      const _ of db
        .sql`INSERT INTO place (name, lat, lon) VALUES ('Paris', 48.8566, 2.3522), ('Lyon', 45.76, 4.84)`
    ) { /* runs */ }
    await db.createAll();
    await db.createAll();
    const store = new Store(Place);
    const near = await store.nearest({ lat: 46, lon: 5 }, { limit: 5 });
    assert.deepEqual(near.map(({ row }) => row.name), ["Lyon", "Paris"]);
    const [count] = await Array.fromAsync(
      db.sql`SELECT count(*) AS n FROM place_geo`,
    );
    assert.equal(count!.n, 2);
    await db.dropAll();
    const left = await Array.fromAsync(
      db.sql`SELECT name FROM sqlite_schema WHERE name LIKE 'place%'`,
    );
    assert.deepEqual(left, []);
    await db.close();
  },
);

for (const builder of ENGINES) {
  for (const reader of ENGINES) {
    Deno.test(
      `A file built by buildDataSet has the geo index, read on the other engine [${builder} → ${reader}]`,
      async () => {
        const dir = await tempDir({ prefix: "microcosm_geo_" });
        const path = `${dir}/places.sqlite`;
        const built = freshDataSet(builder);
        const BuiltPlace = declarePlaces(built);
        await buildDataSet(built, path, async (b) => {
          await b.loadRecords(BuiltPlace, PLACES.map((p) => ({ ...p })));
        });
        await built.close();
        const db = freshDataSet(reader);
        db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
        const store = new Store(declarePlaces(db));
        const near = await store.nearest({ lat: -16, lon: 179.9 }, {
          limit: 1,
        });
        assert.equal(near[0]!.row.name, "Suva");
        const box = { south: 40, north: 60, west: -10, east: 20 };
        assert.deepEqual(
          names(await Array.fromAsync(store.within(box))),
          ["Berlin", "London", "Paris"],
        );
        await db.close();
        await Deno.remove(dir, { recursive: true });
      },
    );
  }
}

engineTest(
  "A file without the geo index fails with a DataSetError naming it",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_geo_" });
    const path = `${dir}/plain.sqlite`;
    const plain = freshDataSet(engine);
    const PlainPlace = plain.Model("place", {
      id: integer({ primaryKey: true }),
      name: text(),
      kind: text(),
      lat: real({ nullable: true }),
      lon: real({ nullable: true }),
    });
    await buildDataSet(plain, path, async (b) => {
      await b.loadRecords(PlainPlace, [{
        name: "x",
        kind: "c",
        lat: 1,
        lon: 1,
      }]);
    });
    await plain.close();
    const db = freshDataSet(engine);
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    const store = new Store(declarePlaces(db));
    await assert.rejects(
      store.nearest({ lat: 0, lon: 0 }),
      (error) =>
        error instanceof DataSetError &&
        /no R\*Tree "place_geo"/.test(error.message),
    );
    await assert.rejects(
      Array.fromAsync(store.within({ south: 0, north: 1, west: 0, east: 1 })),
      DataSetError,
    );
    await db.close();
    await Deno.remove(dir, { recursive: true });
  },
);

engineTest(
  "A geo lookup on a model without a geo option is a TypeError",
  async (engine) => {
    const db = freshDataSet(engine);
    const Plain = db.Model("plain", { id: integer({ primaryKey: true }) });
    await db.createAll();
    const store = new Store(Plain);
    await assert.rejects(
      store.nearest({ lat: 0, lon: 0 }),
      /Cannot run nearest\(\) on plain: the model declares no geo option/,
    );
    await assert.rejects(
      Array.fromAsync(store.within({ south: 0, north: 1, west: 0, east: 1 })),
      TypeError,
    );
    await db.close();
  },
);

engineTest(
  "Bad boxes, points and options are TypeError or RangeError naming them",
  async (engine) => {
    const { db, store } = await places(engine);
    const within = (box: unknown) =>
      Array.fromAsync(store.within(box as never));
    await assert.rejects(within(null), TypeError);
    await assert.rejects(
      within({ south: "0", north: 1, west: 0, east: 1 }),
      /south must be a number of degrees, got string/,
    );
    await assert.rejects(
      within({ south: 0, north: 91, west: 0, east: 1 }),
      (e) =>
        e instanceof RangeError &&
        /north must be between -90 and 90/.test(e.message),
    );
    await assert.rejects(
      within({ south: 0, north: 1, west: -181, east: 1 }),
      RangeError,
    );
    await assert.rejects(
      within({ south: 2, north: 1, west: 0, east: 1 }),
      /south 2 is above north 1/,
    );
    await assert.rejects(
      within({ south: NaN, north: 1, west: 0, east: 1 }),
      RangeError,
    );
    await assert.rejects(
      store.nearest({ lat: 0 } as never),
      /lon must be a number of degrees, got undefined/,
    );
    await assert.rejects(store.nearest({ lat: 0, lon: 200 }), RangeError);
    await assert.rejects(
      store.nearest({ lat: 0, lon: 0 }, { limit: -1 }),
      RangeError,
    );
    await assert.rejects(
      store.nearest({ lat: 0, lon: 0 }, { limit: 40000 }),
      /at most 32000 rows/,
    );
    await assert.rejects(
      store.nearest({ lat: 0, lon: 0 }, { maxKm: -1 }),
      RangeError,
    );
    await assert.rejects(
      store.nearest({ lat: 0, lon: 0 }, { maxKm: "5" as never }),
      TypeError,
    );
    await assert.rejects(
      store.nearest({ lat: 0, lon: 0 }, { radius: 5 } as never),
      /Invalid nearest option "radius"/,
    );
    await assert.rejects(
      store.nearest({ lat: 0, lon: 0 }, { filter: { nope: 1 } as never }),
      /Invalid filter key "nope"/,
    );
    await db.close();
  },
);

Deno.test("The geo option must name two distinct number properties", () => {
  const db = freshDataSet("node");
  const columns = () => ({
    id: integer({ primaryKey: true }),
    name: text(),
    lat: real(),
    lon: real(),
  });
  assert.throws(
    () =>
      db.Model("a", columns(), { geo: { lat: "lat", lon: "nope" as "lon" } }),
    /Invalid geo option for a: lon must name a property/,
  );
  assert.throws(
    () => db.Model("b", columns(), { geo: { lat: "name", lon: "lon" } }),
    /lat property name is a text column; expected a real or integer column/,
  );
  assert.throws(
    () => db.Model("c", columns(), { geo: { lat: "lat", lon: "lat" } }),
    /lat and lon both name "lat"/,
  );
  assert.throws(
    () => db.Model("d", columns(), { geo: "lat,lon" as never }),
    TypeError,
  );
  assert.throws(
    () =>
      db.Model("e", columns(), {
        geo: { lat: "lat", lon: "lon", alt: "x" } as never,
      }),
    /unknown field "alt"/,
  );
});

Deno.test("greatCircleKm gives known distances", () => {
  assert.ok(
    Math.abs(greatCircleKm(51.5072, -0.1276, 48.8566, 2.3522) - 343.5) < 0.5,
  );
  assert.equal(greatCircleKm(10, 20, 10, 20), 0);
  assert.ok(
    Math.abs(greatCircleKm(0, 0, 0, 180) - HALF_CIRCUMFERENCE_KM) < 1e-6,
  );
  assert.ok(
    Math.abs(greatCircleKm(90, 0, -90, 0) - HALF_CIRCUMFERENCE_KM) < 1e-6,
  );
  assert.ok(greatCircleKm(0, 179.5, 0, -179.5) < 112);
});

Deno.test("float32Down and float32Up round outward to 32-bit floats", () => {
  for (const x of [0.1, -0.1, 1 / 3, -2 / 3, 179.99999, -89.123456789, 1e-40]) {
    const down = float32Down(x);
    const up = float32Up(x);
    assert.equal(Math.fround(down), down);
    assert.equal(Math.fround(up), up);
    assert.ok(down <= x && x <= up, `${x}: ${down} ${up}`);
    assert.ok(down < up);
  }
  assert.equal(float32Down(0.5), 0.5);
  assert.equal(float32Up(-180), -180);
});

engineTest(
  "Hostile table and column names go through the geo index's SQL and triggers quoted",
  async (engine) => {
    const db = freshDataSet(engine);
    const Hostile = db.Model(`pl"ace'); DROP TABLE x; --`, {
      id: integer({ primaryKey: true }),
      name: text(),
      lat: real({ name: `la"t` }),
      lon: real({ name: "lo n); --" }),
    }, { geo: { lat: "lat", lon: "lon" } });
    await db.createAll();
    const store = new Store(Hostile);
    await store.createMany([
      { name: "a", lat: 10, lon: 179.5 },
      { name: "b", lat: 10, lon: -179.5 },
      { name: "c", lat: -10, lon: 0 },
    ]);
    await store.delete({ name: "c" });
    const box = { south: 0, north: 20, west: 179, east: -179 };
    assert.deepEqual(
      (await Array.fromAsync(store.within(box))).map((row) => row.name),
      ["a", "b"],
    );
    const near = await store.nearest({ lat: 10, lon: -179.9 }, { limit: 5 });
    assert.deepEqual(near.map(({ row }) => row.name), ["b", "a"]);
    await db.dropAll();
    assert.deepEqual(
      await Array.fromAsync(db.sql`SELECT name FROM sqlite_schema`),
      [],
    );
    await db.close();
  },
);

Deno.test("The geo option and the results are typed from the model", () => {
  const db = freshDataSet("node");
  const columns = () => ({
    id: integer({ primaryKey: true }),
    name: text(),
    lat: real(),
    lon: real(),
  });
  class Typed extends db.Model("typed", columns(), {
    geo: { lat: "lat", lon: "lon" },
  }) {}
  assert.throws(() =>
    db.Model("typo", columns(), {
      // @ts-expect-error: "latitude" is not a property of the model
      geo: { lat: "latitude", lon: "lon" },
    })
  );
  const result: Nearby<typeof Typed> = {
    row: new Typed({ id: 1, name: "a", lat: 0, lon: 0 }),
    distanceKm: 0,
  };
  const name: string = result.row.name;
  const km: number = result.distanceKm;
  // @ts-expect-error: the distance is beside the row, not on it
  result.row.distanceKm;
  assert.equal(name, "a");
  assert.equal(km, 0);
});

engineTest(
  "within() and nearest() refuse text node:sqlite would cut at a NUL, and the ffi engine reads it whole",
  async (engine) => {
    const dir = await tempDir({ prefix: "microcosm_geo_nul_" });
    const path = `${dir}/places.sqlite`;
    const built = freshDataSet("ffi");
    const BuiltPlace = declarePlaces(built);
    await buildDataSet(built, path, async (b) => {
      await b.loadRecords(BuiltPlace, [
        { name: "Pa\0ris", lat: 48.8566, lon: 2.3522 },
        { name: "London", lat: 51.5072, lon: -0.1276 },
      ]);
    });
    await built.close();
    const db = freshDataSet(engine);
    db.bind(new SQLiteBindFactory({ paths: { [db.name]: path } }));
    const store = new Store(declarePlaces(db));
    const box = { south: 40, north: 60, west: -10, east: 20 };
    const point = { lat: 48.85, lon: 2.35 };
    if (engine === "node") {
      await assert.rejects(
        Array.fromAsync(store.within(box)),
        (e) => e instanceof DataSetError && /NUL/.test(e.message),
      );
      await assert.rejects(
        store.nearest(point),
        (e) => e instanceof DataSetError && /NUL/.test(e.message),
      );
      // Rows without such text read as ever, the flag column aside.
      const london = await store.nearest(point, {
        filter: { name: "London" },
      });
      assert.deepEqual(london.map(({ row }) => row.name), ["London"]);
    } else {
      assert.deepEqual(names(await Array.fromAsync(store.within(box))), [
        "London",
        "Pa\0ris",
      ]);
      const near = await store.nearest(point);
      assert.deepEqual(near.map(({ row }) => row.name), ["Pa\0ris", "London"]);
    }
    await db.close();
    await Deno.remove(dir, { recursive: true });
  },
);
