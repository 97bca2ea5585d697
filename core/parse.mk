# parse: value trees from YAML and JSON, and the resource model loader.
libxscore_la_SOURCES += core/value.c
libxscore_la_SOURCES += core/json.c
libxscore_la_SOURCES += core/yaml.c
libxscore_la_SOURCES += core/yamldoc.h
libxscore_la_SOURCES += core/duration.c
libxscore_la_SOURCES += core/names.c
libxscore_la_SOURCES += core/manifest.c
libxscore_la_SOURCES += core/selector.c
libxscore_la_SOURCES += core/ere.c
libxscore_la_SOURCES += core/ere.h

# Unit tests.
check_PROGRAMS += tests/unit/test_value
TESTS += tests/unit/test_value
tests_unit_test_value_CPPFLAGS = $(unit_cppflags)
tests_unit_test_value_LDADD = $(unit_libs)

check_PROGRAMS += tests/unit/test_json
TESTS += tests/unit/test_json
tests_unit_test_json_CPPFLAGS = $(unit_cppflags)
tests_unit_test_json_LDADD = $(unit_libs)

check_PROGRAMS += tests/unit/test_yaml
TESTS += tests/unit/test_yaml
tests_unit_test_yaml_CPPFLAGS = $(unit_cppflags)
tests_unit_test_yaml_LDADD = $(unit_libs)

check_PROGRAMS += tests/unit/test_duration
TESTS += tests/unit/test_duration
tests_unit_test_duration_CPPFLAGS = $(unit_cppflags)
tests_unit_test_duration_LDADD = $(unit_libs)

check_PROGRAMS += tests/unit/test_names
TESTS += tests/unit/test_names
tests_unit_test_names_CPPFLAGS = $(unit_cppflags)
tests_unit_test_names_LDADD = $(unit_libs)

check_PROGRAMS += tests/unit/test_ere
TESTS += tests/unit/test_ere
tests_unit_test_ere_CPPFLAGS = $(unit_cppflags)
tests_unit_test_ere_LDADD = $(unit_libs)

check_PROGRAMS += tests/unit/test_manifest
TESTS += tests/unit/test_manifest
tests_unit_test_manifest_CPPFLAGS = $(unit_cppflags) \
	-DXS_TEST_DATA='"$(abs_top_srcdir)/tests/data/manifests"'
tests_unit_test_manifest_LDADD = $(unit_libs)

# The hostile corpus: one rule broken per file, beside one valid file.
EXTRA_DIST += tests/data/manifests/valid.yaml
EXTRA_DIST += tests/data/manifests/alias-bomb.yaml
EXTRA_DIST += tests/data/manifests/deep-nesting.yaml
EXTRA_DIST += tests/data/manifests/duplicate-keys.yaml
EXTRA_DIST += tests/data/manifests/empty-docs.yaml
EXTRA_DIST += tests/data/manifests/invalid-utf8.yaml
EXTRA_DIST += tests/data/manifests/merge-key.yaml
EXTRA_DIST += tests/data/manifests/not-a-map.yaml
EXTRA_DIST += tests/data/manifests/nul-byte.yaml
EXTRA_DIST += tests/data/manifests/syntax-error.yaml
EXTRA_DIST += tests/data/manifests/unknown-tag.yaml
EXTRA_DIST += tests/data/manifests/yaml11-scalars.yaml
EXTRA_DIST += tests/data/manifests/wrong-types.yaml
