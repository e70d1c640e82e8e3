/* tiles_markdown.h: the recent-tweets markdown table and its cell escaping.
 *
 * Feed text is hostile: a tweet may carry pipes, newlines, backticks,
 * brackets or HTML that would end a table cell, start a link or inject
 * markup. Every cell goes through one of the writers below, which keep the
 * text readable and the table intact (GitHub-flavoured markdown, as the
 * SecureX markdown tile renders it). Links are absolute http(s) URLs only.
 *
 * All writers append to a caller's strbuf and return 0, or -1 when the
 * buffer refused the bytes (its ceiling or out of memory; the buffer's
 * `failed` flag says which).
 */
#ifndef TWEETTIOC_TILES_MARKDOWN_H
#define TWEETTIOC_TILES_MARKDOWN_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "lib/strbuf.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/tiles_stats.h"

/* Ceiling of one markdown line; a row's cells are capped well below it. */
#define TILES_MD_LINE_MAX (64 * 1024)
/* Rows of the recent-tweets table. */
#define TILES_RECENT_ROWS 25
/* Per-row caps, in UTF-16 units of output (tweet text, one IOC, one hashtag), and items. */
#define TILES_MD_TEXT_CHARS 640
#define TILES_MD_IOC_CHARS 200
#define TILES_MD_TAG_CHARS 60
#define TILES_MD_IOCS_PER_ROW 10
#define TILES_MD_TAGS_PER_ROW 10

/* Plain text in a table cell: md_text (ctim/text.h), at most max_chars
 * UTF-16 units of output. */
int tiles_md_text(struct strbuf *sb, const char *s, size_t max_chars);

/* `s` as an inline code span in a table cell (IOC values: shown verbatim,
 * never turned into a live link): md_code (ctim/text.h). */
int tiles_md_code(struct strbuf *sb, const char *s, size_t max_chars);

/* A valid http(s) URI (uri.h) as a link destination: md_url. */
int tiles_md_url(struct strbuf *sb, const char *url);

/* True when `name` can be a Twitter account name ([A-Za-z0-9_], 1-15
 * characters), so https://twitter.com/<name> is safe to link. */
int tiles_twitter_handle(const char *name);

/* The lines of the recent-tweets tile: a heading naming the period
 * (`period_phrase`, e.g. "last 24 hours") and how many tweets it holds,
 * then a table of the newest `max_rows` tweets of the window (time, account
 * link, IOCs, text, hashtags, link), or a line saying there are none.
 * Returns a new cJSON array of strings, or NULL when out of memory. */
cJSON *tiles_recent_lines(const struct feed *feed, const struct tiles_window *w,
			  const char *period_phrase, size_t max_rows);

#endif
