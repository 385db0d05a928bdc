/** Why a secure aggregation step refused to go on; the coordinator can map `code` to HTTP. */
export type SecAggErrorCode =
  /** Fewer than the threshold t of clients (or of a secret's share holders) are left. */
  | "too-few-clients"
  /** A message came out of order, twice with different content, from an unknown client, or malformed. */
  | "protocol-violation"
  /** The server asked a client for both kinds of share of the same peer. */
  | "sign-off-violation"
  /** A share ciphertext failed AES-GCM authentication (tampered, misrouted or wrong key). */
  | "decryption-failed"
  /** Reconstructed shares do not match the owner's advertised key or self-mask commitment. */
  | "inconsistent-shares"
  /** The configuration is unusable (threshold, graph degree, encoding range...). */
  | "invalid-config";

export class SecAggError extends Error {
  constructor(
    readonly code: SecAggErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SecAggError";
  }
}
