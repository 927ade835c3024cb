import { describe, expect, test } from "bun:test";
import { buildAuthorization, digestResponse, parseChallenge, pickChallenge } from "./digest.ts";

describe("digest vectors", () => {
  test("RFC 2617 §3.5 (MD5, qop=auth)", () => {
    const c = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    if (!c.ok) throw new Error(c.error);
    const r = digestResponse(
      c.value,
      { username: "Mufasa", password: "Circle Of Life", method: "GET", uri: "/dir/index.html", cnonce: "0a4f113b", nc: 1 },
      "auth",
    );
    expect(r).toBe("6629fae49393a05397450978507c4ef1");
  });

  test("RFC 7616 §3.9.1 (SHA-256 and MD5, qop=auth)", () => {
    const input = {
      username: "Mufasa",
      password: "Circle of Life",
      method: "GET",
      uri: "/dir/index.html",
      cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
      nc: 1,
    };
    const base =
      'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const sha = parseChallenge(`Digest ${base}, algorithm=SHA-256`);
    const md5 = parseChallenge(`Digest ${base}, algorithm=MD5`);
    if (!sha.ok || !md5.ok) throw new Error("parse");
    expect(digestResponse(sha.value, input, "auth")).toBe("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    expect(digestResponse(md5.value, input, "auth")).toBe("8ca523f5e9506fed4657c9700eebdbec");
  });
});

describe("challenges", () => {
  test("parse: quoted commas, stale, algorithm case, no qop (RFC 2069 style)", () => {
    expect(parseChallenge('Digest realm="a, b", nonce="n", stale=TRUE, algorithm=sha-256')).toEqual({
      ok: true,
      value: { realm: "a, b", nonce: "n", algorithm: "SHA-256", qop: [], stale: true },
    });
    expect(parseChallenge("Basic realm=x").ok).toBe(false);
    expect(parseChallenge('Digest realm="x"').ok).toBe(false);
    expect(parseChallenge('Digest realm="x", nonce="y", algorithm=SHA-512').ok).toBe(false);
  });

  test("SHA-256 preferred over MD5 (RFC 8760)", () => {
    expect(pickChallenge(['Digest realm="r", nonce="1", algorithm=MD5', 'Digest realm="r", nonce="2", algorithm=SHA-256'])?.algorithm).toBe("SHA-256");
  });

  test("Authorization header carries every field, with nonce count", () => {
    const c = parseChallenge('Digest realm="siprec", nonce="abc", qop="auth", opaque="op"');
    if (!c.ok) throw new Error(c.error);
    const v = buildAuthorization(c.value, { username: "rec", password: "pw", method: "INVITE", uri: "sip:srs@127.0.0.1", cnonce: "cn", nc: 2 });
    expect(v).toStartWith('Digest username="rec", realm="siprec", nonce="abc", uri="sip:srs@127.0.0.1", response="');
    expect(v).toEndWith('algorithm=MD5, cnonce="cn", qop=auth, nc=00000002, opaque="op"');
  });

  test("no qop: RFC 2069 response without cnonce/nc", () => {
    const c = parseChallenge('Digest realm="r", nonce="n"');
    if (!c.ok) throw new Error(c.error);
    expect(buildAuthorization(c.value, { username: "u", password: "p", method: "INVITE", uri: "sip:x", cnonce: "c", nc: 1 })).not.toContain("nc=");
  });
});
