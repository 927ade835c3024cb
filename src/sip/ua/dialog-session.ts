/**
 * One established dialog and everything that happens inside it: requests we
 * send (re-INVITE, UPDATE, INFO, OPTIONS, BYE), requests we receive, the
 * ACK/2xx reliability of INVITE (RFC 3261 §13.2.2.4, §13.3.1.4), glare
 * (§14.1, 491 with randomized back-off) and session timers (RFC 4028).
 */
import { type RequestResult, sendRequest, statusOf } from "./client-request.ts";
import { newBranch, randomBetween } from "./ids.ts";
import { type Dialog, afterRefreshResponse, afterRemoteRequest, buildInDialogRequest, checkInDialog } from "../dialog/dialog.ts";
import { buildResponse } from "../message/response.ts";
import type { HeaderField, SipRequest, SipResponse } from "../message/types.ts";
import type { ServerTransaction, TransactionLayer } from "../transaction/layer.ts";
import type { TimerConfig } from "../transaction/timers.ts";
import type { Peer } from "../transport.ts";
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

export type EndReason = "local-bye" | "remote-bye" | "ack-timeout" | "session-expired" | "dialog-lost";

export interface RequestOptions {
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly headers?: readonly HeaderField[];
}

export class DialogSession {
  /** Requests from the peer inside the dialog (not BYE/ACK, which are handled here). */
  onRequest: (r: IncomingDialogRequest) => void = (r) => r.respond({ status: r.request.method === "INVITE" ? 488 : 200 });
  onTerminated: (reason: EndReason) => void = () => {};
  readonly #endListeners: ((reason: EndReason) => void)[] = [];
  #ended = false;
  #ack?: SipRequest;
  #inviteBusy = false;
  #retransmit?: { res: SipResponse; tx: ServerTransaction; interval: number; timer?: TimerId; deadline: TimerId };
  #sessionTimer?: TimerId;

  constructor(
    public dialog: Dialog,
    readonly role: "uac" | "uas",
    private readonly ctx: DialogContext,
  ) {}

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
  receiveAck(): void {
    this.#stopRetransmit();
  }

  /** A request from the peer that carries this dialog's id. */
  receive(tx: ServerTransaction): void {
    const req = tx.request;
    const reply = (r: Reply) => tx.respond(buildResponse(req, r.status, { ...(r.reason === undefined ? {} : { reason: r.reason }), headers: [...(r.headers ?? []), ...(r.contentType === undefined ? [] : [{ name: "Content-Type", value: r.contentType }]), ...(r.status >= 200 && r.status < 300 && req.method === "INVITE" ? [{ name: "Contact", value: this.dialog.localContact }] : [])], ...(r.body === undefined ? {} : { body: r.body }) }));
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
    this.onRequest({ request: req, respond: reply });
  }

  /** Sends a request inside the dialog; INVITE gets its ACK and glare back-off here. */
  async request(method: string, o: RequestOptions = {}, attempt = 1): Promise<RequestResult> {
    if (this.#ended) return { kind: "transport", reason: "the dialog has ended" };
    if (method === "INVITE") {
      if (this.#inviteBusy) return { kind: "final", res: { kind: "response", status: 491, reason: "Request Pending (local)", headers: [], body: new Uint8Array(), bodyOffset: 0 } };
      this.#inviteBusy = true;
    }
    const built = buildInDialogRequest(this.dialog, method, { branch: newBranch(this.ctx.ids), viaHost: this.ctx.via.host, viaPort: this.ctx.via.port, viaTransport: this.ctx.via.transport, ...o });
    this.dialog = built.dialog;
    let ack: SipRequest | undefined;
    const result = await sendRequest(this.ctx.layer, built.request, this.ctx.peer, {
      on2xxRetransmission: () => {
        if (ack !== undefined) void this.ctx.layer.sendStateless(ack, this.ctx.peer).catch(() => {});
      },
    });
    if (method === "INVITE") {
      this.#inviteBusy = false;
      if (result.kind === "final" && result.res.status >= 200 && result.res.status < 300) {
        this.dialog = afterRefreshResponse(this.dialog, result.res);
        ack = buildInDialogRequest(this.dialog, "ACK", { branch: newBranch(this.ctx.ids), viaHost: this.ctx.via.host, viaPort: this.ctx.via.port, viaTransport: this.ctx.via.transport, cseq: this.dialog.localSeq }).request;
        await this.ctx.layer.sendStateless(ack, this.ctx.peer).catch(() => {});
      }
    }
    const status = statusOf(result);
    if (status === 491 && attempt < 4) {
      // RFC 3261 §14.1: the Call-ID owner (the UAC of the dialog) waits 2.1-4 s, the other side 0-2 s, in units of 10 ms.
      const ms = this.role === "uac" ? randomBetween(this.ctx.ids, 210, 400) * 10 : randomBetween(this.ctx.ids, 0, 200) * 10;
      await new Promise<void>((resolve) => this.ctx.clock.setTimer(ms, resolve));
      return this.request(method, o, attempt + 1);
    }
    // RFC 3261 §12.2.1.2: "If the response for a request within a dialog is a 481 or a 408, the UAC SHOULD terminate the dialog."
    if ((status === 481 || status === 408) && method !== "BYE") this.#end("dialog-lost");
    return result;
  }

  /** Ends the dialog with a BYE (idempotent). */
  async bye(reason: EndReason = "local-bye"): Promise<RequestResult> {
    if (this.#ended) return { kind: "transport", reason: "the dialog has ended" };
    const r = this.request("BYE");
    this.#end(reason);
    return r;
  }

  /**
   * RFC 4028: the refresher re-sends at half the interval; the other side
   * ends the session when no refresh arrives before it expires (§10: BYE
   * "before the session expiration" minus min(32, interval/3)).
   */
  startSessionTimer(intervalS: number, weRefresh: boolean): void {
    this.#clearSessionTimer();
    const ms = weRefresh ? (intervalS * 1000) / 2 : (intervalS - Math.min(32, intervalS / 3)) * 1000;
    this.#sessionTimer = this.ctx.clock.setTimer(ms, () => {
      if (!weRefresh) {
        void this.bye("session-expired");
        return;
      }
      void this.request("UPDATE", { headers: [{ name: "Session-Expires", value: `${intervalS};refresher=${this.role}` }] }).then((r) => {
        if (statusOf(r) < 300) this.startSessionTimer(intervalS, true);
      });
    });
  }

  #clearSessionTimer(): void {
    if (this.#sessionTimer !== undefined) this.ctx.clock.clearTimer(this.#sessionTimer);
    this.#sessionTimer = undefined;
  }

  #end(reason: EndReason): void {
    if (this.#ended) return;
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
