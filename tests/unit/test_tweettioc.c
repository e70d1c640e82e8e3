/* test_tweettioc.c: matching, feed parsing, the index and the CTIM it yields. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/arena.h"
#include "config.h"
#include "ctim/entities.h"
#include "ctim/text.h"
#include "testutil.h"
#include "modules/tweettioc/enrich.h"
#include "lib/json_arena.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/normalize.h"
#include "modules/tweettioc/refresh.h"
#include "ctim/uri.h"

static struct relay_config cfg;

/* Three tweets (t=300 newest): 1.2.3.4 in two of them, a defanged URL,
 * an uppercase hash, and an IP that contains 1.2.3.4 as a substring. */
static const char feed_json[] =
	"[{\"ip\":[\"1.2.3.4\",\"11.2.3.45\"],\"md5\":[\"0C62A0D991DC53EF70A56F15AE2234D8\"],"
	"\"tweet\":{\"id\":\"100\",\"user\":\"alice\",\"tweet\":\"first | text\",\"hashtags\":"
	"[\"#emotet\",\"c2\"],\"link\":\"https://twitter.com/alice/status/"
	"100\",\"timestamp\":100}},"
	"{\"url\":[\"hxxps://evil[.]example[.]com/Path/x.exe\"],\"ip\":[\"1.2.3.4\"],\"tweet\":{"
	"\"id\":300,\"user\":\"bob\",\"tweet\":\"hxxps://evil[.]example[.]com/Path/x.exe\","
	"\"hashtags\":[],\"link\":\"https://twitter.com/bob/status/300\",\"timestamp\":300.5}},"
	"{\"domain\":[\"Evil.Example.com\"],\"mail\":[\"bad[at]evil[.]example.com\"],\"tweet\":{"
	"\"id\":\"200\",\"user\":\"alice\",\"tweet\":\"d\",\"link\":\"https://twitter.com/alice/"
	"status/200\",\"timestamp\":200}},"
	"{\"ip\":[\"9.9.9.9\"]},"
	"{\"tweet\":{\"id\":\"5\",\"user\":\"x\",\"tweet\":\"no link\",\"timestamp\":1}},"
	"\"not an object\"]";

static void setup(void)
{
	static const char *const env[] = {"CTR_ENTITIES_LIMIT", "100", NULL};
	test_config_load(&cfg, env);
	test_load_feed_json(feed_json);
}

static void teardown(void)
{
	feed_store_clear();
	config_free(&cfg);
}

static cJSON *call(const char *path, const char *body)
{
	int status;
	cJSON *a = test_call(&cfg, "POST", path, body, &status, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(a);
	return a;
}

static int docs_count(const cJSON *a, const char *list)
{
	const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "data"), list);
	if (!d)
		return 0;
	return cJSON_GetObjectItem(d, "count")->valueint;
}

static const cJSON *doc(const cJSON *a, const char *list, int i)
{
	const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "data"), list);
	return cJSON_GetArrayItem(cJSON_GetObjectItem(d, "docs"), i);
}

static size_t lookup(const char *type, const char *value)
{
	const struct feed_index *idx = feed_store_acquire();
	const uint32_t *ids;
	size_t n = feed_index_lookup(idx, type, value, &ids);
	feed_store_release(idx);
	return n;
}

START_TEST(refang_restores_the_common_defanged_forms)
{
	char out[256];
	ck_assert_int_gt(ioc_refang("hXXps://a[.]b(.)c[:]8080/x", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "https://a.b.c:8080/x");
	ck_assert_int_gt(ioc_refang("me[at]example[dot]org", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "me@example.org");
	ck_assert_int_eq(ioc_refang("toolong", out, 4), -1);
}
END_TEST

START_TEST(keys_lowercase_what_is_case_insensitive_and_keep_url_paths)
{
	char k[IOC_KEY_MAX], alt[IOC_KEY_MAX];
	ck_assert_int_eq(
		ioc_key(IOC_CLASS_URL, "HTTP://Evil.COM/Path?Q=A", k, sizeof(k), alt, sizeof(alt)),
		0);
	ck_assert_str_eq(k, "u:http://evil.com/Path?Q=A");
	ck_assert_str_eq(alt, "v:evil.com/Path?Q=A");
	ck_assert_int_eq(ioc_key(IOC_CLASS_URL, "evil.com", k, sizeof(k), alt, sizeof(alt)), 0);
	ck_assert_str_eq(k, "v:evil.com/");
	ck_assert_str_eq(alt, "");
	ck_assert_int_eq(ioc_key(IOC_CLASS_HASH, " ABCDEF ", k, sizeof(k), NULL, 0), 0);
	ck_assert_str_eq(k, "h:abcdef");
	ck_assert_int_eq(ioc_key(IOC_CLASS_DOMAIN, "Example.COM.", k, sizeof(k), NULL, 0), 0);
	ck_assert_str_eq(k, "d:example.com");
	ck_assert_int_eq(ioc_key(IOC_CLASS_IP, "2001:DB8:0:0::1", k, sizeof(k), NULL, 0), 0);
	ck_assert_str_eq(k, "i:2001:db8::1");
	ck_assert_int_eq(ioc_key(IOC_CLASS_IP, "   ", k, sizeof(k), NULL, 0), -1);
}
END_TEST

START_TEST(feed_parse_skips_items_of_the_wrong_shape)
{
	struct feed *feed;
	char err[128];
	ck_assert_int_eq(feed_parse(feed_json, strlen(feed_json), &feed, err, sizeof(err)),
			 RELAY_OK);
	ck_assert_uint_eq(feed->n_tweets, 3);
	ck_assert_uint_eq(feed->n_skipped, 3);
	ck_assert_uint_eq(feed->n_accounts, 2);
	/* newest first, numeric ids become text, hashtags lose their '#' */
	ck_assert_str_eq(feed->tweets[0].id, "300");
	ck_assert_str_eq(feed->tweets[2].id, "100");
	ck_assert_str_eq(feed->tweets[2].hashtags[0], "emotet");
	ck_assert_ptr_eq(feed->tweets[1].user, feed->tweets[2].user);
	ck_assert_str_eq(feed->tweets[0].iocs[1].value, "https://evil.example.com/Path/x.exe");
	feed_free(feed);
}
END_TEST

START_TEST(feed_parse_refuses_a_body_that_is_not_an_array)
{
	const char *bodies[] = {"{}", "nope", "", "[{\"tweet\":1},{\"ip\":[]}]"};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct feed *feed = (struct feed *)1;
		char err[128];
		ck_assert_int_eq(feed_parse(bodies[i], strlen(bodies[i]), &feed, err, sizeof(err)),
				 RELAY_ERR_KEY_ERROR);
		ck_assert_ptr_null(feed);
	}
}
END_TEST

/* The feed is read an item at a time: every way the array can be broken
 * still refuses the whole feed, with the message for what is wrong. */
START_TEST(feed_parse_reads_the_array_item_by_item)
{
	static const char item[] = "{\"ip\":[\"1.2.3.4\"],\"tweet\":{\"id\":\"1\",\"user\":\"a\","
				   "\"tweet\":\"t\",\"hashtags\":[],\"link\":\"https://x/1\","
				   "\"timestamp\":5}}";
	char text[1024];
	static const struct {
		const char *fmt;   /* %s is one good item */
		const char *error; /* NULL: accepted */
		size_t tweets;
	} cases[] = {
		{"[]", NULL, 0},
		{" \n\t[ \r\n ] ", NULL, 0},
		{"[%s]", NULL, 1},
		/* The same item twice is one tweet (a repeated id, dedupe.h). */
		{" [ %s , %s ] trailing bytes after the array are ignored", NULL, 1},
		{"[%s,]", "the feed is not valid JSON", 0},
		{"[%s,%s", "the feed is not valid JSON", 0},
		{"[%s %s]", "the feed is not valid JSON", 0},
		{"[%s,{\"ip\":[}]", "the feed is not valid JSON", 0},
		{"[", "the feed is not valid JSON", 0},
		{"[,%s]", "the feed is not valid JSON", 0},
		{"{\"items\":[%s]}", "the feed is not a JSON array", 0},
		{"\"[%s]\"", "the feed is not a JSON array", 0},
		{"x[%s]", "the feed is not valid JSON", 0},
		{"[1,2,3]", "none of the feed's 3 items has the expected shape", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), cases[i].fmt, item, item);
		struct feed *feed = (struct feed *)1;
		char err[128] = "";
		enum relay_err rc = feed_parse(text, strlen(text), &feed, err, sizeof(err));
		if (!cases[i].error) {
			ck_assert_msg(rc == RELAY_OK, "%s: %s", text, err);
			ck_assert_uint_eq(feed->n_tweets, cases[i].tweets);
			feed_free(feed);
		} else {
			ck_assert_msg(rc == RELAY_ERR_KEY_ERROR, "%s accepted", text);
			ck_assert_ptr_null(feed);
			ck_assert_str_eq(err, cases[i].error);
		}
	}
}
END_TEST

/* ---- sightings: the Raw text of relations and data table ---- */

static cJSON *reference_observable(const char *type, const char *value)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "value", value);
	return o;
}

/* The relations as cJSON nodes (the reference): one per other IOC. */
static cJSON *reference_relations(const struct feed_tweet *t, const char *type, const char *value,
				  const char *key)
{
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; i < t->n_iocs; i++) {
		const struct feed_ioc *ioc = &t->iocs[i];
		if ((ioc->key && strcmp(ioc->key, key) == 0) ||
		    (ioc->alt_key && strcmp(ioc->alt_key, key) == 0))
			continue;
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "origin", TWEETTIOC_SOURCE);
		cJSON_AddStringToObject(r, "relation", "Related_To");
		cJSON_AddItemToObject(r, "source", reference_observable(type, value));
		cJSON_AddItemToObject(r, "related",
				      reference_observable(ioc->ctim_type, ioc->value));
		cJSON_AddItemToArray(list, r);
	}
	return list;
}

/* The data table as cJSON nodes (the reference): Tweet escaped as
 * Markdown, Link only when the tweet has a valid one. */
static cJSON *reference_table(const struct feed_tweet *t)
{
	static const char *const names[] = {"Account", "Tweet", "Hashtags", "Link"};
	static const char *const types[] = {"string", "markdown", "string", "url"};
	char linkbuf[URI_MAX + 1];
	const char *link;
	int columns_n = uri_tweet_link(t->link, t->user, t->id, linkbuf, &link) ? 4 : 3;
	cJSON *table = cJSON_CreateObject(), *columns = cJSON_CreateArray();
	for (int i = 0; i < columns_n; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", names[i]);
		cJSON_AddStringToObject(c, "type", types[i]);
		cJSON_AddItemToArray(columns, c);
	}
	char account[512], tags[2048] = "";
	snprintf(account, sizeof(account), "@%s", t->user);
	size_t o = 0;
	for (size_t i = 0; i < t->n_hashtags; i++)
		o += (size_t)snprintf(tags + o, sizeof(tags) - o, "%s#%s", i ? " " : "",
				      t->hashtags[i]);
	struct strbuf tweet;
	strbuf_init(&tweet, 1 << 20);
	ck_assert_int_eq(md_text(&tweet, t->text, CTIM_DESCRIPTION_MAX), 0);
	const char *cells[] = {account, tweet.data ? tweet.data : "", tags, link};
	cJSON *row = cJSON_CreateStringArray(cells, columns_n), *rows = cJSON_CreateArray();
	strbuf_free(&tweet);
	cJSON_AddItemToArray(rows, row);
	cJSON_AddItemToObject(table, "columns", columns);
	cJSON_AddItemToObject(table, "rows", rows);
	return table;
}

static void assert_same_json(const cJSON *got, const cJSON *want, const char *what)
{
	char *g = cJSON_PrintUnformatted(got), *w = cJSON_PrintUnformatted(want);
	ck_assert_msg(g && w && strcmp(g, w) == 0, "%s:\n got %s\nwant %s", what, g, w);
	cJSON_free(g);
	cJSON_free(w);
}

/* Text that JSON must escape, in every field the Raw parts carry. */
static const char escape_feed[] =
	"[{\"ip\":[\"5.6.7.8\",\"5.6.7.9\"],\"url\":[\"hxxp://q[.]example/a\\\"b\\\\c\"],"
	"\"domain\":[\"tab.example\"],\"tweet\":{\"id\":\"7\",\"user\":\"J\\u00e9r\\u00f4me\\\"x\","
	"\"tweet\":\"line\\none \\\"quoted\\\" back\\\\slash \\t tab \\u0001 \\u00e9 | pipe\","
	"\"hashtags\":[\"a\\\"b\",\"c\\\\d\"],\"link\":\"https://twitter.com/x/status/7?a=\\\"\","
	"\"timestamp\":7}},"
	"{\"ip\":[\"5.6.7.8\"],\"tweet\":{\"id\":\"8\",\"user\":\"solo\",\"tweet\":\"only one\","
	"\"hashtags\":[],\"link\":\"https://twitter.com/solo/status/8\",\"timestamp\":8}}]";

START_TEST(sighting_relations_and_table_are_what_ctim_would_build)
{
	static const char *const feeds[] = {feed_json, escape_feed};
	size_t compared = 0;
	for (size_t f = 0; f < 2; f++) {
		test_load_feed_json(feeds[f]);
		const struct feed_index *idx = feed_store_acquire();
		for (size_t i = 0; i < idx->feed->n_tweets; i++) {
			const struct feed_tweet *t = &idx->feed->tweets[i];
			for (size_t j = 0; j < t->n_iocs; j++) {
				const struct feed_ioc *ioc = &t->iocs[j];
				cJSON *req = cJSON_CreateArray(), *o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "type", ioc->ctim_type);
				cJSON_AddStringToObject(o, "value", ioc->value);
				cJSON_AddItemToArray(req, o);
				char *body = cJSON_PrintUnformatted(req);
				cJSON *a = call("/observe/observables", body);
				char key[IOC_KEY_MAX];
				ck_assert_int_eq(ioc_key(ioc_class_of_type(ioc->ctim_type),
							 ioc->value, key, sizeof(key), NULL, 0),
						 0);
				for (int k = 0; k < docs_count(a, "sightings"); k++) {
					const cJSON *sg = doc(a, "sightings", k);
					const char *id =
						cJSON_GetArrayItem(
							cJSON_GetObjectItem(sg, "external_ids"), 0)
							->valuestring;
					const struct feed_tweet *st = NULL;
					for (size_t m = 0; m < idx->feed->n_tweets; m++)
						if (strcmp(idx->feed->tweets[m].id, id) == 0)
							st = &idx->feed->tweets[m];
					ck_assert_ptr_nonnull(st);
					cJSON *rel = reference_relations(st, ioc->ctim_type,
									 ioc->value, key);
					cJSON *table = reference_table(st);
					assert_same_json(cJSON_GetObjectItem(sg, "relations"), rel,
							 "relations");
					assert_same_json(cJSON_GetObjectItem(sg, "data"), table,
							 "data");
					cJSON_Delete(rel);
					cJSON_Delete(table);
					compared++;
				}
				cJSON_Delete(a);
				cJSON_free(body);
				cJSON_Delete(req);
			}
		}
		feed_store_release(idx);
	}
	ck_assert_uint_ge(compared, 15);
}
END_TEST

START_TEST(limits_count_utf16_units_and_cut_whole_characters)
{
	/* U+1F600 is 4 UTF-8 bytes and 2 UTF-16 units. */
	ck_assert_uint_eq(text_utf16_len("\xf0\x9f\x98\x80\xc3\xa9"
					 "a"),
			  4);
	char *cut = text_cut_utf16("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 5);
	ck_assert_str_eq(cut, "\xf0\x9f\x98\x80...");
	free(cut);
	/* Never half a surrogate pair: 4 units leave room for 1, so none. */
	cut = text_cut_utf16("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 4);
	ck_assert_str_eq(cut, "...");
	free(cut);
	/* Invalid UTF-8 (a stray continuation byte, an overlong, a surrogate) becomes U+FFFD. */
	cut = text_cut_utf16("a\x80"
			     "b\xc0\xaf"
			     "c\xed\xa0\x80",
			     100);
	ck_assert_str_eq(cut, "a\xef\xbf\xbd"
			      "b\xef\xbf\xbd\xef\xbf\xbd"
			      "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(cut);
	ck_assert(!text_fits("a\x80", 10));
	ck_assert(text_fits("\xef\xbf\xbd", 1));
	ck_assert(!text_fits("\xf0\x9f\x98\x80", 1));
	char *t = ctim_truncate("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 4);
	ck_assert_str_eq(t, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
	free(t);
}
END_TEST

START_TEST(markdown_text_is_escaped_and_defanged)
{
	struct strbuf sb;
	strbuf_init(&sb, 1 << 16);
	ck_assert_int_eq(
		md_text(&sb,
			"**[a](https://evil.example/x)** ![i](http://e.example/p.gif) "
			"<img src=x> www.evil.example HTTPS://A.B ftp://f.example a|b \\ `c` "
			"~d~ &amp; 1.2 e.g. end.\n# h\x01\xe2\x80\xae!",
			1000),
		0);
	ck_assert_str_eq(sb.data,
			 "\\*\\*\\[a\\]\\(hxxps\\://evil\\[.\\]example/x\\)\\*\\* "
			 "\\!\\[i\\]\\(hxxp\\://e\\[.\\]example/p\\[.\\]gif\\) \\<img src=x\\> "
			 "www\\[.\\]evil\\[.\\]example hxxps\\://A\\[.\\]B fxp\\://f\\[.\\]example "
			 "a\\|b \\\\ "
			 "\\`c\\` \\~d\\~ \\&amp; 1\\[.\\]2 e\\[.\\]g. end. # h  \\!");
	/* Cut in output units, before a whole escape, with an ellipsis. */
	sb.len = 0;
	ck_assert_int_eq(md_text(&sb, "ab|cd", 5), 0);
	ck_assert_str_eq(sb.data, "ab...");
	sb.len = 0;
	ck_assert_int_eq(md_text(&sb, "a|b", 4), 0);
	ck_assert_str_eq(sb.data, "a\\|b");
	strbuf_free(&sb);
}
END_TEST

START_TEST(emitted_uris_parse_strictly)
{
	static const char *const good[] = {
		"https://twitter.com/a_b/status/1",
		"http://127.0.0.1:8080/index.php?search=a%2Fb&x=1#f",
		"https://[2001:db8::1]/x",
		"HTTPS://Twitter.com/",
		"https://x.example/a(b)*!$',;=:@~",
	};
	static const char *const bad[] = {
		"javascript:alert(document.domain)//",
		"https://twitter.com/a b/status/1",
		"https://twitter.com/a/status/1?x=%zz",
		"https://twitter.com/a/status/1?x=%4",
		"https://user@evil.example/",
		"https://twitter.com&commat;evil.example/",
		"//twitter.com/a",
		"https://",
		"https://x.example:123456/",
		"https://x.example/a#b#c",
		"https://x.example/\xc3\xa9",
		"https://x.example/<a>",
		"ftp://x.example/",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(uri_valid_http(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!uri_valid_http(bad[i]), "%s", bad[i]);
	char big[URI_MAX + 64];
	memcpy(big, "https://x.example/", 18);
	memset(big + 18, 'a', sizeof(big) - 19);
	big[sizeof(big) - 1] = '\0';
	ck_assert(!uri_valid_http(big));

	char buf[URI_MAX + 1];
	const char *link;
	ck_assert(uri_tweet_link("https://twitter.com/u/status/1", "u", "1", buf, &link));
	ck_assert_str_eq(link, "https://twitter.com/u/status/1");
	/* Valid but not a tweet link: rebuilt from the account and id. */
	ck_assert(uri_tweet_link("https://evil.example/x", "u_1", "42", buf, &link));
	ck_assert_str_eq(link, "https://twitter.com/u_1/status/42");
	ck_assert(uri_tweet_link("javascript:alert(1)", "u", "7", buf, &link));
	ck_assert_str_eq(link, "https://twitter.com/u/status/7");
	ck_assert(uri_tweet_link("/u/status/8", "bad user", "x", buf, &link));
	ck_assert_str_eq(link, "https://twitter.com/u/status/8");
	/* Neither the link nor the parts are usable: no link. */
	ck_assert(!uri_tweet_link("https://twitter.com/a b", "a b", "1", buf, &link));
	ck_assert_ptr_null(link);
	ck_assert(!uri_tweet_link(NULL, "sixteen_chars_xx", "1", buf, &link));
	ck_assert(!uri_tweet_link(NULL, "u", "12a", buf, &link));
}
END_TEST

/* ISO times are written by hand: they must read as strftime's. */
START_TEST(times_format_as_strftime_does)
{
	static const double times[] = {0,
				       0.5,
				       59.999,
				       951782400 /* 2000-02-29 */,
				       1700000000.123,
				       4102444799 /* 2099-12-31T23:59:59 */,
				       253402300799.0};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]) + 500; i++) {
		double t = i < sizeof(times) / sizeof(times[0])
				   ? times[i]
				   : (double)(i * 7919u % 4000u) * 1e6 + 0.25;
		char got[CTIM_TIME_LEN], want[32];
		ctim_format_time(t, got);
		time_t secs = (time_t)t;
		struct tm tm;
		gmtime_r(&secs, &tm);
		size_t n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + n, sizeof(want) - n, ".%03dZ", (int)((t - (double)secs) * 1000.0));
		ck_assert_str_eq(got, want);
	}
}
END_TEST

START_TEST(an_ip_inside_a_longer_ip_does_not_match)
{
	ck_assert_uint_eq(lookup("ip", "1.2.3.4"), 2);
	ck_assert_uint_eq(lookup("ip", "11.2.3.45"), 1);
	ck_assert_uint_eq(lookup("ip", "1.2.3.45"), 0);
	ck_assert_uint_eq(lookup("ip", "2.3.4"), 0);
	ck_assert_uint_eq(lookup("domain", "example.com"), 0);
}
END_TEST

START_TEST(hashes_domains_and_emails_match_case_insensitively)
{
	ck_assert_uint_eq(lookup("md5", "0c62a0d991dc53ef70a56f15ae2234d8"), 1);
	ck_assert_uint_eq(lookup("md5", "0C62A0D991DC53EF70A56F15AE2234D8"), 1);
	ck_assert_uint_eq(lookup("domain", "EVIL.example.COM"), 1);
	ck_assert_uint_eq(lookup("email", "BAD@evil.example.com"), 1);
	ck_assert_uint_eq(lookup("file_name", "x.exe"), 0);
}
END_TEST

START_TEST(a_defanged_url_is_found_by_its_refanged_form_with_or_without_scheme)
{
	ck_assert_uint_eq(lookup("url", "https://evil.example.com/Path/x.exe"), 1);
	ck_assert_uint_eq(lookup("url", "HTTPS://EVIL.example.com/Path/x.exe"), 1);
	ck_assert_uint_eq(lookup("url", "evil.example.com/Path/x.exe"), 1);
	ck_assert_uint_eq(lookup("url", "http://evil.example.com/Path/x.exe"), 0);
	ck_assert_uint_eq(lookup("url", "https://evil.example.com/path/x.exe"), 0);
	ck_assert_uint_eq(lookup("url", "https://evil.example.com/Path/x.ex"), 0);
}
END_TEST

START_TEST(observe_gives_one_sighting_per_tweet_newest_first_and_a_judgement)
{
	cJSON *a = call("/observe/observables", "[{\"type\":\"IP\",\"value\":\"1.2.3.4\"}]");
	ck_assert_int_eq(docs_count(a, "sightings"), 2);
	ck_assert_int_eq(docs_count(a, "judgements"), 1);
	ck_assert_int_eq(docs_count(a, "verdicts"), 1);
	const cJSON *s0 = doc(a, "sightings", 0), *s1 = doc(a, "sightings", 1);
	ck_assert_str_eq(cJSON_GetObjectItem(s0, "source_uri")->valuestring,
			 "https://twitter.com/bob/status/300");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(s0, "observed_time"), "start_time")
				 ->valuestring,
			 "1970-01-01T00:05:00.500Z");
	ck_assert_str_eq(cJSON_GetObjectItem(s1, "source_uri")->valuestring,
			 "https://twitter.com/alice/status/100");
	ck_assert_str_eq(cJSON_GetObjectItem(s0, "source")->valuestring, "Twitter IOC Hunter");
	/* relations to the other IOCs of the same tweet, not to itself */
	const cJSON *rel = cJSON_GetObjectItem(s1, "relations");
	ck_assert_int_eq(cJSON_GetArraySize(rel), 2);
	const cJSON *related = cJSON_GetObjectItem(cJSON_GetArrayItem(rel, 0), "related");
	ck_assert_str_eq(cJSON_GetObjectItem(related, "value")->valuestring, "11.2.3.45");
	/* the data table's one row */
	const cJSON *row =
		cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(s1, "data"), "rows"), 0);
	ck_assert_str_eq(cJSON_GetArrayItem(row, 0)->valuestring, "@alice");
	ck_assert_str_eq(cJSON_GetArrayItem(row, 2)->valuestring, "#emotet #c2");
	/* the observable exactly as sent, type lowercased */
	const cJSON *obs = cJSON_GetArrayItem(cJSON_GetObjectItem(s0, "observables"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(obs, "type")->valuestring, "ip");
	const cJSON *j = doc(a, "judgements", 0);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "reason")->valuestring,
			 "Mentioned in 2 tweets by 2 accounts");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "priority")->valueint, 85);
	ck_assert_int_eq(cJSON_GetObjectItem(j, "disposition")->valueint, 3);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "source_uri")->valuestring,
			 "https://twitter.com/bob/status/300");
	const cJSON *v = doc(a, "verdicts", 0);
	ck_assert_str_eq(cJSON_GetObjectItem(v, "judgement_id")->valuestring,
			 cJSON_GetObjectItem(j, "id")->valuestring);
	ck_assert_ptr_null(cJSON_GetObjectItem(a, "errors"));
	cJSON_Delete(a);
}
END_TEST

START_TEST(the_entities_limit_keeps_the_newest_and_warns)
{
	cfg.entities_limit = 1;
	cJSON *a = call("/observe/observables", "[{\"type\":\"ip\",\"value\":\"1.2.3.4\"}]");
	ck_assert_int_eq(docs_count(a, "sightings"), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(doc(a, "sightings", 0), "source_uri")->valuestring,
			 "https://twitter.com/bob/status/300");
	ck_assert_str_eq(test_error_code(a, 0), "too-many-entities");
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "errors"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(e, "type")->valuestring, "warning");
	cJSON_Delete(a);
}
END_TEST

START_TEST(deliberate_returns_only_verdicts_and_nothing_for_unknown_values)
{
	cJSON *a = call("/deliberate/observables",
			"[{\"type\":\"md5\",\"value\":\"0C62A0D991DC53EF70A56F15AE2234D8\"},"
			"{\"type\":\"ip\",\"value\":\"8.8.8.8\"},{\"type\":\"file_name\",\"value\":"
			"\"x\"}]");
	ck_assert_int_eq(docs_count(a, "verdicts"), 1);
	ck_assert_int_eq(docs_count(a, "sightings"), 0);
	ck_assert_int_eq(docs_count(a, "judgements"), 0);
	const cJSON *obs = cJSON_GetObjectItem(doc(a, "verdicts", 0), "observable");
	ck_assert_str_eq(cJSON_GetObjectItem(obs, "value")->valuestring,
			 "0C62A0D991DC53EF70A56F15AE2234D8");
	cJSON_Delete(a);
	a = call("/deliberate/observables", "[{\"type\":\"ip\",\"value\":\"8.8.8.8\"}]");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(a, "data")), 0);
	cJSON_Delete(a);
}
END_TEST

START_TEST(refer_gives_search_for_all_and_browse_for_hits)
{
	cJSON *a =
		call("/refer/observables", "[{\"type\":\"url\",\"value\":\"evil.example.com/"
					   "Path/x.exe\"},{\"type\":\"ip\",\"value\":\"8.8.8.8\"},"
					   "{\"type\":\"file_name\",\"value\":\"x\"}]");
	const cJSON *data = cJSON_GetObjectItem(a, "data");
	ck_assert_int_eq(cJSON_GetArraySize(data), 3);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 0), "id")->valuestring,
			 "ref-tweettioc-search-url-evil.example.com%2FPath%2Fx.exe");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 1), "id")->valuestring,
			 "ref-tweettioc-browse-url-evil.example.com%2FPath%2Fx.exe");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 1), "url")->valuestring,
			 "https://twitter.com/bob/status/300");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 2), "id")->valuestring,
			 "ref-tweettioc-search-ip-8.8.8.8");
	cJSON_Delete(a);
}
END_TEST

START_TEST(requests_before_the_first_copy_get_service_unavailable)
{
	feed_store_clear();
	cJSON *a = call("/observe/observables", "[{\"type\":\"ip\",\"value\":\"1.2.3.4\"}]");
	ck_assert_str_eq(test_error_code(a, 0), "service unavailable");
	cJSON_Delete(a);
	a = call("/health", NULL);
	ck_assert_str_eq(test_error_code(a, 0), "service unavailable");
	cJSON_Delete(a);
}
END_TEST

START_TEST(health_is_ok_with_a_fresh_copy)
{
	cJSON *a = call("/tweettioc/health", NULL);
	const cJSON *status = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "data"), "status");
	ck_assert_str_eq(status->valuestring, "ok");
	cJSON_Delete(a);
}
END_TEST

START_TEST(a_reader_keeps_its_copy_across_a_swap)
{
	const struct feed_index *old = feed_store_acquire();
	test_load_feed_json("[{\"ip\":[\"5.5.5.5\"],\"tweet\":{\"id\":\"1\",\"user\":\"u\","
			    "\"tweet\":\"t\",\"link\":\"https://x/1\",\"timestamp\":1}}]");
	const uint32_t *ids;
	ck_assert_uint_eq(feed_index_lookup(old, "ip", "1.2.3.4", &ids), 2);
	ck_assert_uint_eq(lookup("ip", "1.2.3.4"), 0);
	ck_assert_uint_eq(lookup("ip", "5.5.5.5"), 1);
	feed_store_release(old); /* frees the old copy; ASan would report a leak otherwise */
}
END_TEST

START_TEST(the_fixture_feed_indexes_every_mention)
{
	size_t len;
	char *json = test_read_file("fixtures/tweettioc-feed-2000.json", &len);
	struct feed *feed;
	char err[128];
	ck_assert_int_eq(feed_parse(json, len, &feed, err, sizeof(err)), RELAY_OK);
	free(json);
	ck_assert_uint_eq(feed->n_tweets, 2000);
	struct feed_index *idx = feed_index_build(feed);
	ck_assert_ptr_nonnull(idx);
	/* Every IOC of every tweet finds that tweet, and lists are newest first. */
	for (size_t i = 0; i < idx->feed->n_tweets; i++) {
		const struct feed_tweet *t = &idx->feed->tweets[i];
		for (size_t j = 0; j < t->n_iocs; j++) {
			const uint32_t *ids;
			size_t n = feed_index_lookup(idx, t->iocs[j].ctim_type, t->iocs[j].value,
						     &ids);
			int seen = 0;
			for (size_t k = 0; k < n; k++) {
				seen |= ids[k] == i;
				if (k)
					ck_assert(idx->feed->tweets[ids[k - 1]].timestamp >=
						  idx->feed->tweets[ids[k]].timestamp);
			}
			ck_assert_msg(seen, "%s not found", t->iocs[j].value);
		}
	}
	feed_index_free(idx);
}
END_TEST

/* Memory of one copy (issue 13): strings packed, keys sharing their value's
 * bytes, and a download parsed as it arrives: any split into writes gives
 * the same copy as one write, and no more than a partial item is kept. */
START_TEST(a_copy_packs_strings_shares_keys_and_parses_as_it_downloads)
{
	struct arena a;
	arena_init(&a, 4096);
	char *prev = arena_strdup(&a, "ab");
	for (int i = 0; i < 100; i++) {
		char *s = arena_strdup(&a, "ab");
		ck_assert_ptr_eq(s, prev + 3); /* no padding between strings */
		prev = s;
	}
	ck_assert_uint_eq((uintptr_t)arena_alloc(&a, 8) % 8, 0); /* structs stay aligned */
	arena_free(&a);

	enum { N = 20000 };
	size_t cap = (size_t)N * 220, len = 0;
	char *json = malloc(cap);
	ck_assert_ptr_nonnull(json);
	json[len++] = '[';
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(json + len, cap - len,
					"%s{\"md5\":[\"%032x\"],\"tweet\":{\"id\":\"%d\",\"user\":"
					"\"u%d\",\"tweet\":\"t\",\"link\":\"https://x/%d\","
					"\"timestamp\":%d}}, 7 ",
					i ? "," : "", i, i, i % 7, i, 1700000000 + i);
	json[len++] = ']';
	struct feed *whole;
	char err[128];
	ck_assert_int_eq(feed_parse(json, len, &whole, err, sizeof(err)), RELAY_OK);
	ck_assert_uint_eq(whole->n_tweets, N);
	ck_assert_uint_eq(whole->n_skipped, N); /* the numbers between the tweets */
	static const size_t steps[] = {1, 7, 4096, 16384};
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct feed_stream *st = feed_stream_new(NULL);
		ck_assert_ptr_nonnull(st);
		for (size_t at = 0; at < len; at += steps[k]) {
			size_t n = len - at < steps[k] ? len - at : steps[k];
			ck_assert_int_eq(feed_stream_write(st, json + at, n), 0);
			/* Only a partial item (or a number that may go on) waits. */
			ck_assert_uint_le(feed_stream_pending(st), 2 * (200 + steps[k]));
		}
		struct feed *parts;
		ck_assert_int_eq(feed_stream_finish(st, &parts, err, sizeof(err)), RELAY_OK);
		feed_stream_free(st);
		ck_assert_uint_eq(parts->n_tweets, whole->n_tweets);
		ck_assert_uint_eq(parts->n_skipped, whole->n_skipped);
		ck_assert_uint_eq(parts->source_bytes, len);
		for (size_t i = 0; i < whole->n_tweets; i++) {
			ck_assert_str_eq(whole->tweets[i].id, parts->tweets[i].id);
			ck_assert_str_eq(whole->tweets[i].iocs[0].value,
					 parts->tweets[i].iocs[0].value);
		}
		feed_free(parts);
	}
	/* A number split across writes is read whole: "[12" "34]" is one item. */
	struct feed_stream *st = feed_stream_new(NULL);
	struct feed *f;
	ck_assert_int_eq(feed_stream_write(st, "[12", 3), 0);
	ck_assert_int_eq(feed_stream_write(st, "34, 5]", 6), 0);
	ck_assert_int_eq(feed_stream_finish(st, &f, err, sizeof(err)), RELAY_ERR_KEY_ERROR);
	ck_assert_str_eq(err, "none of the feed's 2 items has the expected shape");
	feed_stream_free(st);
	/* A NUL escape split across writes still blanks its value, not cuts it:
	 * "6.6.6.6\u0000x" is not read as 6.6.6.6. */
	static const char nul_item[] =
		"[{\"ip\":[\"6.6.6.6\\u0000x\",\"7.7.7.7\"],\"tweet\":{\"id\":\"1\",\"user\":\"u\","
		"\"tweet\":\"t\",\"link\":\"https://x/1\",\"timestamp\":1}}]";
	const char *cut = strstr(nul_item, "u0000") + 2; /* inside the escape */
	st = feed_stream_new(NULL);
	ck_assert_int_eq(feed_stream_write(st, nul_item, (size_t)(cut - nul_item)), 0);
	ck_assert_int_eq(feed_stream_write(st, cut, strlen(cut)), 0);
	ck_assert_int_eq(feed_stream_finish(st, &f, err, sizeof(err)), RELAY_OK);
	ck_assert_uint_eq(f->tweets[0].n_iocs, 1);
	ck_assert_str_eq(f->tweets[0].iocs[0].value, "7.7.7.7");
	feed_free(f);
	feed_stream_free(st);
	/* One item of 3 MB in 512-byte writes: over the item size limit, so
	 * skipped unread, then the next item as usual. */
	size_t big = 3u << 20, blen = 0;
	char *huge = malloc(big + 512);
	ck_assert_ptr_nonnull(huge);
	blen += (size_t)snprintf(huge, 512,
				 "[{\"tweet\":{\"id\":\"2\",\"user\":\"u\",\"tweet\":\"");
	memset(huge + blen, 'a', big - blen);
	blen = big;
	blen += (size_t)snprintf(
		huge + blen, 512,
		"\",\"link\":\"l\",\"timestamp\":2}},{\"md5\":[\"%032x\"],\"tweet\":"
		"{\"id\":\"3\",\"user\":\"u\",\"tweet\":\"t\",\"link\":\"l\","
		"\"timestamp\":3}}]",
		3);
	st = feed_stream_new(NULL);
	for (size_t at = 0; at < blen; at += 512)
		ck_assert_int_eq(
			feed_stream_write(st, huge + at, blen - at < 512 ? blen - at : 512), 0);
	ck_assert_int_eq(feed_stream_finish(st, &f, err, sizeof(err)), RELAY_OK);
	ck_assert_uint_eq(f->n_tweets, 1);
	ck_assert_uint_eq(f->n_skipped, 1);
	ck_assert_str_eq(f->tweets[0].id, "3");
	feed_free(f);
	feed_stream_free(st);
	free(huge);
	/* A download cut short is not valid JSON, even when each part parses. */
	st = feed_stream_new(NULL);
	ck_assert_int_eq(feed_stream_write(st, json, len / 2), 0);
	ck_assert_int_eq(feed_stream_finish(st, &f, err, sizeof(err)), RELAY_ERR_KEY_ERROR);
	ck_assert_str_eq(err, "the feed is not valid JSON");
	feed_stream_free(st);
	free(json);
	struct feed_index *idx = feed_index_build(whole);
	ck_assert_ptr_nonnull(idx);
	const struct feed_ioc *ioc = &idx->feed->tweets[0].iocs[0];
	ck_assert_ptr_eq(ioc->key + 2, ioc->value); /* "<class>:<value>" in place */
	ck_assert_str_eq(ioc->key + 2, ioc->value);
	const uint32_t *ids;
	ck_assert_uint_eq(feed_index_lookup(idx, "md5", ioc->value, &ids), 1);
	feed_index_free(idx);
}
END_TEST

/* ---- memory that follows from the byte cap (issue 18) ---- */

static size_t cjson_allocs;

static void *counting_malloc(size_t n)
{
	cjson_allocs++;
	return malloc(n);
}

/* Appends the "tweet" member of item `id` (its text full of what would
 * end an item if strings were not followed: "]},[{ and an escaped quote). */
static size_t put_tweet(char *out, size_t room, int id)
{
	int n = snprintf(out, room,
			 "\"tweet\":{\"id\":\"%d\",\"user\":\"u\",\"tweet\":\"t \\\"]},[{\\\\\","
			 "\"link\":\"https://x/%d\",\"timestamp\":%d}}",
			 id, id, 1700000000 + id);
	ck_assert(n > 0 && (size_t)n < room);
	return (size_t)n;
}

/* [item 1, item 2: an IP then about `big` bytes of tiny strings, item 3];
 * every item a valid tweet. */
static char *big_item_feed(size_t big, size_t *len)
{
	size_t cap = big + 4096, n = 0;
	char *json = malloc(cap);
	ck_assert_ptr_nonnull(json);
	n += (size_t)snprintf(json, cap, "[{\"ip\":[\"1.1.1.1\"],");
	n += put_tweet(json + n, cap - n, 1);
	n += (size_t)snprintf(json + n, cap - n, ",{\"ip\":[\"2.2.2.2\"");
	while (n < big)
		n += (size_t)snprintf(json + n, cap - n, ",\"a\"");
	n += (size_t)snprintf(json + n, cap - n, "],");
	n += put_tweet(json + n, cap - n, 2);
	n += (size_t)snprintf(json + n, cap - n, ",{\"ip\":[\"3.3.3.3\"],");
	n += put_tweet(json + n, cap - n, 3);
	json[n++] = ']';
	*len = n;
	return json;
}

/* Finishes a stream that must succeed. */
static struct feed *finish_ok(struct feed_stream *st)
{
	struct feed *f = NULL;
	char err[256];
	enum relay_err rc = feed_stream_finish(st, &f, err, sizeof(err));
	ck_assert_msg(rc == RELAY_OK, "%s", err);
	feed_stream_free(st);
	return f;
}

/* One 3 MB item of tiny strings (cJSON would make a node of ~100 bytes of
 * each 4-byte string: the review's 30x): skipped unread, never buffered
 * whole nor given to cJSON, and the items around it kept. Once before the
 * fix it was parsed whole, retried at doubling sizes, then kept cut to
 * 1,024 IOCs. */
START_TEST(an_item_over_the_size_limit_is_skipped_unread)
{
	size_t len;
	char *json = big_item_feed(3u << 20, &len);
	cJSON_Hooks counting = {.malloc_fn = counting_malloc, .free_fn = free};
	cJSON_InitHooks(&counting);
	cjson_allocs = 0;
	struct feed *whole;
	char err[256];
	ck_assert_int_eq(feed_parse(json, len, &whole, err, sizeof(err)), RELAY_OK);
	size_t allocs_whole = cjson_allocs;
	/* In 4096-byte writes, as a download: never more than the limit kept. */
	cjson_allocs = 0;
	struct feed_stream *st = feed_stream_new(NULL);
	size_t most = 0;
	for (size_t at = 0; at < len; at += 4096) {
		ck_assert_int_eq(
			feed_stream_write(st, json + at, len - at < 4096 ? len - at : 4096), 0);
		if (feed_stream_pending(st) > most)
			most = feed_stream_pending(st);
	}
	size_t allocs_stream = cjson_allocs;
	json_arena_install(); /* the relay's hooks, as the other tests expect */
	struct feed *parts = finish_ok(st);
	/* Two small items of about 20 nodes each: not the 800,000 strings. */
	ck_assert_uint_lt(allocs_whole, 200);
	ck_assert_uint_lt(allocs_stream, 200);
	ck_assert_uint_le(most, FEED_ITEM_MAX);
	const struct feed *feeds[] = {whole, parts};
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(feeds[i]->n_tweets, 2);
		ck_assert_uint_eq(feeds[i]->n_skipped, 1);
		ck_assert_str_eq(feeds[i]->tweets[0].id, "3");
		ck_assert_str_eq(feeds[i]->tweets[1].id, "1");
		ck_assert_str_eq(feeds[i]->tweets[1].text, "t \"]},[{\\");
	}
	feed_free(whole);
	feed_free(parts);
	free(json);
}
END_TEST

/* A body that is not an array is kept only up to the item size limit to
 * say what it is: before, it was kept whole (up to the byte cap) and
 * parsed whole by cJSON, ~40 bytes of nodes for each "0,". */
START_TEST(a_body_that_is_not_an_array_is_not_parsed_whole)
{
	size_t len = 2u << 20, n = 0;
	char *json = malloc(len + 8);
	ck_assert_ptr_nonnull(json);
	n += (size_t)snprintf(json, 16, "{\"a\":[0");
	while (n < len)
		n += (size_t)snprintf(json + n, 8, ",0");
	n += (size_t)snprintf(json + n, 8, "]}");
	cJSON_Hooks counting = {.malloc_fn = counting_malloc, .free_fn = free};
	cJSON_InitHooks(&counting);
	cjson_allocs = 0;
	struct feed_stream *st = feed_stream_new(NULL);
	size_t most = 0;
	for (size_t at = 0; at < n; at += 4096) {
		ck_assert_int_eq(feed_stream_write(st, json + at, n - at < 4096 ? n - at : 4096),
				 0);
		if (feed_stream_pending(st) > most)
			most = feed_stream_pending(st);
	}
	struct feed *f = NULL;
	char err[256];
	ck_assert_int_eq(feed_stream_finish(st, &f, err, sizeof(err)), RELAY_ERR_KEY_ERROR);
	size_t allocs = cjson_allocs;
	json_arena_install();
	ck_assert_str_eq(err, "the feed is not a JSON array");
	ck_assert_uint_le(most, FEED_ITEM_MAX);
	ck_assert_uint_lt(allocs, 10);
	feed_stream_free(st);
	free(json);
}
END_TEST

/* The limit follows from the byte cap: min(max(cap / 16, 64 KiB), 512 KiB);
 * an item of exactly the limit is read, one byte more is skipped, in one
 * write or split anywhere; bad JSON after a skipped item still refuses
 * the feed. */
START_TEST(the_item_size_limit_follows_from_the_byte_cap)
{
	ck_assert_uint_eq(feed_item_limit(0), FEED_ITEM_MAX);
	ck_assert_uint_eq(feed_item_limit(1024), 64 * 1024);
	ck_assert_uint_eq(feed_item_limit(4u << 20), 256 * 1024);
	ck_assert_uint_eq(feed_item_limit(8u << 20), 512 * 1024);
	ck_assert_uint_eq(feed_item_limit(256u << 20), 512 * 1024);
	ck_assert_uint_eq(feed_memory_budget(0), 0);
	ck_assert_uint_eq(feed_memory_budget(256u << 20), 514u << 20);

	size_t cap = 1u << 20, limit = feed_item_limit(cap); /* 64 KiB */
	char *json = malloc(2 * limit + 256);
	ck_assert_ptr_nonnull(json);
	for (size_t extra = 0; extra < 2; extra++) {
		static const char head[] =
			"[{\"ip\":[\"1.2.3.4\"],\"tweet\":{\"id\":\"9\",\"user\":"
			"\"u\",\"link\":\"https://x/9\",\"timestamp\":9,"
			"\"tweet\":\"";
		static const char tail[] = "\"}}, 7 ]";
		size_t item = limit + extra, n = strlen(head);
		memcpy(json, head, n);
		size_t text = item - (n - 1) - (strlen(tail) - strlen(", 7 ]"));
		memset(json + n, 'x', text);
		n += text;
		memcpy(json + n, tail, strlen(tail));
		n += strlen(tail);
		static const size_t steps[] = {1 << 20, 1000, 7};
		for (size_t k = 0; k < 3; k++) {
			struct feed_stream *st = feed_stream_new(NULL);
			feed_stream_limit(st, cap);
			for (size_t at = 0; at < n; at += steps[k])
				ck_assert_int_eq(
					feed_stream_write(st, json + at,
							  n - at < steps[k] ? n - at : steps[k]),
					0);
			ck_assert_uint_eq(feed_stream_oversized(st), extra);
			struct feed *f = NULL;
			char err[256];
			enum relay_err rc = feed_stream_finish(st, &f, err, sizeof(err));
			feed_stream_free(st);
			if (extra) { /* only the "7" left: no item of the right shape */
				ck_assert_int_eq(rc, RELAY_ERR_KEY_ERROR);
				ck_assert_str_eq(
					err, "none of the feed's 2 items has the expected shape");
				continue;
			}
			ck_assert_msg(rc == RELAY_OK, "%s", err);
			ck_assert_uint_eq(f->n_tweets, 1);
			ck_assert_uint_eq(strlen(f->tweets[0].text), text);
			feed_free(f);
		}
		/* After a skipped item the array must still be well formed. */
		memcpy(json + n - 2, "x]", 2);
		struct feed_stream *st = feed_stream_new(NULL);
		feed_stream_limit(st, cap);
		ck_assert_int_eq(feed_stream_write(st, json, n), 0);
		struct feed *f = NULL;
		char err[256];
		ck_assert_int_eq(feed_stream_finish(st, &f, err, sizeof(err)), RELAY_ERR_KEY_ERROR);
		ck_assert_str_eq(err, "the feed is not valid JSON");
		feed_stream_free(st);
	}
	free(json);
}
END_TEST

/* `tweets` tweets of 1,024 distinct short domains each (about 9 bytes of
 * JSON per IOC, whose parsed form and index take about 14 times that). */
static char *tiny_iocs_feed(int tweets, int first_id, size_t *len)
{
	size_t cap = (size_t)tweets * 12 * 1024 + 4096, n = 0;
	char *json = malloc(cap);
	ck_assert_ptr_nonnull(json);
	json[n++] = '[';
	for (int t = 0; t < tweets; t++) {
		n += (size_t)snprintf(json + n, cap - n, "%s{\"domain\":[", t ? "," : "");
		for (int i = 0; i < 1024; i++)
			n += (size_t)snprintf(json + n, cap - n, "%s\"%x.io\"", i ? "," : "",
					      (t + first_id) * 1024 + i);
		n += (size_t)snprintf(json + n, cap - n, "],");
		n += put_tweet(json + n, cap - n, first_id + t);
	}
	json[n++] = ']';
	*len = n;
	return json;
}

/* What a copy holds by the builder's count (feed_builder_memory()). */
static size_t counted_memory(const struct feed *f)
{
	size_t n = feed_memory(f);
	for (size_t i = 0; i < f->n_tweets; i++)
		n += feed_index_estimate(f->tweets[i].iocs, f->tweets[i].n_iocs);
	return n;
}

/* The review's many-tiny-IOCs feed took 12x its bytes: with the byte cap
 * just over its size, its parsed form passes the budget (2 x cap + 2 MiB)
 * partway, and the parse stops there and refuses it; the same bytes fit
 * a cap 8 times larger. An honest feed up to its cap fits, and the history
 * merged into a download stops at the budget (older tweets first). */
START_TEST(a_feed_over_the_memory_budget_is_refused_as_it_is_parsed)
{
	size_t len;
	char *json = tiny_iocs_feed(200, 0, &len); /* ~2 MB */
	size_t cap = len + 1, at = 0;
	struct feed_stream *st = feed_stream_new(NULL);
	feed_stream_limit(st, cap);
	int rc = 0;
	for (; at < len && rc == 0; at += 16384)
		rc = feed_stream_write(st, json + at, len - at < 16384 ? len - at : 16384);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(feed_stream_over_budget(st), 1);
	ck_assert_uint_lt(at, len / 2); /* the download can stop early */
	struct feed *f = NULL;
	char err[256], want[256];
	ck_assert_int_eq(feed_stream_finish(st, &f, err, sizeof(err)),
			 RELAY_ERR_UPSTREAM_TOO_LARGE);
	snprintf(want, sizeof(want),
		 "the parsed feed would take more than its memory budget of %zu bytes "
		 "(2 x TWEETTIOC_MAX_BYTES + 2 MiB)",
		 feed_memory_budget(cap));
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(f);
	feed_stream_free(st);

	st = feed_stream_new(NULL);
	feed_stream_limit(st, 8 * cap);
	ck_assert_int_eq(feed_stream_write(st, json, len), 0);
	struct feed *tiny = finish_ok(st);
	ck_assert_uint_eq(tiny->n_tweets, 200);
	ck_assert_uint_le(counted_memory(tiny), feed_memory_budget(8 * cap));
	ck_assert_uint_gt(counted_memory(tiny), 10 * len); /* the blow-up the budget bounds */

	size_t hlen;
	char *honest = test_read_file("fixtures/tweettioc-feed-2000.json", &hlen);
	st = feed_stream_new(NULL);
	feed_stream_limit(st, hlen);
	ck_assert_int_eq(feed_stream_write(st, honest, hlen), 0);
	struct feed *h = finish_ok(st);
	ck_assert_uint_eq(h->n_tweets, 2000);
	feed_free(h);
	free(honest);

	/* History: the byte cap alone would keep ~199 of the 200 old tweets. */
	size_t one_len;
	char *one = tiny_iocs_feed(1, 1000, &one_len);
	struct feed *fresh;
	ck_assert_int_eq(feed_parse(one, one_len, &fresh, err, sizeof(err)), RELAY_OK);
	struct feed *merged = feed_merge(fresh, tiny, 0, cap);
	ck_assert_ptr_nonnull(merged);
	ck_assert_uint_gt(merged->n_tweets, 1);
	ck_assert_uint_lt(merged->n_tweets, 100);
	ck_assert_uint_le(counted_memory(merged), feed_memory_budget(cap) + (1u << 20));
	feed_free(merged);
	feed_free(tiny);
	free(one);
	free(json);
}
END_TEST

static Suite *tweettioc_suite(void)
{
	Suite *s = suite_create("tweettioc");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, refang_restores_the_common_defanged_forms);
	tcase_add_test(tc, keys_lowercase_what_is_case_insensitive_and_keep_url_paths);
	tcase_add_test(tc, feed_parse_skips_items_of_the_wrong_shape);
	tcase_add_test(tc, feed_parse_refuses_a_body_that_is_not_an_array);
	tcase_add_test(tc, feed_parse_reads_the_array_item_by_item);
	tcase_add_test(tc, sighting_relations_and_table_are_what_ctim_would_build);
	tcase_add_test(tc, times_format_as_strftime_does);
	tcase_add_test(tc, an_ip_inside_a_longer_ip_does_not_match);
	tcase_add_test(tc, hashes_domains_and_emails_match_case_insensitively);
	tcase_add_test(tc, a_defanged_url_is_found_by_its_refanged_form_with_or_without_scheme);
	tcase_add_test(tc, observe_gives_one_sighting_per_tweet_newest_first_and_a_judgement);
	tcase_add_test(tc, the_entities_limit_keeps_the_newest_and_warns);
	tcase_add_test(tc, deliberate_returns_only_verdicts_and_nothing_for_unknown_values);
	tcase_add_test(tc, refer_gives_search_for_all_and_browse_for_hits);
	tcase_add_test(tc, requests_before_the_first_copy_get_service_unavailable);
	tcase_add_test(tc, health_is_ok_with_a_fresh_copy);
	tcase_add_test(tc, a_reader_keeps_its_copy_across_a_swap);
	tcase_add_test(tc, the_fixture_feed_indexes_every_mention);
	tcase_add_test(tc, a_copy_packs_strings_shares_keys_and_parses_as_it_downloads);
	tcase_add_test(tc, an_item_over_the_size_limit_is_skipped_unread);
	tcase_add_test(tc, the_item_size_limit_follows_from_the_byte_cap);
	tcase_add_test(tc, a_body_that_is_not_an_array_is_not_parsed_whole);
	tcase_add_test(tc, a_feed_over_the_memory_budget_is_refused_as_it_is_parsed);
	tcase_add_test(tc, limits_count_utf16_units_and_cut_whole_characters);
	tcase_add_test(tc, markdown_text_is_escaped_and_defanged);
	tcase_add_test(tc, emitted_uris_parse_strictly);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tweettioc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
