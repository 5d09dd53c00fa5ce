import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Request } from "express";

/** The header a request id travels in, to the app behind the gateway and back to the client. */
export const REQUEST_ID_HEADER = "x-request-id";

// Ids seen per request, so the gateway and the middleware inside it agree on one id.
const ids = new WeakMap<IncomingMessage, string>();
// What a load balancer's id looks like (UUIDs, AWS ALB's X-Amzn-Trace-Id style, hex): nothing
// that could break a log line or carry a payload.
const acceptedId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

type TrustFunction = (address: string, hop: number) => boolean;

/**
 * The request's id: the incoming `X-Request-Id` when the request came from a proxy the app
 * trusts (Express's `trust proxy`, the same setting that makes `req.ip` believe
 * `X-Forwarded-For`) and the id is well-formed, else a new UUID. Anyone else could send an id to
 * make their requests look like another's in the logs. The same request always gets the same id.
 *
 * @example const id = requestIdOf(req); // "3f0b…" or the load balancer's id
 */
export function requestIdOf(req: Request): string {
  const known = ids.get(req);
  if (known !== undefined) return known;
  const incoming = req.headers[REQUEST_ID_HEADER];
  const trust = req.app?.get("trust proxy fn") as TrustFunction | undefined;
  const trusted =
    typeof incoming === "string" &&
    acceptedId.test(incoming) &&
    trust !== undefined &&
    trust(req.socket.remoteAddress ?? "", 0);
  const id = trusted ? incoming : randomUUID();
  ids.set(req, id);
  return id;
}
