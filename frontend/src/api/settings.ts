const ADMIN_TOKEN_KEY = "fedledger.adminToken";

/** The coordinator's admin token (needed for mutating calls outside the local chain). */
export function readAdminToken(): string | undefined {
  try {
    return window.localStorage.getItem(ADMIN_TOKEN_KEY) || undefined;
  } catch {
    return undefined;
  }
}

export function writeAdminToken(token: string): void {
  const trimmed = token.trim();
  if (trimmed) window.localStorage.setItem(ADMIN_TOKEN_KEY, trimmed);
  else window.localStorage.removeItem(ADMIN_TOKEN_KEY);
}
