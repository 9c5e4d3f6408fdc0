"use client";
import { useId, useRef, useState } from "react";

type CopyState = "idle" | "copied" | "manual";

/**
 * Copies through the clipboard API, which browsers offer only on secure origins (https or
 * localhost); on a plain-http LAN address it falls back to the older copy command, and when that
 * fails too it selects the text and asks for Ctrl+C — a one-time value must never seem copied
 * when it was not.
 */
async function copyText(value: string, input: HTMLInputElement | null): Promise<boolean> {
  if (typeof navigator !== "undefined" && navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(value);
      return true;
    } catch {
      // denied permission: try the fallback
    }
  }
  if (!input) return false;
  input.focus();
  input.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

/** Shows a one-time value in a read-only field with a button that copies it. */
export function CopyValue({ value, label }: { value: string; label: string }) {
  const [state, setState] = useState<CopyState>("idle");
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  return (
    <div>
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          ref={input}
          readOnly
          value={value}
          className="input min-w-0 font-mono"
          onFocus={(e) => e.currentTarget.select()}
          data-testid="one-time-value"
        />
        <button
          type="button"
          className="btn-secondary shrink-0"
          onClick={async () => {
            const ok = await copyText(value, input.current);
            if (!ok) {
              input.current?.focus();
              input.current?.select();
            }
            setState(ok ? "copied" : "manual");
          }}
        >
          {state === "copied" ? "Copied" : "Copy"}
        </button>
      </div>
      <p
        className={`hint ${state === "manual" ? "font-semibold text-amber-900" : ""}`}
        aria-live="polite"
        data-testid="copy-hint"
      >
        {state === "copied"
          ? "Copied to the clipboard."
          : state === "manual"
            ? "This browser did not allow copying here: the text is selected — press Ctrl+C (⌘C on a Mac) to copy it."
            : "Shown only once: it is not stored and cannot be displayed again."}
      </p>
    </div>
  );
}
