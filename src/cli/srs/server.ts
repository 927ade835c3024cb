/**
 * `siprec srs`: a small reference recording server. It checks each
 * recording INVITE with the rules of `siprec validate` (400/415/488 with the
 * rule that failed, or accepts with warnings when lenient), answers one
 * recvonly stream per label, receives RTP/SRTP, follows pause/resume
 * re-INVITEs and metadata UPDATEs, and writes one folder per recording.
 * Fault options make it a test peer (--reject, --bye-after,
 * --request-snapshot-after).
 */
import { join } from "node:path";
import { Recording } from "./recording.ts";
import { markInterrupted } from "./interrupted.ts";
import { openAppStack } from "../sip-stack.ts";
import type { Clock, TimerId } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import { type Logger, silentLogger } from "../../lib/log.ts";
import { openRtpSocket, openToolRtpPair } from "../../rtp/udp-socket.ts";
import { parseSdp } from "../../sdp/parse.ts";
import { serializeSdp } from "../../sdp/serialize.ts";
import type { Sdp } from "../../sdp/types.ts";
import { splitRecordingBody } from "../../siprec/body.ts";
import type { Libxml } from "../../siprec/metadata/libxml.ts";
import { buildSrsAnswer, srsOfferFor } from "../../siprec/srs-answer.ts";
import { type InDialogContext, onClientAck, onClientRequest, takeClientAnswer } from "./in-dialog.ts";
import { header } from "../../sip/message/headers.ts";
import { serializeMessage } from "../../sip/message/serialize.ts";
import { TransactionLayer } from "../../sip/transaction/layer.ts";
import type { SipTransport, TransportProtocol } from "../../sip/transport.ts";
import type { DialogSession } from "../../sip/ua/dialog-session.ts";
import { type IncomingInvite, UserAgent } from "../../sip/ua/user-agent.ts";
import { validateBytes } from "../../validate/validate.ts";

export interface SrsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly transports: readonly ("udp" | "tcp" | "tls")[];
  /** PEM certificate and key for TLS (listening on port + 1 when TCP or UDP use port). */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly dir: string;
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
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly lib: Libxml;
  readonly logger?: Logger;
}

const SNAPSHOT_REQUEST = '<?xml version="1.0" encoding="UTF-8"?>\n<requestsnapshot xmlns="urn:ietf:params:xml:ns:recording:1">\n  <requestreason xml:lang="en">siprec srs test request</requestreason>\n</requestsnapshot>\n';

function statusFor(rule: string): number {
  if (rule.startsWith("sdp-")) return 488;
  if (rule === "body-multipart" || rule === "metadata-media-type" || rule === "body-parse") return 415;
  return 400;
}

export class SrsServer {
  onRecordingDone: (report: Record<string, unknown>) => void = () => {};
  readonly finished: Record<string, unknown>[] = [];
  readonly #active = new Map<Recording, { session: DialogSession; timers: TimerId[] }>();
  readonly #log: Logger;

  private constructor(
    private readonly o: SrsServerOptions,
    readonly ua: UserAgent,
    private readonly layer: TransactionLayer,
    readonly transports: ReadonlyMap<TransportProtocol, SipTransport>,
  ) {
    this.#log = o.logger ?? silentLogger;
    ua.onInvite = (inv) => void this.#onInvite(inv).catch((e: unknown) => {
      this.#log.error("srs failed to handle an INVITE", { error: e });
      inv.reject({ status: 500 });
    });
  }

  static async start(o: SrsServerOptions): Promise<SrsServer> {
    const stack = await openAppStack({
      host: o.host,
      listenPort: o.port,
      protocols: o.transports,
      clock: o.clock,
      ids: o.ids,
      contactParams: ";+sip.srs",
      ...(o.tls === undefined ? {} : { tls: { cert: o.tls.cert, key: o.tls.key } }),
      ...(o.logger === undefined ? {} : { logger: o.logger }),
    });
    markInterrupted(o.dir, o.clock.wallNow(), o.logger ?? silentLogger);
    const ua = new UserAgent({ layer: stack.layer, clock: o.clock, ids: o.ids, local: (p) => stack.transports.get(p)?.local ?? { host: o.host, port: o.port }, contactParams: ";+sip.srs", supported: ["siprec", "timer"], accept: ["application/sdp", "application/rs-metadata+xml", "application/rs-metadata"], userAgent: "siprec-srs", ...(o.logger === undefined ? {} : { logger: o.logger }) });
    return new SrsServer(o, ua, stack.layer, stack.transports);
  }

  get port(): number {
    return [...this.transports.values()][0]?.local.port ?? 0;
  }

  portOf(p: TransportProtocol): number | undefined {
    return this.transports.get(p)?.local.port;
  }

  async #onInvite(inv: IncomingInvite): Promise<void> {
    const req = inv.request;
    // RFC 3261 §8.2.2.3: a 420 lists the option tags it does not support.
    if (this.o.reject !== undefined) return inv.reject({ status: this.o.reject, ...(this.o.reject === 420 ? { headers: [{ name: "Unsupported", value: "siprec" }] } : {}) });
    // Bounded: past --max-recordings a new one is refused (RFC 3261 §21.4.28: 486 Busy Here), the running ones untouched.
    if (this.#active.size >= (this.o.maxRecordings ?? 1000)) return inv.reject({ status: 486, reason: `Busy Here (${this.#active.size} recordings, --max-recordings)` });
    const findings = validateBytes(this.o.lib, "invite", serializeMessage(req));
    const errors = findings.filter((f) => f.severity === "error");
    if (errors.length > 0 && !this.o.lenient) {
      const e = errors[0] as (typeof errors)[number];
      return inv.reject({ status: statusFor(e.rule), reason: `${e.rule}: ${e.message}`.replace(/[\r\n]+/g, " ").slice(0, 160) });
    }
    const body = splitRecordingBody(header(req, "content-type"), req.body);
    if (!body.ok || body.value.sdp === undefined) return inv.reject({ status: 488, reason: "no SDP offer (offerless recording INVITEs are not supported here)" });
    const offer = parseSdp(body.value.sdp);
    if (!offer.ok) return inv.reject({ status: 488, reason: `bad SDP: ${offer.error.message}` });
    const callId = header(req, "call-id") ?? "unknown";
    const started = this.o.clock.wallNow();
    const folder = join(this.o.dir, `${new Date(started).toISOString().replace(/[:.]/g, "-")}-${callId.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 60)}`);
    const rec = new Recording(folder, callId, started);
    rec.warnings.push(...findings.map((f) => `${f.severity} [${f.rule}] ${f.message}`));
    if (body.value.metadata !== undefined) rec.addMetadata(body.value.metadata);
    rec.event("INVITE received", started);
    // A socket per offered label; the answer decides which stay open.
    // A socket per offered label (and one for its RTCP unless rtcp-mux); the answer decides which stay open.
    const sockets = new Map<string, Awaited<ReturnType<typeof openRtpSocket>>>();
    const rtcpSockets = new Map<string, Awaited<ReturnType<typeof openRtpSocket>>>();
    const handlers = new Map<string, (d: Uint8Array) => void>();
    const rtcpHandlers = new Map<string, (d: Uint8Array) => void>();
    try {
      for (const [i, m] of offer.value.media.entries()) {
        if (m.port === 0) continue;
        const label = m.label ?? String(i + 1);
        const onRtp = (d: Uint8Array) => handlers.get(label)?.(d);
        const onRtcp = (d: Uint8Array) => rtcpHandlers.get(label)?.(d);
        // Even RTP port, RTCP on the odd one above (RFC 3550 §11), as the client's own streams.
        const pair = m.rtcpMux ? undefined : await openToolRtpPair({ host: this.o.host, onRtp, onRtcp });
        sockets.set(label, pair?.rtp ?? (await openRtpSocket({ host: this.o.host, port: 0, onPacket: onRtp })));
        if (pair !== undefined) rtcpSockets.set(label, pair.rtcp);
      }
    } catch (e) {
      // No port for one label: what the others took goes back before the 500.
      for (const x of [...sockets.values(), ...rtcpSockets.values()]) x.close();
      throw e;
    }
    const portsOf = (m: typeof sockets) => new Map([...m].map(([l, s]) => [l, s.port]));
    const answer = buildSrsAnswer(offer.value, portsOf(sockets), this.o.host, this.o.ids, portsOf(rtcpSockets));
    for (const a of answer.streams) {
      const sock = sockets.get(a.label);
      const rtcpSock = rtcpSockets.get(a.label);
      if (!a.accepted || sock === undefined) {
        sock?.close();
        rtcpSock?.close();
        rec.warnings.push(`label ${a.label} rejected: ${a.reason ?? ""}`);
        continue;
      }
      const s = rec.addStream(a, sock, { ourSsrc: this.o.ids.uint32(), cname: `siprec-srs@${this.o.host}`, ...(rtcpSock === undefined ? {} : { socket: rtcpSock }) });
      handlers.set(a.label, (d) => rec.receive(s, d, this.o.clock.wallNow()));
      rtcpHandlers.set(a.label, (d) => rec.receiveRtcp(s, d, this.o.clock.wallNow()));
    }
    const notReady = this.o.answerInactiveForMs !== undefined;
    const current: Sdp = notReady ? { ...answer.sdp, media: answer.sdp.media.map((m) => (m.port === 0 ? m : { ...m, direction: "inactive" })) } : answer.sdp;
    const se = this.o.sessionExpires;
    // RFC 4028 §9: the UAS names the interval and the refresher; "uac" needs Require: timer.
    const seHeaders = se === undefined ? [] : [{ name: "Session-Expires", value: `${se.seconds};refresher=${se.refresher}` }, ...(se.refresher === "uac" ? [{ name: "Require", value: "timer" }] : [])];
    const session = inv.accept({ body: new TextEncoder().encode(serializeSdp(current)), contentType: "application/sdp", headers: seHeaders });
    if (notReady) for (const st of rec.streams.values()) st.state = "inactive";
    if (session === undefined) return;
    rec.event("200 OK sent", this.o.clock.wallNow());
    rec.start(this.o.clock.wallNow());
    const timers: TimerId[] = [];
    this.#active.set(rec, { session, timers });
    // Audio on disk every 0.5 s (the report every second): a killed SRS loses at most that plus the 0.5 s jitter window.
    const flush = (): void => {
      const id = this.o.clock.setTimer(500, () => {
        timers.splice(timers.indexOf(id), 1);
        if (!this.#active.has(rec)) return;
        rec.flush(this.o.clock.wallNow());
        flush();
      });
      timers.push(id);
    };
    flush();
    // RFC 3550 §6.3.1: reports at a randomized interval (0.5 to 1.5 times the deterministic one);
    // §6.2: "the initial RTCP packet ... [uses] half the minimum interval", so the first comes sooner.
    let first = true;
    const rtcpUntil = this.o.stopRtcpAfterMs === undefined ? Infinity : this.o.clock.now() + this.o.stopRtcpAfterMs;
    const report = (): void => {
      const t = (this.o.rtcpIntervalMs ?? 5000) / (first ? 2 : 1);
      first = false;
      const id = this.o.clock.setTimer(Math.round(t * (0.5 + (this.o.ids.uint32() % 10_001) / 10_000)), () => {
        timers.splice(timers.indexOf(id), 1);
        if (!this.#active.has(rec)) return;
        if (this.o.clock.now() >= rtcpUntil) return void rec.event("RTCP stopped (--stop-rtcp-after)", this.o.clock.wallNow());
        rec.sendReports(this.o.clock.wallNow());
        report();
      });
      timers.push(id);
    };
    report();
    const ctx: InDialogContext = { rec, state: { ours: current, theirs: offer.value }, lib: this.o.lib, lenient: this.o.lenient, stallReinvite: this.o.stallReinvite === true, now: () => this.o.clock.wallNow() };
    session.onRequest = (r) => onClientRequest(ctx, r);
    session.onAck = (ack) => onClientAck(ctx, ack);
    if (this.o.sessionExpires !== undefined) session.startSessionTimer({ intervalS: this.o.sessionExpires.seconds, weRefresh: this.o.sessionExpires.refresher === "uas" });
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
      timers.push(this.o.clock.setTimer(1000, () => {
        const prev = srsOfferFor(ctx.state.ours);
        offerFromUs(`label ${label} at port 0`, { ...prev, media: prev.media.map((m) => (m.label === label ? { ...m, port: 0, crypto: [], rtcp: undefined } : m)) });
      }));
    }
    session.onTerminated = (reason) => this.#finish(rec, reason === "remote-bye" ? "client" : "srs");
    if (this.o.requestSnapshotAfterMs !== undefined) {
      timers.push(this.o.clock.setTimer(this.o.requestSnapshotAfterMs, () => {
        rec.event("UPDATE with <requestsnapshot> sent", this.o.clock.wallNow());
        void session.request("UPDATE", { body: new TextEncoder().encode(SNAPSHOT_REQUEST), contentType: "application/rs-metadata+xml", headers: [{ name: "Content-Disposition", value: "recording-session" }] });
      }));
    }
    if (this.o.byeAfterMs !== undefined) {
      timers.push(this.o.clock.setTimer(this.o.byeAfterMs, () => {
        rec.endedBy = "srs";
        rec.event("BYE sent (--bye-after)", this.o.clock.wallNow());
        void session.bye();
      }));
    }
  }

  #finish(rec: Recording, by: "client" | "srs"): void {
    const a = this.#active.get(rec);
    if (a === undefined) return;
    this.#active.delete(rec);
    for (const t of a.timers) this.o.clock.clearTimer(t);
    rec.event(by === "client" ? "BYE received" : "ended", this.o.clock.wallNow());
    const report = rec.finish(this.o.clock.wallNow(), by);
    this.finished.push(report);
    this.#log.info("recording written", { folder: rec.dir, streams: (report["streams"] as unknown[]).length });
    this.onRecordingDone(report);
  }

  /** Ends open recordings, writes them, closes the listeners. */
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
    this.layer.close();
    for (const t of this.transports.values()) t.close();
  }
}
