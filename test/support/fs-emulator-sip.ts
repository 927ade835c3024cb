/**
 * The SIP and RTP side of the FreeSWITCH emulator: places a tap leg the way
 * FreeSWITCH 1.10.12 does (its captured INVITE, with the originate's
 * variables as X-Siprec-* headers), answers BYE, sends BYE when the
 * recorded call ends, and plays the leg's captured RTP at 20 ms from a
 * socket of the leg's own (its SDP's m= port, as FreeSWITCH sends it).
 */
import { udpDatagrams } from "./pcap-udp.ts";

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const pcap = udpDatagrams("esl-tap-legs-tap-only.pcap");
export const CAPTURED_TAP_INVITE = dec(pcap.find((d) => d.dport === 5090 && dec(d.payload).startsWith("INVITE "))!.payload);

/** FreeSWITCH's RTP of each captured tap leg, by direction (the leg's SDP port names its packets). */
export const CAPTURED_TAP_RTP: Record<"read" | "write" | "both", Uint8Array[]> = (() => {
  const out: Record<string, Uint8Array[]> = {};
  for (const d of pcap) {
    const t = dec(d.payload);
    const dir = /X-Siprec-Direction: (\w+)/.exec(t)?.[1];
    const port = Number(/m=audio (\d+)/.exec(t)?.[1]);
    if (t.startsWith("INVITE ") && d.dport === 5090 && dir !== undefined)
      out[dir] = pcap.filter((x) => x.sport === port && x.dport === 6000).map((x) => x.payload);
  }
  return out as Record<"read" | "write" | "both", Uint8Array[]>;
})();

export interface TapLegPlan {
  /** The recorded call the leg eavesdrops on. */
  readonly callUuid: string;
  readonly legUuid: string;
  readonly host: string;
  readonly port: number;
  readonly headers: Record<string, string>;
  readonly direction: "read" | "write" | "both";
  /** FreeSWITCH's codec-mismatch behaviour: answer, then hang up at once without RTP. */
  readonly hangUpAfterAnswer: boolean;
}

export interface LiveLeg {
  readonly plan: TapLegPlan;
  state: "calling" | "up" | "ended";
  status: number | undefined;
  rtpSent: number;
  endedBy: "us" | "them" | undefined;
  /** The leg's own RTP port (its SDP offer's m= port, where its RTP comes from), and the daemon's answered port. */
  rtpPort: number;
  remotePort: number | undefined;
}

/**
 * Where a leg's RTP comes from: by default the emulator opens a socket per
 * leg (FreeSWITCH sends each leg from the port its SDP offered) and plays the
 * captured packets; `external` offers the port it is given and sends nothing,
 * for a bench whose C sender plays the legs from those ports.
 */
export type TapRtpSource = { readonly kind: "captured" } | { readonly kind: "external"; readonly port: (legIndex: number) => number };

type Udp = Bun.udp.Socket<"buffer">;

export class TapLegEmulator {
  readonly legs: LiveLeg[] = [];
  #sip!: Udp;
  readonly #byCallId = new Map<
    string,
    {
      leg: LiveLeg;
      invite: string;
      rtp?: Udp;
      toTag?: string;
      remote?: number;
      timer?: ReturnType<typeof setTimeout>;
      cseq: number;
      settle: (status: number) => void;
    }
  >();

  private constructor(private readonly rtpSource: TapRtpSource) {}

  static async open(rtpSource: TapRtpSource = { kind: "captured" }): Promise<TapLegEmulator> {
    const e = new TapLegEmulator(rtpSource);
    // ICMP port-unreachable from a daemon that died comes back as a socket error: FreeSWITCH shrugs, so do we.
    e.#sip = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: { data: (_s, d) => e.#onSip(dec(d)), error: () => {} } });
    return e;
  }

  /** Places the leg; resolves with the final status FreeSWITCH would see. */
  async place(plan: TapLegPlan): Promise<number> {
    const n = this.legs.length + 1;
    const callId = `fs-emu-${n}-${plan.legUuid}`;
    const src = this.rtpSource;
    // The leg is numbered and listed before the socket's await: legs placed at once must not share a number.
    const leg: LiveLeg = { plan, state: "calling", status: undefined, rtpSent: 0, endedBy: undefined, rtpPort: 0, remotePort: undefined };
    this.legs.push(leg);
    const rtp = src.kind === "captured" ? await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: { error: () => {} } }) : undefined;
    const rtpPort = rtp?.port ?? (src.kind === "external" ? src.port(n - 1) : 0);
    leg.rtpPort = rtpPort;
    let invite = CAPTURED_TAP_INVITE.replace(/^INVITE sip:tap@127\.0\.0\.1:5090/, `INVITE sip:tap@${plan.host}:${plan.port}`)
      .replace("To: <sip:tap@127.0.0.1:5090>", `To: <sip:tap@${plan.host}:${plan.port}>`)
      .replace(/Call-ID: \S+/, `Call-ID: ${callId}`)
      .replace(/branch=\S+/, `branch=z9hG4bKemu${n}`)
      .replace(/;tag=\S+/, `;tag=emu${n}`)
      .replace("Via: SIP/2.0/UDP 127.0.0.1;rport", `Via: SIP/2.0/UDP 127.0.0.1:${this.#sip.port};rport`)
      .replace("<sip:mod_sofia@127.0.0.1:5060>", `<sip:mod_sofia@127.0.0.1:${this.#sip.port}>`)
      .replace(
        /X-Siprec-Session: .*\r\nX-Siprec-Direction: .*\r\n/,
        Object.entries(plan.headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join(""),
      )
      .replace(/m=audio \d+/, `m=audio ${rtpPort}`);
    const [head, body] = invite.split("\r\n\r\n") as [string, string];
    invite = `${head.replace(/Content-Length: \d+/, `Content-Length: ${Buffer.byteLength(body)}`)}\r\n\r\n${body}`;
    return new Promise((settle) => {
      this.#byCallId.set(callId, { leg, invite, ...(rtp === undefined ? {} : { rtp }), cseq: 1, settle });
      // Timer A (RFC 3261 §17.1.1.2), as sofia-sip does: resend until a response, 500 ms doubling.
      const send = (interval: number): void => {
        if (leg.status !== undefined || interval > 16_000) return;
        this.#sendSip(invite, plan.port, plan.host);
        setTimeout(() => send(interval * 2), interval);
      };
      send(500);
    });
  }

  /** `uuid_kill <leg>`: that leg ends with BYE. */
  hangup(legUuid: string): boolean {
    for (const [callId, c] of this.#byCallId) {
      if (c.leg.plan.legUuid === legUuid && c.leg.state === "up") {
        this.#bye(callId);
        return true;
      }
    }
    return false;
  }

  /** The recorded call ended: FreeSWITCH ends every eavesdrop leg on it with BYE. */
  hangupCall(callUuid: string): void {
    for (const [callId, c] of this.#byCallId) if (c.leg.state === "up" && c.leg.plan.callUuid === callUuid) this.#bye(callId);
  }

  close(): void {
    for (const c of this.#byCallId.values()) {
      clearTimeout(c.timer);
      c.rtp?.close();
    }
    this.#sip.close();
  }

  #onSip(text: string): void {
    const callId = /Call-ID: (\S+)/i.exec(text)?.[1] ?? "";
    const c = this.#byCallId.get(callId);
    if (c === undefined) return;
    if (text.startsWith("SIP/2.0 ")) {
      const status = Number(text.slice(8, 11));
      if (status < 200 || !/CSeq: \d+ INVITE/i.test(text) || c.leg.status !== undefined) return;
      c.leg.status = status;
      if (status >= 300) {
        this.#end(c);
        this.#sendSip(this.#request("ACK", callId, c, 1, /To: .*;tag=(\S+)/.exec(text)?.[1]), c.leg.plan.port, c.leg.plan.host);
        return c.settle(status);
      }
      c.toTag = /To: .*;tag=(\S+)/.exec(text)?.[1];
      c.remote = Number(/m=audio (\d+)/.exec(text)?.[1]);
      c.leg.remotePort = c.remote;
      c.leg.state = "up";
      this.#sendSip(this.#request("ACK", callId, c, 1), c.leg.plan.port, c.leg.plan.host);
      c.settle(status);
      if (c.leg.plan.hangUpAfterAnswer) return void setTimeout(() => this.#bye(callId), 30);
      const rtp = c.rtp;
      if (rtp === undefined) return; // an external sender plays this leg
      const packets = CAPTURED_TAP_RTP[c.leg.plan.direction];
      // 50 packets a second on absolute deadlines, as FreeSWITCH's media thread keeps its clock: a late
      // timer (a loaded test box) sends what is due at once instead of drifting (setInterval(20) drifts).
      const t0 = performance.now();
      let i = 0;
      const tick = (): void => {
        if (c.leg.state !== "up") return;
        while (performance.now() >= t0 + i * 20) {
          try {
            rtp.send(packets[i % packets.length]!, c.remote!, "127.0.0.1");
          } catch {
            // the daemon's port is gone (killed): FreeSWITCH keeps sending into the void too
          }
          c.leg.rtpSent++;
          i++;
        }
        c.timer = setTimeout(tick, Math.max(0, t0 + i * 20 - performance.now()));
      };
      tick();
      return;
    }
    if (text.startsWith("BYE ")) {
      c.leg.endedBy ??= "them";
      this.#end(c);
      const via = /Via: .*/i.exec(text)?.[0] ?? "";
      const pick = (h: string): string => new RegExp(`^${h}: .*$`, "im").exec(text)?.[0] ?? "";
      this.#sendSip(
        `SIP/2.0 200 OK\r\n${via}\r\n${pick("From")}\r\n${pick("To")}\r\n${pick("Call-ID")}\r\n${pick("CSeq")}\r\nContent-Length: 0\r\n\r\n`,
        c.leg.plan.port,
        c.leg.plan.host,
      );
    }
  }

  /** A datagram to a tap listener; one that died (SIGKILL) makes the kernel refuse later sends, as FreeSWITCH would see. */
  #sendSip(text: string, port: number, host: string): void {
    try {
      this.#sip.send(text, port, host);
    } catch {
      // ECONNREFUSED after an ICMP port-unreachable: nobody listens any more.
    }
  }

  #bye(callId: string): void {
    const c = this.#byCallId.get(callId);
    if (c === undefined || c.leg.state !== "up") return;
    c.leg.endedBy = "us";
    this.#end(c);
    c.cseq++;
    this.#sendSip(this.#request("BYE", callId, c, c.cseq), c.leg.plan.port, c.leg.plan.host);
  }

  /** The leg is over: its RTP stops and its port closes, as FreeSWITCH's does. */
  #end(c: { leg: LiveLeg; rtp?: Udp; timer?: ReturnType<typeof setTimeout> }): void {
    c.leg.state = "ended";
    clearTimeout(c.timer);
    c.rtp?.close();
  }

  #request(method: string, callId: string, c: { invite: string; toTag?: string }, cseq: number, toTag = c.toTag): string {
    const p = c.invite;
    const line = (h: string): string => new RegExp(`^${h}: .*$`, "m").exec(p)?.[0] ?? "";
    const branch = method === "ACK" && cseq === 1 && toTag !== c.toTag ? /branch=(\S+)/.exec(p)?.[1] : `z9hG4bK${method}${Math.floor(Math.random() * 1e9)}`;
    return [
      `${method} ${/^INVITE (\S+)/.exec(p)?.[1]} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.#sip.port};rport;branch=${branch}`,
      "Max-Forwards: 70",
      line("From"),
      `${line("To")}${toTag === undefined ? "" : `;tag=${toTag}`}`,
      `Call-ID: ${callId}`,
      `CSeq: ${method === "ACK" ? /CSeq: (\d+)/.exec(p)?.[1] : Number(/CSeq: (\d+)/.exec(p)?.[1]) + cseq} ${method}`,
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
  }
}
