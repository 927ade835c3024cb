/**
 * The control API (HTTP, 127.0.0.1 by default): health, Prometheus metrics,
 * the running recordings, start/pause/resume/stop, and where the memory is
 * (GET /debug/memory, memory-report.ts). A bearer token from
 * the config guards every route when set (required off loopback). Bodies
 * are bounded; every refusal is JSON with a code and a message.
 */
import type { Registry } from "prom-client";
import { timingSafeEqualText } from "../lib/secret.ts";
import type { Daemon, DaemonStatus } from "./app.ts";
import { memoryReport } from "./memory-report.ts";

/** GET /healthz's body (`siprec status` reads it). */
export interface HealthBody {
  readonly status: "ok" | "degraded";
  readonly esl: DaemonStatus["esl"];
  readonly srs: DaemonStatus["srs"];
  readonly recordings: number;
}

/** GET /recordings's body. */
export interface RecordingsBody {
  readonly recordings: DaemonStatus["recordings"];
}

export interface ControlOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly metrics: Registry;
}

const MAX_BODY = 64 * 1024;
const json = (status: number, body: unknown): Response =>
  new Response(`${JSON.stringify(body)}\n`, { status, headers: { "content-type": "application/json" } });
const problem = (status: number, code: string, message: string): Response => json(status, { error: { code, message } });

export function startControl(daemon: Daemon, o: ControlOptions): { port: number; stop(): void } {
  const server = Bun.serve({
    hostname: o.host,
    port: o.port,
    // A chunked body has no Content-Length to check first: Bun refuses it past this (413).
    maxRequestBodySize: MAX_BODY,
    fetch: async (req) => {
      if (o.token !== undefined) {
        const given = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
        if (given === "" || o.token === "" || !timingSafeEqualText(given, o.token)) return problem(401, "UNAUTHORIZED", "a valid bearer token is required");
      }
      try {
        return await route(daemon, o, req);
      } catch (e) {
        return problem(500, "INTERNAL", e instanceof Error ? e.message : String(e));
      }
    },
  });
  return { port: server.port ?? o.port, stop: () => void server.stop(true) };
}

async function route(daemon: Daemon, o: ControlOptions, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname.replace(/\/+$/, "") || "/";
  if (req.method === "GET" && path === "/healthz") {
    const s = daemon.status();
    const ok = s.esl === "ready";
    const body: HealthBody = { status: ok ? "ok" : "degraded", esl: s.esl, srs: s.srs, recordings: s.recordings.length };
    return json(ok ? 200 : 503, body);
  }
  if (req.method === "GET" && path === "/metrics") return new Response(await o.metrics.metrics(), { headers: { "content-type": o.metrics.contentType } });
  if (req.method === "GET" && path === "/recordings") return json(200, { recordings: daemon.status().recordings } satisfies RecordingsBody);
  if (req.method === "GET" && path === "/debug/memory") return json(200, memoryReport(daemon.status().recordings.length));
  if (req.method === "POST" && path === "/recordings") {
    const body = await readJson(req);
    if (!body.ok) return problem(400, "BAD_BODY", body.message);
    const { uuid, srs, streams } = body.value as { uuid?: unknown; srs?: unknown; streams?: unknown };
    const groups =
      typeof srs === "string"
        ? [srs]
        : Array.isArray(srs) && srs.every((g) => typeof g === "string")
          ? (srs as string[])
          : srs === undefined
            ? ["default"]
            : undefined;
    if (typeof uuid !== "string" || !/^[0-9a-fA-F-]{36}$/.test(uuid)) return problem(400, "BAD_BODY", '"uuid" must be the channel\'s UUID');
    if (groups === undefined || groups.length === 0) return problem(400, "BAD_BODY", '"srs" must be a group name or a list of them');
    if (streams !== undefined && streams !== "separate" && streams !== "mixed") return problem(400, "BAD_BODY", '"streams" must be "separate" or "mixed"');
    const r = daemon.recorder.start(uuid, groups, streams);
    if (!r.ok) return problem(r.error.code === "DRAINING" ? 503 : r.error.code === "CALL_UNKNOWN" ? 404 : 409, r.error.code, r.error.message);
    return json(201, { id: r.id });
  }
  const m = /^\/recordings\/([0-9a-fA-F-]{36})\/(pause|resume|stop)$/.exec(path);
  if (req.method === "POST" && m !== null) {
    const rec = daemon.recorder.byId(m[1] as string);
    if (rec === undefined) return problem(404, "RECORDING_UNKNOWN", `no recording ${m[1]}`);
    if (m[2] === "pause") void rec.pause();
    else if (m[2] === "resume") void rec.resume();
    else void rec.stop("stop requested (api)");
    return json(202, { id: rec.id, action: m[2] });
  }
  return problem(404, "NOT_FOUND", `${req.method} ${path} is not a control route`);
}

async function readJson(req: Request): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_BODY) return { ok: false, message: `body larger than ${MAX_BODY} bytes` };
  const text = await req.text();
  if (text.length > MAX_BODY) return { ok: false, message: `body larger than ${MAX_BODY} bytes` };
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? { ok: true, value: v } : { ok: false, message: "body must be a JSON object" };
  } catch (e) {
    return { ok: false, message: `body is not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}
