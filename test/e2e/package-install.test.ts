import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { httpRequest } from "../helpers/http-client.js";
import { repoRoot, spawnService, type RunningService } from "../helpers/service.js";

/**
 * What an app developer and a person do with the package: `npm pack`, then install the tarball into a
 * fresh app folder and globally (into a temporary prefix). This test reaches the npm registry for the
 * package's dependencies; it installs the exact versions this repository has installed, so with
 * --prefer-offline npm's cache usually answers.
 */

const run = promisify(execFile);
const accountId = "111122223333";

/** npm's settings as the person has them, without those `npm test` sets for this repository's own scripts. */
function npmEnvironment(): NodeJS.ProcessEnv {
  const inherited =
    /^(npm_(lifecycle_|package_|command$|execpath$|node_execpath$)|npm_config_(local_prefix|global_prefix|prefix)$|INIT_CWD$)/i;
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !inherited.test(key)));
}

async function npm(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run("npm", [...args, "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd,
    env: npmEnvironment(),
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** The version of a dependency installed in this repository, so the app gets the same one. */
function installedVersion(name: string): string {
  const text = readFileSync(join(repoRoot, "node_modules", name, "package.json"), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/**
 * Runs the app's own tsc over its project; resolves with tsc's diagnostics, one per line
 * (`file(line,col): error TS…`). tsc exits non-zero when there are any, and emits all the same.
 */
async function compile(app: string): Promise<string[]> {
  const tsc = join(app, "node_modules", "typescript", "bin", "tsc");
  let output: string;
  try {
    output = (await run(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], { cwd: app }))
      .stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    output = `${failure.stdout ?? ""}${failure.stderr ?? ""}`;
  }
  return output.split("\n").filter((line) => line.trim() !== "");
}

/** An app as its README example has it: iamAuth() mounted first, req.iamIdentity read in a route. */
const appSource = `import express from "express";
import { iamAuth } from "iam-auth-proxy/server-middleware";

const app = express();
app.use(
  iamAuth({
    accountId: "${accountId}",
    sts: { serverId: "127.0.0.1" },
    sessionSecrets: ["a session secret of at least thirty-two characters"],
  }),
);
app.get("/", (req, res) => {
  res.send(\`Hello \${req.iamIdentity?.arn ?? "nobody"}\`);
});
const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address !== null && typeof address === "object") console.log(\`listening url=http://127.0.0.1:\${address.port}\`);
});
`;

describe("the npm package: packed, installed into a fresh app and globally", () => {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  let app: string;
  let globalPrefix: string;
  let diagnostics: string[];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "iam-auth-proxy-package-"));
    // --ignore-scripts: `prepack` would rebuild dist/ while other test files run from it; `npm test`
    // has just built it, and this test checks what a tarball of that build gives.
    const packed = JSON.parse(
      await npm(repoRoot, ["pack", "--ignore-scripts", "--json", "--pack-destination", work]),
    ) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed[0]?.filename ?? "");
    packedFiles = (packed[0]?.files ?? []).map((file) => file.path);

    app = join(work, "app");
    globalPrefix = join(work, "global");
    mkdirSync(app);
    mkdirSync(globalPrefix);
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "an-app", version: "1.0.0", private: true, type: "module" }),
    );
    // One tsc run checks both files (it takes seconds): app.ts must compile cleanly, wrong.ts must
    // not. The app's tsconfig as a careful app has it: strict, and the package's declarations checked too.
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          target: "es2022",
          outDir: "out",
          skipLibCheck: false,
        },
        files: ["app.ts", "wrong.ts"],
      }),
    );
    writeFileSync(join(app, "app.ts"), appSource);
    writeFileSync(
      join(app, "wrong.ts"),
      appSource.replace("req.iamIdentity?.arn", "req.iamIdentity?.nosuch"),
    );
    await Promise.all([
      npm(app, [
        "install",
        tarball,
        `express@${installedVersion("express")}`,
        `@types/express@${installedVersion("@types/express")}`,
        `typescript@${installedVersion("typescript")}`,
      ]),
      npm(work, ["install", "--global", "--prefix", globalPrefix, tarball]),
    ]);
    diagnostics = await compile(app);
  });

  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("holds the compiled product only: no tests, benchmarks, local AWS or build records", () => {
    const allowed =
      /^(package\.json|README\.md|LICENSE)$|^dist\/(protocol|proxy|server-middleware|gateway|client|example-server)\//;
    assert.deepEqual(
      packedFiles.filter((path) => !allowed.test(path)),
      [],
    );
    assert.deepEqual(
      packedFiles.filter((path) => /(^|\/)(test|bench|local-aws)\/|tsbuildinfo|build-inputs/.test(path)),
      [],
    );
    for (const needed of [
      "dist/proxy/cli/main.js",
      "dist/gateway/cli/main.js",
      "dist/gateway/index.d.ts",
      "dist/server-middleware/index.js",
      "dist/server-middleware/index.d.ts",
      "dist/server-middleware/identity.d.ts",
    ]) {
      assert.ok(packedFiles.includes(needed), `${needed} missing from the tarball`);
    }
  });

  it("an app using req.iamIdentity?.arn compiles with strict TypeScript", () => {
    assert.deepEqual(
      diagnostics.filter((line) => !line.startsWith("wrong.ts(")),
      [],
    );
  });

  it("req.iamIdentity is typed, not any: a property IamIdentity lacks does not compile", () => {
    assert.equal(diagnostics.length, 1, diagnostics.join("\n"));
    assert.match(
      diagnostics[0] ?? "",
      /^wrong\.ts\(\d+,\d+\): error TS2339: Property 'nosuch' does not exist on type 'IamIdentity'\.$/,
    );
  });

  it("the compiled app answers a request without a session with the 401 IAM challenge", async () => {
    let server: RunningService | undefined;
    try {
      server = await spawnService({
        command: process.execPath,
        args: [join(app, "out", "app.js")],
        logName: "package-install/app.log",
        name: "the installed app",
        listening: /listening url=(\S+)/,
        toUrl: (url) => url,
        startTimeoutMs: 15_000,
      });
      const response = await httpRequest(`${server.url}/`);
      assert.equal(response.status, 401);
      assert.match(String(response.headers["www-authenticate"]), new RegExp(`^IAM realm="${accountId}"`));
    } finally {
      await server?.stop();
    }
  });

  it("npm install --global puts iam-auth-proxy on PATH: --version and --help work", async () => {
    const bin = join(globalPrefix, "bin", "iam-auth-proxy");
    const version = await run(bin, ["--version"], { env: { PATH: process.env.PATH ?? "" } });
    const { version: expected } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    assert.equal(version.stdout, `${expected}\n`);
    const help = await run(bin, ["--help"], { env: { PATH: process.env.PATH ?? "" } });
    assert.match(help.stdout, /^Usage: iam-auth-proxy /);
  });
});
