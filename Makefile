# The two commands of the quick start: `make demo` and `make test`.
# Each sets up what it needs (a virtual environment in .venv, and for the
# tests Debian's chromium and a CJK font) and then runs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup browser lint bench neo4j-up neo4j-down test-neo4j bench-both

$(BIN)/medgraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/medgraph

demo: setup
	$(BIN)/medgraph demo

# Browser, fonts and poppler's pdftotext for the diagram and PDF tests (root on Debian;
# skipped if present).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 || \
	    ! fc-list 2>/dev/null | grep -qi 'cjk\|wqy'; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver fonts-noto-cjk fontconfig poppler-utils >/dev/null; \
	fi

# The suite runs twice: on the embedded store, then on Neo4j 5. The tests empty the database
# they run on, so the Neo4j half never uses MEDGRAPH_NEO4J_URI (it may hold real data): it uses
# the server MEDGRAPH_TEST_NEO4J_URI names, else a throwaway one from neo4j-test-server/, which
# needs Java 17+ and Maven; without them that half is skipped with one line, unless
# MEDGRAPH_REQUIRE_NEO4J=1 as in CI.
test: setup browser
	$(BIN)/ruff check .
	env -u MEDGRAPH_NEO4J_URI $(BIN)/pytest
	@$(MAKE) --no-print-directory test-neo4j

test-neo4j: setup
	neo4j-test-server/neo4j-test-server run $(BIN)/pytest

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/medgraph bench --scale 100k

# The store steps on the embedded store and on Neo4j, side by side in one run.
bench-both: setup
	neo4j-test-server/neo4j-test-server run $(BIN)/medgraph bench --scale 10k --backend both \
		--markdown bench-both-10k.md

# A throwaway Neo4j 5 server (neo4j-test-server/, needs Java 17+ and Maven):
#   eval "$$(make -s neo4j-up)"   starts it and points medgraph at it
#   make neo4j-down               stops it and removes its data
neo4j-up:
	@neo4j-test-server/neo4j-test-server up

neo4j-down:
	@neo4j-test-server/neo4j-test-server down
