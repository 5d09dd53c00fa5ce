/*
 * The AWS permissions each side of a sign-in needs, as the documents to paste: the person's IAM
 * policy, the app server's IAM policy and the KMS key policy statements, for the methods used.
 * `iam-auth-proxy policy` prints them and the README shows them (a test keeps the two equal).
 */

/** One IAM policy statement, as AWS writes it. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow";
  readonly Principal?: { readonly AWS: string };
  readonly Action: string | readonly string[];
  readonly Resource: string;
}

/** A document to paste somewhere, and the one line saying why it is needed. */
export interface PolicyDocument {
  /** Where it goes, e.g. "The person's IAM policy (KMS method)". */
  readonly title: string;
  readonly why: string;
  /** A whole IAM policy, or statements to add to a key policy. */
  readonly json:
    | { readonly Version: "2012-10-17"; readonly Statement: readonly PolicyStatement[] }
    | readonly PolicyStatement[];
}

/** What the documents are for. */
export interface PolicyRequest {
  /** The methods the app offers. */
  readonly methods: readonly ("sts" | "kms")[];
  /** The KMS key's ARN; a placeholder when not known yet. */
  readonly keyArn?: string | undefined;
  /** The account the people sign in from, when it is not the key's own (cross-account). */
  readonly peopleAccount?: string | undefined;
  /** The app server's side (its IAM policy, the key policy) instead of the person's. */
  readonly side: "person" | "server";
}

/** What a document says where nothing needs granting. */
export interface NoPolicyNeeded {
  readonly title: string;
  readonly why: string;
}

export const KEY_ARN_PLACEHOLDER = "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID";

const keyArnPattern = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):key\/[A-Za-z0-9-]+$/;

/**
 * Checks a KMS key ARN (a key, not an alias: policies and key policies name keys); returns why not, or undefined.
 *
 * @example describeKeyArnProblem("alias/demo") // 'must be a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/1234abcd-…'
 */
export function describeKeyArnProblem(arn: string): string | undefined {
  return keyArnPattern.test(arn)
    ? undefined
    : "must be a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab (an alias cannot be named in a policy)";
}

/**
 * The documents for `request`, in the order to apply them. The STS method needs nothing on
 * either side (sts:GetCallerIdentity cannot be denied): that comes back as a NoPolicyNeeded.
 *
 * @example buildPolicies({ methods: ["kms"], keyArn, side: "person" })[0].json // { Version: "2012-10-17", Statement: [GetSessionToken, Encrypt] }
 */
export function buildPolicies(request: PolicyRequest): (PolicyDocument | NoPolicyNeeded)[] {
  const keyArn = request.keyArn ?? KEY_ARN_PLACEHOLDER;
  const keyAccount = keyArnPattern.exec(keyArn)?.[1];
  const crossAccount = request.peopleAccount !== undefined && request.peopleAccount !== keyAccount;
  const documents: (PolicyDocument | NoPolicyNeeded)[] = [];
  if (request.methods.includes("sts")) {
    documents.push(
      request.side === "person"
        ? {
            title: "The person's IAM policy (STS method)",
            why: "nothing to grant: the proof is a presigned sts:GetCallerIdentity, which needs no permission and cannot be denied",
          }
        : {
            title: "The app server's IAM policy (STS method)",
            why: "nothing to grant: the server only forwards the proof to STS over HTTPS, with no credentials of its own",
          },
    );
  }
  if (!request.methods.includes("kms")) return documents;
  if (request.side === "person") {
    documents.push({
      title: "The person's IAM policy (KMS method)",
      why: "the proxy gets 15-minute session credentials (GetSessionToken, IAM users only) and encrypts them with the app's key",
      json: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "sts:GetSessionToken", Resource: "*" },
          { Effect: "Allow", Action: "kms:Encrypt", Resource: keyArn },
        ],
      },
    });
    return documents;
  }
  documents.push({
    title: "The app server's IAM policy (KMS method)",
    why: "the server decrypts each token with its key, and checks the key exists at start",
    json: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: keyArn }],
    },
  });
  if (crossAccount) {
    documents.push({
      title: "Statements to add to the KMS key policy (KMS method, people in another account)",
      why: `people in account ${request.peopleAccount} may encrypt with the key; their own IAM policies must allow kms:Encrypt on it too`,
      json: [
        {
          Sid: "PeopleInTheIdentityAccountMayEncrypt",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${request.peopleAccount}:root` },
          Action: "kms:Encrypt",
          Resource: "*",
        },
      ],
    });
  }
  return documents;
}

/**
 * The documents as `iam-auth-proxy policy` prints them: for each, a `#` line with its title and
 * why, then the JSON to paste (pretty-printed), a blank line between documents.
 */
export function formatPolicies(documents: readonly (PolicyDocument | NoPolicyNeeded)[]): string {
  return documents
    .map((document) => {
      const heading = `# ${document.title}: ${document.why}`;
      return "json" in document ? `${heading}\n${JSON.stringify(document.json, null, 2)}\n` : `${heading}\n`;
    })
    .join("\n");
}
