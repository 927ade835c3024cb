/**
 * The Resolver port on the system's resolver: SRV from DNS (node:dns), and
 * addresses through getaddrinfo (dns.lookup), so /etc/hosts and nsswitch
 * apply as for any other program on the host (an SRS named only in
 * /etc/hosts resolves). IPv4 addresses come first.
 */
import { lookup, resolveSrv } from "node:dns/promises";
import type { Resolver, SrvRecord } from "./ua/locate.ts";

export const systemResolver: Resolver = {
  async srv(name: string): Promise<SrvRecord[]> {
    return (await resolveSrv(name)).map((r) => ({ name: r.name, port: r.port, priority: r.priority, weight: r.weight }));
  },
  async addresses(host: string): Promise<string[]> {
    const all = await lookup(host, { all: true });
    const unique = [...new Set(all.map((a) => `${a.family} ${a.address}`))].map((x) => x.split(" ") as [string, string]);
    return [...unique.filter(([f]) => f === "4"), ...unique.filter(([f]) => f !== "4")].map(([, a]) => a);
  },
};
