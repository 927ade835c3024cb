/**
 * Every rule `siprec validate` checks: a stable id (for CI suppressions and
 * JUnit test names), its default severity, the RFC section it comes from and
 * the row of docs/rfc-checklist.md it implements.
 */
export type Severity = "error" | "warning";

export interface Rule {
  readonly severity: Severity;
  readonly rfc: string;
  readonly checklist?: string;
  readonly summary: string;
}

export const RULES = {
  "input-unrecognized": { severity: "error", rfc: "-", summary: "the input is not SDP, RFC 7865 XML, a multipart body or a SIP message" },
  "input-too-large": { severity: "error", rfc: "-", summary: "an input is at most 16 MiB (SIP messages 64 KiB, metadata 4 MiB)" },
  "capture-damaged": { severity: "error", rfc: "-", summary: "a capture is truncated or corrupt (what comes before the damage is still checked)" },
  "capture-no-siprec": { severity: "warning", rfc: "-", summary: "a capture holds no SIPREC INVITE or UPDATE to check" },
  "input-not-utf8": { severity: "error", rfc: "RFC 3261 §7.3.1", summary: "text input must be UTF-8" },
  "sip-parse": { severity: "error", rfc: "RFC 3261 §7", summary: "the SIP message cannot be parsed" },
  "sip-crlf": { severity: "warning", rfc: "RFC 3261 §7", summary: "SIP lines end in CRLF" },
  "src-require-siprec": {
    severity: "error",
    rfc: "RFC 7866 §6.1.1",
    checklist: "A2",
    summary: "an INVITE starting a recording session carries Require: siprec",
  },
  "src-contact-feature": {
    severity: "error",
    rfc: "RFC 7866 §6.1.1",
    checklist: "A1",
    summary: "the SRC's Contact carries the +sip.src feature tag as a header parameter",
  },
  "src-allow-update": {
    severity: "warning",
    rfc: "RFC 3311 §4, RFC 7866 §9.2",
    checklist: "A9",
    summary: "the INVITE lists UPDATE in Allow, so the SRS can request snapshots",
  },
  "sdes-over-plain": { severity: "warning", rfc: "RFC 4568 §8.3", summary: "SDES inline keys travel only in messages sent over TLS" },
  "body-multipart": { severity: "error", rfc: "RFC 7866 §9.1", checklist: "B1", summary: "SDP and metadata together travel as multipart/mixed, one part each" },
  "body-parse": {
    severity: "error",
    rfc: "RFC 2046 §5.1.1",
    checklist: "B8",
    summary: "the multipart body is well formed and ends with its closing delimiter",
  },
  "body-no-metadata": { severity: "warning", rfc: "RFC 7866 §9.1", checklist: "E3", summary: "the initial INVITE should carry a complete metadata snapshot" },
  "metadata-disposition": {
    severity: "error",
    rfc: "RFC 7866 §9, RFC 5621",
    checklist: "B3",
    summary: "the metadata part has Content-Disposition: recording-session",
  },
  "metadata-media-type": {
    severity: "warning",
    rfc: "RFC 9806, RFC 7865 §5",
    checklist: "B4",
    summary: "the metadata media type is application/rs-metadata+xml",
  },
  "metadata-xml-declaration": {
    severity: "warning",
    rfc: "RFC 7865 §5.1",
    checklist: "B5",
    summary: "a metadata document starts with an XML declaration naming UTF-8",
  },
  "metadata-well-formed": { severity: "error", rfc: "RFC 7865 §5", summary: "the metadata is well-formed XML without a DTD" },
  "metadata-namespace": {
    severity: "error",
    rfc: "RFC 7865 §5.1.2, §6.11",
    checklist: "E7/E8",
    summary: "the root is <recording> in urn:ietf:params:xml:ns:recording:1",
  },
  "metadata-element-order": { severity: "error", rfc: "RFC 7865 §9", checklist: "E10a", summary: "elements follow the schema's sequence" },
  "metadata-id-base64": { severity: "error", rfc: "RFC 7865 §6.10, §9", checklist: "E10b", summary: "ids and id references are base64" },
  "metadata-participant-nameid": { severity: "error", rfc: "RFC 7865 §6.5, §9", checklist: "E10c", summary: "every participant has a nameID with an aor" },
  "metadata-send-recv-order": {
    severity: "error",
    rfc: "RFC 7865 §9",
    checklist: "E10d",
    summary: "in participantstreamassoc every send comes before every recv",
  },
  "metadata-reason-cause": { severity: "error", rfc: "RFC 7865 §6.3.1, §9", checklist: "E10e", summary: "a reason carries a cause" },
  "metadata-time-format": { severity: "error", rfc: "RFC 7865 §6.9", checklist: "E12", summary: "times are RFC 3339 / xs:dateTime" },
  "metadata-schema": { severity: "error", rfc: "RFC 7865 §9", checklist: "E10", summary: "the document is valid against RFC 7865's XML schema" },
  "metadata-duplicate-id": { severity: "error", rfc: "RFC 7865 §6.10", checklist: "E11", summary: "no two objects of a kind share an id" },
  "metadata-dangling-reference": {
    severity: "error",
    rfc: "RFC 7865 §6.4-§6.8",
    checklist: "E13/E15",
    summary: "associations in a complete snapshot name objects the document defines",
  },
  "metadata-initial-partial": {
    severity: "error",
    rfc: "RFC 7866 §9.1",
    checklist: "E4",
    summary: "the first metadata of a recording session is a complete snapshot",
  },
  "metadata-label-match": {
    severity: "error",
    rfc: "RFC 7866 §9.1, §7.1.1",
    checklist: "B9",
    summary: "metadata stream labels and SDP a=label values match one to one",
  },
  "sdp-parse": { severity: "error", rfc: "RFC 8866 §5", summary: "the SDP can be parsed" },
  "sdp-label-missing": { severity: "error", rfc: "RFC 7866 §7.1.1, RFC 4574", checklist: "C1", summary: "every recorded stream has an a=label" },
  "sdp-label-duplicate": { severity: "error", rfc: "RFC 4574 §4", checklist: "C1", summary: "labels are unique in an SDP" },
  "sdp-direction": {
    severity: "error",
    rfc: "RFC 7866 §7.1.1, RFC 7245 §3.2.1",
    checklist: "C2",
    summary: "SRC streams are sendonly or inactive (SRS answers recvonly or inactive)",
  },
  "sdp-connection": { severity: "error", rfc: "RFC 8866 §5.7", summary: "every active stream has a c= line (media or session level)" },
  "sdp-crypto": {
    severity: "error",
    rfc: "RFC 4568 §5, RFC 7866 §11.2",
    summary: "RTP/SAVP streams carry a=crypto lines with a known suite and a well-formed key",
  },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly message: string;
  /** The input's name (a file path, or "-" for stdin). */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** Builds findings for one input, shifting part-relative lines to file lines. */
export class FindingSink {
  constructor(
    readonly file: string,
    private readonly lineOffset = 0,
    readonly findings: Finding[] = [],
  ) {}

  add(rule: RuleId, message: string, at: { line?: number | undefined; column?: number | undefined } = {}): void {
    const line = at.line === undefined ? undefined : at.line + this.lineOffset;
    this.findings.push({
      rule,
      severity: RULES[rule].severity,
      message,
      file: this.file,
      ...(line === undefined ? {} : { line }),
      ...(at.column === undefined ? {} : { column: at.column }),
    });
  }

  /** A sink for a part that starts at `line` (1-based) of this input. */
  at(line: number): FindingSink {
    return new FindingSink(this.file, this.lineOffset + line - 1, this.findings);
  }
}
