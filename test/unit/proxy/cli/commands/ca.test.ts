import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fingerprintOf } from "../../../../../proxy/cli/ca/ca-instructions.js";
import { runCaCommand } from "../../../../../proxy/cli/commands/ca.js";
import { parseBindAddress } from "../../../../../proxy/http/bind-address.js";

function sink(): { write(chunk: string): void; text: string } {
  const buffer = { text: "", write: (chunk: string) => void (buffer.text += chunk) };
  return buffer;
}

describe("runCaCommand (iam-auth-proxy ca)", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "iam-auth-proxy-ca-command-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("creates the CA on first use and prints where it is and how to trust it", async () => {
    const caDir = join(dir, "ca");
    const out = sink();
    const err = sink();
    assert.equal(await runCaCommand({ caDir, bind: parseBindAddress(":9000") }, { out, err }), 0);
    assert.equal(err.text, "");
    assert.ok(
      out.text.startsWith(
        `Created a new local CA in ${caDir}.\n\niam-auth-proxy local certificate authority (CA)\n`,
      ),
    );
    assert.ok(out.text.includes(`  Certificate:         ${join(caDir, "ca-cert.pem")}\n`));
    assert.ok(
      out.text.includes(`curl --proxy http://127.0.0.1:9000 --cacert ${join(caDir, "ca-cert.pem")} `),
    );

    const again = sink();
    assert.equal(
      await runCaCommand({ caDir, bind: parseBindAddress("0.0.0.0:8080") }, { out: again, err }),
      0,
    );
    assert.ok(
      again.text.startsWith("iam-auth-proxy local certificate authority (CA)\n"),
      "no 'Created' the second time",
    );
    const fingerprint = /SHA-256 fingerprint: (\S+)/.exec(out.text)?.[1] ?? "";
    assert.ok(again.text.includes(`SHA-256 fingerprint: ${fingerprint}`));
    assert.ok(again.text.includes("curl --proxy http://127.0.0.1:8080 "));
    assert.equal(fingerprint, fingerprintOf(readFileSync(join(caDir, "ca-cert.pem"), "utf8")));
  });

  it("exits 1 with the CA's own one-line reason when the key is readable by others", async () => {
    const caDir = join(dir, "loose");
    await runCaCommand({ caDir, bind: parseBindAddress(":8080") }, { out: sink(), err: sink() });
    const keyPath = join(caDir, "ca-key.pem");
    chmodSync(keyPath, 0o644);
    const out = sink();
    const err = sink();
    assert.equal(await runCaCommand({ caDir, bind: parseBindAddress(":8080") }, { out, err }), 1);
    assert.equal(out.text, "");
    assert.equal(
      err.text,
      `iam-auth-proxy: Refusing to use the CA key ${keyPath}: its mode is 0644, so other users of this machine can read it; run chmod 600 ${keyPath} (or, if someone may have copied it, delete ca-key.pem and ca-cert.pem to create a new CA)\n`,
    );
  });
});
