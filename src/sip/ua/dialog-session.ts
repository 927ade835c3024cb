/**
 * One established dialog and everything that happens inside it: requests we
 * send (re-INVITE, UPDATE, INFO, OPTIONS, BYE), requests we receive, the
 * ACK/2xx reliability of INVITE (RFC 3261 §13.2.2.4, §13.3.1.4), glare
 * (§14.1, 491 with randomized back-off) and session timers (RFC 4028).
 */
import { type RequestResult, sendRequest, statusOf } from "./client-request.ts";
import { gaveUp, sendInDialogInvite } from "./in-dialog-invite.ts";
import { type SessionTimerState, minSeOf, refreshRequestHeaders, refreshRequestVerdict, refreshResponseState, timerDelayMs } from "./session-timer.ts";
import { ALLOW } from "./capabilities.ts";
import { ConnectionProbe } from "./connection-probe.ts";
import { newBranch, randomBetween } from "./ids.ts";
import { type Dialog, afterRefreshResponse, afterRemoteRequest, buildInDialogRequest, checkInDialog } from "../dialog/dialog.ts";
import { buildResponse } from "../message/response.ts";
import type { HeaderField, SipRequest, SipResponse } from "../message/types.ts";
import type { ServerTransaction, TransactionLayer } from "../transaction/layer.ts";
import type { TimerConfig } from "../transaction/timers.ts";
import { type Peer, type TransportProtocol, peerForSize } from "../transport.ts";
import { serializeMessage } from "../message/serialize.ts";
import type { Clock, TimerId } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";

export interface DialogContext {
  readonly layer: TransactionLayer;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly timers: TimerConfig;
  readonly via: { readonly transport: string; readonly host: string; readonly port: number };
  readonly peer: Peer;
  /** Option tags for Supported on every request but ACK (RFC 4028 §7.1: "timer"; RFC 7866: "siprec"). */
  readonly supported?: readonly string[];
  /** Via for another transport toward the same peer (a request too large for UDP goes over TCP, RFC 3261 §18.1.1). */
  readonly viaFor?: (p: TransportProtocol) => { readonly transport: string; readonly host: string; readonly port: number };
  /** How long an in-dialog INVITE may stay without a final response before we CANCEL it and go on (RFC 3261 §9.1). */
  readonly inviteDeadlineMs?: number;
}

export interface Reply {
  readonly status: number;
  readonly reason?: string;
  readonly headers?: readonly HeaderField[];
  readonly body?: Uint8Array;
  readonly contentType?: string;
}

export interface IncomingDialogRequest {
  readonly request: SipRequest;
  respond(reply: Reply): void;
}

export type EndReason = "local-bye" | "remote-bye" | "ack-timeout" | "session-expired" | "dialog-lost" | "transport-lost";

export interface RequestOptions {
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly headers?: readonly HeaderField[];
  /** INVITE without an offer: the answer to the offer in the 2xx goes in the ACK (RFC 3264 §5, RFC 3261 §13.2.2.4). */
  readonly answerInAck?: (res: SipResponse) => { readonly body: Uint8Array; readonly contentType: string } | undefined;
}

/** Like the recording INVITE's own deadline (invite_timeout): long enough for a busy SRS, short enough that a stalled one does not hold a pause or resume. */
export const DEFAULT_INVITE_DEADLINE_MS = 8_000;

export class DialogSession {
  /** Requests from the peer inside the dialog (not BYE/ACK, which are handled here). */
  onRequest: (r: IncomingDialogRequest) => void = (r) => r.respond({ status: r.request.method === "INVITE" ? 488 : 200 });
  onTerminated: (reason: EndReason) => void = () => {};
  /** UAS side: the ACK for a 2xx we sent (its body is the answer to an offer in our 2xx, RFC 3261 §13.3.1.4). */
  onAck: (ack: SipRequest) => void = () => {};
  readonly #endListeners: ((reason: EndReason) => void)[] = [];
  #ended = false;
  #ack?: SipRequest;
  #inviteBusy = false;
  #retransmit?: { res: SipResponse; tx: ServerTransaction; interval: number; timer?: TimerId; deadline: TimerId };
  #sessionTimer?: TimerId;
  #timerState: SessionTimerState | undefined;
  readonly #probe: ConnectionProbe;

  constructor(
    public dialog: Dialog,
    readonly role: "uac" | "uas",
    private readonly ctx: DialogContext,
  ) {
    this.#probe = new ConnectionProbe(ctx.clock, () => this.request("OPTIONS"));
  }

  /** Where in-dialog requests go (kept with the dialog so a restarted process can still send BYE). */
  get peer(): Peer {
    return this.ctx.peer;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Internal listeners (registries) that must run whatever `onTerminated` the owner sets. */
  whenEnded(fn: (reason: EndReason) => void): void {
    this.#endListeners.push(fn);
  }

  /** UAC: the ACK for the initial 2xx, re-sent on each 2xx retransmission. */
  acknowledge(ack: SipRequest): void {
    this.#ack = ack;
    void this.ctx.layer.sendStateless(ack, this.ctx.peer).catch(() => {});
  }

  resendAck(): void {
    if (this.#ack !== undefined) void this.ctx.layer.sendStateless(this.#ack, this.ctx.peer).catch(() => {});
  }

  /**
   * UAS: RFC 3261 §13.3.1.4 "the 2xx response is passed to the transport
   * with an interval that starts at T1 seconds and doubles for each
   * retransmission until it reaches T2 ... If the server retransmits the 2xx
   * response for 64*T1 seconds without receiving an ACK, the dialog is
   * confirmed, but the session SHOULD be terminated" with a BYE.
   */
  retransmit2xx(res: SipResponse, tx: ServerTransaction, reliable: boolean): void {
    // A newer 2xx (a re-INVITE answered before the last ACK came) replaces the old one's timers.
    this.#stopRetransmit();
    const deadline = this.ctx.clock.setTimer(64 * this.ctx.timers.t1, () => {
      this.#stopRetransmit();
      this.ctx.logger.warn("no ACK for 2xx: ending the dialog", { callId: this.dialog.callId });
      void this.bye("ack-timeout");
    });
    this.#retransmit = { res, tx, interval: this.ctx.timers.t1, deadline };
    if (!reliable) this.#scheduleRetransmit();
  }

  #scheduleRetransmit(): void {
    const r = this.#retransmit;
    if (r === undefined) return;
    r.timer = this.ctx.clock.setTimer(r.interval, () => {
      r.tx.respond(r.res);
      r.interval = Math.min(r.interval * 2, this.ctx.timers.t2);
      this.#scheduleRetransmit();
    });
  }

  #stopRetransmit(): void {
    const r = this.#retransmit;
    if (r === undefined) return;
    if (r.timer !== undefined) this.ctx.clock.clearTimer(r.timer);
    this.ctx.clock.clearTimer(r.deadline);
    this.#retransmit = undefined;
  }

  /** An ACK matched to this dialog (for our 2xx). */
  receiveAck(ack?: SipRequest): void {
    const waiting = this.#retransmit !== undefined;
    this.#stopRetransmit();
    if (ack !== undefined && waiting) this.onAck(ack);
  }

  /** The session timer as last negotiated (RFC 4028), undefined when none runs. */
  get sessionTimer(): SessionTimerState | undefined {
    return this.#timerState;
  }

  /** A request from the peer that carries this dialog's id. */
  receive(tx: ServerTransaction): void {
    const req = tx.request;
    // RFC 3311 §5.2 and RFC 3261 §12.1.1: a 2xx to a target-refresh request (re-INVITE, UPDATE) carries our Contact.
    const refresh = req.method === "INVITE" || req.method === "UPDATE";
    const reply = (r: Reply): void => {
      const res = buildResponse(req, r.status, {
        ...(r.reason === undefined ? {} : { reason: r.reason }),
        headers: [
          ...(r.headers ?? []),
          ...(r.contentType === undefined ? [] : [{ name: "Content-Type", value: r.contentType }]),
          ...(r.status >= 200 && r.status < 300 && refresh ? [{ name: "Contact", value: this.dialog.localContact }] : []),
        ],
        ...(r.body === undefined ? {} : { body: r.body }),
      });
      tx.respond(res);
      // §13.3.1.4: a 2xx to a re-INVITE is retransmitted until its ACK, like the first one.
      if (req.method === "INVITE" && r.status >= 200 && r.status < 300) this.retransmit2xx(res, tx, tx.from.protocol !== "udp");
    };
    const check = checkInDialog(this.dialog, req);
    // RFC 3261 §12.2.2: a lower CSeq than the last one "MUST be rejected with a 500".
    if (check === "out-of-order") return reply({ status: 500, reason: "Out of Order" });
    if (check === "not-this-dialog" || this.#ended) return reply({ status: 481 });
    this.dialog = afterRemoteRequest(this.dialog, req);
    if (req.method === "BYE") {
      reply({ status: 200 });
      this.#end("remote-bye");
      return;
    }
    // RFC 3261 §14.2: "A UAS that receives a second INVITE before it sends the final response to a first INVITE ... MUST return a 500"; one received while ours is pending gets 491.
    if (req.method === "INVITE" && this.#inviteBusy) return reply({ status: 491 });
    if (!refresh) return this.onRequest({ request: req, respond: reply });
    // RFC 4028 §9: every re-INVITE or UPDATE is a session refresh; its 2xx states the interval and the refresher.
    const verdict = refreshRequestVerdict(req, this.#timerState);
    if (verdict.kind === "too-small")
      return reply({ status: 422, reason: "Session Interval Too Small", headers: [{ name: "Min-SE", value: String(verdict.minSe) }] });
    this.onRequest({
      request: req,
      respond: (r) => {
        if (r.status < 200 || r.status >= 300) return reply(r);
        const own = new Set((r.headers ?? []).map((h) => h.name.toLowerCase()));
        reply({ ...r, headers: [...(r.headers ?? []), ...verdict.headers.filter((h) => !own.has(h.name.toLowerCase()))] });
        this.startSessionTimer(verdict.state);
      },
    });
  }

  /**
   * Sends a request inside the dialog. INVITE gets its ACK, glare back-off
   * and a deadline: RFC 3261 §9.1 lets us CANCEL a re-INVITE that has had
   * provisional responses only; we stop waiting then, so pause, resume and
   * BYE never hang on an SRS that answers 100 Trying and nothing else.
   * Re-INVITE and UPDATE carry the session timer (RFC 4028 §7.4) and
   * re-arm it from their 2xx; a 422 is retried once with its Min-SE.
   */
  async request(method: string, o: RequestOptions = {}, attempt = 1): Promise<RequestResult> {
    if (this.#ended) return { kind: "transport", reason: "the dialog has ended" };
    if (method === "INVITE") {
      if (this.#inviteBusy)
        return { kind: "final", res: { kind: "response", status: 491, reason: "Request Pending (local)", headers: [], body: new Uint8Array(), bodyOffset: 0 } };
      this.#inviteBusy = true;
    }
    const refresh = method === "INVITE" || method === "UPDATE";
    const given = new Set((o.headers ?? []).map((h) => h.name.toLowerCase()));
    const extra: HeaderField[] = [
      ...(method === "ACK" || (this.ctx.supported ?? []).length === 0 || given.has("supported")
        ? []
        : [{ name: "Supported", value: (this.ctx.supported ?? []).join(", ") }]),
      ...(method === "INVITE" && !given.has("allow") ? [{ name: "Allow", value: ALLOW }] : []),
      ...(refresh && !given.has("session-expires") ? refreshRequestHeaders(this.#timerState) : []),
    ];
    const { answerInAck, ...plain } = o;
    const branch = newBranch(this.ctx.ids);
    const start = this.dialog;
    let built = buildInDialogRequest(start, method, {
      branch,
      viaHost: this.ctx.via.host,
      viaPort: this.ctx.via.port,
      viaTransport: this.ctx.via.transport,
      ...plain,
      headers: [...(o.headers ?? []), ...extra],
    });
    // RFC 3261 §18.1.1: a request over 1300 bytes toward a UDP peer goes over TCP to the same address.
    let peer = peerForSize(this.ctx.peer, serializeMessage(built.request).length);
    const via = peer !== this.ctx.peer ? this.ctx.viaFor?.("tcp") : this.ctx.via;
    if (via === undefined) peer = this.ctx.peer;
    else if (via !== this.ctx.via)
      built = buildInDialogRequest(start, method, {
        branch,
        viaHost: via.host,
        viaPort: via.port,
        viaTransport: via.transport,
        ...plain,
        headers: [...(o.headers ?? []), ...extra],
      });
    this.dialog = built.dialog;
    let ack: SipRequest | undefined;
    const sendAck = async (res: SipResponse) => {
      this.dialog = afterRefreshResponse(this.dialog, res);
      const answer = answerInAck?.(res);
      ack = buildInDialogRequest(this.dialog, "ACK", {
        branch: newBranch(this.ctx.ids),
        viaHost: this.ctx.via.host,
        viaPort: this.ctx.via.port,
        viaTransport: this.ctx.via.transport,
        cseq: built.dialog.localSeq,
        ...(answer === undefined ? {} : { body: answer.body, contentType: answer.contentType }),
      }).request;
      await this.ctx.layer.sendStateless(ack, this.ctx.peer).catch(() => {});
    };
    const result = await this.#withDeadline(method, built.request, peer, (res) => {
      // A 2xx after we gave up still gets its ACK (§13.2.2.4); the session goes on as it was.
      if (ack === undefined) void sendAck(res);
      else void this.ctx.layer.sendStateless(ack, this.ctx.peer).catch(() => {});
    });
    if (method === "INVITE") this.#inviteBusy = false;
    if (method === "INVITE" && result.kind === "final" && result.res.status >= 200 && result.res.status < 300) await sendAck(result.res);
    const status = statusOf(result);
    if (refresh && result.kind === "final" && status >= 200 && status < 300) this.startSessionTimer(refreshResponseState(result.res));
    if (refresh && status === 422 && attempt < 4 && result.kind === "final") {
      const min = minSeOf(result.res);
      if (min !== undefined && min > (this.#timerState?.intervalS ?? 0)) {
        this.#timerState = { intervalS: min, weRefresh: this.#timerState?.weRefresh ?? true };
        return this.request(method, o, attempt + 1);
      }
    }
    if (status === 491 && attempt < 4) {
      // RFC 3261 §14.1: the Call-ID owner (the UAC of the dialog) waits 2.1-4 s, the other side 0-2 s, in units of 10 ms.
      const ms = this.role === "uac" ? randomBetween(this.ctx.ids, 210, 400) * 10 : randomBetween(this.ctx.ids, 0, 200) * 10;
      await new Promise<void>((resolve) => this.ctx.clock.setTimer(ms, resolve));
      return this.request(method, o, attempt + 1);
    }
    // RFC 3261 §12.2.1.2: "If the response for a request within a dialog is a 481 or a 408, the UAC SHOULD terminate the dialog."
    if ((status === 481 || status === 408) && method !== "BYE" && !gaveUp(result)) this.#end("dialog-lost");
    return result;
  }

  #withDeadline(method: string, req: SipRequest, peer: Peer, on2xxAgain: (res: SipResponse) => void): Promise<RequestResult> {
    const deadlineMs = this.ctx.inviteDeadlineMs ?? DEFAULT_INVITE_DEADLINE_MS;
    if (method !== "INVITE") return sendRequest(this.ctx.layer, req, peer, { on2xxRetransmission: on2xxAgain });
    return sendInDialogInvite({ layer: this.ctx.layer, clock: this.ctx.clock }, req, peer, deadlineMs, on2xxAgain, () =>
      this.ctx.logger.warn("in-dialog INVITE without a final response: CANCEL sent, going on without it", { callId: this.dialog.callId, deadlineMs }),
    );
  }

  /** The stream connection toward the peer was lost (connection-probe.ts): gone unless an OPTIONS is answered. */
  async transportLost(why: string): Promise<void> {
    if (this.#ended) return;
    if (!this.#probe.active) this.ctx.logger.warn("connection to the dialog's peer lost: probing with OPTIONS", { callId: this.dialog.callId, why });
    if ((await this.#probe.run()) && !this.#ended) this.#end("transport-lost");
  }

  /** Ends the dialog with a BYE (idempotent). */
  async bye(reason: EndReason = "local-bye"): Promise<RequestResult> {
    if (this.#ended) return { kind: "transport", reason: "the dialog has ended" };
    const r = this.request("BYE");
    this.#end(reason);
    return r;
  }

  /**
   * RFC 4028: (re)arms the one session timer after a refresh in either
   * direction; undefined turns it off. The refresher re-sends at half the
   * interval (an UPDATE without SDP, §7.2 allows it); the other side sends
   * BYE before the session expires (§10).
   */
  startSessionTimer(state: SessionTimerState | undefined): void {
    this.#clearSessionTimer();
    this.#timerState = state;
    if (state === undefined || this.#ended) return;
    this.#sessionTimer = this.ctx.clock.setTimer(timerDelayMs(state), () => {
      this.#sessionTimer = undefined;
      if (!state.weRefresh) {
        this.ctx.logger.warn("session expired without a refresh (RFC 4028 §10): BYE", { callId: this.dialog.callId, intervalS: state.intervalS });
        void this.bye("session-expired");
        return;
      }
      void this.request("UPDATE").then((r) => {
        const st = statusOf(r);
        // §10: a refresh that fails with 408 or 481 (or gets no answer) ends the session; others keep the old timer running out.
        if (st >= 300 && this.#sessionTimer === undefined && !this.#ended) {
          this.ctx.logger.warn("session refresh failed", { callId: this.dialog.callId, status: st });
          this.#sessionTimer = this.ctx.clock.setTimer(
            Math.max(1000, (state.intervalS * 1000) / 2 - Math.min(32_000, (state.intervalS * 1000) / 3)),
            () => void this.bye("session-expired"),
          );
        }
      });
    });
  }

  #clearSessionTimer(): void {
    if (this.#sessionTimer !== undefined) this.ctx.clock.clearTimer(this.#sessionTimer);
    this.#sessionTimer = undefined;
  }

  #end(why: EndReason): void {
    if (this.#ended) return;
    // A probe after a lost connection that gets no answer (408) or 481 is the transport's loss.
    const reason = this.#probe.active && why === "dialog-lost" ? "transport-lost" : why;
    this.#ended = true;
    this.#stopRetransmit();
    this.#clearSessionTimer();
    for (const fn of this.#endListeners) fn(reason);
    this.onTerminated(reason);
  }

  /** Stops timers without signalling (process shutdown after BYEs were sent). */
  close(): void {
    this.#stopRetransmit();
    this.#clearSessionTimer();
  }
}
