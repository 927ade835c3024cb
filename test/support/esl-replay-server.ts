/**
 * A test ESL server that plays FreeSWITCH from the real captures: on each
 * connection it sends the fixture's frames byte for byte and waits for each
 * command where the transcript shows the client sent one. What the client
 * sent is recorded for assertions. A client's own bgapi Job-UUID replaces
 * the fixture's in everything sent afterwards (same length, so every
 * Content-Length stays right).
 */
import { type EslFixture, eslBytes, transcript } from "./esl-fixtures.ts";

export interface ReplayOptions {
  /** Fixture per connection: the n-th connection plays scripts[n] (the last one repeats). */
  readonly scripts: readonly EslFixture[];
  /** Multiplies the transcript's time gaps; 0 plays as fast as possible. */
  readonly timeScale?: number;
  /** Close connection n after sending this many frames (simulates a FreeSWITCH restart or network cut). */
  readonly cutAfterFrames?: Readonly<Record<number, number>>;
}

export interface ReplayServer {
  readonly port: number;
  /** Commands received, per connection, without their terminating empty line. */
  readonly received: string[][];
  connections(): number;
  stop(): void;
}

/** The fixture's frames as raw byte slices, cut by an independent reading of Content-Length. */
export function rawFrames(name: EslFixture): Uint8Array[] {
  const b = eslBytes(name);
  const text = Buffer.from(b).toString("latin1");
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < b.length) {
    const end = text.indexOf("\n\n", at);
    const m = /(?:^|\n)Content-Length: (\d+)/.exec(text.slice(at, end));
    const total = end + 2 + (m === null ? 0 : Number(m[1]));
    out.push(b.subarray(at, total));
    at = total;
  }
  return out;
}

interface Conn {
  readonly index: number;
  readonly frames: Uint8Array[];
  readonly steps: ReturnType<typeof transcript>;
  step: number;
  sentFrames: number;
  inbox: string;
  waiting: boolean;
  readonly swaps: [string, string][];
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The pause before the current frame has been waited. */
  paced: boolean;
  closed: boolean;
}

export function startReplayServer(opts: ReplayOptions): ReplayServer {
  const received: string[][] = [];
  let count = 0;
  const open = new Set<{ socket: { end(): void }; conn: Conn }>();
  const scale = opts.timeScale ?? 0;

  const run = (s: { write(b: Uint8Array): number; end(): void }, c: Conn): void => {
    c.timer = undefined;
    while (!c.closed && c.step < c.steps.length) {
      const step = c.steps[c.step]!;
      if (step.kind === "send") {
        const cut = c.inbox.indexOf("\n\n");
        if (cut < 0) {
          c.waiting = true;
          return;
        }
        c.waiting = false;
        const cmd = c.inbox.slice(0, cut);
        c.inbox = c.inbox.slice(cut + 2);
        received[c.index]!.push(cmd);
        const ours = /\nJob-UUID: ([0-9a-f-]{36})/.exec(cmd)?.[1];
        if (ours !== undefined) c.swaps.push(["", ours]); // the fixture's id is learnt from its reply
        c.step++;
        continue;
      }
      const prev = c.steps[c.step - 1];
      const gap = prev === undefined ? 0 : (step.t - prev.t) * 1000 * scale;
      if (gap > 1 && !c.paced) {
        c.paced = true;
        c.timer = setTimeout(() => run(s, c), gap);
        return;
      }
      c.paced = false;
      let frame = Buffer.from(c.frames[step.frame]!).toString("latin1");
      const pendingSwap = c.swaps.find(([from]) => from === "");
      const fixtureJob = /Reply-Text: \+OK Job-UUID: ([0-9a-f-]{36})/.exec(frame)?.[1];
      if (pendingSwap !== undefined && fixtureJob !== undefined) pendingSwap[0] = fixtureJob;
      for (const [from, to] of c.swaps) if (from !== "") frame = frame.replaceAll(from, to);
      s.write(Buffer.from(frame, "latin1"));
      c.sentFrames++;
      c.step++;
      if (opts.cutAfterFrames?.[c.index] === c.sentFrames) {
        c.closed = true;
        s.end();
        return;
      }
    }
    if (!c.closed && c.step >= c.steps.length) {
      c.closed = true;
      s.end();
    }
  };

  const server = Bun.listen<{ conn: Conn }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        const index = count++;
        const name = opts.scripts[Math.min(index, opts.scripts.length - 1)]!;
        received[index] = [];
        const conn: Conn = {
          index,
          frames: rawFrames(name),
          steps: transcript(name),
          step: 0,
          sentFrames: 0,
          inbox: "",
          waiting: false,
          swaps: [],
          timer: undefined,
          paced: false,
          closed: false,
        };
        s.data = { conn };
        open.add({ socket: s, conn });
        run(s, conn);
      },
      data(s, d) {
        const c = s.data.conn;
        c.inbox += Buffer.from(d).toString("latin1");
        if (c.waiting) run(s, c);
      },
      close(s) {
        s.data.conn.closed = true;
        if (s.data.conn.timer !== undefined) clearTimeout(s.data.conn.timer);
      },
    },
  });
  return {
    port: server.port,
    received,
    connections: () => count,
    stop: () => {
      for (const o of open) {
        o.conn.closed = true;
        if (o.conn.timer !== undefined) clearTimeout(o.conn.timer);
        o.socket.end();
      }
      server.stop(true);
    },
  };
}
