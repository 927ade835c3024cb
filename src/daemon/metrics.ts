/**
 * Prometheus metrics of the daemon (prom-client), read from the daemon's
 * state at scrape time: nothing is counted twice and a scrape costs nothing
 * between scrapes.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { DaemonStatus } from "./app.ts";

export interface ForwardTotals {
  packets: number;
  bytes: number;
}

export function daemonMetrics(status: () => DaemonStatus, forwarded: ForwardTotals): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, value: (s: DaemonStatus) => number): void => {
    registry.registerMetric(
      new Counter({
        name,
        help,
        registers: [],
        collect() {
          this.reset();
          this.inc(value(status()));
        },
      }),
    );
  };
  registry.registerMetric(
    new Gauge({
      name: "siprec_recordings_active",
      help: "Recordings running now (tapping, recording or paused).",
      registers: [],
      collect() {
        this.set(status().recordings.length);
      },
    }),
  );
  counter("siprec_recordings_started_total", "Recordings an SRS accepted.", (s) => s.counters.started);
  counter("siprec_recordings_failed_total", "Recordings (or SRS groups of one) that could not be set up.", (s) => s.counters.failed);
  counter("siprec_recordings_stopped_total", "Recordings ended.", (s) => s.counters.stopped);
  counter(
    "siprec_tap_fallbacks_total",
    "Recordings that fell back from the media-bug tap to tap legs, or from separate native taps to one mixed tap.",
    (s) => s.counters.fallbacks,
  );
  counter(
    "siprec_tap_gap_ms_total",
    "Milliseconds of audio the media-bug tap dropped because the daemon fell behind reading it (each reported as siprec::gap).",
    (s) => s.counters.tapGapMs,
  );
  counter(
    "siprec_tap_only_repairs_total",
    "Times FreeSWITCH's tap-only flag was recomputed so another media bug (a customer's own recording) hears both parties.",
    (s) => s.counters.tapRepairs,
  );
  counter("siprec_trigger_problems_total", "Trigger events refused (unknown SRS group, no target, bad stream mode).", (s) => s.counters.triggerProblems);
  counter("siprec_esl_reconnects_total", "Event Socket reconnects after a lost connection.", (s) => s.eslReconnects);
  counter("siprec_rtp_packets_forwarded_total", "RTP packets sent to recording servers.", () => forwarded.packets);
  counter("siprec_rtp_bytes_forwarded_total", "RTP bytes (headers included) sent to recording servers.", () => forwarded.bytes);
  registry.registerMetric(
    new Gauge({
      name: "siprec_esl_connected",
      help: "1 while the Event Socket is authenticated and subscribed.",
      registers: [],
      collect() {
        this.set(status().esl === "ready" ? 1 : 0);
      },
    }),
  );
  registry.registerMetric(
    new Gauge({
      name: "siprec_srs_up",
      help: "SRS health from OPTIONS checks: 1 up, 0 down (servers not checked yet are left out).",
      labelNames: ["srs"],
      registers: [],
      collect() {
        this.reset();
        for (const s of status().srs) if (s.health !== "unknown") this.set({ srs: s.name }, s.health === "up" ? 1 : 0);
      },
    }),
  );
  registry.registerMetric(
    new Counter({
      name: "siprec_recordings_interrupted_total",
      help: "SRS sessions ended or lost mid-call (the rest of the call goes to the group's next server), by cause.",
      labelNames: ["reason"],
      registers: [],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(status().counters.interrupted)) this.inc({ reason }, n);
      },
    }),
  );
  registry.registerMetric(
    new Counter({
      name: "siprec_tap_rejected_total",
      help: "Tap-leg INVITEs refused by the tap listener, by reason.",
      labelNames: ["reason"],
      registers: [],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(status().tapRejected)) this.inc({ reason }, n);
      },
    }),
  );
  registry.registerMetric(
    new Gauge({
      name: "siprec_rtcp_fraction_lost",
      help: "Latest RTCP receiver-report loss fraction (0-1) per active recording stream.",
      labelNames: ["recording", "group", "label"],
      registers: [],
      collect() {
        this.reset();
        for (const l of status().rtcpLoss) this.set({ recording: l.recording, group: l.group, label: l.label }, l.fractionLost);
      },
    }),
  );
  return registry;
}
