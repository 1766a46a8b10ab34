#!/usr/bin/env bash
set -euxo pipefail

tb deploy
tb pipe copy run visits_mv_1_backfill --node backfill --wait --yes
