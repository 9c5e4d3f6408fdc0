// The per-address signup throttle as operators see it: which addresses used how many of a
// realm's signup attempts, how many remain and until when, and an audited reset for one
// address (e.g. an office behind one NAT address whose colleagues sign up one after another).
import { z } from "zod";
import { canManageUsers } from "../domain/permissions.ts";
import { listSignupThrottles, resetSignupThrottle, throttleSettingsFromEnv } from "../domain/signup-throttle.ts";
import { recordAudit } from "./audit.ts";
import { defineCommand } from "./command.ts";
import { id } from "./form.ts";

export const listRealmSignupThrottles = defineCommand({
  name: "realm.signup-throttles",
  readOnly: true,
  schema: z.object({ realmId: id }),
  authorize: (ctx, input) => canManageUsers(ctx.actor, input.realmId),
  async run(ctx, input) {
    const settings = throttleSettingsFromEnv();
    const rows = await listSignupThrottles(ctx.prisma, input.realmId, settings);
    return {
      message: `${rows.length} address${rows.length === 1 ? "" : "es"} with signup attempts in the current window.`,
      data: { limit: settings.limit, windowSeconds: settings.windowSeconds, addresses: rows },
    };
  },
});

export const resetRealmSignupThrottle = defineCommand({
  name: "user.signup-throttle-reset",
  schema: z.object({
    realmId: id,
    address: z.string().trim().min(1, "Which address?").max(100, "Address must be at most 100 characters."),
  }),
  authorize: (ctx, input) => canManageUsers(ctx.actor, input.realmId),
  async run(ctx, input) {
    const gone = await ctx.prisma.$transaction(async (tx) => {
      const before = await resetSignupThrottle(tx, input.realmId, input.address);
      if (before)
        await recordAudit(tx, ctx, {
          action: "user.signup-throttle-reset",
          targetType: "signup-address",
          targetId: input.address,
          realmId: input.realmId,
          before: { attempts: before.attempts, windowStart: before.windowStart },
          after: { attempts: 0 },
        });
      return before;
    });
    return {
      message: gone
        ? `Signup attempts from ${input.address} reset (${gone.attempts} forgotten); it may sign up again now.`
        : `${input.address} has no signup attempts to reset.`,
    };
  },
});
