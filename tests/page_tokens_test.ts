/**
 * Page tokens keep their text: a token written by an earlier version (or
 * another replica) reads the same page, whatever the keys hold (numbers,
 * ASCII and non-ASCII text, NULL), and the next tokens are written the same.
 */
import assert from "node:assert/strict";
import { integer, text } from "../mod.ts";
import { engineTest, oneModel } from "./_helpers.ts";

const NAMES = [
  "plain",
  "Zoë",
  "日本",
  null,
  "a+b/c?",
  "~~~ ~",
  "x".repeat(40),
  'quote " and \\ slash',
  "\u007f del",
];

/** Every `next` token of the walk by name, one row a page, from 0.2.0. */
const TOKENS = [
  "W251bGwsWyJuIiwiNCJdXQ.25wks6sx86h",
  "W1sicyIsIlpvw6siXSxbIm4iLCIyIl1d.1o8tzgigv8f",
  "W1sicyIsImErYi9jPyJdLFsibiIsIjUiXV0.1ms9asbzpnz",
  "W1sicyIsInBsYWluIl0sWyJuIiwiMSJdXQ.1w7uyk7xv1g",
  "W1sicyIsInF1b3RlIFwiIGFuZCBcXCBzbGFzaCJdLFsibiIsIjgiXV0.lrc3dejlhm",
  "W1sicyIsInh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHgiXSxbIm4iLCI3Il1d.2amp4peegwb",
  "W1sicyIsIn5-fiB-Il0sWyJuIiwiNiJdXQ.1ca534vknmf",
  "W1sicyIsIn8gZGVsIl0sWyJuIiwiOSJdXQ.29scszju1cn",
];

engineTest(
  "Page tokens of 0.2.0 read the same pages and are written the same",
  async (engine) => {
    const { db, store } = await oneModel(engine, "n", {
      id: integer({ primaryKey: true }),
      name: text({ nullable: true }),
    });
    await using _ = db;
    await store.createMany(NAMES.map((name) => ({ name })));
    const tokens: string[] = [];
    const ids: number[] = [];
    let after: string | undefined;
    do {
      const page = await store.page({}, { orderBy: "name", limit: 1, after });
      ids.push(...page.rows.map((row) => row.id));
      after = page.next;
      if (after !== undefined) tokens.push(after);
    } while (after !== undefined);
    assert.equal(ids.length, NAMES.length);
    assert.deepEqual(tokens, TOKENS);
    // Each token of the list reads the row after its own.
    for (const [i, token] of TOKENS.entries()) {
      const page = await store.page({}, {
        orderBy: "name",
        limit: 1,
        after: token,
      });
      assert.deepEqual(page.rows.map((row) => row.id), [ids[i + 1]]);
    }
  },
);
