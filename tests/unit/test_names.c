/*
 * Kubernetes name rules: DNS-1123 subdomains and labels, secret keys.
 */
#include "config.h"

#include <string.h>

#include "manifest.h"
#include "tap.h"

int
main(void)
{
	char	long_name[300];

	ok(name_is_dns1123_subdomain("db-credentials"), "simple name");
	ok(name_is_dns1123_subdomain("a.b-c.d0"), "dotted name");
	ok(name_is_dns1123_subdomain("0abc"), "leading digit");
	ok(!name_is_dns1123_subdomain(""), "empty");
	ok(!name_is_dns1123_subdomain("Upper"), "upper case");
	ok(!name_is_dns1123_subdomain("-a"), "leading dash");
	ok(!name_is_dns1123_subdomain("a-"), "trailing dash");
	ok(!name_is_dns1123_subdomain("a..b"), "empty segment");
	ok(!name_is_dns1123_subdomain(".a"), "leading dot");
	ok(!name_is_dns1123_subdomain("a.-b"), "segment starts with dash");
	ok(!name_is_dns1123_subdomain("../etc"), "path traversal");
	ok(!name_is_dns1123_subdomain("a/b"), "slash");
	ok(!name_is_dns1123_subdomain("a_b"), "underscore");
	ok(!name_is_dns1123_subdomain(NULL), "NULL");
	memset(long_name, 'a', 253);
	long_name[253] = '\0';
	ok(name_is_dns1123_subdomain(long_name), "253 characters");
	long_name[253] = 'a';
	long_name[254] = '\0';
	ok(!name_is_dns1123_subdomain(long_name), "254 characters");

	ok(name_is_dns1123_label("team-a"), "label");
	ok(!name_is_dns1123_label("team.a"), "label with a dot");
	ok(!name_is_dns1123_label(""), "empty label");
	memset(long_name, 'a', 63);
	long_name[63] = '\0';
	ok(name_is_dns1123_label(long_name), "63 character label");
	long_name[63] = 'a';
	long_name[64] = '\0';
	ok(!name_is_dns1123_label(long_name), "64 character label");

	ok(name_is_secret_key("password"), "key");
	ok(name_is_secret_key("tls.crt"), "key with a dot");
	ok(name_is_secret_key("A_b-C.9"), "key with every class");
	ok(name_is_secret_key("..."), "three dots are a valid key");
	ok(!name_is_secret_key("."), "dot");
	ok(!name_is_secret_key(".."), "dot dot");
	ok(!name_is_secret_key(""), "empty key");
	ok(!name_is_secret_key("a/b"), "slash in key");
	ok(!name_is_secret_key("a b"), "space in key");
	ok(!name_is_secret_key("\xc3\xa9"), "non-ASCII key");
	memset(long_name, 'k', 253);
	long_name[253] = '\0';
	ok(name_is_secret_key(long_name), "253 character key");
	long_name[253] = 'k';
	long_name[254] = '\0';
	ok(!name_is_secret_key(long_name), "254 character key");
	return tap_done();
}
