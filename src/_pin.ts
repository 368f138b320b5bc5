/**
 * Pinning files by content: what a `{ path, sha256 }` binding pins. Its
 * rules (the SHA-256 check, and the names of the things often mistaken for
 * a database file: a Git LFS pointer, an HTML error page), shared by
 * bindings, the open and the fetch entry point, are in `_rules.ts`, which
 * a start loads anyway: one module fewer to import (cold start, issue 15).
 *
 * @module
 */
/** What a binding pins: a local file and the SHA-256 of its bytes. */
export interface PinnedFile {
  /** The path (or `file:` URL) of the file. */
  readonly path: string | URL;
  /**
   * The file's plain SHA-256, 64 hex digits: what `sha256sum` prints.
   */
  readonly sha256: string;
}
