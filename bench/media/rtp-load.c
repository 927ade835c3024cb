/*
 * Load tools for bench/media-path.bench.ts, on 127.0.0.1 only. A C sender
 * and sink so that neither is the bottleneck of what is measured between them.
 *
 *   rtp-load legs  <pairs-file> <pps-per-leg> <seconds>
 *       Plays FreeSWITCH's tap legs: each line "<src-port> <dst-port>" is one
 *       leg, sent from its own socket bound to <src-port> (FreeSWITCH sends
 *       each leg from the port its SDP offered) to <dst-port>, paced on
 *       absolute deadlines with the legs spread evenly over each 20 ms.
 *       Prints "sent <packets> late_max_us <us>".
 *   rtp-load sink  <port> <seconds> <plain|srtp>
 *       Stands in for the SRS's RTP: one socket (and RTCP on port+1) takes
 *       every stream, for <seconds> or until SIGTERM; counts per SSRC (packets, sequence gaps = lost), and
 *       with plain RTP the added latency from the send time in the payload
 *       (SIGUSR1: from now on only, once the set-up burst is over).
 *       Prints "received <n> streams <s> lost <n> lossy_streams <n>
 *       max_stream_loss <n> p50_us <us> p99_us <us>".
 *   rtp-load pipes <paths-file> <seconds>
 *       Plays FreeSWITCH's media-bug recordings: each line is a named pipe the
 *       daemon holds open; every 20 ms 640 bytes of 16-bit stereo PCM (400 Hz
 *       left, 600 Hz right, whole cycles per frame) are written to each,
 *       paced on absolute deadlines with the pipes spread evenly over the
 *       20 ms, as FreeSWITCH's recording threads write. A full pipe drops
 *       the frame (counted). Prints "written <frames> dropped <n>".
 *   rtp-load relay <pairs-file>
 *       The physical-limit reference on the daemon's socket layout: each line
 *       "<listen-port> <dst-port>" is one tap leg received on its own socket
 *       and sent from an output socket of its own (as the daemon's SRS
 *       streams are), the RTP header rewritten (SSRC, sequence) like the
 *       forker does; epoll + recvmmsg/sendmmsg.
 *
 * Each packet: 12-byte RTP header (PT 0, SSRC = leg + 1), then 8 bytes send
 * time (CLOCK_MONOTONIC ns) and 8 bytes of leg/sequence, padded to 160
 * bytes of payload (20 ms of PCMU).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKT 172
#define BATCH 64
#define MAXLEGS 8192
#define HASH 65536

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static struct sockaddr_in loop(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  return a;
}

static int sock(int port, int rcvbuf) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (rcvbuf) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in a = loop(port);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
    fprintf(stderr, "bind %d: %s\n", port, strerror(errno));
    exit(1);
  }
  return s;
}

static int read_pairs(const char *file, int (*pairs)[2]) {
  FILE *f = fopen(file, "r");
  if (!f) { perror(file); exit(1); }
  int n = 0;
  while (n < MAXLEGS && fscanf(f, "%d %d", &pairs[n][0], &pairs[n][1]) == 2) n++;
  fclose(f);
  return n;
}

static int cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int legs(const char *file, double pps, double secs) {
  static int pairs[MAXLEGS][2];
  static int fds[MAXLEGS];
  static struct sockaddr_in dst[MAXLEGS];
  int n = read_pairs(file, pairs);
  for (int i = 0; i < n; i++) {
    fds[i] = sock(pairs[i][0], 0);
    dst[i] = loop(pairs[i][1]);
  }
  uint64_t start = now_ns(), sent = 0, total = (uint64_t)(pps * secs) * (uint64_t)n, late_max = 0;
  double rate = pps * n; /* packets per second over all legs */
  unsigned char p[PKT];
  memset(p, 0xff, PKT);
  while (sent < total) {
    uint64_t now = now_ns();
    uint64_t due = (uint64_t)((double)(now - start) / 1e9 * rate);
    if (due > total) due = total;
    for (; sent < due; sent++) {
      int leg = (int)(sent % (uint64_t)n);
      uint64_t k = sent / (uint64_t)n, t = now_ns();
      uint64_t deadline = start + (uint64_t)((double)sent / rate * 1e9);
      if (t > deadline && t - deadline > late_max) late_max = t - deadline;
      p[0] = 0x80; p[1] = 0;
      uint16_t sq = htons((uint16_t)k); memcpy(p + 2, &sq, 2);
      uint32_t ts = htonl((uint32_t)k * 160); memcpy(p + 4, &ts, 4);
      uint32_t ss = htonl((uint32_t)leg + 1); memcpy(p + 8, &ss, 4);
      memcpy(p + 12, &t, 8);
      uint64_t id = ((uint64_t)leg << 32) | k; memcpy(p + 20, &id, 8);
      /* A refused send (the daemon's port closed) is FreeSWITCH sending into the void: go on. */
      sendto(fds[leg], p, PKT, 0, (struct sockaddr *)&dst[leg], sizeof dst[leg]);
    }
    usleep(250);
  }
  printf("sent %llu late_max_us %.0f\n", (unsigned long long)sent, late_max / 1e3);
  return 0;
}

static volatile sig_atomic_t stop, reset_latency;
static void on_term(int sig) { (void)sig; stop = 1; }

static int pipes(const char *file, double secs) {
  static char path[4096];
  static int fds[MAXLEGS];
  int n = 0;
  FILE *f = fopen(file, "r");
  if (!f) { perror(file); return 1; }
  while (n < MAXLEGS && fgets(path, sizeof path, f)) {
    path[strcspn(path, "\n")] = 0;
    if (!*path) continue;
    fds[n] = open(path, O_WRONLY | O_NONBLOCK);
    if (fds[n] < 0) { fprintf(stderr, "open %s: %s\n", path, strerror(errno)); return 1; }
    n++;
  }
  fclose(f);
  if (n == 0) return 0;
  int16_t frame[320];
  for (int i = 0; i < 160; i++) {
    frame[2 * i] = (int16_t)(8000 * sin(2 * M_PI * 400 * i / 8000.0));
    frame[2 * i + 1] = (int16_t)(8000 * sin(2 * M_PI * 600 * i / 8000.0));
  }
  signal(SIGTERM, on_term);
  uint64_t start = now_ns(), written = 0, dropped = 0, total = (uint64_t)(50 * secs) * (uint64_t)n;
  double rate = 50.0 * n;
  while (!stop && written + dropped < total) {
    uint64_t due = (uint64_t)((double)(now_ns() - start) / 1e9 * rate);
    if (due > total) due = total;
    for (; written + dropped < due; ) {
      int k = (int)((written + dropped) % (uint64_t)n);
      if (write(fds[k], frame, sizeof frame) == (ssize_t)sizeof frame) written++;
      else dropped++;
    }
    usleep(250);
  }
  printf("written %llu dropped %llu\n", (unsigned long long)written, (unsigned long long)dropped);
  return 0;
}
/* SIGUSR1: latency from now on only (the set-up burst is over); loss counting goes on. */
static void on_usr1(int sig) { (void)sig; reset_latency = 1; }

struct stream { uint32_t ssrc; uint32_t packets; uint32_t first; uint32_t highest; uint16_t last_seq; };

static int sink(int port, double secs, int plain) {
  int s = sock(port, 4 << 20), rtcp = sock(port + 1, 0);
  (void)rtcp; /* bound so the daemon's RTCP is not refused by ICMP; never read */
  struct timeval tv = {0, 100000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t cap = 1 << 23, n = 0, nl = 0;
  uint64_t *lat = malloc(cap * sizeof *lat);
  static struct stream st[MAXLEGS * 2];
  static int slot[HASH]; /* SSRC -> index + 1, open addressing */
  int ns = 0;
  static unsigned char buf[BATCH][2048];
  struct mmsghdr m[BATCH];
  struct iovec io[BATCH];
  uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
  signal(SIGTERM, on_term);
  signal(SIGUSR1, on_usr1);
  printf("ready\n");
  fflush(stdout);
  while (!stop && now_ns() < end) {
    for (int i = 0; i < BATCH; i++) { io[i].iov_base = buf[i]; io[i].iov_len = 2048; memset(&m[i], 0, sizeof m[i]); m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1; }
    int r = recvmmsg(s, m, BATCH, MSG_WAITFORONE, NULL);
    if (r < 0) continue;
    uint64_t t = now_ns();
    for (int i = 0; i < r; i++) {
      unsigned char *b = buf[i];
      if (m[i].msg_len < 12 || (b[1] >= 200 && b[1] <= 207)) continue;
      uint32_t ssrc = ((uint32_t)b[8] << 24) | ((uint32_t)b[9] << 16) | ((uint32_t)b[10] << 8) | b[11];
      uint16_t seq = (uint16_t)((b[2] << 8) | b[3]);
      struct stream *x = NULL;
      uint32_t h = (ssrc * 2654435761u) & (HASH - 1);
      while (slot[h] && st[slot[h] - 1].ssrc != ssrc) h = (h + 1) & (HASH - 1);
      if (slot[h]) x = &st[slot[h] - 1];
      if (!x) {
        if (ns == MAXLEGS * 2) continue;
        slot[h] = ns + 1;
        x = &st[ns++];
        x->ssrc = ssrc; x->packets = 0; x->first = 0x10000u + seq; x->highest = x->first; x->last_seq = seq;
      } else {
        /* Extended sequence (RFC 3550 A.1): a step back of less than half the space is a reorder. */
        uint32_t ext = (x->highest & ~0xffffu) | seq;
        if (ext + 0x8000u < x->highest) ext += 0x10000u;
        else if (ext > x->highest + 0x8000u) ext -= 0x10000u;
        if (ext > x->highest) x->highest = ext;
      }
      x->packets++;
      n++;
      if (plain && m[i].msg_len >= 20) {
        uint64_t sent; memcpy(&sent, b + 12, 8);
        if (reset_latency) { reset_latency = 0; nl = 0; }
        if (nl < cap && t > sent) lat[nl++] = t - sent;
      }
    }
  }
  uint64_t lost = 0, max_loss = 0, lossy = 0;
  for (int j = 0; j < ns; j++) {
    uint64_t expected = (uint64_t)(st[j].highest - st[j].first) + 1;
    uint64_t l = expected > st[j].packets ? expected - st[j].packets : 0;
    lost += l;
    if (l) lossy++;
    if (l > max_loss) max_loss = l;
  }
  qsort(lat, nl, sizeof *lat, cmp);
  printf("received %zu streams %d lost %llu lossy_streams %llu max_stream_loss %llu p50_us %.1f p99_us %.1f\n", n, ns, (unsigned long long)lost,
         (unsigned long long)lossy, (unsigned long long)max_loss, nl ? lat[nl / 2] / 1e3 : 0.0, nl ? lat[(size_t)(nl * 0.99)] / 1e3 : 0.0);
  return 0;
}

static int relay(const char *file) {
  static int pairs[MAXLEGS][2];
  static int in[MAXLEGS], out[MAXLEGS];
  static struct sockaddr_in dst[MAXLEGS];
  static uint16_t seq_off[MAXLEGS];
  int n = read_pairs(file, pairs);
  int ep = epoll_create1(0);
  for (int i = 0; i < n; i++) {
    in[i] = sock(pairs[i][0], 0);
    out[i] = sock(0, 0);
    dst[i] = loop(pairs[i][1]);
    seq_off[i] = (uint16_t)(i * 7919);
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, in[i], &e);
  }
  printf("ready\n");
  fflush(stdout);
  static unsigned char buf[BATCH][2048];
  struct mmsghdr m[BATCH];
  struct iovec io[BATCH];
  struct epoll_event ev[256];
  for (;;) {
    int k = epoll_wait(ep, ev, 256, -1);
    for (int e = 0; e < k; e++) {
      int i = (int)ev[e].data.u32;
      for (int j = 0; j < BATCH; j++) { io[j].iov_base = buf[j]; io[j].iov_len = 2048; memset(&m[j], 0, sizeof m[j]); m[j].msg_hdr.msg_iov = &io[j]; m[j].msg_hdr.msg_iovlen = 1; }
      int r = recvmmsg(in[i], m, BATCH, MSG_DONTWAIT, NULL);
      if (r <= 0) continue;
      for (int j = 0; j < r; j++) {
        unsigned char *b = buf[j];
        uint16_t sq = (uint16_t)(((b[2] << 8) | b[3]) + seq_off[i]);
        b[2] = (unsigned char)(sq >> 8); b[3] = (unsigned char)sq;
        b[8] ^= 0x5a; b[11] ^= 0xa5;
        io[j].iov_len = m[j].msg_len;
        m[j].msg_hdr.msg_name = &dst[i]; m[j].msg_hdr.msg_namelen = sizeof dst[i];
      }
      sendmmsg(out[i], m, r, 0);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && !strcmp(argv[1], "legs")) return legs(argv[2], atof(argv[3]), atof(argv[4]));
  if (argc == 5 && !strcmp(argv[1], "sink")) return sink(atoi(argv[2]), atof(argv[3]), !strcmp(argv[4], "plain"));
  if (argc == 3 && !strcmp(argv[1], "relay")) return relay(argv[2]);
  if (argc == 4 && !strcmp(argv[1], "pipes")) return pipes(argv[2], atof(argv[3]));
  fprintf(stderr, "usage: rtp-load legs <pairs> <pps> <s> | sink <port> <s> <plain|srtp> | relay <pairs> | pipes <paths> <s>\n");
  return 2;
}
