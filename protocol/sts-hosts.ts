/**
 * Hosts of the real AWS STS endpoints a presigned GetCallerIdentity may point at. The server
 * sends the proof's request itself, so a host outside this list would let a client make the
 * server call (and trust) any URL it likes.
 */
const region = String.raw`[a-z]{2}(?:-[a-z]+)+-\d{1,2}`;
const stsHostPatterns: readonly RegExp[] = [
  /^sts\.amazonaws\.com$/, // global endpoint
  new RegExp(String.raw`^sts(?:-fips)?\.${region}\.amazonaws\.com$`), // regional and FIPS (incl. GovCloud)
  new RegExp(String.raw`^sts(?:-fips)?\.${region}\.api\.aws$`), // dual-stack
  new RegExp(String.raw`^sts\.${region}\.amazonaws\.com\.cn$`), // China
  new RegExp(
    String.raw`^sts\.${region}\.(?:c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`,
  ), // ISO partitions
  new RegExp(String.raw`^sts\.${region}\.amazonaws\.eu$`), // European Sovereign Cloud
];

/**
 * True when `host` (lower-case, no port) is a real AWS STS endpoint.
 *
 * @example isAwsStsHost("sts.eu-west-1.amazonaws.com") // true
 */
export function isAwsStsHost(host: string): boolean {
  return stsHostPatterns.some((pattern) => pattern.test(host));
}

/**
 * The region a regional STS host serves, or undefined for the global endpoint.
 *
 * @example regionOfStsHost("sts-fips.us-east-2.amazonaws.com") // "us-east-2"
 */
export function regionOfStsHost(host: string): string | undefined {
  return new RegExp(String.raw`^sts(?:-fips)?\.(${region})\.`).exec(host)?.[1];
}
