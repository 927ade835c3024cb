/**
 * Checks that span sections: unique server names, triggers naming groups that
 * exist, rules that match something. They run on the raw TOML value, so they
 * are reported together with field errors elsewhere in the file ("all errors
 * at once"), and they tolerate any shape of input.
 */
import type { ConfigIssue } from "./issues.ts";
import { isLoopback } from "./fields.ts";
import { splitSrsUri } from "./schema-srs.ts";

type Raw = Record<string, unknown>;

function asTables(v: unknown): Raw[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === "object" && x !== null ? (x as Raw) : {})) : [];
}

export function crossCheck(doc: unknown): ConfigIssue[] {
  if (typeof doc !== "object" || doc === null) return [];
  const root = doc as Raw;
  const issues: ConfigIssue[] = [];
  const servers = asTables(root["srs"]);
  const byName = new Map<string, number>();
  const groups = new Set<string>();
  servers.forEach((s, i) => {
    const name = s["name"];
    if (typeof name === "string") {
      const first = byName.get(name);
      if (first !== undefined) issues.push({ path: `srs[${i}].name`, message: `duplicate name "${name}" (already used by srs[${first}])`, severity: "error" });
      else byName.set(name, i);
    }
    const group = s["group"] ?? "default";
    if (typeof group === "string") groups.add(group);
  });
  if (servers.length === 0) return issues;
  issues.push(...loopbackTowardRemote(root, servers));
  asTables(root["trigger"]).forEach((t, i) => {
    const wanted = t["srs_groups"] ?? ["default"];
    if (Array.isArray(wanted)) {
      wanted.forEach((g, j) => {
        if (typeof g === "string" && !groups.has(g)) {
          issues.push({
            path: `trigger[${i}].srs_groups[${j}]`,
            message: `no [[srs]] has group "${g}" (groups: ${[...groups].join(", ")})`,
            severity: "error",
          });
        }
      });
    }
    const match = t["match"];
    if (t["kind"] === "rule" && typeof match === "object" && match !== null && Object.keys(match).length === 0) {
      issues.push({ path: `trigger[${i}].match`, message: "a rule needs at least one of context, destination, caller, direction, profile", severity: "error" });
    }
  });
  return issues;
}

/** The host of a sip:/sips: URI (without brackets), or undefined. */
function uriHost(uri: unknown): string | undefined {
  return typeof uri === "string" ? splitSrsUri(uri.trim())?.host.replace(/^\[|\]$/g, "") : undefined;
}

/** A remote SRS cannot reach (or answer) a loopback Contact or c= (RFC 3261 §8.1.1.8). */
function loopbackTowardRemote(root: Raw, servers: Raw[]): ConfigIssue[] {
  const rec = typeof root["recording"] === "object" && root["recording"] !== null ? (root["recording"] as Raw) : {};
  const remote = servers.map((s, i) => ({ i, host: uriHost(s["uri"]) })).filter((x) => x.host !== undefined && !isLoopback(x.host));
  const first = remote[0];
  if (first === undefined) return [];
  const out: ConfigIssue[] = [];
  for (const key of ["sip_address", "media_address", "rtp_address"]) {
    const v = rec[key];
    if (typeof v === "string" && isLoopback(v)) {
      out.push({
        path: `recording.${key}`,
        message: `${v} is a loopback address, but srs[${first.i}] (${first.host}) is remote: it could not reach us there (use "auto" or an address it can reach)`,
        severity: "error",
      });
    }
  }
  return out;
}
