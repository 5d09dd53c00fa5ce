const safeWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument for a POSIX shell (sh, bash, zsh), so a printed command can be pasted as is.
 *
 * @example quotePosixArgument("/home/me/ca-cert.pem") // "/home/me/ca-cert.pem"
 * @example quotePosixArgument("/Users/Jo Doe/ca-cert.pem") // "'/Users/Jo Doe/ca-cert.pem'"
 */
export function quotePosixArgument(text: string): string {
  return safeWord.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Quotes one argument for cmd.exe / PowerShell. Windows paths cannot contain `"`.
 *
 * @example quoteWindowsArgument("C:\\Users\\Jo Doe\\ca-cert.pem") // '"C:\\Users\\Jo Doe\\ca-cert.pem"'
 */
export function quoteWindowsArgument(text: string): string {
  return /^[A-Za-z0-9_:.\\/-]+$/.test(text) ? text : `"${text}"`;
}
