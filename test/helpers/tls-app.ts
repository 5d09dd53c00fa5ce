import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLeafIssuer, loadOrCreateCa } from "../../proxy/mitm/index.js";

/** A certificate authority made for one test run: trust it by passing `certPem` as `ca`, never by turning verification off. */
export interface TestCa {
  /** The CA certificate, PEM. */
  readonly certPem: string;
  /** A leaf certificate and key for `host` (a DNS name or IP address), PEM. */
  issue(host: string): Promise<{ readonly cert: string; readonly key: string }>;
}

/**
 * Creates a throwaway CA with the proxy's own CA code (EC P-256, generated at run time); its files
 * are deleted at once, the key stays in memory.
 *
 * @example const ca = await createTestCa(); const { cert, key } = await ca.issue("localhost")
 */
export async function createTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), "iam-auth-proxy-test-ca-"));
  try {
    const ca = await loadOrCreateCa(join(dir, "ca"), { hostname: "test" });
    const issuer = createLeafIssuer(ca);
    return {
      certPem: ca.certPem,
      issue: async (host) => {
        const leaf = await issuer.issue(host);
        return { cert: leaf.cert, key: leaf.key };
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An HTTPS server on 127.0.0.1, addressed as `https://<host>:<port>`. */
export interface TlsApp {
  readonly server: Server;
  readonly port: number;
  /** e.g. `https://localhost:41234`. */
  readonly origin: string;
  /** `host:port`, the authority clients address it by (its STS server-id). */
  readonly authority: string;
  /** Answers requests with `handler` from now on (it can be set once the port is known). */
  setHandler(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

/**
 * Starts an HTTPS server on 127.0.0.1, port 0, with a certificate for `host` issued by `ca`.
 * Until setHandler is called it answers 503.
 *
 * @example const app = await startTlsApp(ca, "localhost"); app.setHandler(expressApp)
 */
export async function startTlsApp(ca: TestCa, host = "localhost"): Promise<TlsApp> {
  const { cert, key } = await ca.issue(host);
  let handler = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(503).end("no handler yet\n");
  };
  const server = createServer({ cert, key }, (req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `https://${host}:${port}`,
    authority: `${host}:${port}`,
    setHandler: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
