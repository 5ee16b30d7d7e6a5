/* SPDX-License-Identifier: MIT */
/*
 * A small HTTP/1.1 load generator for the benchmarks: an open-loop paced
 * mode that measures latency from each request's intended start (so a
 * stalled server is not hidden by the client slowing down), and a closed
 * mode that sends a fixed number of requests as fast as the connections go.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   256
#define MAX_HEADERS 16
#define RBUF_SIZE   65536

struct conn {
	int fd;
	bool busy;
	char *req; /* the request being written */
	size_t reqlen;
	size_t reqoff;
	char rbuf[RBUF_SIZE];
	size_t rlen;
	double start; /* intended start, seconds */
};

struct opts {
	const char *host;
	int port;
	const char *path;
	const char *method;
	const char *headers[MAX_HEADERS];
	int nheaders;
	char *body;
	size_t bodylen;
	int conns;
	double rate;     /* requests/s; 0: closed loop */
	double duration; /* seconds (paced mode) */
	double warmup;   /* seconds not recorded (paced mode) */
	long count;      /* requests (closed mode) */
	bool delivery;   /* add a unique X-GitHub-Delivery */
	FILE *timeline;  /* per-second count and max, or NULL */
};

#define TIMELINE_SECS 3600

struct stats {
	double *lat;
	size_t n;
	size_t cap;
	long ok;
	long non2xx;
	long errors;
	long sec_n[TIMELINE_SECS]; /* by intended start second */
	double sec_max[TIMELINE_SECS];
};

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -u http://HOST:PORT/PATH [-b BODY] "
	    "[-H 'Name: value']... [-g] [-c CONNS] [-t TIMELINE]\n"
	    "\t(-r RATE -d SECONDS [-w WARMUP] | -n COUNT)\n");
	exit(2);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f;
	char *p = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) == -1 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1 ||
	    (p = malloc((size_t)n + 1)) == NULL ||
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "loadgen: cannot read '%s'\n", path);
		exit(2);
	}
	(void)fclose(f);
	*len = (size_t)n;
	return p;
}

static void
parse_url(struct opts *o, const char *url)
{
	static char host[256];
	const char *p, *colon, *slash;

	if (strncmp(url, "http://", 7) != 0)
		usage();
	p = url + 7;
	slash = strchr(p, '/');
	colon = strchr(p, ':');
	if (slash == NULL || colon == NULL || colon > slash ||
	    (size_t)(colon - p) >= sizeof(host))
		usage();
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	o->host = host;
	o->port = atoi(colon + 1);
	o->path = slash;
}

/* Build request number 'seq' into c->req. */
static int
build_request(const struct opts *o, struct conn *c, long seq)
{
	size_t cap = 1024 + o->bodylen;
	size_t off = 0;
	int n;

	free(c->req);
	if ((c->req = malloc(cap)) == NULL)
		return -1;
	n = snprintf(c->req, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n",
	    o->method, o->path, o->host, o->port);
	off += (size_t)n;
	for (int i = 0; i < o->nheaders; i++) {
		n = snprintf(c->req + off, cap - off, "%s\r\n", o->headers[i]);
		if (n < 0 || (size_t)n >= cap - off)
			return -1;
		off += (size_t)n;
	}
	if (o->delivery) {
		n = snprintf(c->req + off, cap - off,
		    "X-GitHub-Delivery: loadgen-%ld-%ld\r\n", (long)getpid(),
		    seq);
		off += (size_t)n;
	}
	if (o->body != NULL) {
		n = snprintf(c->req + off, cap - off, "Content-Length: %zu\r\n",
		    o->bodylen);
		off += (size_t)n;
	}
	if (off + 2 + o->bodylen > cap)
		return -1;
	memcpy(c->req + off, "\r\n", 2);
	off += 2;
	if (o->body != NULL) {
		memcpy(c->req + off, o->body, o->bodylen);
		off += o->bodylen;
	}
	c->reqlen = off;
	c->reqoff = 0;
	return 0;
}

static int
conn_open(const struct opts *o, struct conn *c)
{
	struct sockaddr_in sin;
	int one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->host, &sin.sin_addr) != 1)
		return -1;
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		(void)close(c->fd);
		c->fd = -1;
		return -1;
	}
	(void)fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	c->rlen = 0;
	return 0;
}

static void
record(struct stats *s, double lat)
{
	if (s->n == s->cap) {
		size_t cap = s->cap == 0 ? 65536 : s->cap * 2;
		double *p = realloc(s->lat, cap * sizeof(*p));

		if (p == NULL) {
			perror("loadgen");
			exit(1);
		}
		s->lat = p;
		s->cap = cap;
	}
	s->lat[s->n++] = lat;
}

/*
 * Look for a whole response in c->rbuf.  Returns its length and sets
 * *status and *close_after, 0 when more bytes are needed, -1 when the
 * response cannot be parsed (no Content-Length).
 */
static ssize_t
response_complete(struct conn *c, int *status, bool *close_after)
{
	char *end, *p;
	size_t head, clen = 0;
	bool have_len = false;

	c->rbuf[c->rlen < RBUF_SIZE ? c->rlen : RBUF_SIZE - 1] = '\0';
	if ((end = strstr(c->rbuf, "\r\n\r\n")) == NULL)
		return c->rlen >= RBUF_SIZE - 1 ? -1 : 0;
	head = (size_t)(end - c->rbuf) + 4;
	*status = atoi(c->rbuf + 9);
	*close_after = false;
	for (p = strstr(c->rbuf, "\r\n"); p != NULL && p < end;
	     p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0) {
			clen = strtoul(p + 17, NULL, 10);
			have_len = true;
		} else if (strncasecmp(p + 2, "Connection: close", 17) == 0)
			*close_after = true;
	}
	if (!have_len || head + clen >= RBUF_SIZE)
		return -1;
	if (c->rlen < head + clen)
		return 0;
	return (ssize_t)(head + clen);
}

static void
report(const struct opts *o, struct stats *s, double elapsed)
{
	double pct[] = { 0.50, 0.90, 0.99, 0.999 };

	/* Paced: the rate of the measured window; closed: of the whole run. */
	printf("LOADGEN conns=%d rate_target=%.1f requests=%ld measured=%zu "
	       "non2xx=%ld errors=%ld elapsed_s=%.3f rate=%.1f",
	    o->conns, o->rate, s->ok + s->non2xx, s->n, s->non2xx, s->errors,
	    elapsed,
	    (double)(o->rate > 0 ? (long)s->n : s->ok + s->non2xx) / elapsed);
	if (s->n > 0) {
		for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
			size_t k = (size_t)(pct[i] * (double)s->n);

			if (k >= s->n)
				k = s->n - 1;
			printf(" p%g_ms=%.3f", pct[i] * 100, s->lat[k] * 1e3);
		}
		printf(" max_ms=%.3f", s->lat[s->n - 1] * 1e3);
	}
	printf("\n");
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS];
	struct opts o;
	struct stats s;
	double t0, tend, t;
	long issued = 0, done = 0;
	int ch;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	o.conns = 1;
	while ((ch = getopt(argc, argv, "u:b:H:gc:r:d:w:n:t:")) != -1) {
		switch (ch) {
		case 'u':
			parse_url(&o, optarg);
			break;
		case 'b':
			o.body = read_file(optarg, &o.bodylen);
			break;
		case 'H':
			if (o.nheaders == MAX_HEADERS)
				usage();
			o.headers[o.nheaders++] = optarg;
			break;
		case 'g':
			o.delivery = true;
			break;
		case 'c':
			o.conns = atoi(optarg);
			break;
		case 'r':
			o.rate = strtod(optarg, NULL);
			break;
		case 'd':
			o.duration = strtod(optarg, NULL);
			break;
		case 'w':
			o.warmup = strtod(optarg, NULL);
			break;
		case 'n':
			o.count = atol(optarg);
			break;
		case 't':
			if ((o.timeline = fopen(optarg, "w")) == NULL) {
				perror(optarg);
				return 2;
			}
			break;
		default:
			usage();
		}
	}
	if (o.host == NULL || o.conns < 1 || o.conns > MAX_CONNS ||
	    (o.rate > 0 && o.duration <= 0) || (o.rate <= 0 && o.count <= 0))
		usage();
	o.method = o.body != NULL ? "POST" : "GET";
	for (int i = 0; i < o.conns; i++)
		if (conn_open(&o, &conns[i]) == -1) {
			perror("loadgen: connect");
			return 1;
		}

	t0 = now();
	tend = o.rate > 0 ? t0 + o.warmup + o.duration : 0;
	for (;;) {
		int timeout = 100, n;
		long due;

		t = now();
		if (o.rate > 0) {
			if (t >= tend && issued == done)
				break;
			due = t >= tend ? (long)((tend - t0) * o.rate)
			                : (long)((t - t0) * o.rate) + 1;
		} else {
			if (done >= o.count)
				break;
			due = o.count;
		}
		/* Hand due requests to idle connections, oldest first. */
		for (int i = 0; i < o.conns && issued < due; i++) {
			struct conn *c = &conns[i];

			if (c->busy)
				continue;
			if (c->fd == -1 && conn_open(&o, c) == -1) {
				s.errors++;
				continue;
			}
			if (build_request(&o, c, issued) == -1) {
				fprintf(stderr, "loadgen: request too big\n");
				return 1;
			}
			c->start =
			    o.rate > 0 ? t0 + (double)issued / o.rate : now();
			c->busy = true;
			c->rlen = 0;
			issued++;
		}
		for (int i = 0; i < o.conns; i++) {
			struct conn *c = &conns[i];

			pfd[i].fd = c->busy ? c->fd : -1;
			pfd[i].events =
			    c->reqoff < c->reqlen ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		if (o.rate > 0 && issued < (long)((tend - t0) * o.rate)) {
			double next = t0 + (double)issued / o.rate - now();

			timeout = next <= 0 ? 0 : (int)(next * 1e3) + 1;
			if (timeout > 100)
				timeout = 100;
		}
		/* Every connection busy and requests due: wait for one. */
		if ((n = poll(pfd, (nfds_t)o.conns, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			perror("loadgen: poll");
			return 1;
		}
		for (int i = 0; i < o.conns && n > 0; i++) {
			struct conn *c = &conns[i];
			ssize_t r;
			int status = 0;
			bool close_after = false;

			if (pfd[i].revents == 0)
				continue;
			if (c->reqoff < c->reqlen) {
				r = write(c->fd, c->req + c->reqoff,
				    c->reqlen - c->reqoff);
				if (r > 0)
					c->reqoff += (size_t)r;
				else if (r == -1 && errno == EAGAIN)
					continue;
				else
					goto fail;
				continue;
			}
			r = read(c->fd, c->rbuf + c->rlen,
			    RBUF_SIZE - 1 - c->rlen);
			if (r == -1 && errno == EAGAIN)
				continue;
			if (r <= 0)
				goto fail;
			c->rlen += (size_t)r;
			r = response_complete(c, &status, &close_after);
			if (r == 0)
				continue;
			if (r == -1)
				goto fail;
			t = now();
			if (status >= 200 && status < 300)
				s.ok++;
			else
				s.non2xx++;
			if (c->start >= t0 + o.warmup)
				record(&s, t - c->start);
			if (c->start - t0 < TIMELINE_SECS) {
				size_t k = (size_t)(c->start - t0);

				s.sec_n[k]++;
				if (t - c->start > s.sec_max[k])
					s.sec_max[k] = t - c->start;
			}
			c->busy = false;
			done++;
			if (close_after) {
				(void)close(c->fd);
				c->fd = -1;
			}
			continue;
fail:
			/* The request failed: count it and reconnect later. */
			s.errors++;
			done++;
			c->busy = false;
			(void)close(c->fd);
			c->fd = -1;
		}
	}
	if (o.timeline != NULL) {
		/* second, requests started in it, slowest of them (ms) */
		for (size_t k = 0; k < TIMELINE_SECS && s.sec_n[k] > 0; k++)
			fprintf(o.timeline, "%zu %ld %.3f\n", k, s.sec_n[k],
			    s.sec_max[k] * 1e3);
		(void)fclose(o.timeline);
	}
	qsort(s.lat, s.n, sizeof(*s.lat), cmp_double);
	report(&o, &s, o.rate > 0 ? o.duration : now() - t0);
	return s.errors > 0 ? 1 : 0;
}
