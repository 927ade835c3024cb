/**
 * Session timers (RFC 4028): what a refresh request or its 2xx means for
 * the session's interval and who refreshes, as pure functions. The dialog
 * arms one timer from the result after every refresh, in either direction.
 *
 * §7.4/§9: the refresher parameter is relative to the transaction ("uac" =
 * whoever sent that request); §10: "If ... the refresher never gets a
 * response to [a] session refresh request, it SHOULD send a BYE"; the
 * other side sends BYE when no refresh came before the session expires.
 */
import { header, headerList } from "../message/headers.ts";
import type { HeaderField, SipMessage, SipRequest, SipResponse } from "../message/types.ts";

export interface SessionTimerState {
  readonly intervalS: number;
  readonly weRefresh: boolean;
}

/** RFC 4028 §4: "the minimum value of Session-Expires is 90 seconds". */
export const MIN_SE = 90;

export function parseSessionExpires(v: string | undefined): { readonly intervalS: number; readonly refresher?: "uac" | "uas" } | undefined {
  const m = /^\s*(\d{1,10})\s*(?:;(.*))?$/.exec(v ?? "");
  if (m === null) return undefined;
  const intervalS = Number(m[1]);
  if (!Number.isSafeInteger(intervalS) || intervalS <= 0) return undefined;
  const r = /(?:^|;)\s*refresher\s*=\s*(uac|uas)\s*(?:;|$)/i.exec(m[2] ?? "")?.[1]?.toLowerCase();
  return { intervalS, ...(r === "uac" || r === "uas" ? { refresher: r } : {}) };
}

const supportsTimer = (m: SipMessage) => headerList(m, "supported").some((t) => t.toLowerCase() === "timer");

export type RefreshVerdict =
  | { readonly kind: "accept"; readonly state: SessionTimerState | undefined; readonly headers: readonly HeaderField[] }
  /** §9: "If the Session-Expires ... is smaller than the minimum ... the UAS MUST reject it with a 422". */
  | { readonly kind: "too-small"; readonly minSe: number };

/**
 * We are the UAS of a re-INVITE or UPDATE: the new state and the
 * Session-Expires our 2xx carries. A request without Session-Expires
 * keeps a running timer (interval and refresher unchanged, stated in the
 * 2xx so both sides agree, §9).
 */
export function refreshRequestVerdict(req: SipRequest, current: SessionTimerState | undefined, minSe = MIN_SE): RefreshVerdict {
  const se = parseSessionExpires(header(req, "session-expires"));
  if (se === undefined) {
    if (current === undefined) return { kind: "accept", state: undefined, headers: [] };
    // The requester can refresh only when it supports timers; otherwise we do (§9).
    const weRefresh = current.weRefresh || !supportsTimer(req);
    const headers: HeaderField[] = [{ name: "Session-Expires", value: `${current.intervalS};refresher=${weRefresh ? "uas" : "uac"}` }];
    if (!weRefresh) headers.push({ name: "Require", value: "timer" });
    return { kind: "accept", state: { intervalS: current.intervalS, weRefresh }, headers };
  }
  if (se.intervalS < minSe) return { kind: "too-small", minSe };
  // §9: with no refresher parameter the UAS chooses; the requester refreshes when it supports timers.
  const refresher = se.refresher ?? (supportsTimer(req) ? "uac" : "uas");
  const headers: HeaderField[] = [{ name: "Session-Expires", value: `${se.intervalS};refresher=${refresher}` }];
  // §9: "If the refresher ... is uac, the UAS MUST place a Require header field with the value timer in the 2xx".
  if (refresher === "uac") headers.push({ name: "Require", value: "timer" });
  return { kind: "accept", state: { intervalS: se.intervalS, weRefresh: refresher === "uas" }, headers };
}

/** Headers of a refresh request we send while a timer runs (§7.4: keep the interval, name the refresher). */
export function refreshRequestHeaders(current: SessionTimerState | undefined): HeaderField[] {
  if (current === undefined) return [];
  return [
    { name: "Session-Expires", value: `${current.intervalS};refresher=${current.weRefresh ? "uac" : "uas"}` },
    { name: "Min-SE", value: String(Math.min(current.intervalS, MIN_SE)) },
  ];
}

/**
 * We are the UAC of a refresh (or the initial INVITE): the 2xx decides.
 * §7.4: "If the 2xx response did not contain a Session-Expires header
 * field, there is no session expiration."
 */
export function refreshResponseState(res: SipResponse): SessionTimerState | undefined {
  const se = parseSessionExpires(header(res, "session-expires"));
  if (se === undefined) return undefined;
  // §7.4: absent refresher in a 2xx means the UAC (us) refreshes.
  return { intervalS: se.intervalS, weRefresh: (se.refresher ?? "uac") === "uac" };
}

/** §6: a 422 names the smallest interval the peer takes in Min-SE. */
export function minSeOf(res: SipResponse): number | undefined {
  const v = Number(/^\s*(\d{1,10})/.exec(header(res, "min-se") ?? "")?.[1]);
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/**
 * When to act: the refresher refreshes at half the interval (§7.2); the
 * other side sends BYE "before the session expiration" minus min(32,
 * interval/3) (§10).
 */
export function timerDelayMs(s: SessionTimerState): number {
  return s.weRefresh ? (s.intervalS * 1000) / 2 : (s.intervalS - Math.min(32, s.intervalS / 3)) * 1000;
}
