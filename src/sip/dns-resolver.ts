/** The Resolver port on the system's DNS (node:dns). */
import { resolve4, resolve6, resolveSrv } from "node:dns/promises";
import type { Resolver, SrvRecord } from "./ua/locate.ts";

export const systemResolver: Resolver = {
  async srv(name: string): Promise<SrvRecord[]> {
    return (await resolveSrv(name)).map((r) => ({ name: r.name, port: r.port, priority: r.priority, weight: r.weight }));
  },
  async addresses(host: string): Promise<string[]> {
    if (host === "localhost") return ["127.0.0.1"];
    const [v4, v6] = await Promise.all([resolve4(host).catch(() => []), resolve6(host).catch(() => [])]);
    return [...v4, ...v6];
  },
};
