// The browse pages in a real browser: headless Chromium on 127.0.0.1,
// driven over the DevTools protocol. Skipped, with a message saying how to
// install it, where Chromium is missing.
import assert from "node:assert/strict";
import { Browser, findChromium, INSTALL_HINT } from "./_cdp.ts";
import { ENGINES, tempDir } from "./_helpers.ts";
import { CITIES, servedCities } from "./_http_helpers.ts";

const chromium = await findChromium();
if (chromium === undefined) console.warn(INSTALL_HINT);

for (const engine of ENGINES) {
  Deno.test({
    name:
      `the browse pages render rows, follow links, submit the filter form and the next-page link in Chromium [${engine}]`,
    ignore: chromium === undefined,
    async fn() {
      await using s = await servedCities(engine);
      await using browser = await Browser.launch(
        chromium!,
        await tempDir({ prefix: "chromium_" }),
      );
      // The listing, and a link followed to the table.
      await browser.goto(`${s.origin}/`);
      const link = `a[href="/${s.dataset}/city"]`;
      assert.equal(
        await browser.evaluate(`document.querySelector('${link}').textContent`),
        "city",
      );
      await browser.navigating(() =>
        browser.evaluate(`document.querySelector('${link}').click()`)
      );
      assert.equal(
        await browser.evaluate("location.pathname"),
        `/${s.dataset}/city`,
      );
      assert.equal(
        await browser.evaluate(
          "document.querySelectorAll('table.rows tbody tr').length",
        ),
        CITIES.length,
      );
      // A value holding <script> is text, and the page runs no script.
      assert.equal(
        await browser.evaluate(
          "[...document.querySelectorAll('table.rows td')].some((td) => td.textContent === '<script>alert(1)</script>')",
        ),
        true,
      );
      assert.equal(await browser.evaluate("document.scripts.length"), 0);
      // The inline style sheet is allowed by the CSP's hash, so it applies.
      assert.equal(
        await browser.evaluate(
          "getComputedStyle(document.querySelector('td.null')).fontStyle",
        ),
        "italic",
      );
      // The filter form, submitted as a user does.
      await browser.navigating(() =>
        browser.evaluate(`(() => {
          document.querySelector('form.filters input[name="country"]').value = "FR";
          document.querySelector('form.filters').requestSubmit();
        })()`)
      );
      assert.equal(
        await browser.evaluate("location.search"),
        "?id=&name=&country=FR&population=&founded=&code=&flag=&lat=&lon=",
      );
      assert.deepEqual(
        await browser.evaluate(
          "[...document.querySelectorAll('table.rows tbody tr')].map((tr) => tr.children[2].textContent)",
        ),
        ["Lyon", "Paris", "Saint-Étienne"],
      );
      // A facet asked for by its link, then one of its values followed.
      await browser.navigating(() =>
        browser.evaluate(
          `[...document.querySelectorAll('.facet-links a')].find((a) => a.textContent === 'population').click()`,
        )
      );
      assert.equal(
        await browser.evaluate(
          `document.querySelector('[data-facet="population"]') !== null`,
        ),
        true,
      );
      await browser.goto(`${s.origin}/${s.dataset}/city?_facet=country`);
      await browser.navigating(() =>
        browser.evaluate(
          `[...document.querySelectorAll('[data-facet="country"] a')].find((a) => a.textContent === 'DE').click()`,
        )
      );
      assert.deepEqual(
        await browser.evaluate(
          "[...document.querySelectorAll('table.rows tbody tr')].map((tr) => tr.children[2].textContent)",
        ),
        ["Berlin"],
      );
      // The next-page link, followed.
      await browser.goto(`${s.origin}/${s.dataset}/city?_size=2`);
      await browser.navigating(() =>
        browser.evaluate(`document.querySelector('a[rel="next"]').click()`)
      );
      assert.deepEqual(
        await browser.evaluate(
          "[...document.querySelectorAll('table.rows tbody tr')].map((tr) => tr.children[2].textContent)",
        ),
        ["Lyon", "Paris"],
      );
      // A row's page, by its link.
      await browser.navigating(() =>
        browser.evaluate(`document.querySelector('a.row').click()`)
      );
      assert.match(
        await browser.evaluate<string>("location.pathname"),
        /\/city\/2$/,
      );
      const folder = await Deno.makeTempDir({ prefix: "microcosm_screens_" });
      const png = await browser.screenshot();
      await Deno.writeFile(`${folder}/row_${engine}.png`, png);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      console.log(`screenshot: ${folder}/row_${engine}.png`);
    },
  });
}
