# providers/fake: ESO's fake provider, a module built on the public ABI only.
provider_LTLIBRARIES += providers/fake/fake.la
providers_fake_fake_la_SOURCES = providers/fake/fake.c
providers_fake_fake_la_CFLAGS = $(provider_cflags)
providers_fake_fake_la_LDFLAGS = $(provider_ldflags) \
	-export-symbols-regex '^xs_provider_entry$$'
