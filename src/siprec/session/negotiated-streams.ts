/**
 * The streams of one recording session as offer/answer left them: our last
 * SDP (RFC 3264 §8: the next one is version + 1, keeps every m-line in
 * place, disabled ones at port 0), our sending key per label, and what each
 * stream is (accepted, inactive, rejected). Every exchange goes through
 * here: the SRS's answer to our offers (INVITE, pause/resume, snapshot
 * re-INVITE), the SRS's own offers (re-INVITE, UPDATE), and our offer to
 * an offerless re-INVITE with the SRS's answer in the ACK.
 */
import { type StreamOutcome, analyzeAnswer } from "../answer.ts";
import { nextVersion } from "../offer.ts";
import { type SendKey, type SrsOfferError, answerSrsOffer, offerForOfferless } from "../srs-offer.ts";
import type { Media, Sdp } from "../../sdp/types.ts";
import type { IdSource } from "../../lib/ids.ts";
import { type Result, err, ok } from "../../lib/result.ts";
import type { ActiveStream, LocalStream, SessionConfig, SessionReport } from "./types.ts";

export class NegotiatedStreams {
  #sdp: Sdp;
  #outcomes: StreamOutcome[];
  readonly #keys = new Map<string, SendKey>();
  readonly #locals = new Map<string, LocalStream>();
  readonly #template = new Map<string, Media>();

  constructor(
    offer: Sdp,
    outcomes: readonly StreamOutcome[],
    locals: readonly LocalStream[],
    offeredKeys: ReadonlyMap<string, SendKey>,
    private readonly c: Pick<SessionConfig, "codecs" | "telephoneEvent" | "srtpSuites">,
    private readonly ids: IdSource,
  ) {
    for (const m of offer.media) if (m.label !== undefined) this.#template.set(m.label, m);
    for (const l of locals) this.#locals.set(l.label, l);
    this.#outcomes = [...outcomes];
    // Rejected streams are at port 0 in every later SDP of ours (RFC 3264 §8.2).
    // Later offers carry only the key the SRS chose (RFC 4568 §7.1.4: keys kept while the suite stays).
    this.#sdp = {
      ...offer,
      media: offer.media.map((m) => {
        const o = outcomes.find((x) => x.label === m.label);
        if (o === undefined || (o.status !== "accepted" && o.status !== "inactive")) return disable(m);
        return o.crypto === undefined ? m : { ...m, crypto: m.crypto.filter((k) => k.tag === o.crypto?.tag) };
      }),
    };
    for (const o of outcomes) {
      const k =
        o.status === "accepted" || o.status === "inactive" ? (o.crypto === undefined ? undefined : offeredKeys.get(`${o.label}/${o.crypto.tag}`)) : undefined;
      if (k !== undefined) this.#keys.set(o.label, k);
    }
  }

  get sdp(): Sdp {
    return this.#sdp;
  }

  get outcomes(): readonly StreamOutcome[] {
    return this.#outcomes;
  }

  /** The streams as the session report lists them. */
  report(): SessionReport["streams"] {
    return this.#outcomes.map((s) => ({
      label: s.label,
      status: s.status,
      ...(s.status === "accepted" || s.status === "inactive" ? { codec: s.codec, remote: `${s.connection.address}:${s.port}` } : {}),
      ...(s.status === "unusable" ? { reason: s.reason } : {}),
    }));
  }

  /** What the media driver sends on: accepted and inactive streams, with their local ports and keys. */
  active(): ActiveStream[] {
    const out: ActiveStream[] = [];
    for (const o of this.#outcomes) {
      if (o.status !== "accepted" && o.status !== "inactive") continue;
      const local = this.#locals.get(o.label);
      if (local === undefined) continue;
      const key = this.#keys.get(o.label);
      out.push({ outcome: o, local, ...(key === undefined ? {} : { sendKey: key }) });
    }
    return out;
  }

  /** Our next offer (pause, resume, snapshot, offerless re-INVITE): every live stream in `direction`. */
  offer(direction: "sendonly" | "inactive"): Sdp {
    const sdp = offerForOfferless(this.#sdp, direction === "inactive", (m) => this.#full(m));
    this.#sdp = sdp;
    return sdp;
  }

  /** The SRS's answer to an offer of ours; a bad answer leaves the streams as they were. */
  takeAnswer(offer: Sdp, answer: Sdp): Result<readonly string[], { message: string }> {
    const a = analyzeAnswer(offer, answer);
    if (!a.ok) return err({ message: a.error.message });
    this.#apply(a.value.streams);
    return ok(a.value.warnings);
  }

  /** An offer from the SRS: our answer, or why we refuse it (488, nothing changed). */
  answer(offer: Sdp, paused: boolean): Result<Sdp, SrsOfferError> {
    const r = answerSrsOffer(
      {
        local: this.#sdp,
        codecs: this.c.codecs,
        telephoneEvent: this.c.telephoneEvent,
        srtpSuites: this.c.srtpSuites,
        keys: this.#keys,
        paused,
        ids: this.ids,
      },
      offer,
    );
    if (!r.ok) return r;
    this.#sdp = r.value.answer;
    for (const [label, k] of r.value.keys) this.#keys.set(label, k);
    this.#apply(r.value.streams);
    return ok(r.value.answer);
  }

  #apply(streams: readonly StreamOutcome[]): void {
    this.#outcomes = [...streams];
    const gone = new Set(streams.filter((s) => s.status === "rejected" || s.status === "unusable").map((s) => s.label));
    if (gone.size > 0) this.#sdp = { ...this.#sdp, media: this.#sdp.media.map((m) => (gone.has(m.label ?? "") && m.port !== 0 ? disable(m) : m)) };
    for (const l of gone) this.#keys.delete(l);
  }

  /** An m-line with our full codec list and the current key (answers narrow it to one codec). */
  #full(m: Media): Media {
    const t = this.#template.get(m.label ?? "") ?? m;
    const key = m.crypto.length === 1 ? m.crypto : t.crypto;
    return { ...t, port: m.port, crypto: key };
  }

  /** A version bump with the same streams (RFC 3264 §8: a re-offer of an unchanged session). */
  bump(): Sdp {
    this.#sdp = nextVersion(this.#sdp);
    return this.#sdp;
  }
}

function disable(m: Media): Media {
  return { ...m, port: 0, crypto: [], rtcp: undefined };
}
