import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalAddress,
  parseProcNetTcp,
  parseProcNetTcpLine,
} from "../../../../proxy/http/proc-net-tcp.js";

// Rows as a little-endian (x86-64, arm64) Linux kernel writes them.
const tcpFile = [
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ",
  "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 506607 1 0000000042c84e42 100 0 0 10 0                    ",
  "   1: 0100007F:B3B9 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 506736 2 0000000046a0f0eb 20 0 0 10 -1                   ",
  "   2: 0100007F:1F90 0100007F:B3B9 01 00000000:00000000 00:00000000 00000000     0        0 506737 1 000000001184cb11 20 0 0 10 -1                   ",
  "",
].join("\n");

const tcp6File = [
  "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 00000000000000000000000001000000:B82A 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000 65534        0 506736 2 0000000046a0f0eb 20 0 0 10 -1",
  // An IPv6 socket connected to 127.0.0.1:8080 (::ffff:127.0.0.1, IPv4-mapped).
  "   1: 0000000000000000FFFF00000100007F:C001 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 506740 1 0000000046a0f0eb 20 0 0 10 -1",
  // fe80::1:2 as the kernel prints it: each 32-bit word byte-swapped.
  "   2: 000080FE000000000000000002000100:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000046a0f0eb 100 0 0 10 0",
].join("\n");

describe("parseProcNetTcpLine", () => {
  it("reads an IPv4 row: addresses in host byte order, ports in hex, st in hex, uid and inode in decimal", () => {
    assert.deepEqual(parseProcNetTcpLine(tcpFile.split("\n")[2] ?? "", "LE"), {
      local: { address: "127.0.0.1", port: 46009 },
      remote: { address: "127.0.0.1", port: 8080 },
      state: 1,
      uid: 1000,
      inode: 506736,
    });
  });

  it("reads a listening row (st 0A) with the any address", () => {
    const entry = parseProcNetTcpLine(tcpFile.split("\n")[1] ?? "", "LE");
    assert.deepEqual(entry?.remote, { address: "0.0.0.0", port: 0 });
    assert.equal(entry?.state, 10);
    assert.equal(entry?.uid, 0);
  });

  it("reads an IPv6 row, each 32-bit word in host byte order", () => {
    assert.deepEqual(parseProcNetTcpLine(tcp6File.split("\n")[1] ?? "", "LE"), {
      local: { address: "::1", port: 47146 },
      remote: { address: "::1", port: 8080 },
      state: 1,
      uid: 65534,
      inode: 506736,
    });
    assert.equal(parseProcNetTcpLine(tcp6File.split("\n")[3] ?? "", "LE")?.local.address, "fe80::1:2");
  });

  it("gives an IPv4-mapped IPv6 address in its IPv4 form", () => {
    const entry = parseProcNetTcpLine(tcp6File.split("\n")[2] ?? "", "LE");
    assert.deepEqual(
      [entry?.local, entry?.remote, entry?.uid],
      [{ address: "127.0.0.1", port: 49153 }, { address: "127.0.0.1", port: 8080 }, 1001],
    );
  });

  it("reads a big-endian kernel's rows as written", () => {
    const line =
      "   1: 7F000001:B3B9 7F000001:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 506736 2";
    assert.deepEqual(parseProcNetTcpLine(line, "BE")?.local, { address: "127.0.0.1", port: 46009 });
    const line6 =
      "   0: 00000000000000000000000000000001:B82A 00000000000000000000000000000001:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 1 2";
    assert.deepEqual(parseProcNetTcpLine(line6, "BE")?.remote, { address: "::1", port: 8080 });
  });

  it("gives undefined for the header, a blank line and malformed rows", () => {
    for (const line of [
      tcpFile.split("\n")[0] ?? "",
      "",
      "   1: 0100007F:B3B9",
      "   1: 0100007F:B3B9 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1000 0 1",
      "   1: 0100007G:B3B9 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000 0 1",
      "   1: 0100007F:B3B9 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  -1 0 1",
    ]) {
      assert.equal(parseProcNetTcpLine(line, "LE"), undefined, line);
    }
  });
});

describe("parseProcNetTcp", () => {
  it("reads every row of a file and skips its header", () => {
    assert.deepEqual(
      parseProcNetTcp(tcpFile, "LE").map((entry) => [entry.local.port, entry.remote.port, entry.uid]),
      [
        [8080, 0, 0],
        [46009, 8080, 1000],
        [8080, 46009, 0],
      ],
    );
  });
});

describe("canonicalAddress", () => {
  it("keeps IPv4 as it is and writes IPv4-mapped IPv6 as IPv4", () => {
    assert.equal(canonicalAddress("127.0.0.1"), "127.0.0.1");
    assert.equal(canonicalAddress("::ffff:127.0.0.1"), "127.0.0.1");
    assert.equal(canonicalAddress("::FFFF:7f00:2"), "127.0.0.2");
  });
  it("compresses IPv6 and writes it in lower case", () => {
    assert.equal(canonicalAddress("0:0:0:0:0:0:0:1"), "::1");
    assert.equal(canonicalAddress("FE80:0:0:0:0:0:1:2"), "fe80::1:2");
  });
});
