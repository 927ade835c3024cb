/**
 * Placing an INVITE (RFC 3261 §13.2, §8.1.3): digest authentication on
 * 401/407 (§22.2, RFC 8760), bounded 3xx following (§8.1.3.4), CANCEL when
 * the caller's deadline passes (§9.1), ACK for the 2xx (§13.2.2.4), and a
 * BYE for a 2xx that arrives after we gave up (§15: the UAC "SHOULD send a
 * BYE" to a dialog it does not want).
 */
import { type RequestResult, buildCancel, sendRequest, statusOf } from "./client-request.ts";
import { DialogSession } from "./dialog-session.ts";
import { minSeOf, refreshResponseState } from "./session-timer.ts";
import { newBranch, newCallId, newTag } from "./ids.ts";
import { ALLOW, type UserAgent, hostForUri, sentBy } from "./user-agent.ts";
import { buildAuthorization, pickChallenge } from "../auth/digest.ts";
import { buildInDialogRequest, dialogFromResponse } from "../dialog/dialog.ts";
import { headerList, headerValues } from "../message/headers.ts";
import { parseNameAddr } from "../message/name-addr.ts";
import type { HeaderField, SipRequest, SipResponse } from "../message/types.ts";
import { type Peer, peerForSize } from "../transport.ts";
import { serializeMessage } from "../message/serialize.ts";
import { randomToken } from "../../lib/ids.ts";

export interface InviteRequest {
  readonly uri: string;
  readonly peer: Peer;
  /** From and To as name-addr without tags, e.g. "<sip:siprec@10.0.0.1>". */
  readonly from: string;
  readonly to: string;
  readonly headers?: readonly HeaderField[];
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Time allowed for a final response; then CANCEL (RFC 3261 §9.1). */
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** Where a 3xx Contact URI points; undefined refuses the redirect. */
  readonly resolve?: (uri: string) => Promise<Peer | undefined>;
  readonly onProvisional?: (res: SipResponse) => void;
}

export type InviteOutcome =
  | { readonly ok: true; readonly session: DialogSession; readonly response: SipResponse }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly response?: SipResponse };

interface Attempt {
  uri: string;
  peer: Peer;
  cseq: number;
  authorization?: HeaderField;
  redirects: number;
  authTries: number;
  /** After a 422 (RFC 4028 §6): the Session-Expires the server asked for with Min-SE. */
  sessionExpires?: number;
}

function buildInvite(ua: UserAgent, r: InviteRequest, a: Attempt, callId: string, fromTag: string): SipRequest {
  const l = ua.o.local(a.peer.protocol, a.peer);
  return {
    kind: "request",
    method: "INVITE",
    uri: a.uri,
    headers: [
      { name: "Via", value: `SIP/2.0/${a.peer.protocol.toUpperCase()} ${sentBy(l.host, l.port)};branch=${newBranch(ua.o.ids)};rport` },
      { name: "Max-Forwards", value: "70" },
      { name: "From", value: `${r.from};tag=${fromTag}` },
      { name: "To", value: r.to },
      { name: "Call-ID", value: callId },
      { name: "CSeq", value: `${a.cseq} INVITE` },
      { name: "Contact", value: ua.contact(a.peer.protocol, a.peer) },
      { name: "Allow", value: ALLOW },
      ...((ua.o.supported ?? []).length === 0 || (r.headers ?? []).some((h) => h.name.toLowerCase() === "supported")
        ? []
        : [{ name: "Supported", value: (ua.o.supported ?? []).join(", ") }]),
      ...(a.sessionExpires === undefined
        ? []
        : [
            { name: "Session-Expires", value: String(a.sessionExpires) },
            { name: "Min-SE", value: String(a.sessionExpires) },
          ]),
      ...(ua.o.userAgent === undefined ? [] : [{ name: "User-Agent", value: ua.o.userAgent }]),
      ...(a.authorization === undefined ? [] : [a.authorization]),
      ...(r.headers ?? []),
      ...(r.contentType === undefined ? [] : [{ name: "Content-Type", value: r.contentType }]),
    ],
    body: r.body ?? new Uint8Array(),
    bodyOffset: 0,
  };
}

export async function invite(ua: UserAgent, r: InviteRequest): Promise<InviteOutcome> {
  const callId = newCallId(ua.o.ids, hostForUri(ua.o.local(r.peer.protocol, r.peer).host));
  const fromTag = newTag(ua.o.ids);
  const a: Attempt = { uri: r.uri, peer: r.peer, cseq: 1, redirects: 0, authTries: 0 };
  let nc = 0;
  let lastNonce = "";
  for (;;) {
    let inv = buildInvite(ua, r, a, callId, fromTag);
    // RFC 3261 §18.1.1: over 1300 bytes toward a UDP target, the INVITE goes over TCP (same host and port).
    const size = serializeMessage(inv).length;
    const big = peerForSize(a.peer, size);
    if (big !== a.peer) {
      a.peer = big;
      inv = buildInvite(ua, r, a, callId, fromTag);
    }
    const result = await sendWithDeadline(ua, inv, a.peer, r);
    const tooBig =
      big.protocol === "tcp" && r.peer.protocol === "udp"
        ? ` (the ${size}-byte INVITE is over RFC 3261 §18.1.1's 1300 bytes for UDP, so it went over TCP to ${big.host}:${big.port})`
        : "";
    if (result.kind !== "final")
      return {
        ok: false,
        status: statusOf(result),
        reason: result.kind === "timeout" ? `no final response (timeout)${tooBig}` : `transport: ${result.reason}${tooBig}`,
      };
    const res = result.res;
    if (res.status >= 200 && res.status < 300) return established(ua, inv, res, a.peer, result.cancelled);
    // The 487 that answers our own deadline CANCEL means "no answer in time" to the caller.
    if (res.status === 487 && result.cancelled === true)
      return { ok: false, status: 408, reason: "no final response before the deadline (CANCELled)", response: res };
    if ((res.status === 401 || res.status === 407) && r.credentials !== undefined) {
      const ch = pickChallenge(headerValues(res, res.status === 401 ? "www-authenticate" : "proxy-authenticate"));
      // Retry once with credentials, and again only when the server says the nonce went stale.
      if (ch !== undefined && (a.authTries === 0 || ch.stale)) {
        a.authTries++;
        nc = ch.nonce === lastNonce ? nc + 1 : 1;
        lastNonce = ch.nonce;
        const value = buildAuthorization(ch, {
          ...r.credentials,
          method: "INVITE",
          uri: a.uri,
          cnonce: randomToken(ua.o.ids, 16),
          nc,
          ...(r.body === undefined ? {} : { body: r.body }),
        });
        a.authorization = { name: res.status === 401 ? "Authorization" : "Proxy-Authorization", value };
        a.cseq++;
        continue;
      }
      return { ok: false, status: res.status, reason: "authentication failed", response: res };
    }
    // RFC 4028 §6/§7.3: "the UAC MAY retry the request" with a Session-Expires of at least the 422's Min-SE.
    const minSe = res.status === 422 ? minSeOf(res) : undefined;
    if (minSe !== undefined && (a.sessionExpires ?? 0) < minSe) {
      a.sessionExpires = minSe;
      a.cseq++;
      continue;
    }
    if (res.status >= 300 && res.status < 400 && r.resolve !== undefined && a.redirects < (r.maxRedirects ?? 3)) {
      const target = headerList(res, "contact")
        .map((c) => parseNameAddr(c))
        .find((n) => n.ok);
      const peer = target?.ok === true ? await r.resolve(target.value.uri) : undefined;
      if (target?.ok === true && peer !== undefined) {
        a.redirects++;
        a.uri = target.value.uri;
        a.peer = peer;
        a.cseq++;
        delete a.authorization;
        continue;
      }
    }
    return { ok: false, status: res.status, reason: res.reason, response: res };
  }
}

async function sendWithDeadline(ua: UserAgent, inv: SipRequest, peer: Peer, r: InviteRequest): Promise<RequestResult & { cancelled?: boolean }> {
  let provisional = false;
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    void sendRequest(ua.o.layer, buildCancel(inv), peer);
  };
  const timer = r.timeoutMs === undefined ? undefined : ua.o.clock.setTimer(r.timeoutMs, () => (provisional ? cancel() : (cancelled = true)));
  const result = await sendRequest(ua.o.layer, inv, peer, {
    onProvisional: (res) => {
      // §9.1: a CANCEL may only be sent once a provisional response has arrived.
      if (!provisional && cancelled) cancel();
      provisional = true;
      r.onProvisional?.(res);
    },
    // §13.2.2.4: every 2xx retransmission is answered with the same ACK.
    on2xxRetransmission: (res) => ua.dialogForResponse(res)?.resendAck(),
  });
  if (timer !== undefined) ua.o.clock.clearTimer(timer);
  return { ...result, cancelled };
}

async function established(ua: UserAgent, inv: SipRequest, res: SipResponse, peer: Peer, cancelled: boolean | undefined): Promise<InviteOutcome> {
  const d = dialogFromResponse(inv, res, ua.contact(peer.protocol, peer));
  if (!d.ok) return { ok: false, status: 502, reason: `unusable 2xx: ${d.error.message}`, response: res };
  const s = new DialogSession(d.value, "uac", ua.dialogContext(peer));
  const ctx = ua.dialogContext(peer);
  const ack = buildInDialogRequest(s.dialog, "ACK", {
    branch: newBranch(ua.o.ids),
    viaHost: ctx.via.host,
    viaPort: ctx.via.port,
    viaTransport: ctx.via.transport,
    cseq: s.dialog.localSeq,
  }).request;
  ua.register(s);
  s.acknowledge(ack);
  if (cancelled === true) {
    await s.bye();
    return { ok: false, status: 408, reason: "answered after the deadline; the dialog was ended with BYE", response: res };
  }
  // RFC 4028 §7.4/§9: the 2xx names the refresher; as UAC we refresh when it says "uac" (or nothing).
  s.startSessionTimer(refreshResponseState(res));
  return { ok: true, session: s, response: res };
}

/**
 * RFC 3263 §4.3: "If ... a transport error or a timeout occurs, the client
 * SHOULD try the next element" of the resolved list. A 503 from a server is
 * treated the same (it cannot serve us now); any other answer is final.
 */
export async function inviteFirstReachable(
  ua: UserAgent,
  r: Omit<InviteRequest, "peer">,
  peers: readonly Peer[],
): Promise<InviteOutcome & { tried: readonly Peer[] }> {
  const tried: Peer[] = [];
  let last: InviteOutcome = { ok: false, status: 503, reason: "no target to try" };
  for (const peer of peers) {
    tried.push(peer);
    last = await invite(ua, { ...r, peer });
    if (last.ok || (last.status !== 408 && last.status !== 503)) break;
  }
  return { ...last, tried };
}
