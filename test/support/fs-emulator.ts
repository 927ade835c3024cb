/**
 * A FreeSWITCH stand-in for daemon tests. Its ESL side answers with the
 * captured frames (auth, subscription, api/bgapi replies, BACKGROUND_JOB,
 * the call's events from esl-tap-legs) and emulates `originate` of tap legs
 * with real SIP and the captured RTP (fs-emulator-sip.ts). Events carry the
 * captured channel data; only a CUSTOM event's subclass/action or a
 * BACKGROUND_JOB's ids and body are changed, and re-encoded the way
 * FreeSWITCH encodes plain events.
 */
import { type EslEvent, parseEventFrame, parseEventPlain } from "../../src/esl/event.ts";
import { eslFrames } from "./esl-fixtures.ts";
import { rawFrames } from "./esl-replay-server.ts";
import { TapLegEmulator, type TapRtpSource } from "./fs-emulator-sip.ts";
import { RecordWriters } from "./fs-emulator-record.ts";
import { mediaBugEvents } from "./esl-events.ts";

const enc = new TextEncoder();
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const TAP_FRAMES = rawFrames("esl-tap-legs");
const TAP_EVENTS = eslFrames("esl-tap-legs").map((f) => (f.contentType === "text/event-plain" ? parseEventFrame(f) : undefined));
export const CALL_A = "656b9548-eba2-4e82-bf16-119977caa1fc";
export const CALL_B = "8d43ac95-d364-4bba-b830-0b1ac2262ebd";

/** Indices (in esl-tap-legs) of the call's own events: A and B, not the lab's tap legs. */
function callFrames(from: string[], to: string[]): Uint8Array[] {
  const picked: Uint8Array[] = [];
  let on = false;
  TAP_EVENTS.forEach((e, i) => {
    if (e === undefined || !e.ok) return;
    const uuid = e.value.headers.get("Unique-ID");
    const key = e.value.subclass ?? e.value.name;
    if (from.includes(`${key}/${uuid}`)) on = true;
    if (on && (uuid === CALL_A || uuid === CALL_B)) picked.push(TAP_FRAMES[i]!);
    if (to.includes(`${key}/${uuid}`)) on = false;
  });
  return picked;
}
const CALL_START = callFrames([`CHANNEL_CREATE/${CALL_A}`], [`CHANNEL_BRIDGE/${CALL_A}`]);
const CALL_END = callFrames([`CHANNEL_HANGUP/${CALL_A}`], [`CHANNEL_HANGUP_COMPLETE/${CALL_A}`]);
const START_EVENT = (TAP_EVENTS.find((e) => e?.ok === true && e.value.subclass === "siprec::start") as { value: EslEvent }).value;
/** `uuid_dump <A> json`: A's channel data as its captured CHANNEL_ANSWER carried it, serialized as FreeSWITCH serializes events to JSON. */
const A_DUMP = (() => {
  const e = (TAP_EVENTS.find((x) => x?.ok === true && x.value.name === "CHANNEL_ANSWER" && x.value.headers.get("Unique-ID") === CALL_A) as { value: EslEvent })
    .value;
  const h = new Map(e.headers);
  h.set("Event-Name", "CHANNEL_DATA");
  return JSON.stringify(Object.fromEntries(h));
})();
const PLAIN_EVENTS = eslFrames("esl-call-plain").map((f) => (f.contentType === "text/event-plain" ? parseEventFrame(f) : undefined));
const PLAIN_A = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";
const PLAIN_B = "f4f5b02e-08df-43f9-a39c-0be47a4b5228";
/** FreeSWITCH's captured RECORD_STOP (test/fixtures/freeswitch-media-bug), re-addressed to each recording. */
const RECORD_STOP_EVENT = mediaBugEvents().find((e) => e.name === "RECORD_STOP") as EslEvent;
const JOB_EVENT = (TAP_EVENTS.find((e) => e?.ok === true && e.value.name === "BACKGROUND_JOB") as { value: EslEvent }).value;

/** A captured frame as another call's: the uuids have the same length, so every Content-Length stays right. */
function renamed(frame: Uint8Array, a: string, b: string): Uint8Array {
  if (a === CALL_A && b === CALL_B) return frame;
  return Buffer.from(Buffer.from(frame).toString("latin1").replaceAll(CALL_A, a).replaceAll(CALL_B, b), "latin1");
}

/** FreeSWITCH's plain event encoding: url-encoded values, "/" left as is, inner Content-Length before a body. */
export function plainEventFrame(headers: ReadonlyMap<string, string>, body?: string): Uint8Array {
  const lines = [...headers].filter(([k]) => k !== "Content-Length").map(([k, v]) => `${k}: ${encodeURIComponent(v).replace(/%2F/g, "/")}`);
  if (body !== undefined) lines.push(`Content-Length: ${enc.encode(body).length}`);
  const inner = `${lines.join("\n")}\n\n${body ?? ""}`;
  return enc.encode(`Content-Length: ${enc.encode(inner).length}\nContent-Type: text/event-plain\n\n${inner}`);
}

/**
 * A plain event frame as FreeSWITCH sends it with `event json`: one JSON
 * object, every value a string, a body as "Content-Length" and "_body" at
 * the end (the fixtures README, esl-call-json).
 */
export function jsonFromPlainFrame(frame: Uint8Array): Uint8Array {
  const text = Buffer.from(frame).toString("latin1");
  const inner = Buffer.from(text.slice(text.indexOf("\n\n") + 2), "latin1");
  const e = parseEventPlain(new Uint8Array(inner));
  if (!e.ok) throw new Error(`emulator: not a plain event: ${e.error.message}`);
  const o: Record<string, string> = {};
  for (const [k, v] of e.value.headers) if (k !== "Content-Length") o[k] = v;
  if (e.value.body !== undefined) Object.assign(o, { "Content-Length": String(enc.encode(e.value.body).length), _body: e.value.body });
  const json = JSON.stringify(o);
  return enc.encode(`Content-Length: ${enc.encode(json).length}\nContent-Type: text/event-json\n\n${json}`);
}

/** Writes that survive a full kernel buffer: the rest waits for drain, in order (as FreeSWITCH's own socket does). */
class QueuedWriter {
  #queue: Uint8Array[] = [];
  #ending = false;

  constructor(private readonly s: { write(b: Uint8Array): number; end(): void }) {}

  write(b: Uint8Array): number {
    this.#queue.push(b);
    this.flush();
    return b.length;
  }

  flush(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const n = this.s.write(head);
      if (n < head.length) {
        this.#queue[0] = head.subarray(Math.max(0, n));
        return;
      }
      this.#queue.shift();
    }
    if (this.#ending) this.s.end();
  }

  end(): void {
    this.#ending = true;
    this.flush();
  }
}

export interface FsEmulatorOptions {
  readonly password?: string;
  /** The subscription format the emulator accepts and sends events in (FreeSWITCH's "event plain" or "event json"). */
  readonly format?: "plain" | "json";
  /** Native read/write legs answer and hang up without RTP (FreeSWITCH's codec-mismatch case). */
  readonly nativeMismatch?: boolean;
  /** uuid_record: write the captured stereo PCM (default), or only list the pipes for a bench's own writer. */
  readonly records?: "captured" | "external";
  /** Where the tap legs' RTP comes from (default: the captured packets, from a socket per leg). */
  readonly tapRtp?: TapRtpSource;
}

export class FsEmulator {
  readonly commands: string[] = [];
  readonly fired: Map<string, string>[] = [];
  /** When each of `fired` arrived (performance.now()), for set-up latency benches. */
  readonly firedAt: number[] = [];
  readonly legs: TapLegEmulator;
  /** uuid_record into the daemon's pipes (the media-bug tap). */
  readonly records: RecordWriters;
  #socket: { write(b: Uint8Array): number; end(): void } | undefined;
  #server: Bun.TCPSocketListener<{ out: QueuedWriter; inbox: string }> | undefined;
  #connections = 0;
  /** Channels up now, for `show channels as json` (FreeSWITCH's column for the id is "uuid"). */
  #live: string[] = [];
  #staleLists = 0;

  private constructor(
    legs: TapLegEmulator,
    private readonly o: FsEmulatorOptions,
  ) {
    this.legs = legs;
    this.records = new RecordWriters((callUuid, path) => this.#recordStopped(callUuid, path), o.records === "external");
  }

  static async start(o: FsEmulatorOptions = {}): Promise<FsEmulator> {
    const fs = new FsEmulator(await TapLegEmulator.open(o.tapRtp), o);
    fs.#server = Bun.listen<{ out: QueuedWriter; inbox: string }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (s) => {
          fs.#connections++;
          s.data = { out: new QueuedWriter(s), inbox: "" };
          fs.#socket = s.data.out;
          s.data.out.write(TAP_FRAMES[0]!); // auth/request
        },
        data: (s, d) => {
          s.data.inbox += dec(d);
          for (let cut = s.data.inbox.indexOf("\n\n"); cut >= 0; cut = s.data.inbox.indexOf("\n\n")) {
            const cmd = s.data.inbox.slice(0, cut);
            s.data.inbox = s.data.inbox.slice(cut + 2);
            fs.#command(cmd, s.data.out);
          }
        },
        drain: (s) => s.data.out.flush(),
        close: (s) => {
          if (fs.#socket === s.data.out) fs.#socket = undefined;
        },
      },
    });
    return fs;
  }

  get port(): number {
    return this.#server!.port;
  }

  get connections(): number {
    return this.#connections;
  }

  /** The call up to CHANNEL_BRIDGE, siprec::start included (captured frames; other uuids for more calls). */
  playCallStart(a = CALL_A, b = CALL_B): void {
    for (const f of CALL_START) this.#event(renamed(f, a, b));
    this.#live.push(a, b);
  }

  /** The caller hangs up: hangup events, siprec::stop, and that call's tap legs end. */
  playCallEnd(a = CALL_A, b = CALL_B): void {
    for (const f of CALL_END) this.#event(renamed(f, a, b));
    this.#live = this.#live.filter((u) => u !== a && u !== b);
    this.legs.hangupCall(a);
    this.records.callEnded(a);
  }

  /** The captured siprec::start of call A with another action (pause/resume/stop) or extra headers. */
  fireSiprec(action: string, extra: Record<string, string> = {}): void {
    const h = new Map(START_EVENT.headers);
    h.set("Event-Subclass", `siprec::${action}`);
    h.set("SIPREC-Action", action);
    for (const [k, v] of Object.entries(extra)) h.set(k, v);
    this.#event(plainEventFrame(h));
  }

  /**
   * An event of the esl-call-plain capture (DTMF, CHANNEL_HOLD, ...) as call A's:
   * its channel ids replaced by A's and B's (or `otherLeg` for a transfer).
   */
  fireFromCallPlain(name: string, otherLeg = CALL_B): void {
    const e = (PLAIN_EVENTS.find((x) => x?.ok === true && x.value.name === name) as { value: EslEvent } | undefined)?.value;
    if (e === undefined) throw new Error(`no ${name} in esl-call-plain`);
    const h = new Map<string, string>();
    for (const [k, v] of e.headers) h.set(k, v.replaceAll(PLAIN_A, CALL_A).replaceAll(PLAIN_B, otherLeg));
    this.#event(plainEventFrame(h, e.body));
  }

  /** A call already up when a (restarted) daemon connects: channels listed, no events replayed. */
  callAlreadyUp(): void {
    this.#live = [CALL_A, CALL_B];
  }

  /**
   * The next `n` channel lists predate the calls just started (FreeSWITCH's
   * `show channels` reads its database, which lags new channels): empty.
   */
  staleChannelLists(n = 1): void {
    this.#staleLists = n;
  }

  /** Drops the ESL connection (FreeSWITCH restarting its event socket, a network cut). */
  dropEsl(): void {
    this.#socket?.end();
    this.#socket = undefined;
  }

  stop(): void {
    this.#socket?.end();
    this.#server?.stop(true);
    this.legs.close();
    this.records.close();
  }

  /** An event to the subscriber, in the format it subscribed with. */
  #event(plainFrame: Uint8Array): void {
    this.#socket?.write(this.o.format === "json" ? jsonFromPlainFrame(plainFrame) : plainFrame);
  }

  #reply(s: { write(b: Uint8Array): number }, text: string): void {
    s.write(enc.encode(`Content-Type: command/reply\nReply-Text: ${text}\n\n`));
  }

  #api(s: { write(b: Uint8Array): number }, body: string): void {
    s.write(enc.encode(`Content-Type: api/response\nContent-Length: ${enc.encode(body).length}\n\n${body}`));
  }

  #command(cmd: string, s: { write(b: Uint8Array): number; end(): void }): void {
    this.commands.push(cmd);
    const [first = "", ...rest] = cmd.split("\n");
    if (first.startsWith("auth ")) {
      if (first.slice(5) === (this.o.password ?? "ClueCon")) return this.#reply(s, "+OK accepted");
      this.#reply(s, "-ERR invalid");
      s.write(rawFrames("esl-auth-fail")[2]!);
      return s.end();
    }
    const format = this.o.format ?? "plain";
    if (first.startsWith(`event ${format} `)) return this.#reply(s, `+OK event listener enabled ${format}`);
    if (first.startsWith("event ")) return this.#reply(s, `-ERR the emulator was started for event ${format}`);
    if (first === "api show channels as json") {
      if (this.#staleLists > 0) {
        this.#staleLists--;
        return this.#api(s, '{"row_count": 0}\n');
      }
      if (this.#live.length === 0) return this.#api(s, '{"row_count": 0}\n');
      return this.#api(
        s,
        `${JSON.stringify({ row_count: this.#live.length, rows: this.#live.map((uuid) => ({ uuid, direction: uuid === CALL_A ? "inbound" : "outbound" })) })}\n`,
      );
    }
    // FreeSWITCH answers uuid_exists with "true" or "false" (its session table).
    const exists = /^api uuid_exists ([0-9a-f-]{36})$/.exec(first);
    if (exists !== null) return this.#api(s, this.#live.includes(exists[1] as string) ? "true" : "false");
    if (first === `api uuid_dump ${CALL_A} json`) return this.#api(s, this.#live.includes(CALL_A) ? A_DUMP : "-ERR No such channel!\n");
    const kill = /^api uuid_kill ([0-9a-f-]{36})$/.exec(first);
    if (kill !== null && kill[1] !== CALL_A) return this.#api(s, this.legs.hangup(kill[1]!) ? "+OK\n" : "-ERR No such channel!\n");
    const record = /^(bgapi|api) uuid_record ([0-9a-f-]{36}) (start|stop) (\S+)/.exec(first);
    if (record !== null)
      return this.#uuidRecord(record[1] as string, record[2] as string, record[3] as string, record[4] as string, first.slice(record[1]!.length + 1), rest, s);
    if (first.startsWith("api ")) return this.#api(s, "+OK\n");
    if (first.startsWith("sendevent ")) {
      this.firedAt.push(performance.now());
      this.fired.push(new Map(rest.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()] as [string, string])));
      return this.#reply(s, "+OK 00000000-0000-4000-8000-000000000000");
    }
    if (first.startsWith("bgapi originate ")) return this.#originate(first.slice(6), rest, s);
    if (first === "exit") {
      this.#reply(s, "+OK bye");
      return s.end();
    }
    this.#reply(s, "-ERR command not found");
  }

  /** FreeSWITCH stops a recording by itself (an error, someone's `uuid_record ... stop`): RECORD_STOP follows. */
  stopRecording(callUuid: string, path = "all"): void {
    this.records.stop(callUuid, path);
  }

  #recordStopped(callUuid: string, path: string): void {
    const h = new Map(RECORD_STOP_EVENT.headers);
    for (const k of ["Unique-ID", "Channel-Call-UUID"]) h.set(k, callUuid);
    h.set("Record-File-Path", path);
    this.#event(plainEventFrame(h));
  }

  #uuidRecord(kind: string, uuid: string, action: string, path: string, command: string, rest: string[], s: { write(b: Uint8Array): number }): void {
    const gone = this.#live.length > 0 && !this.#live.includes(uuid);
    const body = gone ? "-ERR Cannot locate session!\n" : action === "start" ? this.records.start(uuid, path) : this.records.stop(uuid, path);
    if (kind === "api") return this.#api(s, body);
    const jobUuid = rest.find((l) => l.startsWith("Job-UUID: "))?.slice(10) ?? "00000000-0000-4000-8000-00000000000e";
    s.write(enc.encode(`Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${jobUuid}\nJob-UUID: ${jobUuid}\n\n`));
    const h = new Map(JOB_EVENT.headers);
    h.set("Job-UUID", jobUuid);
    h.set("Job-Command", "uuid_record");
    h.set("Job-Command-Arg", command.slice("uuid_record ".length));
    this.#event(plainEventFrame(h, body));
  }

  #originate(command: string, rest: string[], s: { write(b: Uint8Array): number }): void {
    const jobUuid = rest.find((l) => l.startsWith("Job-UUID: "))?.slice(10) ?? "00000000-0000-4000-8000-00000000000f";
    s.write(enc.encode(`Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${jobUuid}\nJob-UUID: ${jobUuid}\n\n`));
    const m = /^originate \{([^}]*)\}sofia\/[^/]+\/tap@([^:]+):(\d+) /.exec(command);
    const vars = new Map((m?.[1] ?? "").split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as [string, string]));
    const job = (body: string): void => {
      const h = new Map(JOB_EVENT.headers);
      h.set("Job-UUID", jobUuid);
      h.set("Job-Command-Arg", command.slice("originate ".length));
      this.#event(plainEventFrame(h, body));
    };
    if (m === null) return job("-ERR INVALID_GATEWAY\n");
    const direction = vars.get("sip_h_X-Siprec-Direction") as "read" | "write" | "both";
    const headers: Record<string, string> = {};
    for (const [k, v] of vars) if (k.startsWith("sip_h_")) headers[k.slice(6)] = v;
    const callUuid = /eavesdrop\(([0-9a-f-]{36})/.exec(command)?.[1] ?? "";
    void this.legs
      .place({
        callUuid,
        legUuid: vars.get("origination_uuid") ?? "",
        host: m[2]!,
        port: Number(m[3]),
        headers,
        direction,
        // As FreeSWITCH: the tap leg is placed first and eavesdrops once answered; on a call that is gone
        // (or a codec native_eavesdrop refuses) the app returns at once and the leg hangs up. With no call
        // played at all (tests that only fire siprec::start), every target counts as up.
        hangUpAfterAnswer: (this.o.nativeMismatch === true && direction !== "both") || (this.#live.length > 0 && !this.#live.includes(callUuid)),
      })
      .then((status) => job(status < 300 ? `+OK ${vars.get("origination_uuid")}\n` : "-ERR CALL_REJECTED\n"));
  }
}
