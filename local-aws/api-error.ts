/** An AWS API error as it goes on the wire: the AWS error code, the HTTP status and a one-line message. */
export class AwsApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = "AwsApiError";
    this.code = code;
    this.status = status;
  }
}
