#!/usr/bin/env bash
# Builds the Functions app's deployment package (app.zip) with what the step kinds need in Azure
# beside the code: the Flex Consumption plan runs no custom container and mounts the package
# read-only, so tool binaries and kubeconfig files travel inside it (docs/azure.md, "Step kinds in Azure").
#
#   scripts/package.sh [--tools DIR] [--kubeconfigs DIR] [--out FILE]
#
#   --tools DIR        Linux x64 executables to ship (helm, kubelogin, ...): copied to tools/, so a
#                      setting points at /home/site/wwwroot/tools/<name>
#   --kubeconfigs DIR  one kubeconfig per cluster, named after it: copied to kubeconfig/, so
#                      Rollback__Executors__Kubernetes__Clusters__<name>__Kubeconfig=/home/site/wwwroot/kubeconfig/<name>.
#                      Refused when a file embeds a token, client key or password: the package is
#                      readable by whoever can read its container; use exec credentials (AKS: kubelogin -l msi)
#   --out FILE         the zip to write (default: app.zip)
set -euo pipefail

tools="" kubeconfigs="" out="app.zip"
while [ $# -gt 0 ]; do
  case "$1" in
    --tools) tools="$2"; shift 2 ;;
    --kubeconfigs) kubeconfigs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")"
publish="$(mktemp -d)"
trap 'rm -rf "$publish"' EXIT

# Refuse bad inputs before the (slow) publish.
for tool in ${tools:+"$tools"/*}; do
  if [ -f "$tool" ] && ! head -c 4 "$tool" | grep -q "ELF"; then
    echo "$tool is not a Linux executable (ELF); Flex Consumption runs Linux x64" >&2; exit 1
  fi
done
for config in ${kubeconfigs:+"$kubeconfigs"/*}; do
  if [ -f "$config" ] && grep -Eq '^\s*(token|client-key-data|password):' "$config"; then
    echo "$config embeds a credential (token, client-key-data or password); use an exec credential plugin instead" >&2; exit 1
  fi
done

dotnet publish "$root/src/RollbackFunctions" -c Release -o "$publish" -v q -nologo

if [ -n "$tools" ]; then
  mkdir -p "$publish/tools"
  for tool in "$tools"/*; do
    [ -f "$tool" ] || continue
    install -m 0755 "$tool" "$publish/tools/"
  done
fi

if [ -n "$kubeconfigs" ]; then
  mkdir -p "$publish/kubeconfig"
  for config in "$kubeconfigs"/*; do
    [ -f "$config" ] || continue
    install -m 0644 "$config" "$publish/kubeconfig/"
  done
fi

# zip keeps the executable bit of tools/ in the archive's Unix attributes.
rm -f "$out"
(cd "$publish" && zip -q -r -X "$out" .)
echo "wrote $out ($(du -h "$out" | cut -f1)); deploy: az functionapp deployment source config-zip -g <group> -n <functionAppName> --src $out"
