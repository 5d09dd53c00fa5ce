import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { cruise, type IConfiguration, type ICruiseResult } from "dependency-cruiser";
import { ESLint, type Linter } from "eslint";
import { repoRoot } from "../../helpers/service.js";

// The fixtures are laid out like the repository (proxy/aws/, protocol/, …) under this folder, so
// the real rules, re-rooted here, judge them exactly as they judge the real tree.
const fixtureRoot = join(repoRoot, "test", "fixtures", "lint");
const LAYER_RULE = "import-x/no-restricted-paths";
const CYCLE_RULE = "no-import-cycle";

interface Problem {
  line: number;
  ruleId: string | null;
  message: string;
}

type LayerRule = [Linter.RuleSeverity, { basePath: string; zones: unknown[] }];

/** eslint.config.js as it applies to a real file of proxy/, and the layer rule in it. */
async function readRealConfig(): Promise<{ config: Linter.Config; layerRule: LayerRule }> {
  const eslint = new ESLint({ cwd: repoRoot });
  const config = (await eslint.calculateConfigForFile(
    join(repoRoot, "proxy", "aws", "index.ts"),
  )) as Linter.Config;
  const layerRule = config.rules?.[LAYER_RULE];
  assert.ok(Array.isArray(layerRule), `eslint.config.js configures ${LAYER_RULE} for proxy/`);
  return { config, layerRule: layerRule as LayerRule };
}

/**
 * Lints every fixture with the real config's layer rule, its plugins, parser and resolver, only
 * re-rooted at fixtureRoot (the type-aware rules are left out: the fixtures are in no tsconfig).
 */
async function lintFixtures(): Promise<Map<string, Problem[]>> {
  const {
    config,
    layerRule: [severity, options],
  } = await readRealConfig();
  const fixtureLinter = new ESLint({
    cwd: fixtureRoot,
    overrideConfigFile: true,
    overrideConfig: {
      files: ["**/*.ts"],
      languageOptions: { parser: config.languageOptions?.parser },
      plugins: config.plugins,
      settings: config.settings,
      rules: { [LAYER_RULE]: [severity, { ...options, basePath: fixtureRoot }] },
    },
  });
  const problems = new Map<string, Problem[]>();
  for (const result of await fixtureLinter.lintFiles(["**/*.ts"])) {
    const found = result.messages.map(({ line, ruleId, message }) => ({ line, ruleId, message }));
    problems.set(relative(fixtureRoot, result.filePath), found);
  }
  return problems;
}

/** Cruises every fixture with the rules and options of the real .dependency-cruiser.mjs. */
async function cruiseFixtures(): Promise<ICruiseResult> {
  const configUrl = pathToFileURL(join(repoRoot, ".dependency-cruiser.mjs")).href;
  const { default: config } = (await import(configUrl)) as { default: IConfiguration };
  const { output } = await cruise(["."], {
    ...config.options,
    // The real tsconfig.json leaves the fixtures out, and they need none of its settings.
    tsConfig: undefined,
    baseDir: fixtureRoot,
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
  });
  assert.ok(typeof output === "object", "dependency-cruiser returns its result as an object");
  return output;
}

const zoneMessage = (importPath: string, rule: string): string =>
  `Unexpected path "${importPath}" imported in restricted zone. ${rule}`;

describe("import layers (eslint.config.js)", () => {
  let problems: Map<string, Problem[]>;
  before(async () => {
    problems = await lintFixtures();
  });
  const problemsIn = (file: string): Problem[] => {
    const found = problems.get(file);
    assert.ok(found, `${file} was linted`);
    return found;
  };

  it("is an error, so npm run lint fails", async () => {
    const {
      layerRule: [severity],
    } = await readRealConfig();
    assert.ok(severity === 2 || severity === "error", `severity ${String(severity)}`);
  });

  it("reports a lower layer importing a higher one (aws/ → signin/)", () => {
    assert.deepEqual(problemsIn("proxy/aws/upward.ts"), [
      {
        line: 2,
        ruleId: LAYER_RULE,
        message: zoneMessage(
          "../signin/decide.js",
          "proxy/aws/ may not import proxy/signin/ (a lower layer imports a higher one)",
        ),
      },
    ]);
  });

  it("reports an `import type` going up like any other import", () => {
    assert.deepEqual(problemsIn("proxy/aws/upward-type.ts"), [
      {
        line: 2,
        ruleId: LAYER_RULE,
        message: zoneMessage(
          "../signin/decide.js",
          "proxy/aws/ may not import proxy/signin/ (a lower layer imports a higher one)",
        ),
      },
    ]);
  });

  it("reports a sideways import between folders of one layer (forward/ → reverse/)", () => {
    assert.deepEqual(problemsIn("proxy/forward/sideways.ts"), [
      {
        line: 2,
        ruleId: LAYER_RULE,
        message: zoneMessage(
          "../reverse/reverse-route.js",
          "proxy/forward/ may not import proxy/reverse/ (folders of the same layer are independent)",
        ),
      },
    ]);
  });

  it("reports protocol/ importing another top-level folder", () => {
    assert.deepEqual(problemsIn("protocol/pure.ts"), [
      {
        line: 2,
        ruleId: LAYER_RULE,
        message: zoneMessage(
          "../proxy/common/log.js",
          "protocol/ may not import proxy/ (protocol/ is pure and imports no other top-level folder)",
        ),
      },
    ]);
  });

  it("reports server-middleware/ re-exporting from proxy/", () => {
    assert.deepEqual(problemsIn("server-middleware/uses-proxy.ts"), [
      {
        line: 2,
        ruleId: LAYER_RULE,
        message: zoneMessage(
          "../proxy/common/log.js",
          "server-middleware/ may not import proxy/ (the middleware and the proxy are independent)",
        ),
      },
    ]);
  });

  it("reports product code importing local-aws/", () => {
    assert.deepEqual(problemsIn("proxy/upstream/uses-local-aws.ts"), [
      {
        line: 2,
        ruleId: LAYER_RULE,
        message: zoneMessage(
          "../../local-aws/state.js",
          "proxy/ may not import local-aws/ (product code never imports test doubles, tests, benchmarks or scripts)",
        ),
      },
    ]);
  });

  it("reports nothing for imports that point down (signin/ → aws/ → http/ → common/)", () => {
    for (const file of [
      "proxy/signin/decide.ts",
      "proxy/aws/credentials.ts",
      "proxy/http/request-target.ts",
    ]) {
      assert.deepEqual(problemsIn(file), [], file);
    }
  });

  it("reports nothing in any other fixture", () => {
    const reported = [...problems].filter(([, found]) => found.length > 0).map(([file]) => file);
    assert.deepEqual(reported.sort(), [
      "protocol/pure.ts",
      "proxy/aws/upward-type.ts",
      "proxy/aws/upward.ts",
      "proxy/forward/sideways.ts",
      "proxy/upstream/uses-local-aws.ts",
      "server-middleware/uses-proxy.ts",
    ]);
  });
});

describe("import cycles (.dependency-cruiser.mjs)", () => {
  let result: ICruiseResult;
  before(async () => {
    result = await cruiseFixtures();
  });
  const cyclesFrom = (file: string): { rule: string; severity: string; cycle: string[] }[] =>
    result.summary.violations
      .filter((violation) => violation.from === file)
      .map((violation) => ({
        rule: violation.rule.name,
        severity: violation.rule.severity,
        cycle: (violation.cycle ?? []).map((step) => step.name),
      }));

  it("runs in npm run lint", () => {
    const { scripts } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.match(scripts.lint ?? "", /\bdepcruise --config \.dependency-cruiser\.mjs\b/);
  });

  it("reports two files that import each other", () => {
    assert.deepEqual(cyclesFrom("proxy/mitm/cycle-a.ts"), [
      { rule: CYCLE_RULE, severity: "error", cycle: ["proxy/mitm/cycle-b.ts", "proxy/mitm/cycle-a.ts"] },
    ]);
  });

  it("reports a cycle made of `import type` only", () => {
    assert.deepEqual(cyclesFrom("proxy/upstream/type-cycle-a.ts"), [
      {
        rule: CYCLE_RULE,
        severity: "error",
        cycle: ["proxy/upstream/type-cycle-b.ts", "proxy/upstream/type-cycle-a.ts"],
      },
    ]);
  });

  it("reports each cycle once, and nothing else", () => {
    const files = result.summary.violations.map((violation) => violation.from);
    assert.deepEqual(files.sort(), ["proxy/mitm/cycle-a.ts", "proxy/upstream/type-cycle-a.ts"]);
  });
});
