import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildAuthLocation,
  MAX_TOKEN_LENGTH,
  ProtocolError,
  readAuthQuery,
} from "../../../protocol/index.js";

function rejects(search: string, code: string, message: string): void {
  assert.throws(
    () => readAuthQuery(search),
    (error: unknown) => error instanceof ProtocolError && error.code === code && error.message === message,
  );
}

describe("readAuthQuery", () => {
  it("reads token and return_url in either order", () => {
    assert.deepEqual(readAuthQuery("?return_url=%2Fa%3Fb%3D1&token=AQ%2B%3D"), {
      token: "AQ+=",
      returnUrl: "/a?b=1",
    });
    assert.deepEqual(readAuthQuery("token=AQ%3D%3D&return_url=%2F"), { token: "AQ==", returnUrl: "/" });
  });

  it("defaults return_url to /", () => {
    assert.equal(readAuthQuery("?token=AQ%3D%3D").returnUrl, "/");
    assert.equal(readAuthQuery("?token=AQ%3D%3D&return_url=").returnUrl, "/");
  });

  it("rejects a missing or empty token", () => {
    rejects("", "TOKEN_MISSING", "The token query parameter is missing");
    rejects("?token=", "TOKEN_MISSING", "The token query parameter is missing");
    rejects("?token[]=AQ%3D%3D", "TOKEN_MISSING", "The token query parameter is missing");
  });

  it("rejects a repeated token", () => {
    rejects("?token=a&token=b", "TOKEN_REPEATED", "The token query parameter is repeated");
  });

  it("rejects a repeated return_url", () => {
    rejects(
      "?token=a&return_url=%2F&return_url=%2Fx",
      "RETURN_URL_REPEATED",
      "The return_url query parameter is repeated",
    );
  });

  it("rejects an oversized token", () => {
    rejects(
      `?token=${"A".repeat(MAX_TOKEN_LENGTH + 1)}`,
      "TOKEN_TOO_LARGE",
      `The token is longer than ${MAX_TOKEN_LENGTH} characters`,
    );
  });

  it("rejects an unsafe return_url", () => {
    rejects(
      "?token=a&return_url=%2F%2Fevil.example",
      "RETURN_URL_UNSAFE",
      'return_url must be a path on this site: it starts with "//"',
    );
  });
});

describe("buildAuthLocation", () => {
  it("builds the original's Location with both values URL-encoded", () => {
    assert.equal(
      buildAuthLocation("127.0.0.1:3000", "/reports?q=a b&x=1", "AQID+/=="),
      "//127.0.0.1:3000/auth?return_url=%2Freports%3Fq%3Da%20b%26x%3D1&token=AQID%2B%2F%3D%3D",
    );
  });

  it("is read back by readAuthQuery", () => {
    const location = buildAuthLocation("app", "/x?y=1", "AQID+/==");
    const url = new URL(location, "http://app");
    assert.deepEqual(readAuthQuery(url.search), { token: "AQID+/==", returnUrl: "/x?y=1" });
  });
});
