/**
 * The two path rules the runtime needs (an absolute path, a `file:` URL's
 * path) without `node:path` or `node:url`. The first `node:` built-in a
 * process imports loads Deno's Node compatibility layer, about 5 ms of a
 * 12 ms import of `mod.ts`; the runtime graph imports none (build-time code
 * and the `node:sqlite` engine, loaded on first use, still do).
 *
 * POSIX rules are written here; on Windows (drive letters, UNC paths, `\`)
 * the module defers to `node:path` and `node:url`, loaded only there.
 *
 * @module
 */

/**
 * On Windows, `node:path` and `node:url`, loaded synchronously through
 * `process.getBuiltinModule`; elsewhere `undefined`. Not a top-level
 * `await import()`: a module that awaits at its top makes every module
 * importing it evaluate asynchronously (about 0.15 ms of a start; cold
 * start, issue 15), and `require()` refuses such a graph.
 */
const windows = Deno.build.os === "windows" ? windowsModules() : undefined;

/** Node's path and URL modules, for Windows' path rules. */
function windowsModules(): {
  path: typeof import("node:path");
  url: typeof import("node:url");
} {
  const { process } = globalThis as unknown as {
    process: { getBuiltinModule(id: string): unknown };
  };
  return {
    path: process.getBuiltinModule("node:path") as typeof import("node:path"),
    url: process.getBuiltinModule("node:url") as typeof import("node:url"),
  };
}

/**
 * Whether `path` is absolute.
 * @param path A local path.
 * @returns `true` for `/...` (or a Windows absolute path).
 */
export function isAbsolutePath(path: string): boolean {
  if (windows !== undefined) return windows.path.isAbsolute(path);
  return path.startsWith("/");
}

/**
 * `path` made absolute against the working directory and normalised (`.`,
 * `..` and repeated or trailing separators removed), as `node:path`'s
 * `resolve(path)` does. An absolute path never reads the working directory,
 * so it needs no permission.
 * @param path A local path.
 * @returns The absolute path.
 */
export function absolutePath(path: string): string {
  if (windows !== undefined) return windows.path.resolve(path);
  const joined = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * The local path of a `file:` URL, as `node:url`'s `fileURLToPath` gives
 * it: percent-decoded, refusing a host and an encoded `/`.
 * @param url A `file:` URL.
 * @returns The path.
 * @throws {TypeError} For another scheme, a host, or an encoded `/`.
 */
export function fileUrlPath(url: URL): string {
  if (windows !== undefined) return windows.url.fileURLToPath(url);
  if (url.protocol !== "file:") {
    throw new TypeError(`The URL must be of scheme file: ${url.href}`);
  }
  if (url.hostname !== "") {
    throw new TypeError(
      `File URL host must be "localhost" or empty on ${Deno.build.os}: ${url.href}`,
    );
  }
  if (/%2f/i.test(url.pathname)) {
    throw new TypeError(
      `File URL path must not include encoded / characters: ${url.href}`,
    );
  }
  return decodeURIComponent(url.pathname);
}
