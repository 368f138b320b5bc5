/**
 * Small rules the library applies in several places, each written once.
 *
 * @module
 */

/**
 * Folds an identifier the way SQLite compares identifiers: ASCII letters
 * only, so `É` and `é` stay distinct (SQLite keeps them apart too).
 */
export function foldIdentifier(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
