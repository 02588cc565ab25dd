/**
 * Which source addresses count as "local" for a capture point: a netflow
 * packet whose source address is in the capture point's local networks is
 * counted "out", every other IP packet "in". Each agent may have its own CIDR
 * list; the default covers the private, unique-local and link-local ranges.
 */

/** RFC 1918, RFC 6598 shared space, IPv4 link-local, IPv6 ULA and link-local, loopback. */
export const DEFAULT_LOCAL_NETWORKS: readonly string[] = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8',
  'fc00::/7', 'fe80::/10', '::1/128',
];

interface V4Net { net: number; mask: number }
interface V6Net { bytes: Buffer; prefix: number }

function parseV4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v;
}

/** IPv6 text (with :: and an optional dotted IPv4 tail) to 16 bytes. */
export function parseIpv6(text: string): Buffer | undefined {
  let head = text;
  let v4tail: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.') && lastColon >= 0) {
    v4tail = parseV4(text.slice(lastColon + 1));
    if (v4tail === undefined) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...left, ...new Array(halves.length === 2 ? missing : 0).fill('0'), ...right];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-f]{1,4}$/i.test(all[i])) return undefined;
    out.writeUInt16BE(parseInt(all[i], 16), i * 2);
  }
  if (v4tail !== undefined) out.writeUInt32BE(v4tail, 12);
  return out;
}

export class LocalNetworks {
  private readonly v4: V4Net[] = [];
  private readonly v6: V6Net[] = [];

  /** Throws with the offending entry when a CIDR does not parse. */
  constructor(readonly cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [addr, len, extra] = cidr.trim().split('/');
      if (extra !== undefined) throw new Error(`invalid CIDR "${cidr}"`);
      if (addr.includes(':')) {
        const bytes = parseIpv6(addr);
        const prefix = len === undefined ? 128 : Number(len);
        if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > 128) throw new Error(`invalid IPv6 CIDR "${cidr}"`);
        this.v6.push({ bytes, prefix });
      } else {
        const a = parseV4(addr);
        const prefix = len === undefined ? 32 : Number(len);
        if (a === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`invalid IPv4 CIDR "${cidr}"`);
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        this.v4.push({ net: (a & mask) >>> 0, mask });
      }
    }
  }

  /** An IPv4 address given as an unsigned 32-bit number. */
  containsV4(addr: number): boolean {
    const nets = this.v4;
    for (let i = 0; i < nets.length; i++) if (((addr & nets[i].mask) >>> 0) === nets[i].net) return true;
    return false;
  }

  /** An IPv6 address (16 bytes); IPv4-mapped addresses are matched against the IPv4 list. */
  containsV6(addr: Buffer): boolean {
    if (addr.length !== 16) return false;
    if (isV4Mapped(addr)) return this.containsV4(addr.readUInt32BE(12));
    for (const n of this.v6) if (prefixMatch(addr, n.bytes, n.prefix)) return true;
    return false;
  }

  /** Raw address bytes from a record (4 or 16 bytes). */
  contains(addr: Buffer): boolean {
    if (addr.length === 4) return this.containsV4(addr.readUInt32BE(0));
    return this.containsV6(addr);
  }
}

function isV4Mapped(a: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

function prefixMatch(a: Buffer, net: Buffer, prefix: number): boolean {
  const full = prefix >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== net[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full] & mask) === (net[full] & mask);
}

/**
 * The local networks of every agent: a per-agent list when configured, the
 * default list otherwise.
 */
export class LocalNetworksByAgent {
  private readonly fallback: LocalNetworks;
  private readonly byAgent = new Map<string, LocalNetworks>();

  constructor(defaults: readonly string[], perAgent: Record<string, readonly string[]> = {}) {
    this.fallback = new LocalNetworks(defaults);
    for (const [agent, list] of Object.entries(perAgent)) {
      if (!Array.isArray(list)) throw new Error(`local networks of agent "${agent}" must be a list of CIDRs`);
      try {
        this.byAgent.set(agent, new LocalNetworks(list.map(String)));
      } catch (err) {
        throw new Error(`local networks of agent "${agent}": ${(err as Error).message}`, { cause: err });
      }
    }
  }

  forAgent(agentId: string): LocalNetworks {
    return this.byAgent.get(agentId) ?? this.fallback;
  }

  /** Stable text of the configuration, for the parameter fingerprint of an epoch. */
  describe(): string {
    const entries = [...this.byAgent.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify([this.fallback.cidrs, entries.map(([a, n]) => [a, n.cidrs])]);
  }
}
