import type { AwsAgents } from "../../aws/types.js";
import { formatHostPort } from "../../http/bind-address.js";
import type { SocksEndpoint } from "../../upstream/socks-connector.js";

/** The agents the AWS SDK connects through for `--aws-via-socks`, and how to close their connections. */
export interface AwsSocksAgents extends AwsAgents {
  destroy(): void;
}

/**
 * Agents that send the proxy's own AWS calls (STS, KMS) through the SOCKS5 server, for
 * `--aws-via-socks`: `socks5h://`, so AWS's host names are resolved at the far side, as the
 * apps' are (a VPC endpoint's name may resolve only there). TLS to AWS is verified as usual.
 * socks-proxy-agent is loaded here, only when the flag is given.
 *
 * @example createAwsLoginDependencies({ agents: await createAwsSocksAgents(parseSocksEndpoint("127.0.0.1:1080")) })
 */
export async function createAwsSocksAgents(socks: SocksEndpoint): Promise<AwsSocksAgents> {
  const { SocksProxyAgent } = await import("socks-proxy-agent");
  const url = `socks5h://${formatHostPort(socks.hostname, socks.port)}`;
  const http = new SocksProxyAgent(url, { keepAlive: true });
  const https = new SocksProxyAgent(url, { keepAlive: true });
  return {
    http,
    // socks-proxy-agent opens TLS itself for https requests (verified as Node's https.Agent would).
    https,
    destroy() {
      http.destroy();
      https.destroy();
    },
  };
}
