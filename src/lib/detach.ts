/**
 * A string value that is kept for a long time (a tracked channel's caller
 * id, uuids, SIP headers) must not be a slice of the text it was parsed
 * from: JavaScriptCore's `slice`/`substring` share the parent's buffer, so
 * a six-character call state held on to the whole event text it came from
 * (measured with a heap snapshot of the daemon: two 1–2 KiB ESL event
 * texts per recording, kept by ChannelInfo fields). `detach` returns a copy
 * that owns its characters; `detach.test.ts` checks that it still does on
 * the Bun this is built with.
 */
export function detach(s: string): string {
  // Joining builds a new string from its parts' characters (no shared buffer); "" is its own atom.
  return s.length === 0 ? "" : [s, ""].join("");
}

export function detachOptional(s: string | undefined): string | undefined {
  return s === undefined ? undefined : detach(s);
}
