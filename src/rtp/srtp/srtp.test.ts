import { describe, expect, test } from "bun:test";
import { AesCm } from "./aes-cm.ts";
import { SrtpContext } from "./context.ts";
import { deriveSessionKeys } from "./kdf.ts";
import { serializeRtp } from "../packet.ts";
import { readReference } from "../../../test/support/vectors.ts";

const V = JSON.parse(readReference("vectors/srtp-test-vectors.json")) as Record<string, Record<string, unknown>>;
const hex = (s: unknown) => Uint8Array.from(Buffer.from(String(s), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("RFC 3711 Appendix B", () => {
  test("B.2 AES-CM keystream", () => {
    const v = V["rfc3711_B2_aes_cm"] as { session_key: string; session_salt_shifted: string; keystream_blocks: { counter: string; keystream: string }[] };
    const cm = new AesCm(hex(v.session_key));
    for (const b of v.keystream_blocks) expect(toHex(cm.keystream(hex(b.counter), 16))).toBe(b.keystream);
    expect(toHex(cm.keystream(hex(v.session_salt_shifted), 48))).toBe(
      v.keystream_blocks
        .slice(0, 3)
        .map((b) => b.keystream)
        .join(""),
    );
  });

  test("B.3 key derivation: cipher key, cipher salt, auth key", () => {
    const v = V["rfc3711_B3_key_derivation"] as Record<string, string>;
    const k = deriveSessionKeys("AES_CM_128_HMAC_SHA1_80", hex(v["master_key"]), hex(v["master_salt"]));
    expect([toHex(k.rtp.enc), toHex(k.rtp.salt), toHex(k.rtp.auth)]).toEqual([
      String(v["cipher_key"]),
      String(v["cipher_salt"]),
      String(v["auth_key_hmac_sha1_20_octets"]),
    ]);
  });

  test("B.1 (AES-f8) is not supported: no SDES suite uses it (listed, not skipped silently)", () => {
    expect(V["rfc3711_B1_aes_f8"]?.["source"]).toBe("RFC 3711 Appendix B.1");
  });
});

describe("libSRTP reference packets (AES_CM_128_HMAC_SHA1_80)", () => {
  const v = V["libsrtp_srtp_validate_aes_cm_128_hmac_sha1_80"] as Record<string, string | number>;
  const ctx = () => new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: hex(v["master_key"]), masterSalt: hex(v["master_salt"]) });

  test("SRTP protect and unprotect", () => {
    expect(toHex((ctx().protectRtp(hex(v["rtp_plaintext"])) as { value: Uint8Array }).value)).toBe(String(v["srtp_protected"]));
    expect(ctx().unprotectRtp(hex(v["srtp_protected"]))).toEqual({ ok: true, value: hex(v["rtp_plaintext"]) });
  });

  test("SRTCP protect (index 1, E set) and unprotect", () => {
    expect(toHex((ctx().protectRtcp(hex(v["rtcp_plaintext"]), 1) as { value: Uint8Array }).value)).toBe(String(v["srtcp_protected"]));
    expect(ctx().unprotectRtcp(hex(v["srtcp_protected"]))).toEqual({ ok: true, value: hex(v["rtcp_plaintext"]) });
  });

  test("the SDES inline key of the vector is base64(master key || salt)", () => {
    expect(Buffer.from([...hex(v["master_key"]), ...hex(v["master_salt"])]).toString("base64")).toBe(String(v["sdes_inline_key_salt_base64"]));
  });
});

describe("streams", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  const salt = Uint8Array.from({ length: 14 }, (_, i) => 0xa0 + i);
  const rtp = (seq: number, payload = new Uint8Array(160).fill(seq & 0xff)) =>
    serializeRtp({ marker: false, payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: 0x1234, csrcs: [], payload, paddingLength: 0 });

  for (const suite of ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"] as const) {
    test(`${suite}: across the 16-bit sequence wrap the ROC follows on both sides`, () => {
      const tx = new SrtpContext({ suite, masterKey: key, masterSalt: salt });
      const rx = new SrtpContext({ suite, masterKey: key, masterSalt: salt });
      for (const seq of [65533, 65534, 65535, 0, 1, 2]) {
        const p = tx.protectRtp(rtp(seq));
        if (!p.ok) throw new Error(p.error.message);
        expect(p.value.length).toBe(12 + 160 + (suite.endsWith("80") ? 10 : 4));
        expect(rx.unprotectRtp(p.value)).toEqual({ ok: true, value: rtp(seq) });
      }
    });
  }

  test("replays and packets older than the window are refused; late but new ones pass", () => {
    const tx = new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: key, masterSalt: salt });
    const rx = new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: key, masterSalt: salt, replayWindow: 64 });
    const packets = Array.from({ length: 200 }, (_, i) => (tx.protectRtp(rtp(1000 + i)) as { value: Uint8Array }).value);
    expect(rx.unprotectRtp(packets[5] as Uint8Array).ok).toBe(true);
    expect(rx.unprotectRtp(packets[5] as Uint8Array)).toMatchObject({ ok: false, error: { code: "SRTP_REPLAY" } });
    expect(rx.unprotectRtp(packets[150] as Uint8Array).ok).toBe(true);
    expect(rx.unprotectRtp(packets[140] as Uint8Array).ok).toBe(true);
    expect(rx.unprotectRtp(packets[10] as Uint8Array)).toMatchObject({
      ok: false,
      error: { code: "SRTP_REPLAY", message: "packet older than the replay window" },
    });
  });

  test("a bad tag is dropped before decryption and creates no state; messages carry no key", () => {
    const tx = new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: key, masterSalt: salt });
    const rx = new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: key, masterSalt: salt, maxSsrcs: 2 });
    for (let i = 0; i < 100; i++) {
      const forged = (
        tx.protectRtp(
          serializeRtp({ marker: false, payloadType: 0, sequence: i, timestamp: 0, ssrc: 5000 + i, csrcs: [], payload: new Uint8Array(20), paddingLength: 0 }),
        ) as { value: Uint8Array }
      ).value;
      forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
      const r = rx.unprotectRtp(forged);
      expect(r.ok ? "ok" : r.error.code).toBe("SRTP_AUTH");
      if (!r.ok) expect(r.error.message).not.toContain(toHex(key));
    }
    expect(rx.unprotectRtp((tx.protectRtp(rtp(7)) as { value: Uint8Array }).value).ok).toBe(true);
  });

  test("short and malformed packets", () => {
    const rx = new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: key, masterSalt: salt });
    expect(rx.unprotectRtp(new Uint8Array(15))).toMatchObject({ ok: false, error: { code: "SRTP_SHORT" } });
    expect(rx.unprotectRtp(new Uint8Array(40))).toMatchObject({ ok: false, error: { code: "SRTP_BAD_HEADER" } });
    expect(rx.unprotectRtcp(new Uint8Array(10))).toMatchObject({ ok: false, error: { code: "SRTP_SHORT" } });
    expect(rx.protectRtp(new Uint8Array(5))).toMatchObject({ ok: false, error: { code: "SRTP_BAD_HEADER" } });
  });

  test("wrong key lengths are a programming error", () => {
    expect(() => new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: new Uint8Array(10), masterSalt: salt })).toThrow("16-byte master key");
  });
});
