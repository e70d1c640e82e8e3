/* feed_scale.c: how parse+index time, memory and lookup time grow with the feed.
 *
 * Usage: feed_scale FEED.json [FEED.json ...] (smallest first: the refresh
 * memory target is judged on the last, the largest, where the process's own
 * few MB no longer weigh in the ratio)
 * Each feed is measured in a child process so that peak RSS is its own.
 * Prints one line per feed and, with --json FILE, writes the numbers.
 * Per feed it also writes the snapshot (snapshot.h), times loading it
 * against parsing the JSON, and, in a second child that starts from the
 * snapshot as a restarted relay does, measures the peak RSS of one refresh
 * (download buffer, parse, merge, index, swap) against the feed's bytes.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/snapshot.h"
#include "modules/tweettioc/state_dir.h"

/* Targets of issue 13: loading the snapshot takes at most as long as
 * parsing the feed; a refresh peaks at most at 2.5x the feed's bytes. */
#define REFRESH_PEAK_TARGET 2.5

/* TWEETTIOC_MAX_BYTES's default: the refresh runs under its item size
 * limit and memory budget, as the relay's does. */
#define RELAY_CAP ((size_t)268435456)

#define LOOKUP_SAMPLES 4096
#define LOOKUP_ROUNDS 200

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The peak RSS (VmHWM) in MB, and its reset (Linux: clear_refs 5). */
static double hwm_mb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024.0;
}

static void reset_hwm(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

/* A relay restarted from the snapshot in the state directory `dfd` refreshes from `feed_path`
 * (len bytes): returns the peak RSS in MB. Mirrors refresh.c's order: the
 * download is parsed as it arrives (16 KiB at a time, as libcurl hands it
 * over), sharing the strings of unchanged tweets with the old copy, under
 * the default cap's item limit and memory budget; then merge, index, and
 * the old copy freed after the swap. Without `share`,
 * as if every tweet had changed (the worst case, for MemoryMax): nothing
 * is shared and, each id being in the download, nothing retained. */
static double refresh_peak(int dfd, const char *feed_path, size_t len, int share, double *load_peak,
			   double *base)
{
	*base = rss_kb() / 1024.0;
	struct feed *loaded, *fresh;
	double when;
	char err[256], chunk[16384];
	if (snapshot_load(dfd, 0, (double)time(NULL), &loaded, &when, err, sizeof(err)) != 1)
		return -1;
	struct feed_index *old = feed_index_build(loaded);
	/* The refresh's own peak: loading the snapshot (the file read into
	 * memory while the copy is built) is the start-up's, reported by the
	 * caller. */
	double start_peak = hwm_mb();
	reset_hwm();
	FILE *f = fopen(feed_path, "rb");
	struct feed_stream *stream = old ? feed_stream_new(share ? old->feed : NULL) : NULL;
	if (!f || !stream)
		return -1;
	feed_stream_limit(stream, RELAY_CAP);
	size_t n, total = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		total += n;
		if (feed_stream_write(stream, chunk, n) != 0)
			return -1;
	}
	fclose(f);
	if (total != len || feed_stream_finish(stream, &fresh, err, sizeof(err)) != RELAY_OK)
		return -1;
	feed_stream_free(stream);
	struct feed *merged = feed_merge(fresh, old->feed, 0, RELAY_CAP);
	struct feed_index *idx = merged ? feed_index_build(merged) : NULL;
	feed_index_free(old);
	if (!idx)
		return -1;
	feed_index_free(idx);
	*load_peak = start_peak;
	return hwm_mb();
}

/* Measures one feed; prints a line and a JSON object to `json` (may be NULL). */
static int measure(const char *path_json, FILE *json, int judged)
{
	const char *path = path_json;
	size_t len;
	char *text = read_all(path, &len);
	if (!text) {
		fprintf(stderr, "feed_scale: cannot read %s\n", path);
		return 1;
	}
	long rss_before = rss_kb();
	double t0 = now_s();
	struct feed *feed;
	char err[256];
	if (feed_parse(text, len, &feed, err, sizeof(err)) != RELAY_OK) {
		fprintf(stderr, "feed_scale: %s: %s\n", path, err);
		return 1;
	}
	struct feed_index *idx = feed_index_build(feed);
	double t_build = now_s() - t0;
	if (!idx)
		return 1;
	free(text);
	malloc_trim(0);
	long steady_kb = rss_kb() - rss_before;

	/* Sample observables: IOCs spread over the feed, and as many misses. */
	const char **types = calloc(LOOKUP_SAMPLES, sizeof(*types));
	const char **values = calloc(LOOKUP_SAMPLES, sizeof(*values));
	char(*miss)[32] = calloc(LOOKUP_SAMPLES, sizeof(*miss));
	size_t n = 0;
	for (size_t i = 0; n < LOOKUP_SAMPLES / 2 && idx->feed->n_tweets; i++) {
		const struct feed_tweet *t = &idx->feed->tweets[(i * 7919) % idx->feed->n_tweets];
		if (t->n_iocs == 0)
			continue;
		types[n] = t->iocs[0].ctim_type;
		values[n] = t->iocs[0].value;
		n++;
	}
	for (; n < LOOKUP_SAMPLES; n++) {
		snprintf(miss[n], sizeof(miss[n]), "10.%zu.%zu.%zu", n % 251, n % 241, n % 239);
		types[n] = "ip";
		values[n] = miss[n];
	}
	size_t hits = 0;
	double t1 = now_s();
	for (int r = 0; r < LOOKUP_ROUNDS; r++)
		for (size_t i = 0; i < n; i++) {
			const uint32_t *ids;
			hits += feed_index_lookup(idx, types[i], values[i], &ids) > 0;
		}
	double lookup_ns = (now_s() - t1) / ((double)n * LOOKUP_ROUNDS) * 1e9;

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	size_t index_bytes = feed_index_memory(idx);
	printf("%-28s %9zu B %8zu tweets %9zu IOC mentions %8zu distinct | parse+index %6.2f s | "
	       "peak RSS %6.0f MB | index %6.0f MB (%.2fx feed; RSS growth %.0f MB) | lookup %5.0f "
	       "ns "
	       "(%zu hits)\n",
	       path, len, idx->feed->n_tweets, idx->feed->n_iocs, idx->n_distinct_iocs, t_build,
	       ru.ru_maxrss / 1024.0, index_bytes / 1048576.0, (double)index_bytes / (double)len,
	       steady_kb / 1024.0, lookup_ns, hits);
	if (json)
		fprintf(json,
			"{\"feed\":\"%s\",\"bytes\":%zu,\"tweets\":%zu,\"ioc_mentions\":%zu,"
			"\"distinct_iocs\":%zu,\"parse_index_s\":%.3f,\"peak_rss_mb\":%.1f,"
			"\"index_mb\":%.1f,\"index_to_feed\":%.3f,\"rss_growth_mb\":%.1f,"
			"\"lookup_ns\":%.1f}\n",
			path, len, idx->feed->n_tweets, idx->feed->n_iocs, idx->n_distinct_iocs,
			t_build, ru.ru_maxrss / 1024.0, index_bytes / 1048576.0,
			(double)index_bytes / (double)len, steady_kb / 1024.0, lookup_ns);
	fflush(stdout);
	free(types);
	free(values);
	free(miss);

	/* The snapshot of this copy: write, then load (+ index) as a start does. */
	char dir[] = "/tmp/feed-scale-XXXXXX", snap_path[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(snap_path, sizeof(snap_path), "%s/%s", dir, SNAPSHOT_FILE);
	int dfd = state_dir_open(dir, err, sizeof(err));
	if (dfd < 0) {
		fprintf(stderr, "feed_scale: %s\n", err);
		return 1;
	}
	double t2 = now_s();
	/* Refreshed now: a snapshot dated before its tweets is refused. */
	if (snapshot_write(dfd, idx->feed, (double)time(NULL), NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "feed_scale: %s\n", err);
		return 1;
	}
	double t_write = now_s() - t2;
	feed_index_free(idx);
	malloc_trim(0);
	struct stat st;
	size_t snap_bytes = stat(snap_path, &st) == 0 ? (size_t)st.st_size : 0;
	double t3 = now_s(), when;
	struct feed *loaded;
	int got = snapshot_load(dfd, 0, (double)time(NULL), &loaded, &when, err, sizeof(err));
	double t_read = now_s() - t3;
	if (got != 1 || !(idx = feed_index_build(loaded))) {
		fprintf(stderr, "feed_scale: cannot load the snapshot: %s\n", err);
		return 1;
	}
	double t_load = now_s() - t3;
	feed_index_free(idx);
	malloc_trim(0);

	/* One refresh, in a child that starts from the snapshot. */
	/* refresh, start from the snapshot, every tweet changed, the child before it loads */
	double peaks[4] = {-1, -1, -1, -1};
	for (int share = 1; share >= 0; share--) {
		int pipefd[2];
		if (pipe(pipefd) != 0)
			break;
		pid_t pid = fork();
		if (pid == 0) {
			close(pipefd[0]);
			double r[3];
			r[0] = refresh_peak(dfd, path_json, len, share, &r[1], &r[2]);
			if (write(pipefd[1], r, sizeof(r)) != (ssize_t)sizeof(r))
				_exit(1);
			_exit(0);
		}
		close(pipefd[1]);
		double r[3] = {-1, -1, -1};
		if (read(pipefd[0], r, sizeof(r)) != (ssize_t)sizeof(r))
			r[0] = r[1] = r[2] = -1;
		close(pipefd[0]);
		waitpid(pid, NULL, 0);
		if (share) {
			peaks[0] = r[0];
			peaks[1] = r[1];
			peaks[3] = r[2];
		} else {
			peaks[2] = r[0];
		}
	}
	close(dfd);
	unlink(snap_path);
	rmdir(dir);
	double peak_mb = peaks[0], ratio = peak_mb * 1048576.0 / (double)len;
	double start_ratio = peaks[1] * 1048576.0 / (double)len;
	double changed_ratio = peaks[2] * 1048576.0 / (double)len;
	const char *verdict = !judged			     ? "judged on the largest feed"
			      : ratio <= REFRESH_PEAK_TARGET ? "ok"
							     : "MISSED";
	printf("%-28s snapshot %6.0f MB: write %5.2f s, load %5.2f s, load+index %5.2f s "
	       "(parse+index %5.2f s: %s) | process before loading %.0f MB | start from it: peak "
	       "RSS %.0f MB = %.2fx feed | refresh peak RSS %.0f MB = %.2fx feed (target <= %.1fx: "
	       "%s); every tweet changed: %.0f MB = %.2fx\n",
	       path_json, snap_bytes / 1048576.0, t_write, t_read, t_load, t_build,
	       t_load <= t_build + 0.02 ? "ok" : "SLOWER", peaks[3], peaks[1], start_ratio, peak_mb,
	       ratio, REFRESH_PEAK_TARGET, verdict, peaks[2], changed_ratio);
	if (json)
		fprintf(json,
			"{\"feed\":\"%s\",\"snapshot_bytes\":%zu,\"snapshot_write_s\":%.3f,"
			"\"snapshot_load_s\":%.3f,\"snapshot_load_index_s\":%.3f,\"parse_index_s\":"
			"%.3f,"
			"\"start_peak_rss_mb\":%.1f,\"start_peak_to_feed\":%.3f,"
			"\"refresh_peak_rss_mb\":%.1f,\"refresh_peak_to_feed\":%.3f,"
			"\"changed_refresh_peak_rss_mb\":%.1f,\"changed_refresh_peak_to_feed\":%."
			"3f}\n",
			path_json, snap_bytes, t_write, t_read, t_load, t_build, peaks[1],
			start_ratio, peak_mb, ratio, peaks[2], changed_ratio);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *json_path = NULL;
	int first = 1;
	if (argc > 2 && strcmp(argv[1], "--json") == 0) {
		json_path = argv[2];
		first = 3;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: feed_scale [--json FILE] FEED.json...\n");
		return 2;
	}
	int rc = 0;
	for (int i = first; i < argc; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			FILE *json = json_path ? fopen(json_path, "a") : NULL;
			int r = measure(argv[i], json, i == argc - 1);
			if (json)
				fclose(json);
			_exit(r);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = 1;
	}
	return rc;
}
