import { describe, expect, test } from "bun:test";
import { EslFramer, bodyText, headerValue, type EslFrame } from "./frame.ts";
import { parseEventFrame, eventKey } from "./event.ts";
import { ESL_FIXTURES, type EslFixture, eslBytes, eslFrames } from "../../test/support/esl-fixtures.ts";
import { byteMutations } from "../../test/support/mutate.ts";

/** The counts `python3 verify_fixtures.py` prints (fixtures README). */
const EXPECTED: Record<EslFixture, { frames: Record<string, number>; events?: Record<string, number> }> = {
  "esl-auth-fail": { frames: { "auth/request": 1, "command/reply": 1, "text/disconnect-notice": 1 } },
  "esl-auth-ok": { frames: { "auth/request": 1, "command/reply": 2, "api/response": 2, "text/disconnect-notice": 1 } },
  "esl-call-json": {
    frames: { "auth/request": 1, "command/reply": 7, "text/event-json": 18, "api/response": 2, "text/disconnect-notice": 1 },
    events: callEvents(),
  },
  "esl-call-plain": {
    frames: { "auth/request": 1, "command/reply": 7, "text/event-plain": 18, "api/response": 2, "text/disconnect-notice": 1 },
    events: callEvents(),
  },
  "esl-shutdown": {
    frames: { "auth/request": 1, "command/reply": 2, "text/event-plain": 98, "api/response": 1, "text/disconnect-notice": 1 },
    events: {
      CHANNEL_ANSWER: 2,
      CHANNEL_BRIDGE: 1,
      CHANNEL_CREATE: 2,
      CHANNEL_HANGUP: 2,
      CHANNEL_HANGUP_COMPLETE: 2,
      CHANNEL_UNBRIDGE: 1,
      "CUSTOM/siprec::start": 1,
      "CUSTOM/siprec::stop": 1,
      MODULE_UNLOAD: 85,
      SHUTDOWN: 1,
    },
  },
  "esl-tap-legs": {
    frames: { "auth/request": 1, "command/reply": 7, "text/event-plain": 51, "api/response": 3, "text/disconnect-notice": 1 },
    events: {
      BACKGROUND_JOB: 4,
      CHANNEL_ANSWER: 5,
      CHANNEL_BRIDGE: 1,
      CHANNEL_CREATE: 7,
      CHANNEL_EXECUTE: 13,
      CHANNEL_HANGUP: 7,
      CHANNEL_HANGUP_COMPLETE: 7,
      CHANNEL_PROGRESS: 4,
      CHANNEL_UNBRIDGE: 1,
      "CUSTOM/siprec::start": 1,
      "CUSTOM/siprec::stop": 1,
    },
  },
};

function callEvents(): Record<string, number> {
  return {
    BACKGROUND_JOB: 1,
    CHANNEL_ANSWER: 2,
    CHANNEL_BRIDGE: 1,
    CHANNEL_CREATE: 2,
    CHANNEL_HANGUP_COMPLETE: 2,
    CHANNEL_HOLD: 1,
    CHANNEL_UNBRIDGE: 1,
    CHANNEL_UNHOLD: 1,
    "CUSTOM/siprec::pause": 2,
    "CUSTOM/siprec::resume": 2,
    "CUSTOM/siprec::start": 1,
    "CUSTOM/siprec::stop": 1,
    DTMF: 1,
  };
}

function count(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** Frames as comparable plain values. */
function shape(frames: EslFrame[]): string[] {
  return frames.map((f) => JSON.stringify([f.headers, f.body === undefined ? null : Buffer.from(f.body).toString("base64")]));
}

function pushChunks(bytes: Uint8Array, cuts: number[]): EslFrame[] {
  const framer = new EslFramer();
  const out: EslFrame[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    const r = framer.push(bytes.subarray(at, cut));
    if (!r.ok) throw new Error(r.error.message);
    out.push(...r.value);
    at = cut;
  }
  expect(framer.buffered).toBe(0);
  return out;
}

describe("ESL framer on the real FreeSWITCH captures", () => {
  for (const name of ESL_FIXTURES) {
    test(`${name}: frame and event counts match verify_fixtures.py`, () => {
      const frames = eslFrames(name);
      expect(count(frames.map((f) => f.contentType))).toEqual(EXPECTED[name].frames);
      const events = frames
        .filter((f) => f.contentType.startsWith("text/event-"))
        .map((f) => {
          const e = parseEventFrame(f);
          if (!e.ok) throw new Error(e.error.message);
          return eventKey(e.value);
        });
      if (EXPECTED[name].events !== undefined) expect(count(events)).toEqual(EXPECTED[name].events!);
    });

    test(`${name}: one byte at a time, random chunks and cuts around every frame give identical frames`, () => {
      const bytes = eslBytes(name);
      const whole = shape(eslFrames(name));
      expect(
        shape(
          pushChunks(
            bytes,
            Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
          ),
        ),
      ).toEqual(whole);
      let seed = 7;
      const cuts: number[] = [];
      for (let at = 0; ; ) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        at += 1 + (seed % 1500);
        if (at >= bytes.length) break;
        cuts.push(at);
      }
      expect(shape(pushChunks(bytes, cuts))).toEqual(whole);
      // Every cut within 40 bytes of each frame's header end and frame end (the straddling-"\n\n" class).
      const text = Buffer.from(bytes).toString("latin1");
      const marks = new Set<number>();
      for (let i = text.indexOf("\n\n"); i >= 0; i = text.indexOf("\n\n", i + 1)) marks.add(i);
      for (const m of marks) {
        for (let d = -40; d <= 40; d += name.startsWith("esl-auth") ? 1 : 9) {
          const cut = m + d;
          if (cut > 0 && cut < bytes.length) expect(shape(pushChunks(bytes, [cut]))).toEqual(whole);
        }
      }
    });
  }

  test("esl-auth-ok and esl-auth-fail: every pair of cut offsets", () => {
    for (const name of ["esl-auth-fail", "esl-auth-ok"] as const) {
      const bytes = eslBytes(name);
      const whole = shape(eslFrames(name));
      for (let a = 1; a < bytes.length; a += name === "esl-auth-ok" ? 3 : 1) {
        for (let b = a; b < bytes.length; b++) expect(shape(pushChunks(bytes, [a, b]))).toEqual(whole);
      }
    }
  });

  test("esl-auth-ok: offsets, types and bodies as the README lists them", () => {
    const frames = eslFrames("esl-auth-ok");
    expect(frames.map((f) => f.contentType)).toEqual([
      "auth/request",
      "command/reply",
      "api/response",
      "api/response",
      "command/reply",
      "text/disconnect-notice",
    ]);
    expect(headerValue(frames[1]!.headers, "Reply-Text")).toBe("+OK accepted");
    expect(frames[2]!.body!.length).toBe(337);
    expect(bodyText(frames[2]!)).toContain("FreeSWITCH (Version 1.10.12-release  64bit) is ready");
    expect(bodyText(frames[3]!)).toBe('{"row_count": 0}\n');
    expect(bodyText(frames[5]!)).toBe("Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n");
    expect(frames[0]!.body).toBeUndefined();
  });
});

describe("ESL framer on bad input", () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

  test("a Content-Length that is not a number fails the stream with its offset", () => {
    const f = new EslFramer();
    const r = f.push(enc("Content-Type: command/reply\nReply-Text: +OK\n\nContent-Length: 12x\nContent-Type: api/response\n\n"));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: "ESL_BAD_CONTENT_LENGTH", offset: 45 });
    const again = f.push(enc("Content-Type: command/reply\n\n"));
    expect(!again.ok && again.error.code).toBe("ESL_STREAM_FAILED");
  });

  test("a Content-Length that lies long waits for bytes without growing past the limit", () => {
    const f = new EslFramer({ maxHeaderBytes: 1024, maxBodyBytes: 4096 });
    const r = f.push(enc("Content-Length: 100\nContent-Type: api/response\n\nshort"));
    expect(r.ok && r.value.length).toBe(0);
    const big = f.push(enc("Content-Length: 5000\nContent-Type: api/response\n\n"));
    expect(big.ok).toBe(true); // still inside the first body: those bytes are body text
    const huge = new EslFramer({ maxHeaderBytes: 1024, maxBodyBytes: 4096 }).push(enc("Content-Length: 5000\n\n"));
    expect(!huge.ok && huge.error.code).toBe("ESL_BODY_TOO_LARGE");
  });

  test("a header block that never ends is cut off at the limit", () => {
    const f = new EslFramer({ maxHeaderBytes: 1024, maxBodyBytes: 4096 });
    let failed = false;
    for (let i = 0; i < 100 && !failed; i++) {
      const r = f.push(enc("X-Forever: yes\n"));
      failed = !r.ok && r.error.code === "ESL_HEADER_TOO_LONG";
      expect(f.buffered).toBeLessThanOrEqual(1100);
    }
    expect(failed).toBe(true);
  });

  test("a header line without a name is reported", () => {
    const r = new EslFramer().push(enc(": nothing\n\n"));
    expect(!r.ok && r.error.code).toBe("ESL_BAD_HEADER_LINE");
  });

  test("CRLF line ends and stray blank lines between frames are accepted", () => {
    const r = new EslFramer().push(enc("\n\r\nContent-Type: command/reply\r\nReply-Text: +OK\r\n\r\n\nContent-Type: auth/request\n\n"));
    expect(r.ok && r.value.map((x) => [x.contentType, headerValue(x.headers, "Reply-Text")])).toEqual([
      ["command/reply", "+OK"],
      ["auth/request", undefined],
    ]);
  });

  test("seeded mutations of a real capture never throw", () => {
    const bytes = eslBytes("esl-call-plain").subarray(0, 20_000);
    let n = 0;
    for (const m of byteMutations(bytes, 11, 300)) {
      const r = new EslFramer({ maxHeaderBytes: 8192, maxBodyBytes: 1 << 20 }).push(m);
      if (r.ok) for (const f of r.value) if (f.contentType.startsWith("text/event")) parseEventFrame(f);
      n++;
    }
    expect(n).toBe(300);
  });
});
