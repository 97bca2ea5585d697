# tests/emulators
