/**
 * The ESL client over real TCP on 127.0.0.1 against the replay server, which
 * plays FreeSWITCH from the captured bytes.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { EslClient } from "./client/client.ts";
import type { EslClientNotice, EslClientOptions } from "./client/types.ts";
import { tcpEslConnector } from "./tcp-connection.ts";
import { eventKey, type EslEvent } from "./event.ts";
import { Secret } from "../lib/secret.ts";
import { silentLogger } from "../lib/log.ts";
import { systemClock } from "../platform/system-clock.ts";
import { cryptoIds } from "../platform/crypto-ids.ts";
import { type ReplayServer, startReplayServer } from "../../test/support/esl-replay-server.ts";
import { sentCommands } from "../../test/support/esl-fixtures.ts";

const A_PLAIN = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";
const A_JSON = "51de1bd1-b331-4179-98c2-a3a8cabd93be";
const CALL_SUBSCRIPTION: Pick<EslClientOptions, "events" | "subclasses"> = {
  events: [
    "CHANNEL_CREATE",
    "CHANNEL_ANSWER",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_HOLD",
    "CHANNEL_UNHOLD",
    "CHANNEL_HANGUP_COMPLETE",
    "DTMF",
    "BACKGROUND_JOB",
  ],
  subclasses: ["siprec::start", "siprec::pause", "siprec::resume", "siprec::stop"],
};

let server: ReplayServer | undefined;
let client: EslClient | undefined;
afterEach(() => {
  client?.stop();
  server?.stop();
  client = server = undefined;
});

function connect(port: number, password: string, options: Partial<EslClientOptions> = {}) {
  const notices: EslClientNotice[] = [];
  const waiters: { pred: (n: EslClientNotice) => boolean; resolve: (n: EslClientNotice) => void }[] = [];
  const c = new EslClient(
    tcpEslConnector({ host: "127.0.0.1", port }),
    systemClock,
    cryptoIds,
    silentLogger,
    {
      password: new Secret(password, "inline"),
      format: "plain",
      ...CALL_SUBSCRIPTION,
      backoff: { initialMs: 20, maxMs: 100 },
      ...options,
    },
    (n) => {
      notices.push(n);
      for (const w of waiters.splice(0)) w.pred(n) ? w.resolve(n) : waiters.push(w);
    },
  );
  const until = (pred: (n: EslClientNotice) => boolean, ms = 5000): Promise<EslClientNotice> => {
    const seen = notices.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; notices: ${notices.map((n) => n.type).join(",")}`)), ms);
      waiters.push({ pred, resolve: (n) => (clearTimeout(t), resolve(n)) });
    });
  };
  client = c;
  c.start();
  return { client: c, notices, until, events: (): EslEvent[] => notices.flatMap((n) => (n.type === "event" ? [n.event] : [])) };
}

describe("ESL client over TCP against the replayed FreeSWITCH", () => {
  for (const [fixture, format, A] of [
    ["esl-call-plain", "plain", A_PLAIN],
    ["esl-call-json", "json", A_JSON],
  ] as const)
    test(`${fixture} end to end: the client's commands equal the capture's, 18 events arrive in order, the bgapi job resolves`, async () => {
      server = startReplayServer({ scripts: [fixture] });
      const { client: c, until, events } = connect(server.port, "ClueCon", { format });
      await until((n) => n.type === "ready");
      const pause = (via: string, uuid?: string): [string, string][] => [
        ["Event-Subclass", "siprec::pause"],
        ...(uuid === undefined ? [] : [["Unique-ID", uuid] as [string, string]]),
        ["SIPREC-Action", "pause"],
        ["SIPREC-Target-UUID", A],
        ["SIPREC-Via", via],
      ];
      const r1 = await c.command({ kind: "sendevent", name: "CUSTOM", headers: pause("sendevent-with-unique-id", A) });
      const r2 = await c.command({ kind: "sendevent", name: "CUSTOM", headers: pause("sendevent") });
      const r3 = await c.command({
        kind: "sendevent",
        name: "CUSTOM",
        headers: [
          ["Event-Subclass", "siprec::resume"],
          ["SIPREC-Action", "resume"],
          ["SIPREC-Target-UUID", A],
          ["SIPREC-Via", "sendevent"],
        ],
      });
      expect([r1, r2, r3].every((r) => r.ok)).toBe(true);
      const job = await c.bgapi(`uuid_getvar ${A} siprec_session_id`);
      expect(job.ok && job.value.body).toBe(`lab-${A}`);
      const broadcast = (what: string): string =>
        `uuid_broadcast ${A} event::Event-Name=CUSTOM,Event-Subclass=siprec::${what},SIPREC-Action=${what},SIPREC-Target-UUID=${A},SIPREC-Via=uuid_broadcast aleg`;
      expect(await c.api(broadcast("pause"))).toEqual({ ok: true, value: "+OK Message sent\n" });
      expect(await c.api(broadcast("resume"))).toEqual({ ok: true, value: "+OK Message sent\n" });
      await until((n) => n.type === "event" && n.event.name === "CHANNEL_HANGUP_COMPLETE" && n.event.headers.get("Unique-ID") === A);
      expect(events().map(eventKey)).toHaveLength(18);
      expect(events()[2]!.headers.get("variable_siprec_session_id")).toBe(`lab-${A}`);
      c.stop();
      await Bun.sleep(50);
      // What the client sent is what the capture's client sent, but for the Job-UUID we add to bgapi.
      const ours = server.received[0]!.map((cmd) => cmd.replace(/\nJob-UUID: [0-9a-f-]{36}$/, ""));
      expect(ours).toEqual(sentCommands(fixture));
    });

  test("esl-auth-fail over TCP: one connection, a fatal error naming the rejection, no retry loop", async () => {
    server = startReplayServer({ scripts: ["esl-auth-fail"] });
    const { until, notices } = connect(server.port, "NotClueCon");
    const fatal = await until((n) => n.type === "fatal");
    expect(fatal).toMatchObject({ error: { code: "ESL_AUTH_FAILED" } });
    await Bun.sleep(300);
    expect(server.connections()).toBe(1);
    expect(server.received[0]).toEqual(["auth NotClueCon"]);
    expect(notices.filter((n) => n.type === "disconnected")).toEqual([]);
  });

  test("the connection cut mid-call: reconnect, re-authenticate, re-subscribe, and events flow again", async () => {
    server = startReplayServer({ scripts: ["esl-call-plain", "esl-call-plain"], cutAfterFrames: { 0: 8 } });
    const { until, notices } = connect(server.port, "ClueCon");
    await until((n) => n.type === "ready" && n.connects === 2);
    expect(notices.filter((n) => n.type === "disconnected")).toHaveLength(1);
    await until((n) => n.type === "event" && n.event.name === "CHANNEL_BRIDGE");
    expect(server.received[1]!.slice(0, 2)).toEqual(sentCommands("esl-call-plain").slice(0, 2));
    expect(client!.stats).toMatchObject({ connects: 2, reconnects: 1 });
  });

  test("nothing listening: retries with growing waits, never throws", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const { until, notices } = connect(port, "ClueCon", { backoff: { initialMs: 10, maxMs: 40 } });
    await until(() => notices.filter((n) => n.type === "disconnected").length >= 4);
    const waits = notices.flatMap((n) => (n.type === "disconnected" ? [n.retryInMs!] : []));
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(40);
    expect(notices.find((n) => n.type === "disconnected")).toMatchObject({ reason: expect.stringContaining("cannot connect to 127.0.0.1") });
  });
});
