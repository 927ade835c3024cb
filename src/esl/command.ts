/**
 * ESL commands → bytes. Every command is a line (plus, for sendevent /
 * sendmsg / bgapi with a Job-UUID, header lines) ended by an empty line. An
 * argument holding a line break would end the command early and smuggle a
 * second one in, so such arguments are refused, never sent.
 */
import { type Result, err, ok } from "../lib/result.ts";

export interface EslCommandError {
  readonly code: "ESL_COMMAND_INJECTION" | "ESL_COMMAND_EMPTY";
  readonly message: string;
}

export type EslEventFormat = "plain" | "json";

export type EslCommand =
  | { readonly kind: "auth"; readonly password: string }
  | { readonly kind: "api"; readonly command: string }
  | { readonly kind: "bgapi"; readonly command: string; readonly jobUuid?: string }
  | { readonly kind: "event"; readonly format: EslEventFormat; readonly events: readonly string[]; readonly subclasses: readonly string[] }
  | { readonly kind: "filter"; readonly header: string; readonly value: string }
  | { readonly kind: "filter-delete"; readonly header: string; readonly value: string }
  | { readonly kind: "sendevent"; readonly name: string; readonly headers: readonly (readonly [string, string])[]; readonly body?: string }
  | { readonly kind: "sendmsg"; readonly uuid: string; readonly headers: readonly (readonly [string, string])[] }
  | { readonly kind: "noevents" }
  | { readonly kind: "exit" };

/** Which reply a command gets: `api` → api/response, everything else → command/reply. */
export function replyTypeOf(cmd: EslCommand): "api/response" | "command/reply" {
  return cmd.kind === "api" ? "api/response" : "command/reply";
}

const encoder = new TextEncoder();

export function serializeCommand(cmd: EslCommand): Result<Uint8Array, EslCommandError> {
  if (cmd.kind === "sendevent") {
    const text = sendevent(cmd.name, cmd.headers, cmd.body);
    return text.ok ? ok(encoder.encode(text.value)) : text;
  }
  const text = commandText(cmd);
  if (!text.ok) return text;
  return ok(encoder.encode(`${text.value}\n\n`));
}

function commandText(cmd: Exclude<EslCommand, { kind: "sendevent" }>): Result<string, EslCommandError> {
  switch (cmd.kind) {
    case "auth":
      return line("auth", cmd.password);
    case "api":
      return line("api", cmd.command);
    case "bgapi": {
      const first = line("bgapi", cmd.command);
      if (!first.ok || cmd.jobUuid === undefined) return first;
      return withHeaders(first.value, [["Job-UUID", cmd.jobUuid]]);
    }
    case "event": {
      // FreeSWITCH takes every token after CUSTOM as a subclass name, so CUSTOM goes last.
      const names = cmd.events.filter((e) => e !== "CUSTOM");
      const tokens = cmd.subclasses.length > 0 ? [...names, "CUSTOM", ...cmd.subclasses] : names;
      if (tokens.length === 0) return err({ code: "ESL_COMMAND_EMPTY", message: "event subscription with no events" });
      return line(`event ${cmd.format}`, tokens.join(" "));
    }
    case "filter":
      return line("filter", `${cmd.header} ${cmd.value}`);
    case "filter-delete":
      return line("filter delete", `${cmd.header} ${cmd.value}`);
    case "sendmsg": {
      const first = line("sendmsg", cmd.uuid);
      return first.ok ? withHeaders(first.value, cmd.headers) : first;
    }
    case "noevents":
      return ok("noevents");
    case "exit":
      return ok("exit");
  }
}

function sendevent(name: string, headers: readonly (readonly [string, string])[], body: string | undefined): Result<string, EslCommandError> {
  const first = line("sendevent", name);
  if (!first.ok) return first;
  const all: (readonly [string, string])[] = [...headers];
  if (body !== undefined) all.push(["content-length", String(encoder.encode(body).length)]);
  const head = withHeaders(first.value, all);
  if (!head.ok) return head;
  // The body is exactly content-length bytes after the empty line; nothing may follow it
  // (a stray empty line would read as another command and shift every later reply).
  return ok(`${head.value}\n\n${body ?? ""}`);
}

function line(verb: string, arg: string): Result<string, EslCommandError> {
  if (/[\r\n]/.test(arg)) return err({ code: "ESL_COMMAND_INJECTION", message: `${verb} argument holds a line break` });
  if (arg.trim() === "") return err({ code: "ESL_COMMAND_EMPTY", message: `${verb} without an argument` });
  return ok(`${verb} ${arg}`);
}

function withHeaders(first: string, headers: readonly (readonly [string, string])[]): Result<string, EslCommandError> {
  let out = first;
  for (const [name, value] of headers) {
    if (/[\r\n:]/.test(name) || name === "" || /[\r\n]/.test(value)) {
      return err({ code: "ESL_COMMAND_INJECTION", message: `header ${JSON.stringify(name)} holds a line break or colon` });
    }
    out += `\n${name}: ${value}`;
  }
  return ok(out);
}
