/* tiles_markdown.c: the recent-tweets table, with every feed string escaped for its cell.
 *
 * The table must survive anything a tweet contains. Cells are separated by
 * " | "; text cells are inert Markdown (ctim/text.h: escaped and defanged),
 * IOC cells are code spans (verbatim, never live links) unless a pipe or
 * backslash forces escaped text, links are the tweet's checked link
 * (uri.h). Line breaks and control characters never reach the output.
 */
#include "modules/tweettioc/tiles_markdown.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctim/text.h"
#include "ctim/uri.h"

#define TWITTER_BASE "https://twitter.com"
#define TWEETTIOC_HOME "https://tweettioc.com/"

/* 0 for an append that worked, -1 otherwise (the buffer keeps why). */
static int sb_ok(enum strbuf_status st)
{
	return st == STRBUF_OK ? 0 : -1;
}

int tiles_md_text(struct strbuf *sb, const char *s, size_t max_chars)
{
	return md_text(sb, s, max_chars);
}

int tiles_md_code(struct strbuf *sb, const char *s, size_t max_chars)
{
	return md_code(sb, s, max_chars);
}

int tiles_md_url(struct strbuf *sb, const char *url)
{
	return md_url(sb, url);
}

int tiles_twitter_handle(const char *name)
{
	return uri_twitter_handle(name);
}

/* Appends the tweet's link (uri_tweet_link: the feed's when it is a valid
 * Twitter URI, else rebuilt from account and id) as a link destination.
 * Appends nothing and returns 1 when there is no usable link; 0 when
 * appended, -1 when the buffer refused. */
static int tweet_link(struct strbuf *sb, const struct feed_tweet *t)
{
	char buf[URI_MAX + 1];
	const char *link;
	if (!uri_tweet_link(t->link, t->user, t->id, buf, &link))
		return 1;
	return md_url(sb, link);
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
	int rc = tweet_link(sb, t);
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
