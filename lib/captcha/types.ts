// The outcome of a captcha check, shared by every provider. `rejected` is the person's to fix
// (solve it again); `unavailable` is transient (try again shortly); `misconfigured` is the
// operator's to fix. None of them ever lets an account be created.

/** A provider that shows a widget (every one but NONE). */
export type CaptchaWidget = Exclude<CaptchaProvider, "NONE">;
import type { CaptchaProvider } from "../generated/prisma/enums.ts";

export type CaptchaFailureKind = "rejected" | "unavailable" | "misconfigured";

export type CaptchaOutcome =
  | { ok: true; provider: CaptchaWidget }
  | {
      ok: false;
      kind: CaptchaFailureKind;
      /** Shown to the person: what happened and what to do next. */
      message: string;
      /** Provider error codes, for logs (never contains secrets). */
      codes: string[];
    };

export function captchaFailure(kind: CaptchaFailureKind, message: string, codes: string[] = []): CaptchaOutcome {
  return { ok: false, kind, message, codes };
}
