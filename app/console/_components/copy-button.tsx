"use client";
import { useState } from "react";

/** Shows a one-time value in a read-only field with a button that copies it. */
export function CopyValue({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div>
      <label className="label" htmlFor="copy-value">
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id="copy-value"
          readOnly
          value={value}
          className="input font-mono"
          onFocus={(e) => e.currentTarget.select()}
          data-testid="one-time-value"
        />
        <button
          type="button"
          className="btn-secondary shrink-0"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <p className="hint" aria-live="polite">
        {copied ? "Copied to the clipboard." : "Shown only once: it is not stored and cannot be displayed again."}
      </p>
    </div>
  );
}
