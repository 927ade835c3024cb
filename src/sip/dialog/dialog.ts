/**
 * Dialog state and in-dialog requests (RFC 3261 §12), pure.
 *
 * §12.1.2 (UAC): "The route set MUST be set to the list of URIs in the
 * Record-Route header field from the response, taken in reverse order ...
 * The remote target MUST be set to the URI from the Contact header field of
 * the response." §12.1.1 (UAS): the route set is the Record-Route of the
 * request, in order. §12.2.1.1: local CSeq increases by one per request; an
 * ACK for a 2xx carries the INVITE's CSeq number (§13.2.2.4).
 */
import { canonicalName, header, headerValues, splitList } from "../message/headers.ts";
import { nameAddrParam, parseNameAddr } from "../message/name-addr.ts";
import type { HeaderField, SipRequest, SipResponse } from "../message/types.ts";
import { type Result, err, ok } from "../../lib/result.ts";

export interface Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** From/To values as they appear on requests we send (with tags). */
  readonly localUri: string;
  readonly remoteUri: string;
  readonly localSeq: number;
  readonly remoteSeq?: number;
  readonly remoteTarget: string;
  readonly routeSet: readonly string[];
  /** Our Contact header value (with feature tags such as +sip.src). */
  readonly localContact: string;
  readonly secure: boolean;
}

export type DialogError = { readonly code: "DIALOG_MISSING_FIELD"; readonly message: string };

function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const n = parseNameAddr(value);
  return n.ok ? nameAddrParam(n.value, "tag") : undefined;
}

function contactUri(msg: SipRequest | SipResponse): string | undefined {
  const c = header(msg, "contact");
  if (c === undefined) return undefined;
  const first = splitList(c)[0];
  const n = first === undefined ? undefined : parseNameAddr(first);
  return n?.ok === true ? n.value.uri : undefined;
}

function recordRoutes(msg: SipRequest | SipResponse): string[] {
  return headerValues(msg, "record-route").flatMap(splitList);
}

function cseqNumber(msg: SipRequest | SipResponse): number {
  return Number((header(msg, "cseq") ?? "0").trim().split(/\s+/)[0]);
}

/** §12.1.2: the dialog a UAC gets from a 2xx (or a 1xx with a To tag) to its INVITE. */
export function dialogFromResponse(inv: SipRequest, res: SipResponse, localContact: string): Result<Dialog, DialogError> {
  const remoteTag = tagOf(header(res, "to"));
  const localTag = tagOf(header(inv, "from"));
  const target = contactUri(res);
  const callId = header(inv, "call-id");
  if (remoteTag === undefined || localTag === undefined || target === undefined || callId === undefined) {
    return err({
      code: "DIALOG_MISSING_FIELD",
      message: `cannot form a dialog: ${remoteTag === undefined ? "no To tag" : target === undefined ? "no Contact" : "no From tag or Call-ID"}`,
    });
  }
  return ok({
    callId,
    localTag,
    remoteTag,
    localUri: header(inv, "from") as string,
    remoteUri: header(res, "to") as string,
    localSeq: cseqNumber(inv),
    remoteTarget: target,
    routeSet: recordRoutes(res).reverse(),
    localContact,
    secure: inv.uri.toLowerCase().startsWith("sips:"),
  });
}

/** §12.1.1: the dialog a UAS forms when it answers a request with a 2xx. */
export function dialogFromRequest(req: SipRequest, localTag: string, localContact: string): Result<Dialog, DialogError> {
  const remoteTag = tagOf(header(req, "from"));
  const target = contactUri(req);
  const callId = header(req, "call-id");
  if (remoteTag === undefined || target === undefined || callId === undefined)
    return err({ code: "DIALOG_MISSING_FIELD", message: "cannot form a dialog: the request lacks a From tag, Contact or Call-ID" });
  const to = header(req, "to") as string;
  return ok({
    callId,
    localTag,
    remoteTag,
    localUri: /;\s*tag=/i.test(to) ? to : `${to};tag=${localTag}`,
    remoteUri: header(req, "from") as string,
    localSeq: 0,
    remoteSeq: cseqNumber(req),
    remoteTarget: target,
    routeSet: recordRoutes(req),
    localContact,
    secure: req.uri.toLowerCase().startsWith("sips:"),
  });
}

export interface InDialogOptions {
  readonly branch: string;
  readonly viaHost: string;
  readonly viaPort: number;
  readonly viaTransport: string;
  readonly headers?: readonly HeaderField[];
  readonly body?: Uint8Array;
  readonly contentType?: string;
  /** For ACK: the CSeq number of the INVITE it acknowledges. */
  readonly cseq?: number;
}

/** §12.2.1.1: a request inside the dialog; returns the dialog with its CSeq advanced. */
export function buildInDialogRequest(d: Dialog, method: string, o: InDialogOptions): { dialog: Dialog; request: SipRequest } {
  const seq = method === "ACK" || method === "CANCEL" ? (o.cseq ?? d.localSeq) : d.localSeq + 1;
  const headers: HeaderField[] = [
    { name: "Via", value: `SIP/2.0/${o.viaTransport} ${o.viaPort === 0 ? o.viaHost : `${o.viaHost}:${o.viaPort}`};branch=${o.branch};rport` },
    { name: "Max-Forwards", value: "70" },
    { name: "From", value: d.localUri },
    { name: "To", value: d.remoteUri },
    { name: "Call-ID", value: d.callId },
    { name: "CSeq", value: `${seq} ${method}` },
    // Loose routing (RFC 3261 §12.2.1.1, "lr"): Request-URI = remote target, Route = route set.
    ...d.routeSet.map((r) => ({ name: "Route", value: r })),
    ...(method === "ACK" || method === "BYE" || method === "CANCEL" ? [] : [{ name: "Contact", value: d.localContact }]),
    ...(o.headers ?? []),
    ...(o.contentType === undefined ? [] : [{ name: "Content-Type", value: o.contentType }]),
  ];
  return {
    dialog: method === "ACK" || method === "CANCEL" ? d : { ...d, localSeq: seq },
    request: { kind: "request", method, uri: d.remoteTarget, headers, body: o.body ?? new Uint8Array(), bodyOffset: 0 },
  };
}

export type InDialogCheck = "ok" | "out-of-order" | "not-this-dialog";

/**
 * §12.2.2: a request matches the dialog by Call-ID and tags; "If the remote
 * sequence number was not empty, but the sequence number of the request is
 * lower than the remote sequence number, the request is out of order and
 * MUST be rejected with a 500".
 */
export function checkInDialog(d: Dialog, req: SipRequest): InDialogCheck {
  if (header(req, "call-id") !== d.callId || tagOf(header(req, "from")) !== d.remoteTag || tagOf(header(req, "to")) !== d.localTag) return "not-this-dialog";
  if (req.method !== "ACK" && req.method !== "CANCEL" && d.remoteSeq !== undefined && cseqNumber(req) <= d.remoteSeq) return "out-of-order";
  return "ok";
}

/** After accepting an in-dialog request: remember its CSeq; a target refresh (re-INVITE, UPDATE) may carry a new Contact (§12.2.2). */
export function afterRemoteRequest(d: Dialog, req: SipRequest): Dialog {
  const seq = req.method === "ACK" || req.method === "CANCEL" ? d.remoteSeq : cseqNumber(req);
  const refresh = req.method === "INVITE" || req.method === "UPDATE" ? contactUri(req) : undefined;
  return { ...d, ...(seq === undefined ? {} : { remoteSeq: seq }), ...(refresh === undefined ? {} : { remoteTarget: refresh }) };
}

/** After a 2xx to our target-refresh request: the remote target may change (§12.2.1.2). */
export function afterRefreshResponse(d: Dialog, res: SipResponse): Dialog {
  const target = contactUri(res);
  return target === undefined ? d : { ...d, remoteTarget: target };
}

export function isDialogHeader(name: string): boolean {
  return ["via", "from", "to", "call-id", "cseq", "route", "contact", "max-forwards"].includes(canonicalName(name));
}
