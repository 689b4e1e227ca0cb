#!/bin/sh
# Generates the deck's TypeScript services from an `ivorygrpc protos export`
# directory (or its ivorygrpc.binpb) into src/gen/ivorygrpc/deck.
set -eu
cd "$(dirname "$0")"
export_dir=${1:?usage: npm run generate:deck -- EXPORT_DIR}
input=$export_dir
[ -d "$export_dir" ] && input=$export_dir/ivorygrpc.binpb
buf=${BUF:-../../tools/node_modules/@bufbuild/buf-linux-x64/bin/buf}
rm -rf src/gen/ivorygrpc/deck
exec "$buf" generate "$input" --template buf.gen.deck.yaml --path ivorygrpc/deck
