import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "../helpers/service.js";

const run = promisify(execFile);

/**
 * scripts/build.mjs on a small project of its own: a copy of the script, a tsconfig.json shaped
 * like the repository's, and the repository's node_modules (for tsc). It finds its project from
 * its own location, so the copy builds the copy.
 */
describe("scripts/build.mjs --incremental (the set-up before npm test and npm run demo)", () => {
  let project: string;
  const file = (path: string): string => join(project, path);
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(file(path)), { recursive: true });
    writeFileSync(file(path), text);
  };
  /** Runs the build; resolves with what it printed (it prints nothing when it skips tsc). */
  const build = async (): Promise<string> => {
    const { stdout, stderr } = await run(process.execPath, [file("scripts/build.mjs"), "--incremental"], {
      cwd: project,
    });
    return `${stdout}${stderr}`;
  };

  before(async () => {
    project = mkdtempSync(join(tmpdir(), "iam-auth-proxy-build-"));
    mkdirSync(file("scripts"));
    copyFileSync(join(repoRoot, "scripts", "build.mjs"), file("scripts/build.mjs"));
    symlinkSync(join(repoRoot, "node_modules"), file("node_modules"));
    write("package.json", JSON.stringify({ name: "build-fixture", private: true, type: "module" }));
    write(
      "tsconfig.json",
      JSON.stringify({
        compilerOptions: {
          target: "ES2023",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: [],
          outDir: "dist",
          rootDir: ".",
          strict: true,
          declaration: true,
          sourceMap: true,
        },
        include: ["src", "test"],
        exclude: ["node_modules", "dist", "test/fixtures"],
      }),
    );
    write("src/greet.ts", "export const greet = (name: string): string => `hello ${name}`;\n");
    write(
      "test/unit/greet.test.ts",
      'import { greet } from "../../src/greet.js";\nexport const seen = greet("x");\n',
    );
    write("test/fixtures/broken.ts", "this is not TypeScript\n");
    assert.match(await build(), /build: compiled what changed/);
  });

  after(() => {
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it("compiles every source and nothing under an excluded folder", () => {
    for (const output of ["src/greet.js", "src/greet.d.ts", "src/greet.js.map", "test/unit/greet.test.js"]) {
      assert.ok(existsSync(file(`dist/${output}`)), `dist/${output} missing`);
    }
    assert.equal(existsSync(file("dist/test/fixtures")), false);
  });

  it("skips tsc when nothing changed", async () => {
    assert.equal(await build(), "");
  });

  it("compiles again when a source changed", async () => {
    write("src/greet.ts", "export const greet = (name: string): string => `hi ${name}`;\n");
    assert.match(await build(), /build: compiled what changed/);
    assert.equal(await build(), "");
  });

  it("removes the compiled files of a moved test, so it does not run twice", async () => {
    mkdirSync(file("test/e2e"));
    renameSync(file("test/unit/greet.test.ts"), file("test/e2e/greet.test.ts"));
    write(
      "test/e2e/greet.test.ts",
      'import { greet } from "../../src/greet.js";\nexport const seen = greet("y");\n',
    );
    const output = await build();
    assert.match(output, /build: removed 3 compiled files whose source is gone/);
    assert.ok(existsSync(file("dist/test/e2e/greet.test.js")));
    assert.equal(existsSync(file("dist/test/unit")), false, "dist/test/unit/ left behind");
  });

  it("removes the compiled files of a deleted source", async () => {
    rmSync(file("test/e2e/greet.test.ts"));
    assert.match(await build(), /build: removed 3 compiled files whose source is gone/);
    assert.equal(existsSync(file("dist/test/e2e/greet.test.js")), false);
  });

  it("compiles again when a compiled file was deleted by hand, although tsc's record says it is up to date", async () => {
    rmSync(file("dist/src/greet.js"));
    assert.match(await build(), /build: compiled what changed/);
    assert.ok(existsSync(file("dist/src/greet.js")));
  });
});
