// FormData -> plain object for zod, and small zod building blocks shared by the console forms.
import { z } from "zod";
import type { SizeUnit } from "../format/bytes.ts";

/** Repeated keys become arrays; Next's internal $ACTION fields are dropped. Files are ignored. */
export function formToObject(form: FormData): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith("$ACTION") || typeof value !== "string") continue;
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** An HTML checkbox: present ("on") is true, absent is false. */
export const checkbox = z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean());

/** Whole number from a text/number input; blank is "missing". */
export function intField(min: number, max: number, label = "Value") {
  return z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: `${label} is required.` })
      .int(`${label} must be a whole number.`)
      .min(min, `${label} must be at least ${min}.`)
      .max(max, `${label} must be at most ${max}.`),
  );
}

/** Like intField, but blank means null (e.g. "use the realm default"). */
export function optionalIntField(min: number, max: number, label = "Value") {
  return z
    .preprocess(
      blankToUndefined,
      z.coerce
        .number()
        .int(`${label} must be a whole number.`)
        .min(min, `${label} must be at least ${min}.`)
        .max(max, `${label} must be at most ${max}.`)
        .optional(),
    )
    .transform((v) => v ?? null);
}

const sizeNumber = (label: string) =>
  z.coerce
    .number({ error: `${label} must be a number.` })
    .positive(`${label} must be more than 0.`)
    .max(1_000_000, `${label} is too large.`);

/** A size entered with a unit (see sizeUnit); decimals allowed (1.5 GB). */
export function sizeField(label: string) {
  return z.preprocess(blankToUndefined, sizeNumber(label));
}

/** Like sizeField, but blank is undefined (e.g. "no override"). */
export function optionalSizeField(label: string) {
  return z.preprocess(blankToUndefined, sizeNumber(label).optional());
}

/** MiB or GiB (the older "MB"/"GB" spellings are read as the same binary units). */
export const sizeUnit = z
  .enum(["MiB", "GiB", "MB", "GB"])
  .default("MiB")
  .transform((u): SizeUnit => (u === "GB" || u === "GiB" ? "GiB" : "MiB"));

export { fromBytes, GiB, MiB, toBytes } from "../format/bytes.ts";

export const trimmed = (max: number, label: string) =>
  z.string().trim().max(max, `${label} must be at most ${max} characters.`);

export const id = z.string().trim().min(1, "Missing id.").max(200);
