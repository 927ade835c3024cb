/**
 * The metadata side of one recording session (RFC 7866 §9): the complete
 * snapshot its INVITE carries, then partial updates of what changed since
 * the last document the SRS accepted, and complete snapshots when the SRS
 * asks for one, each in an UPDATE with Content-Disposition: recording-session.
 *
 * RFC 7866 §9.1: "a full metadata snapshot SHOULD be sent in the initial
 * INVITE"; partial updates "MUST only be sent after a full snapshot".
 * RFC 7866 §9.2: a snapshot request is answered, then "the SRC sends a full
 * metadata snapshot" in a separate transaction.
 */
import { buildRecordingBody } from "../body.ts";
import { buildMetadataXml } from "../metadata/build.ts";
import type { RecordingMetadata } from "../metadata/model.ts";
import { diffMetadata, isEmptyUpdate } from "../metadata/snapshot.ts";
import { statusOf } from "../../sip/ua/client-request.ts";
import type { DialogSession } from "../../sip/ua/dialog-session.ts";
import type { IdSource } from "../../lib/ids.ts";

export interface SessionMetadataOptions {
  /** The complete document for the call as it is now. */
  readonly current: () => RecordingMetadata;
  readonly ids: IdSource;
  readonly event: (dir: "out" | "in", what: string) => void;
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

  async sendSnapshot(dialog: DialogSession): Promise<boolean> {
    const snapshot = this.o.current();
    const ok = await this.#send(dialog, snapshot, "complete snapshot");
    if (ok) {
      this.#sent = snapshot;
      this.snapshotsSent++;
    }
    return ok;
  }

  /** What changed since the SRS's last document, as a partial update; nothing to send is success. */
  async update(dialog: DialogSession): Promise<boolean> {
    if (this.#sent === undefined) return this.sendSnapshot(dialog);
    const next = this.o.current();
    const partial = diffMetadata(this.#sent, next);
    if (isEmptyUpdate(partial)) return true;
    const ok = await this.#send(dialog, partial, "partial update");
    if (ok) this.#sent = next;
    return ok;
  }

  async #send(dialog: DialogSession, m: RecordingMetadata, what: string): Promise<boolean> {
    const body = buildRecordingBody({ metadata: buildMetadataXml(m) }, this.o.ids);
    this.o.event("out", `UPDATE (${what})`);
    const r = await dialog.request("UPDATE", { body: body.body, contentType: body.contentType, headers: [{ name: "Content-Disposition", value: "recording-session" }] });
    const status = statusOf(r);
    this.o.event("in", `${status} to UPDATE`);
    if (status >= 300) this.o.warn(`metadata ${what} refused: ${status}`);
    return status < 300;
  }
}
