// The CLI commands the signup success page shows, built in one place next to the CLI's own
// options so they work when pasted: a new account has no computer yet, so login creates one.

export interface CliFirstSteps {
  login: string;
  inbox: string;
  send: string;
}

/** `realmSlug` names the realm for ports that serve several (harmless where the port serves one). */
export function cliFirstSteps(userId: string, opts: { computer?: string; realmSlug?: string } = {}): CliFirstSteps {
  const computer = opts.computer ?? "laptop";
  const realm = opts.realmSlug ? ` --realm-name ${opts.realmSlug}` : "";
  return {
    login: `opengroove login ${userId} --computer ${computer} --create-computer${realm}`,
    inbox: "opengroove inbox",
    send: `opengroove send ${userId} --text "hello from the CLI"`,
  };
}
