/**
 * The transaction layer (RFC 3261 §17): matches incoming messages to
 * transactions, runs the pure FSMs, and carries out their effects — sends
 * through the transport port, timers on the injected Clock, results to the
 * transaction user. Nothing here sleeps or touches a socket directly.
 */
import { type ClientInviteState, startClientInvite, stepClientInvite } from "./client-invite.ts";
import { type ClientNonInviteState, startClientNonInvite, stepClientNonInvite } from "./client-non-invite.ts";
import { type Essentials, clientKey, essentials, serverKey } from "./keys.ts";
import { type ServerInviteState, startServerInvite, stepServerInvite } from "./server-invite.ts";
import { type ServerNonInviteState, startServerNonInvite, stepServerNonInvite } from "./server-non-invite.ts";
import { DEFAULT_TIMERS, type Effect, type Step, type TimerConfig, type TimerName } from "./timers.ts";
import { parseMessage } from "../message/parse.ts";
import { buildResponse } from "../message/response.ts";
import { serializeMessage } from "../message/serialize.ts";
import type { SipMessage, SipRequest, SipResponse } from "../message/types.ts";
import { serializeVia, viaParam } from "../message/via.ts";
import type { Peer, SipTransport, TransportProtocol } from "../transport.ts";
import type { Clock, TimerId } from "../../lib/clock.ts";
import { type Logger, silentLogger } from "../../lib/log.ts";

export interface ClientHandlers {
  onResponse(res: SipResponse): void;
  /** Timer B/F fired: the TU treats it as 408 (RFC 3261 §8.1.3.1). */
  onTimeout(): void;
  /** The transport failed: the TU treats it as 503 (RFC 3261 §8.1.3.1). */
  onTransportError(reason: string): void;
}

export interface ServerTransaction {
  readonly request: SipRequest;
  readonly from: Peer;
  respond(res: SipResponse): void;
}

type Fsm =
  | { readonly type: "ci"; state: ClientInviteState; readonly h: ClientHandlers }
  | { readonly type: "cn"; state: ClientNonInviteState; readonly h: ClientHandlers }
  | { readonly type: "si"; state: ServerInviteState }
  | { readonly type: "sn"; state: ServerNonInviteState };

interface Tx {
  readonly key: string;
  readonly peer: Peer;
  fsm: Fsm;
  readonly timers: Map<TimerName, TimerId>;
  /** Why the transport failed (passed to the TU with the 503). */
  error?: string;
}

export interface LayerOptions {
  readonly clock: Clock;
  readonly transports: ReadonlyMap<TransportProtocol, SipTransport>;
  readonly timers?: TimerConfig;
  readonly logger?: Logger;
}

export class TransactionLayer {
  /** New requests; the TU must eventually respond (ACKs for 2xx come through onAck). */
  onRequest: (tx: ServerTransaction) => void = (tx) => tx.respond(buildResponse(tx.request, 501, { toTag: "unhandled" }));
  /** An ACK that matched no transaction: the ACK for a 2xx, owned by the dialog (RFC 3261 §13.3.1.4). */
  onAck: (req: SipRequest, from: Peer) => void = () => {};
  /** A response matching no transaction: a 2xx retransmission is re-ACKed by the dialog (§13.2.2.4). */
  onStrayResponse: (res: SipResponse, from: Peer) => void = () => {};

  readonly #clients = new Map<string, Tx>();
  readonly #servers = new Map<string, Tx>();
  readonly #timers: TimerConfig;
  readonly #log: Logger;
  /** Peers and reasons already logged, so a flood of garbage is logged once (bounded). */
  readonly #logged = new Set<string>();
  #closed = false;
  #bound = false;

  constructor(private readonly opts: LayerOptions) {
    this.#timers = opts.timers ?? DEFAULT_TIMERS;
    this.#log = opts.logger ?? silentLogger;
  }

  /**
   * Makes `tu` the one transaction user of this layer (RFC 3261 §17: the TU
   * above the transaction layer). A second one would silently take the first
   * one's requests, ACKs and stray responses away, so binding twice throws.
   */
  bindUser(tu: { onRequest: TransactionLayer["onRequest"]; onAck: TransactionLayer["onAck"]; onStrayResponse: TransactionLayer["onStrayResponse"] }): void {
    if (this.#bound) throw new Error("this transaction layer already has a transaction user (one UserAgent per SIP stack)");
    this.#bound = true;
    this.onRequest = tu.onRequest;
    this.onAck = tu.onAck;
    this.onStrayResponse = tu.onStrayResponse;
  }

  get size(): { clients: number; servers: number } {
    return { clients: this.#clients.size, servers: this.#servers.size };
  }

  #transport(p: Peer): SipTransport | undefined {
    return this.opts.transports.get(p.protocol);
  }

  /** Starts a client transaction. The request must carry its top Via with a fresh branch. */
  sendRequest(req: SipRequest, peer: Peer, h: ClientHandlers): void {
    const e = essentials(req);
    const t = this.#transport(peer);
    if (!e.ok || t === undefined || this.#closed) {
      h.onTransportError(!e.ok ? e.error : `no ${peer.protocol} transport`);
      return;
    }
    const tx: Tx = { key: clientKey(e.value.branch, req.method), peer, timers: new Map(), fsm: undefined as unknown as Fsm };
    if (req.method === "INVITE") {
      const st = startClientInvite(req, t.reliable, this.#timers);
      tx.fsm = { type: "ci", state: st.state, h };
      this.#clients.set(tx.key, tx);
      this.#run(tx, st.effects, this.#clients);
    } else {
      const st = startClientNonInvite(req, t.reliable, this.#timers);
      tx.fsm = { type: "cn", state: st.state, h };
      this.#clients.set(tx.key, tx);
      this.#run(tx, st.effects, this.#clients);
    }
  }

  /** Sends outside any transaction (the ACK for a 2xx, 2xx retransmissions, stateless replies). */
  async sendStateless(msg: SipMessage, peer: Peer): Promise<void> {
    const t = this.#transport(peer);
    if (t === undefined) throw new Error(`no ${peer.protocol} transport`);
    await t.send(serializeMessage(msg), peer);
  }

  /** Input from a transport: one whole message. */
  receive(bytes: Uint8Array, from: Peer): void {
    if (this.#closed) return;
    const parsed = parseMessage(bytes, { framing: from.protocol === "udp" ? "datagram" : "stream" });
    if (!parsed.ok) {
      // RFC 3261 §18.3: a datagram request that ends before its body does "SHOULD generate a 400".
      if (parsed.error.code === "SIP_BODY_TRUNCATED") {
        const head = parseMessage(bytes, { headOnly: true });
        if (head.ok && head.value.kind === "request" && head.value.method !== "ACK" && essentials(head.value).ok) {
          void this.sendStateless(buildResponse(head.value, 400, { reason: "Bad Request (body shorter than Content-Length)", toTag: "bad" }), from).catch(
            () => {},
          );
        }
      }
      this.#dropped(from, parsed.error.code, parsed.error.message);
      return;
    }
    const e = essentials(parsed.value);
    if (!e.ok) {
      if (parsed.value.kind === "request" && parsed.value.method !== "ACK" && !e.error.startsWith("no Via") && !e.error.startsWith("bad Via")) {
        // RFC 3261 §8.2: a request missing mandatory headers gets 400 when we can still route a response.
        void this.sendStateless(buildResponse(parsed.value, 400, { reason: `Bad Request (${e.error})`, toTag: "bad" }), from).catch(() => {});
      }
      this.#dropped(from, e.error.split(" ")[0] ?? "invalid", e.error);
      return;
    }
    if (parsed.value.kind === "response") this.#onResponse(parsed.value, e.value.branch, e.value.cseq.method, from);
    else this.#onRequest(withReceived(parsed.value, from), from, e.value);
  }

  #dropped(from: Peer, code: string, reason: string): void {
    const key = `${from.host}:${from.port}|${code}`;
    if (this.#logged.has(key)) return;
    if (this.#logged.size >= 1000) this.#logged.clear();
    this.#logged.add(key);
    this.#log.warn("sip message dropped", { peer: `${from.host}:${from.port}`, protocol: from.protocol, code, reason });
  }

  #onResponse(res: SipResponse, branch: string, method: string, from: Peer): void {
    const tx = this.#clients.get(clientKey(branch, method));
    if (tx === undefined) {
      if (res.status >= 200 && res.status < 300 && method === "INVITE") this.onStrayResponse(res, from);
      return;
    }
    this.#input(tx, { kind: "response", res });
  }

  #onRequest(req: SipRequest, from: Peer, e: Essentials): void {
    const key = serverKey(req, e);
    const existing = this.#servers.get(key);
    if (existing !== undefined) {
      this.#input(existing, { kind: "request", req });
      return;
    }
    if (req.method === "ACK") {
      this.onAck(req, from);
      return;
    }
    const t = this.#transport(from);
    if (t === undefined) return;
    const peer = responsePeer(req, from);
    const tx: Tx = { key, peer, timers: new Map(), fsm: undefined as unknown as Fsm };
    const handle: ServerTransaction = { request: req, from: peer, respond: (res) => this.#input(tx, { kind: "respond", res }) };
    let st: Step<ServerInviteState> | Step<ServerNonInviteState>;
    if (req.method === "INVITE") {
      st = startServerInvite(req, t.reliable, this.#timers, buildResponse(req, 100));
      tx.fsm = { type: "si", state: st.state };
    } else {
      st = startServerNonInvite(req, t.reliable, this.#timers);
      tx.fsm = { type: "sn", state: st.state };
    }
    this.#servers.set(key, tx);
    // Send the 100 before the TU sees the request; passUp goes to onRequest.
    this.#run(
      tx,
      st.effects.filter((x) => x.kind !== "passUp"),
      this.#servers,
    );
    try {
      this.onRequest(handle);
    } catch (err) {
      this.#log.error("request handler failed", { error: err });
      handle.respond(buildResponse(req, 500, { toTag: "error" }));
    }
  }

  #input(
    tx: Tx,
    input:
      | { kind: "response"; res: SipResponse }
      | { kind: "request"; req: SipRequest }
      | { kind: "respond"; res: SipResponse }
      | { kind: "timer"; timer: TimerName }
      | { kind: "transportError" },
  ): void {
    const f = tx.fsm;
    const map = f.type === "ci" || f.type === "cn" ? this.#clients : this.#servers;
    let effects: readonly Effect[];
    switch (f.type) {
      case "ci": {
        if (input.kind === "request" || input.kind === "respond" || (input.kind === "timer" && !["A", "B", "D", "M"].includes(input.timer))) return;
        const s = stepClientInvite(f.state, input as Parameters<typeof stepClientInvite>[1]);
        f.state = s.state;
        effects = s.effects;
        break;
      }
      case "cn": {
        if (input.kind === "request" || input.kind === "respond") return;
        const s = stepClientNonInvite(f.state, input as Parameters<typeof stepClientNonInvite>[1]);
        f.state = s.state;
        effects = s.effects;
        break;
      }
      case "si": {
        if (input.kind === "response") return;
        const s = stepServerInvite(f.state, input as Parameters<typeof stepServerInvite>[1]);
        f.state = s.state;
        effects = s.effects;
        break;
      }
      case "sn": {
        if (input.kind === "response") return;
        const s = stepServerNonInvite(f.state, input as Parameters<typeof stepServerNonInvite>[1]);
        f.state = s.state;
        effects = s.effects;
        break;
      }
    }
    this.#run(tx, effects, map);
  }

  #run(tx: Tx, effects: readonly Effect[], map: Map<string, Tx>): void {
    for (const e of effects) {
      switch (e.kind) {
        case "send":
          this.#send(tx, e.msg);
          break;
        case "startTimer": {
          const old = tx.timers.get(e.timer);
          if (old !== undefined) this.opts.clock.clearTimer(old);
          tx.timers.set(
            e.timer,
            this.opts.clock.setTimer(e.ms, () => this.#input(tx, { kind: "timer", timer: e.timer })),
          );
          break;
        }
        case "cancelTimer": {
          const id = tx.timers.get(e.timer);
          if (id !== undefined) this.opts.clock.clearTimer(id);
          tx.timers.delete(e.timer);
          break;
        }
        case "passUp":
          if ((tx.fsm.type === "ci" || tx.fsm.type === "cn") && e.msg.kind === "response") tx.fsm.h.onResponse(e.msg);
          else if (e.msg.kind === "request" && e.msg.method === "ACK") this.onAck(e.msg, tx.peer);
          break;
        case "timeout":
          if (tx.fsm.type === "ci" || tx.fsm.type === "cn") tx.fsm.h.onTimeout();
          break;
        case "transportError":
          if (tx.fsm.type === "ci" || tx.fsm.type === "cn") tx.fsm.h.onTransportError(tx.error ?? "transport failed");
          break;
        case "terminated":
          for (const id of tx.timers.values()) this.opts.clock.clearTimer(id);
          tx.timers.clear();
          if (map.get(tx.key) === tx) map.delete(tx.key);
          break;
      }
    }
  }

  #send(tx: Tx, msg: SipMessage): void {
    const t = this.#transport(tx.peer);
    if (t === undefined) return;
    t.send(serializeMessage(msg), tx.peer).catch((err: unknown) => {
      tx.error = err instanceof Error ? err.message : String(err);
      this.#log.warn("sip send failed", { peer: `${tx.peer.host}:${tx.peer.port}`, error: err });
      this.#input(tx, { kind: "transportError" });
    });
  }

  /** Idempotent: stops every timer and forgets every transaction. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const map of [this.#clients, this.#servers]) {
      for (const tx of map.values()) for (const id of tx.timers.values()) this.opts.clock.clearTimer(id);
      map.clear();
    }
  }
}

/**
 * RFC 3261 §18.2.1: "the server MUST add a "received" parameter to the top
 * Via if the host differs from the source address"; RFC 3581 §4: fill
 * "rport" with the source port when the client asked for it.
 */
function withReceived(req: SipRequest, from: Peer): SipRequest {
  const idx = req.headers.findIndex((h) => h.name.toLowerCase() === "via" || h.name === "v");
  if (idx < 0) return req;
  const h = req.headers[idx] as { name: string; value: string };
  const [top, ...rest] = h.value.split(",");
  const e = essentials(req);
  if (!e.ok || top === undefined) return req;
  const v = e.value.via;
  const hasRport = viaParam(v, "rport") !== undefined;
  const params = v.params.filter(([k]) => k !== "received" && k !== "rport");
  if (v.host.replace(/^\[|\]$/g, "") !== from.host || hasRport) params.push(["received", from.host]);
  if (hasRport) params.push(["rport", String(from.port)]);
  const value = [serializeVia({ ...v, params }), ...rest].join(",");
  const headers = [...req.headers];
  headers[idx] = { name: h.name, value };
  return { ...req, headers };
}

/** RFC 3261 §18.2.2 / RFC 3581 §4: where responses to this request go. */
function responsePeer(req: SipRequest, from: Peer): Peer {
  if (from.protocol !== "udp") return from;
  const e = essentials(req);
  if (!e.ok) return from;
  const rport = viaParam(e.value.via, "rport");
  const port = rport !== undefined && rport !== "" ? Number(rport) : (e.value.via.port ?? 5060);
  return { ...from, port };
}
