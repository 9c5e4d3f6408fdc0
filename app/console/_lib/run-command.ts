// Glue between a server action and a console Command: who is asking, from where, and a refresh
// of the console pages after a successful write. Next checks the Origin of every server action
// request against the Host (CSRF), before this code runs.
import { revalidatePath } from "next/cache";
import { currentActor, requestIp } from "../../../lib/auth/current-actor.ts";
import { db } from "../../../lib/db/client.ts";
import { executeCommand, type ActionResult, type Command } from "../../../lib/console/command.ts";
import { formToObject } from "../../../lib/console/form.ts";
import type { z } from "zod";

export async function runCommand<S extends z.ZodType, T>(cmd: Command<S, T>, form: FormData): Promise<ActionResult<T>> {
  const actor = await currentActor();
  if (!actor) return { ok: false, status: 401, error: "Your session has ended. Sign in again." };
  const result = await executeCommand(cmd, { prisma: db().prisma, actor, ip: await requestIp() }, formToObject(form));
  if (result.ok) revalidatePath("/console", "layout");
  return result;
}
