# Lynx Cortex tasks. `uv run just` lists them; each runs inside the project's uv environment.
# bash, not sh: `set -euo pipefail` makes a failing step fail the recipe.
set shell := ["bash", "-euo", "pipefail", "-c"]

export PYTHONHASHSEED := "0"

# list the recipes
default:
    @just --list

# install the environment (dev tools included, bytecode compiled: see .ci/run) and the git hooks
setup:
    uv sync --compile-bytecode
    uv run pre-commit install

# ruff, formatting check, mypy --strict, the import contracts (one-way layers), the pickle guard
lint:
    uv run ruff check .
    uv run ruff format --check .
    uv run mypy src
    uv run lint-imports --no-logo
    git ls-files '*.py' | xargs python3 scripts/forbid_pickle.py

# format and auto-fix
fmt:
    uv run ruff check --fix .
    uv run ruff format .

# the default test run (slow suites excluded)
test *ARGS:
    uv run pytest {{ARGS}}

# every test, slow suites included
test-all *ARGS:
    uv run pytest -m "" {{ARGS}}

# the main job: the learner portal on 127.0.0.1:8000
up:
    uv run lynx up
