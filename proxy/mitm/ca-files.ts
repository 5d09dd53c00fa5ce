import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { MitmError } from "./errors.js";
import { quotePosixArgument } from "./shell-quote.js";

/** Where one CA lives: `dir/ca-key.pem` (mode 0600) and `dir/ca-cert.pem`. */
export interface CaPaths {
  readonly dir: string;
  readonly keyPath: string;
  readonly certPath: string;
}

export function caPathsIn(dir: string): CaPaths {
  return { dir, keyPath: join(dir, "ca-key.pem"), certPath: join(dir, "ca-cert.pem") };
}

/** Which of the two CA files exist. */
export async function findCaFiles(paths: CaPaths): Promise<{ key: boolean; cert: boolean }> {
  return { key: await exists(paths.keyPath), cert: await exists(paths.certPath) };
}

/** The error for a CA with one file missing: never overwrite a certificate someone may already trust. */
export function incompleteCa(paths: CaPaths, found: { key: boolean }): MitmError {
  const [present, missing] = found.key ? [paths.keyPath, paths.certPath] : [paths.certPath, paths.keyPath];
  return new MitmError(
    "CA_FILES_INCOMPLETE",
    `${present} exists but ${missing} does not; restore the missing file, or delete ${present} to create a new CA (and trust the new one)`,
  );
}

/** Creates the CA directory (mode 0700) unless it exists; an existing directory keeps its mode. */
export async function makeCaDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (recursiveError) {
    // A recursive mkdir reports ENOENT for a directory it could not make in a parent that exists
    // (a read-only or full file system): one plain mkdir says why.
    const error =
      errorCode(recursiveError) === "ENOENT"
        ? await mkdir(dir, { mode: 0o700 }).then(
            () => undefined,
            (plain: unknown) => plain,
          )
        : recursiveError;
    if (error === undefined) return;
    throw new MitmError(
      "CA_DIR_UNAVAILABLE",
      `Cannot create the CA directory ${dir}: ${describeFsError(error)}; ${adviceFor(error, `create it yourself (mkdir -m 700 ${quotePosixArgument(dir)})`)}`,
      { cause: error },
    );
  }
}

/** What to do about a directory that cannot be written: the fix depends on why. */
function adviceFor(error: unknown, fixPermissions: string): string {
  switch (errorCode(error)) {
    case "ENOSPC":
      return "free some space on its disk or choose another directory";
    case "EROFS":
      return "choose a directory on a writable file system";
    default:
      return `${fixPermissions} or choose another directory`;
  }
}

/**
 * Refuses a key other users can read or write. Refusing (as ssh does) rather than fixing the mode:
 * a key that was readable may already have been copied, and then only a new CA is safe.
 * Windows has no POSIX modes (stat reports 0666), so there the directory's ACL is what protects the key.
 */
export async function checkKeyMode(keyPath: string): Promise<void> {
  if (process.platform === "win32") return;
  const mode = (await statCaFile(keyPath)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  throw new MitmError(
    "CA_KEY_PERMISSIONS",
    `Refusing to use the CA key ${keyPath}: its mode is ${mode.toString(8).padStart(4, "0")}, so other users of this machine can read it; run chmod 600 ${quotePosixArgument(keyPath)} (or, if someone may have copied it, delete ca-key.pem and ca-cert.pem to create a new CA)`,
  );
}

/** Reads one CA file as text, with a CA_FILE_UNREADABLE error naming it. */
export async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw unreadable(path, error);
  }
}

/**
 * Publishes a new key and certificate, each written to a temporary file with its final mode from
 * the start (the key is never readable by others, not even for a moment) and then hard-linked to
 * its name. A link, unlike a rename, never replaces an existing file: when two proxies create a CA
 * at the same moment, exactly one wins the key and the other returns `false` and loads the winner's.
 */
export async function publishCaFiles(paths: CaPaths, keyPem: string, certPem: string): Promise<boolean> {
  const tag = `${process.pid}-${randomBytes(6).toString("hex")}`;
  const keyTemp = join(paths.dir, `.ca-key.pem.${tag}.tmp`);
  const certTemp = join(paths.dir, `.ca-cert.pem.${tag}.tmp`);
  try {
    await writeNewFile(keyTemp, keyPem, 0o600);
    await writeNewFile(certTemp, certPem, 0o644);
    if (!(await linkExclusive(keyTemp, paths.keyPath))) return false;
    if (!(await linkExclusive(certTemp, paths.certPath))) {
      // A certificate appeared without a key since we looked: take our key back and report what is there.
      await unlink(paths.keyPath);
      throw incompleteCa(paths, { key: false });
    }
    return true;
  } catch (error) {
    if (error instanceof MitmError) throw error;
    throw new MitmError(
      "CA_DIR_UNAVAILABLE",
      `Cannot write the CA files in ${paths.dir}: ${describeFsError(error)}; ${adviceFor(error, `make the directory writable by you (chmod 700 ${quotePosixArgument(paths.dir)})`)}`,
      { cause: error },
    );
  } finally {
    await removeTemporary(keyTemp);
    await removeTemporary(certTemp);
  }
}

async function writeNewFile(path: string, text: string, mode: number): Promise<void> {
  // "wx": create, fail if it exists. The mode applies at creation; the umask can only narrow it.
  const handle = await open(path, "wx", mode);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function linkExclusive(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === "EEXIST") return false;
    // File systems without hard links (FAT, some network mounts): check, then rename.
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      if (await exists(to)) return false;
      await rename(from, to);
      return true;
    }
    throw error;
  }
}

async function removeTemporary(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    // Already linked and renamed away, or never written (on a read-only file system unlink says
    // EROFS, not ENOENT, and throwing here would hide why the files could not be written, as an
    // internal error with a stack): nothing to clean. Anything else must surface.
    const code = errorCode(error);
    if (code !== "ENOENT" && code !== "EROFS") throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await statCaFile(path);
    return true;
  } catch (error) {
    // ENOTDIR: a parent is a file, so the CA does not exist there (creating the directory will say why).
    const code = error instanceof MitmError ? errorCode(error.cause) : undefined;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw error;
  }
}

async function statCaFile(path: string): Promise<{ mode: number }> {
  try {
    return await stat(path);
  } catch (error) {
    throw unreadable(path, error);
  }
}

function unreadable(path: string, error: unknown): MitmError {
  return new MitmError("CA_FILE_UNREADABLE", `Cannot read ${path}: ${describeFsError(error)}`, {
    cause: error,
  });
}

const reasons: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a part of the path is a file, not a directory",
  EEXIST: "a file with that name is in the way",
  EISDIR: "it is a directory",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  ENOENT: "no such file or directory",
};

function describeFsError(error: unknown): string {
  const code = errorCode(error);
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return `${reasons[code] ?? "file system error"} (${code})`;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
