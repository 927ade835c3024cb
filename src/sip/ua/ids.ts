/** Random SIP identifiers, all from the injected IdSource. */
import { type IdSource, randomToken } from "../../lib/ids.ts";
import { BRANCH_COOKIE } from "../message/via.ts";

/** RFC 3261 §8.1.1.7: unique per transaction, starting with the magic cookie. */
export const newBranch = (ids: IdSource): string => `${BRANCH_COOKIE}${randomToken(ids, 20)}`;
/** RFC 3261 §19.3: at least 32 bits of randomness. */
export const newTag = (ids: IdSource): string => randomToken(ids, 12);
export const newCallId = (ids: IdSource, host: string): string => `${randomToken(ids, 24)}@${host}`;
/** A uniform integer in [lo, hi] (glare back-off, RFC 3261 §14.1). */
export const randomBetween = (ids: IdSource, lo: number, hi: number): number => lo + (ids.uint32() % (hi - lo + 1));
