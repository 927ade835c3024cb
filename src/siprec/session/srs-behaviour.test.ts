/**
 * The recording client against what real recording servers do inside the
 * dialog (RFC 3261/3264/3311/4028/7866): offers of their own, offerless
 * re-INVITEs, session timers in both directions, stalled transactions,
 * OPTIONS and INFO. In-memory network, manual clock.
 */
import { describe, expect, test } from "bun:test";
import { header, headerList } from "../../sip/message/headers.ts";
import type { SipRequest } from "../../sip/message/types.ts";
import type { DialogSession } from "../../sip/ua/dialog-session.ts";
import { CONFIG, answerOffer, rig } from "../../../test/support/session-rig.ts";

/** An SRS's own SDP offer (RFC 7866 §7.1.1 lets the SRS re-INVITE). */
function srsOffer(o: { version: number; streams: { label: string; port: number; dir?: string; formats?: string; address?: string }[] }): Uint8Array {
  const lines = ["v=0", `o=srs 77 ${o.version} IN IP4 127.0.0.1`, "s=srs", "c=IN IP4 127.0.0.1", "t=0 0"];
  for (const s of o.streams) {
    const f = s.formats ?? "0 8 101";
    lines.push(`m=audio ${s.port} RTP/AVP ${f}`);
    if (s.address !== undefined) lines.push(`c=IN IP4 ${s.address}`);
    if (f.includes("101")) lines.push("a=rtpmap:101 telephone-event/8000");
    lines.push(`a=label:${s.label}`, `a=${s.dir ?? "recvonly"}`);
  }
  return new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
}

const INACTIVE = (sdp: string) => sdp.replace(/a=recvonly/g, "a=inactive");

async function established(tweak?: (sdp: string) => string, headers: { name: string; value: string }[] = []) {
  const r = rig();
  let srsDialog: DialogSession | undefined;
  const invites: SipRequest[] = [];
  r.a.ua.onInvite = (inv) => {
    invites.push(inv.request);
    srsDialog = r.answer(inv, tweak, headers);
  };
  const s = r.session();
  await r.run(s.start());
  if (srsDialog === undefined) throw new Error("not established");
  const seen: SipRequest[] = [];
  const d = srsDialog as DialogSession;
  d.onRequest = (req) => {
    seen.push(req.request);
    req.respond({ status: 200, ...(header(req.request, "content-type") === undefined ? {} : answerOffer(req.request)) });
  };
  /** Lets `ms` of manual time pass, the network and timers running. */
  const wait = (ms: number) => r.run(new Promise<void>((res) => r.clock.setTimer(ms, res)), ms + 100);
  const reoffer = (body: Uint8Array) => r.run(d.request("INVITE", { body, contentType: "application/sdp" }), 3000);
  return { ...r, s, srsDialog: d, invites, seen, reoffer, wait };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("SRS offers get real answers (RFC 3264 §6, RFC 7866 §7.1.1)", () => {
  test("RFC 7866 Figure 7: inactive answer (not ready), nothing sent; the SRS's recvonly re-INVITE starts the media", async () => {
    const r = await established(INACTIVE);
    expect(r.s.state).toBe("recording");
    expect(r.media.starts).toEqual(["1:inactive@127.0.0.1:6000 2:inactive@127.0.0.1:6002"]);
    const res = await r.reoffer(
      srsOffer({
        version: 2,
        streams: [
          { label: "1", port: 7000 },
          { label: "2", port: 7002 },
        ],
      }),
    );
    expect(res.kind === "final" && res.res.status).toBe(200);
    const answer = res.kind === "final" ? text(res.res.body) : "";
    expect(answer.match(/a=sendonly/g)?.length).toBe(2);
    expect(answer).toMatch(/o=siprec \d+ 2 IN/);
    expect(answer).toContain("m=audio 40002 RTP/AVP 0 101");
    expect(r.media.starts.at(-1)).toBe("1:accepted@127.0.0.1:7000 2:accepted@127.0.0.1:7002");
    expect(r.s.report().streams.map((s) => s.status)).toEqual(["accepted", "accepted"]);
  });

  test("per stream: inactive → inactive and held; a new c=/port re-targets; port 0 → port 0 for good, also in our later offers", async () => {
    const r = await established();
    let res = await r.reoffer(
      srsOffer({
        version: 2,
        streams: [
          { label: "1", port: 6000 },
          { label: "2", port: 6002, dir: "inactive" },
        ],
      }),
    );
    let answer = res.kind === "final" ? text(res.res.body) : "";
    expect(answer.split("m=audio")[2]).toContain("a=inactive");
    expect(answer.split("m=audio")[1]).toContain("a=sendonly");
    expect(r.media.starts.at(-1)).toBe("1:accepted@127.0.0.1:6000 2:inactive@127.0.0.1:6002");
    res = await r.reoffer(
      srsOffer({
        version: 3,
        streams: [
          { label: "1", port: 6100, address: "127.0.0.2" },
          { label: "2", port: 0 },
        ],
      }),
    );
    answer = res.kind === "final" ? text(res.res.body) : "";
    expect(answer).toContain("m=audio 0 RTP/AVP");
    expect(r.media.starts.at(-1)).toBe("1:accepted@127.0.0.2:6100");
    // Our own next offer (a pause) keeps the rejected m-line at port 0.
    expect(await r.run(r.s.pause(), 3000)).toBe(true);
    const pause = r.seen.at(-1) as SipRequest;
    expect(pause.method).toBe("INVITE");
    const m = text(pause.body).split("m=audio");
    expect(m.length).toBe(3);
    expect(m[2]).toStartWith(" 0 RTP/AVP");
    expect(m[1]).toContain("a=inactive");
  });

  test("an offer we cannot take gets 488 and changes nothing: sendrecv, an unknown codec only, fewer m-lines, a label moved", async () => {
    const r = await established();
    const before = [...r.media.starts];
    for (const bad of [
      srsOffer({
        version: 2,
        streams: [
          { label: "1", port: 6000, dir: "sendrecv" },
          { label: "2", port: 6002 },
        ],
      }),
      srsOffer({
        version: 2,
        streams: [
          { label: "1", port: 6000, formats: "18" },
          { label: "2", port: 6002 },
        ],
      }),
      srsOffer({ version: 2, streams: [{ label: "1", port: 6000 }] }),
      srsOffer({
        version: 2,
        streams: [
          { label: "2", port: 6000 },
          { label: "1", port: 6002 },
        ],
      }),
    ]) {
      const res = await r.reoffer(bad);
      expect(res.kind === "final" && res.res.status).toBe(488);
      expect(res.kind === "final" ? header(res.res, "warning") : "").toStartWith("304 ");
    }
    expect(r.media.starts).toEqual(before);
    expect(r.s.state).toBe("recording");
    // A good offer afterwards is answered from the unchanged session: version 2 (one codec chosen), the refusals sent no SDP.
    const ok = await r.reoffer(
      srsOffer({
        version: 3,
        streams: [
          { label: "1", port: 6000 },
          { label: "2", port: 6002 },
        ],
      }),
    );
    expect(ok.kind === "final" ? text(ok.res.body) : "").toMatch(/o=siprec \d+ 2 IN/);
  });

  test("a second SRS re-INVITE before the first one's ACK arrived (ACK lost): the older 2xx's timers go, the dialog stays up past 64*T1", async () => {
    const r = await established();
    let dropAcks = true;
    r.net.drop = (bytes) => dropAcks && new TextDecoder().decode(bytes.subarray(0, 4)) === "ACK ";
    await r.reoffer(
      srsOffer({
        version: 2,
        streams: [
          { label: "1", port: 6000 },
          { label: "2", port: 6002 },
        ],
      }),
    );
    dropAcks = false;
    await r.reoffer(
      srsOffer({
        version: 3,
        streams: [
          { label: "1", port: 6000 },
          { label: "2", port: 6002 },
        ],
      }),
    );
    await r.wait(40_000);
    expect(r.s.state).toBe("recording");
    expect(r.seen.filter((q) => q.method === "BYE")).toEqual([]);
  });

  test("an UPDATE with SDP is an offer too: answered with SDP (RFC 3311 §5.2), Contact in the 2xx", async () => {
    const r = await established();
    const res = await r.run(
      r.srsDialog.request("UPDATE", {
        body: srsOffer({
          version: 2,
          streams: [
            { label: "1", port: 6000, dir: "inactive" },
            { label: "2", port: 6002 },
          ],
        }),
        contentType: "application/sdp",
      }),
      3000,
    );
    expect(res.kind === "final" && res.res.status).toBe(200);
    expect(res.kind === "final" ? header(res.res, "content-type") : "").toBe("application/sdp");
    expect(res.kind === "final" ? header(res.res, "contact") : "").toContain("+sip.src");
    expect(r.media.starts.at(-1)).toBe("1:inactive@127.0.0.1:6000 2:accepted@127.0.0.1:6002");
  });

  test("an offerless re-INVITE gets our current offer in the 200; the SRS's answer comes in the ACK and is applied", async () => {
    const r = await established(INACTIVE);
    let offered = "";
    const res = await r.run(
      r.srsDialog.request("INVITE", {
        answerInAck: (res) => {
          offered = text(res.body);
          return answerOffer(
            res,
            new Map([
              ["1", 8000],
              ["2", 8002],
            ]),
          );
        },
      }),
      3000,
    );
    expect(res.kind === "final" && res.res.status).toBe(200);
    expect(offered.match(/a=sendonly/g)?.length).toBe(2);
    expect(offered).toContain("RTP/AVP 0 8 101");
    await r.wait(200);
    expect(r.media.starts.at(-1)).toBe("1:accepted@127.0.0.1:8000 2:accepted@127.0.0.1:8002");
  });
});

describe("session timers (RFC 4028) never cut a refreshed recording", () => {
  test("the SRS refreshes (90 s, refresher=uas) by UPDATE every 30 s: two hours later still recording, no BYE from us", async () => {
    const r = await established(undefined, [
      { name: "Session-Expires", value: "90;refresher=uas" },
      { name: "Require", value: "timer" },
    ]);
    expect(headerList(r.invites[0] as SipRequest, "supported")).toContain("timer");
    let refreshes = 0;
    const refresh = async (): Promise<void> => {
      for (let t = 0; t < 7200_000; t += 30_000) {
        const res = await r.run(r.srsDialog.request("UPDATE", { headers: [{ name: "Session-Expires", value: "90;refresher=uac" }] }), 30_000);
        if (res.kind === "final" && res.res.status === 200 && header(res.res, "session-expires") === "90;refresher=uac") refreshes++;
        await r.wait(30_000);
      }
    };
    await refresh();
    expect(refreshes).toBe(240);
    expect(r.s.state).toBe("recording");
    expect(r.seen.filter((q) => q.method === "BYE")).toEqual([]);
    // The SRS stops refreshing (its own stack would refresh at 45 s): we end the session before it expires (§10: 90 - min(32, 30) = 60 s).
    r.srsDialog.startSessionTimer(undefined);
    await r.wait(29_000);
    expect(r.s.state).toBe("recording");
    await r.wait(2_000);
    expect(r.s.state).toBe("stopped");
    expect(r.s.report().reason).toContain("session-expired");
  });

  test("we refresh (refresher=uac in the 2xx): an UPDATE every 45 s for two hours, each carrying Session-Expires and Supported: timer", async () => {
    const r = await established(undefined, [
      { name: "Session-Expires", value: "90;refresher=uac" },
      { name: "Require", value: "timer" },
    ]);
    await r.wait(7200_000);
    const updates = r.seen.filter((q) => q.method === "UPDATE");
    expect(updates.length).toBe(160);
    expect(header(updates[0] as SipRequest, "session-expires")).toBe("90;refresher=uac");
    expect(headerList(updates[0] as SipRequest, "supported")).toContain("timer");
    expect(r.s.state).toBe("recording");
  });

  test("a 422 to our refresh is retried with the SRS's Min-SE", async () => {
    const r = await established(undefined, [{ name: "Session-Expires", value: "90;refresher=uac" }]);
    const got: string[] = [];
    r.srsDialog.onRequest = (req) => {
      const se = header(req.request, "session-expires") ?? "";
      got.push(se);
      if (se.startsWith("90;")) req.respond({ status: 422, headers: [{ name: "Min-SE", value: "600" }] });
      else req.respond({ status: 200, headers: [{ name: "Session-Expires", value: "600;refresher=uac" }] });
    };
    await r.wait(46_000);
    expect(got).toEqual(["90;refresher=uac", "600;refresher=uac"]);
    await r.wait(300_000);
    expect(got.length).toBe(3);
    expect(r.s.state).toBe("recording");
  });
});

describe("in-dialog requests from the SRS and stalls", () => {
  test("OPTIONS gets Allow/Accept/Supported; INFO with a body type we do not know gets 415; an unknown method 405", async () => {
    const r = await established();
    const o = await r.run(r.srsDialog.request("OPTIONS"), 2000);
    expect(o.kind === "final" && o.res.status).toBe(200);
    if (o.kind === "final") {
      expect(header(o.res, "allow")).toContain("UPDATE");
      expect(header(o.res, "accept")).toContain("application/rs-metadata+xml");
      expect(header(o.res, "supported")).toContain("timer");
    }
    const info = await r.run(r.srsDialog.request("INFO", { body: new TextEncoder().encode("Signal=1"), contentType: "application/dtmf-relay" }), 2000);
    expect(info.kind === "final" && info.res.status).toBe(415);
    const msg = await r.run(r.srsDialog.request("MESSAGE", { body: new TextEncoder().encode("hi"), contentType: "text/plain" }), 2000);
    expect(msg.kind === "final" && msg.res.status).toBe(405);
    expect(r.s.state).toBe("recording");
  });

  test("a pause re-INVITE that gets 100 Trying and nothing else: CANCEL at the deadline, the gate stays closed, BYE goes out on time", async () => {
    const r = await established();
    const methods: string[] = [];
    r.srsDialog.onRequest = (req) => methods.push(req.request.method); // never answered: the layer's 100 Trying only
    const paused = r.s.pause();
    expect(await r.run(paused, 40_000)).toBe(false);
    expect(r.media.log).toContain("gate closed");
    expect(r.media.log).not.toContain("gate open");
    expect(r.s.report().pauses[0]?.signalled).toBe(false);
    const t0 = r.clock.now();
    const rep = await r.run(r.s.stop(), 40_000);
    expect(rep.state).toBe("stopped");
    expect(r.clock.now() - t0).toBeLessThan(1000);
    expect(methods).toEqual(["INVITE"]);
  });
});

describe("SDES keys over a plain transport (RFC 4568 §8.3)", () => {
  const attempt = async (srtp: "offer" | "require", srtpOverPlain?: "warn" | "refuse") => {
    const r = rig();
    const offers: string[] = [];
    r.a.ua.onInvite = (inv) => {
      offers.push(new TextDecoder().decode(inv.request.body));
      r.answer(inv, (sdp) => sdp.replace(/RTP\/SAVP/g, "RTP/SAVP"));
    };
    const s = r.session({
      config: { ...CONFIG, srtp, ...(srtpOverPlain === undefined ? {} : { srtpOverPlain }) },
      servers: [{ name: "A", uri: "sip:srs@127.0.0.1:5070", peers: async () => [r.a.peer] }],
    });
    const rep = await r.run(s.start());
    return { rep, offers };
  };
  test("default: the keys go (over TCP) with a warning in the report", async () => {
    const { rep, offers } = await attempt("offer");
    expect(offers[0]).toContain("a=crypto:");
    expect(rep.warnings.join("\n")).toContain("SDES keys would go in clear over TCP to A (RFC 4568 §8.3");
  });
  test('srtp_over_plain = "refuse": with srtp = "offer" the INVITE offers RTP, without a key', async () => {
    const { rep, offers } = await attempt("offer", "refuse");
    expect(offers.length).toBe(1);
    expect(offers[0]).not.toContain("a=crypto");
    expect(offers[0]).toContain("RTP/AVP");
    expect(rep.state).toBe("recording");
  });
  test('srtp_over_plain = "refuse" with srtp = "require": no INVITE at all, the recording fails with the reason', async () => {
    const { rep, offers } = await attempt("require", "refuse");
    expect(offers).toEqual([]);
    expect(rep.state).toBe("failed");
    expect(rep.reason).toContain('srtp_over_plain = "refuse"');
  });
});
