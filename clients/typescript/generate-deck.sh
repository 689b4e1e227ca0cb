#!/bin/sh
# Generates the deck's TypeScript services from an `ivorygrpc protos export`
# directory (or its ivorygrpc.binpb) into src/gen/ivorygrpc/deck.
set -eu
export_dir=${1:?usage: npm run generate:deck -- EXPORT_DIR}
# A relative path is relative to where the command was typed (npm sets INIT_CWD).
case $export_dir in
  /*) ;;
  *) export_dir=${INIT_CWD:-$PWD}/$export_dir ;;
esac
input=$export_dir
[ -d "$export_dir" ] && input=$export_dir/ivorygrpc.binpb
cd "$(dirname "$0")"
buf=${BUF:-../../tools/node_modules/@bufbuild/buf-linux-x64/bin/buf}
rm -rf src/gen/ivorygrpc/deck
exec "$buf" generate "$input" --template buf.gen.deck.yaml --path ivorygrpc/deck
