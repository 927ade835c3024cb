/**
 * A client transaction as a promise: resolves with the final response (and
 * the provisionals seen), a timeout (408 semantics) or a transport failure
 * (503 semantics, RFC 3261 §8.1.3.1). Never rejects.
 */
import { header } from "../message/headers.ts";
import type { SipRequest, SipResponse } from "../message/types.ts";
import type { TransactionLayer } from "../transaction/layer.ts";
import type { Peer } from "../transport.ts";

export type RequestResult =
  | { readonly kind: "final"; readonly res: SipResponse }
  | { readonly kind: "timeout" }
  | { readonly kind: "transport"; readonly reason: string };

export interface SendHooks {
  onProvisional?(res: SipResponse): void;
  /** 2xx retransmissions after the first (INVITE only): the dialog re-sends its ACK. */
  on2xxRetransmission?(res: SipResponse): void;
}

export function sendRequest(layer: TransactionLayer, req: SipRequest, peer: Peer, hooks: SendHooks = {}): Promise<RequestResult> {
  return new Promise((resolve) => {
    let final = false;
    layer.sendRequest(req, peer, {
      onResponse: (res) => {
        if (res.status < 200) {
          if (!final) hooks.onProvisional?.(res);
          return;
        }
        if (final) {
          if (res.status < 300) hooks.on2xxRetransmission?.(res);
          return;
        }
        final = true;
        resolve({ kind: "final", res });
      },
      onTimeout: () => {
        if (!final) resolve({ kind: "timeout" });
        final = true;
      },
      onTransportError: (reason) => {
        if (!final) resolve({ kind: "transport", reason });
        final = true;
      },
    });
  });
}

/** The status a caller reports for a result (408 timeout, 503 transport). */
export function statusOf(r: RequestResult): number {
  return r.kind === "final" ? r.res.status : r.kind === "timeout" ? 408 : 503;
}

/** RFC 3261 §9.1: CANCEL copies Request-URI, Call-ID, To, From, the CSeq number and the top Via of the INVITE. */
export function buildCancel(inv: SipRequest): SipRequest {
  const keep = new Set(["via", "from", "to", "call-id", "route", "max-forwards"]);
  const headers = inv.headers.filter((h) => keep.has(h.name.toLowerCase())).slice();
  const seq = (header(inv, "cseq") ?? "1").split(/\s+/)[0];
  headers.push({ name: "CSeq", value: `${seq} CANCEL` });
  return { kind: "request", method: "CANCEL", uri: inv.uri, headers, body: new Uint8Array(), bodyOffset: 0 };
}
