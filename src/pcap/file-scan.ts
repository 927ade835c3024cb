/** A capture file read in one streaming pass into a CaptureScan (capture-scan.ts). */
import { CaptureScan, type Scan, type ScanOptions, type ScanResult } from "./capture-scan.ts";

export type { ScanOptions, ScanResult } from "./capture-scan.ts";

export async function scanCapture(file: string, o: ScanOptions): Promise<ScanResult> {
  const scan = new CaptureScan(file, o);
  try {
    for await (const chunk of Bun.file(file).stream()) if (!scan.push(chunk)) break;
  } catch (e) {
    return { ok: false, message: `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
  return scan.finish();
}

/** The scanner of one file. */
export function fileScan(file: string): Scan {
  return (o) => scanCapture(file, o);
}
