/**
 * An in-dialog INVITE (re-INVITE) with a deadline. RFC 3261 §9.1 lets a
 * UAC CANCEL an INVITE that has had provisional responses only; at the
 * deadline we send that CANCEL and stop waiting, reporting a local 487,
 * so a pause, resume or snapshot never hangs on an SRS that answers
 * 100 Trying and nothing else (the BYE goes out on time, §15). A 2xx that
 * still comes later is acknowledged (§13.2.2.4). With no response at all,
 * Timer B (64*T1) ends the transaction as usual.
 */
import { type RequestResult, buildCancel, sendRequest } from "./client-request.ts";
import type { SipRequest, SipResponse } from "../message/types.ts";
import type { TransactionLayer } from "../transaction/layer.ts";
import type { Peer } from "../transport.ts";
import type { Clock } from "../../lib/clock.ts";

const given = new WeakSet<RequestResult>();

/** True for the local 487 of a re-INVITE we stopped waiting for (not a sign that the dialog is gone). */
export function gaveUp(r: RequestResult): boolean {
  return given.has(r);
}

export function sendInDialogInvite(
  o: { readonly layer: TransactionLayer; readonly clock: Clock },
  req: SipRequest,
  peer: Peer,
  deadlineMs: number,
  on2xxAgain: (res: SipResponse) => void,
  onGiveUp: () => void,
): Promise<RequestResult> {
  let provisional = false;
  let late = false;
  const sent = sendRequest(o.layer, req, peer, {
    onProvisional: () => {
      provisional = true;
    },
    on2xxRetransmission: on2xxAgain,
  });
  return new Promise((resolve) => {
    const timer = o.clock.setTimer(deadlineMs, () => {
      if (!provisional) return;
      late = true;
      onGiveUp();
      void sendRequest(o.layer, buildCancel(req), peer);
      const r: RequestResult = {
        kind: "final",
        res: {
          kind: "response",
          status: 487,
          reason: `Request Terminated (no final response in ${deadlineMs} ms; CANCEL sent)`,
          headers: [],
          body: new Uint8Array(),
          bodyOffset: 0,
        },
      };
      given.add(r);
      resolve(r);
    });
    void sent.then((r) => {
      o.clock.clearTimer(timer);
      if (!late) resolve(r);
      else if (r.kind === "final" && r.res.status >= 200 && r.res.status < 300) on2xxAgain(r.res);
    });
  });
}
