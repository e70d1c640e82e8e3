/* test_snapshot.c: the feed snapshot and its state directory, repeated ids,
 * future times, the history merge, incremental URLs and reload. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "module.h"
#include <glib.h>

#include "testutil.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/refresh.h"
#include "modules/tweettioc/snapshot.h"
#include "modules/tweettioc/state_dir.h"

extern const struct relay_module tweettioc_module;

static const char feed_json[] =
	"[{\"ip\":[\"1.2.3.4\",\"2001:db8::1\"],\"md5\":[\"0C62A0D991DC53EF70A56F15AE2234D8\"],"
	"\"tweet\":{\"id\":\"100\",\"user\":\"alice\",\"tweet\":\"first | text\",\"hashtags\":"
	"[\"#emotet\",\"c2\"],\"link\":\"https://twitter.com/alice/status/"
	"100\",\"timestamp\":100}},"
	"{\"url\":[\"hxxps://evil[.]example[.]com/x.exe\"],\"tweet\":{\"id\":300,\"user\":\"bob\","
	"\"tweet\":\"\",\"link\":\"https://twitter.com/bob/status/300\",\"timestamp\":300.5}},"
	"{\"domain\":[\"evil.example.com\"],\"tweet\":{\"id\":\"200\",\"user\":\"alice\",\"tweet\":"
	"\"d\",\"link\":\"https://twitter.com/alice/status/200\",\"timestamp\":200}}]";

static char dir[64];
static int dfd = -1; /* dir, opened as the relay opens its state directory */

static void setup(void)
{
	dfd = test_state_dir_make(dir, sizeof(dir), "relay-snap");
}

static void teardown(void)
{
	test_state_dir_remove(dir, &dfd);
	feed_store_clear();
}

static double now(void)
{
	return (double)time(NULL);
}

/* Loads the snapshot of dir with no byte cap, as of now. */
static int load(struct feed **out, double *when, char *err, size_t errlen)
{
	return snapshot_load(dfd, 0, now(), out, when, err, errlen);
}

static struct feed *parse(const char *json)
{
	struct feed *f = NULL;
	char err[256];
	ck_assert_int_eq(feed_parse(json, strlen(json), &f, err, sizeof(err)), RELAY_OK);
	return f;
}

static void snapshot_path(char *out, size_t n)
{
	snprintf(out, n, "%s/%s", dir, SNAPSHOT_FILE);
}

static unsigned char *read_snapshot(size_t *len)
{
	char path[128];
	snapshot_path(path, sizeof(path));
	return (unsigned char *)test_read_file(path, len);
}

static void write_raw(const unsigned char *buf, size_t len)
{
	char path[128];
	snapshot_path(path, sizeof(path));
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* Loads the snapshot expecting a refusal whose reason contains `why`. */
static void assert_refused(const char *why)
{
	struct feed *f = (struct feed *)1;
	double when = -1;
	char err[256] = "";
	ck_assert_int_eq(load(&f, &when, err, sizeof(err)), -1);
	ck_assert_ptr_null(f);
	ck_assert_msg(strstr(err, why), "reason '%s' lacks '%s'", err, why);
}

START_TEST(a_snapshot_reads_back_as_the_feed_it_was_written_from)
{
	struct feed *f = parse(feed_json);
	char err[256];
	ck_assert_int_eq(snapshot_write(dfd, f, 1234567.5, NULL, err, sizeof(err)), 0);
	struct feed *g = NULL;
	double when = 0;
	ck_assert_int_eq(load(&g, &when, err, sizeof(err)), 1);
	ck_assert_double_eq(when, 1234567.5);
	ck_assert_uint_eq(g->n_tweets, f->n_tweets);
	ck_assert_uint_eq(g->n_iocs, f->n_iocs);
	ck_assert_uint_eq(g->n_accounts, 2);
	ck_assert_uint_eq(g->source_bytes, strlen(feed_json));
	for (size_t i = 0; i < f->n_tweets; i++) {
		const struct feed_tweet *a = &f->tweets[i], *b = &g->tweets[i];
		ck_assert_str_eq(a->id, b->id);
		ck_assert_str_eq(a->user, b->user);
		ck_assert_str_eq(a->text, b->text);
		ck_assert_str_eq(a->link, b->link);
		ck_assert_double_eq(a->timestamp, b->timestamp);
		ck_assert_uint_eq(a->n_hashtags, b->n_hashtags);
		for (size_t j = 0; j < a->n_hashtags; j++)
			ck_assert_str_eq(a->hashtags[j], b->hashtags[j]);
		ck_assert_uint_eq(a->n_iocs, b->n_iocs);
		for (size_t j = 0; j < a->n_iocs; j++) {
			ck_assert_int_eq(a->iocs[j].kind, b->iocs[j].kind);
			ck_assert_str_eq(a->iocs[j].value, b->iocs[j].value);
			ck_assert_str_eq(a->iocs[j].ctim_type, b->iocs[j].ctim_type);
		}
	}
	/* Equal accounts still share one pointer (the tiles count them so). */
	ck_assert_ptr_eq(g->tweets[1].user, g->tweets[2].user);
	feed_free(f);
	feed_free(g);
}
END_TEST

START_TEST(no_snapshot_is_not_an_error)
{
	struct feed *f = NULL;
	double when = 0;
	char err[256];
	ck_assert_int_eq(load(&f, &when, err, sizeof(err)), 0);
	ck_assert_ptr_null(f);
}
END_TEST

START_TEST(a_damaged_snapshot_is_refused_as_a_whole)
{
	struct feed *f = parse(feed_json);
	char err[256];
	ck_assert_int_eq(snapshot_write(dfd, f, 99, NULL, err, sizeof(err)), 0);
	feed_free(f);
	size_t len;
	unsigned char *good = read_snapshot(&len);
	unsigned char *bad = malloc(len + 1);

	memcpy(bad, good, len); /* one flipped bit in a tweet */
	bad[len - 3] ^= 1;
	write_raw(bad, len);
	assert_refused("checksum");

	write_raw(good, len - 10); /* torn write */
	assert_refused("truncated");
	write_raw(good, 40);
	assert_refused("truncated");
	write_raw(good, 0);
	assert_refused("truncated");

	memcpy(bad, good, len); /* another format version */
	bad[8] = 7;
	write_raw(bad, len);
	assert_refused("format version 7");

	memcpy(bad, good, len); /* not a snapshot at all */
	memcpy(bad, "[{\"ip\":", 7);
	write_raw(bad, len);
	assert_refused("magic");

	memcpy(bad, good, len); /* trailing garbage */
	bad[len] = 'x';
	write_raw(bad, len + 1);
	assert_refused("size mismatch");

	/* Hand-edited past the checksum: a NUL inside a string, a bad kind. */
	struct feed *out = NULL;
	double when;
	memcpy(bad, good, len);
	bad[96 + 8 + 4] = 0xff; /* the first id's first byte: not UTF-8 */
	ck_assert_int_eq(snapshot_decode(bad, len, 0, now(), &out, &when, err, sizeof(err)), -1);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err, "wrong shape"));
	memcpy(bad, good, len);
	bad[96 + 8] = 0xff; /* the first id's length */
	ck_assert_int_eq(snapshot_decode(bad, len, 0, now(), &out, &when, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	/* Unchecked but intact, it still decodes. */
	ck_assert_int_eq(snapshot_decode(good, len, 0, now(), &out, &when, err, sizeof(err)), 0);
	feed_free(out);

	/* The good file is loaded again once it is back. */
	write_raw(good, len);
	ck_assert_int_eq(load(&out, &when, err, sizeof(err)), 1);
	feed_free(out);
	free(good);
	free(bad);
}
END_TEST

START_TEST(a_failed_write_keeps_the_previous_snapshot)
{
	struct feed *f = parse(feed_json);
	char err[256];
	ck_assert_int_eq(snapshot_write(dfd, f, 42, NULL, err, sizeof(err)), 0);
	/* A directory where the temporary file cannot be created: removed
	 * after it was opened. */
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/gone", dir);
	int gone = test_state_dir_open(sub);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(snapshot_write(gone, f, 43, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot write"));
	close(gone);
	snprintf(sub, sizeof(sub), "%s/none/deeper", dir);
	ck_assert_int_eq(state_dir_open(sub, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot create"));
	/* A stop in the middle gives up the same way. */
	const volatile int stop = 1;
	ck_assert_int_eq(snapshot_write(dfd, f, 44, &stop, err, sizeof(err)), -1);
	feed_free(f);
	struct feed *g = NULL;
	double when = 0;
	ck_assert_int_eq(load(&g, &when, err, sizeof(err)), 1);
	ck_assert_double_eq(when, 42);
	feed_free(g);
	/* No temporary file is left behind. */
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(the_merge_keeps_unlisted_tweets_within_retention_only)
{
	struct feed *old = parse(feed_json); /* tweets 100, 200, 300.5 */
	/* The new download lists 300 (changed text) and 400, not 100 or 200. */
	struct feed *fresh = parse(
		"[{\"ip\":[\"5.5.5.5\"],\"tweet\":{\"id\":\"400\",\"user\":\"carol\",\"tweet\":"
		"\"n\","
		"\"link\":\"l\",\"timestamp\":400}},{\"tweet\":{\"id\":\"300\",\"user\":\"bob\","
		"\"tweet\":\"new text\",\"link\":\"l\",\"timestamp\":300.5}}]");
	struct feed *m = feed_merge(fresh, old, 150, 0); /* 100 is past retention */
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n_tweets, 3);
	ck_assert_str_eq(m->tweets[0].id, "400");
	ck_assert_str_eq(m->tweets[1].id, "300");
	ck_assert_str_eq(m->tweets[1].text, "new text"); /* the download wins */
	ck_assert_str_eq(m->tweets[2].id, "200");
	ck_assert_str_eq(m->tweets[2].iocs[0].value, "evil.example.com");
	ck_assert_uint_eq(m->n_accounts, 3);
	ck_assert_uint_eq(m->n_iocs, 2);
	struct feed_index *idx = feed_index_build(m);
	ck_assert_ptr_nonnull(idx);
	const uint32_t *ids;
	ck_assert_uint_eq(feed_index_lookup(idx, "domain", "evil.example.com", &ids), 1);
	ck_assert_uint_eq(feed_index_lookup(idx, "ip", "1.2.3.4", &ids), 0);
	feed_index_free(idx);
	feed_free(old);
}
END_TEST

START_TEST(the_history_stays_within_the_byte_cap_oldest_first)
{
	struct feed *old = parse(feed_json); /* 300.5, 200, 100 */
	const char *one = "[{\"tweet\":{\"id\":\"400\",\"user\":\"c\",\"tweet\":\"n\","
			  "\"link\":\"l\",\"timestamp\":400}}]";
	struct feed *fresh = parse(one);
	/* Room for the download and the newest retained tweet only. */
	size_t cap = strlen(one) + feed_tweet_bytes(&old->tweets[0]);
	struct feed *m = feed_merge(fresh, old, 0, cap);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n_tweets, 2);
	ck_assert_str_eq(m->tweets[0].id, "400");
	ck_assert_str_eq(m->tweets[1].id, "300");
	feed_free(m);
	m = feed_merge(parse(one), old, 0, 0); /* no cap: all of it */
	ck_assert_uint_eq(m->n_tweets, 4);
	feed_free(m);
	feed_free(old);
}
END_TEST

/* N tweets of about 250 bytes (several MiB: segments that small are not
 * shared), tweet `changed` with other text, tweets from `skip` on left out,
 * and one more tweet when `extra`. */
static char *many_tweets(int n, int changed, int skip, int extra)
{
	size_t cap = (size_t)(n + 1) * 400, len = 0;
	char *json = malloc(cap);
	ck_assert_ptr_nonnull(json);
	json[len++] = '[';
	for (int i = 0; i < n + extra; i++) {
		if (i >= skip && i < n)
			continue;
		len += (size_t)snprintf(
			json + len, cap - len,
			"%s{\"sha256\":[\"%064x\"],\"tweet\":{\"id\":\"%d\",\"user\":\"u%d\","
			"\"tweet\":"
			"\"%s %0160d\",\"hashtags\":[\"t%d\"],\"link\":\"https://twitter.com/u%d/"
			"status/%d\",\"timestamp\":%d}}",
			len > 1 ? "," : "", i, i, i % 5, i == changed ? "edited" : "tweet", i,
			i % 3, i % 5, i, 1000000 + i);
	}
	json[len++] = ']';
	json[len] = '\0';
	return json;
}

static struct feed *stream_parse(const char *json, const struct feed *reuse)
{
	struct feed_stream *st = feed_stream_new(reuse);
	struct feed *f = NULL;
	char err[256];
	ck_assert_ptr_nonnull(st);
	size_t len = strlen(json);
	for (size_t at = 0; at < len; at += 16384)
		ck_assert_int_eq(
			feed_stream_write(st, json + at, len - at < 16384 ? len - at : 16384), 0);
	ck_assert_int_eq(feed_stream_finish(st, &f, err, sizeof(err)), RELAY_OK);
	feed_stream_free(st);
	return f;
}

static const struct feed_tweet *tweet_by_id(const struct feed *f, const char *id)
{
	for (size_t i = 0; i < f->n_tweets; i++)
		if (strcmp(f->tweets[i].id, id) == 0)
			return &f->tweets[i];
	return NULL;
}

/* Issue 13 (memory): a refresh shares the strings of every unchanged tweet
 * with the serving copy, downloaded or retained; the new copy outlives the
 * old one intact; and a copy that keeps too little of a shared segment
 * copies what it needs and lets the segment go. */
START_TEST(a_refresh_shares_the_strings_of_unchanged_tweets)
{
	enum { N = 24000 };
	char *first = many_tweets(N, -1, N, 0);
	struct feed_index *old = feed_index_build(parse(first));
	ck_assert_ptr_nonnull(old);
	ck_assert_uint_eq(old->feed->n_segments, 1);
	/* The next download: tweet 7 edited, tweets from 20000 on no longer
	 * listed (retained), one new tweet. */
	char *second = many_tweets(N, 7, 20000, 1);
	struct feed *m = feed_merge(stream_parse(second, old->feed), old->feed, 0, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n_tweets, N + 1);
	ck_assert_uint_ge(feed_shared_bytes(m, old->feed), 4u * 1024 * 1024);
	const char *ids[] = {"3", "19999", "20000", "23999"}; /* listed, and retained */
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct feed_tweet *a = tweet_by_id(old->feed, ids[i]),
					*b = tweet_by_id(m, ids[i]);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_eq(a->text, b->text); /* the same bytes, not a copy */
		ck_assert_ptr_eq(a->iocs[0].value, b->iocs[0].value);
		ck_assert_ptr_ne(a->iocs, b->iocs); /* IOC arrays are each copy's own */
	}
	const struct feed_tweet *edited = tweet_by_id(m, "7");
	ck_assert_ptr_ne(edited->text, tweet_by_id(old->feed, "7")->text);
	ck_assert_int_eq(strncmp(edited->text, "edited ", 7), 0);
	ck_assert_str_eq(tweet_by_id(m, "24000")->user, "u0");
	/* Canonical links are rebuilt, not stored. */
	ck_assert_str_eq(edited->link, "");
	struct feed_index *idx = feed_index_build(m);
	ck_assert_ptr_nonnull(idx);
	/* The old copy goes first: the new one still reads every string. */
	feed_index_free(old);
	char hash[65];
	snprintf(hash, sizeof(hash), "%064x", 23999);
	const uint32_t *hits;
	ck_assert_uint_eq(feed_index_lookup(idx, "sha256", hash, &hits), 1);
	ck_assert_str_eq(idx->feed->tweets[hits[0]].id, "23999");
	ck_assert_str_eq(idx->feed->tweets[hits[0]].hashtags[0], "t2");
	ck_assert_int_eq(strncmp(idx->feed->tweets[hits[0]].text, "tweet 0", 7), 0);
	/* Retention now keeps a tenth: the shared segment is mostly dead, so
	 * the next copy holds its own copies and none of it. */
	char *third = many_tweets(N, -1, 100, 0);
	struct feed *sparse = feed_merge(stream_parse(third, m), m, 1000000 + N - 2400, 0);
	ck_assert_ptr_nonnull(sparse);
	ck_assert_uint_eq(sparse->n_tweets, 100 + 2400 + 1);
	ck_assert_uint_eq(sparse->n_segments, 1);
	ck_assert_uint_eq(feed_shared_bytes(sparse, m), 0);
	feed_index_free(idx);
	const struct feed_tweet *kept = tweet_by_id(sparse, "23000");
	ck_assert_ptr_nonnull(kept);
	ck_assert_str_eq(kept->hashtags[0], "t2");
	snprintf(hash, sizeof(hash), "%064x", 23000);
	ck_assert_str_eq(kept->iocs[0].value, hash);
	struct feed_index *last = feed_index_build(sparse);
	ck_assert_uint_eq(feed_index_lookup(last, "sha256", hash, &hits), 1);
	feed_index_free(last);
	free(first);
	free(second);
	free(third);
}
END_TEST

/* Tweets from..to-1 as feed JSON (id i at 1000000 + i, about 250 bytes). */
static char *tweet_range(int from, int to)
{
	size_t cap = (size_t)(to - from + 1) * 400, len = 0;
	char *json = malloc(cap);
	ck_assert_ptr_nonnull(json);
	json[len++] = '[';
	for (int i = from; i < to; i++)
		len += (size_t)snprintf(
			json + len, cap - len,
			"%s{\"md5\":[\"%032x\"],\"tweet\":{\"id\":\"%d\",\"user\":\"u%d\","
			"\"tweet\":\"tweet %0180d\",\"link\":\"https://twitter.com/u%d/"
			"status/%d\",\"timestamp\":%d}}",
			i > from ? "," : "", i, i, i % 9, i, i % 9, i, 1000000 + i);
	json[len++] = ']';
	json[len] = '\0';
	return json;
}

/* Months of incremental refreshes (each lists the newest tweets and a few
 * new ones while the oldest leave the retention window): the copies keep
 * sharing, but what dead tweets hold stays bounded, and so does the
 * number of segments. */
START_TEST(shared_segments_stay_bounded_over_many_refreshes)
{
	enum { N = 24000, NEW = 600, LISTED = 2000, ROUNDS = 40 };
	char *json = tweet_range(0, N);
	struct feed_index *cur = feed_index_build(parse(json));
	free(json);
	ck_assert_ptr_nonnull(cur);
	size_t most_segments = 0, shared_rounds = 0;
	for (int k = 1; k <= ROUNDS; k++) {
		int newest = N + k * NEW; /* ids below it exist after this round */
		json = tweet_range(newest - LISTED, newest);
		struct feed *fresh = stream_parse(json, cur->feed);
		/* The window keeps N tweets: the oldest NEW go each round. */
		struct feed *m = feed_merge(fresh, cur->feed, 1000000.0 + newest - N, 0);
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(m->n_tweets, N);
		shared_rounds += feed_shared_bytes(m, cur->feed) > 0;
		struct feed_index *next = feed_index_build(m);
		ck_assert_ptr_nonnull(next);
		feed_index_free(cur);
		cur = next;
		if (cur->feed->n_segments > most_segments)
			most_segments = cur->feed->n_segments;
		free(json);
		if (k % 8)
			continue;
		/* Against the same tweets parsed afresh, nothing shared. */
		char *all = tweet_range(newest - N, newest);
		struct feed *whole = parse(all);
		ck_assert_uint_le(feed_memory(cur->feed), feed_memory(whole) * 3 / 2 + (1u << 20));
		ck_assert_str_eq(cur->feed->tweets[0].id, whole->tweets[0].id);
		ck_assert_str_eq(cur->feed->tweets[N - 1].text, whole->tweets[N - 1].text);
		feed_free(whole);
		free(all);
	}
	ck_assert_uint_ge(shared_rounds, ROUNDS - 2); /* sharing went on */
	ck_assert_uint_le(most_segments, 4);
	feed_index_free(cur);
}
END_TEST

START_TEST(incremental_urls_ask_for_yesterday_and_today)
{
	char url[256];
	/* 2026-12-02 12:00 UTC */
	ck_assert_int_eq(feed_url_days("http://x", 1796212800.0, 1, url, sizeof(url)), 0);
	ck_assert_str_eq(url, "http://x/v1/tweets/2026-12-01/2026-12-02/full");
	ck_assert_int_eq(feed_url("http://x", 1796212800.0, url, sizeof(url)), 0);
	ck_assert_str_eq(url, "http://x/v1/tweets/2026-11-25/2026-12-02/full");
}
END_TEST

/* Accepts one HTTP request on `lfd` within timeout_ms and answers it with
 * `body`; returns the request line's path, or "" on timeout. */
static void serve_one(int lfd, int timeout_ms, const char *body, char *path, size_t pathlen)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	path[0] = '\0';
	if (poll(&p, 1, timeout_ms) != 1)
		return;
	int c = accept(lfd, NULL, NULL);
	ck_assert_int_ge(c, 0);
	char req[2048];
	ssize_t n = read(c, req, sizeof(req) - 1);
	ck_assert_int_gt(n, 0);
	req[n] = '\0';
	char fmt[32];
	snprintf(fmt, sizeof(fmt), "GET %%%zus", pathlen - 1);
	ck_assert_int_eq(sscanf(req, fmt, path), 1);
	char head[128];
	int h = snprintf(head, sizeof(head),
			 "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 strlen(body));
	ck_assert_int_eq(write(c, head, (size_t)h), h);
	ck_assert_int_eq(write(c, body, strlen(body)), (ssize_t)strlen(body));
	close(c);
}

START_TEST(reload_refreshes_at_once_and_the_next_start_loads_the_snapshot)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	char url[64], state[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(state, sizeof(state), "%s/state", dir);
	const char *const env[] = {
		"TWEETTIOC_URL", url, "TWEETTIOC_REFRESH_SECONDS", "3600", "RELAY_STATE_DIR",
		state,		 NULL};
	struct relay_config cfg;
	test_config_load(&cfg, env);
	char err[256], path[256];
	/* The refreshes this test cuts short log "refresh failed" lines, which
	 * are expected: kept out of a passing run's output, and checked. */
	test_stderr_capture();
	ck_assert_int_eq(tweettioc_module.start(&cfg, err, sizeof(err)), 0);
	serve_one(lfd, 5000, feed_json, path, sizeof(path));
	ck_assert_ptr_nonnull(strstr(path, "/v1/tweets/"));
	tweettioc_module.wait_ready(5000);
	ck_assert_ptr_nonnull(tweettioc_module.reload);
	tweettioc_module.reload();
	serve_one(lfd, 2000, feed_json, path, sizeof(path));
	ck_assert_msg(path[0], "no upstream request within 2 s of reload");
	tweettioc_module.stop();

	/* A new start with the upstream silent answers from the snapshot. */
	ck_assert_int_eq(tweettioc_module.start(&cfg, err, sizeof(err)), 0);
	struct feed_status st;
	feed_store_status(&st);
	ck_assert_int_eq(st.loaded, 1);
	ck_assert_int_eq(st.restored, 1);
	ck_assert_uint_eq(st.tweets, 3);
	close(lfd); /* the refresh in flight fails: the copy stays */
	tweettioc_module.stop();
	config_free(&cfg);
	char *log = test_stderr_release();
	ck_assert_msg(strstr(log, "loaded the snapshot from"), "%s", log);
	free(log);
}
END_TEST

/* ------------------------------------ issue 18: reading the snapshot */

struct truncator {
	int fd;
	const unsigned char *good;
	size_t len;
	volatile int stop;
	unsigned long rounds;
};

/* Cuts the file short and writes it back, over and over. */
static void *truncate_loop(void *arg)
{
	struct truncator *t = arg;
	while (!t->stop) {
		if (ftruncate(t->fd, 4096) != 0 ||
		    pwrite(t->fd, t->good, t->len, 0) != (ssize_t)t->len)
			break;
		t->rounds++;
	}
	return NULL;
}

/* The snapshot used to be mapped: a truncation while it was read killed
 * the relay with SIGBUS. Read into memory of its own, a cut file is only
 * refused. */
START_TEST(a_snapshot_cut_short_while_loading_is_refused_not_a_crash)
{
	char *json = many_tweets(6000, -1, 6000, 0);
	struct feed *f = parse(json);
	char err[256];
	ck_assert_int_eq(snapshot_write(dfd, f, 42, NULL, err, sizeof(err)), 0);
	feed_free(f);
	free(json);
	size_t len;
	unsigned char *good = read_snapshot(&len);
	ck_assert_uint_gt(len, 1024 * 1024);
	char path[128];
	snapshot_path(path, sizeof(path));
	struct truncator t = {.fd = open(path, O_WRONLY | O_CLOEXEC), .good = good, .len = len};
	ck_assert_int_ge(t.fd, 0);
	pthread_t thread;
	ck_assert_int_eq(pthread_create(&thread, NULL, truncate_loop, &t), 0);
	int loaded = 0, refused = 0;
	for (int i = 0; i < 60; i++) {
		struct feed *g = NULL;
		double when = 0;
		int rc = load(&g, &when, err, sizeof(err));
		ck_assert_msg(rc == 1 || rc == -1, "load returned %d", rc);
		loaded += rc == 1;
		refused += rc == -1;
		feed_free(g);
	}
	t.stop = 1;
	pthread_join(thread, NULL);
	close(t.fd);
	ck_assert_uint_gt(t.rounds, 0);
	ck_assert_int_eq(loaded + refused, 60);
	free(good);
}
END_TEST

START_TEST(a_snapshot_over_the_byte_cap_is_refused_unread)
{
	struct feed *f = parse(feed_json), *g = NULL;
	char err[256];
	double when;
	ck_assert_int_eq(snapshot_write(dfd, f, 42, NULL, err, sizeof(err)), 0);
	feed_free(f);
	size_t len;
	free(read_snapshot(&len));
	/* The cap the copy came within: loaded. */
	ck_assert_int_eq(snapshot_load(dfd, strlen(feed_json), now(), &g, &when, err, sizeof(err)),
			 1);
	feed_free(g);
	/* The smallest cap whose copies can give a file this large: loaded;
	 * one byte less: refused. */
	size_t cap = (len - 96 + 1) / 2;
	ck_assert_uint_ge(snapshot_max_size(cap), len);
	ck_assert_uint_lt(snapshot_max_size(cap - 1), len);
	ck_assert_int_eq(snapshot_load(dfd, cap, now(), &g, &when, err, sizeof(err)), 1);
	feed_free(g);
	ck_assert_int_eq(snapshot_load(dfd, cap - 1, now(), &g, &when, err, sizeof(err)), -1);
	ck_assert_ptr_null(g);
	ck_assert_msg(strstr(err, "TWEETTIOC_MAX_BYTES"), "%s", err);
}
END_TEST

/* Feed JSON of n tweets as small as the parser keeps, each with `iocs`
 * one-letter IOCs and a one-letter hashtag: where the snapshot takes the
 * most bytes per byte of JSON. */
static char *tiny_tweets(int n, int iocs, int first_id)
{
	size_t cap = (size_t)n * (size_t)(160 + 4 * iocs) + 16, len = 0;
	char *json = malloc(cap);
	ck_assert_ptr_nonnull(json);
	json[len++] = '[';
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(json + len, cap - len, "%s{\"domain\":[", i ? "," : "");
		for (int j = 0; j < iocs; j++)
			len += (size_t)snprintf(json + len, cap - len, "%s\"a\"", j ? "," : "");
		len += (size_t)snprintf(json + len, cap - len,
					"],\"tweet\":{\"id\":%d,\"user\":\"u\",\"tweet\":\"\","
					"\"hashtags\":[\"a\"],\"link\":\"l\",\"timestamp\":%d}}",
					first_id + i, 1000 + first_id + i);
	}
	json[len++] = ']';
	json[len] = '\0';
	return json;
}

/* The cap at load (snapshot_max_size) holds whatever a copy within
 * TWEETTIOC_MAX_BYTES gives, downloaded or merged from history. */
START_TEST(every_copy_within_the_cap_fits_the_cap_at_load)
{
	const int shapes[][2] = {{1, 1024}, {3000, 1}, {3000, 0}, {200, 40}};
	char err[256];
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		char *json = tiny_tweets(shapes[k][0], shapes[k][1], 1);
		size_t cap = strlen(json), len;
		struct feed *f = parse(json), *g = NULL;
		ck_assert_int_eq(snapshot_write(dfd, f, 42, NULL, err, sizeof(err)), 0);
		free(read_snapshot(&len));
		ck_assert_msg(len <= snapshot_max_size(cap), "%zu bytes from %zu of JSON", len,
			      cap);
		double when;
		ck_assert_msg(snapshot_load(dfd, cap, now(), &g, &when, err, sizeof(err)) == 1,
			      "%s", err);
		feed_free(g);
		/* The history: this copy retained, a one-tweet download, and
		 * a cap the merge fills with retained tweets. */
		char *one = tiny_tweets(1, 1, 100000);
		struct feed *m = feed_merge(parse(one), f, 0, cap);
		ck_assert_ptr_nonnull(m);
		ck_assert_int_eq(snapshot_write(dfd, m, now(), NULL, err, sizeof(err)), 0);
		free(read_snapshot(&len));
		ck_assert_msg(len <= snapshot_max_size(cap), "merged: %zu bytes, cap %zu", len,
			      cap);
		ck_assert_msg(snapshot_load(dfd, cap, now(), &g, &when, err, sizeof(err)) == 1,
			      "merged: %s", err);
		feed_free(g);
		feed_free(m);
		feed_free(f);
		free(one);
		free(json);
	}
}
END_TEST

/* ---------------------------------------- issue 18: times in the future */

START_TEST(a_tweet_dated_over_a_day_ahead_is_skipped_and_counted)
{
	char json[1024];
	double t = now();
	snprintf(
		json, sizeof(json),
		"[{\"ip\":[\"8.8.8.8\"],\"tweet\":{\"id\":\"1\",\"user\":\"u\",\"tweet\":\"ahead\","
		"\"link\":\"l\",\"timestamp\":%.0f}},"
		"{\"ip\":[\"198.51.100.2\"],\"tweet\":{\"id\":\"2\",\"user\":\"u\",\"tweet\":\"an "
		"hour ahead: clocks differ\",\"link\":\"l\",\"timestamp\":%.0f}},"
		"{\"ip\":[\"198.51.100.3\"],\"tweet\":{\"id\":\"3\",\"user\":\"u\",\"tweet\":"
		"\"past\","
		"\"link\":\"l\",\"timestamp\":%.0f}}]",
		t + 2 * 86400, t + 3600, t - 60);
	struct feed *f = parse(json);
	ck_assert_uint_eq(f->n_tweets, 2);
	ck_assert_str_eq(f->tweets[0].id, "2");
	ck_assert_str_eq(f->tweets[1].id, "3");
	ck_assert_uint_eq(f->n_skipped, 1);
	ck_assert_uint_eq(f->n_future, 1);
	feed_free(f);
	/* Tweets dated 2100 and 5138, and a repeat dated 2100 of a good one. */
	size_t len;
	char *fixture = test_read_file("fixtures/tweettioc-feed-future.json", &len);
	f = parse(fixture);
	ck_assert_uint_eq(f->n_tweets, 1);
	ck_assert_str_eq(f->tweets[0].id, "602");
	ck_assert_str_eq(f->tweets[0].text, "dated in the past");
	ck_assert_uint_eq(f->n_iocs, 1);
	ck_assert_uint_eq(f->n_skipped, 3);
	ck_assert_uint_eq(f->n_future, 3);
	feed_free(f);
	free(fixture);
}
END_TEST

/* A copy of the given tweets, as the builder checks them (not for time). */
static struct feed *feed_of(const struct feed_tweet *tweets, size_t n)
{
	struct feed_builder b;
	ck_assert_int_eq(feed_builder_init(&b, NULL), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(feed_builder_add(&b, &tweets[i]), 1);
	struct feed *f = feed_builder_finish(&b, 0);
	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(a_snapshot_with_times_in_the_future_is_refused)
{
	struct feed *f = parse(feed_json), *g = NULL;
	char err[256];
	double t = now(), when;
	/* Refreshed an hour from now: its age would be negative. */
	ck_assert_int_eq(snapshot_write(dfd, f, t + 3600, NULL, err, sizeof(err)), 0);
	assert_refused("refresh time is in the future");
	/* Within what a stepped clock needs: loaded. */
	ck_assert_int_eq(snapshot_write(dfd, f, t + 30, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(load(&g, &when, err, sizeof(err)), 1);
	feed_free(g);
	feed_free(f);
	/* A tweet over a day after the refresh time: no download keeps one. */
	struct feed_tweet tw[2] = {
		{.id = "9",
		 .user = "u",
		 .text = "poisoned",
		 .link = "",
		 .timestamp = t + 3 * 86400},
		{.id = "8", .user = "u", .text = "fine", .link = "", .timestamp = t - 10},
	};
	f = feed_of(tw, 2);
	ck_assert_int_eq(snapshot_write(dfd, f, t, NULL, err, sizeof(err)), 0);
	assert_refused("dated in the future");
	feed_free(f);
	/* Within a day of the refresh time but over a day after the clock
	 * (the clock went back): skipped and counted, as a download does. */
	tw[0].timestamp = t + 86400 + 40;
	f = feed_of(tw, 2);
	ck_assert_int_eq(snapshot_write(dfd, f, t + 30, NULL, err, sizeof(err)), 0);
	feed_free(f);
	ck_assert_int_eq(load(&g, &when, err, sizeof(err)), 1);
	ck_assert_uint_eq(g->n_tweets, 1);
	ck_assert_str_eq(g->tweets[0].id, "8");
	ck_assert_uint_eq(g->n_skipped, 1);
	ck_assert_uint_eq(g->n_future, 1);
	feed_free(g);
}
END_TEST

/* /health and /ready: a refresh time after the clock is no fresher. */
START_TEST(a_refresh_time_in_the_future_is_not_ready)
{
	char msg[1024];
	struct feed_index *idx = feed_index_build(parse(feed_json));
	ck_assert_ptr_nonnull(idx);
	idx->loaded_at = now() + 7 * 86400;
	feed_store_swap(idx);
	ck_assert_int_eq(tweettioc_module.ready(msg, sizeof(msg)), 0);
	ck_assert_msg(strstr(msg, "in the future"), "%s", msg);
	idx = feed_index_build(parse(feed_json));
	idx->loaded_at = now() - 10;
	feed_store_swap(idx);
	ck_assert_int_eq(tweettioc_module.ready(msg, sizeof(msg)), 1);
}
END_TEST

/* -------------------------------------------- issue 18: repeated tweet ids */

static const struct feed_tweet *tweet_with_id(const struct feed *f, const char *id)
{
	const struct feed_tweet *found = NULL;
	for (size_t i = 0; i < f->n_tweets; i++) {
		if (strcmp(f->tweets[i].id, id) != 0)
			continue;
		ck_assert_msg(!found, "id %s is in the copy twice", id);
		found = &f->tweets[i];
	}
	ck_assert_ptr_nonnull(found);
	return found;
}

static void assert_iocs(const struct feed_tweet *t, const char *const *want, size_t n)
{
	ck_assert_uint_eq(t->n_iocs, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(t->iocs[i].value, want[i]);
}

static void assert_repeats_folded(const struct feed *f)
{
	ck_assert_uint_eq(f->n_tweets, 4);
	ck_assert_uint_eq(f->n_iocs, 10);
	ck_assert_uint_eq(f->n_accounts, 4);
	const struct feed_tweet *t = tweet_with_id(f, "500");
	assert_iocs(t, (const char *const[]){"198.51.100.1"}, 1);
	/* The later timestamp wins, though listed first; the IOCs of both. */
	t = tweet_with_id(f, "501");
	ck_assert_str_eq(t->text, "the edited text");
	ck_assert_str_eq(t->hashtags[0], "edited");
	ck_assert_double_eq(t->timestamp, 1764000200);
	assert_iocs(t,
		    (const char *const[]){"198.51.100.2", "http://edited.example/x", "198.51.100.3",
					  "first.example"},
		    4);
	/* A tie: the later in the feed wins. */
	t = tweet_with_id(f, "502");
	ck_assert_str_eq(t->text, "tie: listed last");
	assert_iocs(t,
		    (const char *const[]){
			    "d41d8cd98f00b204e9800998ecf8427e", "0c62a0d991dc53ef70a56f15ae2234d8",
			    "da39a3ee5e6b4b0d3255bfef95601890afd80709", "http://tie.example/"},
		    4);
	ck_assert_str_eq(tweet_with_id(f, "503")->text, "no repeat");
}

START_TEST(a_repeated_id_is_one_tweet_with_every_ioc_and_the_newest_text)
{
	size_t len;
	char *json = test_read_file("fixtures/tweettioc-feed-repeated-ids.json", &len);
	struct feed *f = parse(json);
	assert_repeats_folded(f);
	/* Through the index: the older copy's IOC finds the newest text. */
	struct feed_index *idx = feed_index_build(f);
	ck_assert_ptr_nonnull(idx);
	const uint32_t *hits;
	ck_assert_uint_eq(feed_index_lookup(idx, "ip", "198.51.100.3", &hits), 1);
	ck_assert_str_eq(idx->feed->tweets[hits[0]].text, "the edited text");
	/* Written and read back: the snapshot loads (it used to be refused). */
	char err[256];
	ck_assert_int_eq(snapshot_write(dfd, idx->feed, now(), NULL, err, sizeof(err)), 0);
	struct feed *g = NULL;
	double when;
	ck_assert_msg(load(&g, &when, err, sizeof(err)) == 1, "%s", err);
	assert_repeats_folded(g);
	feed_free(g);
	/* In pieces, sharing with the copy before (a refresh): the same. */
	struct feed *again = stream_parse(json, idx->feed);
	assert_repeats_folded(again);
	feed_free(again);
	feed_index_free(idx);
	free(json);
}
END_TEST

/* A snapshot written with a repeated id (by a relay before the rule, or by
 * hand) loads with the same rule. */
START_TEST(a_snapshot_with_a_repeated_id_loads_folded)
{
	struct feed *f = parse(feed_json);
	char err[256];
	/* Tweet 200 (the second newest) written twice, the second copy with
	 * another IOC. */
	struct feed_tweet *dup = realloc(f->tweets, (f->n_tweets + 1) * sizeof(*dup));
	ck_assert_ptr_nonnull(dup);
	f->tweets = dup;
	struct feed_ioc extra = {.kind = FEED_IOC_IP, .value = "198.51.100.200"};
	f->tweets[f->n_tweets] = f->tweets[1];
	f->tweets[f->n_tweets].text = "edited";
	f->tweets[f->n_tweets].iocs = &extra;
	f->tweets[f->n_tweets].n_iocs = 1;
	f->n_tweets++;
	ck_assert_int_eq(snapshot_write(dfd, f, 42, NULL, err, sizeof(err)), 0);
	f->n_tweets--;
	feed_free(f);
	struct feed *g = NULL;
	double when;
	ck_assert_int_eq(load(&g, &when, err, sizeof(err)), 1);
	ck_assert_uint_eq(g->n_tweets, 3);
	/* The same time: the later copy in the file wins, and gets both IOCs. */
	const struct feed_tweet *t = tweet_with_id(g, "200");
	ck_assert_str_eq(t->text, "edited");
	assert_iocs(t, (const char *const[]){"198.51.100.200", "evil.example.com"}, 2);
	feed_free(g);
}
END_TEST

/* Past the per-tweet limit the union stops: the newest's IOCs first. */
START_TEST(a_folded_tweet_keeps_at_most_the_ioc_limit)
{
	size_t cap = 64 * 1024, len = 0;
	char *json = malloc(cap);
	ck_assert_ptr_nonnull(json);
	len += (size_t)snprintf(json, cap, "[{\"domain\":[");
	for (int j = 0; j < 1000; j++)
		len += (size_t)snprintf(json + len, cap - len, "%s\"d%d.example\"", j ? "," : "",
					j);
	len += (size_t)snprintf(json + len, cap - len,
				"],\"tweet\":{\"id\":\"7\",\"user\":\"u\",\"tweet\":\"first\","
				"\"link\":\"l\",\"timestamp\":1000}},{\"ip\":[");
	for (int j = 0; j < 1000; j++)
		len += (size_t)snprintf(json + len, cap - len, "%s\"10.0.%d.%d\"", j ? "," : "",
					j / 256, j % 256);
	snprintf(json + len, cap - len,
		 "],\"tweet\":{\"id\":\"7\",\"user\":\"u\",\"tweet\":\"second\","
		 "\"link\":\"l\",\"timestamp\":1000}}]");
	struct feed *f = parse(json);
	ck_assert_uint_eq(f->n_tweets, 1);
	const struct feed_tweet *t = &f->tweets[0];
	ck_assert_str_eq(t->text, "second"); /* a tie: the later in the feed */
	ck_assert_uint_eq(t->n_iocs, FEED_MAX_IOCS_PER_TWEET);
	ck_assert_str_eq(t->iocs[0].value, "10.0.0.0");
	ck_assert_str_eq(t->iocs[999].value, "10.0.3.231");
	ck_assert_str_eq(t->iocs[1000].value, "d0.example");
	ck_assert_str_eq(t->iocs[FEED_MAX_IOCS_PER_TWEET - 1].value, "d23.example");
	feed_free(f);
	free(json);
}
END_TEST

/* ------------------------------------- issue 18: parse, snapshot, load */

static int same_tweet(const struct feed_tweet *a, const struct feed_tweet *b)
{
	if (strcmp(a->id, b->id) || strcmp(a->user, b->user) || strcmp(a->text, b->text) ||
	    strcmp(a->link, b->link) || a->timestamp != b->timestamp ||
	    a->n_hashtags != b->n_hashtags || a->n_iocs != b->n_iocs)
		return 0;
	for (size_t i = 0; i < a->n_hashtags; i++)
		if (strcmp(a->hashtags[i], b->hashtags[i]))
			return 0;
	for (size_t j = 0; j < a->n_iocs; j++)
		if (a->iocs[j].kind != b->iocs[j].kind ||
		    strcmp(a->iocs[j].value, b->iocs[j].value) ||
		    strcmp(a->iocs[j].ctim_type, b->iocs[j].ctim_type))
			return 0;
	return 1;
}

/* Same tweets in the same order, same counts; and every lookup of every
 * IOC, by its CTIM type and value, finds the same tweets. */
static void assert_same_answers(const struct feed_index *ia, const struct feed_index *ib,
				const char *what)
{
	const struct feed *a = ia->feed, *b = ib->feed;
	ck_assert_msg(a->n_tweets == b->n_tweets && a->n_iocs == b->n_iocs &&
			      a->n_accounts == b->n_accounts && a->n_skipped == b->n_skipped &&
			      a->n_future == b->n_future && a->source_bytes == b->source_bytes,
		      "%s: other counts after the round trip", what);
	ck_assert_msg(ia->n_keys == ib->n_keys && ia->n_distinct_iocs == ib->n_distinct_iocs,
		      "%s: another index after the round trip", what);
	for (size_t i = 0; i < a->n_tweets; i++) {
		ck_assert_msg(same_tweet(&a->tweets[i], &b->tweets[i]), "%s: tweet %zu differs",
			      what, i);
		for (size_t j = 0; j < a->tweets[i].n_iocs; j++) {
			const struct feed_ioc *ioc = &a->tweets[i].iocs[j];
			const uint32_t *ha, *hb;
			size_t na = feed_index_lookup(ia, ioc->ctim_type, ioc->value, &ha);
			size_t nb = feed_index_lookup(ib, ioc->ctim_type, ioc->value, &hb);
			ck_assert_msg(na == nb, "%s: %s %s finds %zu tweets, then %zu", what,
				      ioc->ctim_type, ioc->value, na, nb);
			for (size_t k = 0; k < na; k++)
				ck_assert_str_eq(a->tweets[ha[k]].id, b->tweets[hb[k]].id);
		}
	}
}

/* Parses one document, writes its snapshot and loads it back under a cap
 * of the document's size. 1 when compared, 0 when the document is refused. */
static int round_trip(const char *json, size_t len, const char *what)
{
	struct feed *f = NULL, *g = NULL;
	char err[256];
	if (feed_parse(json, len, &f, err, sizeof(err)) != RELAY_OK)
		return 0;
	/* What the rules promise of every copy: each id once, none ahead. */
	double t = now(), when;
	GHashTable *ids = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t i = 0; i < f->n_tweets; i++) {
		ck_assert_msg(g_hash_table_add(ids, (gpointer)f->tweets[i].id), "%s: id %s twice",
			      what, f->tweets[i].id);
		ck_assert_msg(f->tweets[i].timestamp <= t + FEED_MAX_AHEAD, "%s: tweet %s ahead",
			      what, f->tweets[i].id);
	}
	g_hash_table_destroy(ids);
	ck_assert_int_eq(snapshot_write(dfd, f, t - 5, NULL, err, sizeof(err)), 0);
	ck_assert_msg(snapshot_load(dfd, len, t, &g, &when, err, sizeof(err)) == 1, "%s: %s", what,
		      err);
	struct feed_index *ia = feed_index_build(f), *ib = feed_index_build(g);
	ck_assert_ptr_nonnull(ia);
	ck_assert_ptr_nonnull(ib);
	assert_same_answers(ia, ib, what);
	feed_index_free(ia);
	feed_index_free(ib);
	return 1;
}

START_TEST(parse_snapshot_load_gives_the_same_answers)
{
	static const char *const fixtures[] = {
		"fixtures/tweettioc-feed-hostile.json",
		"fixtures/tweettioc-feed-repeated-ids.json",
		"fixtures/tweettioc-feed-future.json",
		"fixtures/tweettioc-feed-200.json",
	};
	size_t len;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char *json = test_read_file(fixtures[i], &len);
		ck_assert_msg(round_trip(json, len, fixtures[i]), "%s is refused", fixtures[i]);
		free(json);
	}
	const char *corpus = "fuzz/corpus/fuzz_feed";
	DIR *d = opendir(corpus);
	ck_assert_msg(d, "%s: %s (run from the repository root)", corpus, strerror(errno));
	int files = 0, compared = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[512];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", corpus, e->d_name);
		char *json = test_read_file(path, &len);
		compared += round_trip(json, len, path);
		files++;
		free(json);
	}
	closedir(d);
	ck_assert_int_ge(files, 100);
	ck_assert_int_ge(compared, files / 4);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_snapshot_reads_back_as_the_feed_it_was_written_from);
	tcase_add_test(tc, no_snapshot_is_not_an_error);
	tcase_add_test(tc, a_damaged_snapshot_is_refused_as_a_whole);
	tcase_add_test(tc, a_failed_write_keeps_the_previous_snapshot);
	tcase_add_test(tc, the_merge_keeps_unlisted_tweets_within_retention_only);
	tcase_add_test(tc, the_history_stays_within_the_byte_cap_oldest_first);
	tcase_add_test(tc, a_refresh_shares_the_strings_of_unchanged_tweets);
	tcase_add_test(tc, shared_segments_stay_bounded_over_many_refreshes);
	tcase_add_test(tc, incremental_urls_ask_for_yesterday_and_today);
	tcase_add_test(tc, reload_refreshes_at_once_and_the_next_start_loads_the_snapshot);
	tcase_add_test(tc, a_snapshot_cut_short_while_loading_is_refused_not_a_crash);
	tcase_add_test(tc, a_snapshot_over_the_byte_cap_is_refused_unread);
	tcase_add_test(tc, every_copy_within_the_cap_fits_the_cap_at_load);
	tcase_add_test(tc, a_tweet_dated_over_a_day_ahead_is_skipped_and_counted);
	tcase_add_test(tc, a_snapshot_with_times_in_the_future_is_refused);
	tcase_add_test(tc, a_refresh_time_in_the_future_is_not_ready);
	tcase_add_test(tc, a_repeated_id_is_one_tweet_with_every_ioc_and_the_newest_text);
	tcase_add_test(tc, a_snapshot_with_a_repeated_id_loads_folded);
	tcase_add_test(tc, a_folded_tweet_keeps_at_most_the_ioc_limit);
	suite_add_tcase(s, tc);
	/* Hundreds of documents, each written (fsync) and read back. */
	TCase *rt = tcase_create("round trip");
	tcase_set_timeout(rt, 300);
	tcase_add_checked_fixture(rt, setup, teardown);
	tcase_add_test(rt, parse_snapshot_load_gives_the_same_answers);
	suite_add_tcase(s, rt);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(snapshot_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
