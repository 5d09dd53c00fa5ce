import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeXml, renderStsError, renderStsResult } from "../../../local-aws/sts-render.js";

describe("escapeXml", () => {
  it("escapes markup characters and replaces characters XML forbids", () => {
    assert.equal(
      escapeXml(`<a href="x">'&'</a>\u0001`),
      "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;\uFFFD",
    );
  });
});

describe("renderStsResult", () => {
  const result = {
    Credentials: { AccessKeyId: "ASIA<1>", Expiration: new Date("2024-01-02T03:04:05.000Z") },
  };

  it("renders awsQuery XML with escaped values and ISO timestamps", () => {
    assert.equal(
      renderStsResult("xml", "GetSessionToken", result, "req-1"),
      '<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
        "  <GetSessionTokenResult>\n" +
        "    <Credentials>\n" +
        "      <AccessKeyId>ASIA&lt;1&gt;</AccessKeyId>\n" +
        "      <Expiration>2024-01-02T03:04:05.000Z</Expiration>\n" +
        "    </Credentials>\n" +
        "  </GetSessionTokenResult>\n" +
        "  <ResponseMetadata>\n    <RequestId>req-1</RequestId>\n  </ResponseMetadata>\n" +
        "</GetSessionTokenResponse>\n",
    );
  });

  it("renders AWS's JSON shape with epoch-second timestamps", () => {
    assert.deepEqual(JSON.parse(renderStsResult("json", "GetSessionToken", result, "req-1")), {
      GetSessionTokenResponse: {
        GetSessionTokenResult: { Credentials: { AccessKeyId: "ASIA<1>", Expiration: 1704164645 } },
        ResponseMetadata: { RequestId: "req-1" },
      },
    });
  });
});

describe("renderStsError", () => {
  it("renders the ErrorResponse document", () => {
    assert.equal(
      renderStsError("xml", "AccessDenied", "User: <x> denied", "req-2"),
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
        "  <Error>\n    <Type>Sender</Type>\n    <Code>AccessDenied</Code>\n" +
        "    <Message>User: &lt;x&gt; denied</Message>\n  </Error>\n" +
        "  <RequestId>req-2</RequestId>\n</ErrorResponse>\n",
    );
  });

  it("renders the JSON error shape", () => {
    assert.deepEqual(JSON.parse(renderStsError("json", "ExpiredToken", "expired", "req-3")), {
      Error: { Type: "Sender", Code: "ExpiredToken", Message: "expired" },
      RequestId: "req-3",
    });
  });
});
