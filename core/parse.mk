# parse: value trees from YAML and JSON, and the resource model loader.
libxscore_la_SOURCES += core/value.c
libxscore_la_SOURCES += core/json.c
libxscore_la_SOURCES += core/yaml.c
libxscore_la_SOURCES += core/yamldoc.h
libxscore_la_SOURCES += core/duration.c
libxscore_la_SOURCES += core/names.c
libxscore_la_SOURCES += core/manifest.c
libxscore_la_SOURCES += core/selector.c
