#!/usr/bin/env bash
# Installs everything the test suite needs, from the project's own files: npm packages, PowerShell (.NET local
# tool), Pester (NuGet), and Dovecot and openssl (Debian, for the doctor's IMAP and TLS tests). Safe to run again.
# Last, it precompiles that PowerShell for a faster test run (scripts/precompile-pwsh.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dovecot >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd openssl >/dev/null
  else
    echo "setup: Dovecot or openssl is missing and cannot be installed without root; run: sudo apt-get install dovecot-imapd openssl"
  fi
fi

npm ci --no-audit --no-fund
dotnet tool restore
dotnet restore tools/pester/pester.csproj --packages .tools/nuget --verbosity quiet
# Speed only: the tests work the same with the local tool as it is, so a failure here does not stop the setup.
if ! bash scripts/precompile-pwsh.sh; then
  rm -f .tools/bin/pwsh
  echo "setup: could not precompile PowerShell; the tests use the local tool as it is (slower)."
fi
