/**
 * The ESL client engine (inbound mode): connect, answer auth/request,
 * subscribe, then a FIFO of commands whose replies arrive in order
 * (command/reply, or api/response for `api`), bgapi jobs correlated by the
 * Job-UUID we choose and send, events handed to the owner, and reconnects
 * with capped exponential back-off that re-authenticate and re-subscribe.
 *
 * A wrong password or an ACL rejection is fatal (a retry loop would only
 * hammer FreeSWITCH). A reply that does not come within the command timeout
 * means the FIFO can no longer be trusted, so the connection is dropped and
 * re-established rather than risking a late reply being paired with the
 * next command.
 */
import { backoffMs } from "../../lib/backoff.ts";
import type { Clock, TimerId } from "../../lib/clock.ts";
import { type IdSource, uuidV4 } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import { type Result, err, ok } from "../../lib/result.ts";
import { type EslCommand, replyTypeOf, serializeCommand } from "../command.ts";
import { parseEventFrame } from "../event.ts";
import { type EslFrame, EslFramer, bodyText, headerValue } from "../frame.ts";
import {
  ESL_DEFAULTS,
  type EslClientError,
  type EslClientNotice,
  type EslClientOptions,
  type EslClientState,
  type EslClientStats,
  type EslConnector,
  type EslSocket,
} from "./types.ts";

interface Pending {
  readonly expects: "api/response" | "command/reply";
  readonly settle: (r: Result<EslFrame, EslClientError>) => void;
  timer: TimerId | undefined;
}

interface Job {
  readonly settle: (r: Result<string, EslClientError>) => void;
  readonly timer: TimerId;
  accepted: boolean;
}

export interface BgapiResult {
  readonly jobUuid: string;
  /** The BACKGROUND_JOB body: the command's output ("+OK <uuid>\n", "-ERR CAUSE\n", ...). */
  readonly body: string;
}

export class EslClient {
  #state: EslClientState = "idle";
  #socket: EslSocket | undefined;
  #framer = new EslFramer();
  #generation = 0;
  #pending: Pending[] = [];
  /** Commands not sent yet: more than maxPending wait for replies. */
  #queued: { readonly cmd: EslCommand; readonly resolve: (r: Result<EslFrame, EslClientError>) => void }[] = [];
  #jobs = new Map<string, Job>();
  #attempt = 0;
  #timer: TimerId | undefined;
  #everReady = false;
  #stats = { connects: 0, reconnects: 0, events: 0, commands: 0, protocolErrors: 0, ignoredFrames: 0 };
  readonly #o: Required<EslClientOptions>;

  constructor(
    private readonly connector: EslConnector,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly log: Logger,
    options: EslClientOptions,
    private readonly notify: (n: EslClientNotice) => void,
  ) {
    this.#o = { filters: [], ...ESL_DEFAULTS, ...options } as Required<EslClientOptions>;
  }

  get state(): EslClientState {
    return this.#state;
  }

  get stats(): EslClientStats {
    return { ...this.#stats };
  }

  start(): void {
    if (this.#state !== "idle") return;
    this.#connect();
  }

  /** No reconnects from now on; says `exit` when connected, fails what is waiting. */
  stop(): void {
    if (this.#state === "stopped") return;
    const wasReady = this.#state === "ready";
    this.#state = "stopped";
    this.#clearTimer();
    if (wasReady) this.#write({ kind: "exit" });
    this.#closeSocket();
    this.#failAll({ code: "ESL_DISCONNECTED", message: "ESL client stopped" }, true);
  }

  /** `api CMD`: the api/response body (FreeSWITCH reports a command's own failure inside it, "-ERR ..."). */
  async api(command: string): Promise<Result<string, EslClientError>> {
    const r = await this.command({ kind: "api", command });
    return r.ok ? ok(bodyText(r.value)) : r;
  }

  /** `bgapi CMD` with our own Job-UUID; settles when its BACKGROUND_JOB arrives. */
  bgapi(command: string): Promise<Result<BgapiResult, EslClientError>> {
    const jobUuid = uuidV4(this.ids);
    return new Promise((resolve) => {
      const job: Job = {
        accepted: false,
        settle: (r) => {
          this.clock.clearTimer(job.timer);
          this.#jobs.delete(jobUuid);
          resolve(r.ok ? ok({ jobUuid, body: r.value }) : r);
        },
        timer: this.clock.setTimer(this.#o.jobTimeoutMs, () =>
          job.settle(err({ code: "ESL_JOB_TIMEOUT", message: `no BACKGROUND_JOB for ${jobUuid} within ${this.#o.jobTimeoutMs} ms` })),
        ),
      };
      this.#jobs.set(jobUuid, job);
      void this.command({ kind: "bgapi", command, jobUuid }).then((r) => {
        if (!r.ok) job.settle(r);
        else job.accepted = true;
      });
    });
  }

  /** Any command; resolves with its reply frame, or an error (a `-ERR` command/reply is ESL_COMMAND_FAILED). */
  command(cmd: EslCommand): Promise<Result<EslFrame, EslClientError>> {
    if (this.#state !== "ready") return Promise.resolve(err({ code: "ESL_NOT_CONNECTED", message: `ESL is ${this.#state}` }));
    if (this.#pending.length >= this.#o.maxPending || this.#queued.length > 0) {
      if (this.#queued.length >= this.#o.maxQueued) {
        return Promise.resolve(
          err({ code: "ESL_TOO_MANY_PENDING", message: `${this.#pending.length} commands wait for replies and ${this.#queued.length} to be sent` }),
        );
      }
      // Sent, in order, as replies free places (#pump).
      return new Promise((resolve) => this.#queued.push({ cmd, resolve }));
    }
    return new Promise((resolve) => {
      const sent = this.#send(cmd, (r) => resolve(r), true);
      if (!sent.ok) resolve(sent);
    });
  }

  /** Sends queued commands while fewer than maxPending wait for replies. */
  #pump(): void {
    while (this.#state === "ready" && this.#pending.length < this.#o.maxPending) {
      const next = this.#queued.shift();
      if (next === undefined) return;
      const sent = this.#send(next.cmd, (r) => next.resolve(r), true);
      if (!sent.ok) next.resolve(sent);
    }
  }

  #send(cmd: EslCommand, settle: (r: Result<EslFrame, EslClientError>) => void, timed: boolean): Result<true, EslClientError> {
    const bytes = serializeCommand(cmd);
    if (!bytes.ok) return err({ code: "ESL_BAD_COMMAND", message: bytes.error.message });
    const p: Pending = { expects: replyTypeOf(cmd), timer: undefined, settle };
    if (timed) {
      p.timer = this.clock.setTimer(this.#o.commandTimeoutMs, () => {
        p.timer = undefined;
        this.#pending = this.#pending.filter((x) => x !== p);
        settle(err({ code: "ESL_TIMEOUT", message: `no reply to ${cmd.kind} within ${this.#o.commandTimeoutMs} ms` }));
        this.#drop(`${cmd.kind} reply timed out; the reply order can no longer be trusted`);
      });
    }
    this.#pending.push(p);
    this.#stats.commands++;
    this.#socket?.write(bytes.value);
    return ok(true);
  }

  #write(cmd: EslCommand): void {
    const bytes = serializeCommand(cmd);
    if (bytes.ok) this.#socket?.write(bytes.value);
  }

  #connect(): void {
    const generation = ++this.#generation;
    this.#state = "connecting";
    this.#framer = new EslFramer();
    if (this.#everReady) this.#stats.reconnects++;
    this.#timer = this.clock.setTimer(this.#o.handshakeTimeoutMs, () => {
      this.#timer = undefined;
      this.#drop(`no completed handshake within ${this.#o.handshakeTimeoutMs} ms`);
    });
    this.#socket = this.connector.connect({
      data: (chunk) => {
        if (generation === this.#generation) this.#onData(chunk);
      },
      close: (reason) => {
        if (generation === this.#generation) this.#drop(reason);
      },
    });
  }

  #onData(chunk: Uint8Array): void {
    const r = this.#framer.push(chunk);
    if (!r.ok) {
      this.#protocolError(r.error.code, r.error.message);
      this.#drop(`unreadable ESL stream: ${r.error.message}`);
      return;
    }
    const generation = this.#generation;
    for (const frame of r.value) {
      if (generation !== this.#generation) return; // a frame closed the connection
      this.#onFrame(frame);
    }
  }

  #onFrame(frame: EslFrame): void {
    switch (frame.contentType) {
      case "auth/request":
        return this.#authenticate();
      case "command/reply":
      case "api/response":
        return this.#onReply(frame);
      case "text/event-plain":
      case "text/event-json":
        return this.#onEvent(frame);
      case "text/disconnect-notice":
        this.log.info("ESL disconnect notice", { body: bodyText(frame).split("\n")[0] });
        return;
      case "text/rude-rejection":
        return this.#fatal({ code: "ESL_ACCESS_DENIED", message: `FreeSWITCH refused the connection (event_socket ACL): ${bodyText(frame).trim()}` });
      default:
        this.#stats.ignoredFrames++;
        this.log.debug("ESL frame ignored", { contentType: frame.contentType });
    }
  }

  #authenticate(): void {
    if (this.#state !== "connecting") return this.#protocolError("ESL_UNEXPECTED_AUTH", "auth/request outside the handshake");
    this.#state = "authenticating";
    this.#send(
      { kind: "auth", password: this.#o.password.reveal() },
      (r) => {
        if (!r.ok) return;
        const reply = headerValue(r.value.headers, "Reply-Text") ?? "";
        if (!reply.startsWith("+OK"))
          return this.#fatal({ code: "ESL_AUTH_FAILED", message: `FreeSWITCH rejected the ESL password (${reply || "no Reply-Text"})` });
        this.#subscribe();
      },
      false,
    );
  }

  #subscribe(): void {
    this.#state = "subscribing";
    const steps: EslCommand[] = [
      { kind: "event", format: this.#o.format, events: this.#o.events, subclasses: this.#o.subclasses },
      ...this.#o.filters.map(([header, value]): EslCommand => ({ kind: "filter", header, value })),
    ];
    const next = (i: number): void => {
      const cmd = steps[i];
      if (cmd === undefined) return this.#ready();
      const sent = this.#send(
        cmd,
        (r) => {
          if (!r.ok) return;
          const reply = headerValue(r.value.headers, "Reply-Text") ?? "";
          if (!reply.startsWith("+OK")) return this.#fatal({ code: "ESL_COMMAND_FAILED", message: `${cmd.kind} refused by FreeSWITCH: ${reply}` });
          next(i + 1);
        },
        false,
      );
      if (!sent.ok) this.#fatal(sent.error);
    };
    next(0);
  }

  #ready(): void {
    this.#clearTimer();
    this.#state = "ready";
    this.#attempt = 0;
    this.#everReady = true;
    this.#stats.connects++;
    this.notify({ type: "ready", connects: this.#stats.connects });
  }

  #onReply(frame: EslFrame): void {
    this.#settleReply(frame);
    this.#pump();
  }

  #settleReply(frame: EslFrame): void {
    const p = this.#pending.shift();
    if (p === undefined) return this.#protocolError("ESL_UNEXPECTED_REPLY", `${frame.contentType} with no command waiting`);
    if (p.timer !== undefined) this.clock.clearTimer(p.timer);
    if (p.expects !== frame.contentType) {
      p.settle(err({ code: "ESL_DISCONNECTED", message: `expected ${p.expects}, got ${frame.contentType}` }));
      return this.#drop(`reply order lost (expected ${p.expects}, got ${frame.contentType})`);
    }
    const reply = headerValue(frame.headers, "Reply-Text");
    if (frame.contentType === "command/reply" && reply?.startsWith("-ERR") === true && this.#state === "ready") {
      return p.settle(err({ code: "ESL_COMMAND_FAILED", message: reply }));
    }
    p.settle(ok(frame));
  }

  #onEvent(frame: EslFrame): void {
    const parsed = parseEventFrame(frame);
    if (!parsed.ok) return this.#protocolError(parsed.error.code, parsed.error.message);
    const event = parsed.value;
    this.#stats.events++;
    if (event.name === "BACKGROUND_JOB") {
      const job = this.#jobs.get(event.headers.get("Job-UUID") ?? "");
      job?.settle(ok(event.body ?? ""));
    }
    this.notify({ type: "event", event });
  }

  #protocolError(code: string, message: string): void {
    this.#stats.protocolErrors++;
    this.log.warn("ESL protocol error", { code, message });
    this.notify({ type: "protocol-error", code, message });
  }

  #fatal(error: EslClientError): void {
    this.log.error("ESL fatal error", { code: error.code, message: error.message });
    this.#state = "failed";
    this.#generation++;
    this.#clearTimer();
    this.#closeSocket();
    this.#failAll(error, true);
    this.notify({ type: "fatal", error });
  }

  /** The connection is gone or unusable: fail waiting commands, retry after a back-off. */
  #drop(reason: string): void {
    if (this.#state === "stopped" || this.#state === "failed" || this.#state === "backoff") return;
    this.#generation++;
    this.#clearTimer();
    this.#closeSocket();
    this.#failAll({ code: "ESL_DISCONNECTED", message: `ESL connection lost: ${reason}` }, false);
    // 80–100 % of the step, so several clients do not reconnect in lock-step.
    const delay = backoffMs(this.#o.backoff, this.#attempt, this.ids.uint32() / 0xffffffff);
    this.#attempt++;
    this.#state = "backoff";
    this.log.warn("ESL disconnected", { reason, retryInMs: delay, attempt: this.#attempt });
    this.notify({ type: "disconnected", reason, retryInMs: delay });
    this.#timer = this.clock.setTimer(delay, () => {
      this.#timer = undefined;
      this.#connect();
    });
  }

  #failAll(error: EslClientError, includeAcceptedJobs: boolean): void {
    const pending = this.#pending;
    this.#pending = [];
    const queued = this.#queued;
    this.#queued = [];
    for (const q of queued) q.resolve(err(error));
    for (const p of pending) {
      if (p.timer !== undefined) this.clock.clearTimer(p.timer);
      p.settle(err(error));
    }
    // A job FreeSWITCH accepted still runs there, and its BACKGROUND_JOB reaches the next connection.
    for (const job of [...this.#jobs.values()]) if (includeAcceptedJobs || !job.accepted) job.settle(err(error));
  }

  #closeSocket(): void {
    const s = this.#socket;
    this.#socket = undefined;
    s?.close();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
