/**
 * Which of our addresses reaches a host: the source address the kernel
 * picks for a connected UDP socket (connect() sends nothing; it only runs
 * the route lookup). The SRS-facing Via, Contact, From and SDP c= carry
 * it, so a remote SRS never gets 127.0.0.1 (RFC 3261 §18.2.2/§8.1.1.8: the
 * Contact must be reachable).
 */
import { isLoopback } from "../config/fields.ts";

export { isLoopback };

const isIp = (h: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(":");

export async function sourceAddressToward(host: string): Promise<string | undefined> {
  if (!isIp(host)) return undefined;
  // Loopback is reached from loopback: no socket needed.
  if (isLoopback(host)) return host.includes(":") ? "::1" : "127.0.0.1";
  const v6 = host.includes(":");
  try {
    const s = await Bun.udpSocket({ hostname: v6 ? "::" : "0.0.0.0", connect: { hostname: host.replace(/^\[|\]$/g, ""), port: 9 } });
    const a = s.address.address;
    s.close();
    return a === "0.0.0.0" || a === "::" ? undefined : a;
  } catch {
    return undefined;
  }
}

/**
 * Our address per SRS host: the configured one, or (auto) the kernel's
 * pick, cached. `for()` is synchronous (header building); `prime()` runs
 * before a host is first contacted.
 */
export class SourceAddresses {
  readonly #cache = new Map<string, string>();

  constructor(
    /** The configured address, or undefined for auto. */
    private readonly configured: string | undefined,
    /** Used until a host is primed (and for hosts that are names, not addresses). */
    private readonly fallback: string,
  ) {}

  async prime(host: string): Promise<string> {
    if (this.configured !== undefined) return this.configured;
    const known = this.#cache.get(host);
    if (known !== undefined) return known;
    const found = (await sourceAddressToward(host)) ?? this.fallback;
    if (this.#cache.size > 1024) this.#cache.clear();
    this.#cache.set(host, found);
    return found;
  }

  for(host: string | undefined): string {
    return this.configured ?? (host === undefined ? undefined : this.#cache.get(host)) ?? this.fallback;
  }
}
