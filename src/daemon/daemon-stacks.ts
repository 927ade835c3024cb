/**
 * The daemon's SIP stacks: the tap's (FreeSWITCH's tap legs reach it on
 * [tap] address) and the SRS-facing one, the same stack when every SRS is
 * on loopback, else its own on the address that routes to them
 * (srs-facing.ts), with Via/Contact advertising that address per SRS.
 */
import type { Config } from "../config/secrets.ts";
import { transportOf } from "../config/srs-target.ts";
import { type SipStack, openSipStack } from "../sip/stack.ts";
import type { Peer } from "../sip/transport.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import { type SrsFacing, srsFacing } from "./srs-facing.ts";

export async function openDaemonStacks(
  cfg: Config,
  d: { readonly clock: Clock; readonly ids: IdSource; readonly log: Logger },
): Promise<{ stack: SipStack; srsStack: SipStack; facing: SrsFacing }> {
  const protocols = new Set<"udp" | "tcp" | "tls">(["udp", "tcp"]);
  for (const s of cfg.srs) protocols.add(transportOf(s));
  const facing = srsFacing(cfg);
  const log = d.log.child({ part: "sip" });
  const advertise = (peer: Peer | undefined) => (peer === undefined ? cfg.tap.address : facing.sip.for(peer.host));
  const stack = await openSipStack({
    role: "src",
    host: cfg.tap.address,
    protocols: facing.separate ? ["udp", "tcp"] : [...protocols],
    clock: d.clock,
    ids: d.ids,
    logger: log,
    listenPort: cfg.tap.sip_port,
    ...(facing.separate ? {} : { advertise }),
  });
  let srsStack = stack;
  if (facing.separate) {
    try {
      srsStack = await openSipStack({
        role: "src",
        host: facing.sipBind,
        protocols: [...protocols],
        clock: d.clock,
        ids: d.ids,
        logger: log.child({ side: "srs" }),
        listenPort: cfg.recording.sip_port,
        advertise,
      });
    } catch (e) {
      await stack.close();
      throw e;
    }
    log.info("SRS-facing SIP stack", { bind: facing.sipBind, ports: [...srsStack.transports].map(([p, t]) => `${p}:${t.local.port}`).join(" ") });
  }
  return { stack, srsStack, facing };
}
