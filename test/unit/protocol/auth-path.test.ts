import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkAuthPath, MAX_AUTH_PATH_LENGTH } from "../../../protocol/index.js";

const prefix = "auth-path must be a path on the app's own site: ";

describe("checkAuthPath", () => {
  for (const path of [
    "/auth",
    "/",
    "/admin/auth",
    "/login/iam/",
    "/caf%C3%A9/auth",
    "/a-b_c.d~e/x:y@z/!$&'()*+,=",
    "/.well-known/iam",
    "/...",
  ]) {
    it(`accepts ${JSON.stringify(path)} and returns it unchanged`, () => {
      assert.equal(checkAuthPath(path), path);
    });
  }

  const refused: [string, string, string][] = [
    ["empty", "", `it must be 1 to ${MAX_AUTH_PATH_LENGTH} characters`],
    [
      "too long",
      `/${"a".repeat(MAX_AUTH_PATH_LENGTH)}`,
      `it must be 1 to ${MAX_AUTH_PATH_LENGTH} characters`,
    ],
    ["an absolute URL", "https://evil.example/auth", 'it does not start with "/"'],
    ["a relative path", "auth", 'it does not start with "/"'],
    ["a network-path reference", "//evil.example/auth", 'it has an empty segment ("//")'],
    ["an empty segment inside", "/admin//auth", 'it has an empty segment ("//")'],
    ["a backslash", "/\\evil.example/auth", "it has a character that is not a plain path character"],
    ["a query", "/auth?x=1", "it has a character that is not a plain path character"],
    ["a fragment", "/auth#x", "it has a character that is not a plain path character"],
    ["a path parameter", "/..;/auth", "it has a character that is not a plain path character"],
    ["a space", "/a uth", "it has a character that is not a plain path character"],
    ["a tab", "/\tauth", "it has a character that is not a plain path character"],
    ["a newline", "/auth\n", "it has a character that is not a plain path character"],
    ["a NUL", "/auth\u0000", "it has a character that is not a plain path character"],
    ["non-ASCII", "/café", "it has a character that is not a plain path character"],
    ["a dot-dot segment", "/admin/../auth", 'it has a "." or ".." segment'],
    ["a dot segment", "/./auth", 'it has a "." or ".." segment'],
    ["a trailing dot-dot", "/admin/..", 'it has a "." or ".." segment'],
    ["an encoded dot-dot", "/admin/%2e%2E/auth", 'it has a "." or ".." segment'],
    ["a mixed encoded dot-dot", "/admin/.%2e/auth", 'it has a "." or ".." segment'],
    ["a double-encoded dot-dot", "/admin/%252e%252e/auth", 'it has a "." or ".." segment'],
    [
      "an encoded slash",
      "/admin%2F..%2Fauth",
      'it has a percent-encoded "/", "\\", ";" or control character',
    ],
    [
      "an encoded network path",
      "/%2F%2Fevil.example",
      'it has a percent-encoded "/", "\\", ";" or control character',
    ],
    [
      "an encoded backslash",
      "/%5Cevil.example",
      'it has a percent-encoded "/", "\\", ";" or control character',
    ],
    [
      "an encoded path parameter",
      "/..%3B/auth",
      'it has a percent-encoded "/", "\\", ";" or control character',
    ],
    [
      "an encoded newline",
      "/auth%0d%0aSet-Cookie:x",
      'it has a percent-encoded "/", "\\", ";" or control character',
    ],
    ["a double-encoded slash", "/a%252Fb", 'it has a percent-encoded "/", "\\", ";" or control character'],
    ["a broken percent-encoding", "/auth%zz", "it has an invalid percent-encoding"],
    ["a lone percent", "/100%", "it has an invalid percent-encoding"],
  ];
  for (const [name, path, why] of refused) {
    it(`refuses ${name} with AUTH_PATH_UNSAFE, saying why`, () => {
      assert.throws(
        () => checkAuthPath(path),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.equal((error as { code?: unknown }).code, "AUTH_PATH_UNSAFE");
          assert.equal(error.message.startsWith(`${prefix}${why}`), true, error.message);
          assert.ok(error.message.endsWith(` (got ${JSON.stringify(path.slice(0, 100))})`), error.message);
          return true;
        },
      );
    });
  }
});
