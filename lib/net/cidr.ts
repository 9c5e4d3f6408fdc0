// Address lists for trusted peers (balancers sending PROXY protocol): "10.0.0.5", "10.0.0.0/8",
// "::1", "fd00::/8". Built on node's BlockList; IPv4-mapped IPv6 peers ("::ffff:10.0.0.5", what
// a dual-stack listener reports) match their IPv4 entries.
import net from "node:net";

export interface Cidr {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

/** One address or CIDR; undefined when it is neither. */
export function parseCidr(text: string): Cidr | undefined {
  const [address, bits, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const v = net.isIP(address);
  if (!v) return undefined;
  const max = v === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return { address, prefix, family: v === 4 ? "ipv4" : "ipv6" };
}

export class AddressList {
  private readonly list = new net.BlockList();

  /** Entries that do not parse are refused here (config validation names them first). */
  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const c = parseCidr(e);
      if (!c) throw new Error(`not an IP address or CIDR: ${e}`);
      this.list.addSubnet(c.address, c.prefix, c.family);
    }
  }

  has(address: string | undefined): boolean {
    if (!address) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const a = mapped ?? address;
    const v = net.isIP(a);
    return v !== 0 && this.list.check(a, v === 4 ? "ipv4" : "ipv6");
  }
}
