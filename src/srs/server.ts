/**
 * `siprec srs`: a small reference recording server. It checks each
 * recording INVITE with the rules of `siprec validate` (400/415/488 with the
 * rule that failed, or accepts with warnings when lenient), answers one
 * recvonly stream per label, receives RTP/SRTP, follows pause/resume
 * re-INVITEs and metadata UPDATEs, and writes one folder per recording.
 * Fault options make it a test peer (--reject, --bye-after,
 * --request-snapshot-after).
 */
import { ReceivedRecording } from "./received-recording.ts";
import type { RecordingSink } from "./recording-sink.ts";
import { AUDIO_FLUSH_MS } from "./recording-writer.ts";
import { type SrsReport, markedInterrupted } from "./report.ts";
import type { Clock, TimerId } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import { type Logger, silentLogger } from "../lib/log.ts";
import { rtcpDelayMs } from "../rtp/rtcp-interval.ts";
import { type RtpSocketPort, type RtpStreamSockets, closeStream } from "../rtp/rtp-socket-port.ts";
import { parseSdp } from "../sdp/parse.ts";
import { serializeSdp } from "../sdp/serialize.ts";
import type { Sdp } from "../sdp/types.ts";
import { splitRecordingBody } from "../siprec/body.ts";
import type { Libxml } from "../siprec/metadata/libxml.ts";
import { type SrsCodec, buildSrsAnswer, srsOfferFor } from "../siprec/srs-answer.ts";
import { type InDialogContext, onClientAck, onClientRequest, takeClientAnswer } from "./in-dialog.ts";
import { header } from "../sip/message/headers.ts";
import { serializeMessage } from "../sip/message/serialize.ts";
import type { TransportProtocol } from "../sip/transport.ts";
import type { DialogSession } from "../sip/ua/dialog-session.ts";
import type { SipStack } from "../sip/ua/stack-port.ts";
import type { IncomingInvite } from "../sip/ua/user-agent.ts";
import { validateBytes } from "../validate/validate.ts";

/** What the SRS does with recordings (the engine's options; where it listens and writes is open-srs.ts's). */
export interface SrsBehaviour {
  /** Our address in the SDP answers (c=) and the RTCP CNAME. */
  readonly host: string;
  readonly lenient: boolean;
  readonly reject?: number;
  readonly byeAfterMs?: number;
  /** Deterministic RTCP report interval (RFC 3550 §6.2: 5 s). */
  readonly rtcpIntervalMs?: number;
  /** Send no more RTCP after this long (a recorder whose media path died while SIP goes on). */
  readonly stopRtcpAfterMs?: number;
  readonly requestSnapshotAfterMs?: number;
  /** Answer every stream inactive ("not ready", RFC 7866 Figure 7), then re-INVITE with recvonly after this long. */
  readonly answerInactiveForMs?: number;
  /** Session-Expires in our 200 (RFC 4028); with refresher "uas" we refresh. */
  readonly sessionExpires?: { readonly seconds: number; readonly refresher: "uac" | "uas" };
  /** 1 s after answering, re-INVITE with this label's stream at port 0. */
  readonly reofferPort0?: string;
  /** Never send a final response to an in-dialog re-INVITE (only the 100 Trying). */
  readonly stallReinvite?: boolean;
  /** Concurrent recordings at most (default 1,000); more get 486. */
  readonly maxRecordings?: number;
  /** The codecs this server records, most wanted first; default: the client's first offered one it records. */
  readonly codecs?: readonly SrsCodec[];
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly lib: Libxml;
  readonly logger?: Logger;
}

/** The SRS's ports: its SIP stack (role "srs"), RTP sockets for the answered streams, where recordings go. */
export interface SrsPorts {
  readonly stack: SipStack;
  readonly sockets: RtpSocketPort;
  readonly sink: RecordingSink;
}

/** The body types an SRS accepts (RFC 7866 §9: SDP and the recording metadata). */
export const SRS_ACCEPT = ["application/sdp", "application/rs-metadata+xml", "application/rs-metadata"] as const;

const SNAPSHOT_REQUEST =
  '<?xml version="1.0" encoding="UTF-8"?>\n<requestsnapshot xmlns="urn:ietf:params:xml:ns:recording:1">\n  <requestreason xml:lang="en">siprec srs test request</requestreason>\n</requestsnapshot>\n';

function statusFor(rule: string): number {
  if (rule.startsWith("sdp-")) return 488;
  if (rule === "body-multipart" || rule === "metadata-media-type" || rule === "body-parse") return 415;
  return 400;
}

export class SrsServer {
  onRecordingDone: (report: SrsReport) => void = () => {};
  readonly finished: SrsReport[] = [];
  readonly #active = new Map<ReceivedRecording, { session: DialogSession; timers: TimerId[] }>();
  readonly #log: Logger;

  constructor(
    private readonly o: SrsBehaviour,
    private readonly ports: SrsPorts,
  ) {
    this.#log = o.logger ?? silentLogger;
    // Recordings an earlier run left unfinished (killed): marked interrupted, so nobody takes a cut one for whole.
    ports.sink.unfinished((r, folder) => {
      const marked = markedInterrupted(r, o.clock.wallNow());
      if (marked !== undefined) this.#log.warn("recording left unfinished by an earlier run: marked interrupted", { folder, writtenAt: r.writtenAt });
      return marked;
    });
    ports.stack.ua.onInvite = (inv) =>
      void this.#onInvite(inv).catch((e: unknown) => {
        this.#log.error("srs failed to handle an INVITE", { error: e });
        inv.reject({ status: 500 });
      });
  }

  get ua(): SipStack["ua"] {
    return this.ports.stack.ua;
  }

  get transports(): SipStack["transports"] {
    return this.ports.stack.transports;
  }

  get port(): number {
    return [...this.ports.stack.transports.values()][0]?.local.port ?? 0;
  }

  portOf(p: TransportProtocol): number | undefined {
    return this.ports.stack.portOf(p);
  }

  async #onInvite(inv: IncomingInvite): Promise<void> {
    const req = inv.request;
    // RFC 3261 §8.2.2.3: a 420 lists the option tags it does not support.
    if (this.o.reject !== undefined)
      return inv.reject({ status: this.o.reject, ...(this.o.reject === 420 ? { headers: [{ name: "Unsupported", value: "siprec" }] } : {}) });
    // Bounded: past --max-recordings a new one is refused (RFC 3261 §21.4.28: 486 Busy Here), the running ones untouched.
    if (this.#active.size >= (this.o.maxRecordings ?? 1000))
      return inv.reject({ status: 486, reason: `Busy Here (${this.#active.size} recordings, --max-recordings)` });
    const findings = validateBytes(this.o.lib, "invite", serializeMessage(req));
    const errors = findings.filter((f) => f.severity === "error");
    if (errors.length > 0 && !this.o.lenient) {
      const e = errors[0] as (typeof errors)[number];
      return inv.reject({ status: statusFor(e.rule), reason: `${e.rule}: ${e.message}`.replace(/[\r\n]+/g, " ").slice(0, 160) });
    }
    const body = splitRecordingBody(header(req, "content-type"), req.body);
    if (!body.ok || body.value.sdp === undefined)
      return inv.reject({ status: 488, reason: "no SDP offer (offerless recording INVITEs are not supported here)" });
    const offer = parseSdp(body.value.sdp);
    if (!offer.ok) return inv.reject({ status: 488, reason: `bad SDP: ${offer.error.message}` });
    const callId = header(req, "call-id") ?? "unknown";
    const started = this.o.clock.wallNow();
    const folder = this.ports.sink.folder(`${new Date(started).toISOString().replace(/[:.]/g, "-")}-${callId.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 60)}`);
    const rec = new ReceivedRecording(folder, callId, started);
    rec.warnings.push(...findings.map((f) => `${f.severity} [${f.rule}] ${f.message}`));
    if (body.value.metadata !== undefined) rec.addMetadata(body.value.metadata);
    rec.event("INVITE received", started);
    // A socket per offered label (and one for its RTCP unless rtcp-mux); the answer decides which stay open.
    const sockets = new Map<string, RtpStreamSockets>();
    const handlers = new Map<string, { rtp: (d: Uint8Array) => void; rtcp: (d: Uint8Array) => void }>();
    try {
      for (const [i, m] of offer.value.media.entries()) {
        if (m.port === 0) continue;
        const label = m.label ?? String(i + 1);
        // Even RTP port, RTCP on the odd one above (RFC 3550 §11), as the client's own streams.
        const pair = await this.ports.sockets.open({
          rtcpMux: m.rtcpMux,
          onRtp: (d) => handlers.get(label)?.rtp(d),
          onRtcp: (d) => handlers.get(label)?.rtcp(d),
        });
        if (pair === undefined) throw new Error(`no free RTP port for label ${label} (${this.ports.sockets.inUse} in use)`);
        sockets.set(label, pair);
      }
    } catch (e) {
      // No port for one label: what the others took goes back before the 500.
      for (const x of sockets.values()) closeStream(x);
      throw e;
    }
    const rtpPorts = new Map([...sockets].map(([l, s]) => [l, s.rtp.port]));
    const rtcpPorts = new Map([...sockets].flatMap(([l, s]) => (s.rtcp === undefined ? [] : [[l, s.rtcp.port] as const])));
    const answer = buildSrsAnswer(offer.value, rtpPorts, this.o.host, this.o.ids, rtcpPorts, this.o.codecs);
    for (const a of answer.streams) {
      const sock = sockets.get(a.label);
      if (!a.accepted || sock === undefined) {
        if (sock !== undefined) closeStream(sock);
        rec.warnings.push(`label ${a.label} rejected: ${a.reason ?? ""}`);
        continue;
      }
      const s = rec.addStream(a, sock, { ourSsrc: this.o.ids.uint32(), cname: `siprec-srs@${this.o.host}` });
      handlers.set(a.label, { rtp: (d) => rec.receive(s, d, this.o.clock.wallNow()), rtcp: (d) => rec.receiveRtcp(s, d, this.o.clock.wallNow()) });
    }
    const notReady = this.o.answerInactiveForMs !== undefined;
    const current: Sdp = notReady ? { ...answer.sdp, media: answer.sdp.media.map((m) => (m.port === 0 ? m : { ...m, direction: "inactive" })) } : answer.sdp;
    const se = this.o.sessionExpires;
    // RFC 4028 §9: the UAS names the interval and the refresher; "uac" needs Require: timer.
    const seHeaders =
      se === undefined
        ? []
        : [
            { name: "Session-Expires", value: `${se.seconds};refresher=${se.refresher}` },
            ...(se.refresher === "uac" ? [{ name: "Require", value: "timer" }] : []),
          ];
    const session = inv.accept({ body: new TextEncoder().encode(serializeSdp(current)), contentType: "application/sdp", headers: seHeaders });
    if (notReady) for (const st of rec.streams.values()) st.state = "inactive";
    if (session === undefined) return;
    rec.event("200 OK sent", this.o.clock.wallNow());
    rec.start(this.o.clock.wallNow());
    const timers: TimerId[] = [];
    this.#active.set(rec, { session, timers });
    // Audio on disk every AUDIO_FLUSH_MS (the report every second): a killed SRS loses at most that plus the jitter window.
    const flush = (): void => {
      const id = this.o.clock.setTimer(AUDIO_FLUSH_MS, () => {
        timers.splice(timers.indexOf(id), 1);
        if (!this.#active.has(rec)) return;
        rec.flush(this.o.clock.wallNow());
        flush();
      });
      timers.push(id);
    };
    flush();
    // RFC 3550 §6.3.1 / §6.2: randomized intervals, the first one sooner (rtcp-interval.ts).
    let first = true;
    const rtcpUntil = this.o.stopRtcpAfterMs === undefined ? Infinity : this.o.clock.now() + this.o.stopRtcpAfterMs;
    const report = (): void => {
      const delay = rtcpDelayMs(this.o.ids, this.o.rtcpIntervalMs, first);
      first = false;
      const id = this.o.clock.setTimer(delay, () => {
        timers.splice(timers.indexOf(id), 1);
        if (!this.#active.has(rec)) return;
        if (this.o.clock.now() >= rtcpUntil) return void rec.event("RTCP stopped (--stop-rtcp-after)", this.o.clock.wallNow());
        rec.sendReports(this.o.clock.wallNow());
        report();
      });
      timers.push(id);
    };
    report();
    const ctx: InDialogContext = {
      rec,
      state: { ours: current, theirs: offer.value },
      lib: this.o.lib,
      lenient: this.o.lenient,
      stallReinvite: this.o.stallReinvite === true,
      now: () => this.o.clock.wallNow(),
    };
    session.onRequest = (r) => onClientRequest(ctx, r);
    session.onAck = (ack) => onClientAck(ctx, ack);
    if (this.o.sessionExpires !== undefined)
      session.startSessionTimer({ intervalS: this.o.sessionExpires.seconds, weRefresh: this.o.sessionExpires.refresher === "uas" });
    const offerFromUs = (what: string, offer: Sdp): void => {
      ctx.state.ours = offer;
      rec.event(`re-INVITE sent (${what})`, this.o.clock.wallNow());
      void session.request("INVITE", { body: new TextEncoder().encode(serializeSdp(offer)), contentType: "application/sdp" }).then((res) => {
        if (res.kind === "final" && res.res.status < 300) takeClientAnswer(ctx, offer, res.res, `answer to our ${what} re-INVITE`);
        else rec.warnings.push(`our ${what} re-INVITE got ${res.kind === "final" ? res.res.status : res.kind}`);
      });
    };
    if (this.o.answerInactiveForMs !== undefined) {
      // RFC 7866 §7.2 / Figure 7: "not ready" first, then a re-INVITE that asks for the media.
      timers.push(this.o.clock.setTimer(this.o.answerInactiveForMs, () => offerFromUs("ready: recvonly", srsOfferFor(ctx.state.ours))));
    }
    if (this.o.reofferPort0 !== undefined) {
      const label = this.o.reofferPort0;
      timers.push(
        this.o.clock.setTimer(1000, () => {
          const prev = srsOfferFor(ctx.state.ours);
          offerFromUs(`label ${label} at port 0`, {
            ...prev,
            media: prev.media.map((m) => (m.label === label ? { ...m, port: 0, crypto: [], rtcp: undefined } : m)),
          });
        }),
      );
    }
    session.onTerminated = (reason) => this.#finish(rec, reason === "remote-bye" ? "client" : "srs");
    if (this.o.requestSnapshotAfterMs !== undefined) {
      timers.push(
        this.o.clock.setTimer(this.o.requestSnapshotAfterMs, () => {
          rec.event("UPDATE with <requestsnapshot> sent", this.o.clock.wallNow());
          void session.request("UPDATE", {
            body: new TextEncoder().encode(SNAPSHOT_REQUEST),
            contentType: "application/rs-metadata+xml",
            headers: [{ name: "Content-Disposition", value: "recording-session" }],
          });
        }),
      );
    }
    if (this.o.byeAfterMs !== undefined) {
      timers.push(
        this.o.clock.setTimer(this.o.byeAfterMs, () => {
          rec.endedBy = "srs";
          rec.event("BYE sent (--bye-after)", this.o.clock.wallNow());
          void session.bye();
        }),
      );
    }
  }

  #finish(rec: ReceivedRecording, by: "client" | "srs"): void {
    const a = this.#active.get(rec);
    if (a === undefined) return;
    this.#active.delete(rec);
    for (const t of a.timers) this.o.clock.clearTimer(t);
    rec.event(by === "client" ? "BYE received" : "ended", this.o.clock.wallNow());
    const report = rec.finish(this.o.clock.wallNow(), by);
    this.finished.push(report);
    this.#log.info("recording written", { folder: rec.folder.path, streams: report.streams.length });
    this.onRecordingDone(report);
  }

  /**
   * Ends open recordings, writes them, closes the listeners. The BYEs go out
   * together and are waited for at most 2 s: a client that vanished must not
   * hold the shutdown for Timer F (32 s); every recording is written anyway.
   */
  async stop(): Promise<void> {
    const open = [...this.#active];
    for (const [rec] of open) rec.endedBy = "srs";
    const byes = Promise.all(open.map(([, a]) => a.session.bye()));
    await Promise.race([byes, new Promise((r) => this.o.clock.setTimer(2000, () => r(undefined)))]);
    for (const [rec] of open) this.#finish(rec, "srs");
    await this.ports.stack.close();
  }
}
