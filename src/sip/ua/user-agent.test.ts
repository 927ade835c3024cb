import { describe, expect, test } from "bun:test";
import { invite, inviteFirstReachable, type InviteOutcome } from "./uac-invite.ts";
import { type IncomingInvite, UserAgent } from "./user-agent.ts";
import { ManualClock } from "../../../test/support/manual-clock.ts";
import { FixedIds } from "../../../test/support/fixed-ids.ts";
import { digestResponse, parseChallenge } from "../auth/digest.ts";
import { header } from "../message/headers.ts";
import { run, settle, uaPair } from "../../../test/support/ua-pair.ts";

const SDP = new TextEncoder().encode(
  "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\na=label:1\r\n",
);
const firstLines = (net: ReturnType<typeof uaPair>["net"]) => net.log.map((m) => m.text.split("\r\n")[0]);

async function call(p: ReturnType<typeof uaPair>, extra: Partial<Parameters<typeof invite>[1]> = {}): Promise<InviteOutcome> {
  const out = invite(p.src.ua, {
    uri: "sip:srs@127.0.0.1:5070",
    peer: p.srs.peer,
    from: "<sip:siprec@127.0.0.1>",
    to: "<sip:srs@127.0.0.1>",
    body: SDP,
    contentType: "application/sdp",
    headers: [{ name: "Require", value: "siprec" }],
    ...extra,
  });
  let done: InviteOutcome | undefined;
  void out.then((o) => (done = o));
  for (let i = 0; i < 1000 && done === undefined; i++) await run(p.clock, 50, 50);
  return out;
}

describe("user agent: basic call", () => {
  test("INVITE → 100 → 200 → ACK; BYE ends both sides", async () => {
    const p = uaPair();
    const ended: string[] = [];
    p.srs.ua.onInvite = (inv) => {
      const s = inv.accept({ body: SDP, contentType: "application/sdp" });
      if (s) s.onTerminated = (r) => ended.push(`srs:${r}`);
    };
    const out = await call(p);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    out.session.onTerminated = (r) => ended.push(`src:${r}`);
    await run(p.clock, 100);
    expect(firstLines(p.net)).toEqual([
      "INVITE sip:srs@127.0.0.1:5070 SIP/2.0",
      "SIP/2.0 100 Trying",
      "SIP/2.0 200 OK",
      "ACK sip:siprec@127.0.0.1:5070 SIP/2.0",
    ]);
    expect(p.net.log[0]?.text).toContain("Contact: <sip:siprec@127.0.0.1:5060>;+sip.src");
    const bye = out.session.bye();
    await run(p.clock, 100);
    expect((await bye).kind).toBe("final");
    expect(ended.sort()).toEqual(["src:local-bye", "srs:remote-bye"]);
    expect(p.src.ua.dialogs.size + p.srs.ua.dialogs.size).toBe(0);
  });

  test("over UDP the 2xx is retransmitted until the ACK arrives; a lost ACK is re-sent on the retransmission", async () => {
    const p = uaPair();
    let dropAcks = 1;
    p.net.drop = (b) => new TextDecoder().decode(b).startsWith("ACK") && dropAcks-- > 0;
    p.srs.ua.onInvite = (inv) => void inv.accept({ body: SDP, contentType: "application/sdp" });
    await call(p);
    await run(p.clock, 5000, 50);
    const lines = firstLines(p.net);
    expect(lines.filter((l) => l === "SIP/2.0 200 OK").length).toBe(2);
    expect(lines.filter((l) => l?.startsWith("ACK")).length).toBe(2);
  });

  test("no ACK at all: the UAS ends the dialog with BYE after 64*T1", async () => {
    const p = uaPair();
    p.net.drop = (b) => new TextDecoder().decode(b).startsWith("ACK");
    let reason = "";
    p.srs.ua.onInvite = (inv) => {
      const s = inv.accept({ body: SDP, contentType: "application/sdp" });
      if (s) s.onTerminated = (r) => (reason = r);
    };
    await call(p);
    await run(p.clock, 33_000, 100);
    expect(reason).toBe("ack-timeout");
  });
});

describe("user agent: failures and retries", () => {
  test("rejection is reported with its status", async () => {
    const p = uaPair();
    p.srs.ua.onInvite = (inv) => inv.reject({ status: 488 });
    expect(await call(p)).toMatchObject({ ok: false, status: 488 });
  });

  test("digest: 401 then an authorized INVITE with CSeq 2 (RFC 3261 §22.2)", async () => {
    const p = uaPair();
    let checked = false;
    p.srs.ua.onInvite = (inv: IncomingInvite) => {
      const auth = header(inv.request, "authorization");
      if (auth === undefined)
        return inv.reject({ status: 401, headers: [{ name: "WWW-Authenticate", value: 'Digest realm="srs", nonce="n1", qop="auth", algorithm=SHA-256' }] });
      const fields = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]+)"?/g)].map((m) => [m[1], m[2]]));
      const ch = parseChallenge('Digest realm="srs", nonce="n1", qop="auth", algorithm=SHA-256');
      if (!ch.ok) throw new Error("x");
      const want = digestResponse(
        ch.value,
        { username: "rec", password: "s3cret", method: "INVITE", uri: "sip:srs@127.0.0.1:5070", cnonce: fields["cnonce"] as string, nc: 1 },
        "auth",
      );
      checked = fields["response"] === want && header(inv.request, "cseq") === "2 INVITE";
      inv.accept({ body: SDP, contentType: "application/sdp" });
    };
    const out = await call(p, { credentials: { username: "rec", password: "s3cret" } });
    expect(out.ok).toBe(true);
    expect(checked).toBe(true);
  });

  test("digest with a wrong password: one retry, then the 401 is the result", async () => {
    const p = uaPair();
    let invites = 0;
    p.srs.ua.onInvite = (inv) => {
      invites++;
      inv.reject({ status: 401, headers: [{ name: "WWW-Authenticate", value: 'Digest realm="srs", nonce="n", qop="auth"' }] });
    };
    expect(await call(p, { credentials: { username: "rec", password: "bad" } })).toMatchObject({ ok: false, status: 401, reason: "authentication failed" });
    expect(invites).toBe(2);
  });

  test("deadline: 180 then silence → CANCEL, 487, result 408", async () => {
    const p = uaPair();
    let cancelled = false;
    p.srs.ua.onInvite = (inv) => {
      inv.provisional(180);
      inv.onCancel = () => (cancelled = true);
    };
    const out = await call(p, { timeoutMs: 2000 });
    expect(out).toMatchObject({ ok: false, status: 408, response: { status: 487 } });
    expect(cancelled).toBe(true);
    expect(firstLines(p.net)).toContain("CANCEL sip:srs@127.0.0.1:5070 SIP/2.0");
  });

  test("no answer at all over UDP: Timer B, 408", async () => {
    const p = uaPair();
    p.net.drop = (b, from) => from.port === 5060;
    expect(await call(p)).toMatchObject({ ok: false, status: 408 });
  });

  test("3xx is followed to the Contact (bounded)", async () => {
    const p = uaPair();
    let n = 0;
    p.srs.ua.onInvite = (inv) =>
      n++ === 0
        ? inv.reject({ status: 302, headers: [{ name: "Contact", value: "<sip:other@127.0.0.1:5070>" }] })
        : void inv.accept({ body: SDP, contentType: "application/sdp" });
    const out = await call(p, { resolve: async () => p.srs.peer });
    expect(out.ok).toBe(true);
    expect(firstLines(p.net).filter((l) => l?.startsWith("INVITE"))).toEqual([
      "INVITE sip:srs@127.0.0.1:5070 SIP/2.0",
      "INVITE sip:other@127.0.0.1:5070 SIP/2.0",
    ]);
  });

  test("an unsupported Require gets 420 with Unsupported", async () => {
    const p = uaPair();
    const out = await call(p, { headers: [{ name: "Require", value: "siprec, timer-x" }] });
    expect(out).toMatchObject({ ok: false, status: 420 });
    expect(out.ok ? undefined : header(out.response ?? { headers: [] }, "unsupported")).toBe("timer-x");
  });
});

describe("user agent: inside the dialog", () => {
  async function established(protocol: "udp" | "tcp" = "udp") {
    const p = uaPair(protocol);
    let srsSession: ReturnType<IncomingInvite["accept"]>;
    p.srs.ua.onInvite = (inv) => (srsSession = inv.accept({ body: SDP, contentType: "application/sdp" }));
    const out = await call(p);
    if (!out.ok || srsSession === undefined) throw new Error("no call");
    return { p, src: out.session, srs: srsSession };
  }

  test("re-INVITE with a new SDP, answered and ACKed; o= and CSeq move on", async () => {
    const { p, src, srs } = await established();
    const bodies: string[] = [];
    srs.onRequest = (r) => {
      bodies.push(new TextDecoder().decode(r.request.body));
      r.respond({ status: 200, body: SDP, contentType: "application/sdp" });
    };
    const r = src.request("INVITE", { body: SDP, contentType: "application/sdp" });
    await run(p.clock, 200);
    expect((await r).kind).toBe("final");
    expect(bodies.length).toBe(1);
    expect(firstLines(p.net).slice(-4)).toEqual([
      "INVITE sip:siprec@127.0.0.1:5070 SIP/2.0",
      "SIP/2.0 100 Trying",
      "SIP/2.0 200 OK",
      "ACK sip:siprec@127.0.0.1:5070 SIP/2.0",
    ]);
    expect(p.net.log.at(-4)?.text).toContain("CSeq: 2 INVITE");
  });

  test("glare: both re-INVITE at once; 491, back-off, and both complete", async () => {
    const { p, src, srs } = await established();
    src.onRequest = (r) => r.respond({ status: 200, body: SDP, contentType: "application/sdp" });
    srs.onRequest = (r) => r.respond({ status: 200, body: SDP, contentType: "application/sdp" });
    const a = src.request("INVITE", { body: SDP, contentType: "application/sdp" });
    const b = srs.request("INVITE", { body: SDP, contentType: "application/sdp" });
    await run(p.clock, 9000, 20);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.kind === "final" && ra.res.status).toBe(200);
    expect(rb.kind === "final" && rb.res.status).toBe(200);
    expect(firstLines(p.net).filter((l) => l === "SIP/2.0 491 Request Pending").length).toBeGreaterThan(0);
  });

  test("a request for an unknown dialog gets 481", async () => {
    const { p, src } = await established();
    const d = src.dialog;
    src.dialog = { ...d, remoteTag: "nope", remoteUri: "<sip:srs@127.0.0.1>;tag=nope" };
    const r = src.request("INFO");
    await run(p.clock, 100);
    expect(await r).toMatchObject({ kind: "final", res: { status: 481 } });
    // RFC 3261 §12.2.1.2: a 481 ends the dialog on our side too.
    expect(src.ended).toBe(true);
  });

  test("a request with an old CSeq gets 500 and the dialog survives", async () => {
    const { p, src } = await established();
    src.dialog = { ...src.dialog, localSeq: 0 };
    const old = src.request("INFO");
    await run(p.clock, 100);
    expect(await old).toMatchObject({ kind: "final", res: { status: 500, reason: "Out of Order" } });
    expect(src.ended).toBe(false);
  });

  test("session timers: as refresher (Session-Expires ;refresher=uac) we send UPDATE at half the interval", async () => {
    const p = uaPair();
    p.srs.ua.onInvite = (inv) =>
      void inv.accept({
        body: SDP,
        contentType: "application/sdp",
        headers: [
          { name: "Session-Expires", value: "90;refresher=uac" },
          { name: "Require", value: "timer" },
        ],
      });
    const out = await call(p);
    expect(out.ok).toBe(true);
    await run(p.clock, 46_000, 500);
    expect(firstLines(p.net)).toContain("UPDATE sip:siprec@127.0.0.1:5070 SIP/2.0");
  });

  test("works the same over a reliable transport (no retransmissions)", async () => {
    const { p, src } = await established("tcp");
    const r = src.bye();
    await run(p.clock, 50);
    expect(await r).toMatchObject({ kind: "final", res: { status: 200 } });
    expect(firstLines(p.net).filter((l) => l === "SIP/2.0 200 OK").length).toBe(2);
  });
});

describe("user agent: out of dialog", () => {
  test("OPTIONS is answered with Allow and Supported", async () => {
    const p = uaPair();
    const r = p.src.ua.options("sip:srs@127.0.0.1:5070", p.srs.peer);
    await settle();
    const res = await r;
    expect(res.kind === "final" && [res.res.status, header(res.res, "allow"), header(res.res, "supported")]).toEqual([
      200,
      "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO",
      "siprec",
    ]);
  });
});

describe("fail-over across resolved targets (RFC 3263 §4.3)", () => {
  test("a dead first target (timeout) is skipped; the second answers", async () => {
    const p = uaPair();
    p.srs.ua.onInvite = (inv) => void inv.accept({ body: SDP, contentType: "application/sdp" });
    const dead = { protocol: "udp" as const, host: "127.0.0.1", port: 5999 };
    const out = inviteFirstReachable(p.src.ua, { uri: "sip:srs@127.0.0.1", from: "<sip:siprec@127.0.0.1>", to: "<sip:srs@127.0.0.1>" }, [dead, p.srs.peer]);
    let done = false;
    void out.then(() => (done = true));
    for (let i = 0; i < 200 && !done; i++) await run(p.clock, 500, 100);
    const r = await out;
    expect(r.ok).toBe(true);
    expect(r.tried.map((x) => x.port)).toEqual([5999, 5070]);
  });
});

test("one transaction user per transaction layer: a second UserAgent on the same layer throws instead of silently taking the first one's requests", () => {
  const { src } = uaPair();
  expect(() => new UserAgent({ layer: src.layer, clock: new ManualClock(), ids: new FixedIds(9), local: () => ({ host: "127.0.0.1", port: 5060 }) })).toThrow(
    "already has a transaction user",
  );
});
