// A client commits to its self-mask seed b_u in ShareKeys: SHA-256 over a domain label, the
// session, the client and b_u. b_u is 32 uniformly random bytes, so the digest reveals nothing
// usable about it, and it lets the server check the b_u it rebuilds from shares before relying on
// it (a wrong b_u would otherwise yield a silently wrong sum).
import { createHash } from "node:crypto";

export function selfMaskCommitment(sessionId: string, clientId: string, seed: Uint8Array): string {
  return createHash("sha256")
    .update(JSON.stringify(["fedledger/secagg/v1/self-mask", sessionId, clientId]))
    .update(seed)
    .digest("hex");
}
