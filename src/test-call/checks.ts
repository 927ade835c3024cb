/** The checklist a test call is judged by: what an operator onboarding a recorder needs to see. */
import type { SessionReport } from "../siprec/session/types.ts";

export interface Check {
  readonly name: string;
  /** undefined: informational (not applicable or not required). */
  readonly ok: boolean | undefined;
  readonly detail?: string;
}

export interface Observed {
  /** The report when the recording was established, and at the end. */
  readonly started: SessionReport;
  readonly report: SessionReport;
  readonly pausedOk?: boolean | undefined;
  readonly resumedOk?: boolean | undefined;
  /** RTCP from the SRS with a block about our streams, our own RTCP reflected back, RTP sent back to us. */
  readonly rtcpReceived: number;
  readonly rtcpLooped: number;
  readonly rtpBack: number;
}

/** Everything after "SRS accepted the recording INVITE". */
export function judge(o: Observed): Check[] {
  const checks: Check[] = [];
  const { started, report } = o;
  // RFC 7866 Figure 7: an SRS may answer inactive ("not ready") and ask for the media later; judged at the end.
  const initial = started.streams.map((s) => `${s.label}:${s.status}`).join(" ");
  if (o.pausedOk !== undefined) checks.push({ name: "pause re-INVITE accepted", ok: o.pausedOk });
  if (o.resumedOk !== undefined) checks.push({ name: "resume re-INVITE accepted", ok: o.resumedOk });
  const notAccepted = report.streams.filter((s) => s.status !== "accepted" && s.status !== "rejected");
  const everRejected = started.streams.filter((s) => s.status === "rejected" || s.status === "unusable");
  checks.push({
    name: "SRS answered every label recvonly",
    ok: notAccepted.length === 0 && everRejected.length === 0,
    detail: `at the start ${initial}; at the end ${report.streams.map((s) => `${s.label}:${s.status}`).join(" ")}`,
  });
  const silent = report.figures.filter((f) => f.packets === 0);
  checks.push({
    name: "audio sent on every stream",
    ok: report.figures.length > 0 && silent.length === 0,
    detail: report.figures.map((f) => `label ${f.label}: ${f.packets} packets`).join(", "),
  });
  checks.push({
    name: "recording ended by our BYE (200)",
    ok: report.endedBy === "local" && report.ladder.some((e) => e.what === "200 to BYE"),
    ...(report.endedBy === "local" ? {} : { detail: report.reason ?? "" }),
  });
  // Only reports with a block about our SSRCs count: our own SRs reflected back are a media loop, not feedback.
  checks.push({ name: "RTCP receiver reports from the SRS", ok: o.rtcpReceived > 0 ? true : undefined, detail: `${o.rtcpReceived} received` });
  if (o.rtcpLooped > 0 || o.rtpBack > 0) {
    checks.push({
      name: "no media sent back to our sendonly streams",
      ok: undefined,
      detail: `warning: the SRS sent ${o.rtpBack} RTP and reflected ${o.rtcpLooped} of our own RTCP packets back (a media loop at the SRS)`,
    });
  }
  return checks;
}

/** The first failed check's detail (or name), for a one-line summary. */
export function firstFailure(checks: readonly Check[]): string | undefined {
  const f = checks.find((c) => c.ok === false);
  return f === undefined ? undefined : (f.detail ?? f.name);
}
