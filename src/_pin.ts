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

/** The round constants: the first 32 bits of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/**
 * A streaming SHA-256 (FIPS 180-4), written here because the runtime entry
 * point does not load `node:crypto` (build-time code) and WebCrypto hashes
 * only a whole buffer: a pinned file is hashed in chunks, never held whole.
 */
export class Sha256 {
  readonly #state = new Int32Array([
    0x6a09e667,
    0xbb67ae85,
    0x3c6ef372,
    0xa54ff53a,
    0x510e527f,
    0x9b05688c,
    0x1f83d9ab,
    0x5be0cd19,
  ]);
  readonly #w = new Int32Array(64);
  readonly #block = new Uint8Array(64);
  #filled = 0;
  #length = 0;

  /** Adds bytes to the message. */
  update(bytes: Uint8Array): this {
    let offset = 0;
    this.#length += bytes.length;
    if (this.#filled > 0) {
      const take = Math.min(64 - this.#filled, bytes.length);
      this.#block.set(bytes.subarray(0, take), this.#filled);
      this.#filled += take;
      offset = take;
      if (this.#filled < 64) return this;
      this.#compress(this.#block, 0);
      this.#filled = 0;
    }
    for (; offset + 64 <= bytes.length; offset += 64) {
      this.#compress(bytes, offset);
    }
    if (offset < bytes.length) {
      this.#block.set(bytes.subarray(offset));
      this.#filled = bytes.length - offset;
    }
    return this;
  }

  /** The digest in lower-case hex; the state is spent. */
  hex(): string {
    const bits = this.#length * 8;
    const tail = new Uint8Array(this.#filled < 56 ? 64 : 128);
    tail.set(this.#block.subarray(0, this.#filled));
    tail[this.#filled] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(tail.length - 4, bits >>> 0);
    for (let i = 0; i < tail.length; i += 64) this.#compress(tail, i);
    let hex = "";
    for (const word of this.#state) {
      hex += (word >>> 0).toString(16).padStart(8, "0");
    }
    return hex;
  }

  #compress(bytes: Uint8Array, at: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++) {
      const j = at + i * 4;
      w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) |
        bytes[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^
        (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    const s = this.#state;
    let a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!;
    let e = s[4]!, f = s[5]!, g = s[6]!, h = s[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^
        ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^
        ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    s[0] = (s[0]! + a) | 0;
    s[1] = (s[1]! + b) | 0;
    s[2] = (s[2]! + c) | 0;
    s[3] = (s[3]! + d) | 0;
    s[4] = (s[4]! + e) | 0;
    s[5] = (s[5]! + f) | 0;
    s[6] = (s[6]! + g) | 0;
    s[7] = (s[7]! + h) | 0;
  }
}

/**
 * The SHA-256 of a file, streamed in 1 MiB reads (never the whole file in
 * memory), in lower-case hex.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = new Sha256();
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.hex();
}
