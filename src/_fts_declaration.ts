/**
 * The reading of an FTS5 table's `CREATE VIRTUAL TABLE` statement, for the
 * CLI and `verifyDataSet` (through `_introspect.ts`): out of `_fts.ts`, so
 * that a runtime import, which declares search options but never reads a
 * file's FTS5 declarations, does not load it.
 *
 * @module
 */

/** What an FTS5 table's `CREATE VIRTUAL TABLE` statement declares. */
export interface Fts5Declaration {
  /** The indexed columns. */
  columns: string[];
  /** The external content table, `undefined` when it stores its own text. */
  content: string | undefined;
  /** The content table's rowid column, `undefined` for `rowid`. */
  contentRowid: string | undefined;
  /** The `tokenize` option as written, `""` when absent. */
  tokenize: string;
}

/** Removes FTS5's quoting from one argument (`"a""b"`, `'x'`, `[y]`). */
function dequote(word: string): string {
  const first = word[0];
  if (first === '"' || first === "'" || first === "`") {
    return word.slice(1, -1).replaceAll(first + first, first);
  }
  if (first === "[") return word.slice(1, -1);
  return word;
}

/**
 * Reads an FTS5 table's declaration from its `CREATE VIRTUAL TABLE` text;
 * `undefined` when the statement does not declare an FTS5 table.
 */
export function parseFts5(sql: string): Fts5Declaration | undefined {
  const head = /^\s*CREATE\s+VIRTUAL\s+TABLE\s+.*?\s+USING\s+fts5\s*\(/is
    .exec(sql);
  if (head === null) return undefined;
  const body = sql.slice(head[0].length, sql.lastIndexOf(")"));
  // Arguments are separated by commas outside quotes.
  const args: string[] = [];
  let current = "";
  let quoteChar: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoteChar !== undefined) {
      current += c;
      if (c === quoteChar) {
        if (body[i + 1] === quoteChar && quoteChar !== "]") {
          current += body[++i];
        } else {
          quoteChar = undefined;
        }
      }
    } else if (c === '"' || c === "'" || c === "`" || c === "[") {
      quoteChar = c === "[" ? "]" : c;
      current += c;
    } else if (c === ",") {
      args.push(current.trim());
      current = "";
    } else {
      current += c;
    }
  }
  if (current.trim() !== "") args.push(current.trim());
  const declaration: Fts5Declaration = {
    columns: [],
    content: undefined,
    contentRowid: undefined,
    tokenize: "",
  };
  for (const arg of args) {
    const option = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/s.exec(arg);
    if (option === null) {
      // A column: its name, maybe followed by UNINDEXED.
      const name =
        /^("(?:[^"]|"")*"|'(?:[^']|'')*'|`(?:[^`]|``)*`|\[[^\]]*\]|\S+)/
          .exec(arg);
      if (name !== null) declaration.columns.push(dequote(name[1]!));
      continue;
    }
    const value = dequote(option[2]!.trim());
    switch (option[1]!.toLowerCase()) {
      case "content":
        declaration.content = value === "" ? undefined : value;
        break;
      case "content_rowid":
        declaration.contentRowid = value;
        break;
      case "tokenize":
        declaration.tokenize = value;
        break;
    }
  }
  return declaration;
}

/** The names of the shadow tables FTS5 keeps for table `name`. */
export function fts5ShadowTables(name: string): string[] {
  return ["data", "idx", "content", "docsize", "config"].map((suffix) =>
    `${name}_${suffix}`
  );
}
