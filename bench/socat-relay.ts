import type { RunningService } from "../test/helpers/service.js";
import type { ProcessGroup } from "./processes.js";

/*
 * socat as a reference relay: plain TCP, written in C, one forked child per connection copying
 * both ways with read()/write(). It shows how fast any user-space relay can move bytes on this
 * machine, whatever it is written in.
 */

/**
 * Bytes socat reads and writes at a time (`-b`; its default is 8192). 64 KiB, the size Node
 * reads a socket in, so both relays make the same number of system calls per byte.
 */
export const SOCAT_BUFFER_BYTES = 65536;

/** What the socat rows say when socat is not there. */
export const SOCAT_NOT_INSTALLED = "not measured: socat not installed (apt-get install socat)";

/**
 * Starts `socat TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork TCP:<target>`, a relay clients
 * connect to directly (it speaks no CONNECT). Resolves to undefined when socat is not installed.
 *
 * @example const relay = await startSocatRelay(processes, new URL(endpoint.url))
 */
export async function startSocatRelay(group: ProcessGroup, target: URL): Promise<RunningService | undefined> {
  try {
    return await group.startCommand("socat", {
      command: "socat",
      args: [
        // -d -d: notices, among them the port it listens on.
        "-d",
        "-d",
        "-b",
        String(SOCAT_BUFFER_BYTES),
        "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork",
        `TCP:${target.hostname}:${target.port}`,
      ],
      listening: /listening on AF=2 (127\.0\.0\.1:\d+)/,
      scheme: "tcp",
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
