/**
 * A seeded Northwind (issue 15): the ten main tables of the classic
 * Microsoft sample database, with the columns and keys of the public SQLite
 * port (`jpwhite3/northwind-SQLite3`, `src/create.sql`), and rows made up
 * here from a fixed seed: the reference tables at their usual sizes, about
 * 16k orders and 600k order details keyed by (OrderID, ProductID), the
 * shape `@db/sqlite`'s own benchmark reads.
 *
 * {@link declareNorthwind} declares the models on a dataset;
 * {@link ensureNorthwind} builds the file once into `bench/.data/` with
 * `buildDataSet` (STRICT tables, ANALYZEd, as a shipped file would be).
 *
 * @module
 */
import { join } from "node:path";
import {
  blob,
  DataSet,
  integer,
  readBuildMetadata,
  real,
  SQLiteBindFactory,
  text,
} from "../mod.ts";
import { buildDataSet } from "../build.ts";
import { DEFAULT_DATA_DIR } from "./_data.ts";

/** The file's name in the data directory. */
export const NORTHWIND_FILE = "northwind.sqlite";
/** Orders in the file. */
export const ORDER_COUNT = 16_000;
/** The first OrderID, as in the original. */
export const FIRST_ORDER = 10_248;
/** Products in the file (as in the original). */
export const PRODUCT_COUNT = 77;
/** Customers in the file (as in the original). */
export const CUSTOMER_COUNT = 93;

const optionalText = () => text({ nullable: true });
const optionalInteger = () => integer({ nullable: true });
const optionalReal = () => real({ nullable: true });

/**
 * Declares the ten Northwind models on `db`.
 * @param db A dataset.
 * @returns The model classes, by table.
 */
export function declareNorthwind(db: DataSet) {
  class Category extends db.Model("Categories", {
    CategoryID: integer({ primaryKey: true }),
    CategoryName: optionalText(),
    Description: optionalText(),
    Picture: blob({ nullable: true }),
  }) {}
  class Customer extends db.Model("Customers", {
    CustomerID: text({ primaryKey: true }),
    CompanyName: optionalText(),
    ContactName: optionalText(),
    ContactTitle: optionalText(),
    Address: optionalText(),
    City: optionalText(),
    Region: optionalText(),
    PostalCode: optionalText(),
    Country: optionalText(),
    Phone: optionalText(),
    Fax: optionalText(),
  }) {}
  class Employee extends db.Model("Employees", {
    EmployeeID: integer({ primaryKey: true }),
    LastName: optionalText(),
    FirstName: optionalText(),
    Title: optionalText(),
    TitleOfCourtesy: optionalText(),
    BirthDate: optionalText(),
    HireDate: optionalText(),
    Address: optionalText(),
    City: optionalText(),
    Region: optionalText(),
    PostalCode: optionalText(),
    Country: optionalText(),
    HomePhone: optionalText(),
    Extension: optionalText(),
    Photo: blob({ nullable: true }),
    Notes: optionalText(),
    ReportsTo: optionalInteger(),
    PhotoPath: optionalText(),
  }) {}
  class Order extends db.Model("Orders", {
    OrderID: integer({ primaryKey: true }),
    CustomerID: optionalText(),
    EmployeeID: optionalInteger(),
    OrderDate: optionalText(),
    RequiredDate: optionalText(),
    ShippedDate: optionalText(),
    ShipVia: optionalInteger(),
    Freight: optionalReal(),
    ShipName: optionalText(),
    ShipAddress: optionalText(),
    ShipCity: optionalText(),
    ShipRegion: optionalText(),
    ShipPostalCode: optionalText(),
    ShipCountry: optionalText(),
  }) {}
  class OrderDetail extends db.Model("Order Details", {
    OrderID: integer({ primaryKey: true }),
    ProductID: integer({ primaryKey: true }),
    UnitPrice: real(),
    Quantity: integer(),
    Discount: real(),
  }) {}
  class Product extends db.Model("Products", {
    ProductID: integer({ primaryKey: true }),
    ProductName: text(),
    SupplierID: optionalInteger(),
    CategoryID: optionalInteger(),
    QuantityPerUnit: optionalText(),
    UnitPrice: optionalReal(),
    UnitsInStock: optionalInteger(),
    UnitsOnOrder: optionalInteger(),
    ReorderLevel: optionalInteger(),
    Discontinued: text(),
  }) {}
  class Region extends db.Model("Regions", {
    RegionID: integer({ primaryKey: true }),
    RegionDescription: text(),
  }) {}
  class Shipper extends db.Model("Shippers", {
    ShipperID: integer({ primaryKey: true }),
    CompanyName: text(),
    Phone: optionalText(),
  }) {}
  class Supplier extends db.Model("Suppliers", {
    SupplierID: integer({ primaryKey: true }),
    CompanyName: text(),
    ContactName: optionalText(),
    ContactTitle: optionalText(),
    Address: optionalText(),
    City: optionalText(),
    Region: optionalText(),
    PostalCode: optionalText(),
    Country: optionalText(),
    Phone: optionalText(),
    Fax: optionalText(),
    HomePage: optionalText(),
  }) {}
  class Territory extends db.Model("Territories", {
    TerritoryID: text({ primaryKey: true }),
    TerritoryDescription: text(),
    RegionID: integer(),
  }) {}
  return {
    Category,
    Customer,
    Employee,
    Order,
    OrderDetail,
    Product,
    Region,
    Shipper,
    Supplier,
    Territory,
  };
}

/** xorshift32 from a seed: the same stream on every run. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const COUNTRIES = [
  "Germany",
  "Mexico",
  "UK",
  "Sweden",
  "France",
  "Spain",
  "Canada",
  "Argentina",
  "Switzerland",
  "Brazil",
  "Austria",
  "Italy",
  "Portugal",
  "USA",
  "Venezuela",
  "Ireland",
  "Belgium",
  "Norway",
  "Denmark",
  "Finland",
  "Poland",
];
const WORDS = [
  "Alpha",
  "Blue",
  "Corner",
  "Delta",
  "Eastern",
  "Fine",
  "Golden",
  "Harbor",
  "Island",
  "Jolly",
  "King",
  "Lake",
  "Market",
  "North",
  "Ocean",
  "Prime",
  "Queen",
  "River",
  "Star",
  "Trade",
];
const CITIES = [
  "Berlin",
  "London",
  "Madrid",
  "Paris",
  "Lyon",
  "Graz",
  "Bern",
  "Lisboa",
  "Torino",
  "Cork",
  "Boise",
  "Eugene",
  "Caracas",
  "Sevilla",
  "Aachen",
];

/** Days after 1996-07-04, as an ISO date-time text. */
function day(offset: number): string {
  const ms = Date.UTC(1996, 6, 4) + offset * 86_400_000;
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function* rows(): Generator<
  [table: string, record: Record<string, unknown>]
> {
  const next = random(0x6e77_2026);
  const pick = <T>(list: readonly T[]): T =>
    list[Math.floor(next() * list.length)]!;
  const name = () => `${pick(WORDS)} ${pick(WORDS)}`;
  const phone = () =>
    `(${Math.floor(next() * 900) + 100}) 555-${
      String(Math.floor(next() * 10_000)).padStart(4, "0")
    }`;
  for (let id = 1; id <= 8; id++) {
    yield ["Categories", {
      CategoryID: id,
      CategoryName: `${pick(WORDS)}s`,
      Description: `${name()} and ${name()}`,
      // Blobs load from base64 text.
      Picture: btoa(
        String.fromCharCode(
          ...Array.from({ length: 64 }, () => Math.floor(next() * 256)),
        ),
      ),
    }];
  }
  for (let id = 1; id <= 4; id++) {
    yield ["Regions", { RegionID: id, RegionDescription: `${pick(WORDS)}` }];
  }
  for (let id = 1; id <= 53; id++) {
    yield ["Territories", {
      TerritoryID: String(1000 + id * 97).padStart(5, "0"),
      TerritoryDescription: pick(CITIES),
      RegionID: 1 + (id % 4),
    }];
  }
  for (let id = 1; id <= 3; id++) {
    yield ["Shippers", {
      ShipperID: id,
      CompanyName: `${name()} Express`,
      Phone: phone(),
    }];
  }
  for (let id = 1; id <= 29; id++) {
    yield ["Suppliers", {
      SupplierID: id,
      CompanyName: `${name()} Ltd.`,
      ContactName: name(),
      ContactTitle: "Sales Manager",
      Address: `${Math.floor(next() * 900) + 1} ${pick(WORDS)} St.`,
      City: pick(CITIES),
      Region: next() < 0.7 ? null : pick(WORDS),
      PostalCode: String(Math.floor(next() * 99_999)),
      Country: pick(COUNTRIES),
      Phone: phone(),
      Fax: next() < 0.5 ? null : phone(),
      HomePage: next() < 0.8 ? null : `#${pick(WORDS)}#`,
    }];
  }
  const prices: number[] = [];
  for (let id = 1; id <= PRODUCT_COUNT; id++) {
    const price = Math.round((2 + next() * 120) * 100) / 100;
    prices.push(price);
    yield ["Products", {
      ProductID: id,
      ProductName: `${name()} ${pick(["Tea", "Sauce", "Cheese", "Ale"])}`,
      SupplierID: 1 + Math.floor(next() * 29),
      CategoryID: 1 + Math.floor(next() * 8),
      QuantityPerUnit: `${Math.floor(next() * 48) + 1} boxes`,
      UnitPrice: price,
      UnitsInStock: Math.floor(next() * 120),
      UnitsOnOrder: Math.floor(next() * 80),
      ReorderLevel: Math.floor(next() * 30),
      Discontinued: next() < 0.1 ? "1" : "0",
    }];
  }
  for (let id = 1; id <= 9; id++) {
    yield ["Employees", {
      EmployeeID: id,
      LastName: pick(WORDS),
      FirstName: pick(WORDS),
      Title: id === 2 ? "Vice President, Sales" : "Sales Representative",
      TitleOfCourtesy: pick(["Ms.", "Mr.", "Dr."]),
      BirthDate: day(-12_000 - Math.floor(next() * 8000)).slice(0, 10),
      HireDate: day(-1000 + Math.floor(next() * 900)).slice(0, 10),
      Address: `${Math.floor(next() * 900) + 1} ${pick(WORDS)} Rd.`,
      City: pick(CITIES),
      Region: null,
      PostalCode: String(Math.floor(next() * 99_999)),
      Country: pick(["USA", "UK"]),
      HomePhone: phone(),
      Extension: String(Math.floor(next() * 9999)),
      Photo: null,
      Notes: `${name()} joined the company from ${pick(CITIES)}.`,
      ReportsTo: id === 2 ? null : 2,
      PhotoPath: `http://accweb/emmployees/${pick(WORDS).toLowerCase()}.bmp`,
    }];
  }
  const customers: string[] = [];
  for (let i = 0; i < CUSTOMER_COUNT; i++) {
    const id = `${pick(WORDS).slice(0, 3).toUpperCase()}${
      String.fromCharCode(65 + (i % 26))
    }${String.fromCharCode(65 + Math.floor(i / 26))}`;
    customers.push(id);
    yield ["Customers", {
      CustomerID: id,
      CompanyName: `${name()} Markets`,
      ContactName: name(),
      ContactTitle: pick(["Owner", "Sales Agent", "Marketing Manager"]),
      Address: `${Math.floor(next() * 900) + 1} ${pick(WORDS)} Ave.`,
      City: pick(CITIES),
      Region: next() < 0.6 ? null : pick(WORDS),
      PostalCode: String(Math.floor(next() * 99_999)),
      Country: pick(COUNTRIES),
      Phone: phone(),
      Fax: next() < 0.4 ? null : phone(),
    }];
  }
  const products = Array.from({ length: PRODUCT_COUNT }, (_, i) => i + 1);
  for (let i = 0; i < ORDER_COUNT; i++) {
    const id = FIRST_ORDER + i;
    const ordered = Math.floor(i / 8);
    yield ["Orders", {
      OrderID: id,
      CustomerID: pick(customers),
      EmployeeID: 1 + Math.floor(next() * 9),
      OrderDate: day(ordered),
      RequiredDate: day(ordered + 28),
      ShippedDate: next() < 0.03
        ? null
        : day(ordered + 1 + Math.floor(next() * 30)),
      ShipVia: 1 + Math.floor(next() * 3),
      Freight: Math.round(next() * 50_000) / 100,
      ShipName: `${name()} Markets`,
      ShipAddress: `${Math.floor(next() * 900) + 1} ${pick(WORDS)} Ave.`,
      ShipCity: pick(CITIES),
      ShipRegion: next() < 0.6 ? null : pick(WORDS),
      ShipPostalCode: String(Math.floor(next() * 99_999)),
      ShipCountry: pick(COUNTRIES),
    }];
  }
  // Lines per order: 1..74 distinct products (mean 37.5, about 600k lines),
  // in ascending ProductID within each order, as a key order would list them.
  for (let i = 0; i < ORDER_COUNT; i++) {
    const lines = 1 + Math.floor(next() * 74);
    for (let k = 0; k < lines; k++) {
      const j = k + Math.floor(next() * (PRODUCT_COUNT - k));
      [products[k], products[j]] = [products[j]!, products[k]!];
    }
    const chosen = products.slice(0, lines).sort((a, b) => a - b);
    for (const product of chosen) {
      yield ["Order Details", {
        OrderID: FIRST_ORDER + i,
        ProductID: product,
        UnitPrice: prices[product - 1]!,
        Quantity: 1 + Math.floor(next() * 120),
        Discount: pick([0, 0, 0, 0.05, 0.1, 0.15, 0.2, 0.25]),
      }];
    }
  }
}

/**
 * Builds `bench/.data/northwind.sqlite` unless it holds this version's rows.
 * @returns Its path.
 */
export async function ensureNorthwind(): Promise<string> {
  await Deno.mkdir(DEFAULT_DATA_DIR, { recursive: true });
  const path = join(DEFAULT_DATA_DIR, NORTHWIND_FILE);
  const probe = DataSet.create("northwind_probe");
  probe.bind(new SQLiteBindFactory({ paths: { northwind_probe: path } }));
  try {
    await Deno.stat(path);
    const meta = await readBuildMetadata(probe);
    if (meta?.tables["Orders"] === ORDER_COUNT) {
      return path;
    }
  } catch {
    // Missing or incomplete: build it.
  } finally {
    await probe.close();
  }
  console.error(`building ${path} ...`);
  const started = performance.now();
  const db = DataSet.create("northwind_build");
  const models = declareNorthwind(db);
  const byTable = new Map(
    Object.values(models).map((model) => [model.tableName, model]),
  );
  await buildDataSet(db, path, async (build) => {
    // Grouped by table (the generator yields each table's rows together).
    let table: string | undefined;
    let batch: Record<string, unknown>[] = [];
    const flush = async () => {
      if (table !== undefined && batch.length > 0) {
        await build.loadRecords(byTable.get(table)!, batch);
      }
      batch = [];
    };
    for (const [name, record] of rows()) {
      if (name !== table) {
        await flush();
        table = name;
      }
      batch.push(record);
    }
    await flush();
  });
  await db.close();
  console.error(
    `built ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return path;
}
