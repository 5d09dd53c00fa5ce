import http from "node:http";
import { listenOnLoopback } from "./fakes.js";

/** One AWS request as the fake endpoint saw it. */
export interface RecordedAwsCall {
  readonly service: "sts" | "kms";
  /** STS Action or KMS operation (from X-Amz-Target). */
  readonly action: string;
  /** STS form parameters, or the KMS JSON body. */
  readonly params: Readonly<Record<string, unknown>>;
  /** From the SigV4 Authorization header's credential scope. */
  readonly accessKeyId: string;
  readonly region: string;
}

/** A canned answer: status and body (XML for STS, JSON for KMS). */
export interface CannedAnswer {
  readonly status: number;
  readonly body: string;
}

export interface FakeAwsEndpoint {
  readonly url: string;
  readonly calls: RecordedAwsCall[];
  /** Answers by action; an action without an answer gets a 500. */
  readonly answers: Map<string, CannedAnswer>;
  close(): Promise<void>;
}

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";

/** An STS (awsQuery XML) success answer. */
export function stsResult(action: string, inner: string): CannedAnswer {
  return {
    status: 200,
    body:
      `<${action}Response xmlns="${stsNamespace}"><${action}Result>${inner}</${action}Result>` +
      `<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** An STS (awsQuery XML) error answer. */
export function stsError(status: number, code: string, message: string): CannedAnswer {
  return {
    status,
    body:
      `<ErrorResponse xmlns="${stsNamespace}"><Error><Type>Sender</Type><Code>${code}</Code>` +
      `<Message>${message}</Message></Error><RequestId>req-2</RequestId></ErrorResponse>`,
  };
}

export function stsCredentialsXml(accessKeyId: string): string {
  return (
    `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>fake-secret-NOT-REAL</SecretAccessKey>` +
    `<SessionToken>fake-session-token-NOT-REAL</SessionToken><Expiration>2030-01-02T03:04:05Z</Expiration></Credentials>`
  );
}

/**
 * A loopback HTTP endpoint that speaks just enough STS (awsQuery) and KMS (JSON 1.1) for the real
 * AWS SDK clients: it records each call and replies with the canned answer for its action.
 * Point the SDK at it with AWS_ENDPOINT_URL.
 */
export async function startFakeAwsEndpoint(): Promise<FakeAwsEndpoint> {
  const calls: RecordedAwsCall[] = [];
  const answers = new Map<string, CannedAnswer>();
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? "");
      const target = req.headers["x-amz-target"];
      const isKms = typeof target === "string";
      const params: Record<string, unknown> = isKms
        ? (JSON.parse(body || "{}") as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(body));
      const action = isKms
        ? (target.split(".")[1] ?? "")
        : typeof params.Action === "string"
          ? params.Action
          : "";
      calls.push({
        service: isKms ? "kms" : "sts",
        action,
        params,
        accessKeyId: scope?.[1] ?? "",
        region: scope?.[2] ?? "",
      });
      const answer = answers.get(action) ?? { status: 500, body: "no canned answer" };
      res.writeHead(answer.status, {
        "Content-Type": isKms ? "application/x-amz-json-1.1" : "text/xml",
        "x-amzn-RequestId": "req-3",
      });
      res.end(answer.body);
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    answers,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
