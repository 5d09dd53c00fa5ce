/** A listening address: host and port (0: any free port). */
export interface BindAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port`, `:port` (127.0.0.1) or `[v6]:port`; undefined when it is neither.
 *
 * @example parseBindAddress("127.0.0.1:9090") // { host: "127.0.0.1", port: 9090 }
 */
export function parseBindAddress(text: string): BindAddress | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) return undefined;
  return { host: match[1] ?? (match[2] === "" || match[2] === undefined ? "127.0.0.1" : match[2]), port };
}

/** `host:port` for a URL, IPv6 in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
