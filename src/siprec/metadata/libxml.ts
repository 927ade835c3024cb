/**
 * libxml2 (WebAssembly) is loaded on first use: instantiating it costs
 * ~20 ms, which commands that never touch XML must not pay at start-up.
 */
export type Libxml = typeof import("libxml2-wasm");

let loading: Promise<Libxml> | undefined;

export function loadLibxml(): Promise<Libxml> {
  loading ??= import("libxml2-wasm");
  return loading;
}
