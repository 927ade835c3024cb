/**
 * `siprec daemon`'s composition root: config → ESL client + SIP stack (tap
 * listener and SRS client on one user agent) + recorder + forker media.
 * The ESL connection is the only link to FreeSWITCH and nothing here runs
 * in FreeSWITCH's call path: if siprec stops, calls go on unrecorded.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Config } from "../config/secrets.ts";
import { EslClient } from "../esl/client/client.ts";
import type { EslClientNotice } from "../esl/client/types.ts";
import { tcpEslConnector } from "../esl/tcp-connection.ts";
import { Recorder } from "../recorder/recorder.ts";
import { TapListener } from "../recorder/tap-listener.ts";
import { recordStopCommand } from "../recorder/record-command.ts";
import { isLoopback } from "../config/fields.ts";
import { FifoPcmPipes } from "../platform/pcm-pipes.ts";
import { Triggers } from "../recorder/triggers.ts";
import { PortAllocator } from "../rtp/port-allocator.ts";
import { openOnFreePort, udpRtpSockets } from "../rtp/udp-socket.ts";
import { OptionsMonitor } from "../sip/ua/options-monitor.ts";
import type { SipStack } from "../sip/stack.ts";
import { openDaemonStacks } from "./daemon-stacks.ts";
import type { SrsFacing } from "./srs-facing.ts";
import { auditChannels } from "../recorder/channel-audit.ts";
import type { TimerId } from "../lib/clock.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import { ForkerRecordingMedia } from "./forker-media.ts";
import { SqliteRecordingStore } from "./sqlite-store.ts";
import { parseEventJson } from "../esl/event.ts";
import type { RecorderPolicy, StoredRecording } from "../recorder/ports.ts";
import { DialogSession } from "../sip/ua/dialog-session.ts";
import { openSession } from "./session-factory.ts";
import { srsPeers, transportOf } from "../config/srs-target.ts";
import { CachingResolver } from "../sip/ua/resolver-cache.ts";
import { systemResolver } from "../sip/dns-resolver.ts";
import type { ClientTls } from "../sip/transport.ts";

export const ESL_EVENTS = [
  "CHANNEL_CREATE",
  "CHANNEL_ANSWER",
  "CHANNEL_BRIDGE",
  "CHANNEL_UNBRIDGE",
  "CHANNEL_HOLD",
  "CHANNEL_UNHOLD",
  "CHANNEL_HANGUP",
  "CHANNEL_HANGUP_COMPLETE",
  "DTMF",
  "BACKGROUND_JOB",
  "MEDIA_BUG_START",
  "RECORD_STOP",
] as const;

export interface DaemonDeps {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
}

export interface DaemonStatus {
  readonly esl: string;
  readonly eslConnects: number;
  readonly eslReconnects: number;
  readonly channels: number;
  readonly recordings: readonly { id: string; callUuid: string; status: string; mode: string; groups: string[]; fallback?: string }[];
  readonly counters: Recorder["counters"];
  readonly srs: readonly { name: string; health: string }[];
  readonly tapRejected: Readonly<Record<string, number>>;
  readonly rtcpLoss: readonly { recording: string; group: string; label: string; fractionLost: number }[];
}

/** A second look at FreeSWITCH's channels after a (re)connect, and the periodic one. */
const AUDIT_AFTER_CONNECT_MS = 2000;
const AUDIT_INTERVAL_MS = 60_000;

export class Daemon {
  #cfg: Config;
  /** TLS client settings per [[srs]] name (files read by the caller). */
  #tls: ReadonlyMap<string, ClientTls> = new Map();
  /** One DNS cache for every recording and OPTIONS check (30 s, 5 s for failures). */
  readonly #dns: CachingResolver;
  readonly esl: EslClient;
  readonly recorder: Recorder;
  readonly #stack: SipStack;
  /** The SRS-facing stack: the tap's when every SRS is on loopback, else its own (srs-facing.ts). */
  readonly #srsStack: SipStack;
  readonly #facing: SrsFacing;
  readonly #monitor: OptionsMonitor;
  readonly #tap: TapListener;
  #fatal: ((reason: string) => void) | undefined;
  readonly #medias = new Map<string, ForkerRecordingMedia>();
  readonly forwarded = { packets: 0, bytes: 0 };

  readonly #store: SqliteRecordingStore | undefined;
  /** The media-bug tap's pipes ([tap] method = "media-bug"); undefined: tap legs. */
  readonly #pipes: FifoPcmPipes | undefined;
  /** Recordings a previous process left behind, handled once FreeSWITCH is reachable. */
  #orphans: StoredRecording[] = [];

  private constructor(
    cfg: Config,
    stack: SipStack,
    srsStack: SipStack,
    facing: SrsFacing,
    private readonly d: DaemonDeps,
  ) {
    this.#cfg = cfg;
    this.#stack = stack;
    this.#srsStack = srsStack;
    this.#facing = facing;
    this.#dns = new CachingResolver(systemResolver, d.clock);
    this.#store = openStore(cfg.state.path, d.log);
    this.#orphans = this.#store?.load() ?? [];
    this.#heartbeat();
    const ports = new PortAllocator(cfg.tap.rtp_port_min, cfg.tap.rtp_port_max);
    this.#tap = new TapListener(
      cfg.tap.address,
      async (onPacket) => {
        const sock = await openOnFreePort(
          () => ports.take(),
          (p) => ports.release(p),
          { host: cfg.tap.address, onPacket },
        );
        return sock === undefined ? undefined : { port: sock.port, close: () => (sock.close(), ports.release(sock.port)) };
      },
      d.log.child({ part: "tap" }),
      d.clock,
    );
    stack.ua.onInvite = (inv) => void this.#tap.onInvite(inv).catch((e: unknown) => d.log.error("tap listener failed", { error: String(e) }));
    this.#monitor = new OptionsMonitor({ clock: d.clock, onChange: (name, health) => d.log.info("SRS health changed", { srs: name, health }) });
    const triggers = new Triggers(cfg.trigger, groupsOf(cfg));
    const r = cfg.recording;
    this.#pipes = openPipes(cfg, d.log);
    const srsPorts = new PortAllocator(r.rtp_port_min, r.rtp_port_max);
    const srsSockets = udpRtpSockets(facing.rtpBind, srsPorts);
    this.recorder = new Recorder(
      {
        clock: d.clock,
        ids: d.ids,
        log: d.log.child({ part: "recorder" }),
        esl: { bgapi: (c) => this.esl.bgapi(c), api: (c) => this.esl.api(c), command: (c) => this.esl.command(c) },
        tap: this.#tap,
        tapTarget: {
          profile: cfg.tap.profile,
          host: cfg.tap.address,
          port: stack.transports.get("udp")?.local.port ?? cfg.tap.sip_port,
          answerTimeoutMs: cfg.tap.answer_timeout_ms,
        },
        policy: recorderPolicy(cfg),
        ...(this.#pipes === undefined ? {} : { pipes: this.#pipes }),
        openMedia: (id) => {
          const m = new ForkerRecordingMedia({
            clock: d.clock,
            ids: d.ids,
            log: d.log,
            sockets: srsSockets,
            ptimeMs: r.ptime,
            cname: `rec-${id.slice(0, 8)}@${cfg.tap.address}`,
            dtmf: r.dtmf,
            totals: this.forwarded,
            onClose: () => this.#medias.delete(id),
          });
          this.#medias.set(id, m);
          return m;
        },
        ...(this.#store === undefined ? {} : { store: this.#store }),
        // The probe FreeSWITCH writes when it repairs its tap-only flag (tap-only-repair.ts); FreeSWITCH
        // runs on this host (the tap legs reach us on loopback), so the daemon deletes it after.
        tapRepair: { probeDir: tmpdir(), removeProbe: (p) => rmSync(p, { force: true }) },
        openSession: (args) =>
          openSession(
            {
              ua: srsStack.ua,
              clock: d.clock,
              ids: d.ids,
              log: d.log,
              addresses: { sip: facing.sip, media: facing.media },
              isUsable: (n) => this.#monitor.isUsable(n),
              config: () => this.#cfg,
              tlsOf: (n) => this.#tls.get(n),
              dns: this.#dns,
            },
            args,
          ),
      },
      triggers,
      groupsOf(cfg),
    );
    const f = cfg.freeswitch;
    this.esl = new EslClient(
      tcpEslConnector({ host: f.host, port: f.port }),
      d.clock,
      d.ids,
      d.log.child({ part: "esl" }),
      {
        password: f.password,
        format: f.event_format,
        events: [...ESL_EVENTS],
        subclasses: triggers.subclasses,
        commandTimeoutMs: f.command_timeout_ms,
        backoff: { initialMs: f.reconnect_initial_ms, maxMs: f.reconnect_max_ms },
      },
      (n) => this.#onEsl(n),
    );
  }

  static async start(cfg: Config, d: DaemonDeps, tls: ReadonlyMap<string, ClientTls> = new Map()): Promise<Daemon> {
    const { stack, srsStack, facing } = await openDaemonStacks(cfg, d);
    const daemon = new Daemon(cfg, stack, srsStack, facing, d);
    daemon.#tls = tls;
    daemon.#endOrphanDialogs();
    daemon.#watchServers();
    daemon.esl.start();
    daemon.#auditEvery();
    return daemon;
  }

  /** Resolves with a reason when the daemon cannot go on (wrong ESL password, ACL refusal). */
  whenFatal(): Promise<string> {
    return new Promise((resolve) => (this.#fatal = resolve));
  }

  status(): DaemonStatus {
    const s = this.esl.stats;
    return {
      esl: this.esl.state,
      eslConnects: s.connects,
      eslReconnects: s.reconnects,
      channels: this.recorder.table.size,
      recordings: this.recorder.recordings.map((r) => ({
        id: r.id,
        callUuid: r.callUuid,
        status: r.status,
        mode: r.mode,
        groups: r.groups,
        ...(r.fallback === undefined ? {} : { fallback: r.fallback }),
      })),
      counters: { ...this.recorder.counters },
      srs: this.#cfg.srs.map((x) => ({ name: x.name, health: this.#monitor.health(x.name) })),
      tapRejected: { ...this.#tap.rejected },
      rtcpLoss: [...this.#medias].flatMap(([recording, m]) => m.rtcpLoss().map((l) => ({ recording, ...l }))),
    };
  }

  /** SIGHUP: new SRS list and triggers; running recordings carry on with what they have. */
  reload(cfg: Config, tls: ReadonlyMap<string, ClientTls> = new Map()): void {
    this.#cfg = cfg;
    this.#tls = tls;
    this.recorder.reconfigure(new Triggers(cfg.trigger, groupsOf(cfg)), groupsOf(cfg));
    this.#watchServers();
    this.d.log.info("configuration reloaded", { srs: cfg.srs.length, triggers: cfg.trigger.length });
  }

  #auditTimer: TimerId | undefined;
  #aliveTimer: TimerId | undefined;

  /** Every second while something records: the time a restarted process counts a crash's gap from. */
  #heartbeat(): void {
    const store = this.#store;
    if (store === undefined) return;
    this.#aliveTimer = this.d.clock.setTimer(1000, () => {
      if (this.recorder.recordings.length > 0) store.alive(this.d.clock.wallNow());
      this.#heartbeat();
    });
  }

  #auditEvery(): void {
    this.#auditTimer = this.d.clock.setTimer(AUDIT_INTERVAL_MS, () => {
      // Only worth FreeSWITCH's channel list while something records.
      if (this.esl.state === "ready" && this.recorder.recordings.length > 0) void this.#audit(false);
      this.#auditEvery();
    });
  }

  /** SIGTERM: no new recordings, BYE to every SRS, ESL closed. */
  async drain(): Promise<void> {
    if (this.#auditTimer !== undefined) this.d.clock.clearTimer(this.#auditTimer);
    if (this.#aliveTimer !== undefined) this.d.clock.clearTimer(this.#aliveTimer);
    this.#auditTimer = this.#aliveTimer = undefined;
    await this.recorder.drain();
    this.esl.stop();
    this.#store?.close();
    for (const x of this.#cfg.srs) this.#monitor.remove(x.name);
    await Promise.all([this.#stack.close(), this.#srsStack.close()]);
  }

  #watchServers(): void {
    for (const s of this.#cfg.srs) {
      this.#monitor.add({
        name: s.name,
        intervalMs: s.options_interval * 1000,
        probe: async () => {
          const peer = (await srsPeers(s.uri, transportOf(s), this.#tls.get(s.name), this.#dns))[0];
          if (peer === undefined) return 503;
          await this.#facing.sip.prime(peer.host);
          const r = await this.#srsStack.ua.options(s.uri, peer, `sip:siprec@${this.#facing.sip.for(peer.host)}`);
          return r.kind === "final" ? r.res.status : r.kind === "timeout" ? 408 : 503;
        },
      });
    }
  }

  /** BYE for every SRS dialog a dead process left open: the SRS must not wait for media that will not come. */
  #endOrphanDialogs(): void {
    for (const o of this.#orphans) {
      for (const x of o.dialogs) {
        const session = new DialogSession(x.dialog, "uac", this.#srsStack.ua.dialogContext(x.peer));
        void session
          .bye()
          .then((r) => this.d.log.info("orphaned SRS dialog ended", { recordingId: o.id, group: x.group, result: r.kind === "final" ? r.res.status : r.kind }));
      }
    }
  }

  /** Once FreeSWITCH answers: hang up the dead process's tap legs, record its calls that are still up. */
  async #recoverOrphans(live: ReadonlySet<string>): Promise<void> {
    const orphans = this.#orphans;
    this.#orphans = [];
    for (const o of orphans) {
      for (const leg of o.legUuids) await this.esl.api(`uuid_kill ${leg}`);
      // A media-bug tap the dead process left: FreeSWITCH stops writing into its pipe (it fails with EPIPE meanwhile).
      for (const path of o.tapFiles ?? []) {
        const stop = recordStopCommand(o.callUuid, path);
        if (stop.ok) await this.esl.api(stop.value);
        this.#pipes?.release(path);
      }
      if (live.has(o.callUuid)) {
        const dump = await this.esl.api(`uuid_dump ${o.callUuid} json`);
        const e = dump.ok ? parseEventJson(dump.value) : undefined;
        if (e?.ok === true) this.recorder.adopt(e.value);
        const again = this.recorder.recover(o, this.#store?.previousAliveMs);
        this.d.log.info("recording from before a restart", { recordingId: o.id, callUuid: o.callUuid, recordedAgain: again });
      }
      this.#store?.remove(o.id);
    }
  }

  /** Recordings of calls FreeSWITCH no longer has end (channel-audit.ts); on connect the orphans of a restart are handled too. */
  async #audit(onConnect: boolean): Promise<void> {
    const uuids = await auditChannels({ esl: this.esl, recorder: this.recorder, log: this.d.log });
    if (uuids === undefined && onConnect) this.d.log.warn("could not read FreeSWITCH's channel list", {});
    if (uuids !== undefined && onConnect) void this.#recoverOrphans(new Set(uuids));
  }

  #onEsl(n: EslClientNotice): void {
    switch (n.type) {
      case "ready":
        this.d.log.info("connected to FreeSWITCH", { connects: n.connects });
        void this.#audit(true);
        // A call torn down while we reconnected can still be listed, its hangup events already gone: look again.
        this.d.clock.setTimer(AUDIT_AFTER_CONNECT_MS, () => void this.#audit(false));
        return;
      case "event":
        this.recorder.onEvent(n.event);
        return;
      case "disconnected":
        this.d.log.warn("FreeSWITCH event socket lost; recordings keep their media", { reason: n.reason, retryInMs: n.retryInMs });
        return;
      case "fatal":
        this.#fatal?.(n.error.message);
        return;
      case "protocol-error":
        return;
    }
  }
}

/** [tap] method = "media-bug": the pipe directory, or undefined (tap legs) with the reason logged. */
function openPipes(cfg: Config, log: Logger): FifoPcmPipes | undefined {
  if (cfg.tap.method !== "media-bug") return undefined;
  if (!isLoopback(cfg.freeswitch.host)) {
    // FreeSWITCH on another host cannot open a pipe on this one.
    log.warn("media-bug tap needs FreeSWITCH on this host; recording with tap legs", { freeswitch: cfg.freeswitch.host });
    return undefined;
  }
  const p = FifoPcmPipes.create({ dir: cfg.tap.pipe_dir, pipeBytes: cfg.tap.pipe_bytes, log: log.child({ part: "tap" }) });
  if (p.ok) return p.value;
  log.error("media-bug tap unavailable; recording with tap legs", { code: p.error.code, reason: p.error.message });
  return undefined;
}

function openStore(path: string, log: Logger): SqliteRecordingStore | undefined {
  if (path === "") return undefined;
  try {
    return new SqliteRecordingStore(path);
  } catch (e) {
    log.warn("crash recovery is off: cannot open the state file", { path, error: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
}

/** [recording] and [metadata] as the recorder's policy. */
function recorderPolicy(cfg: Config): RecorderPolicy {
  const r = cfg.recording;
  return {
    onFailure: r.on_failure,
    hangupCause: r.hangup_cause,
    ...(r.failure_announcement === undefined ? {} : { announcement: { file: r.failure_announcement, seconds: r.failure_announcement_seconds } }),
    ...(r.indication_announcement === undefined ? {} : { indication: { file: r.indication_announcement, onResume: r.indication_on_resume } }),
    dtmf: r.dtmf,
    pauseMode: r.pause_mode,
    defaultStreams: r.streams,
    metadata: { namespace: cfg.metadata.namespace, map: cfg.metadata.map },
    tapMethod: cfg.tap.method,
    // FreeSWITCH records at 16 kHz only when an SRS may take a wideband codec; G.711 needs no more than 8.
    mediaBug: {
      maxBacklogMs: cfg.tap.max_backlog_ms,
      stallMs: cfg.tap.stall_timeout_ms,
      sampleRate: r.codecs.some((c) => c === "G722" || c === "L16") ? 16000 : 8000,
      ptimeMs: r.ptime,
    },
  };
}

function groupsOf(cfg: Config): Set<string> {
  return new Set(cfg.srs.map((s) => s.group));
}
