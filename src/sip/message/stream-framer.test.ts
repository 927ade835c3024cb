import { describe, expect, test } from "bun:test";
import { StreamFramer } from "./stream-framer.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const M1 = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
const M2 = "MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\nCall-ID: 2\r\n\r\nhello";
const STREAM = enc(`\r\n\r\n${M1}${M2}\r\n`);

function frames(chunks: Uint8Array[]): string[] {
  const f = new StreamFramer();
  const out: string[] = [];
  for (const c of chunks) {
    const r = f.push(c);
    if (!r.ok) throw new Error(r.error.message);
    out.push(...r.value.map(dec));
  }
  return out;
}

describe("SIP stream framing", () => {
  test("whole stream at once, keep-alive CRLFs skipped, compact Content-Length", () => {
    expect(frames([STREAM])).toEqual([M1, M2]);
  });

  test("one byte at a time: the same frames; inHeaders while a head is incomplete, not while a body is awaited", () => {
    expect(frames([...STREAM].map((b) => new Uint8Array([b])))).toEqual([M1, M2]);
    const f = new StreamFramer();
    f.push(enc("MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\n"));
    expect(f.inHeaders).toBe(true);
    f.push(enc("\r\nhel"));
    expect(f.inHeaders).toBe(false);
    expect(f.buffered).toBeGreaterThan(0);
  });

  test("identical frames for a split at every byte offset", () => {
    for (let i = 0; i <= STREAM.length; i++) expect(frames([STREAM.subarray(0, i), STREAM.subarray(i)])).toEqual([M1, M2]);
  });

  test("identical frames for every pair of split points", () => {
    for (let i = 0; i <= STREAM.length; i += 3)
      for (let j = i; j <= STREAM.length; j += 5) expect(frames([STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)])).toEqual([M1, M2]);
  });

  test("one byte at a time", () => {
    expect(frames([...STREAM].map((b) => Uint8Array.of(b)))).toEqual([M1, M2]);
  });

  test("a peer sending headers without end: refused once the limit is passed, memory bounded", () => {
    const f = new StreamFramer(64 * 1024);
    const junk = enc(`INVITE sip:a@b SIP/2.0\r\n${"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(100)}`);
    let result: ReturnType<StreamFramer["push"]> = { ok: true, value: [] };
    let pushed = 0;
    while (result.ok && pushed < 1024 * 1024 * 1024) {
      result = f.push(junk);
      pushed += junk.length;
      expect(f.buffered).toBeLessThanOrEqual(64 * 1024 + junk.length);
    }
    expect(result.ok ? "ok" : result.error.code).toBe("FRAME_HEADER_TOO_LONG");
    expect(pushed).toBeLessThan(80 * 1024);
    expect(f.push(enc(M1)).ok).toBe(false);
  });

  test("missing, conflicting or oversized Content-Length", () => {
    expect(new StreamFramer().push(enc("OPTIONS sip:a@b SIP/2.0\r\n\r\n"))).toMatchObject({ ok: false, error: { code: "FRAME_BAD_CONTENT_LENGTH" } });
    expect(new StreamFramer().push(enc("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\n"))).toMatchObject({
      ok: false,
      error: { code: "FRAME_BAD_CONTENT_LENGTH" },
    });
    expect(new StreamFramer().push(enc("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 999999\r\n\r\n"))).toMatchObject({
      ok: false,
      error: { code: "FRAME_TOO_LARGE" },
    });
  });
});
