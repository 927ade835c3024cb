/**
 * SIP messages as plain data (RFC 3261 §7). Header fields keep the name as
 * written and their order; lookups are case-insensitive and understand the
 * compact forms (headers.ts). The body is bytes.
 */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

interface MessageBase {
  readonly headers: readonly HeaderField[];
  readonly body: Uint8Array;
  /** Byte offset of the body in the parsed input (0 for built messages). */
  readonly bodyOffset: number;
}

export interface SipRequest extends MessageBase {
  readonly kind: "request";
  readonly method: string;
  readonly uri: string;
}

export interface SipResponse extends MessageBase {
  readonly kind: "response";
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;
