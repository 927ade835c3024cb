/**
 * The metadata side of one recording session (RFC 7866 §9): the complete
 * snapshot its INVITE carries, then partial updates of what changed since
 * the last document the SRS accepted (an UPDATE with Content-Disposition:
 * recording-session), and complete snapshots when the SRS asks for one
 * (with an SDP offer defining the labels the metadata names: the session
 * sends them in a re-INVITE, multipart/mixed).
 *
 * RFC 7866 §9.1: "a full metadata snapshot SHOULD be sent in the initial
 * INVITE"; partial updates "MUST only be sent after a full snapshot".
 * RFC 7866 §9.2: a snapshot request is answered, then "the SRC sends a full
 * metadata snapshot" in a separate transaction.
 */
import { buildMetadataXml } from "../metadata/build.ts";
import type { RecordingMetadata } from "../metadata/model.ts";
import { diffMetadata, isEmptyUpdate } from "../metadata/snapshot.ts";

export interface SessionMetadataOptions {
  /** The complete document for the call as it is now. */
  readonly current: () => RecordingMetadata;
  /** Sends one document (a complete one with an SDP offer); the final status. */
  readonly send: (xml: string, kind: "complete snapshot" | "partial update") => Promise<number>;
  readonly warn: (message: string) => void;
}

export class SessionMetadata {
  /** The last document the SRS has (the base of the next partial update). */
  #sent: RecordingMetadata | undefined;
  snapshotsSent = 0;

  constructor(private readonly o: SessionMetadataOptions) {}

  /** The complete snapshot for an INVITE (call `accepted` once the SRS took it). */
  snapshot(): RecordingMetadata {
    return this.o.current();
  }

  accepted(m: RecordingMetadata): void {
    this.#sent = m;
  }

  async sendSnapshot(): Promise<boolean> {
    const snapshot = this.o.current();
    const ok = await this.#send(snapshot, "complete snapshot");
    if (ok) {
      this.#sent = snapshot;
      this.snapshotsSent++;
    }
    return ok;
  }

  /** What changed since the SRS's last document, as a partial update; nothing to send is success. */
  async update(): Promise<boolean> {
    if (this.#sent === undefined) return this.sendSnapshot();
    const next = this.o.current();
    const partial = diffMetadata(this.#sent, next);
    if (isEmptyUpdate(partial)) return true;
    const ok = await this.#send(partial, "partial update");
    if (ok) this.#sent = next;
    return ok;
  }

  async #send(m: RecordingMetadata, what: "complete snapshot" | "partial update"): Promise<boolean> {
    const status = await this.o.send(buildMetadataXml(m), what);
    if (status >= 300) this.o.warn(`metadata ${what} refused: ${status}`);
    return status < 300;
  }
}
