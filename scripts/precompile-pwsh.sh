#!/usr/bin/env bash
# Precompiles the pinned PowerShell (ReadyToRun) into .tools/pwsh for the test run, with a `pwsh` that starts it in
# .tools/bin. The PowerShell local tool ships its assemblies as IL only, so every pwsh process compiles the engine
# again as it starts; the tests start one for each Exchange run, and that compiling was most of their CPU time. The
# copy holds the same 7.6.9 assemblies, compiled ahead of time by the runtime's own ReadyToRun compiler (crossgen2);
# what PowerShell does is unchanged. Optional: without it the tests use the local tool as it is, only slower.
set -euo pipefail
cd "$(dirname "$0")/.."

target=.tools/pwsh
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "precompile-pwsh: only done on Linux x64; the tests use the PowerShell local tool as it is."
  exit 0
fi

# Writes .tools/bin/pwsh, also when the copy is up to date, so that a launcher from an older setup is replaced.
write_launcher() {
  mkdir -p .tools/bin
  cat >.tools/bin/pwsh <<'SHIM'
#!/bin/sh
# The pinned PowerShell, precompiled by scripts/precompile-pwsh.sh. It starts only a copy of the version that
# .config/dotnet-tools.json pins; after a change of the pin it says so once and starts the local tool itself (from
# the project folder, where `dotnet tool run` finds the manifest; every caller runs from there), so no test runs an
# old version and none is skipped.
root="$(cd "$(dirname "$0")/../.." && pwd)"
pinned=$(sed -n '/"powershell"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' "$root/.config/dotnet-tools.json")
case "$(cat "$root/.tools/pwsh/.precompiled-from" 2>/dev/null)" in
*/powershell/"$pinned"/*) exec dotnet "$root/.tools/pwsh/pwsh.dll" "$@" ;;
esac
echo "The precompiled PowerShell in .tools/pwsh is not the pinned $pinned, so the local tool runs (slower); run: bash scripts/setup.sh" >&2
cd "$root" && exec dotnet tool run pwsh "$@"
SHIM
  chmod +x .tools/bin/pwsh
}

# The folder of the pinned pwsh.dll, as the local tool runs it (its NuGet package, tools/net<version>/any/unix).
home=$(dotnet tool run pwsh -NoProfile -NonInteractive -Command '$PSHOME')
if [ -f "$target/.precompiled-from" ] && [ "$(cat "$target/.precompiled-from")" = "$home" ]; then
  write_launcher
  echo "precompile-pwsh: $target is up to date."
  exit 0
fi
# From here on a failure must leave no launcher behind: the tests then use the local tool as it is.
rm -f .tools/bin/pwsh "$target/.precompiled-from"

# The target framework of the tool's folder (net10.0) picks the compiler's and the runtime's major version.
framework_moniker=$(basename "$(dirname "$(dirname "$home")")")
major=$(echo "$framework_moniker" | sed -nE 's/^net([0-9]+)\.[0-9]+$/\1/p')
dotnet restore tools/crossgen/crossgen.csproj --packages .tools/nuget --verbosity quiet -p:TargetFramework="$framework_moniker"
crossgen=$(find .tools/nuget/microsoft.netcore.app.crossgen2.linux-x64 -path "*/$major.*/tools/crossgen2" -type f 2>/dev/null |
  sort -V | tail -n 1 || true)
# The shared framework the tool runs on: the newest Microsoft.NETCore.App of that major version.
framework=$(dotnet --list-runtimes | sed -nE "s/^Microsoft\.NETCore\.App ($major\.[^ ]+) \[(.*)\]$/\2\/\1/p" | tail -n 1)
if [ -z "$major" ] || [ -z "$crossgen" ] || [ ! -d "$framework" ]; then
  echo "precompile-pwsh: no ReadyToRun compiler or no .NET runtime for $framework_moniker found." >&2
  exit 1
fi

rm -rf "$target.part"
cp -R "$home" "$target.part"
# The assemblies of the tool's folder that a test run loads (listed with [AppDomain]::CurrentDomain.GetAssemblies()
# in a run of the Exchange module, the fake and Pester); any other stays IL, which works the same.
for assembly in System.Management.Automation.dll Microsoft.PowerShell.Commands.Utility.dll \
  Microsoft.PowerShell.Commands.Management.dll Microsoft.PowerShell.ConsoleHost.dll Microsoft.PowerShell.Security.dll \
  Microsoft.PowerShell.MarkdownRender.dll Microsoft.ApplicationInsights.dll Newtonsoft.Json.dll pwsh.dll; do
  if [ -f "$home/$assembly" ]; then echo "$assembly"; fi
done |
  xargs -P 2 -I '{}' "$crossgen" "$home/{}" -o "$target.part/{}" -r "$framework/*.dll" -r "$home/*.dll" \
    --targetos linux --targetarch x64 -O >/dev/null
echo "$home" >"$target.part/.precompiled-from"
rm -rf "$target"
mv "$target.part" "$target"

write_launcher
echo "precompile-pwsh: $(.tools/bin/pwsh -NoProfile -NonInteractive -Command '"PowerShell $($PSVersionTable.PSVersion), precompiled"') in $target."
