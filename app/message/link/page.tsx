// /message/link?user=<user id>[&subject=…][&qr=app|web]: builds a "message me" link for any
// user — the opengroovemessage:// link (opens the OpenGroove app), the web address of the
// compose page, an HTML snippet, and a QR code of either link.
import type { Metadata } from "next";
import { headers } from "next/headers";
import QRCode from "qrcode";
import { DomainError } from "../../../lib/domain/errors.ts";
import { formatMessageUrl, parseMessageTarget } from "../../../lib/links/opengroove-message-url.ts";
import { Code, Notice, PublicPage } from "../../signup/_components/ui.tsx";

export const metadata: Metadata = { title: "Make a “message me” link", robots: { index: false } };
export const dynamic = "force-dynamic";

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");

async function siteOrigin(): Promise<string> {
  const h = await headers();
  const host = (h.get("x-forwarded-host") ?? h.get("host") ?? "localhost").split(",")[0].trim();
  const proto = (h.get("x-forwarded-proto") ?? "http").split(",")[0].trim();
  return `${proto === "https" ? "https" : "http"}://${host}`;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export default async function MessageLinkPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const q = await searchParams;
  const user = one(q.user).trim();
  const subject = one(q.subject);
  const qrFor = one(q.qr) === "web" ? "web" : "app";

  let result: { appLink: string; webLink: string; username: string } | null = null;
  let problem = "";
  if (user) {
    try {
      const target = parseMessageTarget(user);
      const appLink = formatMessageUrl({ userId: target.userId }, { subject: subject || undefined });
      const params = new URLSearchParams({ to: target.userId });
      if (subject) params.set("subject", subject);
      result = { appLink, webLink: `${await siteOrigin()}/message?${params.toString()}`, username: target.username };
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      problem = e.message;
    }
  }
  const qrText = result ? (qrFor === "web" ? result.webLink : result.appLink) : "";
  const qrSvg = result ? await QRCode.toString(qrText, { type: "svg", errorCorrectionLevel: "M", margin: 2 }) : "";
  const qrDataUrl = qrSvg ? `data:image/svg+xml;base64,${Buffer.from(qrSvg).toString("base64")}` : "";

  return (
    <PublicPage
      title="Make a “message me” link"
      subtitle="For a web page, an email signature or a printed card: people who follow it can write to you."
    >
      <form method="get" action="/message/link" className="card space-y-4" data-testid="link-builder">
        <div>
          <label className="label" htmlFor="user">
            Your user id
          </label>
          <input
            id="user"
            name="user"
            className="input font-mono"
            defaultValue={user}
            placeholder="example.com:63745::alice"
            required
            aria-invalid={problem ? true : undefined}
          />
          <p className="hint">Your realm’s host:port, then “::”, then your username.</p>
          {problem ? (
            <p className="field-error" role="alert" data-testid="error-user">
              {problem}
            </p>
          ) : null}
        </div>
        <div>
          <label className="label" htmlFor="subject">
            Subject to suggest (optional)
          </label>
          <input id="subject" name="subject" className="input" defaultValue={subject} maxLength={200} />
        </div>
        <fieldset>
          <legend className="label">The QR code opens</legend>
          <label className="mr-6 text-sm">
            <input type="radio" name="qr" value="app" defaultChecked={qrFor === "app"} className="mr-1" />
            the OpenGroove app
          </label>
          <label className="text-sm">
            <input type="radio" name="qr" value="web" defaultChecked={qrFor === "web"} className="mr-1" />
            this web page (works on any phone)
          </label>
        </fieldset>
        <button type="submit" className="btn-primary">
          Make the link
        </button>
      </form>

      {result ? (
        <div className="card space-y-4" data-testid="link-result">
          <div>
            <p className="label">Link for the OpenGroove app</p>
            <Code testId="app-link">{result.appLink}</Code>
            <p className="hint">
              Opens a new message to {result.username} in the app (after `opengroove install-url-handler`).
            </p>
          </div>
          <div>
            <p className="label">Link for the web</p>
            <Code testId="web-link">{result.webLink}</Code>
          </div>
          <div>
            <p className="label">HTML to paste into a web page</p>
            <Code>{`<a href="${escapeHtml(result.appLink)}">Message me on OpenGroove</a>`}</Code>
          </div>
          <div>
            <p className="label">QR code ({qrFor === "web" ? "web page" : "app link"})</p>

            <img
              src={qrDataUrl}
              alt={`QR code for ${qrText}`}
              width={200}
              height={200}
              className="rounded border border-slate-200 bg-white"
              data-testid="qr-code"
            />
            <a className="mt-2 inline-block text-sm" href={qrDataUrl} download="message-me-qr.svg">
              Download the QR code (SVG)
            </a>
          </div>
        </div>
      ) : !problem ? (
        <Notice tone="info">
          <p>Enter a user id to get the links and a QR code.</p>
        </Notice>
      ) : null}
    </PublicPage>
  );
}
