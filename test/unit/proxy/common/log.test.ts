import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createStreamLogger } from "../../../../proxy/common/log.js";

function sinks(): { out: string[]; err: string[]; sink: (into: string[]) => { write(chunk: string): void } } {
  return { out: [], err: [], sink: (into) => ({ write: (chunk) => void into.push(chunk) }) };
}

describe("createStreamLogger", () => {
  it("text (the default): <time> <event> key=value lines, info to out and warnings to err", () => {
    const { out, err, sink } = sinks();
    const logger = createStreamLogger(sink(out), sink(err));
    logger.info("listening", { url: "http://127.0.0.1:8080" });
    logger.warn("exposed", { bind: "0.0.0.0:8080" });
    assert.match(out.join(""), /^\S+Z listening url=http:\/\/127\.0\.0\.1:8080\n$/);
    assert.match(err.join(""), /^\S+Z exposed bind=0\.0\.0\.0:8080\n$/);
  });

  it("json: one JSON object per line with level, ISO time, event, the fields and a message that reads like the text line", () => {
    const { out, err, sink } = sinks();
    const logger = createStreamLogger(sink(out), sink(err), "json");
    logger.info("listening", { url: "http://127.0.0.1:8080", mode: undefined });
    logger.warn("exposed", { bind: "0.0.0.0:8080" });
    assert.equal(out.length, 1);
    assert.ok(out[0]?.endsWith("}\n"));
    const info = JSON.parse(out[0] ?? "") as Record<string, unknown>;
    assert.match(String(info.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(
      { ...info, time: "T" },
      {
        level: "info",
        time: "T",
        event: "listening",
        url: "http://127.0.0.1:8080",
        msg: "listening url=http://127.0.0.1:8080",
      },
    );
    const warning = JSON.parse(err[0] ?? "") as Record<string, unknown>;
    assert.deepEqual([warning.level, warning.event, warning.bind], ["warn", "exposed", "0.0.0.0:8080"]);
  });
});
