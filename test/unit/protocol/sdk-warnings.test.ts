import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createSdkWarningLogger,
  describeProcessWarning,
  reportProcessWarnings,
  type WarningFields,
} from "../../../protocol/index.js";

// The two texts as the AWS SDK writes them (@aws-sdk/core, @aws-sdk/credential-provider-node).
const nodeVersionText = `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
versions published after the first week of January 2027
will require node >=22. You are running node v20.20.2.

More information can be found at: https://a.co/c895JFp`;
const multipleSourcesText = `@aws-sdk/credential-provider-node - defaultProvider::fromEnv WARNING:
    Multiple credential sources detected: 
    Both AWS_PROFILE and the pair AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY static credentials are set.
    This SDK will proceed with the AWS_PROFILE value.
`;

describe("describeProcessWarning", () => {
  it("the SDK's NodeVersionSupportWarning (emitted with only a text): named after its prefix, one line", () => {
    assert.deepEqual(describeProcessWarning(Object.assign(new Error(nodeVersionText), { name: "Warning" })), {
      name: "NodeVersionSupportWarning",
      message:
        "The AWS SDK for JavaScript (v3) versions published after the first week of January 2027 will require " +
        "node >=22. You are running node v20.20.2. More information can be found at: https://a.co/c895JFp",
    });
  });

  it("a warning with its own type keeps it", () => {
    assert.deepEqual(
      describeProcessWarning(Object.assign(new Error("a\n  b"), { name: "DeprecationWarning" })),
      { name: "DeprecationWarning", message: "a b" },
    );
  });
});

describe("createSdkWarningLogger", () => {
  it("re-emits the SDK's warnings as one-line process warnings; drops debug, info and error", () => {
    const emitted: [string, string][] = [];
    const logger = createSdkWarningLogger((message, type) => emitted.push([message, type]));
    logger.debug("@smithy/property-provider -> Could not load credentials");
    logger.info({ clientName: "KMSClient", input: { CiphertextBlob: "secret" } });
    logger.error({ clientName: "KMSClient", input: { CiphertextBlob: "secret" } });
    logger.warn(multipleSourcesText);
    logger.warn("something\nelse");
    assert.deepEqual(emitted, [
      [
        "a profile is named (--profile or AWS_PROFILE) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set too: " +
          "the AWS SDK uses the profile and ignores the keys; unset one of them",
        "MultipleCredentialSourcesWarning",
      ],
      ["something else", "AwsSdkWarning"],
    ]);
  });
});

describe("reportProcessWarnings", () => {
  it("reports each process warning once, as its fields, instead of Node's lines", async () => {
    const reported: WarningFields[] = [];
    reportProcessWarnings((fields) => reported.push(fields));
    process.emitWarning("first\nsecond", "TestWarning");
    // Node emits warnings on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(reported, [{ name: "TestWarning", message: "first second" }]);
    assert.equal(process.listenerCount("warning"), 1);
  });
});
