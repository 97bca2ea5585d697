/*
 * Signed KMS calls.
 *
 * kms_call hands errors_call a send function that builds the whole request
 * again for every attempt: a new nonce, the current time, the current
 * credentials.  With V3 (the default) the operation's parameters go in the
 * query string and the signature in the Authorization header; every
 * header that Alibaba signs (host, content-type, x-acs-*) is set by us, so
 * what the host sends is what was signed.  With V1 every parameter,
 * including the signature, goes in the query.
 *
 * With RRSA, a credential error makes errors_call ask kms_refresh for new
 * credentials once: the shared session renews them unless another caller
 * has done so already.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "alibaba.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FORM_TYPE	"application/x-www-form-urlencoded"

/* The state of one kms_call across its attempts. */
struct kms_req {
	struct ali_client	*c;
	const char		*action;
	const struct sign_param	*params;
	size_t			 nparams;
	struct ali_creds	 creds;
};

static int32_t
send_built(struct kms_req *k, const char *url,
    const struct xs_http_header *hdr, size_t nhdr, uint32_t timeout_ms,
    struct xs_http_response **resp, struct xs_diag *d)
{
	const struct xs_host	*h = k->c->host;
	struct xs_http_request	 req;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = XS_HTTP_POST;
	req.url = url;
	req.headers = hdr;
	req.nheaders = nhdr;
	req.timeout_ms = timeout_ms;
	req.ca_pem = k->c->ca_pem;
	req.ca_pem_len = k->c->ca_len;
	return h->http_request(k->c->st, &req, resp, d);
}

static int32_t
send_v3(struct kms_req *k, uint32_t timeout_ms,
    struct xs_http_response **resp, struct xs_diag *d)
{
	struct ali_client	*c = k->c;
	const struct xs_host	*h = c->host;
	struct xs_http_header	 hdr[SIGN_MAX_HEADERS];
	struct sign_v3_req	 sr;
	struct buf		 url, auth, sh;
	char			 ts[21], nonce[33], hash[65], sig[65];
	size_t			 n = 0;
	int32_t			 rc = XS_ERR_NOMEM;

	sign_timestamp(h->now_ms(), ts);
	if (sign_nonce(h, nonce) == -1)
		return XS_ERR_INTERNAL;
	hdr[n++] = (struct xs_http_header){ "host", c->host_hdr };
	hdr[n++] = (struct xs_http_header){ "x-acs-action", k->action };
	hdr[n++] = (struct xs_http_header){ "x-acs-version",
	    ALI_KMS_VERSION };
	hdr[n++] = (struct xs_http_header){ "x-acs-date", ts };
	hdr[n++] = (struct xs_http_header){ "x-acs-signature-nonce", nonce };
	hdr[n++] = (struct xs_http_header){ "x-acs-content-sha256",
	    EMPTY_SHA256 };
	hdr[n++] = (struct xs_http_header){ "content-type", FORM_TYPE };
	if (k->creds.token != NULL) {
		hdr[n++] = (struct xs_http_header){ "x-acs-accesskey-id",
		    k->creds.id };
		hdr[n++] = (struct xs_http_header){ "x-acs-security-token",
		    k->creds.token };
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = "POST";
	sr.query = k->params;
	sr.nquery = k->nparams;
	sr.headers = hdr;
	sr.nheaders = n;
	sr.body_sha256 = EMPTY_SHA256;

	buf_init(&url, h);
	buf_init(&auth, h);
	buf_init(&sh, h);
	if (sign_v3(h, &sr, k->creds.secret, hash, sig, &sh) == -1)
		goto done;
	buf_str(&auth, "ACS3-HMAC-SHA256 Credential=");
	buf_str(&auth, k->creds.id);
	buf_str(&auth, ",SignedHeaders=");
	buf_str(&auth, sh.p);
	buf_str(&auth, ",Signature=");
	buf_str(&auth, sig);
	buf_str(&url, c->url);
	buf_str(&url, "/?");
	if (sign_canonical_query(k->params, k->nparams, &url) == -1 ||
	    auth.failed)
		goto done;
	hdr[n++] = (struct xs_http_header){ "Authorization", auth.p };
	rc = send_built(k, url.p, hdr, n, timeout_ms, resp, d);
done:
	h->cleanse(sig, sizeof(sig));
	buf_free(&url);
	buf_free(&auth);
	buf_free(&sh);
	return rc;
}

static int32_t
send_v1(struct kms_req *k, uint32_t timeout_ms,
    struct xs_http_response **resp, struct xs_diag *d)
{
	struct ali_client	*c = k->c;
	const struct xs_host	*h = c->host;
	struct sign_param	 p[SIGN_MAX_PARAMS];
	struct buf		 url;
	char			 ts[21], nonce[33], sig[29];
	size_t			 n, i;
	int32_t			 rc = XS_ERR_NOMEM;

	if (k->nparams + 9 > SIGN_MAX_PARAMS)
		return XS_ERR_INTERNAL;
	sign_timestamp(h->now_ms(), ts);
	if (sign_nonce(h, nonce) == -1)
		return XS_ERR_INTERNAL;
	for (n = 0; n < k->nparams; n++)
		p[n] = k->params[n];
	p[n++] = (struct sign_param){ "Action", k->action };
	p[n++] = (struct sign_param){ "Version", ALI_KMS_VERSION };
	p[n++] = (struct sign_param){ "Format", "JSON" };
	p[n++] = (struct sign_param){ "AccessKeyId", k->creds.id };
	p[n++] = (struct sign_param){ "SignatureMethod", "HMAC-SHA1" };
	p[n++] = (struct sign_param){ "SignatureVersion", "1.0" };
	p[n++] = (struct sign_param){ "SignatureNonce", nonce };
	p[n++] = (struct sign_param){ "Timestamp", ts };
	if (k->creds.token != NULL)
		p[n++] = (struct sign_param){ "SecurityToken",
		    k->creds.token };
	if (sign_v1(h, "POST", p, n, k->creds.secret, sig) == -1)
		return XS_ERR_INTERNAL;

	buf_init(&url, h);
	buf_str(&url, c->url);
	buf_str(&url, "/?");
	if (sign_canonical_query(p, n, &url) == 0) {
		buf_str(&url, "&Signature=");
		buf_pe(&url, sig, strlen(sig));
		if (!url.failed)
			rc = send_built(k, url.p, NULL, 0, timeout_ms, resp,
			    d);
	}
	for (i = 0; i < sizeof(sig); i++)
		sig[i] = 0;
	buf_free(&url);
	return rc;
}

static int32_t
kms_send(void *arg, uint32_t timeout_ms, struct xs_http_response **resp,
    struct xs_diag *d)
{
	struct kms_req	*k = arg;

	if (k->c->sigv1)
		return send_v1(k, timeout_ms, resp, d);
	return send_v3(k, timeout_ms, resp, d);
}

static int32_t
kms_refresh(void *arg, struct xs_diag *d)
{
	struct kms_req	*k = arg;
	uint64_t	 refused = k->creds.gen;

	creds_clear(k->c->host, &k->creds);
	return rrsa_get(k->c->rrsa, k->c->st, refused, &k->creds, d);
}

int32_t
kms_call(struct ali_client *c, const char *action,
    const struct sign_param *params, size_t nparams, const char *what,
    struct xs_value **json, struct xs_diag *d)
{
	struct errors_ops	ops = { kms_send, NULL, NULL };
	struct kms_req		k;
	int32_t			rc;

	memset(&k, 0, sizeof(k));
	k.c = c;
	k.action = action;
	k.params = params;
	k.nparams = nparams;
	if (c->rrsa != NULL) {
		ops.refresh = kms_refresh;
		rc = rrsa_get(c->rrsa, c->st, 0, &k.creds, d);
	} else
		rc = creds_set(c->host, &k.creds, c->key.id, c->key.secret,
		    NULL);
	if (rc == XS_OK)
		rc = errors_call(c->host, c->policy, &ops, &k, what, json, d,
		    NULL, 0);
	creds_clear(c->host, &k.creds);
	return rc;
}
