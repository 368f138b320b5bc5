/**
 * The content hash of a dataset's file: what `dataset.contentHash()`
 * answers, `buildDataSet` records and `verifyDataSet` checks.
 *
 * The definition, chosen so a file can record its own hash: the SHA-256 of
 * the file's bytes in which every occurrence of the hash the file records
 * (in its build metadata, as 64 lowercase hex digits) reads as 64 ASCII
 * `0`s. A file that records no hash hashes as it is: its plain SHA-256,
 * what `sha256sum` prints. A build writes a random placeholder where the
 * hash goes, hashes the finished file with the placeholder read as `0`s,
 * and writes the hash over the placeholder: the same bytes then hash to
 * the hash they record.
 *
 * `node:crypto` (WebCrypto has no streaming digest) and `node:buffer` are
 * imported on first use, so importing the library does not load them.
 *
 * @module
 */
import { findTable } from "./_schema.ts";
import { recordedHashSql } from "./_sql_lazy.ts";
import type { Session } from "./_session.ts";
import { DataSetError } from "./errors.ts";
import { inodeOf } from "./_rules.ts";

/** Hex SHA-256: 64 lowercase hex digits. */
export const SHA256_HEX: RegExp = /^[0-9a-f]{64}$/;

/** The build metadata's table (as `METADATA_TABLE` in `metadata.ts`). */
const METADATA = "microcosm_metadata";

/** Bytes read at a time when hashing a file. */
const CHUNK = 1 << 20;

const ZEROS = new TextEncoder().encode("0".repeat(64));

/** A hash being computed: bytes in, hex out. */
interface Digest {
  update(bytes: Uint8Array): void;
  digest(): string;
}

async function sha256(): Promise<Digest> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  return {
    update: (bytes) => hash.update(bytes),
    digest: () => hash.digest("hex"),
  };
}

/**
 * Hashes a stream of chunks, reading every occurrence of `recorded` (64
 * hex digits) as 64 `0`s, and tells `found` the offset of each.
 * @param recorded The hash the bytes record, or `undefined`: then the plain
 * SHA-256.
 * @returns The hex digest.
 */
export async function hashChunks(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  recorded: string | undefined,
  found?: (offset: number) => void,
): Promise<string> {
  const hash = await sha256();
  if (recorded === undefined) {
    for await (const chunk of chunks) hash.update(chunk);
    return hash.digest();
  }
  const { Buffer } = await import("node:buffer");
  const pattern = Buffer.from(recorded, "latin1");
  // The last 63 bytes wait for the next chunk: a match may straddle two.
  let carry = new Uint8Array(0);
  let offset = 0; // of carry[0] in the stream
  for await (const chunk of chunks) {
    const bytes = new Uint8Array(carry.length + chunk.length);
    bytes.set(carry);
    bytes.set(chunk, carry.length);
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let at = view.indexOf(pattern); at !== -1;) {
      found?.(offset + at);
      bytes.set(ZEROS, at);
      at = view.indexOf(pattern, at + pattern.length);
    }
    const keep = Math.min(pattern.length - 1, bytes.length);
    hash.update(bytes.subarray(0, bytes.length - keep));
    offset += bytes.length - keep;
    carry = bytes.slice(bytes.length - keep);
  }
  hash.update(carry);
  return hash.digest();
}

/** The chunks of a file, read in 1 MiB reads from an open handle. */
async function* chunksOf(
  file: Deno.FsFile,
): AsyncGenerator<Uint8Array, void, undefined> {
  const buffer = new Uint8Array(CHUNK);
  for (;;) {
    const read = await file.read(buffer);
    if (read === null) return;
    yield buffer.subarray(0, read);
  }
}

/**
 * The content hash of the file at `path` (see the module doc), streamed.
 * @param recorded The hash the file records, or `undefined`.
 * @param identity `dev:ino` of the file the caller has open: a file
 * replaced by rename since is refused rather than hashed in its place.
 * @param found Told the offset of each occurrence of `recorded`.
 * @throws {Error} When the file at `path` is not the one of `identity`.
 */
export async function hashFile(
  path: string,
  recorded: string | undefined,
  identity?: string,
  found?: (offset: number) => void,
): Promise<string> {
  using file = await Deno.open(path, { read: true });
  if (identity !== undefined && inodeOf(await file.stat()) !== identity) {
    throw new Error(
      `the file was replaced since the dataset opened it (reopen the dataset to serve the new one): ${path}`,
    );
  }
  return await hashChunks(chunksOf(file), recorded, found);
}

/**
 * The hash a file records in its build metadata, or `undefined` when it
 * records none (not built by `buildDataSet`, or built before 0.3).
 * @throws {DataSetError} When the recorded value is not 64 hex digits.
 */
export function recordedHash(
  session: Session,
  action: string,
): string | undefined {
  const table = findTable(session, METADATA, action);
  if (table === undefined) return undefined;
  const value = session.value(recordedHashSql(table.name), ["sha256"], action);
  if (value === undefined) return undefined;
  let hash: unknown;
  try {
    hash = JSON.parse(String(value));
  } catch {
    hash = undefined;
  }
  if (typeof hash !== "string" || !SHA256_HEX.test(hash)) {
    throw new DataSetError(
      `${action}: the build metadata's sha256 is not 64 lowercase hex digits: ${
        JSON.stringify(String(value).slice(0, 80))
      }`,
      { dataset: session.dataset },
    );
  }
  return hash;
}

/**
 * Writes `hash` over each occurrence of the placeholder a build recorded,
 * at the offsets {@linkcode hashFile} found.
 */
export async function writeRecordedHash(
  path: string,
  offsets: readonly number[],
  hash: string,
): Promise<void> {
  const bytes = new TextEncoder().encode(hash);
  using file = await Deno.open(path, { read: true, write: true });
  for (const offset of offsets) {
    await file.seek(offset, Deno.SeekMode.Start);
    let written = 0;
    while (written < bytes.length) {
      written += await file.write(bytes.subarray(written));
    }
  }
}

/** A random placeholder for the hash a build records: 64 hex digits. */
export function placeholderHash(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The content hash of what `session` opened (its file, or the bytes it
 * was served from), `recorded` read as `0`s.
 * @throws {DataSetError} When the file cannot be read or was replaced.
 */
export async function hashSession(
  session: Session,
  recorded: string | undefined,
  action: string,
): Promise<string> {
  if (session.image !== undefined) {
    return await hashChunks([session.image], recorded);
  }
  try {
    return await hashFile(session.path, recorded, session.fileIdentity);
  } catch (error) {
    throw new DataSetError(
      `${action}: ${error instanceof Error ? error.message : String(error)}`,
      { dataset: session.dataset, cause: error },
    );
  }
}
