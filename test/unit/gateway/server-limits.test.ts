import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkServerLimits,
  createLimitedServer,
  DEFAULT_SERVER_LIMITS,
  type ServerLimits,
} from "../../../gateway/index.js";

const flagNames: Record<keyof ServerLimits, string> = {
  headersTimeoutMs: "--headers-timeout",
  requestTimeoutMs: "--request-timeout",
  keepAliveTimeoutMs: "--keep-alive-timeout",
  maxConnections: "--max-connections",
};

describe("checkServerLimits", () => {
  it("without values, gives the secure defaults: a 15 s head, a 5 min request, 5 s idle, 1,000 connections", () => {
    const problems: string[] = [];
    assert.deepEqual(checkServerLimits({}, flagNames, "s", problems), {
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1_000,
    });
    assert.deepEqual(DEFAULT_SERVER_LIMITS, checkServerLimits({}, flagNames, "ms", problems));
    assert.deepEqual(problems, []);
  });

  it("when given in seconds (flags, variables), keeps them in ms; counts stay counts", () => {
    const problems: string[] = [];
    const limits = checkServerLimits(
      { headersTimeoutMs: 2.5, requestTimeoutMs: 0, keepAliveTimeoutMs: 30, maxConnections: 5 },
      flagNames,
      "s",
      problems,
    );
    assert.deepEqual(limits, {
      headersTimeoutMs: 2_500,
      requestTimeoutMs: 0,
      keepAliveTimeoutMs: 30_000,
      maxConnections: 5,
    });
    assert.deepEqual(problems, []);
  });

  it("reports every bad value at once, naming it and the range in the unit it was given in", () => {
    const problems: string[] = [];
    checkServerLimits(
      { headersTimeoutMs: 0, requestTimeoutMs: "soon", keepAliveTimeoutMs: 0, maxConnections: 2.5 },
      flagNames,
      "s",
      problems,
    );
    assert.deepEqual(problems, [
      "--headers-timeout: must be seconds from 1 to 600 (got 0)",
      '--request-timeout: must be seconds from 0 to 86400 (got "soon")',
      "--keep-alive-timeout: must be seconds from 0.1 to 600 (got 0)",
      "--max-connections: must be a whole number of connections from 1 to 1000000 (got 2.5)",
    ]);
  });

  it("when the head may take longer than the whole request, says which to change", () => {
    const problems: string[] = [];
    checkServerLimits({ headersTimeoutMs: 60_000, requestTimeoutMs: 30_000 }, namesInMs, "ms", problems);
    assert.deepEqual(problems, [
      "serverLimits.headersTimeoutMs: must not be longer than serverLimits.requestTimeoutMs (the head is part of the request); raise serverLimits.requestTimeoutMs or set it to 0",
    ]);
  });
});

const namesInMs: Record<keyof ServerLimits, string> = {
  headersTimeoutMs: "serverLimits.headersTimeoutMs",
  requestTimeoutMs: "serverLimits.requestTimeoutMs",
  keepAliveTimeoutMs: "serverLimits.keepAliveTimeoutMs",
  maxConnections: "serverLimits.maxConnections",
};

describe("createLimitedServer", () => {
  it("sets every limit on the server it makes", () => {
    const server = createLimitedServer({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 0,
      keepAliveTimeoutMs: 7_000,
      maxConnections: 3,
    });
    assert.equal(server.headersTimeout, 2_000);
    assert.equal(server.requestTimeout, 0);
    assert.equal(server.keepAliveTimeout, 7_000);
    assert.equal(server.maxConnections, 3);
    server.close();
  });
});
