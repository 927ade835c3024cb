/**
 * The test's own Event Socket connection to a real FreeSWITCH, written
 * apart from src/esl so that a bug in the daemon's client cannot hide in
 * the harness that judges it: `api` one at a time, and the events the
 * scenarios look at (CUSTOM siprec::*, channel life cycle, media bugs)
 * kept in order with their headers.
 */
import type { Socket } from "bun";

export type EslEvent = ReadonlyMap<string, string>;

interface Frame {
  readonly headers: Map<string, string>;
  readonly body: string;
}

function decode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function headerBlock(text: string): Map<string, string> {
  const h = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(": ");
    if (i > 0) h.set(line.slice(0, i), decode(line.slice(i + 2)));
  }
  return h;
}

export class EslProbe {
  readonly events: EslEvent[] = [];
  /** BACKGROUND_JOB results by Job-UUID. */
  readonly #jobs = new Map<string, (body: string) => void>();
  #buf = "";
  #waiters: ((f: Frame) => void)[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly socket: Socket<undefined>) {}

  static async connect(
    port: number,
    password: string,
    events = "CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD MEDIA_BUG_START MEDIA_BUG_STOP DTMF BACKGROUND_JOB CUSTOM siprec::start siprec::started siprec::failed siprec::paused siprec::resumed siprec::stopped siprec::gap",
  ): Promise<EslProbe> {
    let probe: EslProbe | undefined;
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { data: (_s, d) => probe?.push(new TextDecoder().decode(d)), error: () => {}, close: () => {} },
    });
    probe = new EslProbe(socket);
    await probe.#next();
    const auth = await probe.#command(`auth ${password}`);
    if (!auth.headers.get("Reply-Text")?.startsWith("+OK")) throw new Error(`ESL auth refused: ${auth.headers.get("Reply-Text")}`);
    await probe.#command(`event plain ${events}`);
    return probe;
  }

  private push(text: string): void {
    this.#buf += text;
    for (;;) {
      const end = this.#buf.indexOf("\n\n");
      if (end < 0) return;
      const headers = headerBlock(this.#buf.slice(0, end));
      const len = Number(headers.get("Content-Length") ?? 0);
      if (this.#buf.length < end + 2 + len) return;
      const body = this.#buf.slice(end + 2, end + 2 + len);
      this.#buf = this.#buf.slice(end + 2 + len);
      if (headers.get("Content-Type") === "text/event-plain") {
        const split = body.indexOf("\n\n");
        const h = headerBlock(split < 0 ? body : body.slice(0, split));
        this.events.push(h);
        const job = h.get("Event-Name") === "BACKGROUND_JOB" ? this.#jobs.get(h.get("Job-UUID") ?? "") : undefined;
        job?.(split < 0 ? "" : body.slice(split + 2));
      } else this.#waiters.shift()?.({ headers, body });
    }
  }

  #next(): Promise<Frame> {
    return new Promise((r) => this.#waiters.push(r));
  }

  #command(line: string): Promise<Frame> {
    const reply = this.#next();
    this.socket.write(`${line}\n\n`);
    return reply;
  }

  /** `api CMD`, queued behind the previous one; the body FreeSWITCH answers. */
  api(cmd: string): Promise<string> {
    const run = this.#queue.then(async () => (await this.#command(`api ${cmd}`)).body);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** `bgapi CMD`: FreeSWITCH answers at once; the promise is the job's result, whenever FreeSWITCH's job ends. */
  async bgapi(cmd: string): Promise<string> {
    const jobUuid = crypto.randomUUID();
    const result = new Promise<string>((r) => this.#jobs.set(jobUuid, r));
    const run = this.#queue.then(() => this.#command(`bgapi ${cmd}\nJob-UUID: ${jobUuid}`));
    this.#queue = run.catch(() => undefined);
    const reply = await run;
    if (!reply.headers.get("Reply-Text")?.startsWith("+OK")) throw new Error(`bgapi ${cmd}: ${reply.headers.get("Reply-Text")}`);
    return result;
  }

  /** Events of a CUSTOM subclass (e.g. siprec::started), optionally for one call. */
  custom(subclass: string, callUuid?: string): EslEvent[] {
    return this.events.filter((e) => e.get("Event-Subclass") === subclass && (callUuid === undefined || e.get("SIPREC-Target-UUID") === callUuid));
  }

  named(name: string, uuid?: string): EslEvent[] {
    return this.events.filter((e) => e.get("Event-Name") === name && (uuid === undefined || e.get("Unique-ID") === uuid));
  }

  close(): void {
    this.socket.end();
  }
}
