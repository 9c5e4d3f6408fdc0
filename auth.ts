// next-auth v5 (Auth.js) for the console: credentials sign-in with JWT sessions that expire.
// Providers are keyed by principal kind: "operator" (the console) and "realm-user" (a realm's
// users on /account, lib/account/sign-in.ts). Pages never trust the token alone: the operator
// row is re-read on every request (lib/auth/current-actor.ts), and so is the realm user's
// (lib/account/current-user.ts), so disabling or suspending takes effect at once.
import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { db } from "./lib/db/client.ts";
import { createLogger } from "./lib/log.ts";
import { authenticateOperator, OperatorSignInError } from "./lib/auth/operator-credentials.ts";
import { authenticateRealmUser, RealmUserSignInError } from "./lib/account/sign-in.ts";
import { clientIpFrom } from "./lib/auth/request-meta.ts";
import { authSecret } from "./lib/auth/secret.ts";
import { SESSION_MAX_AGE_SECONDS, SESSION_UPDATE_AGE_SECONDS, type Principal } from "./lib/auth/principal.ts";
import type { OperatorRole } from "./lib/domain/permissions.ts";

declare module "next-auth" {
  interface User {
    kind?: Principal["kind"];
    username?: string;
    role?: OperatorRole;
    realmId?: string;
    sessionEpoch?: number;
  }
  interface Session {
    principal?: Principal;
  }
}

declare module "@auth/core/jwt" {
  interface JWT {
    kind?: Principal["kind"];
    username?: string;
    role?: OperatorRole;
    realmId?: string;
    sessionEpoch?: number;
  }
}

const log = createLogger("auth");

class InvalidCredentials extends CredentialsSignin {
  code = "invalid";
}
class RateLimited extends CredentialsSignin {
  code = "rate_limited";
}
class Suspended extends CredentialsSignin {
  code = "suspended";
}

const operatorProvider = Credentials({
  id: "operator",
  name: "Console operator",
  credentials: { username: { label: "Username" }, password: { label: "Password", type: "password" } },
  async authorize(credentials, request) {
    try {
      const op = await authenticateOperator(db(), credentials, clientIpFrom(request.headers));
      return {
        id: op.id,
        name: op.username,
        kind: "operator",
        username: op.username,
        role: op.role,
        sessionEpoch: op.sessionEpoch,
      };
    } catch (e) {
      if (e instanceof OperatorSignInError)
        throw e.reason === "rate_limited" ? new RateLimited() : new InvalidCredentials();
      throw e;
    }
  },
});

const realmUserProvider = Credentials({
  id: "realm-user",
  name: "Realm account",
  credentials: {
    realm: { label: "Realm" },
    username: { label: "Username" },
    password: { label: "Password", type: "password" },
  },
  async authorize(credentials, request) {
    try {
      const u = await authenticateRealmUser(db(), credentials, clientIpFrom(request.headers));
      return {
        id: u.userId,
        name: u.username,
        kind: "realm-user",
        username: u.username,
        realmId: u.realmId,
        sessionEpoch: u.sessionEpoch,
      };
    } catch (e) {
      if (e instanceof RealmUserSignInError)
        throw e.reason === "rate_limited"
          ? new RateLimited()
          : e.reason === "suspended"
            ? new Suspended()
            : new InvalidCredentials();
      throw e;
    }
  },
});

function config(): NextAuthConfig {
  return {
    secret: authSecret(),
    trustHost: true,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS, updateAge: SESSION_UPDATE_AGE_SECONDS },
    pages: { signIn: "/console/sign-in", error: "/console/sign-in" },
    providers: [operatorProvider, realmUserProvider],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.kind = user.kind;
          token.username = user.username;
          token.role = user.role;
          token.realmId = user.realmId;
          token.sessionEpoch = user.sessionEpoch;
        }
        return token;
      },
      session({ session, token }) {
        if (token.kind === "operator" && token.sub && token.username && token.role) {
          session.principal = {
            kind: "operator",
            id: token.sub,
            username: token.username,
            role: token.role,
            sessionEpoch: token.sessionEpoch ?? 0,
          };
        } else if (
          token.kind === "realm-user" &&
          token.sub &&
          token.username &&
          token.realmId &&
          typeof token.sessionEpoch === "number"
        ) {
          session.principal = {
            kind: "realm-user",
            userId: token.sub,
            realmId: token.realmId,
            username: token.username,
            sessionEpoch: token.sessionEpoch,
          };
        }
        return session;
      },
    },
    // Without a logger, Auth.js prints a stack trace for every failed credentials sign-in.
    logger: {
      error(error) {
        if (error instanceof CredentialsSignin) return;
        log.error({ name: error.name, msg: error.message }, "auth error");
      },
      warn(code) {
        log.warn({ code }, "auth warning");
      },
      debug() {},
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => config());
