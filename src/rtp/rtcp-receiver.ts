/**
 * RTCP for one received stream, as an RTP receiver (the reference SRS
 * uses it per label; rtcp-reporter.ts is the sender side) (RFC 3550 §6): Sender Reports in (SRTCP-unprotected when the stream is
 * keyed), and Receiver Reports out — a report block with loss, jitter and
 * LSR/DLSR about the client's SSRC plus an SDES CNAME (§6.1: "each compound
 * RTCP packet MUST include a report packet and an SDES packet with a CNAME"),
 * SRTCP-protected with our key (RFC 3711 §3.4: SRTCP is mandatory with SRTP).
 */
import { SDES_CNAME, parseRtcpCompound, serializeRtcpCompound } from "./rtcp.ts";
import type { RtpPacket } from "./packet.ts";
import { ReceiverStats } from "./receiver-stats.ts";
import type { SrtpContext } from "./srtp/context.ts";
import type { RtpEndpoint } from "./rtp-socket-port.ts";

export interface RtcpReceiverOptions {
  readonly ourSsrc: number;
  readonly cname: string;
  /** The socket our reports leave from (the RTCP socket, or the RTP one with rtcp-mux). */
  readonly socket: RtpEndpoint;
  readonly to: { readonly address: string; readonly port: number };
  /** Our SRTCP key (we protect), the client's (we unprotect its SRs). */
  readonly protect?: SrtpContext;
  readonly unprotect?: SrtpContext;
}

/** What one received stream's RTCP showed (the reference SRS's report.json "rtcp"). */
export type RtcpReceiverFigures = {
  readonly to: string;
  readonly rtcpReceived: number;
  readonly senderReports: number;
  readonly receiverReportsSent: number;
  readonly rtcpRejected: number;
  readonly lost: number;
  readonly jitterMs: number;
};

export class RtcpReceiver {
  readonly stats = new ReceiverStats(8000);
  /** The client's SSRC (the latest RTP seen). */
  senderSsrc: number | undefined;
  received = 0;
  senderReports = 0;
  receiverReportsSent = 0;
  rejected = 0;

  constructor(private readonly o: RtcpReceiverOptions) {}

  rtp(pkt: RtpPacket, arrivalMs: number, isEvent: boolean): void {
    this.senderSsrc = pkt.ssrc;
    this.stats.packet(pkt.sequence, pkt.timestamp, arrivalMs, !isEvent);
  }

  /** An RTCP datagram from the client. */
  receive(d: Uint8Array, nowMs: number): void {
    let bytes = d;
    if (this.o.unprotect !== undefined) {
      const r = this.o.unprotect.unprotectRtcp(d);
      if (!r.ok) {
        this.rejected++;
        return;
      }
      bytes = r.value;
    }
    const c = parseRtcpCompound(bytes);
    if (!c.ok) {
      this.rejected++;
      return;
    }
    this.received++;
    for (const p of c.value) {
      if (p.type === "sr" && (this.senderSsrc === undefined || p.ssrc === this.senderSsrc)) {
        this.senderReports++;
        this.stats.senderReport(p.ntpSec, p.ntpFrac, nowMs);
      }
    }
  }

  /** One RR + SDES now, once the client's SSRC is known. */
  sendReport(nowMs: number): void {
    if (this.senderSsrc === undefined) return;
    const plain = serializeRtcpCompound([
      { type: "rr", ssrc: this.o.ourSsrc, reports: [this.stats.block(this.senderSsrc, nowMs)] },
      { type: "sdes", chunks: [{ ssrc: this.o.ourSsrc, items: [{ type: SDES_CNAME, text: this.o.cname }] }] },
    ]);
    const out = this.o.protect === undefined ? plain : this.o.protect.protectRtcp(plain);
    const bytes = out instanceof Uint8Array ? out : out.ok ? out.value : undefined;
    if (bytes === undefined) return;
    this.o.socket.send(bytes, this.o.to.port, this.o.to.address);
    this.receiverReportsSent++;
  }

  figures(): RtcpReceiverFigures {
    return {
      to: `${this.o.to.address}:${this.o.to.port}`,
      rtcpReceived: this.received,
      senderReports: this.senderReports,
      receiverReportsSent: this.receiverReportsSent,
      rtcpRejected: this.rejected,
      lost: this.stats.lost,
      jitterMs: Math.round(this.stats.jitterMs * 100) / 100,
    };
  }
}
