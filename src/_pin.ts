/**
 * Pinning files by content: the SHA-256 rules shared by `{ path, sha256 }`
 * bindings and by the fetch entry point, and the names of the things that
 * are often mistaken for a database file (a Git LFS pointer, an HTML error
 * page). No network code: the core imports this.
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

const HEX64 = /^[0-9a-f]{64}$/i;

/**
 * Checks a SHA-256 given by the caller: 64 hex digits, any case; returns
 * it in lower case. `action` starts the `TypeError` message.
 */
export function checkSha256(value: unknown, action: string): string {
  if (typeof value !== "string" || !HEX64.test(value)) {
    throw new TypeError(
      `${action}: sha256 must be 64 hex digits (what sha256sum prints), got ${
        typeof value === "string" ? JSON.stringify(value) : typeof value
      }`,
    );
  }
  return value.toLowerCase();
}

/** The start of every Git LFS pointer file. */
const LFS_POINTER = "version https://git-lfs.github.com/spec/";

/**
 * Names what the first bytes of a file that is not a SQLite database are,
 * when they are something often shipped by mistake: a Git LFS pointer (the
 * repository holds the pointer, not the file) or an HTML page (a server's
 * error or login page). `undefined` for anything else.
 */
export function misplacedContent(head: Uint8Array): string | undefined {
  const text = new TextDecoder("latin1").decode(head.subarray(0, 512));
  if (text.startsWith(LFS_POINTER)) {
    const oid = /oid sha256:([0-9a-f]{64})/.exec(text)?.[1];
    return `a Git LFS pointer file${
      oid === undefined ? "" : ` (oid sha256:${oid})`
    }, not the database it points to: fetch the object (\`git lfs pull\`, or LFS in your checkout or deploy step) or bind the dataset by { url, sha256 }`;
  }
  if (/^\s*(<!doctype html|<html|<head|<body|<\?xml|<!--)/i.test(text)) {
    return "an HTML page, not a SQLite database (an error or login page served in place of the file)";
  }
  return undefined;
}
