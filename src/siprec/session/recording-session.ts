/**
 * One recording session (RS) toward one group of recording servers, SRC
 * side (RFC 7866): failover across the group, the recording INVITE, media
 * start per accepted label, PCI pause/resume, metadata updates, snapshot
 * requests, SRS-initiated requests, stop, and a delivery report. A failure
 * never throws into the caller: it ends in a report with a reason.
 */
import type { StreamOutcome } from "../answer.ts";
import { buildRecordingBody } from "../body.ts";
import { buildMetadataXml } from "../metadata/build.ts";
import type { RecordingMetadata } from "../metadata/model.ts";
import { buildSnapshot } from "../metadata/snapshot.ts";
import { SessionMetadata } from "./session-metadata.ts";
import { PauseSignalling } from "./pause-signalling.ts";
import type { SendKey } from "../srs-offer.ts";
import { NegotiatedStreams } from "./negotiated-streams.ts";
import { failsOver } from "./failover.ts";
import { initialOffer, keysInClear, readInitialAnswer } from "./initial-offer.ts";
import { type OurOffersContext, metadataUpdate, offerExchange } from "./our-offers.ts";
import { type SrsRequestContext, SRC_ACCEPT, handleSrsRequest, takeAckAnswer } from "./srs-requests.ts";
import { SrsLoss, type SrsLossEnd } from "./srs-loss.ts";
import type { Attempt, LocalStream, RecordingSessionOptions, SessionReport, SessionState, SipEvent, SrsTarget, StreamFigures } from "./types.ts";
import { serializeSdp } from "../../sdp/serialize.ts";
import type { Sdp } from "../../sdp/types.ts";
import { header } from "../../sip/message/headers.ts";
import { statusOf } from "../../sip/ua/client-request.ts";
import type { DialogSession } from "../../sip/ua/dialog-session.ts";
import type { Dialog } from "../../sip/dialog/dialog.ts";
import type { Peer } from "../../sip/transport.ts";
import { inviteFirstReachable } from "../../sip/ua/uac-invite.ts";
import { describeError } from "../../lib/errors.ts";
import { type Logger, silentLogger } from "../../lib/log.ts";

/** How long the final metadata update may delay the BYE. */
const STOP_UPDATE_MS = 2000;

export type { RecordingSessionOptions } from "./types.ts";

export class RecordingSession {
  onEnded: (r: SessionReport) => void = () => {};
  #state: SessionState = "idle";
  #dialog?: DialogSession;
  #neg?: NegotiatedStreams;
  #offerInAck?: Sdp;
  #srs?: string;
  #reason?: string;
  #endedBy?: "local" | "srs" | "error";
  #cause?: string;
  #unheardMs?: number;
  readonly #loss: SrsLoss;
  #startedAt?: number;
  #endedAt?: number;
  #figures: StreamFigures[] = [];
  readonly #attempts: Attempt[] = [];
  readonly #ladder: SipEvent[] = [];
  readonly #warnings: string[] = [];
  #streams: SessionReport["streams"] = [];
  readonly #log: Logger;

  readonly #md: SessionMetadata;
  readonly #pause: PauseSignalling;

  constructor(private readonly o: RecordingSessionOptions) {
    this.#md = new SessionMetadata({
      current: () => o.snapshot?.() ?? buildSnapshot(o.metadata()),
      send: (xml, kind) => this.#sendMetadata(xml, kind),
      warn: (m) => this.#warnings.push(m),
    });
    this.#pause = new PauseSignalling({
      clock: o.clock,
      gate: (open) => o.media.gate(open),
      reinvite: (d) => this.#reinvite(d),
      warn: (m) => this.#warnings.push(m),
      state: () => this.#state,
      setState: (st) => ((this.#state = st), this.#watch()),
    });
    this.#log = o.logger ?? silentLogger;
    this.#loss = new SrsLoss(o.clock, o.media, o.config.rtcpTimeoutIntervals ?? 0, (end) => this.#lose(end));
  }

  /** The SRS dialog once established: what a restarted daemon needs to send BYE for it. */
  dialogState(): { readonly dialog: Dialog; readonly peer: Peer } | undefined {
    const d = this.#dialog;
    return d === undefined || d.ended ? undefined : { dialog: d.dialog, peer: d.peer };
  }

  get state(): SessionState {
    return this.#state;
  }

  #event(dir: "out" | "in", what: string): void {
    this.#ladder.push({ atMs: this.o.clock.wallNow(), dir, what });
  }

  report(): SessionReport {
    return {
      state: this.#state,
      ...(this.#reason === undefined ? {} : { reason: this.#reason }),
      ...(this.#srs === undefined ? {} : { srs: this.#srs }),
      attempts: [...this.#attempts],
      ...(this.#startedAt === undefined ? {} : { startedAt: this.#startedAt }),
      ...(this.#endedAt === undefined ? {} : { endedAt: this.#endedAt }),
      ...(this.#endedBy === undefined ? {} : { endedBy: this.#endedBy }),
      ...(this.#cause === undefined ? {} : { cause: this.#cause }),
      ...(this.#unheardMs === undefined ? {} : { unheardMs: this.#unheardMs }),
      streams: this.#streams,
      figures: this.#figures,
      pauses: this.#pause.spans.map((p) => ({ ...p })),
      ladder: [...this.#ladder],
      warnings: [...this.#warnings],
      snapshotsSent: this.#md.snapshotsSent,
    };
  }

  /** Tries the servers in order until one records; resolves with the report either way. */
  async start(): Promise<SessionReport> {
    if (this.#state !== "idle") return this.report();
    this.#state = "starting";
    const deadline = this.o.clock.now() + this.o.config.setupTimeoutMs;
    try {
      const usable = this.o.servers.filter((s) => this.o.isUsable?.(s.name) ?? true);
      if (usable.length === 0) return this.#fail(`every server of the group is marked down (${this.o.servers.map((s) => s.name).join(", ")})`);
      for (const srs of usable) {
        if (this.o.clock.now() >= deadline) return this.#fail(`setup deadline of ${this.o.config.setupTimeoutMs} ms passed`);
        const done = await this.#tryServer(srs, deadline, this.o.config.srtp !== "off");
        if (done === "established") return this.report();
        if (done === "stop") break;
      }
      return this.#fail(`no server recorded: ${this.#attempts.map((a) => `${a.srs} ${a.status} ${a.reason}`).join("; ")}`);
    } catch (e) {
      return this.#fail(`internal error: ${describeError(e)}`);
    }
  }

  #fail(reason: string): SessionReport {
    this.#state = "failed";
    this.#reason = reason;
    this.#endedBy = "error";
    this.#endedAt = this.o.clock.wallNow();
    this.#log.warn("recording failed", { group: this.o.group, reason });
    return this.report();
  }

  async #tryServer(srs: SrsTarget, deadline: number, srtp: boolean): Promise<"established" | "next" | "stop"> {
    const c = this.o.config;
    const peers = await srs.peers();
    const first = peers[0];
    const clear = keysInClear(c, srtp, first, srs.name);
    if (clear !== undefined) {
      if (c.srtpOverPlain !== "refuse") this.#warn(clear);
      else {
        this.#event("out", `no INVITE: ${clear}`);
        if (c.srtp === "offer") {
          this.#warn(`${clear}; offering RTP instead (srtp_over_plain = "refuse")`);
          return this.#tryServer(srs, deadline, false);
        }
        this.#attempts.push({ srs: srs.name, status: 488, reason: `refused: ${clear} (srtp_over_plain = "refuse")` });
        return "next";
      }
    }
    const local = first === undefined || this.o.localAddressFor === undefined ? undefined : this.o.localAddressFor(first);
    const address = local?.media ?? c.localAddress;
    const fromUri = local === undefined ? c.fromUri : `sip:siprec@${local.sip.includes(":") ? `[${local.sip}]` : local.sip}`;
    const locals = await this.o.media.prepare(this.o.labels);
    const { offer, keys } = initialOffer(c, locals, srtp, address, this.o.ids);
    const snapshot = this.#md.snapshot();
    const body = buildRecordingBody({ sdp: serializeSdp(offer), metadata: buildMetadataXml(snapshot) }, this.o.ids);
    this.#event("out", `INVITE ${srs.uri} (${srs.name}, ${locals.length} streams${srtp ? ", SRTP" : ""})`);
    const out = await inviteFirstReachable(
      this.o.ua,
      {
        uri: srs.uri,
        from: `<${fromUri}>`,
        to: `<${srs.uri}>`,
        headers: [
          { name: "Require", value: "siprec" },
          { name: "Accept", value: SRC_ACCEPT },
        ],
        body: body.body,
        contentType: body.contentType,
        timeoutMs: Math.max(1, Math.min(c.inviteTimeoutMs, deadline - this.o.clock.now())),
        ...(srs.credentials === undefined ? {} : { credentials: srs.credentials }),
      },
      peers,
    );
    if (!out.ok) {
      this.#event("in", `${out.status} ${out.reason}`);
      this.#attempts.push({ srs: srs.name, status: out.status, reason: out.reason });
      this.o.media.release(locals);
      // SRTP offered but refused: the same server once more with RTP (srtp = "offer").
      if (srtp && c.srtp === "offer" && out.status === 488) return this.#tryServer(srs, deadline, false);
      return failsOver(out.status, c.failoverOn) ? "next" : "stop";
    }
    this.#event("in", `200 OK from ${srs.name}`);
    this.#event("out", "ACK");
    const read = readInitialAnswer(offer, out.response);
    if (!read.ok) {
      const why = read.why;
      this.#attempts.push({ srs: srs.name, status: 488, reason: `unusable answer: ${why}` });
      this.#event("out", "BYE (unusable answer)");
      await out.session.bye();
      this.o.media.release(locals);
      return "next";
    }
    this.#warnings.push(...read.warnings);
    // RFC 7866 §6.2: "the SRS uses +sip.srs in its Contact"; a server without it may not be a recorder at all.
    if (!/;\s*\+sip\.srs\b/i.test(header(out.response, "contact") ?? ""))
      this.#warnings.push(`${srs.name}'s 200 OK has no +sip.srs in its Contact (RFC 7866 §6.2): is it a recording server?`);
    this.#establish(srs, out.session, offer, snapshot, read.streams, locals, keys);
    return "established";
  }

  #establish(
    srs: SrsTarget,
    dialog: DialogSession,
    offer: Sdp,
    snapshot: RecordingMetadata,
    outcomes: readonly StreamOutcome[],
    locals: readonly LocalStream[],
    keys: Map<string, SendKey>,
  ): void {
    this.#dialog = dialog;
    const neg = new NegotiatedStreams(offer, outcomes, locals, keys, this.o.config, this.o.ids);
    this.#neg = neg;
    this.#md.accepted(snapshot);
    this.#srs = srs.name;
    this.#state = "recording";
    this.#startedAt = this.o.clock.wallNow();
    this.#attempts.push({ srs: srs.name, status: 200, reason: "recording" });
    const active = neg.active();
    // Ports of rejected streams go back at once.
    this.o.media.release(locals.filter((l) => !active.some((a) => a.local.label === l.label)));
    this.#applied();
    const ctx: SrsRequestContext = {
      streams: neg,
      paused: () => this.#state === "paused",
      applied: () => this.#applied(),
      event: (dir, what) => this.#event(dir, what),
      warn: (m) => this.#warn(m),
      snapshotRequested: () => this.o.clock.setTimer(0, () => void this.#md.sendSnapshot()),
      offered: (sdp) => (this.#offerInAck = sdp),
    };
    dialog.onRequest = (r) => handleSrsRequest(ctx, r);
    dialog.onAck = (ack) => {
      const offer = this.#offerInAck;
      this.#offerInAck = undefined;
      if (offer !== undefined) takeAckAnswer(ctx, offer, ack.body, header(ack, "content-type"));
    };
    dialog.onTerminated = (reason) => {
      if (this.#state === "stopping" || this.#state === "stopped") return;
      if (reason === "remote-bye") this.#event("in", "BYE from the SRS");
      this.#ended(this.#loss.dialogEnded(reason));
    };
  }

  /** The streams as negotiated now go to the media driver and the report. */
  #applied(): void {
    const neg = this.#neg as NegotiatedStreams;
    this.#streams = neg.report();
    this.o.media.start(neg.active(), this.o.group);
    this.#watch();
  }

  #watch(): void {
    this.#loss.watch(this.#state === "recording" && (this.#neg?.active() ?? []).some((s) => s.outcome.status === "accepted"));
  }

  /** We end a session the SRS can no longer record (BYE sent anyway: it may be alive but deaf). */
  #lose(end: SrsLossEnd): void {
    if (this.#state !== "recording" && this.#state !== "paused") return;
    this.#state = "stopping";
    this.#warn(end.reason);
    this.#event("out", `BYE (${end.cause})`);
    void (this.#dialog as DialogSession).bye();
    this.#ended(end);
  }

  #ended(end: SrsLossEnd): void {
    this.#cause = end.cause;
    if (end.unheardMs !== undefined) this.#unheardMs = end.unheardMs;
    this.#figures = this.o.media.stop();
    this.#finish(end.by, end.reason);
  }

  #warn(m: string): void {
    this.#warnings.push(m);
    this.#log.warn(m, { group: this.o.group });
  }

  #finish(by: "local" | "srs" | "error", reason?: string): void {
    if (this.#state === "stopped") return;
    this.#loss.watch(false);
    this.#pause.closeAll();
    this.#state = "stopped";
    this.#endedBy = by;
    this.#endedAt = this.o.clock.wallNow();
    if (reason !== undefined) this.#reason = reason;
    this.onEnded(this.report());
  }

  /** Sends what changed in the call since the last metadata as a partial update (RFC 7866 §9.1). */
  async updateMetadata(): Promise<boolean> {
    if (this.#state !== "recording" && this.#state !== "paused") return false;
    return this.#md.update();
  }

  #ours(): OurOffersContext {
    return {
      streams: this.#neg as NegotiatedStreams,
      dialog: this.#dialog as DialogSession,
      ids: this.o.ids,
      event: (dir, what) => this.#event(dir, what),
      warn: (m) => this.#warn(m),
      applied: () => {
        if (this.#state === "recording" || this.#state === "paused") this.#applied();
      },
    };
  }

  #reinvite(direction: "inactive" | "sendonly"): Promise<number> {
    return offerExchange(this.#ours(), direction, direction === "inactive" ? "pause" : "resume");
  }

  #sendMetadata(xml: string, kind: "complete snapshot" | "partial update"): Promise<number> {
    return kind === "complete snapshot"
      ? offerExchange(this.#ours(), this.#state === "paused" ? "inactive" : "sendonly", kind, xml)
      : metadataUpdate(this.#ours(), xml, kind);
  }

  /** PCI pause (pause-signalling.ts): the gate closes before the inactive re-INVITE. */
  pause(): Promise<boolean> {
    return this.#pause.pause();
  }

  /** Resumes only when the SRS accepts the sendonly re-INVITE (retried after a refusal). */
  resume(): Promise<boolean> {
    return this.#pause.resume();
  }

  /** BYE, final RTCP BYE, ports released; idempotent. */
  async stop(): Promise<SessionReport> {
    this.#pause.cancel();
    if (this.#state !== "recording" && this.#state !== "paused") return this.report();
    this.#state = "stopping";
    this.#loss.watch(false);
    this.#figures = this.o.media.stop();
    // RFC 7865 §6.3/§6.8: the stop-time and the participants' disassociate-time reach the SRS before the BYE
    // (a partial update; nothing is sent when the metadata did not change). Bounded: the BYE is never held up long.
    await Promise.race([this.#md.update(), new Promise((r) => this.o.clock.setTimer(STOP_UPDATE_MS, () => r(false)))]);
    this.#event("out", "BYE");
    const r = await (this.#dialog as DialogSession).bye();
    this.#event("in", `${statusOf(r)} to BYE`);
    this.#finish("local");
    return this.report();
  }
}
