/** Two user agents (a UAC side and a UAS side) on an in-memory network with one manual clock. */
import { TransactionLayer } from "../../src/sip/transaction/layer.ts";
import type { Peer, TransportProtocol } from "../../src/sip/transport.ts";
import { UserAgent } from "../../src/sip/ua/user-agent.ts";
import { FixedIds } from "./fixed-ids.ts";
import { ManualClock } from "./manual-clock.ts";
import { MemoryNetwork } from "./memory-transport.ts";

export function uaPair(protocol: TransportProtocol = "udp") {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const make = (port: number, seed: number, contactParams?: string) => {
    let layer!: TransactionLayer;
    const t = net.endpoint(protocol, "127.0.0.1", port, (b, from) => layer.receive(b, from));
    layer = new TransactionLayer({ clock, transports: new Map([[protocol, t]]) });
    const ua = new UserAgent({
      layer,
      clock,
      ids: new FixedIds(seed),
      local: () => ({ host: "127.0.0.1", port }),
      ...(contactParams === undefined ? {} : { contactParams }),
      supported: ["siprec"],
      userAgent: "siprec-test",
    });
    return { ua, layer, peer: { protocol, host: "127.0.0.1", port } as Peer };
  };
  const src = make(5060, 1, ";+sip.src");
  const srs = make(5070, 2);
  return { clock, net, src, srs };
}

/** Lets promise chains settle while the manual clock stands still. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Advances the clock in steps, letting promises run between them. */
export async function run(clock: ManualClock, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await settle();
  }
}
