/* The load generator of bench/loadgen.py in C: N keep-alive connections on one epoll loop,
 * each sending one request after the other, recording every latency.
 *
 * Python's asyncio generator took 11-15 % of a core and its own share of each request's
 * latency on the two cores the servers under test also use; issue 16's table was measured
 * with a C generator. bench/loadgen.py builds this file with the machine's C compiler and
 * falls back to its own loop without one.
 *
 *   loadgen HOST PORT CONCURRENCY SECONDS REQUESTS RESULTS PREFIX CONTAINS
 *
 * REQUESTS: the requests in order, each preceded by its length (uint32, native order).
 * RESULTS: one float32 per request answered or failed, in completion order: its latency in
 * ms, negated when it failed (a status outside 2xx, a body that does not start with PREFIX
 * or does not contain CONTAINS, or a connection closed under it).
 * Prints "seconds S" once the requests are used up or SECONDS have passed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUFFER 65536

struct connection {
    int fd;
    int open;
    const char *request;
    uint32_t request_length;
    uint32_t sent;
    char buffer[BUFFER];
    size_t received;
    double started;
};

static const char **requests;
static uint32_t *lengths;
static size_t request_count, next_request;
static int open_connections;
static double deadline;
static const char *prefix, *contains;
static size_t prefix_length, contains_length;
static FILE *results;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *what) {
    perror(what);
    exit(1);
}

static void record(double started, int ok) {
    float ms = (float)((now() - started) * 1000.0);
    if (!ok)
        ms = -ms;
    fwrite(&ms, sizeof ms, 1, results);
}

static void finish(struct connection *c, int epoll) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->open = 0;
    open_connections--;
}

/* Send as much of the current request as the socket takes; 0 when the connection died. */
static int push(struct connection *c) {
    while (c->sent < c->request_length) {
        ssize_t n = write(c->fd, c->request + c->sent, c->request_length - c->sent);
        if (n < 0)
            return errno == EAGAIN;
        c->sent += (uint32_t)n;
    }
    return 1;
}

static void start_next(struct connection *c, int epoll) {
    if (next_request >= request_count || now() >= deadline) {
        finish(c, epoll);
        return;
    }
    c->request = requests[next_request];
    c->request_length = lengths[next_request];
    next_request++;
    c->sent = 0;
    c->received = 0;
    c->started = now();
    if (!push(c)) {
        record(c->started, 0);
        finish(c, epoll);
    }
}

/* The length of a whole response at the start of the buffer, or 0 while it is incomplete. */
static size_t complete(struct connection *c, int *ok) {
    char *head_end = memmem(c->buffer, c->received, "\r\n\r\n", 4);
    if (head_end == NULL)
        return 0;
    size_t head = (size_t)(head_end - c->buffer) + 4;
    size_t body_length = 0;
    for (char *line = c->buffer; line < head_end;) {
        char *eol = memmem(line, (size_t)(head_end - line) + 2, "\r\n", 2);
        if (eol - line > 15 && strncasecmp(line, "content-length:", 15) == 0)
            body_length = strtoul(line + 15, NULL, 10);
        line = eol + 2;
    }
    if (c->received < head + body_length)
        return 0;
    int status = c->received > 12 ? atoi(c->buffer + 9) : 0;
    const char *body = c->buffer + head;
    *ok = status >= 200 && status < 300 && body_length >= prefix_length &&
          memcmp(body, prefix, prefix_length) == 0 &&
          (contains_length == 0 || memmem(body, body_length, contains, contains_length));
    return head + body_length;
}

static void on_readable(struct connection *c, int epoll) {
    for (;;) {
        if (c->received == BUFFER) {
            record(c->started, 0);
            finish(c, epoll);
            return;
        }
        ssize_t n = read(c->fd, c->buffer + c->received, BUFFER - c->received);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            record(c->started, 0);
            finish(c, epoll);
            return;
        }
        if (n < 0)
            return;
        c->received += (size_t)n;
        int ok = 0;
        if (complete(c, &ok)) {
            record(c->started, ok);
            start_next(c, epoll);
            return;
        }
    }
}

static void load_requests(const char *path) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        fail(path);
    char *all = malloc((size_t)st.st_size + 1);
    size_t have = 0;
    while (have < (size_t)st.st_size) {
        ssize_t n = read(fd, all + have, (size_t)st.st_size - have);
        if (n <= 0)
            fail(path);
        have += (size_t)n;
    }
    close(fd);
    size_t capacity = 1024;
    requests = malloc(capacity * sizeof *requests);
    lengths = malloc(capacity * sizeof *lengths);
    for (size_t at = 0; at + 4 <= have;) {
        if (request_count == capacity) {
            capacity *= 2;
            requests = realloc(requests, capacity * sizeof *requests);
            lengths = realloc(lengths, capacity * sizeof *lengths);
        }
        memcpy(&lengths[request_count], all + at, 4);
        requests[request_count] = all + at + 4;
        at += 4 + lengths[request_count];
        request_count++;
    }
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: %s HOST PORT CONCURRENCY SECONDS REQUESTS RESULTS PREFIX CONTAINS\n",
                argv[0]);
        return 2;
    }
    int concurrency = atoi(argv[3]);
    load_requests(argv[5]);
    results = fopen(argv[6], "wb");
    if (results == NULL)
        fail(argv[6]);
    prefix = argv[7];
    prefix_length = strlen(prefix);
    contains = argv[8];
    contains_length = strlen(contains);

    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1)
        fail("address");
    int epoll = epoll_create1(0);
    struct connection *connections = calloc((size_t)concurrency, sizeof *connections);
    for (int i = 0; i < concurrency; i++) {
        struct connection *c = &connections[i];
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&address, sizeof address) < 0)
            fail("connect");
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
        epoll_ctl(epoll, EPOLL_CTL_ADD, c->fd, &event);
        c->open = 1;
        open_connections++;
    }

    double started = now();
    deadline = started + atof(argv[4]);
    for (int i = 0; i < concurrency; i++)
        start_next(&connections[i], epoll);
    struct epoll_event events[256];
    while (open_connections > 0) {
        int n = epoll_wait(epoll, events, 256, 1000);
        for (int i = 0; i < n; i++) {
            struct connection *c = events[i].data.ptr;
            if (!c->open)
                continue;
            if ((events[i].events & EPOLLOUT) && c->sent < c->request_length && !push(c)) {
                record(c->started, 0);
                finish(c, epoll);
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(c, epoll);
        }
    }
    fclose(results);
    printf("seconds %.6f\n", now() - started);
    return 0;
}
