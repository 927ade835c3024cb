/** The signal that checks G.722 against spandsp (src/media/g722.test.ts, test/integration/g722.test.ts). */
/**
 * The check signal: 3 s at 16 kHz of a 440 Hz tone, a rising chirp from
 * 5.2 kHz (the higher sub-band) and noise, at three levels (the last one
 * clips). A linear congruential generator makes the noise, so the bytes are
 * the same on every machine.
 */
export function checkSignal(): Int16Array {
  const n = 16000 * 3;
  const pcm = new Int16Array(n);
  let seed = 1;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed / 0x7fffffff) * 2 - 1;
  };
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    const amp = i < 16000 ? 8000 : i < 32000 ? 20000 : 32767;
    const v = amp * 0.5 * Math.sin(2 * Math.PI * 440 * t) + amp * 0.3 * Math.sin(2 * Math.PI * 5200 * t * (1 + t)) + amp * 0.2 * rnd();
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return pcm;
}
