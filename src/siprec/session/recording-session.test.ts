import { describe, expect, test } from "bun:test";
import { header } from "../../sip/message/headers.ts";
import type { DialogSession } from "../../sip/ua/dialog-session.ts";
import { answerOffer, rig } from "../../../test/support/session-rig.ts";
import { settle } from "../../../test/support/ua-pair.ts";

describe("failover across a group", () => {
  test("the first server answers 503: the second records; the first's ports are released", async () => {
    const r = rig();
    r.a.ua.onInvite = (inv) => inv.reject({ status: 503 });
    r.b.ua.onInvite = (inv) => void r.answer(inv);
    const rep = await r.run(r.session().start());
    expect(rep.state).toBe("recording");
    expect(rep.srs).toBe("B");
    expect(rep.attempts.map((x) => `${x.srs}:${x.status}`)).toEqual(["A:503", "B:200"]);
    expect(r.media.log).toEqual(["release 40002,40004", "start 1,2"]);
  });

  test("the first server is silent: CANCEL at the INVITE deadline, the second answers within the setup deadline", async () => {
    const r = rig();
    r.a.ua.onInvite = () => {};
    r.b.ua.onInvite = (inv) => void r.answer(inv);
    const rep = await r.run(r.session().start());
    expect(rep.attempts.map((x) => `${x.srs}:${x.status}`)).toEqual(["A:408", "B:200"]);
    expect(r.net.log.some((m) => m.text.startsWith("CANCEL sip:srs@127.0.0.1:5070"))).toBe(true);
  });

  test("an unusable answer (sendrecv) counts as a failure: BYE, next server", async () => {
    const r = rig();
    r.a.ua.onInvite = (inv) => void r.answer(inv, (s) => s.replaceAll("a=recvonly", "a=sendrecv"));
    r.b.ua.onInvite = (inv) => void r.answer(inv);
    const rep = await r.run(r.session().start());
    expect(rep.srs).toBe("B");
    expect(rep.attempts[0]?.reason).toContain("unusable answer");
    expect(r.net.log.some((m) => m.text.startsWith("BYE ") && m.to === "127.0.0.1:5070")).toBe(true);
  });

  test("a 200 without a body and a garbage SDP are unusable too", async () => {
    const r = rig();
    r.a.ua.onInvite = (inv) => void inv.accept({});
    r.b.ua.onInvite = (inv) => void r.answer(inv, () => "v=0\r\nthis is not sdp\r\n");
    const rep = await r.run(r.session().start());
    expect(rep.state).toBe("failed");
    expect(rep.attempts.map((x) => x.reason)).toEqual([
      "unusable answer: the 200 OK has no SDP answer",
      expect.stringContaining("unusable answer: bad SDP answer"),
    ]);
  });

  test("420 (not a recording server) moves on; a status not in the list (403) stops", async () => {
    const r = rig();
    r.a.ua.onInvite = (inv) => inv.reject({ status: 420 });
    r.b.ua.onInvite = (inv) => void r.answer(inv);
    expect((await r.run(r.session().start())).srs).toBe("B");
    const q = rig();
    q.a.ua.onInvite = (inv) => inv.reject({ status: 403 });
    q.b.ua.onInvite = (inv) => void q.answer(inv);
    const rep = await q.run(q.session().start());
    expect(rep.state).toBe("failed");
    expect(rep.attempts.map((x) => x.srs)).toEqual(["A"]);
  });

  test("servers marked down are skipped; all down fails at once", async () => {
    const r = rig();
    r.b.ua.onInvite = (inv) => void r.answer(inv);
    expect((await r.run(r.session({ isUsable: (n) => n !== "A" }).start())).attempts.map((x) => x.srs)).toEqual(["B"]);
    const rep = await r.run(r.session({ isUsable: () => false }).start());
    expect(rep).toMatchObject({ state: "failed", reason: expect.stringContaining("marked down") });
  });
});

describe("an established recording", () => {
  async function established() {
    const r = rig();
    let srsDialog: DialogSession | undefined;
    r.a.ua.onInvite = (inv) => (srsDialog = r.answer(inv));
    const s = r.session();
    await r.run(s.start());
    if (srsDialog === undefined) throw new Error("not established");
    return { ...r, s, srsDialog: srsDialog as DialogSession };
  }

  test("PCI pause: the gate closes before the re-INVITE leaves; 491 is backed off and retried", async () => {
    const r = await established();
    let seen = 0;
    const gateAtReinvite: string[] = [];
    r.srsDialog.onRequest = (req) => {
      gateAtReinvite.push(r.media.log.at(-1) ?? "");
      const inactive =
        "v=0\r\no=s 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=label:1\r\na=inactive\r\nm=audio 6002 RTP/AVP 0\r\na=label:2\r\na=inactive\r\n";
      req.respond(seen++ === 0 ? { status: 491 } : { status: 200, body: new TextEncoder().encode(inactive), contentType: "application/sdp" });
    };
    expect(await r.run(r.s.pause(), 10_000)).toBe(true);
    expect(gateAtReinvite).toEqual(["gate closed", "gate closed"]);
    expect(r.s.state).toBe("paused");
    // In-dialog requests go to the SRS's Contact (its remote target), at 127.0.0.1:5070.
    const reinvites = r.net.log.filter((m) => m.text.startsWith("INVITE ") && m.to === "127.0.0.1:5070" && m.text.includes("a=inactive"));
    expect(reinvites.length).toBe(2);
    // The retry after 491 re-sends the same offer (it never took effect): o= version 2 both times, CSeq moves on.
    const o = (t: string | undefined) => /o=siprec \d+ (\d+) /.exec(t ?? "")?.[1];
    expect([o(reinvites[0]?.text), o(reinvites[1]?.text)]).toEqual(["2", "2"]);
    expect(reinvites[1]?.text).toContain("CSeq: 3 INVITE");
  });

  test("a rejected resume (500) keeps the recording paused and the gate closed", async () => {
    const r = await established();
    r.srsDialog.onRequest = (req) =>
      req.respond({ status: req.request.body.length > 0 && new TextDecoder().decode(req.request.body).includes("a=sendonly") ? 500 : 200 });
    expect(await r.run(r.s.pause(), 5000)).toBe(true);
    expect(await r.run(r.s.resume(), 5000)).toBe(false);
    expect(r.s.state).toBe("paused");
    expect(r.media.log.filter((l) => l.startsWith("gate"))).toEqual(["gate closed"]);
    expect(r.s.report().warnings.some((w) => w.includes("stays paused"))).toBe(true);
  });

  test("a failed resume is tried again after 2, 4, 8 s: the SRS back after two refusals gets the rest of the call; a pause meanwhile cancels the retries", async () => {
    const r = await established();
    const pass = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 10) {
        r.clock.advance(10);
        await settle();
      }
    };
    let refusals = 2;
    const resumes: number[] = [];
    r.srsDialog.onRequest = (req) => {
      const resume = new TextDecoder().decode(req.request.body).includes("a=sendonly");
      if (resume) resumes.push(r.clock.now());
      req.respond({ status: resume && refusals-- > 0 ? 503 : 200 });
    };
    expect(await r.run(r.s.pause(), 5000)).toBe(true);
    const t0 = r.clock.now();
    expect(await r.run(r.s.resume(), 5000)).toBe(false);
    await pass(1900);
    expect([resumes.length, r.s.state]).toEqual([1, "paused"]);
    await pass(200);
    expect(resumes.length).toBe(2); // 2 s after the first
    await pass(4200);
    expect([resumes.length, r.s.state]).toEqual([3, "recording"]);
    expect(resumes.map((t) => Math.round((t - t0) / 1000))).toEqual([0, 2, 6]);
    expect(r.media.log.filter((l) => l.startsWith("gate"))).toEqual(["gate closed", "gate open"]);
    // Refused again, then an operator pause before the retry: no resume behind the operator's back.
    refusals = 10;
    expect(await r.run(r.s.pause(), 5000)).toBe(true);
    expect(await r.run(r.s.resume(), 5000)).toBe(false);
    expect(await r.run(r.s.pause(), 5000)).toBe(false); // already paused, but the pending retry is cancelled
    const before = resumes.length;
    await pass(30_000);
    expect([resumes.length, r.s.state]).toEqual([before, "paused"]);
  });

  test("the SRS hangs up: media stops at once and the report says so", async () => {
    const r = await established();
    let ended = "";
    r.s.onEnded = (rep) => (ended = `${rep.endedBy}:${rep.state}`);
    await r.run(r.srsDialog.bye(), 2000);
    expect(ended).toBe("srs:stopped");
    expect(r.media.log.at(-1)).toBe("stop");
  });

  test("a snapshot request (UPDATE with <requestsnapshot>) is answered, then a complete snapshot goes in a re-INVITE with an SDP offer, o= version + 1 (RFC 7866 §9.1)", async () => {
    const r = await established();
    const got: { method: string; type: string; body: string }[] = [];
    r.srsDialog.onRequest = (req) => {
      got.push({ method: req.request.method, type: header(req.request, "content-type") ?? "", body: new TextDecoder().decode(req.request.body) });
      req.respond({ status: 200, ...answerOffer(req.request) });
    };
    const ask = r.srsDialog.request("UPDATE", {
      body: new TextEncoder().encode('<?xml version="1.0" encoding="UTF-8"?><requestsnapshot xmlns="urn:ietf:params:xml:ns:recording:1"/>'),
      contentType: "application/rs-metadata-request",
      headers: [{ name: "Content-Disposition", value: "recording-session" }],
    });
    await r.run(ask, 2000);
    await r.run(Promise.resolve(), 200);
    expect(got.length).toBe(1);
    expect(got[0]?.method).toBe("INVITE");
    expect(got[0]?.type).toStartWith("multipart/mixed");
    expect(got[0]?.body).toContain("<datamode>complete</datamode>");
    expect(got[0]?.body).toMatch(/o=siprec \d+ 2 IN IP4/);
    expect(got[0]?.body).toContain("a=label:1");
    expect(r.s.report().snapshotsSent).toBe(1);
    expect(r.s.report().warnings).toEqual([]);
  });

  test("a participant leaves: a partial update (UPDATE) carries only what changed", async () => {
    const r = rig();
    let srsDialog: DialogSession | undefined;
    r.a.ua.onInvite = (inv) => (srsDialog = r.answer(inv));
    let bobLeft = false;
    const s = r.session({
      metadata: () => {
        const v = r.view();
        return bobLeft ? { ...v, participants: v.participants.map((p, i) => (i === 1 ? { ...p, leaveTime: "2026-11-26T12:05:00Z" } : p)) } : v;
      },
    });
    await r.run(s.start());
    const got: string[] = [];
    (srsDialog as DialogSession).onRequest = (req) => {
      got.push(`${req.request.method} ${new TextDecoder().decode(req.request.body)}`);
      req.respond({ status: 200 });
    };
    expect(await r.run(s.updateMetadata(), 2000)).toBe(true);
    expect(got).toEqual([]);
    bobLeft = true;
    expect(await r.run(s.updateMetadata(), 2000)).toBe(true);
    expect(got.length).toBe(1);
    expect(got[0]).toStartWith("UPDATE ");
    expect(got[0]).toContain("<datamode>partial</datamode>");
    expect(got[0]).toContain("<disassociate-time>2026-11-26T12:05:00Z</disassociate-time>");
    expect(got[0]).not.toContain("<participant ");
  });

  test("stop: a partial update with the stop-time and disassociate-times goes before the BYE (RFC 7865 §6.3, §6.8)", async () => {
    const r = rig();
    let srsDialog: DialogSession | undefined;
    r.a.ua.onInvite = (inv) => (srsDialog = r.answer(inv));
    let ended = false;
    const s = r.session({
      metadata: () => {
        const v = r.view();
        return ended ? { ...v, stopTime: "2026-11-26T12:09:00Z", participants: v.participants.map((p) => ({ ...p, leaveTime: "2026-11-26T12:09:00Z" })) } : v;
      },
    });
    await r.run(s.start());
    const got: string[] = [];
    (srsDialog as DialogSession).onRequest = (req) => {
      got.push(`${req.request.method} ${new TextDecoder().decode(req.request.body)}`);
      req.respond({ status: 200 });
    };
    (srsDialog as DialogSession).whenEnded(() => got.push("BYE"));
    ended = true;
    await r.run(s.stop(), 4000);
    expect(got.map((g) => g.split(" ")[0])).toEqual(["UPDATE", "BYE"]);
    expect(got[0]).toContain("<stop-time>2026-11-26T12:09:00Z</stop-time>");
    expect(got[0]?.match(/<disassociate-time>/g)?.length).toBe(2);
  });

  test("stop: BYE, media stopped, report with figures; stop twice is fine", async () => {
    const r = await established();
    const rep = await r.run(r.s.stop(), 2000);
    expect(rep).toMatchObject({ state: "stopped", endedBy: "local", figures: [{ label: "1", packets: 10 }] });
    expect((await r.s.stop()).state).toBe("stopped");
  });
});
