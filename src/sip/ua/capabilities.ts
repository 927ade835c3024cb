/** The methods our user agents take (RFC 3261 §20.5 Allow), one list for every Allow header we send. */
export const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO";
