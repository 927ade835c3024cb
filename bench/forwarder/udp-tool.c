/*
 * Load tools for bench/forwarder.bench.ts, on 127.0.0.1 only.
 *   udp-tool send  <dst-port> <streams> <pps> <seconds>   paced RTP-shaped sender (sendmmsg)
 *   udp-tool sink  <port> <seconds>                       counts, loss, added latency (recvmmsg)
 *   udp-tool relay <port> <dst-port>                      reference relay: recvmmsg -> sendmmsg
 * Each packet: 12-byte RTP header (SSRC = stream), then 8 bytes send time
 * (CLOCK_MONOTONIC ns) and 8 bytes global sequence, padded to 172 bytes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKT 172
#define BATCH 64

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int sock(int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 16 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (port && bind(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); exit(1); }
  return s;
}

static struct sockaddr_in to(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  return a;
}

static int cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (!strcmp(argv[1], "send") && argc == 6) {
    int s = sock(0), streams = atoi(argv[3]);
    double pps = atof(argv[4]), secs = atof(argv[5]);
    struct sockaddr_in d = to(atoi(argv[2]));
    static unsigned char buf[BATCH][PKT];
    struct mmsghdr m[BATCH];
    struct iovec io[BATCH];
    uint16_t *seq = calloc(streams, 2);
    uint64_t start = now_ns(), sent = 0, total = (uint64_t)(pps * secs);
    while (sent < total) {
      uint64_t due = (uint64_t)((now_ns() - start) / 1e9 * pps);
      if (due > total) due = total;
      while (sent < due) {
        int n = due - sent > BATCH ? BATCH : (int)(due - sent);
        for (int i = 0; i < n; i++) {
          uint64_t g = sent + i, t = now_ns();
          uint32_t ssrc = (uint32_t)(g % streams);
          unsigned char *p = buf[i];
          memset(p, 0xff, PKT);
          p[0] = 0x80; p[1] = 0;
          uint16_t sq = htons(seq[ssrc]++); memcpy(p + 2, &sq, 2);
          uint32_t ts = htonl((uint32_t)(g / streams) * 160); memcpy(p + 4, &ts, 4);
          uint32_t ss = htonl(ssrc + 1); memcpy(p + 8, &ss, 4);
          memcpy(p + 12, &t, 8); memcpy(p + 20, &g, 8);
          io[i].iov_base = p; io[i].iov_len = PKT;
          memset(&m[i], 0, sizeof m[i]);
          m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1;
          m[i].msg_hdr.msg_name = &d; m[i].msg_hdr.msg_namelen = sizeof d;
        }
        int r = sendmmsg(s, m, n, 0);
        if (r > 0) sent += r;
      }
      usleep(200);
    }
    printf("sent %llu\n", (unsigned long long)sent);
    return 0;
  }
  if (!strcmp(argv[1], "sink") && argc == 4) {
    int s = sock(atoi(argv[2]));
    double secs = atof(argv[3]);
    struct timeval tv = {0, 100000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t cap = 1 << 22, n = 0;
    uint64_t *lat = malloc(cap * sizeof *lat);
    static unsigned char buf[BATCH][2048];
    struct mmsghdr m[BATCH];
    struct iovec io[BATCH];
    uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9);
    while (now_ns() < end) {
      for (int i = 0; i < BATCH; i++) { io[i].iov_base = buf[i]; io[i].iov_len = 2048; memset(&m[i], 0, sizeof m[i]); m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1; }
      int r = recvmmsg(s, m, BATCH, MSG_WAITFORONE, NULL);
      uint64_t t = now_ns();
      for (int i = 0; i < r; i++) {
        if (m[i].msg_len < 28) continue;
        uint64_t st; memcpy(&st, buf[i] + 12, 8);
        if (n < cap) lat[n] = t - st;
        n++;
      }
    }
    size_t k = n < cap ? n : cap;
    qsort(lat, k, sizeof *lat, cmp);
    printf("received %zu p50_us %.1f p99_us %.1f\n", n, k ? lat[k / 2] / 1e3 : 0.0, k ? lat[(size_t)(k * 0.99)] / 1e3 : 0.0);
    return 0;
  }
  if (!strcmp(argv[1], "relay") && argc == 4) {
    int s = sock(atoi(argv[2])), o = sock(0);
    struct sockaddr_in d = to(atoi(argv[3]));
    static unsigned char buf[BATCH][2048];
    struct mmsghdr m[BATCH];
    struct iovec io[BATCH];
    for (;;) {
      for (int i = 0; i < BATCH; i++) { io[i].iov_base = buf[i]; io[i].iov_len = 2048; memset(&m[i], 0, sizeof m[i]); m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1; }
      int r = recvmmsg(s, m, BATCH, MSG_WAITFORONE, NULL);
      if (r <= 0) continue;
      for (int i = 0; i < r; i++) { io[i].iov_len = m[i].msg_len; m[i].msg_hdr.msg_name = &d; m[i].msg_hdr.msg_namelen = sizeof d; }
      sendmmsg(o, m, r, 0);
    }
  }
  return 2;
}
