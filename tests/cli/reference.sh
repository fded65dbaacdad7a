#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# reference.sh GENERATOR SRCDIR - docs/scenario-reference.md is exactly what the loader's tables say
# (regenerate: build/cli/scenario-reference > docs/scenario-reference.md).
set -euo pipefail
if diff -u "$2/docs/scenario-reference.md" <("$1"); then
  echo "docs/scenario-reference.md matches the key tables"
else
  echo "docs/scenario-reference.md differs from the key tables: run build/cli/scenario-reference > docs/scenario-reference.md"
  exit 1
fi
