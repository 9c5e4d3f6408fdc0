// The key a realm presents in `enroll` and `rotatekey` (key, optional cert), proven by a
// signature with that key over the purpose's payload, the last challenge and the TLS binding.
import { managementKeyPayload } from "../../../lib/federation/signing.ts";
import { checkPossession, presentedKey, type PresentedKey } from "../../registry.ts";
import type { ManagementContext } from "../../session.ts";
import { pemField, required } from "../args.ts";

export function provenKey(
  ctx: ManagementContext,
  kv: Map<string, string>,
  purpose: "enroll" | "rotate",
  realmId: string,
  nonce: string,
): PresentedKey {
  const key = presentedKey(
    pemField(kv, "key", ctx.limits.maxPublicKeyBytes),
    pemField(kv, "cert", ctx.limits.maxCertBytes, true),
  );
  checkPossession(
    key,
    managementKeyPayload(purpose, realmId, key.fingerprint, nonce, ctx.binding),
    required(kv, "proof"),
  );
  return key;
}
