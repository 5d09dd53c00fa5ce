import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAwsSession, reportCredentialStatus } from "../../../../proxy/index.js";
import type { CredentialCheckResult } from "../../../../proxy/aws/types.js";
import {
  createCredentialsProviderError,
  createFakeAws,
  createMemoryLogger,
  createNetworkError,
  DEMO_IDENTITY,
} from "../fakes.js";

/** A recorder that keeps what it is given. */
function createListRecorder(): {
  results: CredentialCheckResult[];
  recordCredentialCheck(r: CredentialCheckResult): void;
} {
  const results: CredentialCheckResult[] = [];
  return { results, recordCredentialCheck: (result) => void results.push(result) };
}

describe("reportCredentialStatus", () => {
  it("found: logs whose credentials they are and tells the recorder the identity", async () => {
    const logger = createMemoryLogger();
    const recorder = createListRecorder();
    const session = createAwsSession(createFakeAws().deps);
    assert.deepEqual(await reportCredentialStatus(session, logger, recorder), DEMO_IDENTITY);
    assert.deepEqual(logger.lines, [`credentials identity=${DEMO_IDENTITY.arn} account=111122223333`]);
    assert.deepEqual(recorder.results, [{ outcome: "found", identity: DEMO_IDENTITY }]);
  });

  it("missing: warns what to do, with the SDK's words, and tells the recorder what to do", async () => {
    const logger = createMemoryLogger();
    const recorder = createListRecorder();
    const error = createCredentialsProviderError("Could not load credentials from any providers");
    const session = createAwsSession(createFakeAws({ credentialsError: error }).deps);
    assert.equal(await reportCredentialStatus(session, logger, recorder), undefined);
    const advice =
      "No usable AWS credentials (Could not load credentials from any providers): set AWS_PROFILE or run " +
      "`aws configure` / `aws sso login`, then retry (see --profile, --assume-role-arn)";
    assert.deepEqual(logger.lines, [
      `credentials outcome=missing message=${JSON.stringify(advice)} ` +
        'reason="Could not load credentials from any providers"',
    ]);
    assert.deepEqual(recorder.results, [{ outcome: "missing", problem: advice }]);
  });

  it("AWS unreachable: warns with the code, and tells the recorder the code and reason", async () => {
    const logger = createMemoryLogger();
    const recorder = createListRecorder();
    const session = createAwsSession(
      createFakeAws({ getCallerIdentityError: createNetworkError("ECONNREFUSED") }).deps,
    );
    assert.equal(await reportCredentialStatus(session, logger, recorder), undefined);
    assert.equal(recorder.results.length, 1);
    const [result] = recorder.results;
    assert.equal(result?.outcome, "error");
    if (result?.outcome !== "error") return;
    assert.equal(result.code, "AWS_UNREACHABLE");
    assert.deepEqual(logger.lines, [
      `credentials outcome=error code=AWS_UNREACHABLE reason=${JSON.stringify(result.problem)}`,
    ]);
  });

  it("without a recorder: logs as before", async () => {
    const logger = createMemoryLogger();
    await reportCredentialStatus(createAwsSession(createFakeAws().deps), logger);
    assert.deepEqual(logger.lines, [`credentials identity=${DEMO_IDENTITY.arn} account=111122223333`]);
  });
});
