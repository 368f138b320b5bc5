/**
 * Every SQL text the library writes, in one file, so it can be audited for
 * injection in one place. Identifiers are quoted with {@linkcode quote};
 * values are always bound as parameters, never pasted into SQL text.
 *
 * @module
 */

/** Quotes an identifier (table, column, index or savepoint name). */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// ---------------------------------------------------------------------------
// Store queries: select, count, exists, lookup, insert, delete.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Schema: CREATE TABLE / CREATE INDEX / DROP.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Raw SQL: the `sql` template compiler.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Introspection: what an open file holds.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Build and verify.
// ---------------------------------------------------------------------------
