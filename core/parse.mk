# parse: value trees from YAML and JSON, and the resource model loader.
libxscore_la_SOURCES += core/value.c
libxscore_la_SOURCES += core/json.c
libxscore_la_SOURCES += core/yaml.c
libxscore_la_SOURCES += core/yamldoc.h
libxscore_la_SOURCES += core/duration.c
libxscore_la_SOURCES += core/names.c
libxscore_la_SOURCES += core/manifest.c
libxscore_la_SOURCES += core/selector.c

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
