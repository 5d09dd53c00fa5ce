import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withReplyDeadline } from "../../../../server-middleware/stores/reply-deadline.js";

/** A client whose commands were sent and are never answered: a hung Redis (SIGSTOP) as node-redis sees it. */
const hung = {
  set: () => new Promise<unknown>(() => undefined),
  exists: () => new Promise<number>(() => undefined),
  ping: () => new Promise<unknown>(() => undefined),
};

// Issue 15's fault matrix: with Redis stopped by SIGSTOP, /auth waited for ever (node-redis's
// command timeout ends once the command is written), so the person's proxy gave up after 30 s.
describe("withReplyDeadline", () => {
  it("fails a command that gets no reply within the deadline, for each command the stores send", async () => {
    const commands = withReplyDeadline(hung, 20);
    const expected = (command: string) => ({
      name: "TimeoutError",
      message: `Redis did not answer ${command} within 20 ms`,
    });
    await assert.rejects(
      commands.set("k", "1", { condition: "NX", expiration: { type: "PX", value: 1000 } }),
      expected("SET"),
    );
    await assert.rejects(commands.exists("k"), expected("EXISTS"));
    await assert.rejects(commands.ping(), expected("PING"));
  });

  it("passes replies and errors that come in time through unchanged", async () => {
    const refused = new Error("OOM command not allowed");
    const commands = withReplyDeadline(
      {
        set: () => Promise.resolve("OK"),
        exists: () => Promise.resolve(1),
        ping: () => Promise.reject(refused),
      },
      1000,
    );
    assert.equal(
      await commands.set("k", "1", { condition: "NX", expiration: { type: "PX", value: 1000 } }),
      "OK",
    );
    assert.equal(await commands.exists("k"), 1);
    await assert.rejects(commands.ping(), refused);
  });
});
