/**
 * The SIP user agent core: the transaction user of the layer. It owns the
 * dialogs, routes requests to them (481 when none matches), answers
 * OPTIONS, and hands new INVITEs to a hook so the caller (tap listener,
 * reference SRS) decides. The INVITE client procedure is in uac-invite.ts.
 */
import { type DialogContext, DialogSession, type Reply } from "./dialog-session.ts";
import { newBranch, newCallId, newTag } from "./ids.ts";
import { dialogFromRequest } from "../dialog/dialog.ts";
import { header, headerList } from "../message/headers.ts";
import { nameAddrParam, parseNameAddr } from "../message/name-addr.ts";
import { buildResponse } from "../message/response.ts";
import type { HeaderField, SipRequest, SipResponse } from "../message/types.ts";
import type { ServerTransaction, TransactionLayer } from "../transaction/layer.ts";
import { DEFAULT_TIMERS, type TimerConfig } from "../transaction/timers.ts";
import type { Peer, TransportProtocol } from "../transport.ts";
import { type RequestResult, sendRequest } from "./client-request.ts";
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import { type Logger, silentLogger } from "../../lib/log.ts";

export { ALLOW } from "./capabilities.ts";
import { ALLOW } from "./capabilities.ts";

export interface UaOptions {
  readonly layer: TransactionLayer;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Where each transport listens, for Via and Contact. */
  /** Our address for Via/Contact toward `peer` (the source address that reaches it) and the port we listen on. */
  readonly local: (p: TransportProtocol, peer?: Peer) => { readonly host: string; readonly port: number };
  readonly timers?: TimerConfig;
  readonly logger?: Logger;
  readonly userAgent?: string;
  /** Feature tags for our Contact, e.g. ";+sip.src" (RFC 7866 §6.1.1). */
  readonly contactParams?: string;
  /** Option tags this UA supports (answered in OPTIONS, checked against Require). */
  readonly supported?: readonly string[];
  readonly accept?: readonly string[];
  /** In-dialog INVITE deadline before CANCEL (DialogContext.inviteDeadlineMs). */
  readonly inviteDeadlineMs?: number;
}

export interface IncomingInvite {
  readonly request: SipRequest;
  readonly from: Peer;
  provisional(status: number): void;
  /** Answers 2xx and returns the dialog (2xx retransmitted until the ACK). */
  accept(reply: Omit<Reply, "status"> & { status?: number }): DialogSession | undefined;
  reject(reply: Reply): void;
  /** Set by the handler: called when the caller CANCELs before an answer. */
  onCancel: () => void;
}

export class UserAgent {
  /** New INVITEs outside any dialog. Default: 603. */
  onInvite: (inv: IncomingInvite) => void = (inv) => inv.reject({ status: 603 });
  /** Other requests outside dialogs (OPTIONS is answered here). */
  onRequest: (tx: ServerTransaction) => void = (tx) =>
    tx.respond(buildResponse(tx.request, 405, { toTag: newTag(this.o.ids), headers: [{ name: "Allow", value: ALLOW }] }));
  readonly dialogs = new Map<string, DialogSession>();
  /** Unanswered incoming INVITEs by top Via branch, for CANCEL (RFC 3261 §9.2). */
  readonly #pending = new Map<string, { tx: ServerTransaction; cancel: () => void }>();
  readonly timers: TimerConfig;
  readonly log: Logger;

  constructor(readonly o: UaOptions) {
    this.timers = o.timers ?? DEFAULT_TIMERS;
    this.log = o.logger ?? silentLogger;
    o.layer.bindUser({
      onRequest: (tx) => this.#onRequest(tx),
      onAck: (req) => this.#dialogFor(req)?.receiveAck(req),
      onStrayResponse: (res) => this.dialogForResponse(res)?.resendAck(),
    });
  }

  contact(p: TransportProtocol, peer?: Peer, user = "siprec"): string {
    const l = this.o.local(p, peer);
    const scheme = p === "tls" ? "sips" : "sip";
    return `<${scheme}:${user}@${sentBy(l.host, l.port)}${p === "udp" || p === "tls" ? "" : `;transport=${p}`}>${this.o.contactParams ?? ""}`;
  }

  dialogContext(peer: Peer): DialogContext {
    const l = this.o.local(peer.protocol, peer);
    return {
      layer: this.o.layer,
      clock: this.o.clock,
      ids: this.o.ids,
      logger: this.log,
      timers: this.timers,
      peer,
      via: { transport: peer.protocol.toUpperCase(), host: hostForUri(l.host), port: l.port },
      supported: this.o.supported ?? [],
      viaFor: (p) => {
        const x = this.o.local(p, peer);
        return { transport: p.toUpperCase(), host: hostForUri(x.host), port: x.port };
      },
      ...(this.o.inviteDeadlineMs === undefined ? {} : { inviteDeadlineMs: this.o.inviteDeadlineMs }),
    };
  }

  register(s: DialogSession): void {
    const key = dialogKey(s.dialog.callId, s.dialog.localTag, s.dialog.remoteTag);
    this.dialogs.set(key, s);
    s.whenEnded(() => this.dialogs.delete(key));
  }

  /** A stream connection we opened was lost: every dialog toward that address probes (DialogSession.transportLost). */
  connectionLost(peer: Peer, why: string): void {
    const host = (h: string) => h.replace(/^\[|\]$/g, "").toLowerCase();
    for (const d of [...this.dialogs.values()]) {
      const p = d.peer;
      if (p.protocol === peer.protocol && p.port === peer.port && host(p.host) === host(peer.host)) void d.transportLost(why);
    }
  }

  #dialogFor(req: SipRequest): DialogSession | undefined {
    const callId = header(req, "call-id") ?? "";
    return this.dialogs.get(dialogKey(callId, tagOf(header(req, "to")), tagOf(header(req, "from"))));
  }

  /** The dialog a response to one of our requests belongs to. */
  dialogForResponse(res: SipResponse): DialogSession | undefined {
    return this.dialogs.get(dialogKey(header(res, "call-id") ?? "", tagOf(header(res, "from")), tagOf(header(res, "to"))));
  }

  #onRequest(tx: ServerTransaction): void {
    const req = tx.request;
    const toTag = tagOf(header(req, "to"));
    if (toTag !== undefined && req.method !== "CANCEL") {
      const d = this.#dialogFor(req);
      if (d === undefined) return tx.respond(buildResponse(req, 481));
      return d.receive(tx);
    }
    // RFC 3261 §8.2.2.3: unsupported option tags in Require get 420 with Unsupported.
    const unsupported = headerList(req, "require").filter((t) => !(this.o.supported ?? []).includes(t.toLowerCase()));
    if (unsupported.length > 0 && req.method !== "ACK" && req.method !== "CANCEL") {
      return tx.respond(buildResponse(req, 420, { toTag: newTag(this.o.ids), headers: [{ name: "Unsupported", value: unsupported.join(", ") }] }));
    }
    if (req.method === "OPTIONS") return tx.respond(buildResponse(req, 200, { toTag: newTag(this.o.ids), headers: this.#capabilities() }));
    if (req.method === "CANCEL") return this.#onCancel(tx);
    if (req.method !== "INVITE") return this.onRequest(tx);
    this.onInvite(this.#incoming(tx));
  }

  /**
   * RFC 3261 §9.2: a CANCEL matching a pending INVITE gets 200, and the
   * INVITE "SHOULD then respond to the INVITE with a 487"; otherwise 481.
   */
  #onCancel(tx: ServerTransaction): void {
    const p = this.#pending.get(branchOf(tx.request));
    if (p === undefined) return tx.respond(buildResponse(tx.request, 481));
    tx.respond(buildResponse(tx.request, 200, { toTag: newTag(this.o.ids) }));
    p.cancel();
  }

  #capabilities(): HeaderField[] {
    return [
      { name: "Allow", value: ALLOW },
      { name: "Accept", value: (this.o.accept ?? ["application/sdp"]).join(", ") },
      ...(this.o.supported === undefined || this.o.supported.length === 0 ? [] : [{ name: "Supported", value: this.o.supported.join(", ") }]),
      ...(this.o.userAgent === undefined ? [] : [{ name: "User-Agent", value: this.o.userAgent }]),
    ];
  }

  #incoming(tx: ServerTransaction): IncomingInvite {
    const req = tx.request;
    const tag = newTag(this.o.ids);
    const branch = branchOf(req);
    let answered = false;
    const settle = () => {
      answered = true;
      this.#pending.delete(branch);
    };
    const headersOf = (r: Omit<Reply, "status">): HeaderField[] => [
      ...(r.headers ?? []),
      ...(r.contentType === undefined ? [] : [{ name: "Content-Type", value: r.contentType }]),
    ];
    const incoming: IncomingInvite = {
      request: req,
      from: tx.from,
      onCancel: () => {},
      provisional: (status) => {
        if (!answered) tx.respond(buildResponse(req, status, { toTag: tag }));
      },
      reject: (r) => {
        if (answered) return;
        settle();
        tx.respond(buildResponse(req, r.status, { toTag: tag, headers: headersOf(r), ...(r.reason === undefined ? {} : { reason: r.reason }) }));
      },
      accept: (r) => {
        if (answered) return undefined;
        settle();
        const contact = this.contact(tx.from.protocol, tx.from);
        const d = dialogFromRequest(req, tag, contact);
        const res = buildResponse(req, r.status ?? 200, {
          toTag: tag,
          headers: [{ name: "Contact", value: contact }, { name: "Allow", value: ALLOW }, ...headersOf(r)],
          ...(r.body === undefined ? {} : { body: r.body }),
        });
        tx.respond(res);
        if (!d.ok) {
          this.log.warn("answered INVITE cannot form a dialog", { reason: d.error.message });
          return undefined;
        }
        const s = new DialogSession(d.value, "uas", this.dialogContext(tx.from));
        this.register(s);
        s.retransmit2xx(res, tx, tx.from.protocol !== "udp");
        return s;
      },
    };
    this.#pending.set(branch, {
      tx,
      cancel: () => {
        if (answered) return;
        settle();
        tx.respond(buildResponse(req, 487, { toTag: tag }));
        incoming.onCancel();
      },
    });
    return incoming;
  }

  /** OPTIONS outside a dialog (health checks). */
  options(uri: string, peer: Peer, from = "sip:siprec@invalid"): Promise<RequestResult> {
    const l = this.o.local(peer.protocol, peer);
    const req: SipRequest = {
      kind: "request",
      method: "OPTIONS",
      uri,
      headers: [
        { name: "Via", value: `SIP/2.0/${peer.protocol.toUpperCase()} ${sentBy(l.host, l.port)};branch=${newBranch(this.o.ids)};rport` },
        { name: "Max-Forwards", value: "70" },
        { name: "From", value: `<${from}>;tag=${newTag(this.o.ids)}` },
        { name: "To", value: `<${uri}>` },
        { name: "Call-ID", value: newCallId(this.o.ids, hostForUri(l.host)) },
        { name: "CSeq", value: "1 OPTIONS" },
        { name: "Accept", value: "application/sdp" },
        ...(this.o.userAgent === undefined ? [] : [{ name: "User-Agent", value: this.o.userAgent }]),
      ],
      body: new Uint8Array(),
      bodyOffset: 0,
    };
    return sendRequest(this.o.layer, req, peer);
  }

  /** Ends every dialog with a BYE and stops all timers (idempotent). */
  async close(): Promise<void> {
    const all = [...this.dialogs.values()];
    await Promise.all(all.map((d) => d.bye()));
    for (const d of all) d.close();
  }
}

export function dialogKey(callId: string, localTag: string | undefined, remoteTag: string | undefined): string {
  return `${callId};${localTag ?? ""};${remoteTag ?? ""}`;
}

export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const n = parseNameAddr(value);
  return n.ok ? nameAddrParam(n.value, "tag") : undefined;
}

function branchOf(req: SipRequest): string {
  return /;\s*branch=([^;,\s]+)/i.exec(header(req, "via") ?? "")?.[1] ?? "";
}

/**
 * host:port for Via sent-by and Contact; a transport that does not listen
 * (a TLS client without a certificate) has no port and leaves it out: the
 * peer answers and sends in-dialog requests over the same connection.
 */
export function sentBy(host: string, port: number): string {
  return port === 0 ? hostForUri(host) : `${hostForUri(host)}:${port}`;
}

export function hostForUri(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
