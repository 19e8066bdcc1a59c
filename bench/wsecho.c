// WebSocket echo backend and load client for bench/ws.sh: one thread, epoll, no library but
// OpenSSL's libcrypto (SHA-1 and base64 for the handshake). Small enough not to be the bottleneck:
// ws.sh checks that the client against this server directly is clearly faster than through a proxy.
//
//   wsecho server PORT
//       Answers every WebSocket handshake on 127.0.0.1:PORT (any path) and echoes each data frame
//       back unmasked, with the opcode and FIN it came with; answers a ping with a pong and a close
//       with a close. Runs until killed.
//   wsecho client PORT PATH CONNS WARMUP_S DURATION_S SIZE [INFLIGHT]
//       Opens CONNS connections to 127.0.0.1:PORT, does the handshake on each (checks the 101 and
//       Sec-WebSocket-Accept), then keeps INFLIGHT (default 1) masked binary messages of SIZE bytes
//       in flight on each: a message is sent when an echo comes back. Counts the echoes of the
//       DURATION_S seconds after WARMUP_S, and prints one line:
//       RESULT mps=... p50_us=... p90_us=... p99_us=... p999_us=... max_us=... messages=...
//              conns=... closed=... bad=...
//       (the latency is from a message's send to its echo's last byte; closed: connections the peer
//       closed during the run; bad: echoes that did not match what was sent).
//
// Build: gcc -O2 -o wsecho wsecho.c -lcrypto
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP (256 * 1024)
#define OUT_CAP (1024 * 1024)
static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

typedef struct {
  int fd;
  int open;        // handshake done
  int want_write;  // EPOLLOUT armed
  size_t in_len, out_len, out_off;
  unsigned char *in, *out;
  // client side
  int inflight;
  uint64_t sent_ns[64];  // send times of the messages in flight, oldest first
  int sent_head;
} conn;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

static void nonblock(int fd) {
  int one = 1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static conn *conn_new(int fd) {
  conn *c = calloc(1, sizeof *c);
  c->fd = fd;
  c->in = malloc(IN_CAP);
  c->out = malloc(OUT_CAP);
  if (!c || !c->in || !c->out) die("malloc");
  return c;
}

static void conn_free(int ep, conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

// Writes what is queued; arms EPOLLOUT while some is left. Returns -1 when the connection broke.
static int flush_out(int ep, conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) break;
      return -1;
    }
    c->out_off += n;
  }
  if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
  int want = c->out_len > 0;
  if (want != c->want_write) {
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_write = want;
  }
  return 0;
}

static int queue(conn *c, const void *p, size_t n) {
  if (c->out_off > 0 && c->out_len + n > OUT_CAP) {
    memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
    c->out_len -= c->out_off;
    c->out_off = 0;
  }
  if (c->out_len + n > OUT_CAP) return -1;
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  return 0;
}

// Reads what there is. Returns bytes read (0: nothing now), or -1 when the peer closed or broke.
static ssize_t fill_in(conn *c) {
  ssize_t total = 0;
  while (c->in_len < IN_CAP) {
    ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EAGAIN) break;
      return -1;
    }
    c->in_len += n;
    total += n;
  }
  return total;
}

static void consume(conn *c, size_t n) {
  memmove(c->in, c->in + n, c->in_len - n);
  c->in_len -= n;
}

// A frame's header: returns its length (0 if incomplete), sets the payload's length and mask.
static size_t frame_header(const unsigned char *p, size_t avail, uint64_t *len, const unsigned char **mask) {
  if (avail < 2) return 0;
  size_t h = 2;
  uint64_t l = p[1] & 0x7f;
  if (l == 126) {
    if (avail < 4) return 0;
    l = ((uint64_t)p[2] << 8) | p[3];
    h = 4;
  } else if (l == 127) {
    if (avail < 10) return 0;
    l = 0;
    for (int i = 0; i < 8; i++) l = (l << 8) | p[2 + i];
    h = 10;
  }
  *mask = NULL;
  if (p[1] & 0x80) {
    if (avail < h + 4) return 0;
    *mask = p + h;
    h += 4;
  }
  *len = l;
  return h;
}

static size_t put_header(unsigned char *p, int b0, uint64_t len, int masked) {
  size_t h = 2;
  p[0] = b0;
  int m = masked ? 0x80 : 0;
  if (len < 126) {
    p[1] = m | len;
  } else if (len < 65536) {
    p[1] = m | 126;
    p[2] = len >> 8;
    p[3] = len;
    h = 4;
  } else {
    p[1] = m | 127;
    for (int i = 0; i < 8; i++) p[2 + i] = len >> (8 * (7 - i));
    h = 10;
  }
  return h;
}

// ---- server ----------------------------------------------------------------------------------

static int server_handshake(conn *c) {
  c->in[c->in_len < IN_CAP ? c->in_len : IN_CAP - 1] = 0;
  char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
  if (!end) return c->in_len >= IN_CAP - 1 ? -1 : 0;
  size_t head = end + 4 - (char *)c->in;
  char *key = NULL;
  for (char *line = strstr((char *)c->in, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "Sec-WebSocket-Key:", 18) == 0) {
      key = line + 20;
      while (*key == ' ') key++;
      break;
    }
  }
  if (!key) {
    const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    queue(c, bad, sizeof bad - 1);
    return -1;
  }
  size_t klen = strcspn(key, " \r\n");
  char buf[128];
  unsigned char sha[SHA_DIGEST_LENGTH];
  char accept[64];
  snprintf(buf, sizeof buf, "%.*s%s", (int)klen, key, GUID);
  SHA1((unsigned char *)buf, strlen(buf), sha);
  EVP_EncodeBlock((unsigned char *)accept, sha, SHA_DIGEST_LENGTH);
  char resp[256];
  int n = snprintf(resp, sizeof resp,
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n\r\n",
                   accept);
  queue(c, resp, n);
  consume(c, head);
  c->open = 1;
  return 1;
}

// Echoes every complete frame in the input. Returns -1 to close the connection.
static int server_frames(conn *c) {
  size_t off = 0;
  int closing = 0;
  while (!closing) {
    uint64_t len;
    const unsigned char *mask;
    size_t h = frame_header(c->in + off, c->in_len - off, &len, &mask);
    if (!h || c->in_len - off - h < len) break;
    if (len + 14 > OUT_CAP) return -1;
    unsigned char *p = c->in + off + h;
    if (mask)
      for (uint64_t i = 0; i < len; i++) p[i] ^= mask[i & 3];
    int op = c->in[off] & 0x0f, b0 = c->in[off];
    if (op == 0x9) b0 = (b0 & 0xf0) | 0xa;  // ping: pong
    if (op == 0xa) {                        // an unsolicited pong: nothing to answer
      off += h + len;
      continue;
    }
    if (op == 0x8) closing = 1;
    unsigned char hdr[14];
    size_t hl = put_header(hdr, b0, len, 0);
    if (queue(c, hdr, hl) < 0 || queue(c, p, len) < 0) return -1;
    off += h + len;
  }
  if (off) consume(c, off);
  if (c->in_len == IN_CAP) return -1;  // a frame larger than the buffer
  return closing ? -1 : 0;
}

static int run_server(int port) {
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(ls, 4096) < 0) die("listen");
  nonblock(ls);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept(ls, NULL, NULL)) >= 0) {
          nonblock(fd);
          conn *nc = conn_new(fd);
          struct epoll_event e = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        continue;
      }
      int bad = 0;
      if (evs[i].events & EPOLLIN) {
        if (fill_in(c) < 0) bad = 1;
        if (!c->open && server_handshake(c) < 0) bad = 1;
        if (c->open && server_frames(c) < 0) bad = 1;
      }
      if (evs[i].events & (EPOLLERR | EPOLLHUP)) bad = 1;
      if (flush_out(ep, c) < 0 || bad) conn_free(ep, c);
    }
  }
  return 0;
}

// ---- client ----------------------------------------------------------------------------------

static uint32_t *lat;
static size_t lat_len, lat_cap;
static unsigned char *payload;
static size_t size;
static uint32_t rng = 2463534242u;

static int cmp_u32(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return a < b ? -1 : a > b;
}

static int send_message(conn *c) {
  unsigned char hdr[14], mask[4], buf[65536 + 14];
  rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
  memcpy(mask, &rng, 4);
  size_t h = put_header(hdr, 0x82, size, 1);
  memcpy(buf, hdr, h);
  memcpy(buf + h, mask, 4);
  for (size_t i = 0; i < size; i++) buf[h + 4 + i] = payload[i] ^ mask[i & 3];
  if (queue(c, buf, h + 4 + size) < 0) return -1;
  c->sent_ns[(c->sent_head + c->inflight) % 64] = now_ns();
  c->inflight++;
  return 0;
}

static int run_client(int port, const char *path, int conns, double warmup, double duration, int inflight) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  payload = malloc(size);
  for (size_t i = 0; i < size; i++) payload[i] = "hello, world\n"[i % 13];
  int ep = epoll_create1(0);
  char req[512];
  int reqlen = snprintf(req, sizeof req,
                        "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                        path, port);
  // The key of RFC 6455's example, and the accept it gives.
  const char *want_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
  conn **all = calloc(conns, sizeof *all);
  for (int i = 0; i < conns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    nonblock(fd);
    all[i] = conn_new(fd);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = all[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    queue(all[i], req, reqlen);
    flush_out(ep, all[i]);
  }
  uint64_t start = now_ns(), t_measure = start + (uint64_t)(warmup * 1e9),
           t_end = t_measure + (uint64_t)(duration * 1e9), deadline_open = start + 30000000000ull;
  int opened = 0, closed = 0, live = conns;
  uint64_t measured = 0, bad = 0;
  int measuring = 0;
  struct epoll_event evs[256];
  while (live > 0) {
    uint64_t t = now_ns();
    if (opened < conns && t > deadline_open) {
      fprintf(stderr, "wsecho: only %d of %d handshakes done in 30 s\n", opened, conns);
      return 1;
    }
    if (opened == conns && !measuring && t >= t_measure) {
      measuring = 1;
      t_measure = t;
      lat_len = 0;
    }
    if (measuring && t >= t_end) break;
    int n = epoll_wait(ep, evs, 256, 50);
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (!c) continue;
      int broken = 0;
      if (evs[i].events & EPOLLIN) {
        if (fill_in(c) < 0) broken = 1;
        if (!c->open) {
          char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
          if (end) {
            *end = 0;
            char *acc = strcasestr((char *)c->in, "Sec-WebSocket-Accept:");
            if (strncmp((char *)c->in, "HTTP/1.1 101", 12) != 0 || !acc || !strstr(acc, want_accept)) {
              fprintf(stderr, "wsecho: handshake refused:\n%s\n", (char *)c->in);
              return 1;
            }
            consume(c, end + 4 - (char *)c->in);
            c->open = 1;
            opened++;
            if (opened == conns) {
              // All open: now every connection starts its messages (warm-up counts from here).
              t_measure = now_ns() + (uint64_t)(warmup * 1e9);
              t_end = t_measure + (uint64_t)(duration * 1e9);
              for (int k = 0; k < conns; k++) {
                if (!all[k]) continue;
                for (int m = 0; m < inflight; m++) send_message(all[k]);
                if (flush_out(ep, all[k]) < 0) fprintf(stderr, "wsecho: send failed\n");
              }
            }
          }
        }
        if (c->open) {
          size_t off = 0;
          for (;;) {
            uint64_t len;
            const unsigned char *mask;
            size_t h = frame_header(c->in + off, c->in_len - off, &len, &mask);
            if (!h || c->in_len - off - h < len) break;
            if (len != size || memcmp(c->in + off + h, payload, size) != 0) bad++;
            off += h + len;
            if (c->inflight > 0) {
              uint64_t t1 = now_ns(), us = (t1 - c->sent_ns[c->sent_head]) / 1000;
              c->sent_head = (c->sent_head + 1) % 64;
              c->inflight--;
              if (measuring) {
                measured++;
                if (lat_len == lat_cap) {
                  lat_cap = lat_cap ? lat_cap * 2 : 1 << 20;
                  lat = realloc(lat, lat_cap * sizeof *lat);
                }
                lat[lat_len++] = us > UINT32_MAX ? UINT32_MAX : us;
              }
              if (send_message(c) < 0) broken = 1;
            }
          }
          if (off) consume(c, off);
        }
      }
      if (evs[i].events & (EPOLLERR | EPOLLHUP)) broken = 1;
      if (!broken && flush_out(ep, c) < 0) broken = 1;
      if (broken) {
        closed++;
        live--;
        for (int k = 0; k < conns; k++)
          if (all[k] == c) all[k] = NULL;
        conn_free(ep, c);
      }
    }
  }
  double secs = (now_ns() - t_measure) / 1e9;
  if (!measuring || lat_len == 0) {
    fprintf(stderr, "wsecho: no echo measured (%d of %d opened, %d closed)\n", opened, conns, closed);
    return 1;
  }
  qsort(lat, lat_len, sizeof *lat, cmp_u32);
#define PCT(p) lat[(size_t)((p) / 100.0 * lat_len) < lat_len ? (size_t)((p) / 100.0 * lat_len) : lat_len - 1]
  printf("RESULT mps=%.1f p50_us=%u p90_us=%u p99_us=%u p999_us=%u max_us=%u messages=%llu conns=%d closed=%d bad=%llu\n",
         measured / secs, PCT(50), PCT(90), PCT(99), PCT(99.9), lat[lat_len - 1], (unsigned long long)measured,
         conns, closed, (unsigned long long)bad);
  return closed || bad ? 2 : 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "server") == 0) return run_server(atoi(argv[2]));
  if ((argc == 8 || argc == 9) && strcmp(argv[1], "client") == 0) {
    size = strtoul(argv[7], NULL, 10);
    int inflight = argc == 9 ? atoi(argv[8]) : 1;
    if (size > 65536 || inflight < 1 || inflight > 64) {
      fprintf(stderr, "wsecho: SIZE up to 65536, INFLIGHT 1 to 64\n");
      return 64;
    }
    return run_client(atoi(argv[2]), argv[3], atoi(argv[4]), atof(argv[5]), atof(argv[6]), inflight);
  }
  fprintf(stderr,
          "usage: wsecho server PORT\n"
          "       wsecho client PORT PATH CONNS WARMUP_S DURATION_S SIZE [INFLIGHT]\n");
  return 64;
}
