/* sighting.c: the sighting a tweet makes for an observable it mentions:
 * title, Markdown description (the feed's text escaped and defanged,
 * ctim/text.h), short description, data table and relations.
 *
 * The table and the relations are most of a sighting's nodes and mostly
 * constant text: they are written as JSON text (json_text) and go into the
 * tree as Raw items.
 */
#include "modules/tweettioc/sighting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctim/entities.h"
#include "ctim/text.h"
#include "ctim/uri.h"
#include "http/metrics.h"
#include "lib/strbuf.h"
#include "modules/tweettioc/feed.h"

#define HASHTAGS_MAX 2048

/* Caps, in UTF-16 units, of the feed parts of a sighting's Markdown. */
#define ACCOUNT_UNITS 64
#define HASHTAG_UNITS 60
#define HASHTAGS_SHOWN 20
#define SHORT_VALUE_UNITS 512

/* The hashtags as plain text ("#a #b") for the table's string column, with
 * invalid UTF-8 replaced; NULL when out of memory. */
static char *plain_hashtags(const struct feed_tweet *t)
{
	char out[HASHTAGS_MAX];
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < t->n_hashtags; i++) {
		int n = snprintf(out + o, sizeof(out) - o, "%s#%s", i ? " " : "", t->hashtags[i]);
		if (n < 0 || (size_t)n >= sizeof(out) - o) {
			out[o] = '\0';
			break;
		}
		o += (size_t)n;
	}
	return ctim_truncate(out, HASHTAGS_MAX);
}

/* The data table columns, the same for every sighting; Link only when the
 * tweet has a usable link (a url cell must hold a URI). */
#define TABLE_COLUMNS_BASE                                                                        \
	"[{\"name\":\"Account\",\"type\":\"string\"},{\"name\":\"Tweet\",\"type\":\"markdown\"}," \
	"{\"name\":\"Hashtags\",\"type\":\"string\"}"
#define TABLE_COLUMNS TABLE_COLUMNS_BASE ",{\"name\":\"Link\",\"type\":\"url\"}]"
#define TABLE_COLUMNS_NO_LINK TABLE_COLUMNS_BASE "]"

/* The sighting's data table (Account, Tweet, Hashtags, Link and one row)
 * and its relations are most of a sighting's nodes and mostly constant
 * text: they are written as JSON text (json_text) and go into the tree as
 * Raw items. tests/unit/test_tweettioc.c checks the text against the same
 * table and relations built as cJSON nodes. The Tweet cell is Markdown, so
 * the text is escaped and defanged (ctim/text.h). */
static cJSON *tweet_table(struct json_text *text, const struct feed_tweet *t, const char *link,
			  const char *tweet_md)
{
	char at[512];
	snprintf(at, sizeof(at), "@%s", t->user);
	char *account = ctim_truncate(at, ACCOUNT_UNITS + 1), *tags = plain_hashtags(t);
	cJSON *raw = NULL;
	if (account && tags) {
		text->len = 0;
		json_text_literal(text, "{\"columns\":");
		if (link)
			json_text_literal(text, TABLE_COLUMNS);
		else
			json_text_literal(text, TABLE_COLUMNS_NO_LINK);
		json_text_literal(text, ",\"rows\":[[");
		json_text_string(text, account);
		json_text_literal(text, ",");
		json_text_string(text, tweet_md);
		json_text_literal(text, ",");
		json_text_string(text, tags);
		if (link) {
			json_text_literal(text, ",");
			json_text_string(text, link);
		}
		json_text_literal(text, "]]}");
		raw = json_text_to_raw(text);
	}
	free(account);
	free(tags);
	return raw;
}

/* The account as Markdown: a live link to the profile when the name is a
 * handle (the relay's own link), else escaped text. */
static int md_account(struct strbuf *sb, const char *user)
{
	if (uri_twitter_handle(user))
		return strbuf_printf(sb, "[@%s](https://twitter.com/%s)", user, user) == STRBUF_OK
			       ? 0
			       : -1;
	return strbuf_appends(sb, "@") == STRBUF_OK ? md_text(sb, user, ACCOUNT_UNITS) : -1;
}

static void format_minute(double t, char out[32])
{
	time_t secs = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(out, 32, "?");
}

/* The sighting's description: what the data table carries, as Markdown XDR
 * shows (it does not show data tables; Cisco's tr-05-serverless-meraki-mx
 * code/api/mapping.py says the same). Lines: account and time, the tweet,
 * hashtags, link. The tweet gets what the other lines leave of the 5,000
 * units. NULL when out of memory. */
static char *tweet_description(const struct feed_tweet *t, const char *link, const char *tweet_md,
			       size_t tweet_md_units)
{
	struct strbuf head, tail, out;
	char when[32];
	format_minute(t->timestamp, when);
	strbuf_init(&head, 4096);
	strbuf_init(&tail, 4 * URI_MAX);
	strbuf_init(&out, 8 * CTIM_DESCRIPTION_MAX);
	int rc = strbuf_appends(&head, "**Account:** ") == STRBUF_OK &&
		 md_account(&head, t->user) == 0 &&
		 strbuf_printf(&head, " on Twitter, %s\n\n**Tweet:** ", when) == STRBUF_OK;
	if (rc && t->n_hashtags) {
		rc = strbuf_appends(&tail, "\n\n**Hashtags:**") == STRBUF_OK;
		size_t shown = t->n_hashtags < HASHTAGS_SHOWN ? t->n_hashtags : HASHTAGS_SHOWN;
		for (size_t i = 0; rc && i < shown; i++)
			rc = strbuf_appends(&tail, " \\#") == STRBUF_OK &&
			     md_text(&tail, t->hashtags[i], HASHTAG_UNITS) == 0;
		if (rc && t->n_hashtags > shown)
			rc = strbuf_printf(&tail, " (+%zu more)", t->n_hashtags - shown) ==
			     STRBUF_OK;
	}
	if (rc && link)
		rc = strbuf_appends(&tail, "\n\n**Link:** [open the tweet](") == STRBUF_OK &&
		     md_url(&tail, link) == 0 && strbuf_appends(&tail, ")") == STRBUF_OK;
	char *desc = NULL;
	if (rc) {
		size_t fixed = text_utf16_len(head.data) + text_utf16_len(tail.data);
		size_t room = fixed < CTIM_DESCRIPTION_MAX ? CTIM_DESCRIPTION_MAX - fixed : 0;
		/* The table's escaped text when it fits, else escaped again
		 * within what is left. */
		if (strbuf_appends(&out, head.data) == STRBUF_OK &&
		    (tweet_md_units <= room ? strbuf_appends(&out, tweet_md) == STRBUF_OK
					    : md_text(&out, t->text, room) == 0) &&
		    (!tail.data || strbuf_appends(&out, tail.data) == STRBUF_OK))
			desc = strbuf_detach(&out, NULL);
	}
	strbuf_free(&head);
	strbuf_free(&tail);
	strbuf_free(&out);
	return desc;
}

/* One line: who tweeted which IOC when. NULL when out of memory. */
static char *tweet_short_description(const struct feed_tweet *t, const struct observable *o)
{
	struct strbuf sb;
	char when[32];
	format_minute(t->timestamp, when);
	strbuf_init(&sb, 4096);
	char *line = NULL;
	if (strbuf_appends(&sb, "@") == STRBUF_OK && md_text(&sb, t->user, ACCOUNT_UNITS) == 0 &&
	    strbuf_printf(&sb, " tweeted %s ", o->type) == STRBUF_OK &&
	    md_text(&sb, o->value, SHORT_VALUE_UNITS) == 0 &&
	    strbuf_printf(&sb, " on %s", when) == STRBUF_OK)
		line = strbuf_detach(&sb, NULL);
	strbuf_free(&sb);
	return line;
}

/* Related_To relations from the observable to the tweet's other IOCs;
 * `head` is their shared part (ctim_relation_head_write), written once. An
 * IOC that is not valid UTF-8 cannot be a valid observable: left out. */
static cJSON *tweet_relations(struct json_text *text, const struct feed_tweet *t,
			      const struct json_text *head, const char *key)
{
	text->len = 0;
	json_text_literal(text, "[");
	int first = 1;
	for (size_t i = 0; i < t->n_iocs; i++) {
		const struct feed_ioc *ioc = &t->iocs[i];
		if ((ioc->key && strcmp(ioc->key, key) == 0) ||
		    (ioc->alt_key && strcmp(ioc->alt_key, key) == 0))
			continue;
		if (!ctim_observable_ok(ioc->ctim_type, ioc->value)) {
			metrics_count_dropped_entity();
			continue;
		}
		if (!first)
			json_text_literal(text, ",");
		first = 0;
		ctim_relation_write(text, head, ioc->ctim_type, ioc->value);
	}
	json_text_literal(text, "]");
	return json_text_to_raw(text);
}

cJSON *tweettioc_sighting(struct json_text *text, const struct feed_tweet *t,
			  const struct observable *o, const struct json_text *relation_head,
			  const char *key)
{
	char title[512], linkbuf[URI_MAX + 1];
	const char *link;
	uri_tweet_link(t->link, t->user, t->id, linkbuf, &link);
	snprintf(title, sizeof(title), "Tweeted by @%s", t->user);
	struct strbuf tweet_md;
	strbuf_init(&tweet_md, 8 * CTIM_DESCRIPTION_MAX);
	int md_ok = md_text(&tweet_md, t->text, CTIM_DESCRIPTION_MAX) == 0;
	const char *md = tweet_md.data ? tweet_md.data : "";
	char *description = md_ok ? tweet_description(t, link, md, text_utf16_len(md)) : NULL;
	char *short_description = tweet_short_description(t, o);
	struct ctim_sighting_in in = {
		.type = o->type,
		.value = o->value,
		.source = TWEETTIOC_SOURCE,
		.source_uri = link,
		.title = title,
		.description = description,
		.short_description = short_description,
		.confidence = "Medium",
		.external_id = t->id && ctim_observable_ok(t->id, t->id) ? t->id : NULL,
		.observed = t->timestamp,
		.relations = tweet_relations(text, t, relation_head, key),
		.data = md_ok ? tweet_table(text, t, link, md) : NULL,
		.borrow = 1, /* the feed copy outlives the response (enrich) */
	};
	cJSON *sighting = NULL;
	if (in.relations && in.data && description && short_description)
		sighting = ctim_sighting(&in);
	else {
		cJSON_Delete(in.relations);
		cJSON_Delete(in.data);
	}
	free(description);
	free(short_description);
	strbuf_free(&tweet_md);
	return sighting;
}
