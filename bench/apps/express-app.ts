/*
 * One Express app in three variants, for the middleware benchmark. Every variant answers
 * `GET /` with the caller's ARN (text/plain) through the same handler; they differ only in
 * what runs before it:
 *   none            nothing: the ARN is a constant (the limit);
 *   cookie-session  cookie-session with iamAuth's settings; `GET /sign-in` starts a session;
 *   iam-auth        iamAuth (the STS method), the session coming from a real sign-in.
 *
 *   BENCH_SESSION_SECRET=… [BENCH_STS_ENDPOINT=http://127.0.0.1:N] node dist/bench/apps/express-app.js <variant>
 */
import { createServer } from "node:http";
import cookieSession from "cookie-session";
import express, { type Request } from "express";
import { demoAccount } from "../../local-aws/demo-account.js";
import { iamAuth } from "../../server-middleware/index.js";
import { serveOnLoopback } from "./serve.js";

const variants = ["none", "cookie-session", "iam-auth"] as const;
type Variant = (typeof variants)[number];

const variant = process.argv[2];
const secret = process.env.BENCH_SESSION_SECRET ?? "";
if (!(variants as readonly (string | undefined)[]).includes(variant) || secret.length < 32) {
  process.stderr.write(
    `usage: BENCH_SESSION_SECRET=<32+ characters> node express-app.js ${variants.join("|")} (got ${JSON.stringify(variant)})\n`,
  );
  process.exit(2);
}
const { users, accountId } = demoAccount;
const SESSION_MAX_AGE_MS = 3600 * 1000;

function createApp(chosen: Variant, port: number): express.Express {
  const app = express();
  app.disable("x-powered-by");
  let arnOf: (req: Request) => string | undefined = () => users.demo.arn;
  if (chosen === "cookie-session") {
    app.use(
      cookieSession({
        name: "iam-auth-session",
        keys: [secret],
        httpOnly: true,
        sameSite: "lax",
        path: "/",
        signed: true,
        overwrite: true,
        maxAge: SESSION_MAX_AGE_MS,
      }),
    );
    app.get("/sign-in", (req, res) => {
      req.session = {
        arn: users.demo.arn,
        account: accountId,
        userId: users.demo.userId,
        issuedAt: Date.now(),
      };
      res.type("text/plain").send("signed in\n");
    });
    arnOf = (req) => (req.session?.arn as string | undefined) ?? undefined;
  } else if (chosen === "iam-auth") {
    const testStsEndpoint = process.env.BENCH_STS_ENDPOINT;
    app.use(
      iamAuth({
        accountId,
        sts: {
          serverId: `127.0.0.1:${port}`,
          ...(testStsEndpoint === undefined ? {} : { testStsEndpoint }),
        },
        sessionSecrets: [secret],
      }),
    );
    arnOf = (req) => req.iamIdentity?.arn;
  }
  app.get("/", (req, res) => {
    const arn = arnOf(req);
    if (arn === undefined) res.status(401).type("text/plain").send("not signed in\n");
    else res.type("text/plain").send(`${arn}\n`);
  });
  return app;
}

const server = createServer();
serveOnLoopback(server, "http", (port) => {
  // The STS method's server-id is the authority clients use, port included: known only now.
  server.on("request", createApp(variant as Variant, port));
});
