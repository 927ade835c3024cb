/**
 * The forker: every incoming stream (a tap leg) feeds one or more outgoing
 * streams (one per recording server that records it). Each outgoing stream
 * is our own RTP stream (stream-rewriter.ts), carries the codec its SRS
 * chose (transcode.ts: PCMU↔PCMA by table; the wideband tap's L16 as L16,
 * G.722 or G.711), maps or drops telephone-events by
 * policy, optionally goes through SRTP, and passes a per-recording gate.
 *
 * The pause gate (PCI): closing it drops every packet of that recording
 * from that instant; nothing is buffered, so nothing leaks out late on
 * resume. Resume continues the same SSRC with the next sequence number and a
 * timestamp advanced by the paused time (the rewriter re-anchors).
 * Closed with "silence" instead, each packet's audio is replaced by
 * silence of the same length (the SRS timeline has no gap, no call audio
 * leaves) and DTMF events are dropped; a codec passed through without a
 * one-byte silence (G.722 from a G.722 leg) is dropped as with "drop".
 */
import { encodeRtpInto, rtpLength, rtpPayloadEnd, rtpPayloadOffset } from "./packet.ts";
import { GAP, MARKER, StreamRewriter } from "./stream-rewriter.ts";
import { SILENCE_BYTE, type Transcoder, transcoderFor } from "./transcode.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import { type Logger, silentLogger } from "../lib/log.ts";

export type { InputCounters, InputSpec, OutputPort, OutputSpec, StreamCounters } from "./forker-types.ts";
import type { InputCounters, InputSpec, OutputSpec, StreamCounters } from "./forker-types.ts";

interface Output {
  spec: OutputSpec;
  /** The SRS set this stream inactive (RFC 3264 §6.1): nothing is sent on it meanwhile. */
  held: boolean;
  readonly rewriter: StreamRewriter;
  readonly counters: StreamCounters;
  /** From the input's codec to this output's; undefined: the same codec; null: impossible (dropped, counted). */
  readonly transcoder: Transcoder | undefined | null;
}

interface Input {
  readonly spec: InputSpec;
  readonly outputs: Map<string, Output>;
  readonly counters: InputCounters;
  lastSsrc: number;
  lastSeq: number;
}

export type GateClosed = "drop" | "silence";

const newCounters = (): StreamCounters => ({
  packetsIn: 0,
  bytesIn: 0,
  packetsOut: 0,
  octetsOut: 0,
  bytesOut: 0,
  droppedPaused: 0,
  droppedInactive: 0,
  silenced: 0,
  droppedDtmf: 0,
  droppedCodec: 0,
  transcoded: 0,
  sendErrors: 0,
  gaps: 0,
});

export class Forker {
  readonly #inputs = new Map<string, Input>();
  readonly #outputs = new Map<string, Output>();
  /** Recordings whose gate is closed, and what their packets become meanwhile. */
  readonly #closedGroups = new Map<string, GateClosed>();
  readonly #log: Logger;

  constructor(private readonly o: { clock: Clock; ids: IdSource; logger?: Logger }) {
    this.#log = o.logger ?? silentLogger;
  }

  addInput(spec: InputSpec): void {
    if (this.#inputs.has(spec.id)) throw new Error(`input ${spec.id} exists`);
    this.#inputs.set(spec.id, {
      spec,
      outputs: new Map(),
      counters: { packetsIn: 0, bytesIn: 0, malformed: 0, ssrcChanges: 0, seqJumps: 0 },
      lastSsrc: -1,
      lastSeq: -1,
    });
  }

  removeInput(id: string): void {
    const i = this.#inputs.get(id);
    if (i === undefined) return;
    for (const out of i.outputs.keys()) this.#outputs.delete(out);
    this.#inputs.delete(id);
  }

  addOutput(inputId: string, spec: OutputSpec): void {
    const input = this.#inputs.get(inputId);
    if (input === undefined) throw new Error(`no input ${inputId}`);
    if (this.#outputs.has(spec.id)) throw new Error(`output ${spec.id} exists`);
    const ids = this.o.ids;
    const t = transcoderFor(input.spec, spec);
    const transcoder = t.ok ? t.transcoder : null;
    const ptimeSamples = (spec.clockRate * spec.ptimeMs) / 1000;
    const out: Output = {
      spec,
      rewriter: new StreamRewriter(ids.uint32(), ids.uint32() & 0xffff, ids.uint32(), spec.clockRate, ptimeSamples, transcoder?.tsDivisor ?? 1),
      counters: newCounters(),
      held: false,
      transcoder,
    };
    input.outputs.set(spec.id, out);
    this.#outputs.set(spec.id, out);
  }

  removeOutput(id: string): void {
    for (const i of this.#inputs.values()) i.outputs.delete(id);
    this.#outputs.delete(id);
  }

  /**
   * One stream set inactive (or back to sendonly) by an offer/answer: the
   * stream keeps its SSRC and sequence; after the hold it re-anchors like
   * after a pause.
   */
  holdOutput(id: string, held: boolean): void {
    const out = this.#outputs.get(id);
    if (out === undefined || out.held === held) return;
    out.held = held;
    if (!held) out.rewriter.markDiscontinuity();
  }

  isHeld(id: string): boolean {
    return this.#outputs.get(id)?.held === true;
  }

  /** A new destination or SRTP context for a stream (new c=/port, re-keyed a=crypto), same SSRC and sequence. */
  retargetOutput(id: string, change: Pick<OutputSpec, "port"> & Partial<Pick<OutputSpec, "protect" | "payloadType" | "telephoneEventPt">>): void {
    const out = this.#outputs.get(id);
    if (out !== undefined) out.spec = { ...out.spec, ...change };
  }

  /** Opens or closes the gate of a recording: closed means not one more packet of call audio leaves. */
  setGate(group: string, open: boolean, closed: GateClosed = "drop"): void {
    if (open) {
      const was = this.#closedGroups.get(group);
      if (was === undefined) return;
      this.#closedGroups.delete(group);
      // After a gap the stream re-anchors; silence kept it continuous.
      if (was === "drop") for (const out of this.#outputs.values()) if (out.spec.group === group) out.rewriter.markDiscontinuity();
    } else this.#closedGroups.set(group, closed);
  }

  isOpen(group: string): boolean {
    return !this.#closedGroups.has(group);
  }

  counters(outputId: string): Readonly<StreamCounters> | undefined {
    return this.#outputs.get(outputId)?.counters;
  }

  inputCounters(inputId: string): Readonly<InputCounters> | undefined {
    return this.#inputs.get(inputId)?.counters;
  }

  /** SSRC and timing of an output, for its RTCP sender reports. */
  outputInfo(outputId: string): { ssrc: number; timestampNow: number; packets: number; octets: number } | undefined {
    const o = this.#outputs.get(outputId);
    if (o === undefined) return undefined;
    return { ssrc: o.rewriter.ssrc, timestampNow: o.rewriter.timestampAt(this.o.clock.now()), packets: o.counters.packetsOut, octets: o.counters.octetsOut };
  }

  /** Hot path: one packet from an input stream, fanned out to its outputs (no parsing objects). */
  receive(inputId: string, bytes: Uint8Array): void {
    const input = this.#inputs.get(inputId);
    if (input === undefined) return;
    const ic = input.counters;
    ic.packetsIn++;
    ic.bytesIn += bytes.length;
    const off = rtpPayloadOffset(bytes);
    if (off < 0) {
      ic.malformed++;
      return;
    }
    const b1 = bytes[1] as number;
    const seq = ((bytes[2] as number) << 8) | (bytes[3] as number);
    const ts = (((bytes[4] as number) << 24) | ((bytes[5] as number) << 16) | ((bytes[6] as number) << 8) | (bytes[7] as number)) >>> 0;
    const ssrc = (((bytes[8] as number) << 24) | ((bytes[9] as number) << 16) | ((bytes[10] as number) << 8) | (bytes[11] as number)) >>> 0;
    if (input.lastSsrc >= 0 && ssrc !== input.lastSsrc) ic.ssrcChanges++;
    else if (input.lastSeq >= 0 && ((seq - input.lastSeq) & 0xffff) > 1000 && ((input.lastSeq - seq) & 0xffff) > 1000) ic.seqJumps++;
    input.lastSsrc = ssrc;
    input.lastSeq = seq;
    const now = this.o.clock.now();
    const isEvent = input.spec.telephoneEventPt !== undefined && (b1 & 0x7f) === input.spec.telephoneEventPt;
    const payload = bytes.subarray(off, rtpPayloadEnd(bytes));
    for (const out of input.outputs.values()) this.#forward(input, out, ssrc, seq, ts, (b1 & 0x80) !== 0, payload, isEvent, now);
  }

  #forward(input: Input, out: Output, ssrc: number, seq: number, ts: number, marker: boolean, payload: Uint8Array, isEvent: boolean, now: number): void {
    const c = out.counters;
    const s = out.spec;
    c.packetsIn++;
    c.bytesIn += payload.length;
    if (out.held) {
      c.droppedInactive++;
      return;
    }
    const closed = this.#closedGroups.get(s.group);
    const tc = out.transcoder;
    let silence = false;
    if (closed !== undefined) {
      // Silence in the output's codec: a transcoder makes it, else the codec's silence byte fills the payload.
      silence = closed === "silence" && !isEvent && tc !== null && (tc !== undefined || SILENCE_BYTE[s.codec] !== undefined);
      if (!silence) {
        c.droppedPaused++;
        return;
      }
      c.silenced++;
    }
    let payloadType = s.payloadType;
    if (silence) {
      // Not one byte of the call's audio: the whole payload is replaced.
    } else if (isEvent) {
      if (s.dtmf === "drop" || s.telephoneEventPt === undefined) {
        c.droppedDtmf++;
        return;
      }
      payloadType = s.telephoneEventPt;
    } else if (tc !== undefined) {
      if (tc === null) {
        c.droppedCodec++;
        return;
      }
      c.transcoded++;
    }
    const rw = out.rewriter;
    const flags = rw.nextRaw(ssrc, seq, ts, marker, now);
    if ((flags & GAP) !== 0) c.gaps++;
    // One allocation per packet: a fixed 12-byte header (our stream has no CSRCs or extensions) and the payload.
    const coded = tc !== undefined && tc !== null && !isEvent;
    const n = coded ? tc.outLength(payload.length) : payload.length;
    let wire: Uint8Array = new Uint8Array(12 + n);
    const oseq = rw.lastSequence;
    const ots = rw.lastTimestamp;
    const ossrc = rw.ssrc;
    wire[0] = 0x80;
    wire[1] = ((flags & MARKER) !== 0 ? 0x80 : 0) | (payloadType & 0x7f);
    wire[2] = oseq >>> 8;
    wire[3] = oseq & 0xff;
    wire[4] = ots >>> 24;
    wire[5] = (ots >>> 16) & 0xff;
    wire[6] = (ots >>> 8) & 0xff;
    wire[7] = ots & 0xff;
    wire[8] = ossrc >>> 24;
    wire[9] = (ossrc >>> 16) & 0xff;
    wire[10] = (ossrc >>> 8) & 0xff;
    wire[11] = ossrc & 0xff;
    if (coded) tc.run(payload, silence, wire, 12);
    else if (silence) wire.fill(SILENCE_BYTE[s.codec] as number, 12);
    else wire.set(payload, 12);
    if (s.protect !== undefined) {
      const pr = s.protect(wire);
      if (!pr.ok) {
        c.sendErrors++;
        return;
      }
      wire = pr.value;
    }
    this.#send(out, wire, n);
  }

  /** Sends a packet we made ourselves (DTMF events) on an output's stream. */
  sendGenerated(outputId: string, payloadType: number, marker: boolean, timestamp: number, payload: Uint8Array): boolean {
    const out = this.#outputs.get(outputId);
    if (out === undefined || out.held || this.#closedGroups.has(out.spec.group)) return false;
    const pkt = {
      marker,
      payloadType,
      sequence: out.rewriter.take(),
      timestamp: timestamp >>> 0,
      ssrc: out.rewriter.ssrc,
      csrcs: [],
      payload,
      paddingLength: 0,
    };
    let wire: Uint8Array = new Uint8Array(rtpLength(pkt));
    encodeRtpInto(pkt, wire);
    if (out.spec.protect !== undefined) {
      const pr = out.spec.protect(wire);
      if (!pr.ok) return false;
      wire = pr.value;
    }
    return this.#send(out, wire, payload.length);
  }

  /** The output's media timestamp now (DTMF events start here). */
  timestampNow(outputId: string): number | undefined {
    return this.#outputs.get(outputId)?.rewriter.timestampAt(this.o.clock.now());
  }

  outputsOf(group: string): string[] {
    return [...this.#outputs.values()].filter((o) => o.spec.group === group).map((o) => o.spec.id);
  }

  spec(outputId: string): OutputSpec | undefined {
    return this.#outputs.get(outputId)?.spec;
  }

  #send(out: Output, wire: Uint8Array, payloadBytes: number): boolean {
    const c = out.counters;
    try {
      if (out.spec.port.send(wire) === false) {
        c.sendErrors++;
        return false;
      }
    } catch (e) {
      c.sendErrors++;
      if (c.sendErrors === 1) this.#log.warn("rtp send failed", { output: out.spec.id, error: e });
      return false;
    }
    c.packetsOut++;
    c.octetsOut += payloadBytes;
    c.bytesOut += wire.length;
    return true;
  }
}
