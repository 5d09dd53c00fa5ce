import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { createTerminalMfaPrompt } from "../../../../proxy/index.js";

const serial = "arn:aws:iam::111122223333:mfa/demo";

function terminal(): { input: PassThrough; output: PassThrough; shown: () => string } {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (chunk: Buffer) => (shown += chunk.toString("utf8")));
  return { input, output, shown: () => shown };
}

describe("createTerminalMfaPrompt", () => {
  it("asks for the device's code and returns what the person types", async () => {
    const { input, output, shown } = terminal();
    const ask = createTerminalMfaPrompt({ input, output });
    const answer = ask(serial);
    input.write(" 123456\n");
    assert.equal(await answer, "123456");
    assert.equal(shown(), `MFA code for ${serial}: `);
  });

  it("asks one question at a time", async () => {
    const { input, output, shown } = terminal();
    const ask = createTerminalMfaPrompt({ input, output });
    const first = ask(serial);
    const second = ask(serial);
    input.write("111111\n");
    assert.equal(await first, "111111");
    // The second question is asked only now, once the first was answered.
    await new Promise((resolve) => setImmediate(resolve));
    input.write("222222\n");
    assert.equal(await second, "222222");
    assert.equal(shown(), `MFA code for ${serial}: MFA code for ${serial}: `);
  });

  it("refuses an answer that is not 6 digits with 503, without echoing it", async () => {
    const { input, output } = terminal();
    const answer = createTerminalMfaPrompt({ input, output })(serial);
    input.write("12345x\n");
    await assert.rejects(answer, {
      name: "ProxyError",
      code: "MFA_CODE_UNAVAILABLE",
      status: 503,
      message: `No MFA code for ${serial}: the code must be the 6 digits the device shows`,
    });
  });

  it("gives up when nobody answers in time", async () => {
    const { input, output } = terminal();
    await assert.rejects(createTerminalMfaPrompt({ input, output, timeoutMs: 20 })(serial), {
      code: "MFA_CODE_UNAVAILABLE",
      message: `No MFA code for ${serial}: nobody answered the prompt within 0.02 s`,
    });
  });

  it("gives up when the input ends", async () => {
    const { input, output } = terminal();
    const answer = createTerminalMfaPrompt({ input, output })(serial);
    input.end();
    await assert.rejects(answer, {
      code: "MFA_CODE_UNAVAILABLE",
      message: `No MFA code for ${serial}: the terminal input ended`,
    });
  });
});
