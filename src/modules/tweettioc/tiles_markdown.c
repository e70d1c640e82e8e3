/* tiles_markdown.c: the recent-tweets table, with every feed string escaped for its cell.
 *
 * The table must survive anything a tweet contains. Cells are separated by
 * " | "; text cells escape markdown punctuation with backslashes, IOC cells
 * are code spans (verbatim, never live links), links are absolute http(s)
 * URLs with the risky bytes percent-encoded. Line breaks and control
 * characters never reach the output.
 */
#include "tweettioc/tiles_markdown.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TWITTER_BASE "https://twitter.com"
#define TWEETTIOC_HOME "https://tweettioc.com/"
/* A link longer than this is not shown (no real tweet link comes close). */
#define TILES_MD_URL_MAX 2048

/* 0 for an append that worked, -1 otherwise (the buffer keeps why). */
static int sb_ok(enum strbuf_status st)
{
	return st == STRBUF_OK ? 0 : -1;
}

/* Bytes of the first `max_chars` characters of s, and whether s is longer. */
static size_t cut_point(const char *s, size_t max_chars, int *cut)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0, i = 0, keep = 0;
	size_t room = max_chars >= 3 ? max_chars - 3 : 0; /* leaves space for "..." */
	*cut = 0;
	for (; p[i]; i++) {
		if ((p[i] & 0xC0) == 0x80)
			continue;
		if (chars == room)
			keep = i;
		if (++chars > max_chars) {
			*cut = 1;
			return keep;
		}
	}
	return i;
}

static int is_break(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int tiles_md_text(struct strbuf *sb, const char *s, size_t max_chars)
{
	/* Inline markdown that could start emphasis, code, links, HTML or
	 * strike-through, plus the cell separator and the escape itself. */
	static const char special[] = "\\`*_[]()<>|~";
	int cut;
	size_t n = cut_point(s ? s : "", max_chars, &cut);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char out[2] = {'\\', (char)c};
		if (is_break(c)) {
			if (strbuf_append(sb, " ", 1) != STRBUF_OK)
				return -1;
		} else if (strchr(special, c)) {
			if (strbuf_append(sb, out, 2) != STRBUF_OK)
				return -1;
		} else if (strbuf_append(sb, out + 1, 1) != STRBUF_OK) {
			return -1;
		}
	}
	return cut ? sb_ok(strbuf_appends(sb, "...")) : 0;
}

int tiles_md_code(struct strbuf *sb, const char *s, size_t max_chars)
{
	int cut;
	s = s ? s : "";
	size_t n = cut_point(s, max_chars, &cut);
	size_t run = 0, longest = 0;
	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	/* CommonMark: a fence longer than any backtick run inside; padding
	 * spaces (stripped by the renderer) when the content touches a fence. */
	size_t fence = longest + 1;
	int pad = n > 0 && (s[0] == '`' || (!cut && s[n - 1] == '`'));
	for (int side = 0; side < 2; side++) {
		for (size_t i = 0; i < fence; i++)
			if (strbuf_append(sb, "`", 1) != STRBUF_OK)
				return -1;
		if (side == 0) {
			if (pad && strbuf_append(sb, " ", 1) != STRBUF_OK)
				return -1;
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)s[i];
				enum strbuf_status st;
				if (is_break(c))
					st = strbuf_append(sb, " ", 1);
				else if (c ==
					 '|') /* the table splits on a bare pipe, even in code */
					st = strbuf_append(sb, "\\|", 2);
				else
					st = strbuf_append(sb, s + i, 1);
				if (st != STRBUF_OK)
					return -1;
			}
			if (cut && strbuf_appends(sb, "...") != STRBUF_OK)
				return -1;
			if (pad && strbuf_append(sb, " ", 1) != STRBUF_OK)
				return -1;
		}
	}
	return 0;
}

int tiles_md_url(struct strbuf *sb, const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char risky[] = " ()<>|\\\"'`[]{}^";
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		enum strbuf_status st;
		if (*p <= 0x20 || *p >= 0x7f || strchr(risky, *p)) {
			char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			st = strbuf_append(sb, enc, 3);
		} else {
			st = strbuf_append(sb, p, 1);
		}
		if (st != STRBUF_OK)
			return -1;
	}
	return 0;
}

int tiles_twitter_handle(const char *name)
{
	size_t n = 0;
	for (; name && name[n]; n++) {
		char c = name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_') ||
		    n >= 50)
			return 0;
	}
	return n > 0;
}

static int all_digits(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int tiles_tweet_link(struct strbuf *sb, const struct feed_tweet *t)
{
	const char *link = t->link ? t->link : "";
	size_t len = strlen(link);
	if (len > 0 && len <= TILES_MD_URL_MAX) {
		if (strncasecmp(link, "https://", 8) == 0 || strncasecmp(link, "http://", 7) == 0)
			return tiles_md_url(sb, link);
		if (link[0] == '/' && link[1] != '/') {
			if (strbuf_appends(sb, TWITTER_BASE) != STRBUF_OK)
				return -1;
			return tiles_md_url(sb, link);
		}
	}
	if (tiles_twitter_handle(t->user) && all_digits(t->id))
		return sb_ok(strbuf_printf(sb, TWITTER_BASE "/%s/status/%s", t->user, t->id));
	return 1;
}

static int account_cell(struct strbuf *sb, const char *user)
{
	if (strbuf_appends(sb, tiles_twitter_handle(user) ? "[@" : "@") != STRBUF_OK ||
	    tiles_md_text(sb, user, 64) != 0)
		return -1;
	if (!tiles_twitter_handle(user))
		return 0;
	return sb_ok(strbuf_printf(sb, "](" TWITTER_BASE "/%s)", user));
}

static int iocs_cell(struct strbuf *sb, const struct feed_tweet *t)
{
	size_t shown = t->n_iocs < TILES_MD_IOCS_PER_ROW ? t->n_iocs : TILES_MD_IOCS_PER_ROW;
	for (size_t i = 0; i < shown; i++) {
		if ((i && strbuf_append(sb, " ", 1) != STRBUF_OK) ||
		    tiles_md_code(sb, t->iocs[i].value, TILES_MD_IOC_CHARS) != 0)
			return -1;
	}
	if (t->n_iocs > shown)
		return sb_ok(strbuf_printf(sb, " (+%zu more)", t->n_iocs - shown));
	return 0;
}

static int hashtags_cell(struct strbuf *sb, const struct feed_tweet *t)
{
	size_t shown =
		t->n_hashtags < TILES_MD_TAGS_PER_ROW ? t->n_hashtags : TILES_MD_TAGS_PER_ROW;
	for (size_t i = 0; i < shown; i++) {
		if (strbuf_appends(sb, i ? " #" : "#") != STRBUF_OK ||
		    tiles_md_text(sb, t->hashtags[i], TILES_MD_TAG_CHARS) != 0)
			return -1;
	}
	if (t->n_hashtags > shown)
		return sb_ok(strbuf_printf(sb, " (+%zu more)", t->n_hashtags - shown));
	return 0;
}

static int link_cell(struct strbuf *sb, const struct feed_tweet *t)
{
	size_t mark = sb->len;
	if (strbuf_appends(sb, "[open](") != STRBUF_OK)
		return -1;
	int rc = tiles_tweet_link(sb, t);
	if (rc < 0)
		return -1;
	if (rc == 1) { /* no usable link: an empty cell */
		sb->len = mark;
		sb->data[mark] = '\0';
		return 0;
	}
	return sb_ok(strbuf_appends(sb, ")"));
}

/* One table row. */
static int tweet_row(struct strbuf *sb, const struct feed_tweet *t)
{
	char when[32];
	time_t secs = (time_t)t->timestamp;
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
		snprintf(when, sizeof(when), "?");
	if (strbuf_printf(sb, "| %s | ", when) != STRBUF_OK || account_cell(sb, t->user) != 0 ||
	    strbuf_appends(sb, " | ") != STRBUF_OK || iocs_cell(sb, t) != 0 ||
	    strbuf_appends(sb, " | ") != STRBUF_OK ||
	    tiles_md_text(sb, t->text, TILES_MD_TEXT_CHARS) != 0 ||
	    strbuf_appends(sb, " | ") != STRBUF_OK || hashtags_cell(sb, t) != 0 ||
	    strbuf_appends(sb, " | ") != STRBUF_OK || link_cell(sb, t) != 0 ||
	    strbuf_appends(sb, " |") != STRBUF_OK)
		return -1;
	return 0;
}

/* Appends the buffer as a string item and empties it. */
static int add_line(cJSON *lines, struct strbuf *sb)
{
	cJSON *s = cJSON_CreateString(sb->data ? sb->data : "");
	if (!s || !cJSON_AddItemToArray(lines, s)) {
		cJSON_Delete(s);
		return -1;
	}
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
	return 0;
}

cJSON *tiles_recent_lines(const struct feed *feed, const struct tiles_window *w,
			  const char *period_phrase, size_t max_rows)
{
	size_t total = w->end - w->begin;
	size_t rows = total < max_rows ? total : max_rows;
	cJSON *lines = cJSON_CreateArray();
	struct strbuf sb;
	strbuf_init(&sb, TILES_MD_LINE_MAX);
	if (!lines)
		goto fail;
	if (total == 0) {
		if (strbuf_printf(&sb,
				  "No tweets from [Twitter IOC Hunter](" TWEETTIOC_HOME
				  ") in the %s.",
				  period_phrase) != STRBUF_OK ||
		    add_line(lines, &sb) != 0)
			goto fail;
		strbuf_free(&sb);
		return lines;
	}
	if (strbuf_printf(&sb,
			  "Newest tweets from [Twitter IOC Hunter](" TWEETTIOC_HOME
			  "), %s: %zu of %zu shown.",
			  period_phrase, rows, total) != STRBUF_OK ||
	    add_line(lines, &sb) != 0 || add_line(lines, &sb) != 0 ||
	    strbuf_appends(&sb, "| Time (UTC) | Account | IOCs | Tweet | Hashtags | Link |") !=
		    STRBUF_OK ||
	    add_line(lines, &sb) != 0 ||
	    strbuf_appends(&sb, "| --- | --- | --- | --- | --- | --- |") != STRBUF_OK ||
	    add_line(lines, &sb) != 0)
		goto fail;
	for (size_t i = 0; i < rows; i++)
		if (tweet_row(&sb, &feed->tweets[w->begin + i]) != 0 || add_line(lines, &sb) != 0)
			goto fail;
	strbuf_free(&sb);
	return lines;
fail:
	strbuf_free(&sb);
	cJSON_Delete(lines);
	return NULL;
}
