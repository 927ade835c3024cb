/*
 * Independent SRTP/SRTCP decryption with libsrtp2 (Debian libsrtp2-dev), to
 * check siprec's SRTP against another implementation.
 *
 * stdin:  line 1: suite (AES_CM_128_HMAC_SHA1_80 | AES_CM_128_HMAC_SHA1_32 | AEAD_AES_128_GCM)
 *         line 2: master key || salt, hex (30 bytes; 28 for AEAD_AES_128_GCM)
 *         then:   "rtp <hex>" or "rtcp <hex>" per packet
 * stdout: "ok <hex plaintext>" or "fail <srtp_err_status>" per packet
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unhex(const char *s, unsigned char *out, int max) {
  int n = 0;
  while (s[0] && s[1] && n < max) {
    unsigned int v;
    if (sscanf(s, "%2x", &v) != 1) break;
    out[n++] = (unsigned char)v;
    s += 2;
  }
  return n;
}

int main(void) {
  static char line[70000];
  static unsigned char buf[35000];
  unsigned char key[64];
  char suite[64];
  if (!fgets(suite, sizeof suite, stdin) || !fgets(line, sizeof line, stdin)) return 2;
  suite[strcspn(suite, "\r\n")] = 0;
  int gcm = strcmp(suite, "AEAD_AES_128_GCM") == 0;
  if (unhex(line, key, sizeof key) != (gcm ? 28 : 30)) return 3;
  if (srtp_init() != srtp_err_status_ok) return 4;
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  if (gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    if (strcmp(suite, "AES_CM_128_HMAC_SHA1_32") == 0) srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
    else srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  policy.ssrc.type = ssrc_any_inbound;
  policy.key = key;
  policy.window_size = 1024;
  srtp_t session;
  if (srtp_create(&session, &policy) != srtp_err_status_ok) return 5;
  while (fgets(line, sizeof line, stdin)) {
    int rtcp = strncmp(line, "rtcp ", 5) == 0;
    int len = unhex(line + (rtcp ? 5 : 4), buf, sizeof buf);
    srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(session, buf, &len) : srtp_unprotect(session, buf, &len);
    if (st != srtp_err_status_ok) {
      printf("fail %d\n", (int)st);
      continue;
    }
    printf("ok ");
    for (int i = 0; i < len; i++) printf("%02x", buf[i]);
    printf("\n");
  }
  srtp_dealloc(session);
  return 0;
}
