import type { AddressInfo } from "node:net";
import { createGateway, type Gateway, type GatewayOptions } from "../../../gateway/index.js";

/** A gateway made with the library on 127.0.0.1:0, and its URL. */
export interface RunningGateway {
  readonly gateway: Gateway;
  readonly url: string;
}

/**
 * A gateway in front of `upstream` whose `/public` needs no session (skip-auth), so a test reaches
 * the app through it without signing in; logs discarded. `options` adds to or replaces the defaults.
 *
 * @example const { gateway, url } = await startPublicPathGateway(appOrigin, { upstreamTimeoutMs: 200 })
 */
export async function startPublicPathGateway(
  upstream: string,
  options: Partial<GatewayOptions> = {},
): Promise<RunningGateway> {
  const gateway = await createGateway({
    upstream,
    skipAuth: ["/public"],
    iamAuth: {
      accountId: "111122223333",
      sessionSecrets: ["s".repeat(40)],
      sts: { serverId: "127.0.0.1:1" },
    },
    logger: () => undefined,
    ...options,
  });
  await new Promise<void>((resolve) => gateway.server.listen(0, "127.0.0.1", resolve));
  return { gateway, url: `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}` };
}
