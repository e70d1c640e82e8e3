/* sighting.c: the tweetfeed module's sightings and texts (see sighting.h).
 *
 * Descriptions are built part by part into bounded buffers: the fixed
 * parts (account, time, link) first, then as many IOCs, tags or accounts
 * as fit CTIM's 5,000 units, each escaped for where it lands (md_text for
 * running text, md_code for IOC values), so the cut never falls inside an
 * escape or a code span.
 */
#include "modules/tweetfeed/sighting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctim/entities.h"
#include "ctim/text.h"
#include "ctim/uri.h"
#include "lib/strbuf.h"

/* Caps, in UTF-16 units, of what TweetFeed wrote. */
#define ACCOUNT_UNITS 64
#define TAG_UNITS 60
#define TAGS_SHOWN 20
#define VALUE_UNITS 512
#define TABLE_MAX (64 * 1024)

static void format_minute(double t, char out[32])
{
	time_t secs = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(out, 32, "?");
}

static int ok(enum strbuf_status s)
{
	return s == STRBUF_OK;
}

/* The account as Markdown: a link to the profile when it is a handle (the
 * relay's own link), else escaped text. */
static int md_account(struct strbuf *sb, const char *user)
{
	if (uri_twitter_handle(user))
		return ok(strbuf_printf(sb, "[@%s](https://twitter.com/%s)", user, user)) ? 0 : -1;
	return ok(strbuf_appends(sb, "@")) ? md_text(sb, user, ACCOUNT_UNITS) : -1;
}

/* " \#a \#b (+N more)" */
static int md_tags(struct strbuf *sb, const char *const *tags, size_t n)
{
	size_t shown = n < TAGS_SHOWN ? n : TAGS_SHOWN;
	for (size_t i = 0; i < shown; i++)
		if (!ok(strbuf_appends(sb, " \\#")) || md_text(sb, tags[i], TAG_UNITS) != 0)
			return -1;
	if (n > shown && !ok(strbuf_printf(sb, " (+%zu more)", n - shown)))
		return -1;
	return 0;
}

void tweetfeed_tweet_title(const struct feed_tweet *t, char *out, size_t len)
{
	snprintf(out, len, "Tweeted by @%s", t->user);
}

/* Appends one IOC as "<type> `value`" to sb when the whole of it keeps sb
 * within `room` units; returns 1 appended, 0 no room, -1 out of memory. */
static int md_ioc_fits(struct strbuf *sb, const struct feed_ioc *ioc, const char *sep, size_t room)
{
	struct strbuf one;
	strbuf_init(&one, 8 * VALUE_UNITS);
	const char *type = ioc->ctim_type ? ioc->ctim_type : feed_ioc_list_names[ioc->kind];
	int rc = ok(strbuf_printf(&one, "%s%s ", sep, type)) &&
				 md_code(&one, ioc->value, VALUE_UNITS) == 0
			 ? 1
			 : -1;
	if (rc == 1 && text_utf16_len(sb->data ? sb->data : "") + text_utf16_len(one.data) > room)
		rc = 0;
	if (rc == 1 && !ok(strbuf_appends(sb, one.data)))
		rc = -1;
	strbuf_free(&one);
	return rc;
}

/* The tweet's IOCs, as many as fit `room` units and at most
 * TWEETFEED_IOCS_SHOWN, then "(+N more)". */
static int md_iocs(struct strbuf *sb, const struct feed_tweet *t, const char *sep, size_t room)
{
	size_t shown = 0;
	for (size_t i = 0; i < t->n_iocs && shown < TWEETFEED_IOCS_SHOWN; i++) {
		int rc = md_ioc_fits(sb, &t->iocs[i], shown ? sep : "", room);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		shown++;
	}
	if (t->n_iocs > shown && !ok(strbuf_printf(sb, " (+%zu more)", t->n_iocs - shown)))
		return -1;
	return 0;
}

char *tweetfeed_tweet_description(const struct feed_tweet *t, const char *link)
{
	struct strbuf head, tail, out;
	char when[32];
	format_minute(t->timestamp, when);
	strbuf_init(&head, 16 * 1024);
	strbuf_init(&tail, 4 * URI_MAX);
	strbuf_init(&out, 8 * CTIM_DESCRIPTION_MAX);
	int rc = ok(strbuf_appends(&head, "**Account:** ")) && md_account(&head, t->user) == 0 &&
		 ok(strbuf_printf(&head, " on Twitter, %s", when));
	if (rc && t->n_hashtags)
		rc = ok(strbuf_appends(&head, "\n\n**Tags:**")) &&
		     md_tags(&head, t->hashtags, t->n_hashtags) == 0;
	if (rc)
		rc = ok(strbuf_appends(&head, "\n\n**IOCs:** "));
	if (rc && link)
		rc = ok(strbuf_appends(&tail, "\n\n**Link:** [open the tweet](")) &&
		     md_url(&tail, link) == 0 && ok(strbuf_appends(&tail, ")"));
	char *desc = NULL;
	if (rc) {
		/* The IOCs get what the other parts leave of the 5,000 units,
		 * less room for "(+N more)". */
		size_t tail_units = tail.data ? text_utf16_len(tail.data) : 0;
		size_t room = tail_units + 32 < CTIM_DESCRIPTION_MAX
				      ? CTIM_DESCRIPTION_MAX - tail_units - 32
				      : 0;
		if (ok(strbuf_appends(&out, head.data)) && md_iocs(&out, t, ", ", room) == 0 &&
		    (!tail.data || ok(strbuf_appends(&out, tail.data))))
			desc = strbuf_detach(&out, NULL);
	}
	strbuf_free(&head);
	strbuf_free(&tail);
	strbuf_free(&out);
	return desc;
}

char *tweetfeed_tweet_short_description(const struct feed_tweet *t, const char *type,
					const char *value)
{
	struct strbuf sb;
	char when[32];
	format_minute(t->timestamp, when);
	strbuf_init(&sb, 4096);
	char *line = NULL;
	if (ok(strbuf_appends(&sb, "@")) && md_text(&sb, t->user, ACCOUNT_UNITS) == 0 &&
	    ok(strbuf_printf(&sb, " tweeted %s ", type)) && md_text(&sb, value, VALUE_UNITS) == 0 &&
	    ok(strbuf_printf(&sb, " on %s", when)))
		line = strbuf_detach(&sb, NULL);
	strbuf_free(&sb);
	return line;
}

/* The tags as plain text ("#a #b") for the table's string column. */
static char *plain_tags(const struct feed_tweet *t)
{
	struct strbuf sb;
	strbuf_init(&sb, 4096);
	int rc = 1;
	for (size_t i = 0; rc && i < t->n_hashtags; i++)
		if (strbuf_printf(&sb, "%s#%s", i ? " " : "", t->hashtags[i]) != STRBUF_OK)
			break; /* over the cell's ceiling: the tags that fit */
	char *s = ctim_truncate(sb.data ? sb.data : "", 2048);
	strbuf_free(&sb);
	return s;
}

static int add_column(cJSON *cols, const char *name, const char *type)
{
	cJSON *c = cJSON_CreateObject();
	if (!c || !cJSON_AddItemToArray(cols, c))
		return cJSON_Delete(c), 0;
	return cJSON_AddStringToObject(c, "name", name) && cJSON_AddStringToObject(c, "type", type);
}

cJSON *tweetfeed_tweet_table(const struct feed_tweet *t, const char *link)
{
	char at[32];
	snprintf(at, sizeof(at), "@%s", t->user);
	char *account = ctim_truncate(at, ACCOUNT_UNITS + 1), *tags = plain_tags(t);
	struct strbuf iocs;
	strbuf_init(&iocs, TABLE_MAX);
	cJSON *table = cJSON_CreateObject(), *cols = cJSON_AddArrayToObject(table, "columns");
	cJSON *rows = cJSON_AddArrayToObject(table, "rows"), *row = cJSON_CreateArray();
	int rc = account && tags && cols && rows && row && cJSON_AddItemToArray(rows, row);
	if (!rc)
		cJSON_Delete(row);
	rc = rc && add_column(cols, "Account", "string") && add_column(cols, "Tags", "string") &&
	     add_column(cols, "IOCs", "markdown") && (!link || add_column(cols, "Link", "url"));
	rc = rc && md_iocs(&iocs, t, ", ", CTIM_DESCRIPTION_MAX) == 0;
	rc = rc && cJSON_AddItemToArray(row, cJSON_CreateString(account)) &&
	     cJSON_AddItemToArray(row, cJSON_CreateString(tags)) &&
	     cJSON_AddItemToArray(row, cJSON_CreateString(iocs.data ? iocs.data : "")) &&
	     (!link || cJSON_AddItemToArray(row, cJSON_CreateString(link)));
	free(account);
	free(tags);
	strbuf_free(&iocs);
	if (!rc) {
		cJSON_Delete(table);
		return NULL;
	}
	return table;
}

cJSON *tweetfeed_tweet_sighting(const struct feed_tweet *t, const char *type, const char *value,
				cJSON *relations)
{
	char title[64], linkbuf[URI_MAX + 1];
	const char *link;
	uri_tweet_link(t->link, t->user, t->id, linkbuf, &link);
	tweetfeed_tweet_title(t, title, sizeof(title));
	char *description = tweetfeed_tweet_description(t, link);
	char *short_description = tweetfeed_tweet_short_description(t, type, value);
	struct ctim_sighting_in in = {
		.type = type,
		.value = value,
		.source = TWEETFEED_SOURCE,
		.source_uri = link,
		.title = title,
		.description = description,
		.short_description = short_description,
		.confidence = "Medium",
		.external_id = t->id,
		.observed = t->timestamp,
		.relations = relations,
		.data = tweetfeed_tweet_table(t, link),
	};
	cJSON *sighting = NULL;
	if (in.data && description && short_description) {
		sighting = ctim_sighting(&in);
	} else {
		cJSON_Delete(in.relations);
		cJSON_Delete(in.data);
	}
	free(description);
	free(short_description);
	return sighting;
}

/* Appends `s` to out when out stays within `room` units; 1, 0 or -1. */
static int append_fits(struct strbuf *out, const struct strbuf *s, size_t room)
{
	if (!s->data)
		return 1;
	if (text_utf16_len(out->data ? out->data : "") + text_utf16_len(s->data) > room)
		return 0;
	return ok(strbuf_appends(out, s->data)) ? 1 : -1;
}

char *tweetfeed_record_description(const struct tweetfeed_record *r)
{
	char first[32], last[32];
	format_minute(r->first_seen, first);
	format_minute(r->last_seen, last);
	struct strbuf head, users, tags, tweets, out;
	strbuf_init(&head, 4096);
	strbuf_init(&users, 16 * 1024);
	strbuf_init(&tags, 16 * 1024);
	strbuf_init(&tweets, 8 * URI_MAX);
	strbuf_init(&out, 8 * CTIM_DESCRIPTION_MAX);
	int rc = ok(strbuf_printf(&head, "**Seen:** %ld time%s on TweetFeed, first %s, last %s",
				  r->count, r->count == 1 ? "" : "s", first, last));
	if (rc && r->n_users) {
		rc = ok(strbuf_appends(&users, "\n\n**Accounts:**"));
		for (size_t i = 0; rc && i < r->n_users; i++)
			rc = ok(strbuf_appends(&users, i ? ", " : " ")) &&
			     md_account(&users, r->users[i]) == 0;
	}
	if (rc && r->n_tags)
		rc = ok(strbuf_appends(&tags, "\n\n**Tags:**")) &&
		     md_tags(&tags, r->tags, r->n_tags) == 0;
	if (rc && r->n_tweets) {
		rc = ok(strbuf_appends(&tweets, "\n\n**Tweets:**"));
		for (size_t i = 0; rc && i < r->n_tweets && i < TWEETFEED_MAX_RECORD_TWEETS; i++)
			rc = uri_valid_http(r->tweets[i])
				     ? ok(strbuf_printf(&tweets, "%s[tweet %zu](", i ? ", " : " ",
							i + 1)) &&
					       md_url(&tweets, r->tweets[i]) == 0 &&
					       ok(strbuf_appends(&tweets, ")"))
				     : 1;
	}
	char *desc = NULL;
	/* Head and links always; accounts and tags when they fit. */
	if (rc && ok(strbuf_appends(&out, head.data))) {
		size_t room =
			CTIM_DESCRIPTION_MAX - (tweets.data ? text_utf16_len(tweets.data) : 0);
		if (append_fits(&out, &users, room) >= 0 && append_fits(&out, &tags, room) >= 0 &&
		    append_fits(&out, &tweets, CTIM_DESCRIPTION_MAX) >= 0)
			desc = strbuf_detach(&out, NULL);
	}
	strbuf_free(&head);
	strbuf_free(&users);
	strbuf_free(&tags);
	strbuf_free(&tweets);
	strbuf_free(&out);
	return desc;
}

cJSON *tweetfeed_record_sighting(const struct tweetfeed_record *r, const char *type,
				 const char *value)
{
	char first[32], last[32];
	format_minute(r->first_seen, first);
	format_minute(r->last_seen, last);
	char *description = tweetfeed_record_description(r);
	struct strbuf sb;
	strbuf_init(&sb, 4096);
	char *short_description = NULL;
	if (ok(strbuf_printf(&sb, "%s ", type)) && md_text(&sb, value, VALUE_UNITS) == 0 &&
	    ok(strbuf_printf(&sb, " seen %ld time%s on TweetFeed, %s to %s", r->count,
			     r->count == 1 ? "" : "s", first, last)))
		short_description = strbuf_detach(&sb, NULL);
	strbuf_free(&sb);
	struct ctim_sighting_in in = {
		.type = type,
		.value = value,
		.source = TWEETFEED_SOURCE,
		.source_uri = r->n_tweets ? r->tweets[0] : NULL,
		.title = TWEETFEED_LOOKUP_TITLE,
		.description = description,
		.short_description = short_description,
		.confidence = "Medium",
		.observed = r->first_seen,
		.observed_end = r->last_seen,
		.count = r->count,
	};
	cJSON *sighting = description && short_description ? ctim_sighting(&in) : NULL;
	free(description);
	free(short_description);
	return sighting;
}

void tweetfeed_tweets_reason(size_t tweets, size_t accounts, char *out, size_t len)
{
	snprintf(out, len, "Mentioned in %zu tweet%s by %zu account%s", tweets,
		 tweets == 1 ? "" : "s", accounts, accounts == 1 ? "" : "s");
}

void tweetfeed_record_reason(long count, char *out, size_t len)
{
	snprintf(out, len, "Seen %ld time%s on TweetFeed in 365 days", count,
		 count == 1 ? "" : "s");
}
