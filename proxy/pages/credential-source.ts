import { html, type SafeHtml } from "../../protocol/index.js";
import type { CredentialOrigin } from "../aws/types.js";

/**
 * Where the credentials were found, in the words the AWS CLI's documentation uses, for the status
 * page. Names only (a profile, an environment variable): never a key or a file's contents. A
 * kind added to CredentialOrigin without its words here fails to compile.
 *
 * @example toHtmlString(describeCredentialOrigin({ kind: "sso", profile: "work" }))
 * // "SSO (IAM Identity Center), profile <code>work</code>"
 */
export function describeCredentialOrigin(origin: CredentialOrigin): SafeHtml {
  switch (origin.kind) {
    case "environment":
      return html`Environment variables (<code>AWS_ACCESS_KEY_ID</code>, <code>AWS_SECRET_ACCESS_KEY</code>)`;
    case "profile":
      return html`Profile <code>${origin.profile}</code>: access keys in the shared credentials or config file`;
    case "profile-role":
      return html`Profile <code>${origin.profile}</code>: a role it assumes (<code>role_arn</code> with
        <code>source_profile</code> or <code>credential_source</code>)`;
    case "sso":
      return html`SSO (IAM Identity Center), profile <code>${origin.profile}</code>`;
    case "process":
      return html`<code>credential_process</code> of profile <code>${origin.profile}</code>`;
    case "web-identity":
      return origin.profile === undefined
        ? html`Web identity token (<code>AWS_WEB_IDENTITY_TOKEN_FILE</code>, <code>AWS_ROLE_ARN</code>)`
        : html`Web identity token, profile <code>${origin.profile}</code>`;
    case "console-login":
      return html`<code>aws login</code> (console credentials), profile <code>${origin.profile}</code>`;
    case "container-role":
      return html`Container role (the ECS or EKS container credentials endpoint)`;
    case "instance-role":
      return html`EC2 instance role (the instance metadata service)`;
    case "unknown":
      return html`Found by the AWS SDK, which does not say where (a provider this proxy does not know)`;
  }
}
