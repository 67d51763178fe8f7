<#
.SYNOPSIS
    Runs the ucx-mail Exchange Online steps: the one script that the Pulumi command resources start.
.DESCRIPTION
    pwsh -NoProfile -NonInteractive -File components/exchange/Invoke-UcxMailExchange.ps1 record|apply|remove

    Every input comes from environment variables (UCX_EXCHANGE_*, EXO_ACCESS_TOKEN, PULUMI_COMMAND_STDOUT); see
    docs/exchange.md. Prints exactly one JSON line on stdout and progress on stderr. Exit codes: 0 done, 1 a step
    failed (re-running resumes safely), 2 bad input, 3 could not connect.
.PARAMETER Operation
    record (the read-only original-state command), apply (create and update) or remove (delete). Defaults to the
    UCX_EXCHANGE_OPERATION environment variable.
#>
[CmdletBinding()]
param([Parameter(Position = 0)] [string] $Operation = $env:UCX_EXCHANGE_OPERATION)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module (Join-Path $PSScriptRoot 'UcxMailExchange.psd1') -Force
if ($null -eq $Operation) { $Operation = '' }
exit (Invoke-UcxMailExchange -Operation $Operation.Trim().ToLowerInvariant())
