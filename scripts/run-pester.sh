#!/usr/bin/env bash
# Runs the Pester suites under test/ with the pinned PowerShell (.NET local tool) and the pinned Pester (NuGet).
set -euo pipefail
cd "$(dirname "$0")/.."

pester_version=$(sed -nE 's/.*Include="Pester" Version="\[([0-9.]+)\]".*/\1/p' tools/pester/pester.csproj)
pester_manifest=".tools/nuget/pester/${pester_version}/tools/Pester.psd1"

# The pinned PowerShell, precompiled when scripts/precompile-pwsh.sh has run, else the local tool as it is.
pwsh_command=(dotnet tool run pwsh)
if [ -x .tools/bin/pwsh ]; then pwsh_command=(.tools/bin/pwsh); fi

if ! "${pwsh_command[@]}" -NoProfile -Command 'exit 0' >/dev/null 2>&1 || [ ! -f "$pester_manifest" ]; then
  # Never pass by skipping: a missing PowerShell fails the run, on CI and locally alike.
  echo "!!! PowerShell or Pester is missing: the Exchange scripts were NOT tested." >&2
  echo "!!! Install them with: bash scripts/setup.sh (or dotnet tool restore && dotnet restore tools/pester/pester.csproj --packages .tools/nuget)" >&2
  exit 1
fi

# Extra arguments (-ShardCount n -ShardIndex i) go to run-pester.ps1.
"${pwsh_command[@]}" -NoProfile -NonInteractive -File scripts/run-pester.ps1 -PesterManifest "$(pwd)/$pester_manifest" "$@"
