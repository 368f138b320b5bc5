// A small Chrome DevTools Protocol client for the browser tests: launches
// headless Chromium on 127.0.0.1 and speaks CDP over its WebSocket. No npm
// package: the protocol needs a few commands and one event.

/** The Chromium binary on PATH, or `undefined` when none is installed. */
export async function findChromium(): Promise<string | undefined> {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    try {
      const { success } = await new Deno.Command(name, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return name;
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

/** How to install Chromium, for the message of skipped tests. */
export const INSTALL_HINT =
  "Chromium is not installed, so the browser tests are skipped; install it " +
  "with `apt-get install -y chromium` (Debian) and run them again.";

/** Flags that keep Chromium headless, sandboxed to a temp profile and off the network. */
const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--no-pings",
  "--metrics-recording-only",
  "--disable-features=Translate,OptimizationHints,MediaRouter",
  // Only 127.0.0.1 resolves: nothing else can be reached.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  "--remote-debugging-address=127.0.0.1",
  "--remote-debugging-port=0",
  "--window-size=1200,900",
];

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

/** One page of a headless Chromium, driven over CDP. */
export class Browser implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #waiters = new Map<string, (() => void)[]>();
  #id = 0;
  #session = "";

  private constructor(child: Deno.ChildProcess, socket: WebSocket) {
    this.#child = child;
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      if (message.id !== undefined) {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) {
          pending?.reject(new Error(JSON.stringify(message.error)));
        } else pending?.resolve(message.result);
        return;
      }
      const waiters = this.#waiters.get(message.method);
      if (waiters !== undefined) {
        this.#waiters.delete(message.method);
        for (const wake of waiters) wake();
      }
    };
  }

  /** Starts Chromium with a fresh profile in `profile` and opens a page. */
  static async launch(binary: string, profile: string): Promise<Browser> {
    const child = new Deno.Command(binary, {
      args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    let endpoint: string | undefined;
    while (endpoint === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      endpoint = /DevTools listening on (ws:\/\/127\.0\.0\.1\S+)/.exec(text)
        ?.[1];
    }
    // Keep draining stderr so Chromium never blocks on it.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* drained */ }
      } catch { /* closed */ }
    })();
    if (endpoint === undefined) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`Chromium did not start:\n${text}`);
    }
    const socket = new WebSocket(endpoint);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const browser = new Browser(child, socket);
    const { targetId } = await browser.#send("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await browser.#send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    browser.#session = sessionId as string;
    await browser.send("Page.enable");
    return browser;
  }

  #send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({
        id,
        method,
        params,
        ...(sessionId === undefined ? {} : { sessionId }),
      }));
    });
  }

  /** Sends a command to the page. */
  send(
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    return this.#send(method, params, this.#session);
  }

  /** Resolves at the next event of that name. */
  next(method: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.#waiters.get(method) ?? [];
      list.push(resolve);
      this.#waiters.set(method, list);
    });
  }

  /** Loads a URL and waits for its load event. */
  async goto(url: string): Promise<void> {
    const loaded = this.next("Page.loadEventFired");
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /** Runs `action` (which navigates) and waits for the new page's load. */
  async navigating(action: () => Promise<unknown>): Promise<void> {
    const loaded = this.next("Page.loadEventFired");
    await action();
    await loaded;
  }

  /** Evaluates an expression in the page and returns its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value: T }; exceptionDetails?: unknown };
    if (exceptionDetails !== undefined) {
      throw new Error(`evaluate failed: ${JSON.stringify(exceptionDetails)}`);
    }
    return result.value;
  }

  /** A PNG screenshot of the page. */
  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.send("Page.captureScreenshot", {
      format: "png",
    });
    return Uint8Array.fromBase64(data as string);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const closed = new Promise((resolve) => this.#socket.onclose = resolve);
    this.#socket.close();
    await closed;
    this.#child.kill("SIGKILL");
    await this.#child.status;
  }
}
