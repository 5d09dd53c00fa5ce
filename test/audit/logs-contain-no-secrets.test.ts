import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { demoAccount } from "../../local-aws/demo-account.js";
import { testLogsDir } from "../helpers/service.js";

// Runs after every other test file (scripts/run-tests.mjs orders it last). Every process the
// end-to-end tests started wrote its output under test-logs/, and every local AWS recorded the
// secrets it knew or issued (secret keys, session tokens, KMS plaintexts) in aws-secrets.json;
// suites that give a server secrets of its own (a gateway's session secret, an example server's
// SECRET_KEY) record them in <name>-secrets.json beside it. No log line may contain any of them.

/**
 * The text of a log as a reader sees it: the raw bytes, plus every string value of its JSON lines
 * decoded (a JSON logger may escape characters, e.g. "\u002f" for "/", and a raw grep for the
 * secret would then miss it).
 */
function readableText(raw: string): string {
  const decoded: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === "string") decoded.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(collect);
  };
  for (const line of raw.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      collect(JSON.parse(line));
    } catch {
      // Not a JSON line: the raw text covers it.
    }
  }
  return `${raw}\n${decoded.join("\n")}`;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe("logs written during the test run", () => {
  const files = listFiles(testLogsDir);
  const logFiles = files.filter((file) => file.endsWith(".log"));
  const secretFiles = files.filter((file) => file.endsWith("secrets.json"));
  const secrets = new Set<string>(Object.values(demoAccount.users).map((user) => user.secretAccessKey));
  for (const file of secretFiles) {
    const recorded = JSON.parse(readFileSync(file, "utf8")) as { secrets: string[] };
    for (const secret of recorded.secrets) if (secret.length >= 8) secrets.add(secret);
  }

  it("exist, so the audit below has something to read", () => {
    assert.ok(
      logFiles.length >= 3,
      `expected the e2e suites' logs under ${testLogsDir}, found ${logFiles.length}`,
    );
    assert.ok(
      secretFiles.some((file) => file.endsWith("aws-secrets.json")),
      "expected at least one aws-secrets.json recorded by an e2e suite",
    );
    // The gateway's logs are audited too, the hostile-input suites' among them.
    assert.ok(
      logFiles.some((file) => /gateway[^/]*\.log$/.test(file)),
      "expected the gateway's logs among the audited files",
    );
    // Session tokens issued during logins must be among the audited secrets.
    assert.ok(
      secrets.size > Object.keys(demoAccount.users).length,
      "no issued session secrets were recorded",
    );
  });

  it("contain no secret access key, session token or KMS plaintext", () => {
    const leaks: string[] = [];
    for (const file of logFiles) {
      const text = readableText(readFileSync(file, "utf8"));
      for (const secret of secrets) {
        if (text.includes(secret)) leaks.push(`${file} contains a secret starting ${secret.slice(0, 4)}…`);
      }
    }
    assert.deepEqual(leaks, []);
  });

  it("include JSON logs, whose string values it decodes (the gateway's and the example server's audit events)", () => {
    const jsonAudit = logFiles.some((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .some((line) => line.startsWith("{") && line.includes('"event":"audit"')),
    );
    assert.ok(jsonAudit, "no JSON audit event found in the test logs");
    assert.equal(readableText('{"a":"x\\u002fy"}').includes("x/y"), true);
  });
});
