/**
 * A parser for the WWW-Authenticate field (RFC 9110 §11.6.1):
 *
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * One field value may hold several challenges separated by commas, and the commas between
 * auth-params look the same, so a name followed by "=" continues the current challenge
 * and anything else starts a new one.
 */

export interface ParsedChallenge {
  /** As sent; compare case-insensitively. */
  readonly scheme: string;
  readonly token68: string | undefined;
  /** Parameter names lower-cased (they are case-insensitive); values unquoted. */
  readonly params: ReadonlyMap<string, string>;
}

const tchar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const token68Pattern = /^[A-Za-z0-9\-._~+/]+=*/;

export class MalformedChallengeError extends Error {
  override readonly name = "MalformedChallengeError";
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text.charAt(this.pos);
  }
  skipWhitespace(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }
  skipWhitespaceAndCommas(): void {
    while (this.peek() === " " || this.peek() === "\t" || this.peek() === ",") this.pos++;
  }
  readToken(): string {
    const start = this.pos;
    while (!this.done && tchar.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }
  readQuotedString(): string {
    this.pos++; // opening quote
    let value = "";
    while (!this.done) {
      const char = this.peek();
      this.pos++;
      if (char === '"') return value;
      if (char === "\\") {
        if (this.done) break;
        value += this.peek();
        this.pos++;
      } else {
        value += char;
      }
    }
    throw new MalformedChallengeError("a quoted parameter value is not terminated");
  }
  fail(what: string): never {
    throw new MalformedChallengeError(`${what} at character ${this.pos + 1}`);
  }
}

/** Parses one WWW-Authenticate field value into its challenges; throws MalformedChallengeError. */
export function parseAuthenticateHeader(value: string): ParsedChallenge[] {
  const scanner = new Scanner(value);
  const challenges: { scheme: string; token68: string | undefined; params: Map<string, string> }[] = [];
  let current: (typeof challenges)[number] | undefined;

  for (;;) {
    scanner.skipWhitespaceAndCommas();
    if (scanner.done) break;
    const name = scanner.readToken();
    if (name === "") scanner.fail("expected an auth-scheme or parameter name");
    scanner.skipWhitespace();

    if (current !== undefined && scanner.peek() === "=") {
      scanner.pos++;
      scanner.skipWhitespace();
      const quoted = scanner.peek() === '"';
      const paramValue = quoted ? scanner.readQuotedString() : scanner.readToken();
      if (!quoted && paramValue === "") scanner.fail(`parameter "${name}" has no value`);
      const key = name.toLowerCase();
      // RFC 9110 §11.2: each parameter name must occur only once per challenge.
      if (current.params.has(key)) throw new MalformedChallengeError(`parameter "${key}" is repeated`);
      current.params.set(key, paramValue);
      scanner.skipWhitespace();
      if (!scanner.done && scanner.peek() !== ",") scanner.fail("expected a comma");
      continue;
    }

    current = { scheme: name, token68: undefined, params: new Map() };
    challenges.push(current);
    const rest = scanner.text.slice(scanner.pos);
    const token68 = token68Pattern.exec(rest)?.[0];
    if (token68 !== undefined) {
      const after = rest.slice(token68.length).trimStart();
      if (after === "" || after.startsWith(",")) {
        current.token68 = token68;
        scanner.pos += token68.length;
      }
    }
  }
  return challenges;
}

/** Quotes a parameter value as an RFC 9110 quoted-string. */
export function quoteParamValue(value: string): string {
  return `"${value.replace(/(["\\])/g, "\\$1")}"`;
}
