/*
 * Independent G.722 (64 kbit/s) with spandsp (Debian libspandsp-dev), to
 * check siprec's G.722 encoder and decoder against another implementation.
 *
 * usage:  g722-check enc   < 16 kHz s16le PCM   > G.722 octets
 *         g722-check dec   < G.722 octets       > 16 kHz s16le PCM
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <spandsp.h>

int main(int argc, char **argv) {
  static int16_t pcm[320];
  static uint8_t code[160];
  if (argc != 2) return 2;
  if (strcmp(argv[1], "enc") == 0) {
    g722_encode_state_t *s = g722_encode_init(NULL, 64000, 0);
    size_t n;
    while ((n = fread(pcm, 2, 320, stdin)) > 0) {
      int m = g722_encode(s, code, pcm, (int)n);
      fwrite(code, 1, (size_t)m, stdout);
    }
    return 0;
  }
  if (strcmp(argv[1], "dec") == 0) {
    g722_decode_state_t *s = g722_decode_init(NULL, 64000, 0);
    size_t n;
    while ((n = fread(code, 1, 160, stdin)) > 0) {
      int m = g722_decode(s, pcm, code, (int)n);
      fwrite(pcm, 2, (size_t)m, stdout);
    }
    return 0;
  }
  return 2;
}
