/**
 * Rebuilds examples/data/countries.sqlite from the rows below, atomically:
 *
 *   deno run --allow-read=examples --allow-write=examples/data --allow-ffi examples/build_countries.ts
 */
import { Store } from "@microcosm/sqlite";
import { buildDataSet } from "@microcosm/sqlite/build";
import { Countries, Country, Currency } from "./models.ts";

const currencies = [
  { code: "EUR", name: "Euro" },
  { code: "USD", name: "United States dollar" },
  { code: "JPY", name: "Japanese yen" },
  { code: "BRL", name: "Brazilian real" },
  { code: "INR", name: "Indian rupee" },
  { code: "NGN", name: "Nigerian naira" },
  { code: "AUD", name: "Australian dollar" },
  { code: "ISK", name: "Icelandic króna" },
  { code: "CAD", name: "Canadian dollar" },
  { code: "KES", name: "Kenyan shilling" },
];

// code, name, continent, capital, population, area in km², currency
const countries: [
  string,
  string,
  string,
  string | null,
  number,
  number,
  string,
][] = [
  ["FR", "France", "Europe", "Paris", 68_170_000, 551_695, "EUR"],
  ["DE", "Germany", "Europe", "Berlin", 84_480_000, 357_592, "EUR"],
  ["IS", "Iceland", "Europe", "Reykjavík", 393_600, 103_000, "ISK"],
  ["PT", "Portugal", "Europe", "Lisbon", 10_470_000, 92_230, "EUR"],
  [
    "US",
    "United States",
    "North America",
    "Washington, D.C.",
    334_900_000,
    9_833_520,
    "USD",
  ],
  ["CA", "Canada", "North America", "Ottawa", 40_100_000, 9_984_670, "CAD"],
  ["BR", "Brazil", "South America", "Brasília", 216_400_000, 8_515_767, "BRL"],
  ["EC", "Ecuador", "South America", "Quito", 18_190_000, 283_561, "USD"],
  ["JP", "Japan", "Asia", "Tokyo", 124_500_000, 377_975, "JPY"],
  ["IN", "India", "Asia", "New Delhi", 1_428_000_000, 3_287_263, "INR"],
  ["NG", "Nigeria", "Africa", "Abuja", 223_800_000, 923_768, "NGN"],
  ["KE", "Kenya", "Africa", "Nairobi", 55_100_000, 580_367, "KES"],
  ["AU", "Australia", "Oceania", "Canberra", 26_640_000, 7_692_024, "AUD"],
  ["AQ", "Antarctica", "Antarctica", null, 1_000, 14_200_000, "USD"],
];

const result = await buildDataSet(
  Countries,
  new URL("./data/countries.sqlite", import.meta.url),
  async () => {
    await new Store(Currency).createMany(currencies);
    await new Store(Country).createMany(
      countries.map((
        [code, name, continent, capital, population, areaKm2, currency],
      ) => ({ code, name, continent, capital, population, areaKm2, currency })),
    );
  },
);
console.log(`wrote ${result.path}:`, result.rows);
