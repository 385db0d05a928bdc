/**
 * An RPC URL safe to show, log or write: scheme, host and port only. Provider URLs carry their API
 * key in the path, the query or the user info (https://eth-sepolia.g.alchemy.com/v2/<key>,
 * https://user:pass@host/…); all of that becomes "…", on loopback too (a local proxy may carry a
 * key in its path).
 */
export function redactRpcUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "(an invalid URL)";
  }
  const rest = u.pathname !== "/" || u.search || u.hash || u.username || u.password;
  return `${u.protocol}//${u.host}${rest ? "/…" : ""}`;
}
