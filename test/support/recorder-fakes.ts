/**
 * In-memory surroundings for the recorder engine: an ESL port that records
 * commands and answers originates as told, a tap port whose legs the test
 * answers, media and sessions that log what was done to them, in one
 * ordered journal (so "gate closed before the re-INVITE" can be asserted).
 */
import { ok, err } from "../../src/lib/result.ts";
import type { EslCommand } from "../../src/esl/command.ts";
import type { OpenSessionArgs, PcmPipePort, RecorderDeps, RecorderPolicy, RecordingMedia, SessionPort } from "../../src/recorder/ports.ts";
import type { TapExpectation } from "../../src/recorder/tap-listener.ts";
import type { SessionReport, SessionState } from "../../src/siprec/session/types.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { ManualClock } from "./manual-clock.ts";
import { FixedIds } from "./fixed-ids.ts";

export type OriginateAnswer = (command: string) => string | "timeout";

export class RecorderWorld {
  readonly clock = new ManualClock();
  readonly ids = new FixedIds();
  readonly journal: string[] = [];
  readonly commands: string[] = [];
  readonly events: Record<string, string>[] = [];
  readonly expectations: TapExpectation[] = [];
  readonly sessions: FakeSession[] = [];
  /** Every packet fed to a recording's media (copied: the media-bug tap reuses its buffers). */
  readonly packets: { label: string; bytes: Uint8Array }[] = [];
  /** The codec and clock of every leg attached (tap legs or the media-bug tap's streams). */
  readonly legs: { label: string; codec: string; clockRate: number }[] = [];
  readonly pipes = new FakePipes(this.journal);
  /** How FreeSWITCH answers each originate: "+OK <uuid>\n" by default. */
  originate: OriginateAnswer = (cmd) => `+OK ${/origination_uuid=([0-9a-f-]+)/.exec(cmd)?.[1]}\n`;
  /** How each SRS session ends its start(). */
  sessionOutcome: (group: string) => SessionState = () => "recording";

  deps(policy: Partial<RecorderPolicy> = {}): RecorderDeps {
    return {
      clock: this.clock,
      ids: this.ids,
      log: silentLogger,
      esl: {
        bgapi: async (command) => {
          this.commands.push(`bgapi ${command}`);
          const body = this.originate(command);
          if (body === "timeout") return err({ code: "ESL_JOB_TIMEOUT" as const, message: "no BACKGROUND_JOB" });
          return ok({ jobUuid: "job", body });
        },
        api: async (command) => {
          this.commands.push(`api ${command}`);
          this.journal.push(`api ${command.split(" ")[0]}`);
          return ok("+OK\n");
        },
        command: async (cmd: EslCommand) => {
          if (cmd.kind === "sendevent") {
            this.events.push(Object.fromEntries(cmd.headers));
            this.journal.push(`event ${cmd.headers.find(([k]) => k === "Event-Subclass")?.[1]}`);
          }
          return ok(undefined);
        },
      },
      tap: {
        expect: (e) => {
          this.expectations.push(e);
          this.journal.push(`expect ${e.direction}`);
          return () => this.journal.push(`disarm ${e.direction}`);
        },
      },
      tapTarget: { profile: "internal", host: "127.0.0.1", port: 5090, answerTimeoutMs: 3000 },
      policy: {
        onFailure: "continue",
        hangupCause: "NORMAL_TEMPORARY_FAILURE",
        dtmf: "forward",
        pauseMode: "inactive",
        defaultStreams: "separate",
        metadata: { namespace: "urn:x-siprec:extension:1", map: [] },
        ...policy,
      },
      openMedia: (id) => this.#media(id),
      pipes: this.pipes,
      openSession: (args) => {
        const s = new FakeSession(args, this);
        this.sessions.push(s);
        return s;
      },
    };
  }

  /** The tap leg for `direction` of the latest expectation answers; `packets` RTP packets follow. */
  answerLeg(direction: string, packets = 1): void {
    const e = [...this.expectations].reverse().find((x) => x.direction === direction);
    if (e === undefined) throw new Error(`no ${direction} leg expected`);
    e.onAnswered({
      recordingId: e.recordingId,
      direction: e.direction,
      codec: "PCMU",
      payloadType: 0,
      clockRate: 8000,
      telephoneEventPt: undefined,
      hangup: () => this.journal.push(`hangup ${direction}`),
    });
    for (let i = 0; i < packets; i++) e.onPacket(new Uint8Array(172));
  }

  endLeg(direction: string, why = "remote-bye"): void {
    const e = [...this.expectations].reverse().find((x) => x.direction === direction);
    e?.onEnded(why);
  }

  #media(id: string): RecordingMedia {
    const j = this.journal;
    return {
      attachLeg: (label, leg) => {
        j.push(`attach ${label}`);
        this.legs.push({ label, codec: leg.codec, clockRate: leg.clockRate });
      },
      packet: (label, bytes) => void this.packets.push({ label, bytes: bytes.slice() }),
      detachLeg: (label) => j.push(`detach ${label}`),
      gate: (open, closed) => j.push(`gate ${open ? "open" : closed === "silence" ? "closed (silence)" : "closed"}`),
      dtmf: (label, digit, dur) => j.push(`dtmf ${label} ${digit} ${dur}`),
      // The fake sessions never ask for streams; a real one would get an inert driver.
      driverFor: () => ({ prepare: async () => [], start: () => {}, gate: () => {}, stop: () => [], release: () => {} }),
      close: () => j.push(`media close ${id.slice(0, 4)}`),
    };
  }
}

export class FakeSession implements SessionPort {
  state: SessionState = "idle";

  constructor(
    readonly args: OpenSessionArgs,
    private readonly w: RecorderWorld,
  ) {}

  report(): SessionReport {
    return {
      state: this.state,
      ...(this.state === "failed" ? { reason: "all SRS failed (503)" } : {}),
      attempts: [],
      streams: [],
      figures: [],
      pauses: [],
      ladder: [],
      warnings: [],
      snapshotsSent: 0,
    };
  }

  async start(): Promise<SessionReport> {
    this.w.journal.push(`INVITE ${this.args.group} labels=${this.args.labels.join(",")}`);
    this.state = this.w.sessionOutcome(this.args.group);
    return this.report();
  }

  async pause(): Promise<boolean> {
    this.w.journal.push(`re-INVITE inactive ${this.args.group}`);
    this.state = "paused";
    return true;
  }

  async resume(): Promise<boolean> {
    this.w.journal.push(`re-INVITE sendonly ${this.args.group}`);
    this.state = "recording";
    return true;
  }

  async stop(): Promise<SessionReport> {
    this.w.journal.push(`BYE ${this.args.group}`);
    this.state = "stopped";
    return this.report();
  }

  async updateMetadata(): Promise<boolean> {
    this.w.journal.push(`UPDATE metadata ${this.args.group}`);
    return true;
  }
}

/** Named pipes in memory: the test feeds what FreeSWITCH would write. */
export class FakePipes implements PcmPipePort {
  readonly opened: { path: string; onData: (chunk: Uint8Array, queued: number) => void; closed: boolean }[] = [];
  readonly released: string[] = [];
  /** Makes open() fail with this message. */
  refuse: string | undefined;

  constructor(private readonly journal: string[]) {}

  open(name: string, onData: (chunk: Uint8Array, queued: number) => void, sampleRate: 8000 | 16000 = 8000) {
    if (this.refuse !== undefined) return err({ code: "PIPE_CREATE" as const, message: this.refuse });
    const pipe = { path: `/run/siprec/tap/${name}.r${sampleRate / 1000}`, onData, closed: false };
    this.opened.push(pipe);
    this.journal.push("pipe open");
    return ok({
      path: pipe.path,
      close: () => {
        pipe.closed = true;
        this.journal.push("pipe close");
      },
    });
  }

  release(path: string): void {
    this.released.push(path);
  }

  /** FreeSWITCH writes into the latest pipe. */
  write(chunk: Uint8Array, queued = 0): void {
    const p = this.opened.at(-1);
    if (p === undefined || p.closed) throw new Error("no open pipe");
    p.onData(chunk, queued);
  }
}

/** Lets queued promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
