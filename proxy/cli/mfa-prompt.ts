import { createInterface } from "node:readline/promises";
import { ProxyError } from "../common/errors.js";
import type { MfaCodeReader } from "../aws/types.js";

export interface TerminalMfaPromptOptions {
  /** Where the person types: the terminal (process.stdin), or a stream in tests. */
  readonly input: NodeJS.ReadableStream;
  /** Where the question goes: process.stderr keeps stdout to log lines. */
  readonly output: NodeJS.WritableStream;
  /** How long to wait for an answer, in ms. Default 120000. */
  readonly timeoutMs?: number;
}

const mfaCodePattern = /^\d{6}$/;

/**
 * Asks for the MFA code on the terminal when AWS needs one (`--mfa-serial-number` without
 * `--mfa-token-code`): `MFA code for arn:aws:iam::…:mfa/alice: `. One question at a time; the
 * credential caches make it one per new session, not one per request. Rejects with ProxyError
 * MFA_CODE_UNAVAILABLE when the answer is not 6 digits, the input ends, or nobody answers in time.
 *
 * @example createAwsLoginDependencies({ mfa: { serialNumber }, readMfaCode: createTerminalMfaPrompt({ input: process.stdin, output: process.stderr }) })
 */
export function createTerminalMfaPrompt(options: TerminalMfaPromptOptions): MfaCodeReader {
  const timeoutMs = options.timeoutMs ?? 120_000;
  let queue: Promise<unknown> = Promise.resolve();

  const ask = async (serialNumber: string): Promise<string> => {
    const unavailable = (why: string): ProxyError =>
      new ProxyError("MFA_CODE_UNAVAILABLE", `No MFA code for ${serialNumber}: ${why}`);
    const prompt = createInterface({ input: options.input, output: options.output, terminal: false });
    const closed = new Promise<never>((_resolve, reject) =>
      prompt.once("close", () => reject(unavailable("the terminal input ended"))),
    );
    closed.catch(() => undefined);
    // A timer of our own, not AbortSignal.timeout: that one is unref'd and would not keep the wait alive.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    try {
      const answer = await Promise.race([
        prompt.question(`MFA code for ${serialNumber}: `, { signal: timeout.signal }),
        closed,
      ]);
      // The code is a one-time secret: never echo it, not even in the error.
      const code = answer.trim();
      if (!mfaCodePattern.test(code)) throw unavailable("the code must be the 6 digits the device shows");
      return code;
    } catch (error) {
      if (error instanceof ProxyError) throw error;
      if ((error as Error).name === "AbortError") {
        throw unavailable(`nobody answered the prompt within ${timeoutMs / 1000} s`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      prompt.close();
    }
  };

  return (serialNumber) => {
    const answer = queue.then(() => ask(serialNumber));
    queue = answer.catch(() => undefined);
    return answer;
  };
}
