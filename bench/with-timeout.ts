/**
 * Rejects with "<what> took longer than <ms> ms" if `promise` has not settled by then, so no
 * benchmark step can hang the run.
 *
 * @example await withTimeout(fetch(url), 5000, `GET ${url}`)
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
