import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { watchChildProcesses } from "../../../../proxy/aws/child-process-watch.js";

/** Runs `sh -c script` as the SDK runs a credential_process, and waits for it to end. */
function runShell(script: string): Promise<void> {
  return new Promise((resolve) => execFile("/bin/sh", ["-c", script], () => resolve()));
}

describe("watchChildProcesses", () => {
  it("notes each child's command, exit code and first stderr line, never its stdout", async () => {
    const watch = watchChildProcesses();
    const script = "echo STDOUT-SECRET; echo; echo '  first problem  ' >&2; echo second >&2; exit 4";
    await runShell(script);
    await runShell("exit 0");
    assert.deepEqual(watch.stop(), [
      { command: script, exitCode: 4, signal: undefined, firstStderrLine: "first problem" },
      { command: "exit 0", exitCode: 0, signal: undefined, firstStderrLine: "" },
    ]);
  });

  it("a child ended by a signal has no exit code but its signal", async () => {
    const watch = watchChildProcesses();
    await runShell("kill -TERM $$");
    assert.deepEqual(watch.stop(), [
      { command: "kill -TERM $$", exitCode: null, signal: "SIGTERM", firstStderrLine: "" },
    ]);
  });

  it("children started after stop() are not noted", async () => {
    const watch = watchChildProcesses();
    assert.deepEqual(watch.stop(), []);
    await runShell("exit 1");
    assert.deepEqual(watch.stop(), []);
  });
});
