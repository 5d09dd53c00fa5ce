import { isIPv4 } from "node:net";
import { endianness } from "node:os";

/** One end of a TCP connection: an address as Node prints it (`127.0.0.1`, `::1`) and a port. */
export interface TcpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** The fields of one row of Linux's /proc/net/tcp or /proc/net/tcp6 the proxy uses. */
export interface ProcNetTcpEntry {
  readonly local: TcpEndpoint;
  readonly remote: TcpEndpoint;
  /** The `st` column, the kernel's TCP state number (1 established, 10 listen, …). */
  readonly state: number;
  /** The effective uid of the process that created the socket. */
  readonly uid: number;
  readonly inode: number;
}

/** The order of bytes within each 32-bit word of an address, as the kernel prints it. */
export type ByteOrder = "LE" | "BE";

// `  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  0 12345 …`
// (sl, local, remote, st, tx:rx queue, tr:when, retrnsmt, uid, timeout, inode): see the kernel's
// net/ipv4/tcp_ipv4.c get_tcp4_sock() and net/ipv6/tcp_ipv6.c get_tcp6_sock().
const rowPattern =
  /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{2})\s+\S+\s+\S+\s+\S+\s+(\d+)\s+\d+\s+(\d+)/;

/**
 * Parses one row of /proc/net/tcp or /proc/net/tcp6; undefined for the header line or anything
 * that is not a row. Addresses are hex, each 32-bit word in host byte order (`byteOrder`, this
 * machine's by default); an IPv4-mapped IPv6 address is given as its IPv4 form, as Node does for
 * an IPv4 socket, so one comparison covers both tables.
 *
 * @example parseProcNetTcpLine("   1: 0100007F:B3B9 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 506736 2 0 20 0 0 10 -1", "LE")
 * // { local: { address: "127.0.0.1", port: 46009 }, remote: { address: "127.0.0.1", port: 8080 }, state: 1, uid: 1000, inode: 506736 }
 */
export function parseProcNetTcpLine(
  line: string,
  byteOrder: ByteOrder = endianness(),
): ProcNetTcpEntry | undefined {
  const match = rowPattern.exec(line);
  if (match === null) return undefined;
  const [, localHex, localPort, remoteHex, remotePort, state, uid, inode] = match as unknown as string[];
  if (localHex?.length !== remoteHex?.length) return undefined;
  return {
    local: { address: decodeAddress(localHex as string, byteOrder), port: parseInt(localPort as string, 16) },
    remote: {
      address: decodeAddress(remoteHex as string, byteOrder),
      port: parseInt(remotePort as string, 16),
    },
    state: parseInt(state as string, 16),
    uid: Number(uid),
    inode: Number(inode),
  };
}

/**
 * Parses a whole /proc/net/tcp or /proc/net/tcp6 file (header line first); rows it cannot read are skipped.
 *
 * @example parseProcNetTcp(await readFile("/proc/net/tcp", "latin1")).find((entry) => entry.local.port === 8080)
 */
export function parseProcNetTcp(text: string, byteOrder: ByteOrder = endianness()): ProcNetTcpEntry[] {
  const entries: ProcNetTcpEntry[] = [];
  for (const line of text.split("\n")) {
    const entry = parseProcNetTcpLine(line, byteOrder);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

/**
 * An address as Node writes it for a socket, in one canonical text form for comparison with
 * parsed rows: IPv4 and IPv4-mapped IPv6 as dotted quads, other IPv6 compressed and lower case.
 *
 * @example canonicalAddress("::ffff:127.0.0.1") // "127.0.0.1"
 * @example canonicalAddress("0:0:0:0:0:0:0:1") // "::1"
 */
export function canonicalAddress(address: string): string {
  if (isIPv4(address)) return address;
  let compressed: string;
  try {
    compressed = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
  // WHATWG URL serializes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (mapped === null) return compressed;
  const high = parseInt(mapped[1] as string, 16);
  const low = parseInt(mapped[2] as string, 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** The kernel's hex address (8 or 32 digits, 32-bit words in `byteOrder`) as canonical text. */
function decodeAddress(hex: string, byteOrder: ByteOrder): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = [0, 2, 4, 6].map((at) => parseInt(hex.slice(word + at, word + at + 2), 16));
    bytes.push(...(byteOrder === "LE" ? wordBytes.reverse() : wordBytes));
  }
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return canonicalAddress(groups.join(":"));
}
