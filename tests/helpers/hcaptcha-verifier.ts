// A local stand-in for hCaptcha's siteverify API, faithful to its contract (see
// /work/shared/reference/stack-notes.md): form-encoded POST with secret/response/remoteip/sitekey,
// JSON answer with success/challenge_ts/hostname/credit/error-codes, tokens good once.
// Tokens are issued by a test-only endpoint (POST /test/issue) that the browser widget double
// calls; tests can also issue tokens directly with issueToken().
//
// Run standalone (for Playwright's webServer): `tsx tests/helpers/hcaptcha-verifier.ts --port 3901`
// with OG_HCAPTCHA_SITES="sitekey=secret,sitekey2=secret2".
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface VerifierSite {
  siteKey: string;
  secret: string;
}

export interface VerifyRecord {
  secret: string | null;
  response: string | null;
  remoteip: string | null;
  sitekey: string | null;
  contentType: string;
  answer: Record<string, unknown>;
}

export interface HcaptchaVerifier {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The siteverify endpoint to configure as OPENGROOVE_HCAPTCHA_VERIFY_URL. */
  verifyUrl: string;
  issueToken(siteKey: string, hostname?: string): string;
  /** Every siteverify call, in order. */
  calls: VerifyRecord[];
  /** When true, siteverify accepts the connection but never answers (timeout tests). */
  hang: boolean;
  /** Token lifetime; hCaptcha's is about two minutes. */
  tokenTtlMs: number;
  close(): Promise<void>;
}

interface IssuedToken {
  siteKey: string;
  issuedAt: number;
  hostname: string;
  used: boolean;
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "content-type",
};

function readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...extra });
  res.end(JSON.stringify(body));
}

export async function startHcaptchaVerifier(opts: {
  sites: VerifierSite[];
  port?: number;
  host?: string;
}): Promise<HcaptchaVerifier> {
  const tokens = new Map<string, IssuedToken>();
  const bySecret = new Map(opts.sites.map((s) => [s.secret, s]));
  const siteKeys = new Set(opts.sites.map((s) => s.siteKey));
  const hanging = new Set<http.ServerResponse>();

  const state: Omit<HcaptchaVerifier, "url" | "verifyUrl" | "close"> = {
    calls: [],
    hang: false,
    tokenTtlMs: 120_000,
    issueToken(siteKey: string, hostname = "localhost") {
      if (!siteKeys.has(siteKey)) throw new Error(`unknown site key ${siteKey}`);
      const token = `P1_${crypto.randomBytes(48).toString("base64url")}`;
      tokens.set(token, { siteKey, issuedAt: Date.now(), hostname, used: false });
      return token;
    },
  };

  function siteverify(form: URLSearchParams, contentType: string): Record<string, unknown> {
    const fail = (...codes: string[]) => ({ success: false, "error-codes": codes });
    if (!contentType.startsWith("application/x-www-form-urlencoded")) return fail("bad-request");
    const secret = form.get("secret");
    const response = form.get("response");
    const sitekey = form.get("sitekey");
    if (!secret) return fail("missing-input-secret");
    const site = bySecret.get(secret);
    if (!site) return fail("invalid-input-secret");
    if (!response) return fail("missing-input-response");
    if (sitekey && sitekey !== site.siteKey) return fail("sitekey-secret-mismatch");
    const t = tokens.get(response);
    if (!t) return fail("invalid-input-response");
    if (t.used) return fail("invalid-or-already-seen-response");
    // A token is consumed by any verification attempt, as with hCaptcha.
    t.used = true;
    if (t.siteKey !== site.siteKey) return fail("sitekey-secret-mismatch");
    if (Date.now() - t.issuedAt > state.tokenTtlMs) return fail("expired-input-response");
    return { success: true, challenge_ts: new Date(t.issuedAt).toISOString(), hostname: t.hostname, credit: false };
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (req.method === "OPTIONS") {
        res.writeHead(204, CORS);
        return res.end();
      }
      if (req.method === "POST" && url.pathname === "/siteverify") {
        const contentType = String(req.headers["content-type"] ?? "");
        const body = await readBody(req);
        if (state.hang) {
          hanging.add(res);
          return;
        }
        const form = new URLSearchParams(body);
        const answer = siteverify(form, contentType);
        state.calls.push({
          secret: form.get("secret"),
          response: form.get("response"),
          remoteip: form.get("remoteip"),
          sitekey: form.get("sitekey"),
          contentType,
          answer,
        });
        return sendJson(res, 200, answer);
      }
      if (req.method === "POST" && url.pathname === "/test/issue") {
        // Test-only: what the real widget gets after a person solves a challenge.
        const body = JSON.parse((await readBody(req)) || "{}") as { sitekey?: unknown; hostname?: unknown };
        if (typeof body.sitekey !== "string" || !siteKeys.has(body.sitekey))
          return sendJson(res, 400, { error: "unknown sitekey" }, CORS);
        const token = state.issueToken(body.sitekey, typeof body.hostname === "string" ? body.hostname : "localhost");
        return sendJson(res, 200, { token }, CORS);
      }
      if (req.method === "GET" && url.pathname === "/health") return sendJson(res, 200, { ok: true });
      sendJson(res, 404, { error: "not found" });
    } catch {
      sendJson(res, 400, { success: false, "error-codes": ["bad-request"] });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${opts.host ?? "127.0.0.1"}:${port}`;
  return Object.assign(state, {
    url: base,
    verifyUrl: `${base}/siteverify`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

export function parseSites(spec: string): VerifierSite[] {
  return spec
    .split(",")
    .filter(Boolean)
    .map((pair) => {
      const [siteKey, secret] = pair.split("=");
      if (!siteKey || !secret) throw new Error(`bad site spec ${pair}: expected sitekey=secret`);
      return { siteKey, secret };
    });
}

// Standalone mode, for Playwright's webServer list.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const i = process.argv.indexOf("--port");
  const port = i > 0 ? Number(process.argv[i + 1]) : 0;
  const v = await startHcaptchaVerifier({ sites: parseSites(process.env.OG_HCAPTCHA_SITES ?? ""), port });
  console.log(`hcaptcha verifier double listening on ${v.url}`);
  const stop = () => void v.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
