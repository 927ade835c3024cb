import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseConfigText } from "./parse.ts";
import { configWarnings, KNOWN_KEYS } from "./schema.ts";
import type { ConfigIssue } from "./issues.ts";
import { textMutations } from "../../test/support/mutate.ts";

const EXAMPLE = readFileSync(new URL("../../conf/siprec.toml", import.meta.url), "utf8");
const MIN = `[[srs]]\nname = "a"\nuri = "sip:srs@127.0.0.1:5070"\n`;

function issues(text: string): ConfigIssue[] {
  const r = parseConfigText(text);
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.error;
}

function only(text: string): ConfigIssue {
  const all = issues(text);
  expect(all).toHaveLength(1);
  return all[0] as ConfigIssue;
}

describe("the example config", () => {
  test("conf/siprec.toml parses and validates", () => {
    const r = parseConfigText(EXAMPLE);
    if (!r.ok) throw new Error(r.error.map((i) => `${i.path}: ${i.message}`).join("\n"));
    expect(r.value.srs[0]?.name).toBe("local");
    expect(r.value.freeswitch.port).toBe(8021);
  });

  test("documents every key the schema knows", () => {
    // A key counts as documented when it is written (or commented out) as `key =`,
    // appears inside an inline table (`{ key = ... }`), or names a [table] / [[array]].
    const documented = (k: string) =>
      new RegExp(`(^#?\\s*|[{,]\\s*)${k}\\s*=`, "m").test(EXAMPLE) || new RegExp(`^#?\\s*\\[\\[?([a-z]+\\.)?${k}\\]`, "m").test(EXAMPLE);
    const missing = [...KNOWN_KEYS].filter((k) => !documented(k));
    expect(missing).toEqual([]);
  });
});

describe("defaults", () => {
  test("a config with one server gets every default", () => {
    const r = parseConfigText(MIN);
    if (!r.ok) throw new Error("rejected");
    const c = r.value;
    expect(c.srs[0]?.transport).toBe("tcp");
    expect(c.srs[0]?.group).toBe("default");
    expect(c.srs[0]?.options_interval).toBe(30);
    expect(c.recording.streams).toBe("separate");
    expect(c.recording.codecs).toEqual(["PCMU", "PCMA"]);
    expect(c.trigger).toEqual([{ kind: "event", srs_groups: ["default"] }]);
    expect(c.control.address).toBe("127.0.0.1");
    expect(c.freeswitch.password).toEqual({ $secret: "inline", value: "ClueCon" });
  });

  test("a sips: URI defaults to tls", () => {
    const r = parseConfigText(`[[srs]]\nname = "a"\nuri = "sips:rec.example.com"\n`);
    expect(r.ok && r.value.srs[0]?.transport).toBe("tls");
  });
});

describe("errors name the key path and what was found", () => {
  test("misspelled key, with a suggestion and its line", () => {
    const i = only(`${MIN}trasnport = "tcp"\n`);
    expect(i.path).toBe("srs[0].trasnport");
    expect(i.message).toBe('unknown key (did you mean "transport"?)');
    expect(i.line).toBe(4);
  });

  test("enum value in the second server", () => {
    const i = only(`${MIN}[[srs]]\nname = "b"\nuri = "sip:b@127.0.0.1"\ntransport = "tpc"\n`);
    expect(i.path).toBe("srs[1].transport");
    expect(i.message).toBe('expected one of udp|tcp|tls, got "tpc"');
    expect(i.line).toBe(7);
  });

  test("TOML syntax error gives line and column", () => {
    const i = only(`${MIN}[recording\nptime = 20\n`);
    expect(i.line).toBe(4);
    expect(i.column).toBeGreaterThan(0);
    expect(i.message).toStartWith("TOML syntax error:");
  });

  test("numeric ranges", () => {
    expect(only(`[freeswitch]\nport = 70000\n${MIN}`)).toMatchObject({ path: "freeswitch.port", message: "must be <= 65535, got 70000", line: 2 });
    expect(only(`${MIN}options_interval = -1\n`)).toMatchObject({ path: "srs[0].options_interval", message: "must be >= 0, got -1" });
    expect(only(`[recording]\nptime = 25\n${MIN}`)).toMatchObject({ path: "recording.ptime", message: "expected one of 10|20|30|40|60, got 25" });
    expect(only(`[recording]\nptime = 60\ncodecs = ["L16", "PCMU"]\n${MIN}`)).toMatchObject({
      path: "recording.ptime",
      message: "60 ms of L16 at 16 kHz is 1932 bytes a packet, over a 1,500-byte MTU: use ptime 40 or less with L16",
    });
    expect(only(`[tap]\nrtp_port_min = 40000\nrtp_port_max = 30000\n${MIN}`).path).toBe("tap.rtp_port_min");
    expect(only(`[freeswitch]\nport = 80.5\n${MIN}`).message).toBe("expected an integer, got 80.5");
  });

  test("wrong types", () => {
    expect(only(`[recording]\nrtcp_mux = "yes"\n${MIN}`).message).toBe('expected true or false, got "yes"');
    expect(only(`srs = "x"\n`).message).toBe('expected an array, got "x"');
  });

  test("missing required keys and sections", () => {
    expect(only(`[log]\nlevel = "info"\n`)).toMatchObject({ path: "srs", message: "at least one [[srs]] server is required" });
    expect(only(`[[srs]]\nname = "a"\n`)).toMatchObject({ path: "srs[0].uri", message: "required key is missing", line: 1 });
    expect(only(`srs = []\n`).message).toBe("at least one [[srs]] server is required");
  });

  test("every error at once, in file order", () => {
    const all = issues(`[freeswitch]\nport = 0\n[[srs]]\nname = "a"\nuri = "http://x"\n[[srs]]\nname = "a"\nuri = "sip:b"\n[log]\nlevel = "loud"\n`);
    expect(all.map((i) => i.path)).toEqual(["freeswitch.port", "srs[0].uri", "srs[1].name", "log.level"]);
    expect(all[2]?.message).toBe('duplicate name "a" (already used by srs[0])');
  });

  test("wideband codecs toward the SRS (G722, L16 = L16/16000) with either tap method; an unknown codec named with the list", () => {
    for (const method of ["media-bug", "legs"])
      expect(parseConfigText(`${MIN}[recording]\ncodecs = ["G722", "L16", "PCMU"]\n[tap]\nmethod = "${method}"\n`).ok).toBe(true);
    expect(only(`${MIN}[recording]\ncodecs = ["L16/8000"]\n`).path).toBe("recording.codecs[0]");
  });

  test("tap.pipe_dir: an absolute path without .. segments", () => {
    expect(only(`${MIN}[tap]\npipe_dir = "run/tap"\n`).path).toBe("tap.pipe_dir");
    expect(only(`${MIN}[tap]\npipe_dir = "/run/../etc"\n`).message).toContain(".. segment");
    expect(parseConfigText(`${MIN}[tap]\npipe_dir = "/var/run/siprec.tap"\n`).ok).toBe(true);
  });

  test("an empty file says so", () => {
    expect(only("").message).toContain("empty");
    expect(only("  \n# only a comment\n").message).toStartWith("at least one [[srs]]");
  });
});

describe("cross-field rules", () => {
  test("sips: needs tls", () => {
    expect(only(`[[srs]]\nname = "a"\nuri = "sips:r.example.com"\ntransport = "tcp"\n`).path).toBe("srs[0].transport");
  });
  test("tls settings without tls", () => {
    expect(only(`${MIN}tls_ca_file = "/x.pem"\n`)).toMatchObject({
      path: "srs[0].tls_ca_file",
      message: 'only used with transport = "tls" (this server uses "tcp")',
    });
  });
  test("client certificate needs its key", () => {
    expect(only(`${MIN}transport = "tls"\ntls_cert_file = "/c.pem"\n`).path).toBe("srs[0].tls_key");
  });
  test("digest auth needs both halves", () => {
    expect(only(`${MIN}auth_username = "u"\n`).path).toBe("srs[0].auth_password");
    expect(only(`${MIN}auth_password = "p"\n`).path).toBe("srs[0].auth_username");
  });
  test("one spelling per secret", () => {
    expect(only(`[freeswitch]\npassword = "a"\npassword_env = "X"\n${MIN}`)).toMatchObject({
      path: "freeswitch.password_env",
      message: "set only one of password, password_env",
    });
  });
  test("secret env names are checked", () => {
    expect(only(`[freeswitch]\npassword_env = "not a name"\n${MIN}`).path).toBe("freeswitch.password_env");
  });
  test("the [[srs]] transport follows the one rule: ;transport=tls in the URI is TLS (not TCP), a contradicting transport key is an error", () => {
    const r = parseConfigText(`[[srs]]\nname = "t"\nuri = "sip:srs@127.0.0.1:5071;transport=tls"\n`);
    expect(r.ok && r.value.srs[0]?.transport).toBe("tls");
    expect(only(`[[srs]]\nname = "t"\nuri = "sips:srs@127.0.0.1"\ntransport = "udp"\n`)).toMatchObject({
      path: "srs[0].transport",
      message: "transport udp contradicts sips:srs@127.0.0.1, which says tls",
    });
    expect(only(`[[srs]]\nname = "t"\nuri = "sip:srs@127.0.0.1;transport=udp"\ntransport = "tcp"\n`).path).toBe("srs[0].transport");
  });
  test("a loopback SRS-facing address with a remote SRS is an error; auto and loopback SRSs are fine", () => {
    const remote = `[[srs]]\nname = "r"\nuri = "sip:srs@198.51.100.7:5060"\n`;
    expect(only(`[recording]\nsip_address = "127.0.0.1"\n${remote}`)).toMatchObject({ path: "recording.sip_address", severity: "error" });
    expect(only(`[recording]\nmedia_address = "::1"\n${remote}`).message).toContain("srs[0] (198.51.100.7) is remote");
    expect(only(`[recording]\nsip_address = "auto"\nmedia_address = "nope"\n${remote}`).path).toBe("recording.media_address");
    const ok = parseConfigText(`[recording]\nsip_address = "127.0.0.1"\n${MIN}`);
    expect(ok.ok).toBe(true);
  });
  test("triggers must name existing groups", () => {
    expect(only(`${MIN}[[trigger]]\nkind = "event"\nsrs_groups = ["nope"]\n`)).toMatchObject({
      path: "trigger[0].srs_groups[0]",
      message: 'no [[srs]] has group "nope" (groups: default)',
    });
  });
  test("trigger kinds and rules", () => {
    expect(only(`${MIN}[[trigger]]\nkind = "magic"\n`)).toMatchObject({ path: "trigger[0].kind", message: 'expected one of event|variable|rule, got "magic"' });
    expect(only(`${MIN}[[trigger]]\nkind = "rule"\nmatch = {}\n`).path).toBe("trigger[0].match");
    expect(only(`${MIN}[[trigger]]\nkind = "rule"\nmatch = { destination = "([" }\n`).message).toStartWith("invalid regular expression");
    expect(only(`${MIN}[[trigger]]\nkind = "event"\nvariable = "x"\n`).path).toBe("trigger[0].variable");
  });
  test("control off loopback needs a token", () => {
    expect(only(`[control]\nenabled = true\naddress = "0.0.0.0"\n${MIN}`).path).toBe("control.token");
    expect(parseConfigText(`[control]\nenabled = true\naddress = "0.0.0.0"\ntoken_env = "T"\n${MIN}`).ok).toBe(true);
    // An empty inline token is no token (it would let unauthenticated requests through).
    expect(only(`[control]\nenabled = true\naddress = "0.0.0.0"\ntoken = ""\n${MIN}`)).toMatchObject({
      path: "control.token",
      message: expect.stringContaining("must not be empty"),
    });
  });
  test("metadata element names are unique XML names", () => {
    const base = `${MIN}[[metadata.map]]\nfrom = "header"\nname = "Session-ID"\nelement = "sid"\n`;
    expect(only(`${base}[[metadata.map]]\nfrom = "variable"\nname = "x"\nelement = "sid"\n`).path).toBe("metadata.map[1].element");
    expect(only(`${MIN}[[metadata.map]]\nfrom = "header"\nname = "a"\nelement = "1bad"\n`).path).toBe("metadata.map[0].element");
  });
  test("codecs listed twice", () => {
    expect(only(`[recording]\ncodecs = ["PCMU", "PCMU"]\n${MIN}`).path).toBe("recording.codecs");
  });
});

describe("warnings", () => {
  test("SRTP over tcp and UDP size", () => {
    const r = parseConfigText(`[recording]\nsrtp = "offer"\n${MIN}transport = "udp"\n`);
    if (!r.ok) throw new Error("rejected");
    const w = configWarnings(r.value).map((x) => x.message);
    expect(w.some((m) => m.includes("RFC 4568"))).toBe(true);
    expect(w.some((m) => m.includes("1300 bytes"))).toBe(true);
  });
});

describe("hostile input never throws", () => {
  test("seeded mutations of the example", () => {
    for (const text of textMutations(EXAMPLE, 12345, 300)) {
      const r = parseConfigText(text);
      if (!r.ok) for (const i of r.error) expect(typeof i.message).toBe("string");
    }
  });
});
