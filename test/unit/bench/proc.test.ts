import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseProcStat, parseTimeWaitSockets } from "../../../bench/proc.js";

describe("parseProcStat", () => {
  it("reads the parent pid and the CPU times of the process and of its waited-for children", () => {
    const line =
      "4450 (socat) S 7 4450 7 0 -1 4194560 120 0 0 0 31 47 5 6 20 0 1 0 1089881 3133440 390 18446744073709551615\n";
    assert.deepEqual(parseProcStat(line), { ppid: 7, utime: 31, stime: 47, cutime: 5, cstime: 6 });
  });

  it("when the command name holds spaces and parentheses, counts fields after the last one", () => {
    const line = "12 (node (x) y) R 3 12 3 0 -1 0 0 0 0 0 100 200 0 0 20 0 1 0 5 0 0";
    assert.equal(parseProcStat(line).utime, 100);
    assert.equal(parseProcStat(line).ppid, 3);
  });

  it("when the line is cut short, throws instead of returning NaN", () => {
    assert.throws(() => parseProcStat("12 (node) R 3 12"), /no number in field 14/);
  });
});

describe("parseTimeWaitSockets", () => {
  it("reads the tw count from the TCP line of /proc/net/sockstat", () => {
    const text =
      "sockets: used 312\nTCP: inuse 9 orphan 0 tw 13670 alloc 40 mem 3\nUDP: inuse 0 mem 0\nUDPLITE: inuse 0\n";
    assert.equal(parseTimeWaitSockets(text), 13670);
  });

  it("says undefined for text without a TCP line", () => {
    assert.equal(parseTimeWaitSockets("sockets: used 312\nUDP: inuse 0 mem 0\n"), undefined);
  });
});
