/**
 * Capture files → packets, streaming: `push(chunk)` as bytes arrive, only
 * the record being read is held, so memory stays flat in file size.
 *
 * pcap (either byte order, µs or ns timestamps) and pcapng (SHB, IDB, EPB,
 * SPB, OPB; several interfaces with their own link types and timestamp
 * resolutions — if_tsresol; several sections with either byte order;
 * unknown blocks skipped). Errors carry the byte offset of the record that
 * failed; packets read before it stay valid.
 */
import { type Result, err, ok } from "../lib/result.ts";

export interface CapturedPacket {
  /** Capture time, microseconds since the epoch (fractional for ns captures). */
  readonly timeUs: number;
  readonly linkType: number;
  readonly interfaceId: number;
  /** The captured bytes (may be shorter than the packet on the wire). */
  readonly data: Uint8Array;
  readonly originalLength: number;
}

export type CaptureErrorCode = "CAPTURE_NOT_A_CAPTURE" | "CAPTURE_BAD_RECORD" | "CAPTURE_TOO_LARGE" | "CAPTURE_TRUNCATED" | "CAPTURE_UNKNOWN_INTERFACE";

export interface CaptureError {
  readonly code: CaptureErrorCode;
  readonly message: string;
  readonly offset: number;
}

/** No record larger than this is believed: a length field that lies must not make us buffer gigabytes. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Interfaces one pcapng section may describe (real captures have a handful). */
export const MAX_INTERFACES = 4096;

interface Iface {
  readonly linkType: number;
  /** Timestamp units per microsecond (1 for µs, 1000 for ns, ...). */
  readonly unitsPerUs: number;
}

type Format = { kind: "unknown" } | { kind: "pcap"; le: boolean; unitsPerUs: number; linkType: number } | { kind: "pcapng"; le: boolean; ifaces: Iface[] };

export class CaptureReader {
  #buf: Uint8Array = new Uint8Array(0);
  #offset = 0;
  #format: Format = { kind: "unknown" };
  #failed: CaptureError | undefined;

  /** Bytes consumed so far (the offset of the next record). */
  get offset(): number {
    return this.#offset;
  }

  get format(): "pcap" | "pcapng" | "unknown" {
    return this.#format.kind;
  }

  push(chunk: Uint8Array): Result<CapturedPacket[], CaptureError> {
    if (this.#failed !== undefined) return err(this.#failed);
    if (this.#buf.length === 0) this.#buf = chunk;
    else {
      const joined = new Uint8Array(this.#buf.length + chunk.length);
      joined.set(this.#buf, 0);
      joined.set(chunk, this.#buf.length);
      this.#buf = joined;
    }
    const out: CapturedPacket[] = [];
    let at = 0;
    for (;;) {
      const r = this.#next(this.#buf, at, out);
      if (!r.ok) {
        this.#failed = r.error;
        this.#buf = new Uint8Array(0);
        return out.length > 0 ? ok(out) : err(r.error);
      }
      if (r.value === 0) break;
      at += r.value;
    }
    this.#offset += at;
    this.#buf = at === 0 ? this.#buf : this.#buf.slice(at);
    return ok(out);
  }

  /** The end of the file: anything left over is a truncated record. */
  finish(): Result<true, CaptureError> {
    if (this.#failed !== undefined) return err(this.#failed);
    if (this.#format.kind === "unknown") return err({ code: "CAPTURE_NOT_A_CAPTURE", message: "empty file: no capture header", offset: 0 });
    if (this.#buf.length > 0)
      return err({ code: "CAPTURE_TRUNCATED", message: `the file ends inside a record (${this.#buf.length} bytes of it present)`, offset: this.#offset });
    return ok(true);
  }

  /** Reads one record at `at`: its length, 0 when more bytes are needed. */
  #next(b: Uint8Array, at: number, out: CapturedPacket[]): Result<number, CaptureError> {
    const f = this.#format;
    if (f.kind === "unknown") return this.#header(b, at);
    if (f.kind === "pcap") return this.#pcapRecord(b, at, f, out);
    return this.#pcapngBlock(b, at, f, out);
  }

  #fail(code: CaptureErrorCode, message: string, at = 0): Result<number, CaptureError> {
    return err({ code, message, offset: this.#offset + at });
  }

  #header(b: Uint8Array, at: number): Result<number, CaptureError> {
    if (b.length - at < 4) return ok(0);
    const dv = new DataView(b.buffer, b.byteOffset + at);
    const be = dv.getUint32(0, false);
    if (be === 0x0a0d0d0a) return this.#pcapngBlock(b, at, { kind: "pcapng", le: true, ifaces: [] }, []);
    const magics: Record<number, [boolean, number]> = { 0xa1b2c3d4: [false, 1], 0xd4c3b2a1: [true, 1], 0xa1b23c4d: [false, 1000], 0x4d3cb2a1: [true, 1000] };
    const m = magics[be];
    if (m === undefined) return this.#fail("CAPTURE_NOT_A_CAPTURE", `not a pcap or pcapng file (starts with 0x${be.toString(16).padStart(8, "0")})`);
    if (b.length - at < 24) return ok(0);
    const [le, unitsPerUs] = m;
    this.#format = { kind: "pcap", le, unitsPerUs, linkType: dv.getUint32(20, le) & 0x0fffffff };
    return ok(24);
  }

  #pcapRecord(b: Uint8Array, at: number, f: Extract<Format, { kind: "pcap" }>, out: CapturedPacket[]): Result<number, CaptureError> {
    if (b.length - at < 16) return ok(0);
    const dv = new DataView(b.buffer, b.byteOffset + at);
    const incl = dv.getUint32(8, f.le);
    if (incl > MAX_RECORD_BYTES)
      return this.#fail(
        "CAPTURE_TOO_LARGE",
        `a record claims ${incl} captured bytes (more than ${MAX_RECORD_BYTES}): the length field lies or the file is corrupt`,
        at,
      );
    if (b.length - at < 16 + incl) return ok(0);
    const sec = dv.getUint32(0, f.le);
    const frac = dv.getUint32(4, f.le);
    out.push({
      timeUs: sec * 1e6 + frac / f.unitsPerUs,
      linkType: f.linkType,
      interfaceId: 0,
      data: b.subarray(at + 16, at + 16 + incl),
      originalLength: dv.getUint32(12, f.le),
    });
    return ok(16 + incl);
  }

  #pcapngBlock(b: Uint8Array, at: number, f: Extract<Format, { kind: "pcapng" }>, out: CapturedPacket[]): Result<number, CaptureError> {
    if (b.length - at < 12) return ok(0);
    const dv = new DataView(b.buffer, b.byteOffset + at);
    let le = f.le;
    const rawType = dv.getUint32(0, le);
    if (dv.getUint32(0, false) === 0x0a0d0d0a) {
      // A section header: its byte-order magic sets the order for the whole section.
      const bom = dv.getUint32(8, true);
      if (bom !== 0x1a2b3c4d && bom !== 0x4d3c2b1a) return this.#fail("CAPTURE_BAD_RECORD", "pcapng section header without a byte-order magic", at);
      le = bom === 0x1a2b3c4d;
      const len = dv.getUint32(4, le);
      const bad = checkLength(len, b.length - at);
      if (bad !== undefined)
        return bad === "short"
          ? ok(0)
          : this.#fail(bad === "big" ? "CAPTURE_TOO_LARGE" : "CAPTURE_BAD_RECORD", `pcapng block length ${len} is not possible`, at);
      this.#format = { kind: "pcapng", le, ifaces: [] };
      return ok(len);
    }
    const len = dv.getUint32(4, le);
    const bad = checkLength(len, b.length - at);
    if (bad !== undefined)
      return bad === "short" ? ok(0) : this.#fail(bad === "big" ? "CAPTURE_TOO_LARGE" : "CAPTURE_BAD_RECORD", `pcapng block length ${len} is not possible`, at);
    if (dv.getUint32(len - 4, le) !== len) return this.#fail("CAPTURE_BAD_RECORD", `pcapng block length ${len} is not repeated at its end`, at);
    switch (rawType) {
      case 1: {
        // Interface Description Block: link type, then options (if_tsresol = 9).
        if (f.ifaces.length >= MAX_INTERFACES) return this.#fail("CAPTURE_BAD_RECORD", `more than ${MAX_INTERFACES} interface blocks in one section`, at);
        f.ifaces.push({ linkType: dv.getUint16(8, le), unitsPerUs: tsResolution(b.subarray(at + 16, at + len - 4), le) });
        break;
      }
      case 6:
      case 2: {
        const id = rawType === 6 ? dv.getUint32(8, le) : dv.getUint16(8, le);
        const iface = f.ifaces[id];
        if (iface === undefined) return this.#fail("CAPTURE_UNKNOWN_INTERFACE", `packet for interface ${id}, which no interface block described`, at);
        const incl = dv.getUint32(20, le);
        if (28 + incl > len - 4) return this.#fail("CAPTURE_BAD_RECORD", `packet of ${incl} bytes does not fit its ${len}-byte block`, at);
        out.push({
          timeUs: unitsToUs(dv.getUint32(12, le), dv.getUint32(16, le), iface.unitsPerUs),
          linkType: iface.linkType,
          interfaceId: id,
          data: b.subarray(at + 28, at + 28 + incl),
          originalLength: dv.getUint32(24, le),
        });
        break;
      }
      case 3: {
        // Simple Packet Block: interface 0, no timestamp.
        const iface = f.ifaces[0];
        if (iface === undefined) return this.#fail("CAPTURE_UNKNOWN_INTERFACE", "simple packet block before any interface block", at);
        const orig = dv.getUint32(8, le);
        out.push({ timeUs: 0, linkType: iface.linkType, interfaceId: 0, data: b.subarray(at + 12, at + 12 + Math.min(orig, len - 16)), originalLength: orig });
        break;
      }
      default:
        break; // statistics, name resolution, custom blocks: not needed here
    }
    return ok(len);
  }
}

/**
 * A 64-bit timestamp (high and low words) in µs without losing precision:
 * nanoseconds since 1970 exceed 2^53, so `hi * 2^32 + lo` in a double would
 * be off by hundreds of ns. For an integer number of units per µs, split
 * 2^32 / k into its quotient and remainder so every product stays exact.
 */
function unitsToUs(hi: number, lo: number, k: number): number {
  if (!Number.isInteger(k) || k <= 1) return (hi * 2 ** 32 + lo) / k;
  const q = Math.floor(2 ** 32 / k);
  const r = 2 ** 32 - q * k;
  return hi * q + (hi * r + lo) / k;
}

function checkLength(len: number, available: number): "short" | "big" | "bad" | undefined {
  if (len < 12 || len % 4 !== 0) return "bad";
  if (len > MAX_RECORD_BYTES) return "big";
  if (available < len) return "short";
  return undefined;
}

/** if_tsresol: 2^-n or 10^-n seconds per unit; default 10^-6. */
function tsResolution(options: Uint8Array, le: boolean): number {
  const dv = new DataView(options.buffer, options.byteOffset, options.byteLength);
  for (let at = 0; at + 4 <= options.length; ) {
    const code = dv.getUint16(at, le);
    const len = dv.getUint16(at + 2, le);
    if (code === 0) break;
    if (code === 9 && len >= 1) {
      const v = options[at + 4] as number;
      const unitsPerSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
      return unitsPerSecond / 1e6;
    }
    at += 4 + ((len + 3) & ~3);
  }
  return 1;
}
