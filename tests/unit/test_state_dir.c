/* test_state_dir.c: the state directory: who may write it, and what others plant in it (issue 18). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/snapshot.h"
#include "modules/tweettioc/state_dir.h"

static const char feed_json[] =
	"[{\"ip\":[\"1.2.3.4\"],\"tweet\":{\"id\":\"100\",\"user\":\"alice\",\"tweet\":\"t\","
	"\"link\":\"https://twitter.com/alice/status/100\",\"timestamp\":100}}]";

static char dir[64];
static int dfd = -1;

static void setup(void)
{
	dfd = test_state_dir_make(dir, sizeof(dir), "relay-statedir");
}

static void teardown(void)
{
	test_state_dir_remove(dir, &dfd);
}

static double now(void)
{
	return (double)time(NULL);
}

static struct feed *parse(const char *json)
{
	struct feed *f = NULL;
	char err[256];
	ck_assert_int_eq(feed_parse(json, strlen(json), &f, err, sizeof(err)), RELAY_OK);
	return f;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

static void assert_text(const char *path, const char *text)
{
	size_t len;
	char *got = test_read_file(path, &len);
	ck_assert_str_eq(got, text);
	free(got);
}

/* A load from the state directory `fd` expected to fail with `why`. */
static void assert_load_refused(int fd, const char *why)
{
	struct feed *f = NULL;
	double when = 0;
	char err[256] = "";
	ck_assert_int_eq(snapshot_load(fd, 0, now(), &f, &when, err, sizeof(err)), -1);
	ck_assert_ptr_null(f);
	ck_assert_msg(strstr(err, why), "reason '%s' lacks '%s'", err, why);
}

START_TEST(planted_links_and_fifos_are_never_followed_or_waited_on)
{
	char state[96], victim[96], path[192], err[256];
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	write_text(victim, "precious");
	/* Links under the names the write probe and the temporary file had. */
	snprintf(path, sizeof(path), "%s/.write-probe", state);
	ck_assert_int_eq(symlink(victim, path), 0);
	snprintf(path, sizeof(path), "%s/%s.tmp.%ld", state, SNAPSHOT_FILE, (long)getpid());
	ck_assert_int_eq(symlink(victim, path), 0);
	int sfd = test_state_dir_open(state);
	struct feed *f = parse(feed_json);
	ck_assert_int_eq(snapshot_write(sfd, f, 42, NULL, err, sizeof(err)), 0);
	assert_text(victim, "precious");
	char snap[160];
	struct stat st;
	snprintf(snap, sizeof(snap), "%s/%s", state, SNAPSHOT_FILE);
	ck_assert_int_eq(lstat(snap, &st), 0);
	ck_assert(S_ISREG(st.st_mode));

	/* The snapshot's own name as a link: refused, not read through. */
	ck_assert_int_eq(unlink(snap), 0);
	ck_assert_int_eq(symlink(victim, snap), 0);
	assert_load_refused(sfd, "symbolic link");
	/* As a FIFO: refused at once (the open used to wait for a writer;
	 * the alarm turns a hang into a failure). */
	ck_assert_int_eq(unlink(snap), 0);
	ck_assert_int_eq(mkfifo(snap, 0600), 0);
	alarm(5);
	assert_load_refused(sfd, "not a regular file");
	alarm(0);
	ck_assert_int_eq(unlink(snap), 0);
	ck_assert_int_eq(mkdir(snap, 0700), 0);
	assert_load_refused(sfd, "not a regular file");
	ck_assert_int_eq(rmdir(snap), 0);
	/* The next write puts a regular file in place of a planted FIFO. */
	ck_assert_int_eq(mkfifo(snap, 0600), 0);
	ck_assert_int_eq(snapshot_write(sfd, f, 43, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(lstat(snap, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	assert_text(victim, "precious");
	feed_free(f);
	close(sfd);
}
END_TEST

START_TEST(a_state_dir_others_may_write_is_refused)
{
	char state[96], link[96], err[256];
	snprintf(state, sizeof(state), "%s/shared", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	const mode_t refused[] = {0770, 0707, 01777};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_int_eq(chmod(state, refused[i]), 0);
		ck_assert_int_eq(state_dir_open(state, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "writable by group or others"), "%s", err);
	}
	ck_assert_int_eq(chmod(state, 0750), 0);
	close(test_state_dir_open(state));
	/* A link to it that we own is followed (systemd's DynamicUser= makes
	 * /var/lib/<name> one). */
	ck_assert_int_eq(symlink("shared", link), 0);
	close(test_state_dir_open(link));
	/* A file where the directory should be. */
	char file[96];
	snprintf(file, sizeof(file), "%s/file", dir);
	write_text(file, "x");
	ck_assert_int_eq(state_dir_open(file, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a directory"), "%s", err);
	if (geteuid() != 0)
		return; /* what follows needs to give files away */
	ck_assert_int_eq(chown(state, 4242, 4242), 0);
	ck_assert_int_eq(state_dir_open(state, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "belongs to uid 4242"), "%s", err);
	ck_assert_int_eq(chown(state, 0, 0), 0);
	ck_assert_int_eq(lchown(link, 4242, 4242), 0);
	ck_assert_int_eq(state_dir_open(link, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "symbolic link of uid 4242"), "%s", err);
	/* A snapshot another user put there is not read. */
	struct feed *f = parse(feed_json);
	ck_assert_int_eq(snapshot_write(dfd, f, 42, NULL, err, sizeof(err)), 0);
	feed_free(f);
	char snap[160];
	snprintf(snap, sizeof(snap), "%s/%s", dir, SNAPSHOT_FILE);
	ck_assert_int_eq(chown(snap, 4242, 4242), 0);
	assert_load_refused(dfd, "belongs to uid 4242");
}
END_TEST

START_TEST(temporary_names_are_new_and_random)
{
	char a[64], b[64];
	int fa = state_dir_create_temp(dfd, "x.tmp", a, sizeof(a));
	int fb = state_dir_create_temp(dfd, "x.tmp", b, sizeof(b));
	ck_assert_int_ge(fa, 0);
	ck_assert_int_ge(fb, 0);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strlen(a), strlen("x.tmp") + STATE_DIR_TEMP_SUFFIX - 1);
	/* The exact size is enough; a byte less is refused, not cut. */
	char exact[sizeof("x.tmp") - 1 + STATE_DIR_TEMP_SUFFIX];
	int fc = state_dir_create_temp(dfd, "x.tmp", exact, sizeof(exact));
	ck_assert_int_ge(fc, 0);
	close(fc);
	ck_assert_int_eq(state_dir_create_temp(dfd, "x.tmp", exact, sizeof(exact) - 1), -1);
	close(fa);
	close(fb);
}
END_TEST

static Suite *state_dir_suite(void)
{
	Suite *s = suite_create("state_dir");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, planted_links_and_fifos_are_never_followed_or_waited_on);
	tcase_add_test(tc, a_state_dir_others_may_write_is_refused);
	tcase_add_test(tc, temporary_names_are_new_and_random);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_dir_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
