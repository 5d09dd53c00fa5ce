import type * as Undici from "undici";
import type { Agent, Dispatcher } from "undici";

/** What the undici Agent is made with: given the loaded module, its options. */
export type AgentOptionsFactory = (undici: typeof Undici) => Agent.Options;

/**
 * The undici Agent forwarded requests go through, created on first use. Loading undici takes
 * about 100 ms (it compiles its HTTP parser), which the proxy's start-up should not wait for:
 * preload() starts it once the proxy listens, and get() hands back the Agent, or the promise of
 * it while it is still loading.
 *
 * @example const lazy = new LazyDispatcher(() => ({})); const agent = await lazy.get()
 */
export class LazyDispatcher {
  #agent: Dispatcher | undefined;
  #loading: Promise<Dispatcher> | undefined;
  #destroyed = false;

  constructor(private readonly options: AgentOptionsFactory) {}

  get(): Dispatcher | Promise<Dispatcher> {
    return this.#agent ?? (this.#loading ??= this.#load());
  }

  /** Starts loading undici in the background, so the first request does not wait for it. */
  preload(): void {
    const loaded = this.get();
    if (loaded instanceof Promise) loaded.catch(() => undefined);
  }

  /** Closes the Agent's connections; requests still on them fail. */
  destroy(): void {
    this.#destroyed = true;
    this.#agent?.destroy().catch(() => undefined);
  }

  async #load(): Promise<Dispatcher> {
    const undici = await import("undici");
    const agent = new undici.Agent(this.options(undici));
    // Destroyed while it was loading: a request that still arrives fails with undici's ClientDestroyedError.
    if (this.#destroyed) void agent.destroy().catch(() => undefined);
    this.#agent = agent;
    return agent;
  }
}
