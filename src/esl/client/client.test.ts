import { describe, expect, test } from "bun:test";
import { EslClient } from "./client.ts";
import type { EslClientNotice, EslClientOptions } from "./types.ts";
import { Secret } from "../../lib/secret.ts";
import { silentLogger } from "../../lib/log.ts";
import { ManualClock } from "../../../test/support/manual-clock.ts";
import { FixedIds } from "../../../test/support/fixed-ids.ts";
import { MemoryEslConnector } from "../../../test/support/memory-esl.ts";
import { rawFrames } from "../../../test/support/esl-replay-server.ts";

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const AUTH_REQUEST = "Content-Type: auth/request\n\n";
const ACCEPTED = "Content-Type: command/reply\nReply-Text: +OK accepted\n\n";
const LISTENING = "Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n";

function setup(options: Partial<EslClientOptions> = {}) {
  const clock = new ManualClock();
  const connector = new MemoryEslConnector();
  const notices: EslClientNotice[] = [];
  const client = new EslClient(
    connector,
    clock,
    new FixedIds(),
    silentLogger,
    {
      password: new Secret("ClueCon", "inline"),
      format: "plain",
      events: ["CHANNEL_ANSWER", "BACKGROUND_JOB"],
      subclasses: ["siprec::start"],
      ...options,
    },
    (n) => notices.push(n),
  );
  /** Start and complete the handshake on the current connection. */
  const handshake = (): void => {
    connector.last.feed(AUTH_REQUEST);
    connector.last.feed(ACCEPTED);
    connector.last.feed(LISTENING);
  };
  return { clock, connector, notices, client, handshake };
}

describe("ESL client handshake", () => {
  test("answers auth/request with the password, subscribes with CUSTOM last, then is ready", () => {
    const { client, connector, notices } = setup({ filters: [["Event-Subclass", "siprec::start"]] });
    client.start();
    expect(client.state).toBe("connecting");
    connector.last.feed(AUTH_REQUEST);
    expect(connector.last.written).toEqual(["auth ClueCon\n\n"]);
    connector.last.feed(ACCEPTED);
    expect(connector.last.written[1]).toBe("event plain CHANNEL_ANSWER BACKGROUND_JOB CUSTOM siprec::start\n\n");
    connector.last.feed(LISTENING);
    expect(connector.last.written[2]).toBe("filter Event-Subclass siprec::start\n\n");
    expect(client.state).toBe("subscribing");
    connector.last.feed("Content-Type: command/reply\nReply-Text: +OK filter added. [Event-Subclass]=[siprec::start]\n\n");
    expect(client.state).toBe("ready");
    expect(notices).toEqual([{ type: "ready", connects: 1 }]);
  });

  test("the real esl-auth-fail bytes: a fatal ESL_AUTH_FAILED, and no retry however long we wait", () => {
    const { client, connector, clock, notices } = setup();
    client.start();
    for (const f of rawFrames("esl-auth-fail")) connector.last.feed(f);
    expect(client.state).toBe("failed");
    expect(notices).toEqual([{ type: "fatal", error: { code: "ESL_AUTH_FAILED", message: "FreeSWITCH rejected the ESL password (-ERR invalid)" } }]);
    connector.last.drop();
    clock.advance(10 * 60_000);
    expect(connector.links.length).toBe(1);
    expect(connector.last.closed).toBe(true);
  });

  test("an ACL rejection (text/rude-rejection) is fatal and names the cause", () => {
    const { client, connector, notices } = setup();
    client.start();
    connector.last.feed("Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n");
    expect(client.state).toBe("failed");
    expect(notices[0]).toMatchObject({ type: "fatal", error: { code: "ESL_ACCESS_DENIED" } });
  });

  test("no handshake within the deadline drops and retries", () => {
    const { client, connector, clock, notices } = setup({ handshakeTimeoutMs: 1000, backoff: { initialMs: 100, maxMs: 1000 } });
    client.start();
    clock.advance(1000);
    expect(notices[0]).toMatchObject({ type: "disconnected", reason: "no completed handshake within 1000 ms" });
    clock.advance(100);
    expect(connector.links.length).toBe(2);
  });
});

describe("ESL client commands", () => {
  test("the real esl-auth-ok bytes: api replies in FIFO order, exit on stop", async () => {
    const { client, connector } = setup({ events: ["CHANNEL_ANSWER"], subclasses: [] });
    client.start();
    const frames = rawFrames("esl-auth-ok");
    connector.last.feed(frames[0]!);
    connector.last.feed(frames[1]!);
    connector.last.feed(LISTENING);
    const status = client.api("status");
    const channels = client.api("show channels as json");
    connector.last.feed(new Uint8Array([...frames[2]!, ...frames[3]!]));
    const s = await status;
    const c = await channels;
    expect(s.ok && s.value).toContain("FreeSWITCH (Version 1.10.12-release  64bit) is ready");
    expect(c).toEqual({ ok: true, value: '{"row_count": 0}\n' });
    client.stop();
    expect(connector.last.written.at(-1)).toBe("exit\n\n");
    expect(connector.last.closed).toBe(true);
  });

  test("bgapi sends our Job-UUID and settles on the matching BACKGROUND_JOB only", async () => {
    const { client, connector, handshake } = setup();
    client.start();
    handshake();
    const job = client.bgapi("originate sofia/internal/tap@127.0.0.1:5090 &park()");
    const sent = connector.last.written.at(-1)!;
    const jobUuid = /Job-UUID: (\S+)/.exec(sent)![1]!;
    expect(jobUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The real reply and event of esl-tap-legs, carrying our id instead of the captured one.
    const [reply, event] = rawFrames("esl-tap-legs")
      .map(dec)
      .filter((f) => f.includes("51bba95d-94ca-471f-8741-569983096147"));
    const other = rawFrames("esl-tap-legs")
      .map(dec)
      .find((f) => f.includes("Job-UUID: 7f6d642a") && f.includes("BACKGROUND_JOB"))!;
    connector.last.feed(reply!.replaceAll("51bba95d-94ca-471f-8741-569983096147", jobUuid));
    connector.last.feed(other); // someone else's job: ignored for ours
    connector.last.feed(event!.replaceAll("51bba95d-94ca-471f-8741-569983096147", jobUuid));
    expect(await job).toEqual({ ok: true, value: { jobUuid, body: "+OK b0f47a72-dca6-4356-8086-42a6627bab99\n" } });
  });

  test("a bgapi FreeSWITCH refuses fails at once with its reply", async () => {
    const { client, connector, handshake } = setup();
    client.start();
    handshake();
    const job = client.bgapi("nosuchcommand");
    connector.last.feed("Content-Type: command/reply\nReply-Text: -ERR no such command\n\n");
    expect(await job).toEqual({ ok: false, error: { code: "ESL_COMMAND_FAILED", message: "-ERR no such command" } });
  });

  test("a reply that never comes: ESL_TIMEOUT, every waiting command fails, the connection is replaced", async () => {
    const { client, connector, clock, handshake, notices } = setup({ commandTimeoutMs: 2000, backoff: { initialMs: 100, maxMs: 1000 } });
    client.start();
    handshake();
    const first = client.api("status");
    clock.advance(1000);
    const second = client.api("status");
    clock.advance(1000);
    expect(await first).toMatchObject({ ok: false, error: { code: "ESL_TIMEOUT" } });
    expect(await second).toMatchObject({ ok: false, error: { code: "ESL_DISCONNECTED" } });
    expect(connector.links[0]!.closed).toBe(true);
    expect(notices.at(-1)).toMatchObject({ type: "disconnected" });
    expect(await client.api("status")).toMatchObject({ ok: false, error: { code: "ESL_NOT_CONNECTED" } });
    clock.advance(100);
    handshake();
    expect(client.state).toBe("ready");
    expect(client.stats).toMatchObject({ connects: 2, reconnects: 1 });
  });

  test("a bgapi FreeSWITCH accepted survives a reconnect: its BACKGROUND_JOB may arrive on the new connection", async () => {
    const { client, connector, clock, handshake } = setup({ backoff: { initialMs: 100, maxMs: 1000 } });
    client.start();
    handshake();
    const job = client.bgapi("uuid_getvar x y");
    const jobUuid = /Job-UUID: (\S+)/.exec(connector.last.written.at(-1)!)![1]!;
    connector.last.feed(`Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${jobUuid}\nJob-UUID: ${jobUuid}\n\n`);
    await Promise.resolve();
    connector.last.drop("network cut");
    clock.advance(100);
    handshake();
    const body = "lab-x";
    const event = `Event-Name: BACKGROUND_JOB\nJob-UUID: ${jobUuid}\nContent-Length: ${body.length}\n\n${body}`;
    connector.last.feed(`Content-Length: ${event.length}\nContent-Type: text/event-plain\n\n${event}`);
    expect(await job).toEqual({ ok: true, value: { jobUuid, body } });
  });

  test("commands are refused while not ready, past maxPending + maxQueued, and when they would inject a line", async () => {
    const { client, handshake } = setup({ maxPending: 2, maxQueued: 1 });
    expect(await client.api("status")).toMatchObject({ ok: false, error: { code: "ESL_NOT_CONNECTED" } });
    client.start();
    handshake();
    expect(await client.command({ kind: "api", command: "status\n\nexit" })).toMatchObject({ ok: false, error: { code: "ESL_BAD_COMMAND" } });
    void client.api("status");
    void client.api("status");
    void client.api("status"); // waits, unsent
    expect(await client.api("status")).toMatchObject({ ok: false, error: { code: "ESL_TOO_MANY_PENDING" } });
  });

  test("past maxPending, commands wait unsent and go out in order as replies come; a lost connection fails them", async () => {
    const { client, handshake, connector } = setup({ maxPending: 2 });
    client.start();
    handshake();
    const written = (): string[] => connector.last.written.filter((w) => w.startsWith("api "));
    const replies = [1, 2, 3, 4].map((i) => client.api(`echo ${i}`));
    expect(written().map((w) => w.trim())).toEqual(["api echo 1", "api echo 2"]);
    const reply = (body: string): void => connector.last.feed(`Content-Type: api/response\nContent-Length: ${body.length}\n\n${body}`);
    reply("one");
    expect(written().map((w) => w.trim())).toEqual(["api echo 1", "api echo 2", "api echo 3"]);
    reply("two");
    reply("three");
    reply("four");
    expect((await Promise.all(replies)).map((r) => (r.ok ? r.value : r.error.code))).toEqual(["one", "two", "three", "four"]);
    const late = [client.api("echo 5"), client.api("echo 6"), client.api("echo 7")];
    connector.last.drop();
    for (const r of await Promise.all(late)) expect(r.ok).toBe(false);
  });
});

describe("ESL client on bad input and reconnects", () => {
  test("back-off doubles from the initial step to the cap (80–100 % jitter) and resets once ready", () => {
    const { client, connector, clock, notices, handshake } = setup({ backoff: { initialMs: 250, maxMs: 2000 } });
    client.start();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      connector.last.drop("connection refused");
      const n = notices.at(-1) as { retryInMs: number };
      waits.push(n.retryInMs);
      clock.advance(n.retryInMs);
    }
    const steps = [250, 500, 1000, 2000, 2000, 2000];
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(steps[i]! * 0.8);
      expect(w).toBeLessThanOrEqual(steps[i]!);
    });
    handshake();
    connector.last.drop();
    expect((notices.at(-1) as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(250);
  });

  test("a malformed event is reported and skipped; the stream goes on", () => {
    const { client, connector, notices, handshake } = setup();
    client.start();
    handshake();
    const bad = "Content-Length: 9\nContent-Type: text/event-json\n\n{not json";
    const good = '{"Event-Name":"CHANNEL_ANSWER","Unique-ID":"u1"}';
    connector.last.feed(`${bad}Content-Length: ${good.length}\nContent-Type: text/event-json\n\n${good}`);
    expect(notices.slice(1).map((n) => n.type)).toEqual(["protocol-error", "event"]);
    expect(client.state).toBe("ready");
  });

  test("a reply with no command waiting is reported; one of the wrong type drops the connection", async () => {
    const { client, connector, notices, handshake } = setup();
    client.start();
    handshake();
    connector.last.feed("Content-Type: command/reply\nReply-Text: +OK\n\n");
    expect(notices.at(-1)).toMatchObject({ type: "protocol-error", code: "ESL_UNEXPECTED_REPLY" });
    const r = client.api("status");
    connector.last.feed("Content-Type: command/reply\nReply-Text: +OK\n\n");
    expect(await r).toMatchObject({ ok: false });
    expect(client.state).toBe("backoff");
  });

  test("an unreadable stream (bad Content-Length) drops and reconnects; unknown frame types are ignored", () => {
    const { client, connector, notices, handshake } = setup();
    client.start();
    handshake();
    connector.last.feed("Content-Type: log/data\nContent-Length: 3\n\nabc");
    expect(client.stats.ignoredFrames).toBe(1);
    connector.last.feed("Content-Type: api/response\nContent-Length: -5\n\n");
    expect(notices.slice(-2).map((n) => n.type)).toEqual(["protocol-error", "disconnected"]);
  });

  test("the disconnect notice and close after it lead to a reconnect, not a failure", () => {
    const { client, connector, clock, handshake } = setup({ backoff: { initialMs: 50, maxMs: 50 } });
    client.start();
    handshake();
    const frames = rawFrames("esl-auth-ok");
    connector.last.feed(frames[5]!);
    connector.last.drop();
    expect(client.state).toBe("backoff");
    clock.advance(50);
    expect(connector.links.length).toBe(2);
  });
});
