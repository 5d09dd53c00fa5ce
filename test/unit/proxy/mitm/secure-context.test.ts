import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import tls from "node:tls";
import {
  createLeafIssuer,
  createSniCallback,
  getSecureContext,
  loadOrCreateCa,
  type LeafIssuer,
  type LocalCa,
} from "../../../../proxy/mitm/index.js";

interface Handshake {
  readonly authorized: boolean;
  readonly subject: string | undefined;
  readonly subjectAltName: string | undefined;
  readonly received: string;
}

/** Connects to 127.0.0.1:port with TLS, resolves with what the client saw, rejects with the client's error. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ...options });
    socket.on("error", reject);
    socket.on("secureConnect", () => {
      const peer = socket.getPeerCertificate();
      let received = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (received += chunk));
      socket.on("end", () =>
        resolve({
          authorized: socket.authorized,
          subject: typeof peer.subject?.CN === "string" ? peer.subject.CN : undefined,
          subjectAltName: peer.subjectaltname,
          received,
        }),
      );
    });
  });
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as net.AddressInfo).port;
}

describe("TLS with leaves from the local CA", () => {
  let root = "";
  let ca: LocalCa;
  let issuer: LeafIssuer;
  const servers: net.Server[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "iam-auth-proxy-tls-"));
    ca = await loadOrCreateCa(join(root, "ca"));
    issuer = createLeafIssuer(ca);
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.close();
      await once(server, "close");
    }
  });
  after(() => rm(root, { recursive: true, force: true }));

  /** A TLS server greeting each client with the name it asked for; `clientErrors` collects failed handshakes. */
  async function startSniServer(options: Parameters<typeof createSniCallback>[1] = {}) {
    const clientErrors: Error[] = [];
    const server = tls.createServer({ SNICallback: createSniCallback(issuer, options) }, (socket) => {
      socket.on("error", () => undefined);
      socket.end(`hello ${String(socket.servername)}`);
    });
    server.on("tlsClientError", (error) => clientErrors.push(error));
    servers.push(server);
    return { port: await listen(server), clientErrors };
  }

  describe("createSniCallback", () => {
    it("completes a verified handshake for the name the client asks for", async () => {
      const { port } = await startSniServer();
      const seen = await handshake(port, { servername: "app.corp.example.com", ca: ca.certPem });
      assert.deepEqual(seen, {
        authorized: true,
        subject: "app.corp.example.com",
        subjectAltName: "DNS:app.corp.example.com",
        received: "hello app.corp.example.com",
      });
    });

    it("presents a certificate per name to clients of one server", async () => {
      const { port } = await startSniServer();
      const a = await handshake(port, { servername: "a.corp.example.com", ca: ca.certPem });
      const b = await handshake(port, { servername: "b.corp.example.com", ca: ca.certPem });
      assert.equal(a.subjectAltName, "DNS:a.corp.example.com");
      assert.equal(b.subjectAltName, "DNS:b.corp.example.com");
    });

    it("fails for a client that does not trust the CA, with a certificate error", async () => {
      const { port } = await startSniServer();
      // No `ca`: the client trusts Node's bundled public roots only.
      await assert.rejects(handshake(port, { servername: "app.corp.example.com" }), {
        code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      });
    });

    it("fails for a client that trusts the CA but expects another host", async () => {
      const { port } = await startSniServer();
      await assert.rejects(
        handshake(port, {
          servername: "app.corp.example.com",
          ca: ca.certPem,
          checkServerIdentity: (_host, cert) => tls.checkServerIdentity("other.corp.example.com", cert),
        }),
        { code: "ERR_TLS_CERT_ALTNAME_INVALID" },
      );
    });

    it("refuses names `accept` rejects with LEAF_HOST_REFUSED, so no certificate is issued for them", async () => {
      const { port, clientErrors } = await startSniServer({
        accept: (name) => name.endsWith(".corp.example.com"),
      });
      // Node ends the handshake without an alert: the client sees the connection reset.
      await assert.rejects(handshake(port, { servername: "www.example.org", ca: ca.certPem }), {
        code: "ECONNRESET",
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(clientErrors.length, 1);
      assert.equal((clientErrors[0] as Error & { code?: string }).code, "LEAF_HOST_REFUSED");
      assert.equal(clientErrors[0]?.message, 'The proxy does not intercept "www.example.org"');
      assert.equal(
        (await handshake(port, { servername: "app.corp.example.com", ca: ca.certPem })).authorized,
        true,
      );
    });

    it("ends the handshake for a name no certificate can carry (LEAF_HOST_INVALID)", async () => {
      const { port, clientErrors } = await startSniServer();
      await assert.rejects(handshake(port, { servername: "bad_host.example.com", ca: ca.certPem }), {
        code: "ECONNRESET",
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal((clientErrors[0] as Error & { code?: string }).code, "LEAF_HOST_INVALID");
      assert.equal(
        clientErrors[0]?.message,
        'Cannot issue a certificate for "bad_host.example.com": not a DNS name or IP address',
      );
    });
  });

  describe("getSecureContext", () => {
    it("serves an IP literal, for which clients send no SNI, as a socket's default context", async () => {
      const secureContext = await getSecureContext(issuer, "127.0.0.1");
      let sniCalls = 0;
      // The wiring's shape: the CONNECT target decides the default context of the intercepted socket.
      const server = net.createServer((raw) => {
        raw.on("error", () => undefined);
        const socket = new tls.TLSSocket(raw, {
          isServer: true,
          secureContext,
          SNICallback: (name, callback) => {
            sniCalls++;
            callback(new Error(`unexpected SNI ${name}`));
          },
        });
        socket.on("error", () => undefined);
        socket.on("secure", () => socket.end("hello ip"));
      });
      servers.push(server);
      const port = await listen(server);
      const seen = await handshake(port, { ca: ca.certPem });
      assert.equal(seen.authorized, true);
      assert.equal(seen.subjectAltName, "IP Address:127.0.0.1");
      assert.equal(seen.received, "hello ip");
      assert.equal(sniCalls, 0);
    });

    it("returns the same context while the host's leaf is cached", async () => {
      assert.equal(
        await getSecureContext(issuer, "app.corp.example.com"),
        await getSecureContext(issuer, "app.corp.example.com"),
      );
    });
  });
});
