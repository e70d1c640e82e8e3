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

#include "strbuf.h"
#include "tweettioc/feed.h"
#include "tweettioc/tiles_stats.h"

/* Ceiling of one markdown line; a row's cells are capped well below it. */
#define TILES_MD_LINE_MAX (64 * 1024)
/* Rows of the recent-tweets table. */
#define TILES_RECENT_ROWS 25
/* Per-row caps, in characters (tweet text, one IOC, one hashtag) and items. */
#define TILES_MD_TEXT_CHARS 280
#define TILES_MD_IOC_CHARS 200
#define TILES_MD_TAG_CHARS 60
#define TILES_MD_IOCS_PER_ROW 10
#define TILES_MD_TAGS_PER_ROW 10

/* Plain text in a table cell: line breaks and control characters become
 * spaces, markdown punctuation is backslash-escaped, at most max_chars
 * characters (cut on a UTF-8 boundary, ending in "..."). */
int tiles_md_text(struct strbuf *sb, const char *s, size_t max_chars);

/* `s` as an inline code span in a table cell (IOC values: shown verbatim,
 * never turned into a live link): fenced with more backticks than it
 * contains, pipes escaped, line breaks as spaces, cut like tiles_md_text. */
int tiles_md_code(struct strbuf *sb, const char *s, size_t max_chars);

/* An http(s) URL as a link destination: bytes that could end the
 * destination or the cell (space, parentheses, angle brackets, pipe,
 * backslash, quotes, controls, non-ASCII) are percent-encoded. */
int tiles_md_url(struct strbuf *sb, const char *url);

/* True when `name` can be a Twitter account name ([A-Za-z0-9_], 1-50
 * characters), so https://twitter.com/<name> is safe to link. */
int tiles_twitter_handle(const char *name);

/* Appends the tweet's absolute link: the feed's link when it is http(s),
 * https://twitter.com + link when it starts with "/", else
 * https://twitter.com/<user>/status/<id> when both are plain. Appends
 * nothing and returns 1 when there is no usable link; 0 when appended. */
int tiles_tweet_link(struct strbuf *sb, const struct feed_tweet *t);

/* The lines of the recent-tweets tile: a heading naming the period
 * (`period_phrase`, e.g. "last 24 hours") and how many tweets it holds,
 * then a table of the newest `max_rows` tweets of the window (time, account
 * link, IOCs, text, hashtags, link), or a line saying there are none.
 * Returns a new cJSON array of strings, or NULL when out of memory. */
cJSON *tiles_recent_lines(const struct feed *feed, const struct tiles_window *w,
			  const char *period_phrase, size_t max_rows);

#endif
