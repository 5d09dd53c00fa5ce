import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { createEventLogger, isLoggerOption } from "../../../../server-middleware/operations/log.js";

const clock = (): Date => new Date("2030-01-01T00:00:00.000Z");

describe("createEventLogger", () => {
  it("with a line writer (the original logger option): one text line per event, undefined fields left out", () => {
    const lines: string[] = [];
    createEventLogger((line) => lines.push(line), clock)("audit", {
      action: "sign-in",
      reason: undefined,
      message: "two words",
    });
    assert.deepEqual(lines, ['2030-01-01T00:00:00.000Z audit action=sign-in message="two words"']);
  });

  it("with a pino logger: one JSON object per event, with event, the fields and pino's level and time", () => {
    const written: string[] = [];
    const logger = pino({ base: undefined }, { write: (line: string) => void written.push(line) });
    createEventLogger(logger, clock)("audit", { action: "sign-in", status: 302, reason: undefined });
    assert.equal(written.length, 1);
    const record = JSON.parse(written[0] ?? "") as Record<string, unknown>;
    assert.deepEqual(
      { ...record, time: typeof record.time },
      { level: 30, time: "number", event: "audit", action: "sign-in", status: 302, msg: "audit" },
    );
  });
});

describe("isLoggerOption", () => {
  it("accepts a function and an object with info(), nothing else", () => {
    assert.equal(
      isLoggerOption(() => undefined),
      true,
    );
    assert.equal(isLoggerOption({ info: () => undefined }), true);
    assert.equal(isLoggerOption("stdout"), false);
    assert.equal(isLoggerOption(null), false);
    assert.equal(isLoggerOption({ log: () => undefined }), false);
  });
});
