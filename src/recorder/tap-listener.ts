/**
 * The tap listener: the SIP UAS FreeSWITCH's tap legs call. It answers only
 * legs it was told to expect — the recording id (X-Siprec-Session), the
 * direction (X-Siprec-Direction) and the per-recording secret
 * (X-Siprec-Token) must all match an open expectation, once — and rejects
 * every other INVITE with 403, so nobody on the host can inject audio into
 * a recording. The answer is recvonly with the offered audio codec; RTP goes
 * to the leg's handler, BYE ends the leg.
 */
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { timingSafeEqualText } from "../lib/secret.ts";
import { parseSdp } from "../sdp/parse.ts";
import type { Media } from "../sdp/types.ts";
import { header } from "../sip/message/headers.ts";
import type { DialogSession } from "../sip/ua/dialog-session.ts";
import type { IncomingInvite } from "../sip/ua/user-agent.ts";
import type { TapDirection } from "./tap-command.ts";

/** A UDP socket for one leg's RTP (the composition root opens real ones). */
export interface TapSocket {
  readonly port: number;
  close(): void;
}

export type OpenTapSocket = (onPacket: (packet: Uint8Array) => void) => Promise<TapSocket | undefined>;

export interface TapLeg {
  readonly recordingId: string;
  readonly direction: TapDirection;
  readonly codec: string;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly telephoneEventPt: number | undefined;
  /** Hangs the leg up (BYE) — FreeSWITCH then ends the eavesdrop. */
  hangup(): void;
}

export interface TapExpectation {
  readonly recordingId: string;
  readonly direction: TapDirection;
  readonly token: string;
  onAnswered(leg: TapLeg): void;
  onPacket(packet: Uint8Array): void;
  onEnded(reason: string): void;
}

export type TapRejectReason = "no-session" | "unknown-leg" | "bad-token" | "already-answered" | "no-audio" | "no-port";

const STATIC: Record<number, [string, number]> = { 0: ["PCMU", 8000], 8: ["PCMA", 8000], 9: ["G722", 8000] };

export class TapListener {
  readonly #expected = new Map<string, TapExpectation>();
  readonly #answered = new Set<string>();
  readonly rejected: Record<TapRejectReason, number> = {
    "no-session": 0,
    "unknown-leg": 0,
    "bad-token": 0,
    "already-answered": 0,
    "no-audio": 0,
    "no-port": 0,
  };

  /** Per source address: when its last refusal was logged and how many came since (bounded map). */
  readonly #refusals = new Map<string, { loggedAt: number; since: number }>();

  constructor(
    private readonly host: string,
    private readonly openSocket: OpenTapSocket,
    private readonly log: Logger,
    /** With a clock, refusals are logged once per source per 10 s with a count (a flood is one line, not thousands). */
    private readonly clock?: Clock,
  ) {}

  #logRefusal(source: string, fields: Record<string, unknown>): void {
    const now = this.clock?.now();
    if (now === undefined) return this.log.warn("tap leg refused", fields);
    const r = this.#refusals.get(source);
    if (r !== undefined && now - r.loggedAt < 10_000) {
      r.since++;
      return;
    }
    this.log.warn("tap leg refused", { ...fields, ...(r === undefined || r.since === 0 ? {} : { alsoRefusedFromThisSource: r.since }) });
    if (this.#refusals.size >= 1024 && r === undefined) this.#refusals.clear();
    this.#refusals.set(source, { loggedAt: now, since: 0 });
  }

  /** Arms one leg; returns a function that disarms it (a leg that never came). */
  expect(e: TapExpectation): () => void {
    const key = `${e.recordingId}/${e.direction}`;
    this.#expected.set(key, e);
    this.#answered.delete(key);
    return () => {
      if (this.#expected.get(key) === e) this.#expected.delete(key);
    };
  }

  /** The UserAgent's onInvite handler. */
  async onInvite(inv: IncomingInvite): Promise<void> {
    const req = inv.request;
    const recordingId = header(req, "x-siprec-session") ?? "";
    const direction = header(req, "x-siprec-direction") ?? "";
    const token = header(req, "x-siprec-token") ?? "";
    const key = `${recordingId}/${direction}`;
    const deny = (why: TapRejectReason, text: string): void => {
      this.rejected[why]++;
      this.#logRefusal(inv.from.host, { reason: why, recordingId, direction, from: `${inv.from.host}:${inv.from.port}` });
      inv.reject({ status: why === "no-audio" ? 488 : why === "no-port" ? 503 : 403, reason: text });
    };
    if (recordingId === "") return deny("no-session", "Forbidden (not a siprec tap leg)");
    if (this.#answered.has(key)) return deny("already-answered", "Forbidden (tap leg already answered)");
    const e = this.#expected.get(key);
    if (e === undefined) return deny("unknown-leg", "Forbidden (no such tap leg expected)");
    if (!timingSafeEqualText(token, e.token)) return deny("bad-token", "Forbidden (bad tap token)");
    const audio = pickAudio(req.body);
    if (audio === undefined) return deny("no-audio", "Not Acceptable Here (no usable audio offer)");
    // The leg is spoken for from here on: a replay of the same INVITE is refused.
    this.#expected.delete(key);
    this.#answered.add(key);
    const socket = await this.openSocket((p) => e.onPacket(p));
    if (socket === undefined) {
      this.#answered.delete(key);
      return deny("no-port", "Service Unavailable (no RTP port free)");
    }
    const sdp = answerSdp(this.host, socket.port, audio);
    const dialog: DialogSession | undefined = inv.accept({ body: new TextEncoder().encode(sdp), contentType: "application/sdp" });
    if (dialog === undefined) {
      socket.close();
      return e.onEnded("answer failed");
    }
    let ended = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      socket.close();
      this.#answered.delete(key);
      e.onEnded(reason);
    };
    dialog.onTerminated = (reason) => end(reason);
    // A re-INVITE (FreeSWITCH refreshing the session) gets the same answer; anything else a plain 200.
    dialog.onRequest = (r) =>
      r.respond(r.request.method === "INVITE" ? { status: 200, body: new TextEncoder().encode(sdp), contentType: "application/sdp" } : { status: 200 });
    e.onAnswered({
      recordingId: e.recordingId,
      direction: e.direction,
      ...audio,
      hangup: () => {
        if (ended) return;
        void dialog.bye();
        end("local-bye");
      },
    });
  }
}

interface PickedAudio {
  readonly codec: string;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly telephoneEventPt: number | undefined;
}

function pickAudio(body: Uint8Array | undefined): PickedAudio | undefined {
  if (body === undefined || body.length === 0) return undefined;
  const sdp = parseSdp(new TextDecoder().decode(body));
  if (!sdp.ok) return undefined;
  const m: Media | undefined = sdp.value.media.find((x) => x.type === "audio" && x.port !== 0);
  if (m === undefined) return undefined;
  let te: number | undefined;
  for (const r of m.rtpmaps) if (r.encodingName.toLowerCase() === "telephone-event") te = r.payloadType;
  for (const f of m.formats) {
    const pt = Number(f);
    const map = m.rtpmaps.find((r) => r.payloadType === pt);
    const name = map?.encodingName.toUpperCase() ?? STATIC[pt]?.[0];
    const rate = map?.clockRate ?? STATIC[pt]?.[1];
    if (name === undefined || rate === undefined || name === "TELEPHONE-EVENT") continue;
    return { codec: name, payloadType: pt, clockRate: rate, telephoneEventPt: te };
  }
  return undefined;
}

function answerSdp(host: string, port: number, a: PickedAudio): string {
  const ip = host.includes(":") ? "IP6" : "IP4";
  return [
    "v=0",
    `o=siprec 1 1 IN ${ip} ${host}`,
    "s=siprec tap",
    `c=IN ${ip} ${host}`,
    "t=0 0",
    `m=audio ${port} RTP/AVP ${a.payloadType}`,
    `a=rtpmap:${a.payloadType} ${a.codec}/${a.clockRate}`,
    "a=ptime:20",
    "a=recvonly",
    "",
  ].join("\r\n");
}
